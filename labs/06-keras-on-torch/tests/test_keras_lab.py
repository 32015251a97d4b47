"""Public tests for lab 06. Run them with `labkit check 06` (or plain pytest from this folder).

Oracles are written here independently of your code: PyTorch twins with the same weights, NumPy
formulas, parameter-count arithmetic, Keras' own EarlyStopping rules replayed over your History.
Hidden tests at grading use other shapes, seeds and splits.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")  # before the first `import keras`, or Keras looks for TensorFlow

import json
import math

import helpers
import keras
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import flat_weights, keras_device, numpy_of  # noqa: F401  (keras_device: an autouse fixture)
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn


def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16.0).astype("float32"), y


# --- q1: building models ------------------------------------------------------------------
def test_build_mlp_shapes_and_parameters(answers, verdict):
    model = answers.build_keras_mlp(20, [16, 8], 5, seed=0)
    assert isinstance(model, keras.Model), "build_keras_mlp must return a keras.Model (keras.Sequential is one)"
    out = numpy_of(model(np.zeros((3, 20), "float32")), "model output")
    verdict.equal("output shape", list(out.shape), expected=[3, 5])
    # Dense(in, out) holds in*out + out parameters
    verdict.equal("parameters", model.count_params(), expected=(20 * 16 + 16) + (16 * 8 + 8) + (8 * 5 + 5))
    kinds = ",".join(type(layer).__name__ for layer in model.layers)
    verdict.equal("layers", kinds, expected="Dense,Dense,Dense")
    acts = [layer.get_config()["activation"] for layer in model.layers]
    verdict.equal("activations", ",".join(acts), expected="relu,relu,linear")  # logits out: no softmax
    single = answers.build_keras_mlp(4, 3, 2)  # one hidden width given as an int
    verdict.equal("parameters, int hidden", single.count_params(), expected=(4 * 3 + 3) + (3 * 2 + 2))


def test_build_same_seed_same_weights(answers, verdict):
    first = flat_weights(answers.build_keras_mlp(12, [10], 4, seed=3))
    answers.build_keras_mlp(12, [10], 4, seed=99)  # something random in between must not matter
    again = flat_weights(answers.build_keras_mlp(12, [10], 4, seed=3))
    other = flat_weights(answers.build_keras_mlp(12, [10], 4, seed=4))
    # the same seed draws the same numbers (bit for bit, measured); 1e-6 is float32 rounding, a late seed misses by O(0.1)
    verdict.same("same seed, same weights", again, first, rtol=1e-6, atol=1e-7)
    assert not np.array_equal(first, other), "seeds 3 and 4 gave the same weights: is the seed used?"
    assert np.any(first != 0), "all weights are zero"


def test_build_cnn_shapes_and_parameters(answers, verdict):
    model = answers.build_keras_cnn((8, 8, 1), (4, 6), 3, seed=0)
    out = numpy_of(model(np.zeros((2, 8, 8, 1), "float32")), "model output")
    verdict.equal("output shape", list(out.shape), expected=[2, 3])
    # Conv2D(c_in -> f, 3x3) holds 3*3*c_in*f + f parameters
    verdict.equal("parameters", model.count_params(), expected=(9 * 1 * 4 + 4) + (9 * 4 * 6 + 6) + (6 * 3 + 3))
    kinds = ",".join(type(layer).__name__ for layer in model.layers)
    verdict.equal("layers", kinds,
                  expected="Conv2D,MaxPooling2D,Conv2D,MaxPooling2D,GlobalAveragePooling2D,Dense")
    again = flat_weights(answers.build_keras_cnn((8, 8, 1), (4, 6), 3, seed=0))
    verdict.same("same seed, same weights", again, flat_weights(model), rtol=1e-6, atol=1e-7)  # as for the MLP


# --- q2: a custom layer -------------------------------------------------------------------
def standardized(x, mean, var, eps):
    return (x - mean) / np.sqrt(var + eps)


def test_standardize_adapt_matches_numpy(answers, verdict):
    rng = np.random.default_rng(0)
    data = rng.normal(3.0, 2.0, size=(200, 5)).astype("float32")
    layer = answers.Standardize()
    layer.adapt(data)
    x = rng.normal(3.0, 2.0, size=(7, 5)).astype("float32")
    mean, var = data.astype(float).mean(axis=0), data.astype(float).var(axis=0)  # population variance
    # float32 arithmetic: ~1e-7 relative; 1e-5 leaves room for a different summation order
    verdict.close("outputs", numpy_of(layer(x), "layer output"), expected=standardized(x, mean, var, 1e-6),
                  rtol=1e-5, atol=1e-5)
    names = sorted(w.name for w in layer.weights)
    verdict.equal("weights", ",".join(names), expected="mean,variance")
    verdict.equal("trainable weights", len(layer.trainable_weights), expected=0)  # optimizers must not move them


def test_standardize_images_per_channel(answers, verdict):
    rng = np.random.default_rng(1)
    images = rng.normal(size=(30, 4, 4, 3)).astype("float32") * np.array([1.0, 5.0, 0.1], "float32")
    layer = answers.Standardize(epsilon=1e-3)
    layer.adapt(images)
    mean, var = images.astype(float).mean(axis=(0, 1, 2)), images.astype(float).var(axis=(0, 1, 2))
    verdict.close("outputs", numpy_of(layer(images[:2]), "layer output"),
                  expected=standardized(images[:2], mean, var, 1e-3), rtol=1e-5, atol=1e-5)


def test_standardize_config_round_trip(answers, verdict):
    rng = np.random.default_rng(2)
    data = rng.uniform(0, 10, size=(100, 6)).astype("float32")
    layer = answers.Standardize(epsilon=0.5)
    layer.adapt(data)
    config = layer.get_config()
    json.dumps(config)  # a config must be plain JSON: lists, numbers, strings
    clone = answers.Standardize.from_config(config)  # no weights copied: the config alone must suffice
    x = data[:4]
    mean, var = data.astype(float).mean(axis=0), data.astype(float).var(axis=0)
    verdict.close("clone outputs", numpy_of(clone(x), "clone output"), expected=standardized(x, mean, var, 0.5),
                  rtol=1e-5, atol=1e-5)


def test_standardize_survives_save_and_load(answers, verdict, tmp_path):
    rng = np.random.default_rng(3)
    mean, var = rng.normal(size=4), rng.uniform(0.5, 2.0, size=4)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), answers.Standardize(mean=mean, variance=var), keras.layers.Dense(2)])
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)  # no custom_objects: the registration must find the class
    x = rng.normal(size=(5, 4)).astype("float32")
    kernel, bias = (numpy_of(w, "Dense weight") for w in model.layers[-1].get_weights())
    expected = standardized(x, mean, var, 1e-6) @ kernel + bias
    verdict.close("reloaded outputs", numpy_of(loaded(x), "model output"), expected=expected, rtol=1e-5, atol=1e-5)
    verdict.equal("reloaded class", type(loaded.layers[0]).__name__, expected="Standardize")


# --- q3: porting weights ------------------------------------------------------------------
def test_port_mlp_matches_torch(answers, verdict, device):
    torch.manual_seed(0)
    twin = helpers.torch_mlp([6, 9, 4], ["relu", None]).to(device)
    model = helpers.keras_mlp([6, 9, 4], ["relu", None])
    answers.port_torch_to_keras(twin, model)
    x = np.random.default_rng(4).normal(size=(8, 6)).astype("float32")
    expected = helpers.torch_outputs(twin, x, device)
    # measured ~1e-7 in float32; a missing transpose fails on shapes or misses by O(1)
    verdict.close("keras outputs", numpy_of(model(x), "model output"), expected=expected, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError):
        answers.port_torch_to_keras(twin, helpers.keras_mlp([6, 4], [None]))  # two torch layers, one Keras layer


def test_port_cnn_matches_torch(answers, verdict, device):
    torch.manual_seed(1)
    # nested as most PyTorch code is (features: blocks of Sequentials, then a head): walk modules(), not children()
    twin = helpers.NestedCNN(2, [5], 3).to(device)
    model = helpers.keras_cnn((6, 6, 2), [5], 3)
    answers.port_torch_to_keras(twin, model)
    x = np.random.default_rng(5).normal(size=(4, 6, 6, 2)).astype("float32")  # channels last for Keras
    expected = helpers.torch_outputs(twin, x, device, channels_last=True)
    # float32 convolutions summed in another order: ~1e-7 measured; .T (WHIO) misses by ~0.05
    verdict.close("keras outputs", numpy_of(model(x), "model output"), expected=expected, rtol=1e-5, atol=1e-5)
    kernel = numpy_of(model.layers[0].get_weights()[0], "Conv2D kernel")
    # a copy, no arithmetic: exact
    verdict.close("kernel (H, W, in, out)", kernel,
                  expected=twin.features[0][0].weight.detach().cpu().numpy().transpose(2, 3, 1, 0), rtol=0, atol=0)


# --- q4: compile, fit, callbacks ----------------------------------------------------------
def test_train_early_stopping_configuration(answers, verdict):
    es = answers.make_early_stopping(answers.TrainConfig(patience=4, min_delta=0.01))
    assert isinstance(es, keras.callbacks.EarlyStopping)
    verdict.equal("monitor", es.monitor, expected="val_loss")
    verdict.equal("patience", es.patience, expected=4)
    verdict.close("min_delta", es.min_delta, expected=0.01, rtol=1e-12)
    verdict.equal("mode, restore_best_weights", f"{es.mode}, {bool(es.restore_best_weights)}", expected="min, True")
    no_val = answers.make_early_stopping(answers.TrainConfig(validation_split=0.0))
    verdict.equal("monitor without validation", no_val.monitor, expected="loss")


def test_train_returns_history_and_counts_steps(answers, verdict):
    X, y = digits()
    model = helpers.small_model(64, 10)
    cfg = answers.TrainConfig(epochs=3, batch_size=32, learning_rate=1e-2, validation_split=0.25, patience=5)
    history = answers.train_keras(model, X[:200], y[:200], cfg)
    assert isinstance(history, keras.callbacks.History), "return what model.fit returns"
    for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
        assert key in history.history, f"History has no {key!r}: compile with metrics=['accuracy'] and validate"
    # 200 * (1 - 0.25) = 150 examples to fit, ceil(150 / 32) = 5 steps per epoch, 3 epochs
    verdict.equal("optimizer steps", int(model.optimizer.iterations), expected=3 * math.ceil(150 / 32))
    verdict.close("learning rate", float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)),
                  expected=1e-2, rtol=1e-6)
    assert history.history["loss"][-1] < history.history["loss"][0], "the training loss did not go down"


def test_train_early_stopping_restores_best_weights(answers, verdict):
    rng = np.random.default_rng(6)
    X = rng.normal(size=(120, 10)).astype("float32")
    y = rng.integers(0, 3, size=120)  # random labels: validation loss soon rises, so training must stop
    model = helpers.small_model(10, 3, seed=1)
    cfg = answers.TrainConfig(epochs=40, batch_size=16, learning_rate=3e-2, validation_split=0.25,
                              patience=2, min_delta=1e-3)
    history = answers.train_keras(model, X, y, cfg)
    val_loss = history.history["val_loss"]
    best_epoch, epochs_run = helpers.replay_early_stopping(val_loss, cfg.min_delta, cfg.patience)
    verdict.equal("epochs run", len(val_loss), expected=epochs_run)
    assert epochs_run < cfg.epochs, "training never stopped early on random labels"
    # the model must hold its best epoch's weights: evaluating it on the validation part gives that loss
    split = int(math.floor(120 * (1 - 0.25)))
    restored = model.evaluate(X[split:], y[split:], batch_size=16, verbose=0)[0]
    verdict.close("validation loss after training", restored, expected=val_loss[best_epoch], rtol=1e-4, atol=1e-5)


def test_train_seeded_fits_are_identical(answers, verdict):
    X, y = digits()
    cfg = answers.TrainConfig(epochs=2, batch_size=32, seed=5)
    runs = []
    for _ in range(2):
        model = helpers.small_model(64, 10, seed=2)
        np.random.seed(len(runs))  # disturb the global state: train_keras must seed itself
        runs.append(answers.train_keras(model, X[:160], y[:160], cfg).history["loss"])
    # the same seed, data and initial weights repeat the run exactly (measured); 1e-6 is float32 rounding, while an
    # unseeded shuffle changes the first epoch's loss by ~1e-2
    verdict.same("second run's losses", runs[1], runs[0], rtol=1e-6, atol=1e-7)


# --- q5: accuracy on a budget -------------------------------------------------------------
def test_accuracy_digits_within_100_steps(answers, verdict):
    X, y = digits()
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    model = answers.build_keras_mlp(64, [64], 10, seed=0)
    answers.train_keras(model, Xtr, ytr, answers.TrainConfig(epochs=6, batch_size=64, learning_rate=1e-2))
    steps = int(model.optimizer.iterations)
    # 1257 * 0.8 -> 1005 examples to fit, 16 steps per epoch, 6 epochs (fewer if it stopped early)
    assert steps <= 100, f"{steps} optimizer steps; the budget is 100"
    verdict.equal("optimizer steps", steps, expected=6 * math.ceil(math.floor(len(ytr) * 0.8) / 64))
    pred = np.argmax(numpy_of(model.predict(Xte, verbose=0), "predict"), axis=1)
    # the reference reaches ~0.96 here; below 0.9 something is wrong with the model or the loss
    verdict.accuracy("digits accuracy", pred, y_true=yte, minimum=0.90)


# --- q6: a Keras model in a PyTorch loop --------------------------------------------------
def test_torchloop_keras_model_is_a_torch_module(answers, verdict, device):
    X, y = digits()
    X, y = X[:100], y[:100]
    model = helpers.small_model(64, 10, seed=3)
    assert isinstance(model, torch.nn.Module), "Keras 3 on the torch backend: every model is an nn.Module"
    # the oracle: a pure-torch twin with the same weights, trained by the same SGD loop
    kernel1, bias1, kernel2, bias2 = (torch.tensor(numpy_of(w, "weight")) for w in model.get_weights())
    twin = nn.Sequential(nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 10)).to(device)
    with torch.no_grad():
        for layer, k, b in ((twin[0], kernel1, bias1), (twin[2], kernel2, bias2)):
            layer.weight.copy_(k.T)
            layer.bias.copy_(b)
    opt = torch.optim.SGD(twin.parameters(), lr=0.5)
    xt, yt = torch.tensor(X, device=device), torch.tensor(y, device=device)
    expected = []
    for _ in range(15):
        opt.zero_grad()
        loss = F.cross_entropy(twin(xt), yt)
        loss.backward()
        opt.step()
        expected.append(loss.item())
    losses = answers.torch_loop_on_keras(model, X, y, 15, lr=0.5)
    # float32 on both sides, same operations: measured agreement ~1e-7
    verdict.close("losses", losses, expected=expected, rtol=1e-4, atol=1e-6)
    assert losses[-1] < losses[0], "the loss did not go down"
    verdict.close("Keras sees the trained kernel", numpy_of(model.get_weights()[2], "kernel"),
                  expected=twin[2].weight.detach().cpu().numpy().T, rtol=1e-4, atol=1e-5)
