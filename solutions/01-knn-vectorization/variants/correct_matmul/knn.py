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
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    N, M = X.shape[0], Y.shape[0]
    D = np.zeros((N, M), dtype=np.float64)
    for i in range(N):
        for j in range(M):
            diff = X[i] - Y[j]
            D[i, j] = np.dot(diff, diff)
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
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    sx = np.sum(X * X, axis=1)[:, None]
    sy = np.sum(Y * Y, axis=1)[None, :]
    D = sx + sy - 2.0 * (X @ Y.T)
    return np.maximum(D, 0.0)


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
    nn = np.argsort(D, axis=1, kind="stable")[:, :k]
    nl = y_train[nn]                                   # (N_test, k)
    labels = np.unique(y_train)                        # sorted, dtype of y_train
    counts = (nl[:, :, None] == labels[None, None, :]).sum(axis=1)   # (N_test, C)
    pred = labels[np.argmax(counts, axis=1)]
    return pred.astype(y_train.dtype, copy=False)


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
    folds = np.array_split(perm, k)
    out = []
    for i in range(k):
        val_idx = folds[i]
        train_idx = np.concatenate([folds[j] for j in range(k) if j != i])
        out.append((train_idx, val_idx))
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
    ks = [int(k) for k in ks]
    folds = kfold_indices(len(y), n_folds, rng)
    acc = np.zeros((len(folds), len(ks)), dtype=np.float64)
    for f, (tr, va) in enumerate(folds):
        D = pairwise_sq_dists(X[va], X[tr])
        for j, k in enumerate(ks):
            pred = knn_predict(D, y[tr], k)
            acc[f, j] = np.mean(pred == y[va])
    mean_acc = acc.mean(axis=0)
    std_acc = acc.std(axis=0)
    best = mean_acc.max()
    tied = [k for k, m in zip(ks, mean_acc) if m >= best - 1e-9]
    best_k = int(min(tied))
    return best_k, mean_acc, std_acc
