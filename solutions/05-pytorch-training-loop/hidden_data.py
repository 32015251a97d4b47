"""Hidden evaluation data for lab 05, made in the grader's process (autograder.hidden_data).

The held-out rows of q7 are digits resampled with a seed that stays here and perturbed with pixel noise, so they
are not rows of the dataset shipped with scikit-learn; their labels never leave the grader.
"""
import numpy as np
from sklearn.datasets import load_digits

SEED = 0x05D161  # never copied into a grading job


def digits_split():
    """75% of the digits rows to train on (images (N, 1, 8, 8) scaled to [0, 1], float32), the other 25% held out,
    stratified by class, with Gaussian pixel noise (sd 0.3 on the 0-16 scale) clipped to 0-16 before scaling."""
    X, y = load_digits(return_X_y=True)
    rng = np.random.default_rng(SEED)
    train, test = [], []
    for label in range(10):  # stratified: a quarter of every class held out
        rows = rng.permutation(np.flatnonzero(y == label))
        n_test = int(round(0.25 * len(rows)))
        test.append(rows[:n_test])
        train.append(rows[n_test:])
    train, test = rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))
    X_test = np.clip(X[test] + rng.normal(0.0, 0.3, size=X[test].shape), 0.0, 16.0)

    def images(A):
        return (A / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)

    return {"X_train": images(X[train]), "y_train": y[train], "X_test": images(X_test)}, {"y_test": y[test]}
