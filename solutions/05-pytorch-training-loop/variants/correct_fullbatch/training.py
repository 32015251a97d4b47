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
import contextlib


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
    torch.use_deterministic_algorithms(deterministic)
    if deterministic:
        torch.backends.cudnn.benchmark = False
        if "CUBLAS_WORKSPACE_CONFIG" not in os.environ:
            os.environ["CUBLAS_WORKSPACE_CONFIG"] = ":4096:8"
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)


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
    X_np = np.asarray(X, dtype=np.float32)
    y_np = np.asarray(y, dtype=np.int64)
    train_idx, val_idx = train_test_split(np.arange(X_np.shape[0]), test_size=val_fraction,
                                          random_state=seed, stratify=y_np)
    def _ds(idx):
        return TensorDataset(torch.from_numpy(np.ascontiguousarray(X_np[idx])),
                             torch.from_numpy(np.ascontiguousarray(y_np[idx])))
    gen = torch.Generator().manual_seed(seed)
    return (DataLoader(_ds(train_idx), batch_size, shuffle=True, generator=gen),
            DataLoader(_ds(val_idx), batch_size, shuffle=False))


class MLP(nn.Module):
    """Flatten -> [Linear -> ReLU -> Dropout(dropout)] for each width in `hidden` -> Linear(n_classes).

    With the defaults: 64 -> 128 -> 64 -> 10, i.e. 64*128+128 + 128*64+64 + 64*10+10 = 17,226 parameters.
    Keep the layers in one `nn.Sequential` in this order; `forward(x)` returns raw logits (N, n_classes),
    never probabilities: the loss applies log-softmax itself.
    """

    def __init__(self, in_features: int = 64, hidden: tuple[int, ...] = (128, 64), n_classes: int = 10,
                 dropout: float = 0.0):
        super().__init__()
        sizes = (in_features,) + tuple(hidden)
        blocks = [[nn.Linear(a, b), nn.ReLU(), nn.Dropout(dropout)] for a, b in zip(sizes, sizes[1:])]
        self.net = nn.Sequential(nn.Flatten(), *[m for blk in blocks for m in blk], nn.Linear(sizes[-1], n_classes))

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
        self.features = nn.Sequential(
            nn.Conv2d(1, c1, 3, padding=1), nn.BatchNorm2d(c1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, 3, padding=1), nn.BatchNorm2d(c2), nn.ReLU(),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(dropout), nn.Linear(c2 * 4 * 4, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


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
    model.train(True)
    device = torch.device(device)
    ctx = (lambda: torch.autocast(device.type, dtype=torch.bfloat16)) if amp else contextlib.nullcontext
    running = 0.0
    for x, y in loader:
        x = x.to(device)
        y = y.to(device)
        model.zero_grad()
        with ctx():
            out = model(x)
            loss = F.cross_entropy(out, y)
        loss.backward()
        opt.step()
        running += loss.item() * x.size(0)
    return running / len(loader.dataset)


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
    model.train(False)
    device = torch.device(device)
    outs, ys = [], []
    with torch.no_grad():
        for x, y in loader:
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                outs.append(model(x.to(device)))
            ys.append(y.to(device))
        logits = torch.cat(outs).float()
        target = torch.cat(ys)
        loss = F.cross_entropy(logits.double(), target, reduction="sum").item() / target.numel()
        acc = (logits.argmax(-1) == target).double().mean().item()
    return loss, acc


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
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    ckpt = {"epoch": epoch, "model": model.state_dict(), "optimizer": opt.state_dict()}
    ckpt["history"] = None if history is None else asdict(history)
    ckpt["scheduler"] = None if scheduler is None else scheduler.state_dict()
    ckpt["rng"] = torch.get_rng_state()
    ckpt["cuda_rng"] = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
    ckpt["generator"] = None if generator is None else generator.get_state()
    tmp = target.parent / f".{target.name}.{os.getpid()}.tmp"
    with open(tmp, "wb") as fh:
        torch.save(ckpt, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)


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
    if torch.cuda.is_available() and ckpt.get("cuda_rng") is not None:
        torch.cuda.set_rng_state_all(ckpt["cuda_rng"])
    if generator is not None and ckpt.get("generator") is not None:
        generator.set_state(ckpt["generator"])
    history = History()
    if ckpt.get("history"):
        for key, values in ckpt["history"].items():
            getattr(history, key).extend(values)
    return int(ckpt["epoch"]), history


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
    model.to(cfg.device)
    params = list(model.parameters())
    optimizers = {
        "adam": lambda: torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay),
        "sgd": lambda: torch.optim.SGD(params, lr=cfg.lr, momentum=0.9, weight_decay=cfg.weight_decay),
    }
    if cfg.optimizer not in optimizers:
        raise ValueError(f"optimizer must be 'adam' or 'sgd', got {cfg.optimizer!r}")
    opt = optimizers[cfg.optimizer]()
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.epochs) if cfg.cosine else None
    history, start_epoch = History(), 0
    if cfg.resume_from:
        start_epoch, history = load_checkpoint(cfg.resume_from, model, opt, scheduler=scheduler,
                                               generator=train.generator)
    for k in range(start_epoch + 1, cfg.epochs + 1):
        epoch_lr = float(opt.param_groups[0]["lr"])
        train_loss = train_one_epoch(model, train, opt, cfg.device, amp=cfg.amp)
        val_loss, val_acc = evaluate(model, val, cfg.device, amp=cfg.amp)
        if scheduler is not None:
            scheduler.step()
        for key, value in (("train_loss", train_loss), ("val_loss", val_loss), ("val_acc", val_acc),
                           ("lr", epoch_lr)):
            getattr(history, key).append(value)
        if cfg.checkpoint_dir:
            save_checkpoint(os.path.join(cfg.checkpoint_dir, f"epoch_{k}.pt"), model, opt, k, history=history,
                            scheduler=scheduler, generator=train.generator)
    return history
