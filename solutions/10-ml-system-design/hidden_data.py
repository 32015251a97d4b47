"""Hidden evaluation data for lab 10, made in the grader's process (autograder.hidden_data).

The breast_cancer rows the hidden tests train, evaluate, publish and serve with are split with a seed that stays
here (stratified, 35 % for validation), standardized with the training rows' mean and deviation, and perturbed by
Gaussian noise of 0.05 standard deviations on every feature, so that no row is a verbatim row of the data set
shipped with scikit-learn. The validation labels are inputs too: `evaluate(model, X, y)` takes them.
"""
import numpy as np
from sklearn.datasets import load_breast_cancer

SEED = 0x10AB5E  # never copied into a grading job


def breast_cancer():
    """X_train (~370, 30), y_train, X_val (~199, 30), y_val: standardized, noisy, float64 features, int64 labels."""
    X, y = load_breast_cancer(return_X_y=True)
    rng = np.random.default_rng(SEED)
    train, val = [], []
    for label in (0, 1):  # stratified: 35 % of every class for validation
        rows = rng.permutation(np.flatnonzero(y == label))
        n_val = int(round(0.35 * len(rows)))
        val.append(rows[:n_val])
        train.append(rows[n_val:])
    train, val = rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(val))
    mu, sd = X[train].mean(0), X[train].std(0)
    Z = (X - mu) / sd + rng.normal(0.0, 0.05, size=X.shape)
    return ({"X_train": Z[train], "y_train": y[train].astype(np.int64),
             "X_val": Z[val], "y_val": y[val].astype(np.int64)}, {})
