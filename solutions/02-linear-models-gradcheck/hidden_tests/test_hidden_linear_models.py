"""Hidden tests for lab 02: values go to the grader, which compares them with the reference solution's.

No expected value lives here: the grader runs the reference solution through these same tests and keeps its
values; labels and dataset rows come from the grader (solutions/02-.../hidden_data.py). Seeds, shapes and
arguments differ from the public tests so that hard-coded answers earn nothing. Every tolerance says why.
"""
import helpers
import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

SEEDS = [11, 23, 37]


def problem(seed, n=40, d=9, c=7, scale=0.5):
    return helpers.problem(seed, n=n, d=d, c=c, w_scale=scale, x_scale=2.0)


# --- q1: naive --------------------------------------------------------------------------------------------
# Loss and gradient are float64 sums of N terms: correct answers written differently (scipy.special.logsumexp or
# by hand, outer products or column updates) agree to ~1e-15 relative (measured); rtol 1e-10 leaves five
# orders of margin, and every bug in the formula (a factor, a missing term) is off by 1e-3 or more.
@pytest.mark.parametrize("seed", SEEDS)
def test_naive_hidden_inputs(answers, verdict, seed):
    W, X, y = problem(seed)
    loss, grad = answers.softmax_loss_naive(W, X, y, 0.3)
    verdict.close("loss", loss, rtol=1e-10)
    verdict.close("grad", grad, rtol=1e-9, atol=1e-12)  # atol: entries that cancel to ~1e-17


def test_naive_zero_weights_hidden_classes(answers, verdict):
    W, X, y = problem(5, c=13)
    loss, _ = answers.softmax_loss_naive(np.zeros_like(W), X, y, 0.0)
    verdict.close("loss", loss, rtol=1e-12)  # log 13 summed N times and divided: ~N * eps = 1e-14 at worst


def test_naive_large_scores(answers, verdict):
    W, X, y = problem(8, scale=3000.0)  # scores of several thousand: exp() overflows unless shifted by the max
    loss, grad = answers.softmax_loss_naive(W, X, y, 0.0)
    # the loss is a sum of score differences of ~1e4: rounding ~1e4 * eps = 2e-12 absolute, on a loss of ~1e3
    verdict.close("loss", loss, rtol=1e-10)
    verdict.close("grad", grad, rtol=1e-9, atol=1e-12)  # p - onehot is 0 or O(1) here: no cancellation


# --- q2: vectorized ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_vectorized_hidden_inputs(answers, verdict, seed):
    W, X, y = problem(seed + 100, n=300, d=20, c=10)
    loss, grad = answers.softmax_loss_vectorized(W, X, y, 0.2)
    verdict.close("loss", loss, rtol=1e-10)  # same arithmetic as q1's: ~1e-15 relative between correct answers
    verdict.close("grad", grad, rtol=1e-9, atol=1e-12)


def test_vectorized_large_logits(answers, verdict):
    W, X, y = problem(7, scale=3000.0)  # rows whose maxima differ by thousands: a global max underflows a row
    loss, grad = answers.softmax_loss_vectorized(W, X, y, 0.0)
    verdict.close("loss", loss, rtol=1e-10)  # as test_naive_large_scores: ~1e-15 relative
    verdict.close("grad", grad, rtol=1e-9, atol=1e-12)


def test_vectorized_has_no_python_loops(answers):
    W, X, y = problem(9, n=30)
    answers.softmax_loss_vectorized(W, X, y, 0.1)  # it must run before its shape counts (a stub scores zero)
    loops = helpers.python_loops(answers.softmax_loss_vectorized)
    assert not loops, f"softmax_loss_vectorized uses Python loops: {', '.join(loops)}"


# --- q3: gradient checking --------------------------------------------------------------------------------
def test_gradcheck_sampled_softmax_coordinates(answers, verdict, hidden_data):
    """20 sampled coordinates, as CS231n's grad_check_sparse; f is written here, not taken from q1/q2."""
    d = hidden_data("digits_split")
    X, y = d["X_train"][:60] / 16.0, d["y_train"][:60]
    rng = np.random.default_rng(2024)
    W = rng.normal(size=(64, 10)) * 0.01
    coords = [tuple(c) for c in np.stack([rng.integers(0, 64, 20), rng.integers(0, 10, 20)], axis=1)]

    def loss(w):
        s = X @ w
        s = s - s.max(axis=1, keepdims=True)
        return float(-(s[np.arange(len(y)), y] - np.log(np.exp(s).sum(axis=1))).mean() + 0.05 * np.sum(w * w))

    full = answers.numerical_gradient(loss, W.copy())
    # the same central difference in every correct answer: they differ by rounding, eps * |f| / h ~ 1e-11;
    # forward differences miss by h * f'' / 2 ~ 1e-6 relative. atol: pixels that are always 0 have gradients
    # of only 2 * reg * W ~ 1e-3, and a relative check alone is brittle there
    verdict.close("sampled", np.array([full[c] for c in coords]), rtol=1e-6, atol=1e-9)


def test_gradcheck_curved_function(answers, verdict):
    x = np.linspace(-1.0, 1.0, 9)
    grad = answers.numerical_gradient(lambda v: float(np.sum(np.exp(3 * v))), x.copy(), h=1e-4)
    # forward differences err by ~h * f''/2 ~ 1e-3 here; central by ~h^2 * f'''/6 ~ 1e-7, the same in every
    # correct answer, which differ from each other by rounding only (eps * f / h ~ 1e-11)
    verdict.close("grad", grad, rtol=1e-6, atol=1e-9)


def test_gradcheck_restores_input_exactly(answers, verdict):
    x = np.random.default_rng(31).normal(size=(2, 3, 4)) * 3.0  # 3-D, and values that are not round numbers
    before = x.copy()
    grad = answers.numerical_gradient(lambda v: float(np.sum(np.sin(v) * v ** 2)), x, h=1e-3)
    # the docstring's formula with h = 1e-3: correct answers differ by rounding only, eps * |f| / h ~ 1e-12
    verdict.close("grad", grad, rtol=1e-7, atol=1e-9)
    # "restored exactly": saving and assigning a float64 is exact, while x += h; x -= 2h; x += h is off by an ulp
    verdict.same("x after numerical_gradient", x, before, rtol=0.0, atol=0.0)


def test_gradcheck_rel_error_hidden_values(answers, verdict):
    # one subtraction and one division per entry: correct answers agree to an ulp (~1e-16); rtol 1e-12
    a = np.array([0.0, 1e-12, 3.0, -2.0, 0.0])
    b = np.array([0.0, -1e-12, 3.3, -2.0, 1e-10])
    verdict.close("with floor", answers.rel_error(a, b), rtol=1e-12)
    verdict.close("floor 1.0", answers.rel_error(a, b, floor=1.0), rtol=1e-12)
    # where the floor decides the largest ratio: 2e-6 / 1e-3 with floor=1e-3, but 0.5 with the default floor
    small = np.array([[1e-6, 0.5], [0.0, -4.0]])
    close = np.array([[3e-6, 0.5001], [0.0, -4.0]])
    verdict.close("floor 1e-3", answers.rel_error(small, close, floor=1e-3), rtol=1e-12)


# --- q4: the estimator ------------------------------------------------------------------------------------
def test_estimator_check_estimator(answers):
    from sklearn.utils.estimator_checks import check_estimator

    results = check_estimator(answers.SoftmaxRegression(), on_fail=None)
    failed = sorted({r["check_name"] for r in results if r["status"] == "failed"})
    assert not failed, f"scikit-learn's check_estimator failed: {', '.join(failed)}"


def test_estimator_digits_hidden_split(answers, verdict, hidden_data):
    d = hidden_data("digits_split")
    clf = answers.SoftmaxRegression(reg=1e-3).fit(d["X_train"], d["y_train"])
    # the reference scores ~0.97 on these noisy rows; the curriculum's gate is 0.95 on clean ones, 0.93 here
    verdict.accuracy("digits", clf.predict(d["X_test"]), truth="digits_split.y_test", minimum=0.93)


def test_estimator_wine_in_a_pipeline(answers, verdict, hidden_data):
    d = hidden_data("wine_split")
    model = make_pipeline(StandardScaler(), answers.SoftmaxRegression(reg=1e-3)).fit(d["X_train"], d["y_train"])
    # the reference scores ~0.96; 0.9 leaves room for any converged optimizer
    verdict.accuracy("wine", model.predict(d["X_test"]), truth="wine_split.y_test", minimum=0.9)


def test_estimator_labels_are_not_column_indices(answers, verdict, hidden_data):
    d = hidden_data("wine_cultivars")  # labels 1, 2, 3: predict must return labels from classes_, not columns
    model = make_pipeline(StandardScaler(), answers.SoftmaxRegression(reg=1e-3)).fit(d["X_train"], d["y_train"])
    verdict.equal("classes_", np.asarray(model[-1].classes_))
    # as test_estimator_wine_in_a_pipeline: the reference scores ~0.96; column indices score ~0.01
    verdict.accuracy("cultivars", model.predict(d["X_test"]), truth="wine_cultivars.y_test", minimum=0.9)


def test_estimator_two_classes(answers, verdict, hidden_data):
    d = hidden_data("cancer_split")
    model = make_pipeline(StandardScaler(), answers.SoftmaxRegression(reg=1e-2)).fit(d["X_train"], d["y_train"])
    verdict.equal("coef_ shape", np.array(model[-1].coef_.shape))  # (C, D) = (2, 30), as the docstring says
    # the reference scores ~0.98; 0.93 leaves room for any converged optimizer
    verdict.accuracy("cancer", model.predict(d["X_test"]), truth="cancer_split.y_test", minimum=0.93)
    # margins of class 1, of size 1 to 20. reg = 1e-2 on standardized features makes the optimum well
    # conditioned: converged optimizers (L-BFGS, BFGS, CG) agree within 1.3e-3 (measured); the score of
    # class 1 alone is half the margin, off by several units
    verdict.close("decision_function", model.decision_function(d["X_test"]), rtol=0.0, atol=2e-2)


def test_estimator_max_iter_is_obeyed(answers, verdict, hidden_data):
    d = hidden_data("digits_split")
    clf = answers.SoftmaxRegression(reg=1e-3, max_iter=5).fit(d["X_train"], d["y_train"])
    # L-BFGS needs ~230 iterations here, so it stops at max_iter = 5 whatever the parameter layout
    verdict.equal("n_iter_", np.asarray(clf.n_iter_))


def test_estimator_recovers_known_weights(answers, verdict):
    rng = np.random.default_rng(4242)
    true_W = rng.normal(size=(3, 5)) * 1.5
    true_W -= true_W.mean(axis=0)  # softmax weights are identifiable only up to a shift across classes
    X, y = helpers.softmax_samples(rng, true_W, np.zeros(3), 6000)
    clf = answers.SoftmaxRegression(reg=1e-6).fit(X, y)
    coef = np.asarray(clf.coef_)
    # the reference's estimate is the maximum-likelihood one (within ~0.15 of true_W); converged optimizers
    # (L-BFGS, BFGS, CG) land within 2e-5 of it (measured), a wrong gradient or a missing intercept much further
    verdict.close("centered coef_", coef - coef.mean(axis=0), rtol=0, atol=1e-3)


def test_estimator_scores_in_the_thousands(answers, verdict):
    rng = np.random.default_rng(909)
    true_W = rng.normal(size=(3, 5)) * 1.5
    X, y = helpers.softmax_samples(rng, true_W, np.zeros(3), 3000)
    clf = answers.SoftmaxRegression(reg=1e-6).fit(X, y)
    # far from the data: rows whose best class leads by a true margin > 0.5, scaled so that scores reach
    # thousands (exp overflows at 710). Learned weights are within ~0.1 of true_W, so every row stays one-hot
    # to within exp(-1000) for any converged optimizer
    far = rng.normal(size=(200, 5))
    top2 = np.sort(far @ true_W.T, axis=1)[:, -2:]
    far = far[top2[:, 1] - top2[:, 0] > 0.5][:30] * 3000.0
    verdict.close("predict_proba", clf.predict_proba(far), rtol=0, atol=1e-9)


def test_estimator_regularizes_intercept(answers, verdict):
    rng = np.random.default_rng(77)
    X, y = helpers.softmax_samples(rng, rng.normal(size=(3, 4)), np.array([2.0, 0.0, -1.5]), 800)
    clf = answers.SoftmaxRegression(reg=0.3).fit(X + 1.5, y)  # imbalanced classes, features off centre
    # strongly convex (curvature >= 2 * reg = 0.6): converged optimizers agree within 2e-5 (measured); an
    # intercept left out of the penalty moves it by ~0.6 and coef_ by ~0.08
    verdict.close("coef_", np.asarray(clf.coef_), rtol=0, atol=1e-3)
    verdict.close("intercept_", np.asarray(clf.intercept_), rtol=0, atol=1e-3)


def test_estimator_probabilities_hidden(answers, verdict, hidden_data):
    d = hidden_data("digits_split")
    clf = answers.SoftmaxRegression(reg=1e-2).fit(d["X_train"], d["y_train"])
    # reg = 1e-2 makes the optimum well conditioned: converged optimizers (L-BFGS, BFGS, CG) agree within
    # 4e-4 (measured); without the penalty the probabilities move by ~0.1
    verdict.close("proba", clf.predict_proba(d["X_test"][::5]), rtol=0, atol=2e-3)
