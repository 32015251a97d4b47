"""Hidden tests for lab 01: values go to the grader, which compares them with the reference solution's.

No expected value lives here: the grader runs the reference solution through these same tests and keeps its
values. Seeds, shapes, dtypes and data differ from the public tests; digits and iris rows come from the
grader (solutions/01-knn-vectorization/hidden_data.py), resampled and nudged, and the held-out digit labels
never enter this process. Properties (inputs left unchanged, no negative distance, a partition, no Python
loop, the speed ratio) are gates: asserted or bounded on the learner's own values, never compared with the
reference's.
"""
import numpy as np
import pytest

import helpers  # labs/01-knn-vectorization/tests/helpers.py, shared with the public tests

# The loop version and cdist both sum (x - y)**2 directly: no cancellation, agreement to a few ulps of
# distances of order 1-100, so rtol 1e-10 with a 1e-12 floor is ~1e5 x the rounding; a bug is off by >= 1e-2.
LOOP_RTOL, LOOP_ATOL = 1e-10, 1e-12
# Whole-number inputs: every difference, square, product and sum is an exact integer in float64 (all below
# 2**53), so correct answers agree exactly; 1e-12 only allows for a summation order that is not exact.
EXACT_RTOL = 1e-12


# --- q1 --------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [101, 202])
def test_loops_hidden_inputs(answers, verdict, seed):
    X, Y = helpers.random_points(seed, 9, 14, 6, scale=2.0)  # N < M: a loop over range(N) twice misses columns
    verdict.close("D", answers.pairwise_sq_dists_loops(X, Y), rtol=LOOP_RTOL, atol=LOOP_ATOL)


def test_loops_single_row_and_column(answers, verdict):
    X, Y = helpers.random_points(303, 1, 4, 3)
    verdict.close("one row", answers.pairwise_sq_dists_loops(X, Y), rtol=LOOP_RTOL, atol=LOOP_ATOL)
    verdict.close("one column", answers.pairwise_sq_dists_loops(Y, X), rtol=LOOP_RTOL, atol=LOOP_ATOL)


@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.float32])
def test_loops_integer_and_float32_inputs(answers, verdict, dtype):
    X, Y = helpers.integer_images(404 + np.dtype(dtype).itemsize, 5, 7, 12, high=255, dtype=dtype)
    D = answers.pairwise_sq_dists_loops(X, Y)
    verdict.equal("dtype", str(np.asarray(D).dtype))  # float64 whatever the input dtype (README, docstring)
    verdict.close("D", D, rtol=EXACT_RTOL)  # uint8 arithmetic wraps (3 - 5 = 254): off by far more


# --- q2 --------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [404, 505])
def test_vectorized_hidden_inputs(answers, verdict, seed):
    X, Y = helpers.random_points(seed, 50, 31, 23, scale=4.0, shift=2.0)
    X_before, Y_before = X.copy(), Y.copy()
    D = answers.pairwise_sq_dists(X, Y)
    assert np.array_equal(X, X_before) and np.array_equal(Y, Y_before), "pairwise_sq_dists modified its input"
    # the expansion's rounding is a few eps times the squared norms: trick_atol is 1e-12 of them (~1000x that)
    verdict.close("D", D, rtol=1e-10, atol=helpers.trick_atol(X, Y))


@pytest.mark.parametrize("dtype", [np.uint8, np.int64, np.float32])
def test_vectorized_integer_and_float32_inputs(answers, verdict, dtype):
    X, Y = helpers.integer_images(606 + np.dtype(dtype).itemsize, 20, 30, 64, high=255, dtype=dtype)
    D = answers.pairwise_sq_dists(X, Y)
    verdict.equal("dtype", str(np.asarray(D).dtype))  # float64 whatever the input dtype (README, docstring)
    verdict.close("D", D, rtol=EXACT_RTOL)  # uint8 overflows in X * X and X @ Y.T: off by far more


@pytest.mark.parametrize("shift", [1.0, 1e4])
def test_vectorized_identical_points_are_not_negative(answers, verdict, shift):
    rng = np.random.default_rng(99)
    Y = rng.normal(size=(40, 37)) * 3 + shift
    X = np.vstack([Y[rng.permutation(40)[:25]], rng.normal(size=(5, 37)) * 3 + shift])
    D = answers.pairwise_sq_dists(X, Y)
    # 25 true zeros: without the clamp the expansion leaves about -1e-13 (shift 1) or -1e-7 (shift 1e4) on
    # some of them; within the trick's own tolerance of the reference's value, so only this gate tells
    verdict.bound("smallest distance", float(np.min(D)), low=0.0)
    # the trick's rounding grows with the squared norms (~37 * shift**2): trick_atol is 1e-12 of them
    verdict.close("D", D, rtol=1e-10, atol=helpers.trick_atol(X, Y))


def test_vectorized_has_no_python_loops(answers, verdict):
    X, Y = helpers.random_points(707, 6, 5, 4)
    # unit-scale points: the trick's rounding (~1e-16 of norms ~4) is far inside trick_atol
    verdict.close("D", answers.pairwise_sq_dists(X, Y), rtol=1e-10, atol=helpers.trick_atol(X, Y))
    loops = helpers.python_loops(answers.pairwise_sq_dists)
    assert not loops, f"pairwise_sq_dists uses Python loops: {', '.join(loops)}"


def test_vectorized_speedup(answers, verdict):
    A, B = helpers.integer_images(808, 60, 600, 64, high=16, dtype=np.float64)  # digit-like 0-16 pixels
    ratio, D = helpers.speedup(answers.pairwise_sq_dists, A, B)
    verdict.close("D", D, rtol=EXACT_RTOL)
    # measured 150-400x for the reference on 2 busy cores; a pair loop in disguise is ~1x
    assert ratio >= 20, f"pairwise_sq_dists is only {ratio:.1f}x faster than a double loop (need >= 20x)"


# --- q3 --------------------------------------------------------------------------------------
def test_predict_hand_built_ties(answers, verdict):
    # row 0: order 1, 5, 3, 0, 4, 2 -> labels 8, 1, 1, 3, 8, 3; row 1 the reverse of row 0's distances
    D = np.array([[0.5, 0.1, 0.9, 0.3, 0.7, 0.2],
                  [0.5, 0.9, 0.1, 0.7, 0.3, 0.8]])
    y_train = np.array([3, 8, 3, 1, 8, 1])
    for k in (1, 2, 3, 4, 5, 6):  # k=2: 8 vs 1 -> 1; k=6: three-way tie -> 1; k=5 (row 0): 1 vs 8 twice each
        verdict.equal(f"k={k}", answers.knn_predict(D, y_train, k))


def test_predict_three_way_tie_and_gaps(answers, verdict):
    D = np.array([[0.3, 0.2, 0.1, 5.0],
                  [0.1, 0.3, 0.2, 0.0]])
    y_train = np.array([9, 4, 6, 4])
    verdict.equal("k=3", answers.knn_predict(D, y_train, 3))  # row 0: 6, 4, 9 -> 4
    verdict.equal("k=2", answers.knn_predict(D, y_train, 2))  # row 0: 6 vs 4 -> 4; row 1: 4 vs 9 -> 4


@pytest.mark.parametrize("k", [1, 2, 4, 6, 10])
def test_predict_random_distances(answers, verdict, k):
    rng = np.random.default_rng(1000 + k)
    D = rng.random((40, 25))  # continuous: the k nearest are unambiguous, vote ties are frequent for even k
    y_train = rng.integers(0, 4, size=25) * 3 + 2  # labels 2, 5, 8, 11
    verdict.equal("predictions", answers.knn_predict(D, y_train, k))


def test_predict_repeated_distances_keep_training_order(answers, verdict):
    rng = np.random.default_rng(4242)
    D = rng.integers(0, 6, size=(30, 300)).astype(np.float64)  # whole distances: ~50 equal values per row
    y_train = rng.integers(0, 3, size=300) * 3 + 1  # labels 1, 4, 7
    # which of the equal distances make the k nearest is decided by training order (a stable sort); numpy's
    # default sort reorders equal values in long rows, and changes ~10 of these 30 predictions for each k
    for k in (1, 7, 20):
        verdict.equal(f"k={k}", answers.knn_predict(D, y_train, k))


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.int32])
def test_predict_keeps_the_label_dtype(answers, verdict, dtype):
    rng = np.random.default_rng(5000 + np.dtype(dtype).itemsize)
    D = rng.random((12, 20))
    y_train = rng.choice([3, 9, 200], size=20).astype(dtype)
    pred = answers.knn_predict(D, y_train, 5)
    verdict.equal("predictions", pred)
    verdict.equal("dtype", str(np.asarray(pred).dtype))  # "the dtype of y_train" (README, docstring)


# --- q4 --------------------------------------------------------------------------------------
@pytest.mark.parametrize("n,k,seed,as_int", [(103, 7, 5150, False), (12, 12, 77, False), (50, 2, 31337, False),
                                             (29, 4, 2718, True)])
def test_kfold_hidden_splits(answers, verdict, n, k, seed, as_int):
    # n % k = 5, 0, 0, 1; the docstring allows a Generator or an int seed: the last case passes the int itself
    folds = answers.kfold_indices(n, k, seed if as_int else np.random.default_rng(seed))
    assert len(folds) == k, f"{len(folds)} folds, expected {k}"
    val = [np.asarray(v) for _, v in folds]
    train = [np.asarray(t) for t, _ in folds]
    # gates: the partition is a property of the learner's own folds
    counts = np.bincount(np.concatenate(val).astype(np.int64), minlength=n)
    assert np.all(counts == 1), "every index must be in exactly one validation fold"
    for t, v in zip(train, val):
        assert np.array_equal(np.sort(np.concatenate([t, v])), np.arange(n)), "train + validation must be range(n)"
    # compared with the reference: the documented recipe fixes every fold, its size and its order
    verdict.equal("validation fold sizes", [len(v) for v in val])
    for i, (t, v) in enumerate(zip(train, val)):
        verdict.equal(f"fold {i} validation", v)
        verdict.equal(f"fold {i} train", t)


# --- q5 --------------------------------------------------------------------------------------
# Integer features (nudged digits, iris in mm): every distance is exact, so correct answers find the same
# neighbours and the same fold accuracies; means and stds then differ only by summation order (~1e-16), and
# a wrong fold, vote or formula moves them by at least one example in a fold (>= 1e-3).
CV_RTOL = CV_ATOL = 1e-12


def test_select_k_hidden_digits(answers, verdict, hidden_data):
    d = hidden_data("digits_cv")  # 1000 nudged digits to choose on (5 folds of 200), 797 to score the choice
    best_k, mean_acc, std_acc = answers.select_k(d["X_train"], d["y_train"], [1, 2, 3, 4, 5, 7, 9], 5,
                                                 np.random.default_rng(4))
    verdict.equal("best_k", best_k)
    verdict.close("mean_acc", mean_acc, rtol=CV_RTOL, atol=CV_ATOL)
    verdict.close("std_acc", std_acc, rtol=CV_RTOL, atol=CV_ATOL)
    pred = answers.knn_predict(answers.pairwise_sq_dists(d["X_test"], d["X_train"]), d["y_train"], int(best_k))
    # every candidate k scores 0.975-0.984 on these 797 images (the reference picks k=1: 0.984); a broken
    # distance or vote lands far below
    verdict.accuracy("held-out digits with your k", pred, truth="digits_cv.y_test", minimum=0.97)


def test_select_k_hidden_iris_tie(answers, verdict, hidden_data):
    d = hidden_data("iris_mm")
    best_k, mean_acc, std_acc = answers.select_k(d["X"], d["y"], list(range(1, 16)), 4, np.random.default_rng(100))
    # k=7 and k=15 tie for the best mean (the same fold accuracies in another order, so the two means differ
    # in the last bit and the larger k's is the larger float): the 1e-9 tie rule picks 7. 150 rows in 4 folds
    # (38, 38, 37, 37): a mean weighted by fold size differs from the plain mean over folds.
    verdict.equal("best_k", best_k)
    verdict.close("mean_acc", mean_acc, rtol=CV_RTOL, atol=CV_ATOL)
    verdict.close("std_acc", std_acc, rtol=CV_RTOL, atol=CV_ATOL)


def test_select_k_hidden_iris_unsorted_ks(answers, verdict, hidden_data):
    d = hidden_data("iris_mm")
    ks = [15, 9, 13, 3, 12, 6, 1, 7, 10, 4, 14, 2, 11, 8, 5]  # "a sequence of candidate k, in any order"
    # an int seed this time (the docstring allows one); 7 folds: k = 13, 6 and 8 tie for the best mean, in this
    # order in ks: the smallest, 6, is best_k, neither the first tied k of ks nor the first maximum (argmax)
    best_k, mean_acc, std_acc = answers.select_k(d["X"], d["y"], ks, 7, 105)
    verdict.equal("best_k", best_k)
    verdict.close("mean_acc", mean_acc, rtol=CV_RTOL, atol=CV_ATOL)
    verdict.close("std_acc", std_acc, rtol=CV_RTOL, atol=CV_ATOL)
