"""Helpers shared by the public tests and the hidden tests of lab 06 (labs/README.md, "Tests").

Model builders (Keras models and their PyTorch twins), converters and a replay of Keras' EarlyStopping rule:
no answers and no hidden inputs (each test passes its own seeds and shapes). Import them with `import helpers`;
a test module that does `from helpers import keras_device` gets the device pinning below for every test.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")  # before the first `import keras`, or Keras looks for TensorFlow

import math

import keras
import numpy as np
import pytest
import torch
from torch import nn


@pytest.fixture(autouse=True)
def keras_device(request):
    """Keras-on-torch creates variables on the GPU whenever one exists: pin every test to one device."""
    dev = request.getfixturevalue("device") if "device" in request.fixturenames else "cpu"
    tf32 = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    # TF32 convolutions (cuDNN's default) are only ~1e-3 accurate: parity checks need full float32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    with keras.device(dev):
        yield dev
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = tf32


def numpy_of(value, what: str) -> np.ndarray:
    """A model output or weight as a real float ndarray (Keras on torch returns torch tensors)."""
    if type(value) is torch.Tensor:
        return value.detach().cpu().numpy()
    assert type(value) is np.ndarray, f"{what}: expected a tensor or an array, got {type(value).__name__}"
    return value


def flat_weights(model) -> np.ndarray:
    """Every weight of a Keras model (get_weights order), flattened into one vector."""
    return np.concatenate([numpy_of(w, "a weight").ravel() for w in model.get_weights()])


# ---------------------------------------------------------------- Keras models made by the tests
def keras_mlp(sizes, activations, seed=0):
    """Sequential: Input((sizes[0],)) -> Dense(sizes[i + 1], activations[i]) for each i (None: logits)."""
    keras.utils.set_random_seed(seed)
    layers = [keras.Input((sizes[0],))]
    layers += [keras.layers.Dense(n, activation=a) for n, a in zip(sizes[1:], activations)]
    return keras.Sequential(layers)


def keras_cnn(input_shape, filters, n_classes, seed=0):
    """The Keras CNN of build_keras_cnn's docstring, made here so that port tests do not depend on q1."""
    keras.utils.set_random_seed(seed)
    layers = [keras.Input(tuple(input_shape))]
    for f in filters:
        layers += [keras.layers.Conv2D(f, 3, padding="same", activation="relu"), keras.layers.MaxPooling2D(2)]
    layers += [keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(n_classes)]
    return keras.Sequential(layers)


def small_model(input_dim, n_classes, seed=0, width=16):
    """Input -> Dense(width, relu) -> Dense(n_classes): logits."""
    return keras_mlp([input_dim, width, n_classes], ["relu", None], seed=seed)


# ---------------------------------------------------------------- PyTorch twins
ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh}


def torch_mlp(sizes, activations):
    """A flat nn.Sequential twin of keras_mlp(sizes, activations)."""
    layers = []
    for i, a in enumerate(activations):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if a is not None:
            layers.append(ACTIVATIONS[a]())
    return nn.Sequential(*layers)


def torch_cnn(c_in, filters, n_classes):
    """A flat nn.Sequential twin of keras_cnn((H, W, c_in), filters, n_classes), on (N, C, H, W) inputs."""
    layers, c = [], c_in
    for f in filters:
        layers += [nn.Conv2d(c, f, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
        c = f
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, n_classes))


class NestedCNN(nn.Module):
    """The twin of keras_cnn as most PyTorch code writes it: blocks inside a `features` Sequential, a `head`.

    Its direct children are two Sequentials, so only `modules()` (which walks the whole tree, in registration
    order) reaches the Conv2d and Linear layers; `children()` sees none of them.
    """

    def __init__(self, c_in, filters, n_classes):
        super().__init__()
        blocks, c = [], c_in
        for f in filters:
            blocks.append(nn.Sequential(nn.Conv2d(c, f, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)))
            c = f
        self.features = nn.Sequential(*blocks)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, n_classes))

    def forward(self, x):
        return self.head(self.features(x))


class NestedMLP(nn.Module):
    """The twin of keras_mlp(sizes, ["relu"] * (len(sizes) - 2) + [None]) with its layers in a ModuleList
    inside a sub-module, and the output layer as an attribute of its own."""

    def __init__(self, sizes):
        super().__init__()
        self.body = nn.Module()
        self.body.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-2], sizes[1:-1]))
        self.out = nn.Linear(sizes[-2], sizes[-1])

    def forward(self, x):
        for layer in self.body.hidden:
            x = torch.relu(layer(x))
        return self.out(x)


def torch_outputs(model, x, device, channels_last=False):
    """The torch model's outputs on the float32 array x (NHWC images are permuted to NCHW)."""
    t = torch.tensor(x, device=device)
    if channels_last:
        t = t.permute(0, 3, 1, 2)
    with torch.no_grad():
        return model(t).cpu().numpy()


# ---------------------------------------------------------------- EarlyStopping
def replay_early_stopping(val_loss, min_delta, patience):
    """Keras' rule over a history: an epoch improves when loss + min_delta < best; training stops once
    `patience` epochs in a row did not improve. Returns (best epoch, epochs that run)."""
    best, best_epoch = math.inf, 0
    for epoch, value in enumerate(val_loss):
        if value + min_delta < best:
            best, best_epoch = value, epoch
        elif epoch - best_epoch >= patience:
            return best_epoch, epoch + 1
    return best_epoch, len(val_loss)
