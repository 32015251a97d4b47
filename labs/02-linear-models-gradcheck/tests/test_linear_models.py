"""Public tests for lab 02. Run them with `labkit check 02` (or plain pytest from this folder).

Each test checks one behaviour against an oracle computed here (scipy's log_softmax, calculus),
so a failure message tells you what to fix. Hidden tests at grading use other inputs.
"""
import ast
import inspect
import textwrap

import numpy as np
from scipy.special import log_softmax
from sklearn.datasets import load_digits


def small_problem(seed=0, n=12, d=5, c=4):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(d, c)) * 0.1, rng.normal(size=(n, d)), rng.integers(0, c, size=n)


def oracle(W, X, y, reg):
    """Loss and gradient from scipy's log_softmax: the definition, written independently of your code."""
    logp = log_softmax(X @ W, axis=1)
    n = len(y)
    onehot = np.eye(W.shape[1])[y]
    loss = -logp[np.arange(n), y].mean() + reg * np.sum(W * W)
    grad = X.T @ (np.exp(logp) - onehot) / n + 2 * reg * W
    return loss, grad


# --- q1: naive ---------------------------------------------------------------------------
def test_naive_loss_at_zero_weights_is_log_c(answers, verdict):
    W, X, y = small_problem()
    loss, grad = answers.softmax_loss_naive(np.zeros_like(W), X, y, 0.0)
    # with W = 0 every class has probability 1/C, so the loss is exactly log C
    verdict.close("loss", loss, expected=np.log(W.shape[1]), rtol=1e-12)
    assert grad.shape == W.shape, f"gradient shape {grad.shape}, expected {W.shape}"


def test_naive_matches_oracle(answers, verdict):
    W, X, y = small_problem(1)
    loss, grad = answers.softmax_loss_naive(W, X, y, 0.1)
    want_loss, want_grad = oracle(W, X, y, 0.1)
    verdict.close("loss", loss, expected=want_loss, rtol=1e-10)
    verdict.close("grad", grad, expected=want_grad, rtol=1e-9, atol=1e-12)


# --- q2: vectorized ----------------------------------------------------------------------
def test_vectorized_matches_oracle(answers, verdict):
    W, X, y = small_problem(2, n=50, d=8, c=6)
    loss, grad = answers.softmax_loss_vectorized(W, X, y, 0.05)
    want_loss, want_grad = oracle(W, X, y, 0.05)
    verdict.close("loss", loss, expected=want_loss, rtol=1e-10)
    verdict.close("grad", grad, expected=want_grad, rtol=1e-9, atol=1e-12)


def test_vectorized_survives_large_scores(answers, verdict):
    W, X, y = small_problem(3)
    W = W * 5000.0  # scores in the thousands: exp() overflows unless the max is subtracted first
    loss, grad = answers.softmax_loss_vectorized(W, X, y, 0.0)
    assert np.isfinite(loss) and np.all(np.isfinite(grad)), "loss or gradient is inf/nan for large scores"
    want_loss, want_grad = oracle(W, X, y, 0.0)
    verdict.close("loss", loss, expected=want_loss, rtol=1e-10)


def test_vectorized_has_no_python_loops(answers, verdict):
    W, X, y = small_problem(4)
    loss, _ = answers.softmax_loss_vectorized(W, X, y, 0.0)  # it must work before its shape counts
    verdict.close("loss", loss, expected=oracle(W, X, y, 0.0)[0], rtol=1e-10)
    source = textwrap.dedent(inspect.getsource(answers.softmax_loss_vectorized))
    loops = [type(n).__name__ for n in ast.walk(ast.parse(source))
             if isinstance(n, (ast.For, ast.While, ast.ListComp, ast.GeneratorExp, ast.SetComp, ast.DictComp))]
    assert not loops, f"softmax_loss_vectorized uses Python loops: {', '.join(loops)}"


# --- q3: gradient checking ---------------------------------------------------------------
def test_gradcheck_cubic(answers, verdict):
    x = np.linspace(-2.0, 2.0, 7)
    grad = answers.numerical_gradient(lambda v: float(np.sum(v ** 3)), x.copy())
    # central differences are exact up to h^2 * f'''/6 = 1e-10 here; forward differences miss by ~3xh
    verdict.close("grad", grad, expected=3 * x ** 2, rtol=1e-7, atol=1e-8)


def test_gradcheck_restores_input(answers, verdict):
    x = np.arange(6, dtype=float).reshape(2, 3)
    before = x.copy()
    grad = answers.numerical_gradient(lambda v: float(np.sum(v ** 2)), x)
    assert np.array_equal(x, before), "numerical_gradient changed x and did not restore it"
    verdict.close("grad of sum(x**2)", grad, expected=2 * before, rtol=1e-7, atol=1e-8)


def test_gradcheck_rel_error(answers, verdict):
    verdict.close("identical zeros", answers.rel_error(np.zeros(3), np.zeros(3)), expected=0.0, atol=0.0)
    verdict.close("10% apart", answers.rel_error(np.array([1.0]), np.array([1.1])), expected=0.1 / 2.1, rtol=1e-12)


# --- q4: the estimator -------------------------------------------------------------------
def test_estimator_follows_sklearn_contract(answers, verdict):
    clf = answers.SoftmaxRegression(reg=0.01, max_iter=50)
    assert clf.get_params()["reg"] == 0.01, "__init__ must store its parameters unchanged"
    X, y = load_digits(return_X_y=True)
    assert clf.fit(X[:200], y[:200]) is clf, "fit must return self"
    proba = clf.predict_proba(X[200:260])
    assert proba.shape == (60, 10)
    verdict.close("row sums of predict_proba", proba.sum(axis=1), expected=np.ones(60), rtol=1e-9)
    assert set(clf.predict(X[200:260])) <= set(clf.classes_)


def test_estimator_learns_digits(answers, verdict):
    X, y = load_digits(return_X_y=True)
    clf = answers.SoftmaxRegression(reg=1e-3).fit(X[:1200], y[:1200])
    # the reference reaches ~0.95 on this split; 0.9 leaves room for other optimizers
    verdict.accuracy("digits accuracy", clf.predict(X[1200:]), y_true=y[1200:], minimum=0.90)
