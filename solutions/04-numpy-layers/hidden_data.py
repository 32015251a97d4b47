"""Hidden evaluation data for lab 04, made in the grader's process (autograder.hidden_data).

The overfitting check (q9) trains on 50 digits and scores the training accuracy, CS231n's sanity check. The
50 rows are drawn from sklearn's digits with a seed that stays here and nudged with pixel noise, so none is a
verbatim row of the dataset shipped with scikit-learn. The labels are training inputs (fit needs them) and
also the truth the grader scores the predictions against: the check is memorization, by design.
"""
import numpy as np
from sklearn.datasets import load_digits

SEED = 0x4C04D6  # never copied into a grading job


def digits50():
    """50 digits, 5 of each class in a shuffled order, pixels + N(0, 0.4) noise, clipped to 0-16, scaled to [0, 1]."""
    X, y = load_digits(return_X_y=True)
    rng = np.random.default_rng(SEED)
    per_class = [rng.permutation(np.flatnonzero(y == c))[:5] for c in range(10)]  # 5 of each class
    pick = rng.permutation(np.concatenate(per_class))
    X50 = np.clip(X[pick] + rng.normal(0.0, 0.4, size=X[pick].shape), 0.0, 16.0) / 16.0
    return {"X": X50, "y": y[pick]}, {"y": y[pick]}
