"""Hidden tests for lab 02: values go to the grader, which compares them with the reference solution's.

No expected value lives here: the grader runs the reference solution through these same tests and
keeps its values. Seeds differ from the public tests so that hard-coded answers earn nothing.
"""
import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

SEEDS = [11, 23, 37]


def problem(seed, n=40, d=9, c=7, scale=0.5):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(d, c)) * scale, rng.normal(size=(n, d)) * 2, rng.integers(0, c, size=n)


# float64 throughout: agreement to 1e-10 is what a correct implementation gives (measured ~1e-15)
@pytest.mark.parametrize("seed", SEEDS)
def test_naive_hidden_inputs(answers, verdict, seed):
    W, X, y = problem(seed)
    loss, grad = answers.softmax_loss_naive(W, X, y, 0.3)
    verdict.close("loss", loss, rtol=1e-10)
    verdict.close("grad", grad, rtol=1e-9, atol=1e-12)


def test_naive_zero_weights_hidden_classes(answers, verdict):
    W, X, y = problem(5, c=13)
    loss, _ = answers.softmax_loss_naive(np.zeros_like(W), X, y, 0.0)
    verdict.close("loss", loss, rtol=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_vectorized_hidden_inputs(answers, verdict, seed):
    W, X, y = problem(seed + 100, n=300, d=20, c=10)
    loss, grad = answers.softmax_loss_vectorized(W, X, y, 0.2)
    verdict.close("loss", loss, rtol=1e-10)
    verdict.close("grad", grad, rtol=1e-9, atol=1e-12)


def test_vectorized_large_logits(answers, verdict):
    W, X, y = problem(7, scale=3000.0)
    loss, grad = answers.softmax_loss_vectorized(W, X, y, 0.0)
    verdict.close("loss", loss, rtol=1e-10)
    verdict.close("grad", grad, rtol=1e-9, atol=1e-12)


def digits_subset():
    X, y = load_digits(return_X_y=True)
    return X[:60] / 16.0, y[:60]


def test_gradcheck_sampled_softmax_coordinates(answers, verdict):
    """20 sampled coordinates, as CS231n's grad_check_sparse; f is written here, not taken from q1/q2."""
    X, y = digits_subset()
    rng = np.random.default_rng(2024)
    W = rng.normal(size=(64, 10)) * 0.01
    coords = [tuple(c) for c in np.stack([rng.integers(0, 64, 20), rng.integers(0, 10, 20)], axis=1)]

    def loss(w):
        s = X @ w
        s = s - s.max(axis=1, keepdims=True)
        return float(-(s[np.arange(len(y)), y] - np.log(np.exp(s).sum(axis=1))).mean() + 0.05 * np.sum(w * w))

    full = answers.numerical_gradient(loss, W.copy())
    # relative error with an absolute floor: some pixels are always 0, so their gradients are ~2*reg*W ~ 1e-3
    verdict.close("sampled", np.array([full[c] for c in coords]), rtol=1e-6, atol=1e-9)


def test_gradcheck_curved_function(answers, verdict):
    x = np.linspace(-1.0, 1.0, 9)
    grad = answers.numerical_gradient(lambda v: float(np.sum(np.exp(3 * v))), x.copy(), h=1e-4)
    # forward differences err by ~h * f''/2 ~ 1e-3 here; central by ~h^2 * f'''/6 ~ 1e-7
    verdict.close("grad", grad, rtol=1e-6, atol=1e-9)


def test_gradcheck_rel_error_hidden_values(answers, verdict):
    a = np.array([0.0, 1e-12, 3.0, -2.0, 0.0])
    b = np.array([0.0, -1e-12, 3.3, -2.0, 1e-10])
    verdict.close("with floor", answers.rel_error(a, b), rtol=1e-12)
    verdict.close("custom floor", answers.rel_error(a, b, floor=1.0), rtol=1e-12)


def test_estimator_check_estimator(answers):
    from sklearn.utils.estimator_checks import check_estimator

    results = check_estimator(answers.SoftmaxRegression(), on_fail=None)
    failed = sorted({r["check_name"] for r in results if r["status"] == "failed"})
    assert not failed, f"scikit-learn's check_estimator failed: {', '.join(failed)}"


def test_estimator_digits_hidden_split(answers, verdict, hidden_data):
    d = hidden_data("digits_split")
    clf = answers.SoftmaxRegression(reg=1e-3).fit(d["X_train"], d["y_train"])
    # the reference scores ~0.96 on these noisy rows; the curriculum's gate is 0.95 on clean ones, 0.93 here
    verdict.accuracy("digits", clf.predict(d["X_test"]), truth="digits_split.y_test", minimum=0.93)


def test_estimator_wine_in_a_pipeline(answers, verdict, hidden_data):
    d = hidden_data("wine_split")
    model = make_pipeline(StandardScaler(), answers.SoftmaxRegression(reg=1e-3)).fit(d["X_train"], d["y_train"])
    verdict.accuracy("wine", model.predict(d["X_test"]), truth="wine_split.y_test", minimum=0.9)


def test_estimator_recovers_known_weights(answers, verdict):
    rng = np.random.default_rng(4242)
    true_W = rng.normal(size=(3, 5)) * 1.5
    true_W -= true_W.mean(axis=0)  # softmax weights are identifiable only up to a shift across classes
    X = rng.normal(size=(6000, 5))
    logits = X @ true_W.T
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    y = np.array([rng.choice(3, p=row) for row in p])
    clf = answers.SoftmaxRegression(reg=1e-6).fit(X, y)
    coef = np.asarray(clf.coef_)
    centered = coef - coef.mean(axis=0)
    # the reference's estimate is the maximum-likelihood one; any converged optimizer lands within ~1e-3 of it
    verdict.close("centered coef_", centered, rtol=0, atol=0.02)
    assert np.max(np.abs(centered - true_W)) < 0.3, "the learned weights are far from the true ones"


def test_estimator_probabilities_hidden(answers, verdict):
    X, y = load_digits(return_X_y=True)
    clf = answers.SoftmaxRegression(reg=1e-2).fit(X[::2], y[::2])
    # strong regularization makes the optimum well conditioned, so converged solvers agree closely
    verdict.close("proba", clf.predict_proba(X[1::7]), rtol=0, atol=2e-3)
