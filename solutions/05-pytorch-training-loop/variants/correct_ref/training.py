"""Lab 05: a correct, reproducible PyTorch training loop.

Conventions used by every function here:
- images are float32 tensors of shape (N, 1, 8, 8) (or (N, 64) for the MLP, which flattens anyway),
  labels are int64 tensors of shape (N,) with values in [0, n_classes);
- `device` is a string ("cpu", "cuda") or a torch.device; data loaders always yield CPU tensors and the
  loop moves each batch to the device;
- losses are cross-entropy on raw logits (`F.cross_entropy` applies log-softmax itself), averaged
  over examples.
"""
from __future__ import annotations

import os
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.model_selection import train_test_split
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


@dataclass
class TrainConfig:
    """Everything `fit` needs besides the model and the data."""

    epochs: int = 3
    lr: float = 3e-3
    optimizer: str = "adam"          # "adam": Adam(lr, weight_decay); "sgd": SGD(lr, momentum=0.9, weight_decay)
    weight_decay: float = 0.0
    cosine: bool = False             # CosineAnnealingLR(T_max=epochs), stepped once after every epoch
    device: str = "cpu"
    amp: bool = False                # bfloat16 autocast in the forward passes
    checkpoint_dir: str | None = None  # when set, save <checkpoint_dir>/epoch_<k>.pt after epoch k (k = 1, 2, ...)
    resume_from: str | None = None     # when set, continue from this checkpoint instead of starting at epoch 0


@dataclass
class History:
    """One entry per finished epoch."""

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)  # the learning rate used during the epoch


def seed_everything(seed: int, deterministic: bool = False) -> None:
    """Seed Python's `random`, NumPy's global generator and torch (CPU and every GPU) with `seed`.

    Then call `torch.use_deterministic_algorithms(deterministic)`. When deterministic is True, also
    `os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")` (cuBLAS reads it when CUDA starts,
    so it only helps before the first CUDA call) and turn cuDNN autotuning off
    (`torch.backends.cudnn.benchmark = False`), which would otherwise pick kernels by timing.
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    torch.use_deterministic_algorithms(deterministic)
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.backends.cudnn.benchmark = False


def make_loaders(X, y, batch_size: int, seed: int, val_fraction: float = 0.2) -> tuple[DataLoader, DataLoader]:
    """Split (X, y) into training and validation sets and wrap each in a DataLoader.

    - X becomes a float32 tensor (shape kept), y an int64 tensor.
    - Split: `train_test_split(np.arange(N), test_size=val_fraction, random_state=seed, stratify=y)`;
      each set keeps the order in which train_test_split returns its indices.
    - Training loader: `batch_size`, `shuffle=True` and its own generator,
      `generator=torch.Generator().manual_seed(seed)`. The data order then depends on `seed` alone:
      not on how many random numbers the model's initialisation or dropout drew from torch's global
      generator (without its own generator a DataLoader shuffles with the global one).
    - Validation loader: same `batch_size`, no shuffling.

    Returns:
        (train_loader, val_loader), both over `TensorDataset`s of (x, y) pairs.
    """
    X_t = torch.as_tensor(np.asarray(X), dtype=torch.float32)
    y_np = np.asarray(y)
    y_t = torch.as_tensor(y_np, dtype=torch.int64)
    n = X_t.shape[0]
    tr_idx, va_idx = train_test_split(np.arange(n), test_size=val_fraction, random_state=seed, stratify=y_np)
    tr_idx = torch.as_tensor(tr_idx, dtype=torch.long)
    va_idx = torch.as_tensor(va_idx, dtype=torch.long)
    train_ds = TensorDataset(X_t[tr_idx], y_t[tr_idx])
    val_ds = TensorDataset(X_t[va_idx], y_t[va_idx])
    train_loader = DataLoader(train_ds, batch_size=batch_size, shuffle=True,
                              generator=torch.Generator().manual_seed(seed))
    val_loader = DataLoader(val_ds, batch_size=batch_size, shuffle=False)
    return train_loader, val_loader


class MLP(nn.Module):
    """Flatten -> [Linear -> ReLU -> Dropout(dropout)] for each width in `hidden` -> Linear(n_classes).

    With the defaults: 64 -> 128 -> 64 -> 10, i.e. 64*128+128 + 128*64+64 + 64*10+10 = 17,226 parameters.
    Keep the layers in one `nn.Sequential` in this order; `forward(x)` returns raw logits (N, n_classes),
    never probabilities: the loss applies log-softmax itself.
    """

    def __init__(self, in_features: int = 64, hidden: tuple[int, ...] = (128, 64), n_classes: int = 10,
                 dropout: float = 0.0):
        super().__init__()
        layers: list[nn.Module] = [nn.Flatten()]
        prev = in_features
        for width in hidden:
            layers += [nn.Linear(prev, width), nn.ReLU(), nn.Dropout(dropout)]
            prev = width
        layers.append(nn.Linear(prev, n_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class SmallCNN(nn.Module):
    """A small CNN for 8x8 single-channel digits. With channels = (c1, c2):

        Conv2d(1, c1, 3, padding=1) -> BatchNorm2d(c1) -> ReLU -> MaxPool2d(2)     (N, c1, 4, 4)
        Conv2d(c1, c2, 3, padding=1) -> BatchNorm2d(c2) -> ReLU                    (N, c2, 4, 4)
        Flatten -> Dropout(dropout) -> Linear(c2 * 4 * 4, n_classes)

    Parameters: (9*c1 + c1) + 2*c1 + (9*c1*c2 + c2) + 2*c2 + (16*c2*n_classes + n_classes), 10,026 with
    the defaults. BatchNorm's running mean and variance are buffers, not parameters: they are not
    trained by the optimizer, but they are in `state_dict()` and change the output in eval mode.
    Create the layers in the order above (it decides which random numbers each initialisation gets).
    `forward(x)` takes (N, 1, 8, 8) and returns raw logits (N, n_classes).
    """

    def __init__(self, n_classes: int = 10, channels: tuple[int, int] = (16, 32), dropout: float = 0.1):
        super().__init__()
        c1, c2 = channels
        self.net = nn.Sequential(
            nn.Conv2d(1, c1, 3, padding=1), nn.BatchNorm2d(c1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, 3, padding=1), nn.BatchNorm2d(c2), nn.ReLU(),
            nn.Flatten(), nn.Dropout(dropout), nn.Linear(c2 * 4 * 4, n_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def train_one_epoch(model: nn.Module, loader: DataLoader, opt: torch.optim.Optimizer, device,
                    amp: bool = False) -> float:
    """One pass over `loader`, one optimizer step per batch; returns the epoch's mean training loss.

    Put the model in training mode first (`model.train()`: dropout on), since an earlier `evaluate`
    may have switched it off. For each batch: move x and y to `device`, clear the old gradients
    (`opt.zero_grad()`: PyTorch accumulates them otherwise), compute `F.cross_entropy(logits, y)` on the
    raw logits, `backward()`, `opt.step()`.
    With `amp=True` run the forward pass and the loss under
    `torch.autocast(device_type=torch.device(device).type, dtype=torch.bfloat16)`.

    Returns:
        a Python float: sum over batches of (batch loss * batch size) / number of examples, accumulated
        with `loss.item()` (keeping the loss tensor would keep its whole graph alive).
    """
    model.train()
    dev = torch.device(device)
    total, n = 0.0, 0
    for x, y in loader:
        x, y = x.to(dev), y.to(dev)
        opt.zero_grad()
        with torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=amp):
            logits = model(x)
            loss = F.cross_entropy(logits, y)
        loss.backward()
        opt.step()
        bs = y.shape[0]
        total += loss.item() * bs
        n += bs
    return total / n


def evaluate(model: nn.Module, loader: DataLoader, device, amp: bool = False) -> tuple[float, float]:
    """Mean cross-entropy loss and accuracy of `model` over `loader`, without changing the model.

    Switch to evaluation mode (`model.eval()`: dropout off, so repeated calls give the same numbers)
    and run every forward pass under `torch.no_grad()` (no graph is built: less memory, faster).
    With `amp=True` run the forward passes under bfloat16 autocast, as in `train_one_epoch`.
    Leaving the model in evaluation mode afterwards is fine: `train_one_epoch` switches it back.

    Returns:
        (loss, accuracy) as Python floats: loss = sum of per-example losses / N, accuracy = correct / N,
        where a prediction is the argmax of the logits.
    """
    model.eval()
    dev = torch.device(device)
    total, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(dev), y.to(dev)
            with torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=amp):
                logits = model(x)
                loss = F.cross_entropy(logits, y, reduction="sum")
            total += loss.item()
            correct += (logits.argmax(dim=1) == y).sum().item()
            n += y.shape[0]
    return total / n, correct / n


def save_checkpoint(path, model: nn.Module, opt: torch.optim.Optimizer, epoch: int, *, history: History | None = None,
                    scheduler=None, generator: torch.Generator | None = None) -> None:
    """Save everything that decides how training continues after `epoch` finished epochs.

    One `torch.save` of a dict of plain data (so that `torch.load(..., weights_only=True)` can read it):
    "model": model.state_dict(), "optimizer": opt.state_dict() (Adam's moment estimates and step
    counts: without them a resumed run takes different steps), "epoch", "history" (`asdict`, or None),
    "scheduler": its state_dict (or None), "rng": torch.get_rng_state() (dropout draws from it),
    "cuda_rng": torch.cuda.get_rng_state_all() when CUDA is available (else None), and "generator":
    the data-order generator's `get_state()` (or None).
    Write to a temporary file next to `path`, then `os.replace` it: a crash mid-save never leaves a
    truncated checkpoint behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {
        "model": model.state_dict(),
        "optimizer": opt.state_dict(),
        "epoch": int(epoch),
        "history": asdict(history) if history is not None else None,
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "rng": torch.get_rng_state(),
        "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
        "generator": generator.get_state() if generator is not None else None,
    }
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_checkpoint(path, model: nn.Module, opt: torch.optim.Optimizer | None = None, *, scheduler=None,
                    generator: torch.Generator | None = None) -> tuple[int, History]:
    """Restore what `save_checkpoint` wrote, in place; returns (epoch, history).

    Read with `torch.load(path, map_location="cpu", weights_only=True)` (never unpickle arbitrary
    objects from a file). Load the model's and, when given, the optimizer's and scheduler's state
    dicts; restore torch's RNG state (and the CUDA ones when saved and CUDA is available) and, when
    both are present, the generator's state. A checkpoint without history gives an empty History().
    """
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    model.load_state_dict(ckpt["model"])
    if opt is not None:
        opt.load_state_dict(ckpt["optimizer"])
    if scheduler is not None and ckpt.get("scheduler") is not None:
        scheduler.load_state_dict(ckpt["scheduler"])
    torch.set_rng_state(ckpt["rng"])
    if ckpt.get("cuda_rng") is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(ckpt["cuda_rng"])
    if generator is not None and ckpt.get("generator") is not None:
        generator.set_state(ckpt["generator"])
    hist = History(**ckpt["history"]) if ckpt.get("history") is not None else History()
    return int(ckpt["epoch"]), hist


def fit(model: nn.Module, train: DataLoader, val: DataLoader, cfg: TrainConfig) -> History:
    """Train for `cfg.epochs` epochs; after each one evaluate on `val` and record a History entry.

    1. Move the model to `cfg.device`; build the optimizer from cfg ("adam": `torch.optim.Adam(params,
       lr=cfg.lr, weight_decay=cfg.weight_decay)`; "sgd": `torch.optim.SGD(params, lr=cfg.lr,
       momentum=0.9, weight_decay=cfg.weight_decay)`) and, if `cfg.cosine`,
       `CosineAnnealingLR(opt, T_max=cfg.epochs)`.
    2. If `cfg.resume_from` is set, `load_checkpoint` it (with the scheduler and `train.generator`) and
       continue from the epoch it returns, with its history.
    3. Each epoch: note the current lr (`opt.param_groups[0]["lr"]`), `train_one_epoch`, `evaluate`
       (both with `amp=cfg.amp`), step the scheduler, append train_loss, val_loss, val_acc and lr; with
       `cfg.checkpoint_dir`, `save_checkpoint` to `<checkpoint_dir>/epoch_<k>.pt` (k = epochs done).

    A run resumed from epoch_1.pt must end bit-for-bit where the uninterrupted run ends (on CPU).
    """
    device = torch.device(cfg.device)
    model.to(device)
    if cfg.optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    elif cfg.optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=0.9, weight_decay=cfg.weight_decay)
    else:
        raise ValueError(f"unknown optimizer {cfg.optimizer!r}")
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.epochs) if cfg.cosine else None
    history = History()
    start = 0
    if cfg.resume_from is not None:
        start, history = load_checkpoint(cfg.resume_from, model, opt, scheduler=scheduler,
                                         generator=train.generator)
    for epoch in range(start, cfg.epochs):
        lr = opt.param_groups[0]["lr"]
        train_loss = train_one_epoch(model, train, opt, device, amp=cfg.amp)
        val_loss, val_acc = evaluate(model, val, device, amp=cfg.amp)
        if scheduler is not None:
            scheduler.step()
        history.train_loss.append(train_loss)
        history.val_loss.append(val_loss)
        history.val_acc.append(val_acc)
        history.lr.append(float(lr))
        if cfg.checkpoint_dir is not None:
            save_checkpoint(Path(cfg.checkpoint_dir) / f"epoch_{epoch + 1}.pt", model, opt, epoch + 1,
                            history=history, scheduler=scheduler, generator=train.generator)
    return history
