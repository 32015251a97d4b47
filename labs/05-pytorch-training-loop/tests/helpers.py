"""Helpers shared by the public tests and the hidden tests of lab 05 (labs/README.md, "Tests").

Data, small test-owned models, spies and a TF32 switch: no answers and no hidden inputs (each test passes its own
seeds, sizes and widths). Import them with `import helpers`.
"""
import math

import numpy as np
import torch
from sklearn.datasets import load_digits
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


def digits(images=False):
    """The digits, scaled to [0, 1] as float32: (N, 64), or (N, 1, 8, 8) with images=True."""
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    return (X.reshape(-1, 1, 8, 8) if images else X), y


def loaders(seed, n_train=250, n_val=128, batch=32, val_batch=64):
    """Small digit loaders built here (not by make_loaders): training shuffled by its own generator, validation in
    order. Rows are a permutation drawn with `seed`."""
    X, y = digits()
    idx = np.random.default_rng(seed).permutation(len(y))
    tr, va = idx[:n_train], idx[n_train:n_train + n_val]
    X, y = torch.tensor(X), torch.tensor(y)
    train = DataLoader(TensorDataset(X[tr], y[tr]), batch_size=batch, shuffle=True,
                       generator=torch.Generator().manual_seed(seed))
    return train, DataLoader(TensorDataset(X[va], y[va]), batch_size=val_batch)


def net(seed, dropout=0.2, widths=(48,)):
    """A test-owned MLP with BatchNorm and dropout after the first layer, so train/eval mode and the RNG matter:
    Flatten -> Linear(64, w0) -> BatchNorm1d -> ReLU -> Dropout -> [Linear -> ReLU for the other widths] -> Linear(10).
    Initialised after torch.manual_seed(seed)."""
    torch.manual_seed(seed)
    layers = [nn.Flatten(), nn.Linear(64, widths[0]), nn.BatchNorm1d(widths[0]), nn.ReLU(), nn.Dropout(dropout)]
    for a, b in zip(widths, widths[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(widths[-1], 10))


def flat_params(model):
    return torch.cat([p.detach().cpu().reshape(-1) for p in model.parameters()])


def flat_buffers(model):
    """BatchNorm's running statistics (floating buffers) as one CPU vector."""
    return torch.cat([b.detach().cpu().reshape(-1).double() for b in model.buffers()])


def count(model):
    return sum(p.numel() for p in model.parameters())


def fill_by_shape(model, phase=0.0):
    """Deterministic parameters that depend only on each parameter's shape (not on creation order or names)."""
    with torch.no_grad():
        for p in model.parameters():
            n = p.numel()
            k = torch.arange(n, dtype=torch.float64)
            if p.dim() == 1:
                p.copy_(1.0 + 0.3 * torch.sin(0.7 * k + n + phase))
            else:
                p.copy_((torch.sin(0.618 * k + n + phase) / math.sqrt(p[0].numel())).reshape(p.shape))


def history_arrays(hist):
    return np.array(hist.train_loss), np.array(hist.val_loss), np.array(hist.val_acc), np.array(hist.lr)


class Spy(nn.Module):
    """Wraps a model and notes (training mode, grad enabled), as 0/1, at every forward call."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner
        self.seen = []

    def forward(self, x):
        self.seen.append((int(self.training), int(torch.is_grad_enabled())))
        return self.inner(x)


class DtypeSpy(nn.Module):
    """Notes the dtype of the logits at every forward call: bfloat16 only under bf16 autocast."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner
        self.seen = []

    def forward(self, x):
        out = self.inner(x)
        self.seen.append(str(out.dtype))
        return out


class exact_float32:
    """TF32 off for matmuls and cuDNN convolutions, so a GPU's float32 agrees with the CPU's to ~1e-6."""

    def __enter__(self):
        self.saved = torch.get_float32_matmul_precision(), torch.backends.cudnn.allow_tf32
        torch.set_float32_matmul_precision("highest")
        torch.backends.cudnn.allow_tf32 = False

    def __exit__(self, *exc):
        torch.set_float32_matmul_precision(self.saved[0])
        torch.backends.cudnn.allow_tf32 = self.saved[1]
