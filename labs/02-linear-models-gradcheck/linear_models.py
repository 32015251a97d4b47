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
    # YOUR CODE HERE
    raise NotImplementedError()


def softmax_loss_vectorized(W: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float) -> tuple[float, np.ndarray]:
    """The same loss and gradient as softmax_loss_naive, without Python loops.

    Scores S = X @ W (N, C); shift each row by its maximum; P = exp(S) / rowsum(exp(S));
    Loss = mean(-log P[i, y_i]) + reg * sum(W**2);  dW = X^T (P - Y) / N + 2 * reg * W, Y one-hot (N, C).
    Use log-sum-exp for the loss rather than log(P) so that tiny probabilities do not give -inf.

    Returns:
        (loss as a Python float, dW (D, C)).
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Gradient of a scalar function f at x by central differences, one coordinate at a time.

        grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2h)          (error O(h^2); forward differences are O(h))

    x is changed in place while probing and must be restored exactly afterwards.

    Args:
        f: takes an array shaped like x, returns a float.  x: float64 array of any shape.  h: step.
    Returns:
        array with the shape of x.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def rel_error(a: np.ndarray, b: np.ndarray, floor: float = 1e-8) -> float:
    """Largest elementwise relative error, with an absolute floor on the denominator.

        max_i |a_i - b_i| / max(floor, |a_i| + |b_i|)

    The floor matters: gradients that are truly ~0 (always-zero pixels) give 0/0 or huge ratios otherwise.
    Returns a Python float.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


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
        # YOUR CODE HERE
        raise NotImplementedError()

    def decision_function(self, X) -> np.ndarray:
        """Class scores X @ coef_.T + intercept_, shape (N, C); for two classes, the (N,) margin of class 1."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def predict_proba(self, X) -> np.ndarray:
        """Softmax of the class scores, shape (N, C): column c is the probability of classes_[c]; rows sum to 1."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def predict(self, X) -> np.ndarray:
        """The most probable class label for each row, shape (N,), drawn from classes_."""
        # YOUR CODE HERE
        raise NotImplementedError()
