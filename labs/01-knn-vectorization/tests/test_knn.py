"""Public tests for lab 01. Run them with `labkit check 01` (or plain pytest from this folder).

Every expected value comes from an oracle written here (scipy's cdist, a hand-built case, a few
lines of NumPy), so a failure message says what to fix. Hidden tests at grading use other data.
"""
import numpy as np
from scipy.spatial.distance import cdist
from sklearn.datasets import load_digits

import helpers  # shared with the hidden tests: the loop detector, data generators, the speed baseline
from helpers import random_points, trick_atol


# --- q1: distances with loops -------------------------------------------------------------
def test_loops_match_cdist(answers, verdict):
    X, Y = random_points(0, 7, 11, 5)
    D = answers.pairwise_sq_dists_loops(X, Y)
    assert D.shape == (7, 11), f"shape {D.shape}, expected (7, 11): one row per X, one column per Y"
    # both compute sum((x - y)**2) directly, so they agree to a few ulps
    verdict.close("D", D, expected=cdist(X, Y, "sqeuclidean"), rtol=1e-10, atol=1e-12)


def test_loops_one_feature(answers, verdict):
    X, Y = np.array([[0.0], [3.0]]), np.array([[1.0], [-1.0], [3.0]])
    # small whole numbers: exact in float64, so no tolerance at all
    verdict.close("D", answers.pairwise_sq_dists_loops(X, Y), expected=[[1.0, 1.0, 9.0], [4.0, 16.0, 0.0]], rtol=0)


def test_loops_uint8_images(answers, verdict):
    X, Y = helpers.integer_images(4, 3, 5, 8, high=255, dtype=np.uint8)  # in uint8, 3 - 5 is 254
    D = answers.pairwise_sq_dists_loops(X, Y)
    verdict.equal("dtype", str(np.asarray(D).dtype), expected="float64")
    # whole numbers: every difference, square and sum is exact in float64
    verdict.close("D", D, expected=cdist(X.astype(float), Y.astype(float), "sqeuclidean"), rtol=1e-12)


# --- q2: vectorized distances -------------------------------------------------------------
def test_vectorized_match_cdist(answers, verdict):
    X, Y = random_points(1, 40, 25, 16, scale=3.0)
    X_before = X.copy()
    D = answers.pairwise_sq_dists(X, Y)
    assert np.array_equal(X, X_before), "pairwise_sq_dists modified its input"
    # the expansion's rounding is a few eps times the squared norms; trick_atol allows 1e-12 of them
    verdict.close("D", D, expected=cdist(X, Y, "sqeuclidean"), rtol=1e-10, atol=trick_atol(X, Y))


def test_vectorized_never_negative(answers, verdict):
    X, Y = random_points(2, 30, 30, 37, scale=3.0)
    X[:20] = Y[5:25]  # identical points: the true distance is exactly 0, the trick rounds to about +-1e-13
    D = answers.pairwise_sq_dists(X, Y)
    verdict.close("D", D, expected=cdist(X, Y, "sqeuclidean"), rtol=1e-10, atol=trick_atol(X, Y))
    verdict.equal("negative entries", int(np.sum(D < 0)), expected=0)


def test_vectorized_uint8_images(answers, verdict):
    X, Y = helpers.integer_images(5, 6, 9, 64, high=255, dtype=np.uint8)  # in uint8, X * X overflows
    D = answers.pairwise_sq_dists(X, Y)
    verdict.equal("dtype", str(np.asarray(D).dtype), expected="float64")
    # whole numbers below 2**53: the expansion is exact in float64 once the inputs are converted
    verdict.close("D", D, expected=cdist(X.astype(float), Y.astype(float), "sqeuclidean"), rtol=1e-12)


def test_vectorized_has_no_python_loops(answers, verdict):
    X, Y = random_points(3, 4, 5, 3)
    D = answers.pairwise_sq_dists(X, Y)  # it must work before its shape counts
    # unit-scale points: the trick's rounding is ~1e-16 of norms ~3, far inside atol 1e-12
    verdict.close("D", D, expected=cdist(X, Y, "sqeuclidean"), rtol=1e-10, atol=1e-12)
    loops = helpers.python_loops(answers.pairwise_sq_dists)
    assert not loops, f"pairwise_sq_dists uses Python loops: {', '.join(loops)}"


def test_vectorized_is_much_faster(answers, verdict):
    X, _ = load_digits(return_X_y=True)
    A, B = X[:60], X[60:660]
    ratio, D = helpers.speedup(answers.pairwise_sq_dists, A, B)
    # integer pixels: exact, so any correct answer matches to rounding
    verdict.close("D", D, expected=cdist(A, B, "sqeuclidean"), rtol=1e-10)
    # measured ~150-400x for the broadcast + matmul version; a row-by-row loop gives ~20x, a pair loop ~1x
    assert ratio >= 20, f"only {ratio:.1f}x faster than a double loop (need >= 20x)"


# --- q3: kNN prediction -------------------------------------------------------------------
def test_predict_simple_majority(answers, verdict):
    D = np.array([[0.1, 0.2, 5.0, 0.3, 6.0],
                  [9.0, 8.0, 0.1, 7.0, 0.2]])
    y_train = np.array([1, 1, 2, 3, 2])
    verdict.equal("k=1", answers.knn_predict(D, y_train, 1), expected=np.array([1, 2]))
    verdict.equal("k=3", answers.knn_predict(D, y_train, 3), expected=np.array([1, 2]))


def test_predict_vote_ties_go_to_the_smallest_label(answers, verdict):
    D = np.array([[0.1, 0.2, 0.3, 0.4, 9.0],     # k=4: labels 7, 2, 7, 2 -> tie 7 vs 2 -> 2
                  [0.4, 0.3, 0.2, 0.1, 9.0]])    # same labels, the other order -> still 2
    y_train = np.array([7, 2, 7, 2, 0])
    verdict.equal("2-2 tie", answers.knn_predict(D, y_train, 4), expected=np.array([2, 2]))
    verdict.equal("1-1 tie", answers.knn_predict(D, y_train, 2), expected=np.array([2, 2]))


def test_predict_equal_distances_keep_training_order(answers, verdict):
    D = np.array([[1.0, 1.0, 1.0, 0.5]])  # nearest is index 3, then indices 0, 1, 2 in training order
    y_train = np.array([4, 6, 6, 5])
    # k=2 takes indices 3 and 0 (labels 5, 4 -> tie -> 4); an unstable sort might take index 1 or 2 instead
    verdict.equal("k=2", answers.knn_predict(D, y_train, 2), expected=np.array([4]))


# --- q4: k-fold indices -------------------------------------------------------------------
def test_kfold_partitions_every_index_once(answers, verdict):
    folds = answers.kfold_indices(23, 4, np.random.default_rng(0))
    assert len(folds) == 4, f"{len(folds)} folds, expected 4"
    val = np.concatenate([v for _, v in folds])
    verdict.equal("times each index is validated", np.bincount(val, minlength=23), expected=np.ones(23, int))
    for train, v in folds:
        assert not set(train) & set(v), "a training fold shares an index with its validation fold"
        assert len(train) + len(v) == 23, "train and validation together must cover all 23 indices"


def test_kfold_uses_the_documented_recipe(answers, verdict):
    folds = answers.kfold_indices(10, 3, np.random.default_rng(42))
    perm = np.random.default_rng(42).permutation(10)
    expected = np.array_split(perm, 3)  # sizes 4, 3, 3, each a slice of perm in perm order
    for i, ((train, val), want) in enumerate(zip(folds, expected)):
        verdict.equal(f"fold {i} validation", val, expected=want)
        # the other folds in fold order: the order matters later, when equal distances are broken by position
        verdict.equal(f"fold {i} train", train, expected=perm[~np.isin(perm, want)])


# --- q5: choosing k by cross-validation ---------------------------------------------------
def cv_oracle(X, y, ks, n_folds, seed):
    """Fold accuracies from scipy's cdist and the documented fold recipe: independent of your functions."""
    perm = np.random.default_rng(seed).permutation(len(y))
    acc = []
    for val in np.array_split(perm, n_folds):
        train = perm[~np.isin(perm, val)]  # the other folds, in fold order, as the recipe says
        nearest = np.argsort(cdist(X[val], X[train], "sqeuclidean"), axis=1, kind="stable")
        row = []
        for k in ks:
            votes = y[train][nearest[:, :k]]
            pred = np.array([np.bincount(v, minlength=10).argmax() for v in votes])
            row.append(np.mean(pred == y[val]))
        acc.append(row)
    return np.array(acc)


def test_select_k_matches_a_direct_computation(answers, verdict):
    X, y = load_digits(return_X_y=True)
    X, y = X[:400], y[:400]  # integer pixels: all squared distances are exact, so every correct answer agrees
    ks = [1, 2, 3, 5, 8]
    best_k, mean_acc, std_acc = answers.select_k(X, y, ks, 4, np.random.default_rng(7))
    acc = cv_oracle(X, y, ks, 4, 7)
    # the same fold accuracies averaged in another order differ by ~1e-16; a wrong fold or vote moves them >= 1e-3
    verdict.close("mean_acc", mean_acc, expected=acc.mean(axis=0), rtol=1e-12, atol=1e-12)
    verdict.close("std_acc", std_acc, expected=acc.std(axis=0), rtol=1e-12, atol=1e-12)
    means = acc.mean(axis=0)
    verdict.equal("best_k", best_k, expected=min(k for k, m in zip(ks, means) if m >= means.max() - 1e-9))


def test_select_k_then_predict_digits(answers, verdict):
    X, y = load_digits(return_X_y=True)
    best_k, _, _ = answers.select_k(X[:1000], y[:1000], [1, 3, 5, 7], 5, np.random.default_rng(0))
    assert best_k in (1, 3, 5, 7), f"best_k={best_k} is not one of the candidates"
    pred = answers.knn_predict(answers.pairwise_sq_dists(X[1000:], X[:1000]), y[:1000], best_k)
    # kNN on raw digits scores ~0.97-0.99 for small k; a broken vote or distance lands far below
    verdict.accuracy("held-out digits", pred, y_true=y[1000:], minimum=0.95)
