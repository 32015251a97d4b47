"""Lab 02: softmax regression from scratch, checked with numerical gradients.

Shapes follow CS231n: X is (N, D) with one example per row, W is (D, C), y holds integer labels in [0, C).
Every function works in float64; none of them may modify its inputs (except numerical_gradient, which
must restore them).
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from scipy.optimize import minimize
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data


def softmax_loss_naive(W: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float) -> tuple[float, np.ndarray]:
    """Softmax loss and gradient with explicit loops over the examples."""
    W = np.asarray(W, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y).astype(np.intp)
    N = X.shape[0]
    C = W.shape[1]
    loss = 0.0
    dW = np.zeros_like(W)
    for i in range(N):
        s = X[i] @ W
        s = s - np.max(s)
        e = np.exp(s)
        z = np.sum(e)
        loss += np.log(z) - s[y[i]]
        for j in range(C):
            p = e[j] / z
            coeff = p - (1.0 if j == y[i] else 0.0)
            dW[:, j] += coeff * X[i]
    loss /= N
    dW /= N
    loss += reg * np.sum(W * W)
    dW += 2.0 * reg * W
    return float(loss), dW


def softmax_loss_vectorized(W: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float) -> tuple[float, np.ndarray]:
    """Same loss and gradient as softmax_loss_naive, without Python loops."""
    W = np.asarray(W, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y).astype(np.intp)
    N = X.shape[0]
    S = X @ W
    S = S - S.max(axis=1, keepdims=True)
    lse = np.log(np.exp(S).sum(axis=1))
    rows = np.arange(N)
    loss = np.mean(lse - S[rows, y]) + reg * np.sum(W * W)
    P = np.exp(S - lse[:, None])
    P[rows, y] -= 1.0
    dW = X.T @ P / N + 2.0 * reg * W
    return float(loss), dW


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central-difference gradient of f at x; x is probed in place and restored exactly."""
    grad = np.zeros(x.shape, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        fp = float(f(x))
        x[ix] = old - h
        fm = float(f(x))
        x[ix] = old
        grad[ix] = (fp - fm) / (2.0 * h)
        it.iternext()
    return grad


def rel_error(a: np.ndarray, b: np.ndarray, floor: float = 1e-8) -> float:
    """max_i |a_i - b_i| / max(floor, |a_i| + |b_i|) as a Python float."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    num = np.abs(a - b)
    den = np.maximum(floor, np.abs(a) + np.abs(b))
    return float(np.max(num / den))


class SoftmaxRegression(ClassifierMixin, BaseEstimator):
    """Multinomial logistic regression trained with L-BFGS on softmax_loss_vectorized."""

    def __init__(self, reg: float = 1e-4, max_iter: int = 500, tol: float = 1e-8):
        self.reg = reg
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, X, y) -> "SoftmaxRegression":
        """Learn the weights. X (N, D) numeric, y (N,) labels of any hashable type."""
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        N, D = X.shape
        C = len(self.classes_)
        Xb = np.hstack([X, np.ones((N, 1))])  # bias column last

        def fun(w):
            loss, dW = softmax_loss_vectorized(w.reshape(D + 1, C), Xb, y_idx, self.reg)
            return loss, dW.ravel()

        res = minimize(fun, np.zeros((D + 1) * C), jac=True, method="L-BFGS-B",
                       options={"maxiter": self.max_iter, "gtol": self.tol})
        W = res.x.reshape(D + 1, C)
        self.coef_ = W[:D].T.copy()
        self.intercept_ = W[D].copy()
        self.n_iter_ = np.array([res.nit])
        return self

    def _scores(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return X @ self.coef_.T + self.intercept_

    def decision_function(self, X) -> np.ndarray:
        """Class scores (N, C); for two classes, the (N,) margin of class 1."""
        S = self._scores(X)
        if S.shape[1] == 2:
            return S[:, 1] - S[:, 0]
        return S

    def predict_proba(self, X) -> np.ndarray:
        """Softmax of the class scores, shape (N, C); rows sum to 1."""
        S = self._scores(X)
        S = S - S.max(axis=1, keepdims=True)
        E = np.exp(S)
        return E / E.sum(axis=1, keepdims=True)

    def predict(self, X) -> np.ndarray:
        """The most probable class label for each row, shape (N,), drawn from classes_."""
        S = self._scores(X)
        return self.classes_[np.argmax(S, axis=1)]
