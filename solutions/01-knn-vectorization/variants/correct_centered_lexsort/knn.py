"""Lab 01: k-nearest neighbours, vectorized distances and k-fold cross-validation, in NumPy.

Shapes: X is (N, D) with one example per row, Y is (M, D); a distance matrix D is (N, M) with
D[i, j] the squared Euclidean distance between X[i] and Y[j]. Labels are integers. Work in float64
and never modify an input array.
"""
from __future__ import annotations

import math

import numpy as np


def pairwise_sq_dists_loops(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances with two explicit Python loops: the slow, obviously right baseline.

        D[i, j] = sum_d (X[i, d] - Y[j, d])**2

    Args:
        X: (N, D) array.  Y: (M, D) array.
    Returns:
        (N, M) float64 array.
    """
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    rows = []
    for i in range(X.shape[0]):
        row = []
        for j in range(Y.shape[0]):
            row.append(math.fsum(np.square(X[i] - Y[j]).tolist()))
        rows.append(row)
    return np.array(rows, dtype=np.float64).reshape(X.shape[0], Y.shape[0])


def pairwise_sq_dists(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """The same (N, M) matrix without any Python loop (no for/while, no comprehension, no map).

    Expand the square:  ||x - y||^2 = ||x||^2 + ||y||^2 - 2 x.y
        row norms  (N, 1) + column norms (1, M) - 2 * X @ Y.T      (broadcasting does the rest)

    Numerical advice: the three terms are large and nearly cancel when x is close to y, so rounding
    can leave tiny negative numbers (about -1e-12) where the true distance is 0. A squared distance
    is never negative: clamp the result at 0 (np.maximum).

    Args:
        X: (N, D) array.  Y: (M, D) array.
    Returns:
        (N, M) float64 array, every entry >= 0.
    """
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    # Distances are translation invariant: shift both sets by the (rounded) mean of all points so that
    # the expansion cancels less for data far from the origin. Rounding keeps integer data exact.
    Z = np.concatenate((X, Y), axis=0)
    shift = np.round(Z.mean(axis=0)) if Z.shape[0] else np.zeros(Z.shape[1])
    Xc = X - shift
    Yc = Y - shift
    D = np.add.outer(np.square(Xc).sum(axis=1), np.square(Yc).sum(axis=1)) - 2.0 * np.dot(Xc, Yc.T)
    return np.where(D < 0.0, 0.0, D)


def knn_predict(D: np.ndarray, y_train: np.ndarray, k: int) -> np.ndarray:
    """Majority vote among the k nearest training points, for every test point.

    D is (N_test, N_train) (row i: distances from test point i to every training point), y_train is
    (N_train,) non-negative integer labels, not necessarily 0..C-1 (e.g. {2, 5, 9}). Rules, so that
    every correct answer gives the same predictions:
      * neighbours are ordered by distance with a *stable* sort, so equal distances keep training
        order: np.argsort(D, axis=1, kind="stable")[:, :k];
      * a tie in the vote goes to the smallest label (np.argmax returns the first maximum, so count
        votes per label in increasing label order).

    Args:
        D: (N_test, N_train) distances.  y_train: (N_train,) integer labels.  k: 1 <= k <= N_train.
    Returns:
        (N_test,) predicted labels, with the dtype of y_train.
    """
    D = np.asarray(D)
    y_train = np.asarray(y_train)
    k = int(k)
    n_test, n_train = D.shape
    # primary key: distance, secondary key: training position  ==  a stable sort by distance
    pos = np.broadcast_to(np.arange(n_train), D.shape)
    nn = np.lexsort((pos, D), axis=-1)[:, :k]
    pred = np.empty(n_test, dtype=y_train.dtype)
    for i in range(n_test):
        vals, cnts = np.unique(y_train[nn[i]], return_counts=True)   # vals ascending
        pred[i] = vals[np.argmax(cnts)]
    return pred


def kfold_indices(n: int, k: int, rng) -> list[tuple[np.ndarray, np.ndarray]]:
    """Shuffled k-fold split of range(n): a list of k (train_idx, val_idx) pairs.

    Use rng exactly like this, so that the same seed gives everyone the same folds:
      1. perm = rng.permutation(n)            (one call; rng is a np.random.Generator or a seed,
                                               np.random.default_rng(rng) accepts both)
      2. cut perm into k contiguous folds; the first n % k folds get one extra element
         (the sizes np.array_split uses);
      3. fold i is val_idx = that slice of perm (in perm order); train_idx = the other folds
         concatenated in fold order.
    Every index lands in exactly one validation fold; train and validation never share an index.

    Args:
        n: number of examples.  k: number of folds, 2 <= k <= n.  rng: np.random.Generator or int seed.
    Returns:
        list of k tuples (train_idx, val_idx) of integer arrays.
    """
    rng = np.random.default_rng(rng)
    perm = rng.permutation(n)
    base, extra = n // k, n % k
    out = []
    start = 0
    for i in range(k):
        stop = start + base + (1 if i < extra else 0)
        val_idx = perm[start:stop]
        train_idx = np.delete(perm, np.s_[start:stop])
        out.append((train_idx, val_idx))
        start = stop
    return out


def select_k(X: np.ndarray, y: np.ndarray, ks, n_folds: int, rng) -> tuple[int, np.ndarray, np.ndarray]:
    """Choose k for kNN by k-fold cross-validation.

    Call kfold_indices(len(y), n_folds, rng) once. For each fold, compute the validation-to-training
    distances once with pairwise_sq_dists (reuse them for every k: that is what makes the search
    cheap), predict with knn_predict and record the validation accuracy. Then, per k:
        mean_acc[j] = mean over folds of the accuracy with ks[j];  std_acc[j] = their std (ddof=0).
    best_k is the k with the highest mean accuracy; on a tie, the smallest such k. Count as tied every
    k whose mean is within 1e-9 of the highest: the same fold accuracies summed in another order can
    differ in the last bit, and rounding must not decide.

    Args:
        X: (N, D) features.  y: (N,) integer labels.  ks: sequence of candidate k.  n_folds: folds.
        rng: np.random.Generator or int seed, passed to kfold_indices.
    Returns:
        (best_k as a Python int, mean_acc (len(ks),) float64, std_acc (len(ks),) float64), in the order of ks.
    """
    X = np.asarray(X)
    y = np.asarray(y)
    ks = list(ks)
    folds = kfold_indices(len(y), n_folds, rng)
    scores = {j: [] for j in range(len(ks))}
    for train_idx, val_idx in folds:
        dist = pairwise_sq_dists(X[val_idx], X[train_idx])
        for j, k in enumerate(ks):
            pred = knn_predict(dist, y[train_idx], int(k))
            scores[j].append(float(np.mean(pred == y[val_idx])))
    mean_acc = np.array([np.mean(scores[j]) for j in range(len(ks))], dtype=np.float64)
    std_acc = np.array([np.std(scores[j]) for j in range(len(ks))], dtype=np.float64)
    top = float(np.max(mean_acc))
    best_k = None
    for k, m in sorted(zip(ks, mean_acc), key=lambda t: int(t[0])):
        if m >= top - 1e-9:
            best_k = int(k)
            break
    return best_k, mean_acc, std_acc
