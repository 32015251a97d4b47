"""Lab 11: detect drift in a sensor stream, decide whether to retrain, retrain without forgetting, and
promote the new model only when a paired test says it is better.

The world (the production CNN, the data split and the sensor streams) is provided by
`datasets/11-drift-retraining/drift_world.py`; this file only needs numpy, scipy and torch.
Conventions:
- A batch is an (n, 64) float array of 8x8 images, one row per image, values in [0, 1] when healthy.
- A model is any torch `nn.Module` mapping (n, 64) float32 to (n, 10) logits; `predict` below turns it
  into labels.
- Strings name outcomes, so they can be logged and compared: drift kinds "none" | "data" | "schema";
  policy actions "none" | "wait" | "retrain" | "page".
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np
import torch
from scipy import stats
from torch import nn

SUMMARY_NAMES = ("mean", "std", "com_x", "com_y")
FEATURE_NAMES = tuple(f"pixel_{i}" for i in range(64)) + SUMMARY_NAMES


# ------------------------------------------------------------------------------ provided helpers
@torch.no_grad()
def predict(model: nn.Module, X) -> np.ndarray:
    """Labels (n,) int64: argmax of the model's logits, in eval mode, without gradients."""
    model.eval()
    return model(torch.as_tensor(np.asarray(X, dtype=np.float32))).argmax(1).numpy()


def summary_statistics(X) -> np.ndarray:
    """(n, 4) per-image summaries: mean brightness, brightness std, centre of mass in x and in y.

    The centre of mass is in pixel units (0..7) of the brightness; an all-dark image gets 3.5 for both.
    """
    img = np.asarray(X, dtype=np.float64).reshape(-1, 8, 8)
    total = img.sum(axis=(1, 2))
    safe = np.where(total > 0, total, 1.0)
    coords = np.arange(8.0)
    com_x = np.where(total > 0, (img.sum(axis=1) @ coords) / safe, 3.5)
    com_y = np.where(total > 0, (img.sum(axis=2) @ coords) / safe, 3.5)
    return np.column_stack([img.mean(axis=(1, 2)), img.std(axis=(1, 2)), com_x, com_y])


def psi(reference, current, edges=np.linspace(0.0, 1.0, 11)) -> float:
    """Population stability index of two samples of values, binned on `edges` (outer bins open-ended).

        PSI = sum_b (q_b - p_b) * ln(q_b / p_b),   p = reference shares, q = current shares,
    with shares floored at 1e-4 so that empty bins stay finite. Rule of thumb: < 0.1 stable,
    0.1-0.25 moderate shift, > 0.25 major shift.
    """
    inner = np.asarray(edges, dtype=np.float64)[1:-1]
    p = np.bincount(np.searchsorted(inner, np.ravel(reference), side="right"), minlength=len(inner) + 1)
    q = np.bincount(np.searchsorted(inner, np.ravel(current), side="right"), minlength=len(inner) + 1)
    p = np.maximum(p / p.sum(), 1e-4)
    q = np.maximum(q / q.sum(), 1e-4)
    return float(np.sum((q - p) * np.log(q / p)))


@dataclass
class Alarm:
    """What `DriftDetector.update` reports for a batch that looks different from the reference.

    batch_index:  0-based count of batches seen by the detector (the first update is batch 0).
    p_values:     (68,) Holm-ADJUSTED p-values (`holm_adjust` of the raw KS p-values), one per test in
                  FEATURE_NAMES order: 64 pixel KS tests, then the 4 summary-statistic KS tests.
    drifted:      names (from FEATURE_NAMES) of the tests rejected at the detector's alpha.
    psi:          population stability index of all pixel values of the batch against the reference.
    out_of_range: share of the batch's values outside the reference's global [min, max] range.
    """
    batch_index: int
    p_values: np.ndarray
    drifted: list[str] = field(default_factory=list)
    psi: float = 0.0
    out_of_range: float = 0.0


@dataclass
class RetrainConfig:
    """Hyper-parameters of `retrain` (fine-tuning from the current weights: a small learning rate)."""
    epochs: int = 10
    lr: float = 3e-3
    batch_size: int = 64
    seed: int = 0


@dataclass
class Decision:
    """Outcome of `promote`.

    promote:  True when the candidate should replace the current model.
    p_value:  two-sided exact McNemar p-value.
    n_better: examples the candidate gets right and the current model gets wrong.
    n_worse:  examples the candidate gets wrong and the current model gets right.
    """
    promote: bool
    p_value: float
    n_better: int
    n_worse: int


# ------------------------------------------------------------------------------ q1: detection
def holm_adjust(p_values) -> np.ndarray:
    """Holm's step-down adjusted p-values, in the input order.

    Sort ascending p_(1) <= ... <= p_(m); adjusted p_(i) = max_{j <= i} min(1, (m - j + 1) p_(j)).
    Rejecting where adjusted <= alpha keeps the family-wise error rate at alpha.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


class DriftDetector:
    """Compares every incoming batch with a fixed reference window of healthy data.

    The test battery (68 tests, FEATURE_NAMES order): a two-sample Kolmogorov-Smirnov test per pixel
    (64) and per summary statistic of `summary_statistics` (4), reference rows against batch rows.
    With 68 tests at alpha each, a healthy batch would raise an alarm far more often than alpha:
    adjust the p-values for multiple testing (`holm_adjust`) and reject where adjusted <= alpha.

    `update(batch)` returns an `Alarm` when at least one adjusted test rejects OR the PSI of the
    batch's pixel values exceeds `psi_threshold`; otherwise None. Either way it counts the batch.
    scipy.stats.ks_2samp(ref, batch, axis=0) runs all per-column tests in one call; a column that is
    constant and equal in both samples gives p = 1. alpha = 0.005 is the family-wise false-alarm rate
    per batch: 1 false alarm in 200 healthy batches on average (measured 4 in 750 with a 400-image
    reference window; the uncorrected battery alarms on ~1 batch in 5).
    """

    def __init__(self, reference, alpha: float = 0.005, psi_threshold: float = 0.25):
        # YOUR CODE HERE
        raise NotImplementedError()

    def update(self, batch) -> Alarm | None:
        # YOUR CODE HERE
        raise NotImplementedError()


# ------------------------------------------------------------------------------ q2: what to do
def classify_drift(alarm: Alarm | None) -> str:
    """'none' for no alarm; 'schema' when the batch broke the data contract (more than 1 % of its values
    outside the reference's range: a unit or encoding change, fix the pipeline, never retrain on it);
    otherwise 'data' (the inputs still look like images from this sensor, only distributed differently)."""
    # YOUR CODE HERE
    raise NotImplementedError()


class RetrainPolicy:
    """Turns alarms into actions.

    decide(alarm, n_labels) ->
        'none'    no alarm;
        'page'    schema drift: stop and call a human (retraining on broken inputs teaches the model
                  the bug, and the next fix of the pipeline breaks it again);
        'wait'    data drift, but fewer than `min_labels` labelled examples of the new data yet;
        'retrain' data drift with at least `min_labels` labels.
    """

    def __init__(self, min_labels: int = 200):
        self.min_labels = min_labels

    def decide(self, alarm: Alarm | None, n_labels: int) -> str:
        # YOUR CODE HERE
        raise NotImplementedError()


# ------------------------------------------------------------------------------ q3: retraining
def retrain(model: nn.Module, new_X, new_y, replay_X, replay_y, cfg: RetrainConfig = RetrainConfig()) -> nn.Module:
    """Warm-start fine-tuning with replay: a NEW model, the input model left untouched.

    - Start from a deep copy of `model` (warm start: keep what it knows; training from fresh weights
      on a few hundred labels loses most of it).
    - Train on the union of the new (drifted) examples and the replay examples (old, clean data), so
      the model learns the new sensor without forgetting the old one.
    - Adam(lr=cfg.lr), cross-entropy, cfg.epochs passes over the shuffled union in minibatches of
      cfg.batch_size; seed with torch.manual_seed(cfg.seed) first. Return the copy in eval mode.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


# ------------------------------------------------------------------------------ q4: promotion
def promote(candidate: nn.Module, current: nn.Module, X, y, alpha: float = 0.01) -> Decision:
    """Replace `current` by `candidate` only if it is significantly better on the same examples.

    Both models predict the same (X, y), so the comparison is paired: exact McNemar's test on the
    discordant pairs, n_better ~ Binomial(n_better + n_worse, 1/2) under H0 (two-sided; use
    scipy.stats.binomtest). No discordant pair: p = 1. Promote iff n_better > n_worse and p < alpha.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
