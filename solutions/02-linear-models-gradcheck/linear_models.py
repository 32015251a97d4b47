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
    """Softmax (cross-entropy) loss and its gradient, with explicit Python loops over the examples.

    For example i with scores s = X[i] @ W (shape (C,)):
        L_i = -log( exp(s[y_i]) / sum_j exp(s[j]) )
    Loss  = (1/N) * sum_i L_i + reg * sum(W**2)
    dW    = (1/N) * sum_i X[i]^T (p_i - onehot(y_i)) + 2 * reg * W,   p_i = softmax(s)

    Numerical advice: subtract max(s) from s before exponentiating (exp(1000) overflows to inf), and take
    L_i as log(sum_j exp(s[j])) - s[y_i] (log-sum-exp) rather than log of a probability: with scores in
    the thousands a probability underflows to 0 and log(0) = -inf.

    Args:
        W: (D, C) weights.  X: (N, D) data.  y: (N,) integer labels.  reg: L2 strength (>= 0).
    Returns:
        (loss as a Python float, dW with the shape of W).
    """
    ### BEGIN SOLUTION
    n, c = X.shape[0], W.shape[1]
    loss, dW = 0.0, np.zeros_like(W, dtype=float)
    for i in range(n):
        scores = X[i] @ W
        scores = scores - scores.max()
        log_norm = np.log(np.exp(scores).sum())
        loss += log_norm - scores[y[i]]
        probs = np.exp(scores - log_norm)
        for j in range(c):
            dW[:, j] += (probs[j] - (j == y[i])) * X[i]
    loss = loss / n + reg * np.sum(W * W)
    dW = dW / n + 2 * reg * W
    return float(loss), dW
    ### END SOLUTION


def softmax_loss_vectorized(W: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float) -> tuple[float, np.ndarray]:
    """The same loss and gradient as softmax_loss_naive, without Python loops.

    Scores S = X @ W (N, C); shift each row by its maximum; P = exp(S) / rowsum(exp(S));
    Loss = mean(-log P[i, y_i]) + reg * sum(W**2);  dW = X^T (P - Y) / N + 2 * reg * W, Y one-hot (N, C).
    Use log-sum-exp for the loss rather than log(P) so that tiny probabilities do not give -inf.

    Returns:
        (loss as a Python float, dW (D, C)).
    """
    ### BEGIN SOLUTION
    n = X.shape[0]
    scores = X @ W
    scores = scores - scores.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(scores).sum(axis=1, keepdims=True))
    log_probs = scores - log_norm
    loss = -log_probs[np.arange(n), y].mean() + reg * np.sum(W * W)
    probs = np.exp(log_probs)
    probs[np.arange(n), y] -= 1.0
    dW = X.T @ probs / n + 2 * reg * W
    return float(loss), dW
    ### END SOLUTION


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Gradient of a scalar function f at x by central differences, one coordinate at a time.

        grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2h)          (error O(h^2); forward differences are O(h))

    x is changed in place while probing and must be restored exactly afterwards.

    Args:
        f: takes an array shaped like x, returns a float.  x: float64 array of any shape.  h: step.
    Returns:
        array with the shape of x.
    """
    ### BEGIN SOLUTION
    grad = np.zeros_like(x, dtype=float)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        idx = it.multi_index
        old = x[idx]
        x[idx] = old + h
        f_plus = f(x)
        x[idx] = old - h
        f_minus = f(x)
        x[idx] = old
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad
    ### END SOLUTION


def rel_error(a: np.ndarray, b: np.ndarray, floor: float = 1e-8) -> float:
    """Largest elementwise relative error, with an absolute floor on the denominator.

        max_i |a_i - b_i| / max(floor, |a_i| + |b_i|)

    The floor matters: gradients that are truly ~0 (always-zero pixels) give 0/0 or huge ratios otherwise.
    Returns a Python float.
    """
    ### BEGIN SOLUTION
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(floor, np.abs(a) + np.abs(b))))
    ### END SOLUTION


class SoftmaxRegression(ClassifierMixin, BaseEstimator):
    """Multinomial logistic regression trained with L-BFGS on softmax_loss_vectorized.

    Follows scikit-learn's estimator contract: __init__ only stores parameters; fit learns
    classes_ (C,), the distinct labels sorted (np.unique(y)); coef_ (C, D) and intercept_ (C,), whose row c
    belongs to classes_[c] (two rows for two classes too); n_iter_ (1,), the L-BFGS iterations run (at most
    max_iter); n_features_in_; and returns self.
    The intercept is an extra input column of ones and is regularized like the weights.

    Args:
        reg: L2 strength passed to the loss.  max_iter: most L-BFGS iterations.  tol: L-BFGS gradient tolerance.
    """

    def __init__(self, reg: float = 1e-4, max_iter: int = 500, tol: float = 1e-8):
        self.reg = reg
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, X, y) -> "SoftmaxRegression":
        """Learn the weights. X (N, D) numeric, y (N,) labels of any hashable type."""
        ### BEGIN SOLUTION
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        Xb = np.hstack([X, np.ones((X.shape[0], 1))])
        shape = (Xb.shape[1], len(self.classes_))

        def objective(w_flat):
            loss, grad = softmax_loss_vectorized(w_flat.reshape(shape), Xb, y_idx, self.reg)
            return loss, grad.ravel()

        res = minimize(objective, np.zeros(shape[0] * shape[1]), jac=True, method="L-BFGS-B",
                       options={"maxiter": self.max_iter, "gtol": self.tol})
        W = res.x.reshape(shape)
        self.coef_, self.intercept_ = W[:-1].T.copy(), W[-1].copy()
        self.n_iter_ = np.array([res.nit])
        return self
        ### END SOLUTION

    def decision_function(self, X) -> np.ndarray:
        """Class scores X @ coef_.T + intercept_, shape (N, C); for two classes, the (N,) margin of class 1."""
        ### BEGIN SOLUTION
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        scores = X @ self.coef_.T + self.intercept_
        return scores[:, 1] - scores[:, 0] if len(self.classes_) == 2 else scores
        ### END SOLUTION

    def predict_proba(self, X) -> np.ndarray:
        """Softmax of the class scores, shape (N, C): column c is the probability of classes_[c]; rows sum to 1."""
        ### BEGIN SOLUTION
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        scores = X @ self.coef_.T + self.intercept_
        scores = scores - scores.max(axis=1, keepdims=True)
        probs = np.exp(scores)
        return probs / probs.sum(axis=1, keepdims=True)
        ### END SOLUTION

    def predict(self, X) -> np.ndarray:
        """The most probable class label for each row, shape (N,), drawn from classes_."""
        ### BEGIN SOLUTION
        probs = self.predict_proba(X)
        return self.classes_[np.argmax(probs, axis=1)]
        ### END SOLUTION
