"""Public tests for lab 02. Run them with `labkit check 02` (or plain pytest from this folder).

Each test checks one behaviour against an oracle computed here (scipy's log_softmax, calculus, the true
weights of simulated data), so a failure message tells you what to fix. Hidden tests at grading use other
inputs. Input generators shared with the hidden tests live in helpers.py.
"""
import helpers
import numpy as np
from scipy.special import log_softmax
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def oracle(W, X, y, reg):
    """Loss and gradient from scipy's log_softmax: the definition, written independently of your code."""
    logp = log_softmax(X @ W, axis=1)
    n = len(y)
    onehot = np.eye(W.shape[1])[y]
    loss = -logp[np.arange(n), y].mean() + reg * np.sum(W * W)
    grad = X.T @ (np.exp(logp) - onehot) / n + 2 * reg * W
    return loss, grad


# Tolerances: your float64 loss and gradient differ from the oracle's by rounding only (~1e-15 relative), so
# rtol 1e-10 is loose for a correct answer and tight for a wrong factor or term; atol 1e-12 covers gradient
# entries that cancel to ~1e-17.

# --- q1: naive ---------------------------------------------------------------------------
def test_naive_loss_at_zero_weights_is_log_c(answers, verdict):
    W, X, y = helpers.problem(0)
    loss, grad = answers.softmax_loss_naive(np.zeros_like(W), X, y, 0.0)
    # with W = 0 every class has probability 1/C, so the loss is log C up to rounding (N * eps ~ 1e-15)
    verdict.close("loss", loss, expected=np.log(W.shape[1]), rtol=1e-12)
    assert grad.shape == W.shape, f"gradient shape {grad.shape}, expected {W.shape}"


def test_naive_matches_oracle(answers, verdict):
    W, X, y = helpers.problem(1)
    loss, grad = answers.softmax_loss_naive(W, X, y, 0.1)
    want_loss, want_grad = oracle(W, X, y, 0.1)
    verdict.close("loss", loss, expected=want_loss, rtol=1e-10)
    verdict.close("grad", grad, expected=want_grad, rtol=1e-9, atol=1e-12)


def test_naive_survives_large_scores(answers, verdict):
    W, X, y = helpers.problem(5, w_scale=500.0)  # scores in the thousands: exp() overflows unless shifted by the max
    loss, grad = answers.softmax_loss_naive(W, X, y, 0.0)
    assert np.isfinite(loss) and np.all(np.isfinite(grad)), "loss or gradient is inf/nan for large scores"
    want_loss, want_grad = oracle(W, X, y, 0.0)
    verdict.close("loss", loss, expected=want_loss, rtol=1e-10)
    verdict.close("grad", grad, expected=want_grad, rtol=1e-9, atol=1e-12)


# --- q2: vectorized ----------------------------------------------------------------------
def test_vectorized_matches_oracle(answers, verdict):
    W, X, y = helpers.problem(2, n=50, d=8, c=6)
    loss, grad = answers.softmax_loss_vectorized(W, X, y, 0.05)
    want_loss, want_grad = oracle(W, X, y, 0.05)
    verdict.close("loss", loss, expected=want_loss, rtol=1e-10)
    verdict.close("grad", grad, expected=want_grad, rtol=1e-9, atol=1e-12)


def test_vectorized_survives_large_scores(answers, verdict):
    W, X, y = helpers.problem(3)
    W = W * 5000.0  # scores in the thousands: exp() overflows unless the max is subtracted first
    loss, grad = answers.softmax_loss_vectorized(W, X, y, 0.0)
    assert np.isfinite(loss) and np.all(np.isfinite(grad)), "loss or gradient is inf/nan for large scores"
    want_loss, want_grad = oracle(W, X, y, 0.0)
    verdict.close("loss", loss, expected=want_loss, rtol=1e-10)


def test_vectorized_has_no_python_loops(answers, verdict):
    W, X, y = helpers.problem(4)
    loss, _ = answers.softmax_loss_vectorized(W, X, y, 0.0)  # it must work before its shape counts
    verdict.close("loss", loss, expected=oracle(W, X, y, 0.0)[0], rtol=1e-10)
    loops = helpers.python_loops(answers.softmax_loss_vectorized)
    assert not loops, f"softmax_loss_vectorized uses Python loops: {', '.join(loops)}"


# --- q3: gradient checking ---------------------------------------------------------------
def test_gradcheck_cubic(answers, verdict):
    x = np.linspace(-2.0, 2.0, 7)
    grad = answers.numerical_gradient(lambda v: float(np.sum(v ** 3)), x.copy())
    # central differences are exact up to h^2 * f'''/6 = 1e-10 here; forward differences miss by ~3xh
    verdict.close("grad", grad, expected=3 * x ** 2, rtol=1e-7, atol=1e-8)


def test_gradcheck_restores_input(answers, verdict):
    x = np.random.default_rng(6).normal(size=(2, 3))  # not round numbers: x += h; x -= h is off by an ulp
    before = x.copy()
    grad = answers.numerical_gradient(lambda v: float(np.sum(v ** 2)), x)
    # central differences are exact for a quadratic up to rounding, eps * f / h ~ 1e-10
    assert np.array_equal(x, before), "numerical_gradient did not restore x exactly (save the value, put it back)"
    verdict.close("grad of sum(x**2)", grad, expected=2 * before, rtol=1e-7, atol=1e-8)


def test_gradcheck_rel_error(answers, verdict):
    # 0 / floor is exactly 0; the others are one subtraction and one division: exact to an ulp (~1e-16)
    verdict.close("identical zeros", answers.rel_error(np.zeros(3), np.zeros(3)), expected=0.0, atol=0.0)
    verdict.close("10% apart", answers.rel_error(np.array([1.0]), np.array([1.1])), expected=0.1 / 2.1, rtol=1e-12)
    # below the floor the denominator is the floor: 2e-6 / max(1e-3, 4e-6)
    verdict.close("floor=1e-3", answers.rel_error(np.array([1e-6]), np.array([3e-6]), floor=1e-3),
                  expected=2e-3, rtol=1e-12)


# --- q4: the estimator -------------------------------------------------------------------
def test_estimator_follows_sklearn_contract(answers, verdict):
    clf = answers.SoftmaxRegression(reg=0.01, max_iter=50)
    assert clf.get_params()["reg"] == 0.01, "__init__ must store its parameters unchanged"
    X, y = load_digits(return_X_y=True)
    assert clf.fit(X[:200], y[:200]) is clf, "fit must return self"
    proba = clf.predict_proba(X[200:260])
    assert proba.shape == (60, 10)
    verdict.close("row sums of predict_proba", proba.sum(axis=1), expected=np.ones(60), rtol=1e-9)  # ~1e-16
    assert set(clf.predict(X[200:260])) <= set(clf.classes_)


def test_estimator_learns_digits(answers, verdict):
    X, y = load_digits(return_X_y=True)
    clf = answers.SoftmaxRegression(reg=1e-3).fit(X[:1200], y[:1200])
    # the reference reaches ~0.95 on this split; 0.9 leaves room for other optimizers
    verdict.accuracy("digits accuracy", clf.predict(X[1200:]), y_true=y[1200:], minimum=0.90)


def test_estimator_labels_are_not_column_indices(answers, verdict):
    X, y = load_digits(return_X_y=True)
    labels = y + 10  # labels 10..19: predict returns labels from classes_, not column numbers
    clf = answers.SoftmaxRegression(reg=1e-3).fit(X[:1200], labels[:1200])
    verdict.equal("classes_", clf.classes_, expected=np.arange(10, 20))
    verdict.accuracy("digits accuracy with labels 10..19", clf.predict(X[1200:]), y_true=labels[1200:], minimum=0.90)


def test_estimator_two_classes(answers, verdict):
    X, y = load_breast_cancer(return_X_y=True)
    model = make_pipeline(StandardScaler(), answers.SoftmaxRegression(reg=1e-2)).fit(X[::2], y[::2])
    clf = model[-1]
    assert clf.coef_.shape == (2, 30), f"coef_ has shape {clf.coef_.shape}: one row per class, (2, D) for two"
    scores = model[:-1].transform(X[1::2]) @ clf.coef_.T + clf.intercept_
    # for two classes decision_function is the margin of class 1 over class 0: positive means classes_[1].
    # Computed from your own coef_ and intercept_, it agrees to BLAS rounding (~1e-14)
    verdict.close("decision_function", model.decision_function(X[1::2]), expected=scores[:, 1] - scores[:, 0],
                  rtol=1e-9, atol=1e-9)


def test_estimator_max_iter(answers, verdict):
    X, y = load_digits(return_X_y=True)
    clf = answers.SoftmaxRegression(reg=1e-3, max_iter=3).fit(X[:500], y[:500])
    # L-BFGS needs hundreds of iterations here, so it must stop at max_iter (scipy may warn that it did)
    verdict.equal("n_iter_", np.asarray(clf.n_iter_), expected=np.array([3]))


def test_estimator_recovers_known_weights(answers, verdict):
    rng = np.random.default_rng(7)
    true_W = rng.normal(size=(3, 4))
    true_W -= true_W.mean(axis=0)  # softmax weights are identifiable only up to a shift across classes
    X, y = helpers.softmax_samples(rng, true_W, np.zeros(3), 5000)
    coef = answers.SoftmaxRegression(reg=1e-6).fit(X, y).coef_
    # 5000 samples estimate each weight to about +-0.1 (statistical error, not optimizer error)
    verdict.close("centered coef_", coef - coef.mean(axis=0), expected=true_W, rtol=0, atol=0.3)
