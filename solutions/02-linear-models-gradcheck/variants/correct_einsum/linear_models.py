"""Lab 02: softmax regression from scratch, checked with numerical gradients.

Shapes follow CS231n: X is (N, D) with one example per row, W is (D, C), y holds integer labels in [0, C).
Every function works in float64; none of them may modify its inputs (except numerical_gradient, which
must restore them).
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from scipy.optimize import fmin_l_bfgs_b, minimize  # noqa: F401
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data


def _stable_softmax(S: np.ndarray) -> np.ndarray:
    Z = S - np.max(S, axis=-1, keepdims=True)
    E = np.exp(Z)
    return E / np.sum(E, axis=-1, keepdims=True)


def softmax_loss_naive(W: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float) -> tuple[float, np.ndarray]:
    """Softmax loss and gradient with explicit loops over the examples."""
    N, D = X.shape
    C = W.shape[1]
    loss = 0.0
    dW = np.zeros((D, C))
    for i in range(N):
        scores = np.zeros(C)
        for j in range(C):
            scores[j] = float(np.dot(X[i], W[:, j]))
        m = max(scores)
        shifted = scores - m
        denom = sum(np.exp(v) for v in shifted)
        log_denom = np.log(denom)
        loss += log_denom - shifted[int(y[i])]
        probs = np.exp(shifted - log_denom)
        probs[int(y[i])] -= 1.0
        dW += X[i][:, None] * probs[None, :]
    loss = loss / N + reg * np.sum(W * W)
    dW = dW / N + 2.0 * reg * W
    return float(loss), dW


def softmax_loss_vectorized(W: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float) -> tuple[float, np.ndarray]:
    """Same loss and gradient as softmax_loss_naive, without Python loops."""
    N = X.shape[0]
    C = W.shape[1]
    S = np.einsum("nd,dc->nc", X, W)
    m = S.max(axis=1, keepdims=True)
    Z = S - m
    log_norm = np.log(np.exp(Z).sum(axis=1, keepdims=True))
    log_P = Z - log_norm
    Y = np.eye(C)[np.asarray(y).astype(np.intp)]
    loss = -np.einsum("nc,nc->", Y, log_P) / N + reg * np.einsum("dc,dc->", W, W)
    dW = np.einsum("nd,nc->dc", X, np.exp(log_P) - Y) / N + 2.0 * reg * W
    return float(loss), dW


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central-difference gradient of f at x; x is probed in place and restored exactly."""
    grad = np.zeros_like(x, dtype=np.float64)
    for k in range(x.size):
        ix = np.unravel_index(k, x.shape)
        orig = float(x[ix])
        x[ix] = orig + h
        up = f(x)
        x[ix] = orig - h
        down = f(x)
        x[ix] = orig
        grad[ix] = (up - down) / (2 * h)
    return grad


def rel_error(a: np.ndarray, b: np.ndarray, floor: float = 1e-8) -> float:
    """max_i |a_i - b_i| / max(floor, |a_i| + |b_i|) as a Python float."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.fmax(np.abs(a) + np.abs(b), floor)))


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
        self.classes_ = np.unique(y)
        y_idx = np.searchsorted(self.classes_, y)
        N, D = X.shape
        C = self.classes_.size
        Xb = np.c_[X, np.ones(N)]

        def f(w):
            loss, dW = softmax_loss_vectorized(w.reshape(D + 1, C), Xb, y_idx, self.reg)
            return loss, dW.reshape(-1)

        w_opt, _, info = fmin_l_bfgs_b(f, np.zeros((D + 1) * C), pgtol=self.tol, maxiter=self.max_iter)
        W = w_opt.reshape(D + 1, C)
        self.coef_ = np.ascontiguousarray(W[:-1].T)
        self.intercept_ = W[-1].copy()
        self.n_iter_ = np.asarray([info["nit"]])
        return self

    def _class_scores(self, X) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return np.einsum("nd,cd->nc", X, self.coef_) + self.intercept_

    def decision_function(self, X) -> np.ndarray:
        """Class scores (N, C); for two classes, the (N,) margin of class 1."""
        S = self._class_scores(X)
        return S[:, 1] - S[:, 0] if S.shape[1] == 2 else S

    def predict_proba(self, X) -> np.ndarray:
        """Softmax of the class scores, shape (N, C); rows sum to 1."""
        return _stable_softmax(self._class_scores(X))

    def predict(self, X) -> np.ndarray:
        """The most probable class label for each row, shape (N,), drawn from classes_."""
        S = self._class_scores(X)
        return self.classes_[np.argmax(S, axis=1)]
