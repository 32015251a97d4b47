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
def _widths(hidden) -> list[int]:
    if isinstance(hidden, (int, np.integer)):
        return [int(hidden)]
    return [int(h) for h in hidden]


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
    layers = [keras.Input((int(input_dim),))]
    for h in _widths(hidden):
        layers.append(keras.layers.Dense(h, activation="relu"))
    layers.append(keras.layers.Dense(int(n_classes)))
    return keras.Sequential(layers)


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
    layers = [keras.Input(tuple(int(s) for s in input_shape))]
    for f in filters:
        layers.append(keras.layers.Conv2D(int(f), 3, padding="same", activation="relu"))
        layers.append(keras.layers.MaxPooling2D(2))
    layers.append(keras.layers.GlobalAveragePooling2D())
    layers.append(keras.layers.Dense(int(n_classes)))
    return keras.Sequential(layers)


# ---------------------------------------------------------------- q2: a custom, serializable layer
def _as_list(v):
    if v is None:
        return None
    return [float(a) for a in np.asarray(v, dtype="float32").reshape(-1)]


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
        self._init_mean = None if mean is None else np.asarray(mean, dtype="float32").reshape(-1)
        self._init_variance = None if variance is None else np.asarray(variance, dtype="float32").reshape(-1)
        self.epsilon = float(epsilon)
        self.mean = None
        self.variance = None

    def build(self, input_shape):
        d = int(input_shape[-1])
        mean0 = self._init_mean if self._init_mean is not None else np.zeros((d,), "float32")
        var0 = self._init_variance if self._init_variance is not None else np.ones((d,), "float32")
        if mean0.shape != (d,) or var0.shape != (d,):
            raise ValueError(f"Standardize: statistics of length {mean0.shape}/{var0.shape}, input has {d} features")
        self.mean = self.add_weight(name="mean", shape=(d,), dtype="float32",
                                    initializer=keras.initializers.Constant(mean0), trainable=False)
        self.variance = self.add_weight(name="variance", shape=(d,), dtype="float32",
                                        initializer=keras.initializers.Constant(var0), trainable=False)
        self.mean.assign(mean0)
        self.variance.assign(var0)
        super().build(input_shape)

    def adapt(self, data) -> None:
        """Set mean and variance from data (array-like, (..., d)); builds the layer if needed."""
        if isinstance(data, torch.Tensor):
            data = data.detach().cpu().numpy()
        arr = np.asarray(data, dtype="float64")
        if arr.ndim == 1:
            arr = arr.reshape(-1, 1)
        flat = arr.reshape(-1, arr.shape[-1])
        mean = flat.mean(axis=0)
        var = flat.var(axis=0, ddof=0)
        if not self.built:
            self.build((None,) + arr.shape[1:])
        self.mean.assign(mean.astype("float32"))
        self.variance.assign(var.astype("float32"))

    def call(self, x):
        x = keras.ops.cast(x, "float32")
        return (x - self.mean) / keras.ops.sqrt(self.variance + self.epsilon)

    def get_config(self) -> dict:
        config = super().get_config()
        if self.built:
            mean = _as_list(keras.ops.convert_to_numpy(self.mean))
            var = _as_list(keras.ops.convert_to_numpy(self.variance))
        else:
            mean = _as_list(self._init_mean)
            var = _as_list(self._init_variance)
        config.update({"mean": mean, "variance": var, "epsilon": self.epsilon})
        return config

    @classmethod
    def from_config(cls, config: dict) -> "Standardize":
        return cls(**dict(config))


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
    t_layers = [m for m in torch_model.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
    k_layers = [l for l in keras_model.layers if len(l.weights) > 0]
    if len(t_layers) != len(k_layers):
        raise ValueError(f"{len(t_layers)} torch Linear/Conv2d layers but {len(k_layers)} Keras layers with weights")
    plan = []
    for t, k in zip(t_layers, k_layers):
        w = t.weight.detach().cpu().numpy()
        if isinstance(t, nn.Linear) and isinstance(k, keras.layers.Dense):
            kernel = np.transpose(w, (1, 0))
        elif isinstance(t, nn.Conv2d) and isinstance(k, keras.layers.Conv2D):
            kernel = np.transpose(w, (2, 3, 1, 0))
        else:
            raise ValueError(f"kind mismatch: torch {type(t).__name__} vs Keras {type(k).__name__}")
        new = [kernel]
        if t.bias is not None:
            new.append(t.bias.detach().cpu().numpy())
        old = k.get_weights()
        if len(old) != len(new) or any(a.shape != b.shape for a, b in zip(old, new)):
            raise ValueError(f"shape mismatch for {k.name}: Keras {[a.shape for a in old]} "
                             f"vs torch {[b.shape for b in new]}")
        plan.append((k, new))
    for k, new in plan:
        k.set_weights(new)
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
    monitor = "val_loss" if cfg.validation_split else "loss"
    return keras.callbacks.EarlyStopping(monitor=monitor, mode="min", patience=cfg.patience,
                                         min_delta=cfg.min_delta, restore_best_weights=True)


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
    keras.utils.set_random_seed(cfg.seed)
    model.compile(optimizer=keras.optimizers.Adam(cfg.learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    X = np.asarray(X, dtype="float32")
    y = np.asarray(y).astype("int64")
    return model.fit(X, y, batch_size=cfg.batch_size, epochs=cfg.epochs,
                     validation_split=cfg.validation_split, shuffle=True,
                     callbacks=[make_early_stopping(cfg)], verbose=0)


# ---------------------------------------------------------------- q5: Keras model, torch loop
def torch_loop_on_keras(model: keras.Model, X, y, steps: int, lr: float = 0.1) -> list[float]:
    """Train a Keras model with a plain PyTorch loop: it IS a torch.nn.Module on this backend.

    torch.optim.SGD over the model's trainable torch parameters (`p.requires_grad`), lr=lr; X and y go
    to the device of those parameters as float32 / int64 tensors. `steps` full-batch steps, each:
    zero_grad, logits = model(X, training=True), F.cross_entropy(logits, y), backward, step.
    Returns the `steps` losses (Python floats), each measured before its step. Keras sees the new
    weights afterwards (model.get_weights(), model.predict) because they are the same tensors.
    """
    params = [p for p in model.parameters() if p.requires_grad]
    device = params[0].device
    Xt = torch.as_tensor(np.asarray(X, dtype="float32") if not isinstance(X, torch.Tensor) else X)
    Xt = Xt.to(device=device, dtype=torch.float32)
    yt = torch.as_tensor(np.asarray(y) if not isinstance(y, torch.Tensor) else y).to(device=device, dtype=torch.int64)
    opt = torch.optim.SGD(params, lr=lr)
    losses: list[float] = []
    for _ in range(int(steps)):
        opt.zero_grad()
        logits = model(Xt, training=True)
        loss = F.cross_entropy(logits, yt)
        loss.backward()
        opt.step()
        losses.append(float(loss.item()))
    return losses
