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
    ### BEGIN SOLUTION
    widths = [hidden] if isinstance(hidden, int) else list(hidden)
    keras.utils.set_random_seed(seed)
    layers = [keras.Input((input_dim,))]
    layers += [keras.layers.Dense(h, activation="relu") for h in widths]
    layers.append(keras.layers.Dense(n_classes))
    return keras.Sequential(layers)
    ### END SOLUTION


def build_keras_cnn(input_shape: tuple[int, int, int] = (8, 8, 1), filters: Sequence[int] = (8, 16),
                    n_classes: int = 10, seed: int = 0) -> keras.Model:
    """A Sequential CNN for channels-last images of shape input_shape = (H, W, C).

    Input(input_shape) -> for each f in filters: Conv2D(f, 3, padding="same", activation="relu"),
    MaxPooling2D(2) -> GlobalAveragePooling2D() -> Dense(n_classes) (logits).

    Its PyTorch twin (same weights after port_torch_to_keras) is, on (N, C, H, W) inputs:
    for each f: Conv2d(c_in, f, 3, padding=1), ReLU, MaxPool2d(2); then AdaptiveAvgPool2d(1), Flatten,
    Linear(filters[-1], n_classes). Seed exactly as build_keras_mlp: set_random_seed(seed) first.
    """
    ### BEGIN SOLUTION
    keras.utils.set_random_seed(seed)
    layers = [keras.Input(tuple(input_shape))]
    for f in filters:
        layers += [keras.layers.Conv2D(f, 3, padding="same", activation="relu"), keras.layers.MaxPooling2D(2)]
    layers += [keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(n_classes)]
    return keras.Sequential(layers)
    ### END SOLUTION


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
        ### BEGIN SOLUTION
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)
        self._init_mean = None if mean is None else np.asarray(mean, dtype="float32").reshape(-1)
        self._init_variance = None if variance is None else np.asarray(variance, dtype="float32").reshape(-1)
        if (self._init_mean is None) != (self._init_variance is None):
            raise ValueError("give both mean and variance, or neither")
        ### END SOLUTION

    def build(self, input_shape):
        ### BEGIN SOLUTION
        d = int(input_shape[-1])
        self.mean = self.add_weight(shape=(d,), initializer="zeros", trainable=False, name="mean")
        self.variance = self.add_weight(shape=(d,), initializer="ones", trainable=False, name="variance")
        if self._init_mean is not None:
            self.mean.assign(self._init_mean)
            self.variance.assign(self._init_variance)
        ### END SOLUTION

    def adapt(self, data) -> None:
        """Set mean and variance from data (array-like, (..., d)); builds the layer if needed."""
        ### BEGIN SOLUTION
        data = np.asarray(data, dtype=np.float64)
        if not self.built:
            self.build(data.shape)
        axes = tuple(range(data.ndim - 1))
        self.mean.assign(data.mean(axis=axes).astype("float32"))
        self.variance.assign(data.var(axis=axes).astype("float32"))
        ### END SOLUTION

    def call(self, x):
        ### BEGIN SOLUTION
        return (x - self.mean) / keras.ops.sqrt(self.variance + self.epsilon)
        ### END SOLUTION

    def get_config(self) -> dict:
        ### BEGIN SOLUTION
        config = super().get_config()
        if self.built:
            mean = keras.ops.convert_to_numpy(self.mean).tolist()
            variance = keras.ops.convert_to_numpy(self.variance).tolist()
        else:
            mean = None if self._init_mean is None else self._init_mean.tolist()
            variance = None if self._init_variance is None else self._init_variance.tolist()
        config.update(mean=mean, variance=variance, epsilon=self.epsilon)
        return config
        ### END SOLUTION

    @classmethod
    def from_config(cls, config: dict) -> "Standardize":
        ### BEGIN SOLUTION
        config = dict(config)
        for key in ("mean", "variance"):
            if config.get(key) is not None:
                config[key] = np.asarray(config[key], dtype="float32")
        return cls(**config)
        ### END SOLUTION


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
    ### BEGIN SOLUTION
    sources = [m for m in torch_model.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
    targets = [layer for layer in keras_model.layers if layer.weights]
    if len(sources) != len(targets):
        raise ValueError(f"{len(sources)} torch layers with weights but {len(targets)} Keras layers")
    for src, dst in zip(sources, targets):
        w = src.weight.detach().cpu().numpy()
        if isinstance(src, nn.Linear) and isinstance(dst, keras.layers.Dense):
            kernel = w.T
        elif isinstance(src, nn.Conv2d) and isinstance(dst, keras.layers.Conv2D):
            kernel = w.transpose(2, 3, 1, 0)  # OIHW -> HWIO
        else:
            raise ValueError(f"cannot port {type(src).__name__} into {type(dst).__name__}")
        bias = [src.bias.detach().cpu().numpy()] if src.bias is not None else []
        dst.set_weights([kernel, *bias])
    return keras_model
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    return keras.callbacks.EarlyStopping(
        monitor="val_loss" if cfg.validation_split > 0 else "loss", mode="min",
        patience=cfg.patience, min_delta=cfg.min_delta, restore_best_weights=True)
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    keras.utils.set_random_seed(cfg.seed)
    model.compile(optimizer=keras.optimizers.Adam(cfg.learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model.fit(np.asarray(X, dtype="float32"), np.asarray(y).astype("int64"), batch_size=cfg.batch_size,
                     epochs=cfg.epochs, validation_split=cfg.validation_split, shuffle=True,
                     callbacks=[make_early_stopping(cfg)], verbose=0)
    ### END SOLUTION


# ---------------------------------------------------------------- q6: Keras model, torch loop
def torch_loop_on_keras(model: keras.Model, X, y, steps: int, lr: float = 0.1) -> list[float]:
    """Train a Keras model with a plain PyTorch loop: it IS a torch.nn.Module on this backend.

    torch.optim.SGD over the model's trainable torch parameters (`p.requires_grad`), lr=lr; X and y go
    to the device of those parameters as float32 / int64 tensors. `steps` full-batch steps, each:
    zero_grad, logits = model(X, training=True), F.cross_entropy(logits, y), backward, step.
    Returns the `steps` losses (Python floats), each measured before its step. Keras sees the new
    weights afterwards (model.get_weights(), model.predict) because they are the same tensors.
    """
    ### BEGIN SOLUTION
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.SGD(params, lr=lr)
    device = params[0].device
    X = torch.as_tensor(X, dtype=torch.float32, device=device)
    y = torch.as_tensor(y, dtype=torch.int64, device=device)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(model(X, training=True), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses
    ### END SOLUTION
