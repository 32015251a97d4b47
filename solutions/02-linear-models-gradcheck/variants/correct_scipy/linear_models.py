"""Lab 02: softmax regression from scratch, checked with numerical gradients.

Shapes follow CS231n: X is (N, D) with one example per row, W is (D, C), y holds integer labels in [0, C).
Every function works in float64; none of them may modify its inputs (except numerical_gradient, which
must restore them).
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from scipy.optimize import minimize
from scipy.special import logsumexp, softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data


def softmax_loss_naive(W: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float) -> tuple[float, np.ndarray]:
    """Softmax loss and gradient with an explicit loop over the examples."""
    W = np.asarray(W, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    N = X.shape[0]
    C = W.shape[1]
    total = 0.0
    G = np.zeros(W.shape, dtype=np.float64)
    for i in range(N):
        s = X[i].dot(W)
        lse = logsumexp(s)
        yi = int(y[i])
        total += lse - s[yi]
        p = np.exp(s - lse)
        p[yi] -= 1.0
        G += np.outer(X[i], p)
    loss = total / N + reg * float(np.sum(W ** 2))
    dW = G / N + 2 * reg * W
    return float(loss), dW


def softmax_loss_vectorized(W: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float) -> tuple[float, np.ndarray]:
    """Same loss and gradient as softmax_loss_naive, without Python loops."""
    W = np.asarray(W, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y).astype(np.intp)
    N, C = X.shape[0], W.shape[1]
    S = np.matmul(X, W)
    lse = logsumexp(S, axis=1)
    correct = np.take_along_axis(S, y[:, None], axis=1)[:, 0]
    loss = np.sum(lse - correct) / N + reg * np.sum(np.square(W))
    Y = np.zeros((N, C))
    Y[np.arange(N), y] = 1.0
    P = softmax(S, axis=1)
    dW = np.matmul(X.T, P - Y) / N + 2 * reg * W
    return float(loss), dW


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central-difference gradient of f at x; x is probed in place and restored exactly."""
    grad = np.empty(x.shape, dtype=np.float64)
    for ix in np.ndindex(*x.shape):
        saved = x[ix].copy()
        x[ix] = saved + h
        f_plus = f(x)
        x[ix] = saved - h
        f_minus = f(x)
        x[ix] = saved
        grad[ix] = (f_plus - f_minus) / (2 * h)
    return grad


def rel_error(a: np.ndarray, b: np.ndarray, floor: float = 1e-8) -> float:
    """max_i |a_i - b_i| / max(floor, |a_i| + |b_i|) as a Python float."""
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    den = np.abs(a) + np.abs(b)
    den = np.where(den > floor, den, floor)
    return float((np.abs(a - b) / den).max())


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
        classes, y_enc = np.unique(y, return_inverse=True)
        y_enc = y_enc.ravel()
        N, D = X.shape
        C = classes.shape[0]
        Xb = np.concatenate([np.ones((N, 1)), X], axis=1)  # bias column first
        reg = self.reg

        # optimize the (C, D+1) matrix theta = W.T, flattened
        def objective(theta):
            W = theta.reshape(C, D + 1).T
            loss, dW = softmax_loss_vectorized(W, Xb, y_enc, reg)
            return loss, np.ascontiguousarray(dW.T).ravel()

        res = minimize(objective, np.zeros(C * (D + 1)), method="L-BFGS-B", jac=True,
                       options={"maxiter": self.max_iter, "gtol": self.tol})
        theta = res.x.reshape(C, D + 1)
        self.classes_ = classes
        self.intercept_ = theta[:, 0].copy()
        self.coef_ = theta[:, 1:].copy()
        self.n_iter_ = np.array([res.nit], dtype=np.int32)
        return self

    def decision_function(self, X) -> np.ndarray:
        """Class scores (N, C); for two classes, the (N,) margin of class 1."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        S = X @ self.coef_.T + self.intercept_
        if len(self.classes_) == 2:
            return S[:, 1] - S[:, 0]
        return S

    def predict_proba(self, X) -> np.ndarray:
        """Softmax of the class scores, shape (N, C); rows sum to 1."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        S = X @ self.coef_.T + self.intercept_
        return softmax(S, axis=1)

    def predict(self, X) -> np.ndarray:
        """The most probable class label for each row, shape (N,), drawn from classes_."""
        P = self.predict_proba(X)
        return self.classes_.take(P.argmax(axis=1))
