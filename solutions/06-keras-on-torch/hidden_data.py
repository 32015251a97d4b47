"""Hidden evaluation data for lab 06, made in the grader's process (autograder.hidden_data).

The digits rows are resampled with a seed that stays here; the evaluation rows get pixel noise, so they are not
rows of the dataset shipped with scikit-learn, and their labels never leave the grader.
"""
import numpy as np
from sklearn.datasets import load_digits

SEED = 0x6E7A5  # never copied into a grading job


def digits_split():
    """70% of the digits rows to train on, 30% to evaluate with pixel noise (sd 0.5 on the 0-16 scale, clipped).

    Pixels are scaled to [0, 1] and stored as float32, as the lab's models take them. 1,258 training rows:
    floor(0.8 * 1258) = 1006 fit rows, 16 steps of 64 per epoch, 96 steps in 6 epochs.
    """
    X, y = load_digits(return_X_y=True)
    rng = np.random.default_rng(SEED)
    order = rng.permutation(len(y))
    n_test = int(round(0.3 * len(y)))
    test, train = order[:n_test], order[n_test:]
    X_test = np.clip(X[test] + rng.normal(0.0, 0.5, size=X[test].shape), 0.0, 16.0)
    return ({"X_train": (X[train] / 16.0).astype(np.float32), "y_train": y[train].astype(np.int64),
             "X_test": (X_test / 16.0).astype(np.float32)},
            {"y_test": y[test].astype(np.int64)})
