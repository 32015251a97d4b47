"""Lab 10, part B: data-parallel training with torch.distributed (gloo backend, CPU processes).

Every rank holds the same model, computes the gradient of its own shard of the batch, and the ranks
average their gradients with an all-reduce before each optimizer step. With equal shards the average
of the shard-mean gradients IS the full-batch mean gradient, so data-parallel training must give the
same parameters as one process training on the full batch (float64: agreement to ~1e-15).

How the tests start it (you can do the same in the notebook):

    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=train_ddp, args=(rank, 2, cfg)) for rank in range(2)]
    for p in procs: p.start()
    for p in procs: p.join(60)

Rendezvous goes through a file (cfg.init_method = "file:///some/tmp/file"), so no TCP port is needed
to meet; gloo then talks over the loopback interface (the tests set GLOO_SOCKET_IFNAME=lo).
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist
from torch import nn


@dataclass(frozen=True)
class DDPConfig:
    init_method: str          # "file:///tmp/.../rendezvous": a file that does not exist yet
    checkpoint: str           # where rank 0 writes the final state_dict
    steps: int = 10           # optimizer steps, each on the full batch (split across the ranks)
    lr: float = 0.1
    seed: int = 0
    n: int = 32               # examples in the (full) batch; must be divisible by the world size
    d: int = 4                # input features
    hidden: int = 8
    timeout_s: float = 30.0   # a peer that never arrives (or dies) must end in an error after this, not a hang


# ---------------------------------------------------------------- given: data, model, one-process reference
def make_data(cfg: DDPConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """A seeded float64 regression problem: X (n, d), y (n, 1). Identical on every rank."""
    g = torch.Generator().manual_seed(cfg.seed)
    X = torch.randn(cfg.n, cfg.d, generator=g, dtype=torch.float64)
    y = torch.sin(X @ torch.randn(cfg.d, 1, generator=g, dtype=torch.float64))
    return X, y


def make_model(cfg: DDPConfig) -> nn.Module:
    """A small float64 MLP whose initial weights depend on cfg.seed only."""
    g = torch.Generator().manual_seed(cfg.seed + 1)
    model = nn.Sequential(nn.Linear(cfg.d, cfg.hidden), nn.Tanh(), nn.Linear(cfg.hidden, 1)).double()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(0.5 * torch.randn(p.shape, generator=g, dtype=torch.float64))
    return model


def train_single(cfg: DDPConfig) -> dict:
    """The reference: one process, full batch, plain SGD on the mean squared error."""
    X, y = make_data(cfg)
    model = make_model(cfg)
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr)
    for _ in range(cfg.steps):
        opt.zero_grad()
        nn.functional.mse_loss(model(X), y).backward()
        opt.step()
    return model.state_dict()


# ---------------------------------------------------------------- your part
def shard_indices(n: int, rank: int, world_size: int) -> np.ndarray:
    """Indices of rank's shard: the contiguous block [rank * n/W, (rank + 1) * n/W) as an int64 array.

    Shards must have equal sizes (otherwise averaging shard means is not the full-batch mean): raise
    ValueError when n is not divisible by world_size, or when rank is not in [0, world_size)."""
    if world_size <= 0:
        raise ValueError(f"world_size must be positive, got {world_size}")
    if not 0 <= rank < world_size:
        raise ValueError(f"rank {rank} not in [0, {world_size})")
    if n % world_size != 0:
        raise ValueError(f"n = {n} is not divisible by world_size = {world_size}")
    size = n // world_size
    return np.arange(rank * size, (rank + 1) * size, dtype=np.int64)


def average_gradients(model: nn.Module, world_size: int) -> None:
    """After backward(): replace every parameter's .grad by its mean over all ranks.

    dist.all_reduce sums in place (op=dist.ReduceOp.SUM); divide by world_size afterwards. (This is what
    DistributedDataParallel does for you, in buckets, overlapped with backward.)"""
    for p in model.parameters():
        if p.grad is None:
            continue
        dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)
        p.grad /= world_size


def save_checkpoint(state: dict, path: str, rank: int) -> bool:
    """Rank 0 writes `state` with torch.save to `path` and returns True; every other rank writes nothing
    and returns False. Open the file with exclusive creation (mode "xb"): a checkpoint is never silently
    overwritten, so a second writer fails loudly with FileExistsError."""
    if rank != 0:
        return False
    with open(path, "xb") as f:
        torch.save(state, f)
    return True


def train_ddp(rank: int, world_size: int, cfg: DDPConfig) -> None:
    """One rank of data-parallel training; runs in its own process.

    1. torch.set_num_threads(1); dist.init_process_group("gloo", init_method=cfg.init_method, rank=rank,
       world_size=world_size, timeout=datetime.timedelta(seconds=cfg.timeout_s)): a missing or dead peer
       then raises an error after cfg.timeout_s instead of hanging; let that error propagate (the rank's
       process must fail loudly, with a non-zero exit code);
    2. make_data(cfg), keep this rank's shard (shard_indices); make_model(cfg) and broadcast every
       parameter from rank 0 (dist.broadcast), so all ranks start from the same weights;
    3. cfg.steps SGD steps (lr cfg.lr) on the MSE of the shard, with average_gradients before each step;
    4. save_checkpoint(model.state_dict(), cfg.checkpoint, rank); dist.barrier(); and in all cases
       dist.destroy_process_group() at the end."""
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=cfg.init_method, rank=rank, world_size=world_size,
                            timeout=datetime.timedelta(seconds=cfg.timeout_s))
    try:
        X, y = make_data(cfg)
        idx = torch.from_numpy(shard_indices(cfg.n, rank, world_size))
        Xs, ys = X[idx], y[idx]
        model = make_model(cfg)
        with torch.no_grad():
            for p in model.parameters():
                dist.broadcast(p.data, src=0)
        opt = torch.optim.SGD(model.parameters(), lr=cfg.lr)
        for _ in range(cfg.steps):
            opt.zero_grad()
            nn.functional.mse_loss(model(Xs), ys).backward()
            average_gradients(model, world_size)
            opt.step()
        save_checkpoint(model.state_dict(), cfg.checkpoint, rank)
        dist.barrier()
    finally:
        dist.destroy_process_group()
