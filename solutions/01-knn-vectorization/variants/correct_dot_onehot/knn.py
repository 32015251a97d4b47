"""Lab 01: k-nearest neighbours, vectorized distances and k-fold cross-validation, in NumPy.

Shapes: X is (N, D) with one example per row, Y is (M, D); a distance matrix D is (N, M) with
D[i, j] the squared Euclidean distance between X[i] and Y[j]. Labels are integers. Work in float64
and never modify an input array.
"""
from __future__ import annotations

import numpy as np


def pairwise_sq_dists_loops(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances with two explicit Python loops: the slow, obviously right baseline.

        D[i, j] = sum_d (X[i, d] - Y[j, d])**2

    Args:
        X: (N, D) array.  Y: (M, D) array.
    Returns:
        (N, M) float64 array.
    """
    X = np.array(X, dtype=np.float64, copy=True)
    Y = np.array(Y, dtype=np.float64, copy=True)
    n, m = len(X), len(Y)
    D = np.full((n, m), np.nan, dtype=np.float64)
    i = 0
    while i < n:
        j = 0
        while j < m:
            diff = np.subtract(X[i], Y[j])
            D[i, j] = float(np.inner(diff, diff))
            j += 1
        i += 1
    return D


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
    X = np.asarray(X).astype(np.float64)
    Y = np.asarray(Y).astype(np.float64)
    x2 = (X ** 2).sum(axis=-1).reshape(-1, 1)
    y2 = (Y ** 2).sum(axis=-1).reshape(1, -1)
    cross = np.dot(X, Y.T)
    return np.maximum(x2 - 2.0 * cross + y2, 0.0).astype(np.float64, copy=False)


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
    labels, inv = np.unique(y_train, return_inverse=True)
    onehot = np.eye(labels.size, dtype=np.int64)[inv.reshape(-1)]     # (N_train, C), label order
    nn = np.argsort(D, axis=1, kind="stable")[:, : int(k)]          # (N_test, k)
    votes = onehot[nn].sum(axis=1)                                  # (N_test, C) vote counts
    return np.take(labels, np.argmax(votes, axis=1)).astype(y_train.dtype, copy=False)


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
    perm = np.random.default_rng(rng).permutation(n)
    sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
    cuts = np.cumsum(sizes)[:-1]
    parts = np.split(perm, cuts)
    return [(np.hstack(parts[:i] + parts[i + 1:]), parts[i]) for i in range(k)]


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
    ks = tuple(int(k) for k in ks)
    splits = kfold_indices(y.shape[0], n_folds, rng)
    acc = np.empty((len(ks), len(splits)), dtype=np.float64)      # (len(ks), n_folds)
    for f, (tr, va) in enumerate(splits):
        dist = pairwise_sq_dists(X[va], X[tr])
        for j, k in enumerate(ks):
            acc[j, f] = (knn_predict(dist, y[tr], k) == y[va]).mean()
    mean_acc = np.mean(acc, axis=1)
    std_acc = np.std(acc, axis=1, ddof=0)
    close = [k for k, mu in zip(ks, mean_acc) if mean_acc.max() - mu <= 1e-9]
    best_k = min(close)
    return int(best_k), mean_acc, std_acc
