"""Hidden evaluation data for lab 12, made in the grader's process (autograder.hidden_data).

The hidden tests run McNemar on two models trained on breast_cancer and run_5x2cv on breast_cancer, diabetes and
iris. Those rows are loadable by anyone, so the tests get them from here: a seeded subsample of each dataset's rows
in a new order, every feature jittered by 1 % of its standard deviation (no row is a verbatim dataset row; the
models' accuracies move by a point or so). Nothing is scored against labels here: the values the tests record
(McNemar's statistic and p, the 5x2 matrices) are compared with the reference run on the same inputs, so every
case's truth is empty.
"""
import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris

SEED = 0x12_57A7  # never copied into a grading job


def _rows(load, salt, keep=0.9, jitter_y=False):
    X, y = load(return_X_y=True)
    rng = np.random.default_rng([SEED, salt])
    idx = rng.permutation(len(X))[: int(round(keep * len(X)))]
    X = X[idx] + rng.normal(0.0, 0.01, size=(len(idx), X.shape[1])) * X.std(axis=0)
    y = y[idx]
    if jitter_y:  # a regression target: jitter it too
        y = y + rng.normal(0.0, 0.01 * y.std(), size=len(y))
    return np.ascontiguousarray(X, dtype=np.float64), np.ascontiguousarray(y)


def breast_cancer_split():
    """McNemar (q1): 60 % of the jittered rows to train two models, 40 % to compare them on."""
    X, y = _rows(load_breast_cancer, 1, keep=1.0)
    cut = int(0.6 * len(X))
    return {"X_train": X[:cut], "y_train": y[:cut].astype(np.int64), "X_test": X[cut:],
            "y_test": y[cut:].astype(np.int64)}, {}


def breast_cancer_rows():
    """run_5x2cv (q3) on a classification problem."""
    X, y = _rows(load_breast_cancer, 2)
    return {"X": X, "y": y.astype(np.int64)}, {}


def diabetes_rows():
    """run_5x2cv (q3) on a regression problem (scores are R^2)."""
    X, y = _rows(load_diabetes, 3, jitter_y=True)
    return {"X": X, "y": y.astype(np.float64)}, {}


def iris_rows():
    """run_5x2cv (q3) on three classes with weak models (folds can tie)."""
    X, y = _rows(load_iris, 4)
    return {"X": X, "y": y.astype(np.int64)}, {}
