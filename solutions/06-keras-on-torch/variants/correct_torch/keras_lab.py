"""Lab 06: Keras 3 on the torch backend, and moving weights between frameworks.

Conventions used by every function here:
- Keras runs on PyTorch (KERAS_BACKEND=torch, set below before `import keras`): every Keras layer and
  model is also a `torch.nn.Module`, its variables are torch Parameters, and `model(x)` returns a
  torch.Tensor;
- tabular inputs are float32 arrays (N, D); images are channels-last float32 arrays (N, H, W, C) as
  Keras expects (PyTorch uses (N, C, H, W));
- labels are integers in [0, n_classes); every model ends in raw logits (no softmax), so losses are
  built with `from_logits=True` (Keras) or `F.cross_entropy` (torch).
"""
from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "torch")  # must happen before the first `import keras`

from dataclasses import dataclass
from typing import Sequence

import keras
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


# ---------------------------------------------------------------- q1: models
def build_keras_mlp(input_dim: int, hidden: int | Sequence[int], n_classes: int, seed: int = 0) -> keras.Model:
    """A Sequential MLP: Input((input_dim,)) -> Dense(h, "relu") for each h in hidden -> Dense(n_classes).

    The last layer has no activation: the model returns logits. `hidden` is one width or a sequence of
    widths (possibly empty).

    Reproducibility: call `keras.utils.set_random_seed(seed)` FIRST, then create the layers in the order
    above with Keras' default initializers (glorot_uniform kernels, zero biases). Keras initializers draw
    their own seeds from Python's `random` when they are created, so a seed set after the layers exist
    comes too late: the same `seed` must always give the same weights.
    """
    keras.utils.set_random_seed(seed)
    try:
        widths = list(hidden)
    except TypeError:
        widths = [hidden]
    model = keras.Sequential()
    model.add(keras.Input(shape=(input_dim,)))
    for width in widths:
        model.add(keras.layers.Dense(units=int(width), activation="relu"))
    model.add(keras.layers.Dense(units=n_classes, activation=None))
    return model


def build_keras_cnn(input_shape: tuple[int, int, int] = (8, 8, 1), filters: Sequence[int] = (8, 16),
                    n_classes: int = 10, seed: int = 0) -> keras.Model:
    """A Sequential CNN for channels-last images of shape input_shape = (H, W, C).

    Input(input_shape) -> for each f in filters: Conv2D(f, 3, padding="same", activation="relu"),
    MaxPooling2D(2) -> GlobalAveragePooling2D() -> Dense(n_classes) (logits).

    Its PyTorch twin (same weights after port_torch_to_keras) is, on (N, C, H, W) inputs:
    for each f: Conv2d(c_in, f, 3, padding=1), ReLU, MaxPool2d(2); then AdaptiveAvgPool2d(1), Flatten,
    Linear(filters[-1], n_classes). Seed exactly as build_keras_mlp: set_random_seed(seed) first.
    """
    keras.utils.set_random_seed(seed)
    model = keras.Sequential()
    model.add(keras.Input(shape=tuple(input_shape)))
    for n_filters in filters:
        model.add(keras.layers.Conv2D(filters=int(n_filters), kernel_size=(3, 3), padding="same", activation="relu"))
        model.add(keras.layers.MaxPooling2D(pool_size=(2, 2)))
    model.add(keras.layers.GlobalAveragePooling2D())
    model.add(keras.layers.Dense(units=n_classes))
    return model


# ---------------------------------------------------------------- q2: a custom, serializable layer
@keras.saving.register_keras_serializable(package="labkit")
class Standardize(keras.layers.Layer):
    """y = (x - mean) / sqrt(variance + epsilon), per feature on the LAST axis.

    Statistics come either from the constructor (`mean`, `variance`: sequences or arrays of length d)
    or from `adapt(data)`, which computes them over every axis but the last (population variance,
    ddof=0), like keras.layers.Normalization. Before either, mean = 0 and variance = 1.

    Keep the statistics as NON-trainable weights named "mean" and "variance" (shape (d,), float32),
    created in `build`, so that `model.save("m.keras")` stores them and optimizers leave them alone.

    Serialization: `get_config()` must return everything needed to rebuild an equivalent layer from
    the config alone, including the current statistics as plain lists (None when there are none), and
    `from_config(config)` must turn them back into a layer. The class is registered with
    `@keras.saving.register_keras_serializable(package="labkit")`, so `keras.saving.load_model` finds
    it without `custom_objects`.
    """

    def __init__(self, mean=None, variance=None, epsilon: float = 1e-6, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon
        self._pending = {
            "mean": None if mean is None else torch.as_tensor(np.array(mean, dtype=np.float32)).flatten(),
            "variance": None if variance is None else torch.as_tensor(np.array(variance, dtype=np.float32)).flatten(),
        }

    def build(self, input_shape):
        features = input_shape[-1]
        self.mean = self.add_weight(shape=(features,), initializer="zeros", dtype="float32",
                                    trainable=False, name="mean")
        self.variance = self.add_weight(shape=(features,), initializer="ones", dtype="float32",
                                        trainable=False, name="variance")
        for var, key in ((self.mean, "mean"), (self.variance, "variance")):
            value = self._pending[key]
            if value is not None:
                if tuple(value.shape) != (features,):
                    raise ValueError(f"{key} has shape {tuple(value.shape)}, expected ({features},)")
                var.assign(value)

    def adapt(self, data) -> None:
        """Set mean and variance from data (array-like, (..., d)); builds the layer if needed."""
        t = data if isinstance(data, torch.Tensor) else torch.as_tensor(np.asarray(data))
        t = t.detach().to("cpu", torch.float64)
        if t.ndim == 1:
            t = t[:, None]
        dims = tuple(range(t.ndim - 1))
        mean = t.mean(dim=dims)
        var = ((t - mean) ** 2).mean(dim=dims)
        if not self.built:
            self.build(tuple(t.shape))
        self.mean.assign(mean.to(torch.float32))
        self.variance.assign(var.to(torch.float32))
        self._pending = {"mean": mean.to(torch.float32), "variance": var.to(torch.float32)}

    def call(self, x):
        x = keras.ops.convert_to_tensor(x, dtype="float32")
        centered = keras.ops.subtract(x, self.mean)
        scale = keras.ops.rsqrt(keras.ops.add(self.variance, self.epsilon))
        return keras.ops.multiply(centered, scale)

    def get_config(self) -> dict:
        base = super().get_config()
        if self.built:
            mean = keras.ops.convert_to_numpy(self.mean).astype(np.float32).tolist()
            variance = keras.ops.convert_to_numpy(self.variance).astype(np.float32).tolist()
        else:
            m, v = self._pending["mean"], self._pending["variance"]
            mean = None if m is None else m.tolist()
            variance = None if v is None else v.tolist()
        return {**base, "mean": mean, "variance": variance, "epsilon": self.epsilon}

    @classmethod
    def from_config(cls, config: dict) -> "Standardize":
        config = dict(config)
        mean = config.pop("mean", None)
        variance = config.pop("variance", None)
        epsilon = config.pop("epsilon", 1e-6)
        return cls(mean=mean, variance=variance, epsilon=epsilon, **config)


# ---------------------------------------------------------------- q3: torch -> Keras weights
def port_torch_to_keras(torch_model: nn.Module, keras_model: keras.Model) -> keras.Model:
    """Copy the weights of every nn.Linear and nn.Conv2d of torch_model into the Keras model, in order.

    Pair the torch layers (in `torch_model.modules()` order) with the Keras layers that hold weights
    (in `keras_model.layers` order, skipping layers without weights: pooling, flatten, activations).
    Raise ValueError when the counts or kinds do not match (Linear <-> Dense, Conv2d <-> Conv2D).

    Layouts differ between the frameworks:
        nn.Linear.weight  (out, in)                 -> Dense.kernel  (in, out):   transpose
        nn.Conv2d.weight  (out, in, kh, kw)  "OIHW" -> Conv2D.kernel (kh, kw, in, out) "HWIO"
        biases (out,) are the same in both.
    Do the conversion with explicit axes (numpy transpose with an axis order, or torch permute):
    `.T` on a 4-d array reverses all axes (giving WHIO) and a reshape keeps the wrong memory order;
    both have the right shape and give wrong outputs. Returns keras_model (modified in place).
    """
    torch_layers = []
    for module in torch_model.modules():
        if isinstance(module, (nn.Linear, nn.Conv2d)):
            torch_layers.append(module)
    keras_layers = []
    for layer in keras_model.layers:
        if layer.weights:
            keras_layers.append(layer)
    if len(torch_layers) != len(keras_layers):
        raise ValueError(f"cannot pair {len(torch_layers)} torch layers with {len(keras_layers)} Keras layers")
    pairs = []
    for tl, kl in zip(torch_layers, keras_layers):
        if isinstance(tl, nn.Linear):
            if not isinstance(kl, keras.layers.Dense):
                raise ValueError(f"nn.Linear paired with {type(kl).__name__}")
            kernel = tl.weight.detach().permute(1, 0)
        else:
            if not isinstance(kl, keras.layers.Conv2D):
                raise ValueError(f"nn.Conv2d paired with {type(kl).__name__}")
            kernel = tl.weight.detach().permute(2, 3, 1, 0)
        if tuple(kernel.shape) != tuple(kl.kernel.shape):
            raise ValueError(f"kernel shape {tuple(kernel.shape)} vs {tuple(kl.kernel.shape)}")
        has_bias = tl.bias is not None
        keras_bias = getattr(kl, "bias", None)
        if has_bias != (keras_bias is not None):
            raise ValueError("bias present in one framework only")
        if has_bias and tuple(tl.bias.shape) != tuple(keras_bias.shape):
            raise ValueError("bias shape mismatch")
        pairs.append((tl, kl, kernel))
    for tl, kl, kernel in pairs:
        kl.kernel.assign(kernel.cpu().contiguous().numpy())
        if tl.bias is not None:
            kl.bias.assign(tl.bias.detach().cpu().numpy())
    return keras_model


# ---------------------------------------------------------------- q4: compile, fit, callbacks
@dataclass
class TrainConfig:
    """Everything train_keras needs besides the model and the data."""

    epochs: int = 20
    batch_size: int = 64
    learning_rate: float = 1e-2      # Adam
    validation_split: float = 0.2    # Keras holds out the LAST 20% of X (before shuffling)
    patience: int = 3                # EarlyStopping: epochs without improvement before stopping
    min_delta: float = 1e-3          # EarlyStopping: smaller improvements do not count
    seed: int = 0


def make_early_stopping(cfg: TrainConfig) -> keras.callbacks.EarlyStopping:
    """keras.callbacks.EarlyStopping watching "val_loss" (or "loss" when cfg.validation_split == 0),
    mode "min", with cfg.patience and cfg.min_delta, and restore_best_weights=True: after training,
    the model holds the weights of its best epoch, not of its last one."""
    has_val = cfg.validation_split is not None and cfg.validation_split > 0
    return keras.callbacks.EarlyStopping(
        monitor="val_loss" if has_val else "loss",
        min_delta=cfg.min_delta,
        patience=cfg.patience,
        mode="min",
        restore_best_weights=True,
    )


def train_keras(model: keras.Model, X: np.ndarray, y: np.ndarray, cfg: TrainConfig) -> keras.callbacks.History:
    """Compile and fit a logits model; returns the History that fit returns.

    1. keras.utils.set_random_seed(cfg.seed) (fit's shuffling then repeats exactly);
    2. compile with keras.optimizers.Adam(cfg.learning_rate),
       keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"];
    3. fit on float32 X and integer y with cfg.batch_size, cfg.epochs, cfg.validation_split,
       shuffle=True, callbacks=[make_early_stopping(cfg)], verbose=0.
    Budget training by optimizer steps: each epoch takes ceil(n_fit / batch_size) of them, where
    n_fit = number of examples left after the validation split; `model.optimizer.iterations` counts them.
    """
    import math

    keras.utils.set_random_seed(cfg.seed)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=cfg.learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    X = np.asarray(X).astype(np.float32)
    y = np.asarray(y).astype(np.int32)
    split = cfg.validation_split or 0.0
    kwargs = {}
    if split > 0:
        # same deterministic split as Keras' validation_split: the last part is held out
        n_fit = int(math.floor(len(X) * (1.0 - split)))
        if n_fit == 0 or n_fit == len(X):
            raise ValueError("validation_split leaves no training or no validation data")
        kwargs["validation_data"] = (X[n_fit:], y[n_fit:])
        X, y = X[:n_fit], y[:n_fit]
    return model.fit(X, y, batch_size=cfg.batch_size, epochs=cfg.epochs, shuffle=True,
                     callbacks=[make_early_stopping(cfg)], verbose=0, **kwargs)


# ---------------------------------------------------------------- q5: Keras model, torch loop
def torch_loop_on_keras(model: keras.Model, X, y, steps: int, lr: float = 0.1) -> list[float]:
    """Train a Keras model with a plain PyTorch loop: it IS a torch.nn.Module on this backend.

    torch.optim.SGD over the model's trainable torch parameters (`p.requires_grad`), lr=lr; X and y go
    to the device of those parameters as float32 / int64 tensors. `steps` full-batch steps, each:
    zero_grad, logits = model(X, training=True), F.cross_entropy(logits, y), backward, step.
    Returns the `steps` losses (Python floats), each measured before its step. Keras sees the new
    weights afterwards (model.get_weights(), model.predict) because they are the same tensors.
    """
    params = list(filter(lambda p: p.requires_grad, model.parameters()))
    device = params[0].device
    if isinstance(X, torch.Tensor):
        xs = X.detach().to(device=device, dtype=torch.float32)
    else:
        xs = torch.tensor(np.asarray(X, dtype=np.float32), device=device)
    if isinstance(y, torch.Tensor):
        ys = y.detach().to(device=device, dtype=torch.int64)
    else:
        ys = torch.tensor(np.asarray(y, dtype=np.int64), device=device)
    optimizer = torch.optim.SGD(params, lr=lr)
    criterion = nn.CrossEntropyLoss()
    history = []
    step = 0
    while step < steps:
        optimizer.zero_grad(set_to_none=True)
        out = model(xs, training=True)
        loss = criterion(out, ys)
        history.append(loss.item())
        loss.backward()
        optimizer.step()
        step += 1
    return history
