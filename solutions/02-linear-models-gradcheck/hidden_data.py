"""Hidden evaluation data for lab 02, made in the grader's process (autograder.hidden_data).

The evaluation rows are digits, wine and breast-cancer rows resampled with a seed that stays here and perturbed,
so they are not rows of the datasets shipped with scikit-learn; their labels never leave the grader.
"""
import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits, load_wine

SEED = 0x5EC2E7  # never copied into a grading job


def _split(X, y, test_fraction, rng):
    order = rng.permutation(len(y))
    n_test = int(round(test_fraction * len(y)))
    return order[n_test:], order[:n_test]


def digits_split():
    """Train on 70% of the digits rows; evaluate on the others with pixel noise (sd 0.5), clipped to 0-16."""
    X, y = load_digits(return_X_y=True)
    rng = np.random.default_rng(SEED)
    train, test = _split(X, y, 0.3, rng)
    X_test = np.clip(X[test] + rng.normal(0.0, 0.5, size=X[test].shape), 0.0, 16.0)
    return {"X_train": X[train], "y_train": y[train], "X_test": X_test}, {"y_test": y[test]}


def wine_split():
    """Wine rows with 2% multiplicative noise on every feature in the evaluation rows."""
    X, y = load_wine(return_X_y=True)
    rng = np.random.default_rng(SEED + 1)
    train, test = _split(X, y, 0.4, rng)
    X_test = X[test] * rng.normal(1.0, 0.02, size=X[test].shape)
    return {"X_train": X[train], "y_train": y[train], "X_test": X_test}, {"y_test": y[test]}


def wine_cultivars():
    """wine_split with the labels of the original UCI file, cultivars 1, 2, 3: labels that are not column indices."""
    inputs, truth = wine_split()
    return {**inputs, "y_train": inputs["y_train"] + 1}, {"y_test": truth["y_test"] + 1}


def cancer_split():
    """Breast cancer (two classes: 0 malignant, 1 benign) with 2% multiplicative noise on the evaluation rows."""
    X, y = load_breast_cancer(return_X_y=True)
    rng = np.random.default_rng(SEED + 2)
    train, test = _split(X, y, 0.3, rng)
    X_test = X[test] * rng.normal(1.0, 0.02, size=X[test].shape)
    return {"X_train": X[train], "y_train": y[train], "X_test": X_test}, {"y_test": y[test]}
