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
    widths = [hidden] if isinstance(hidden, (int, np.integer)) else list(hidden)
    return keras.Sequential(
        [keras.layers.InputLayer(shape=(input_dim,))]
        + [keras.layers.Dense(w, activation="relu") for w in widths]
        + [keras.layers.Dense(n_classes)]
    )


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
    blocks = []
    for f in filters:
        blocks += [keras.layers.Conv2D(f, 3, padding="same", activation="relu"), keras.layers.MaxPooling2D(2)]
    return keras.Sequential(
        [keras.layers.InputLayer(shape=tuple(input_shape))] + blocks
        + [keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(n_classes)]
    )


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
        self.init_mean = None if mean is None else [float(v) for v in np.ravel(mean)]
        self.init_variance = None if variance is None else [float(v) for v in np.ravel(variance)]

    def build(self, input_shape):
        d = int(input_shape[-1])
        self.mean = self.add_weight(name="mean", shape=(d,), initializer="zeros", trainable=False, dtype="float32")
        self.variance = self.add_weight(name="variance", shape=(d,), initializer="ones", trainable=False, dtype="float32")
        if self.init_mean is not None:
            self.mean.assign(np.asarray(self.init_mean, dtype=np.float32).reshape(d))
        if self.init_variance is not None:
            self.variance.assign(np.asarray(self.init_variance, dtype=np.float32).reshape(d))
        self.built = True

    def adapt(self, data) -> None:
        """Set mean and variance from data (array-like, (..., d)); builds the layer if needed."""
        x = keras.ops.convert_to_tensor(np.asarray(data, dtype=np.float32) if not isinstance(data, torch.Tensor)
                                        else data.detach().float().cpu())
        if len(x.shape) == 1:
            x = keras.ops.expand_dims(x, -1)
        axes = tuple(range(len(x.shape) - 1))
        mean = keras.ops.mean(x, axis=axes)
        var = keras.ops.mean(keras.ops.square(x - mean), axis=axes)   # two-pass, ddof=0
        if not self.built:
            self.build(tuple(x.shape))
        self.mean.assign(mean)
        self.variance.assign(var)

    def call(self, x):
        return keras.ops.divide(keras.ops.subtract(x, self.mean),
                                keras.ops.sqrt(keras.ops.add(self.variance, self.epsilon)))

    def get_config(self) -> dict:
        config = super().get_config()
        if self.built:
            config["mean"] = [float(v) for v in keras.ops.convert_to_numpy(self.mean)]
            config["variance"] = [float(v) for v in keras.ops.convert_to_numpy(self.variance)]
        else:
            config["mean"] = None if self.init_mean is None else list(self.init_mean)
            config["variance"] = None if self.init_variance is None else list(self.init_variance)
        config["epsilon"] = self.epsilon
        return config

    @classmethod
    def from_config(cls, config: dict) -> "Standardize":
        return cls(**config)


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
    sources = [m for m in torch_model.modules() if type(m) in (nn.Linear, nn.Conv2d) or isinstance(m, (nn.Linear, nn.Conv2d))]
    targets = [layer for layer in keras_model.layers if len(layer.weights)]
    if len(sources) != len(targets):
        raise ValueError(f"layer count mismatch: torch {len(sources)}, keras {len(targets)}")
    expected = {nn.Linear: keras.layers.Dense, nn.Conv2d: keras.layers.Conv2D}
    order = {nn.Linear: (1, 0), nn.Conv2d: (2, 3, 1, 0)}
    with torch.no_grad():
        for src, dst in zip(sources, targets):
            base = nn.Linear if isinstance(src, nn.Linear) else nn.Conv2d
            if not isinstance(dst, expected[base]):
                raise ValueError(f"{type(src).__name__} cannot go into {type(dst).__name__}")
            kernel = src.weight.permute(*order[base])
            if tuple(kernel.shape) != tuple(dst.kernel.shape):
                raise ValueError(f"{dst.name}: kernel {tuple(dst.kernel.shape)} vs torch {tuple(kernel.shape)}")
            if (src.bias is None) != (getattr(dst, "bias", None) is None):
                raise ValueError(f"{dst.name}: bias in one framework only")
            target = dst.kernel.value
            target.copy_(kernel.to(device=target.device, dtype=target.dtype))
            if src.bias is not None:
                tb = dst.bias.value
                if tuple(tb.shape) != tuple(src.bias.shape):
                    raise ValueError(f"{dst.name}: bias shape mismatch")
                tb.copy_(src.bias.to(device=tb.device, dtype=tb.dtype))
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
    kwargs = dict(monitor="loss" if cfg.validation_split == 0 else "val_loss", mode="min",
                  patience=int(cfg.patience), min_delta=float(cfg.min_delta), restore_best_weights=True)
    return keras.callbacks.EarlyStopping(**kwargs)


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
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer=keras.optimizers.Adam(cfg.learning_rate), loss=loss, metrics=["accuracy"])
    early = make_early_stopping(cfg)
    history = model.fit(
        x=np.ascontiguousarray(X, dtype=np.float32),
        y=np.asarray(y, dtype=np.int64),
        batch_size=cfg.batch_size,
        epochs=cfg.epochs,
        verbose=0,
        callbacks=[early],
        validation_split=cfg.validation_split,
        shuffle=True,
    )
    return history


# ---------------------------------------------------------------- q5: Keras model, torch loop
def torch_loop_on_keras(model: keras.Model, X, y, steps: int, lr: float = 0.1) -> list[float]:
    """Train a Keras model with a plain PyTorch loop: it IS a torch.nn.Module on this backend.

    torch.optim.SGD over the model's trainable torch parameters (`p.requires_grad`), lr=lr; X and y go
    to the device of those parameters as float32 / int64 tensors. `steps` full-batch steps, each:
    zero_grad, logits = model(X, training=True), F.cross_entropy(logits, y), backward, step.
    Returns the `steps` losses (Python floats), each measured before its step. Keras sees the new
    weights afterwards (model.get_weights(), model.predict) because they are the same tensors.
    """
    trainable = [v.value for v in model.trainable_variables]
    trainable = [p for p in trainable if isinstance(p, torch.Tensor) and p.requires_grad] or \
        [p for p in model.parameters() if p.requires_grad]
    dev = trainable[0].device
    inputs = torch.as_tensor(X).to(dev).float() if isinstance(X, torch.Tensor) else \
        torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32)).to(dev)
    targets = torch.as_tensor(np.asarray(y.cpu() if isinstance(y, torch.Tensor) else y)).to(dev).long()
    sgd = torch.optim.SGD(trainable, lr=lr)
    recorded = []
    for _ in range(steps):
        sgd.zero_grad()
        loss = F.cross_entropy(model(inputs, training=True), targets, reduction="mean")
        loss.backward()
        recorded.append(loss.detach())
        sgd.step()
    return [float(v) for v in recorded]
