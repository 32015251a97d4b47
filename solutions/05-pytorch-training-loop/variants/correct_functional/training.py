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
import tempfile
from torch.utils.data import RandomSampler


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
    torch.random.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)  # lazy: a no-op without CUDA
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True
    torch.use_deterministic_algorithms(mode=deterministic)


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
    X_t = torch.tensor(np.asarray(X, dtype=np.float32))
    y_arr = np.asarray(y).astype(np.int64)
    y_t = torch.from_numpy(y_arr)
    idx_train, idx_val = train_test_split(np.arange(len(y_arr)), test_size=val_fraction, random_state=seed,
                                          stratify=y_arr)
    i_tr = torch.from_numpy(np.asarray(idx_train, dtype=np.int64))
    i_va = torch.from_numpy(np.asarray(idx_val, dtype=np.int64))
    train_ds = TensorDataset(X_t.index_select(0, i_tr), y_t.index_select(0, i_tr))
    val_ds = TensorDataset(X_t.index_select(0, i_va), y_t.index_select(0, i_va))
    g = torch.Generator()
    g.manual_seed(seed)
    train_loader = DataLoader(train_ds, batch_size=batch_size, sampler=RandomSampler(train_ds, generator=g),
                              generator=g)
    val_loader = DataLoader(val_ds, batch_size=batch_size)
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
        self.layers = nn.Sequential()
        self.layers.append(nn.Flatten())
        widths = [in_features, *hidden]
        for w_in, w_out in zip(widths[:-1], widths[1:]):
            self.layers.append(nn.Linear(w_in, w_out))
            self.layers.append(nn.ReLU())
            self.layers.append(nn.Dropout(p=dropout))
        self.layers.append(nn.Linear(widths[-1], n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x


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
        self.conv1 = nn.Conv2d(1, c1, kernel_size=3, padding=1)
        self.bn1 = nn.BatchNorm2d(c1)
        self.conv2 = nn.Conv2d(c1, c2, kernel_size=3, padding=1)
        self.bn2 = nn.BatchNorm2d(c2)
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(c2 * 16, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), kernel_size=2)
        h = F.relu(self.bn2(self.conv2(h)))
        h = torch.flatten(h, start_dim=1)
        return self.fc(self.drop(h))


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
    losses, sizes = [], []
    for xb, yb in loader:
        xb = xb.to(dev, non_blocking=True)
        yb = yb.to(dev, non_blocking=True)
        opt.zero_grad(set_to_none=True)
        if amp:
            with torch.autocast(device_type=dev.type, dtype=torch.bfloat16):
                loss = F.cross_entropy(model(xb), yb)
        else:
            loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        sizes.append(len(yb))
    return float(np.dot(losses, sizes) / np.sum(sizes))


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
    per_example, hits = [], 0
    with torch.inference_mode():
        for xb, yb in loader:
            xb, yb = xb.to(dev), yb.to(dev)
            with torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=amp):
                logits = model(xb)
                ce = F.cross_entropy(logits, yb, reduction="none")
            per_example.append(ce.double().cpu())
            hits += int(torch.count_nonzero(logits.argmax(1) == yb))
    all_losses = torch.cat(per_example)
    n = all_losses.numel()
    return float(all_losses.sum()) / n, hits / n


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
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    payload = dict(
        model=model.state_dict(),
        optimizer=opt.state_dict(),
        epoch=epoch,
        history=None if history is None else asdict(history),
        scheduler=None if scheduler is None else scheduler.state_dict(),
        rng=torch.get_rng_state(),
        cuda_rng=torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
        generator=None if generator is None else generator.get_state(),
    )
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=os.path.basename(path) + ".", suffix=".tmp")
    os.close(fd)
    try:
        torch.save(payload, tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def load_checkpoint(path, model: nn.Module, opt: torch.optim.Optimizer | None = None, *, scheduler=None,
                    generator: torch.Generator | None = None) -> tuple[int, History]:
    """Restore what `save_checkpoint` wrote, in place; returns (epoch, history).

    Read with `torch.load(path, map_location="cpu", weights_only=True)` (never unpickle arbitrary
    objects from a file). Load the model's and, when given, the optimizer's and scheduler's state
    dicts; restore torch's RNG state (and the CUDA ones when saved and CUDA is available) and, when
    both are present, the generator's state. A checkpoint without history gives an empty History().
    """
    state = torch.load(path, map_location="cpu", weights_only=True)
    model.load_state_dict(state["model"])
    if opt is not None:
        opt.load_state_dict(state["optimizer"])
    if scheduler is not None and state["scheduler"] is not None:
        scheduler.load_state_dict(state["scheduler"])
    torch.random.set_rng_state(state["rng"])
    cuda_states = state.get("cuda_rng")
    if cuda_states is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda_states)
    gen_state = state.get("generator")
    if generator is not None and gen_state is not None:
        generator.set_state(gen_state)
    h = state.get("history")
    history = History() if h is None else History(**{k: list(v) for k, v in h.items()})
    return int(state["epoch"]), history


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
    model = model.to(cfg.device)
    name = cfg.optimizer.lower()
    if name == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    elif name == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=0.9, weight_decay=cfg.weight_decay)
    else:
        raise ValueError(f"unknown optimizer: {cfg.optimizer}")
    sched = None
    if cfg.cosine:
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.epochs)
    hist, done = History(), 0
    if cfg.resume_from:
        done, hist = load_checkpoint(cfg.resume_from, model, opt, scheduler=sched, generator=train.generator)
    ckpt_dir = Path(cfg.checkpoint_dir) if cfg.checkpoint_dir else None
    if ckpt_dir is not None:
        ckpt_dir.mkdir(parents=True, exist_ok=True)
    while done < cfg.epochs:
        lr_now = sched.get_last_lr()[0] if sched is not None else opt.param_groups[0]["lr"]
        tr = train_one_epoch(model, train, opt, cfg.device, amp=cfg.amp)
        vl, va = evaluate(model, val, cfg.device, amp=cfg.amp)
        if sched is not None:
            sched.step()
        hist.train_loss.append(tr)
        hist.val_loss.append(vl)
        hist.val_acc.append(va)
        hist.lr.append(float(lr_now))
        done += 1
        if ckpt_dir is not None:
            save_checkpoint(ckpt_dir / f"epoch_{done}.pt", model, opt, done, history=hist, scheduler=sched,
                            generator=train.generator)
    return hist
