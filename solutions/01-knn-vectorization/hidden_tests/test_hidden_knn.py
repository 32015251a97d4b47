"""Hidden tests for lab 01: values go to the grader, which compares them with the reference solution's.

No expected value lives here: the grader runs the reference solution through these same tests and
keeps its values. Seeds, shapes and data slices differ from the public tests. The loop ban and the
speed ratio are asserted here, in the learner's process; every test also records values, because
only recorded values are beyond a hostile submission's reach.
"""
import ast
import inspect
import textwrap
import time
import types

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from sklearn.datasets import load_digits, load_iris

LOOPY_BUILTINS = {"map", "filter", "sum", "min", "max", "sorted", "reduce"}
LOOPY_HELPERS = {"vectorize", "apply_along_axis", "apply_over_axes", "frompyfunc", "fromiter", "starmap"}
LOOP_NODES = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def python_loops(func, seen=None) -> list[str]:
    """Loops in func's source and, recursively, in the functions of its own module that it calls."""
    seen = set() if seen is None else seen
    if func in seen:
        return []
    seen.add(func)
    found = []
    for node in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(func)))):
        if isinstance(node, LOOP_NODES):
            found.append(f"{type(node).__name__} in {func.__name__}")
        elif isinstance(node, ast.Call):
            bare = isinstance(node.func, ast.Name)
            name = node.func.id if bare else getattr(node.func, "attr", "")
            target = func.__globals__.get(name) if bare else None
            if name in LOOPY_HELPERS or bare and name in LOOPY_BUILTINS:
                found.append(f"{name}() in {func.__name__}")
            elif isinstance(target, types.FunctionType) and target.__module__ == func.__module__:
                found += python_loops(target, seen)
    return found


def points(seed, n, m, d, scale=1.0, shift=0.0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)) * scale + shift, rng.normal(size=(m, d)) * scale + shift


def trick_atol(X, Y):
    # the expansion's rounding is a few eps times the norms (measured <= 3e-16 of them); this is 1000x that
    return 1e-12 * (np.max(np.sum(X * X, axis=1)) + np.max(np.sum(Y * Y, axis=1)))


def agrees_with_cdist(D, X, Y, atol):
    want = cdist(X, Y, "sqeuclidean")
    return np.shape(D) == want.shape and np.allclose(D, want, rtol=1e-10, atol=atol)


def hidden_digits():
    X, y = load_digits(return_X_y=True)
    return X, y, np.random.default_rng(8675309).permutation(len(y))


# --- q1 --------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [101, 202])
def test_loops_hidden_inputs(answers, verdict, seed):
    X, Y = points(seed, 9, 14, 6, scale=2.0)
    D = answers.pairwise_sq_dists_loops(X, Y)
    assert agrees_with_cdist(D, X, Y, 1e-12), "distances differ from scipy's cdist(X, Y, 'sqeuclidean')"
    # direct differences: no cancellation, agreement to a few ulps
    verdict.close("D", D, rtol=1e-10, atol=1e-12)


def test_loops_single_row_and_column(answers, verdict):
    X, Y = points(303, 1, 4, 3)
    verdict.close("one row", answers.pairwise_sq_dists_loops(X, Y), rtol=1e-10, atol=1e-12)
    verdict.close("one column", answers.pairwise_sq_dists_loops(Y, X), rtol=1e-10, atol=1e-12)


# --- q2 --------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [404, 505])
def test_vectorized_hidden_inputs(answers, verdict, seed):
    X, Y = points(seed, 50, 31, 23, scale=4.0, shift=2.0)
    atol = trick_atol(X, Y)
    D = answers.pairwise_sq_dists(X, Y)
    assert agrees_with_cdist(D, X, Y, atol), "distances differ from scipy's cdist(X, Y, 'sqeuclidean')"
    verdict.close("D", D, rtol=1e-10, atol=atol)


def test_vectorized_digits_are_exact(answers, verdict):
    X, _, perm = hidden_digits()
    A, B = X[perm[:45]], X[perm[45:245]]
    # integer pixels: every product and sum is an exact integer in float64, so the trick is exact too
    verdict.close("D", answers.pairwise_sq_dists(A, B), rtol=1e-10)


def test_vectorized_identical_points_are_not_negative(answers, verdict):
    rng = np.random.default_rng(99)
    Y = rng.normal(size=(40, 37)) * 3 + 1
    X = np.vstack([Y[rng.permutation(40)[:25]], rng.normal(size=(5, 37))])
    D = answers.pairwise_sq_dists(X, Y)
    # without clamping, 10 of the 25 zero distances come out as about -1e-13 here
    verdict.equal("negative entries", int(np.sum(np.asarray(D) < 0)))
    verdict.close("D", D, rtol=1e-10, atol=trick_atol(X, Y))
    assert np.min(D) >= 0, "a squared distance is negative: clamp the result at 0"


def test_vectorized_has_no_python_loops(answers, verdict):
    X, Y = points(606, 6, 5, 4)
    verdict.close("D", answers.pairwise_sq_dists(X, Y), rtol=1e-10, atol=trick_atol(X, Y))
    loops = python_loops(answers.pairwise_sq_dists)
    assert not loops, f"pairwise_sq_dists uses Python loops: {', '.join(loops)}"


def two_loops(X, Y):
    D = np.empty((len(X), len(Y)))
    for i in range(len(X)):
        for j in range(len(Y)):
            diff = X[i] - Y[j]
            D[i, j] = diff @ diff
    return D


def test_vectorized_speedup(answers, verdict):
    X, _, perm = hidden_digits()
    A, B = X[perm[-60:]], X[perm[:600]]
    loop_times, vec_times = [], []
    for _ in range(5):  # interleaved, best of 5: load on the machine hits both sides alike
        t0 = time.perf_counter()
        two_loops(A, B)
        t1 = time.perf_counter()
        D = answers.pairwise_sq_dists(A, B)
        t2 = time.perf_counter()
        loop_times.append(t1 - t0)
        vec_times.append(t2 - t1)
    verdict.close("D", D, rtol=1e-10)
    ratio = min(loop_times) / max(min(vec_times), 1e-9)
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


# --- q4 --------------------------------------------------------------------------------------
@pytest.mark.parametrize("n,k,seed", [(103, 7, 5150), (12, 12, 77), (50, 2, 31337)])
def test_kfold_hidden_splits(answers, verdict, n, k, seed):
    folds = answers.kfold_indices(n, k, np.random.default_rng(seed))
    assert len(folds) == k, f"{len(folds)} folds, expected {k}"
    val = [np.asarray(v) for _, v in folds]
    train = [np.asarray(t) for t, _ in folds]
    counts = np.bincount(np.concatenate(val).astype(np.int64), minlength=n)
    verdict.equal("times each index is validated", counts)
    verdict.equal("shared train/validation indices", [len(np.intersect1d(t, v)) for t, v in zip(train, val)])
    verdict.equal("validation folds", np.concatenate(val))
    verdict.equal("training folds", np.concatenate(train))
    assert np.all(counts == 1), "every index must be in exactly one validation fold"
    for t, v in zip(train, val):
        assert np.array_equal(np.sort(np.concatenate([t, v])), np.arange(n)), "train + validation must be range(n)"


# --- q5 --------------------------------------------------------------------------------------
def test_select_k_hidden_digits_permutation(answers, verdict):
    X, y, perm = hidden_digits()
    tr, te = perm[:1300], perm[1300:]  # 1300 = 5 x 260: equal folds, so pooled and per-fold means agree
    best_k, mean_acc, std_acc = answers.select_k(X[tr], y[tr], [1, 2, 3, 4, 5, 6, 7, 9, 11], 5,
                                                 np.random.default_rng(4))
    # integer pixels make every distance exact, so correct answers agree to rounding in the mean
    verdict.equal("best_k", best_k)
    verdict.close("mean_acc", np.asarray(mean_acc), rtol=1e-12, atol=1e-12)
    verdict.close("std_acc", np.asarray(std_acc), rtol=1e-12, atol=1e-12)
    pred = answers.knn_predict(answers.pairwise_sq_dists(X[te], X[tr]), y[tr], int(best_k))
    # the reference picks k=1 and scores ~0.985 on these 497 images; a wrong k or vote costs more than 1.5%
    verdict.accuracy("held-out digits with your k", pred, y_true=y[te], minimum=0.97)


def test_select_k_hidden_iris(answers, verdict):
    X, y = load_iris(return_X_y=True)
    X = np.round(X * 10)  # millimetres: integer features, exact distances, many genuine distance ties
    best_k, mean_acc, std_acc = answers.select_k(X, y, list(range(1, 16)), 6, np.random.default_rng(2024))
    # k=10 and k=11 tie for the best mean (the same fold accuracies in another order): the tie rule decides
    verdict.equal("best_k", best_k)
    verdict.close("mean_acc", np.asarray(mean_acc), rtol=1e-12, atol=1e-12)
    verdict.close("std_acc", np.asarray(std_acc), rtol=1e-12, atol=1e-12)
