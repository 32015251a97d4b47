"""Helpers shared by lab 12's public tests and the hidden tests of grading (both `import helpers`).

Nothing here is an answer: a generator of labels and two prediction vectors with chosen agreement counts,
so a McNemar test can be run on a 2x2 table you know in advance.
"""
import numpy as np


def predictions(n01, n10, n_both_right=20, n_both_wrong=5, n_classes=2, seed=None):
    """Labels y and predictions (pred_a, pred_b) with exactly these counts of examples:

        n01: A wrong, B right     n10: A right, B wrong     n_both_right     n_both_wrong

    y = 0, 1, ..., n_classes - 1, 0, 1, ... A wrong predicts y + 1 and B wrong predicts y - 1 (mod n_classes): with
    three or more classes the two models are both wrong on an example while still disagreeing with each other.
    seed: shuffle which examples are which (None keeps the discordant ones first).
    """
    right_a = np.array([False] * n01 + [True] * n10 + [True] * n_both_right + [False] * n_both_wrong)
    right_b = np.array([True] * n01 + [False] * n10 + [True] * n_both_right + [False] * n_both_wrong)
    if seed is not None:
        order = np.random.default_rng(seed).permutation(len(right_a))
        right_a, right_b = right_a[order], right_b[order]
    y = np.arange(len(right_a)) % n_classes
    pred_a = np.where(right_a, y, (y + 1) % n_classes)
    pred_b = np.where(right_b, y, (y + n_classes - 1) % n_classes)
    return y, pred_a, pred_b
