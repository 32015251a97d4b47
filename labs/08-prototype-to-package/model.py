"""The model: imputation + scaling + a logistic regression trained by seeded SGD, saved as plain JSON.

All preprocessing state (medians, means, scales) is part of the Model and of its saved file: a model
loaded elsewhere must give the same probabilities, bit for bit, as the one that was saved.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score

from features import FEATURE_NAMES, build_features

LABEL = "had_affair"
DEFAULTS = {"seed": 0, "alpha": 1e-3, "epochs": 20}
METRICS = ["n_rows", "accuracy", "roc_auc", "log_loss", "base_rate"]  # the metrics JSON schema, in order


@dataclass
class Model:
    medians: np.ndarray  # (d,) training medians, replace NaN features
    means: np.ndarray  # (d,) mean of the imputed training features
    scales: np.ndarray  # (d,) their standard deviation (1.0 where it is 0)
    coef: np.ndarray  # (d,) logistic-regression weights on the standardized features
    intercept: float
    config: dict

    def predict_proba(self, df: pd.DataFrame) -> np.ndarray:
        """(n, 2) float64: P(no affair), P(affair) for each row of a cleaned frame.

        p = expit(((X - means) / scales) @ coef + intercept) with X = build_features(df), NaN -> medians.
        """
        # YOUR CODE HERE
        raise NotImplementedError()

    def predict(self, df: pd.DataFrame) -> np.ndarray:
        """(n,) int64 labels: 1 where P(affair) >= 0.5."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def predict_one(self, row: Mapping) -> dict:
        """Serve one cleaned row (a dict of column -> value): {"label": int, "probability": float}.

        Must equal predict / predict_proba on a batch that holds the row: same features, same code path.
        """
        # YOUR CODE HERE
        raise NotImplementedError()

    def save(self, path: str | Path) -> None:
        """Write the whole model (preprocessing state included) to one JSON file."""
        # YOUR CODE HERE
        raise NotImplementedError()

    @classmethod
    def load(cls, path: str | Path) -> "Model":
        """The Model saved at path; its probabilities equal the saved model's exactly."""
        # YOUR CODE HERE
        raise NotImplementedError()


def train(df: pd.DataFrame, cfg: Mapping | None = None) -> Model:
    """Fit a Model on a cleaned frame (with its had_affair label). cfg: seed, alpha, epochs (missing keys: DEFAULTS).

    The recipe (hidden tests compare your probabilities with a reference's, so follow it):
    X = build_features(df); medians = np.nanmedian(X, axis=0); NaN -> the column's median;
    means = X.mean(axis=0), scales = X.std(axis=0) with 0 replaced by 1;
    SGDClassifier(loss="log_loss", alpha=cfg["alpha"], max_iter=cfg["epochs"], tol=None, average=True,
    random_state=cfg["seed"]) fitted on (X - means) / scales; coef = clf.coef_.ravel(), intercept = clf.intercept_[0].
    Same data and same cfg give an identical model: the seed drives SGD's shuffling.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def evaluate(model: Model, df: pd.DataFrame) -> dict:
    """Metrics of model on a cleaned, labelled frame, with exactly the keys METRICS:
    n_rows (int), accuracy, roc_auc, log_loss, base_rate (share of label 1), all plain floats."""
    # YOUR CODE HERE
    raise NotImplementedError()
