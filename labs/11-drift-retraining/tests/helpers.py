"""Helpers shared by lab 11's public tests and the hidden tests of grading (both `import helpers`).

Nothing here is an answer: the provided world (datasets/11-drift-retraining/drift_world.py), the detector's
reference window, a loop that turns a detector's answers on a list of batches into 0/1 alarm flags, lookup
"models" with chosen paired outcomes for `promote`, and a seeded fine-tuning loop that makes a better model
independently of your `retrain`.
"""
import copy
import importlib.util
import sys

import numpy as np
import torch
from torch import nn

from autograder import paths


def world():
    """datasets/11-drift-retraining/drift_world.py, imported once (provided code, not yours)."""
    if "drift_world" not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            "drift_world", paths.DATASETS / "11-drift-retraining" / "drift_world.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["drift_world"] = module
        spec.loader.exec_module(module)
    return sys.modules["drift_world"]


def reference_window():
    """The detector's reference: 400 healthy images the production model was trained on."""
    return world().splits()["train"][0][:400]


def flags(detector, batches):
    """1 where update() raised an alarm, 0 where it returned None (`is not None`: nothing else counts)."""
    return np.array([int(detector.update(xb) is not None) for xb in batches], dtype=np.int64)


class Lookup(nn.Module):
    """A 'model' that answers from a table: row i of X (column 0 holds i) gets label labels[i]."""

    def __init__(self, labels):
        super().__init__()
        self.register_buffer("logits", nn.functional.one_hot(torch.as_tensor(labels), 10).float())

    def forward(self, x):
        return self.logits[x.reshape(len(x), -1)[:, 0].long()]


def paired_case(n_better, n_worse, n_both, n_neither, scatter=None):
    """(X, y, candidate, current): two lookup models with the given paired outcomes on n rows.

    n_better rows only the candidate gets right, n_worse only the current model, n_both both, n_neither none
    (there the two models give DIFFERENT wrong labels). scatter: a seed that spreads the kinds of rows over
    the table (otherwise they come in blocks, in that order).
    """
    n = n_better + n_worse + n_both + n_neither
    y = (np.arange(n) * 7) % 10
    cand_right = np.r_[np.ones(n_better), np.zeros(n_worse), np.ones(n_both), np.zeros(n_neither)].astype(bool)
    curr_right = np.r_[np.zeros(n_better), np.ones(n_worse), np.ones(n_both), np.zeros(n_neither)].astype(bool)
    if scatter is not None:
        perm = np.random.default_rng(scatter).permutation(n)
        cand_right, curr_right = cand_right[perm], curr_right[perm]
    X = np.zeros((n, 64), np.float32)
    X[:, 0] = np.arange(n)
    return X, y, Lookup(np.where(cand_right, y, (y + 3) % 10)), Lookup(np.where(curr_right, y, (y + 4) % 10))


def fine_tune(model, X, y, epochs, lr, batch_size, seed):
    """A copy of `model` fine-tuned with Adam on (X, y), shuffled by its own seeded generator (this is not
    `retrain`: the promotion tests need a better model that does not depend on your answer)."""
    better = copy.deepcopy(model)
    opt = torch.optim.Adam(better.parameters(), lr=lr)
    X, y = torch.as_tensor(np.asarray(X, np.float32)), torch.as_tensor(np.asarray(y, np.int64))
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        better.train()
        for idx in torch.randperm(len(y), generator=gen).split(batch_size):
            opt.zero_grad()
            nn.functional.cross_entropy(better(X[idx]), y[idx]).backward()
            opt.step()
    return better.eval()
