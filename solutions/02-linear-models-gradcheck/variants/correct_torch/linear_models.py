"""Lab 02: softmax regression from scratch, checked with numerical gradients.

Shapes follow CS231n: X is (N, D) with one example per row, W is (D, C), y holds integer labels in [0, C).
Every function works in float64; none of them may modify its inputs (except numerical_gradient, which
must restore them).
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from scipy.optimize import minimize
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data


def softmax_loss_naive(W: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float) -> tuple[float, np.ndarray]:
    """Softmax loss and gradient with explicit loops over the examples (numpy, per-example)."""
    N = len(X)
    D, C = W.shape
    loss = 0.0
    dW = np.zeros((D, C), dtype=np.float64)
    for i in range(N):
        xi = np.asarray(X[i], dtype=np.float64)
        s = xi @ W
        mx = s.max()
        e = np.exp(s - mx)
        z = e.sum()
        yi = int(y[i])
        loss += -((s[yi] - mx) - np.log(z))
        p = e / z
        dW += np.outer(xi, p)
        dW[:, yi] -= xi
    loss = loss / N + reg * (W ** 2).sum()
    dW = dW / N + 2 * reg * W
    return float(loss), dW


def softmax_loss_vectorized(W: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float) -> tuple[float, np.ndarray]:
    """Same loss and gradient, computed with torch (float64) log_softmax and autograd."""
    Wt = torch.tensor(np.asarray(W, dtype=np.float64), dtype=torch.float64, requires_grad=True)
    Xt = torch.as_tensor(np.asarray(X, dtype=np.float64))
    yt = torch.as_tensor(np.asarray(y).astype(np.int64))
    S = Xt @ Wt
    data = torch.nn.functional.cross_entropy(S, yt, reduction="mean")
    loss = data + reg * (Wt * Wt).sum()
    loss.backward()
    return float(loss.item()), Wt.grad.detach().numpy().copy()


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central-difference gradient of f at x; x is probed in place and restored exactly."""
    flat_grad = np.zeros(x.size, dtype=np.float64)
    for k in range(x.size):
        keep = x.flat[k]
        x.flat[k] = keep + h
        fph = f(x)
        x.flat[k] = keep - h
        fmh = f(x)
        x.flat[k] = keep
        flat_grad[k] = (fph - fmh) / (2.0 * h)
    return flat_grad.reshape(x.shape)


def rel_error(a: np.ndarray, b: np.ndarray, floor: float = 1e-8) -> float:
    """max_i |a_i - b_i| / max(floor, |a_i| + |b_i|) as a Python float."""
    a, b = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    worst = 0.0
    for ai, bi in zip(a.ravel().tolist(), b.ravel().tolist()):
        r = abs(ai - bi) / max(floor, abs(ai) + abs(bi))
        if r > worst:
            worst = r
    return float(worst)


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
        classes, codes = np.unique(y, return_inverse=True)
        N, D = X.shape
        C = len(classes)
        Xb = np.hstack([X, np.ones((N, 1))])

        def obj(w):
            loss, g = softmax_loss_vectorized(w.reshape(D + 1, C), Xb, codes, self.reg)
            return loss, g.ravel()

        res = minimize(obj, x0=np.zeros((D + 1) * C), method="L-BFGS-B", jac=True,
                       options=dict(maxiter=self.max_iter, gtol=self.tol))
        W = res.x.reshape(D + 1, C)
        self.classes_ = classes
        self.coef_ = W[:D, :].T.copy()
        self.intercept_ = W[D, :].copy()
        self.n_iter_ = np.array([res.nit])
        return self

    def _raw(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return X @ self.coef_.T + self.intercept_[None, :]

    def decision_function(self, X) -> np.ndarray:
        """Class scores (N, C); for two classes, the (N,) margin of class 1."""
        S = self._raw(X)
        if len(self.classes_) == 2:
            return S[:, 1] - S[:, 0]
        return S

    def predict_proba(self, X) -> np.ndarray:
        """Softmax of the class scores, shape (N, C); rows sum to 1."""
        S = torch.as_tensor(self._raw(X))
        return torch.softmax(S, dim=1).numpy()

    def predict(self, X) -> np.ndarray:
        """The most probable class label for each row, shape (N,), drawn from classes_."""
        S = self._raw(X)
        return self.classes_[S.argmax(axis=1)]
