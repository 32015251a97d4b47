"""Hidden tests for lab 04: values go to the grader, which compares them with the reference solution's.

No expected value lives here and no oracle runs here: the grader runs the reference solution through these
same tests and keeps its values (the reference agrees with PyTorch in float64 to ~1e-15; the public tests
show that comparison). The 50 digits of the overfitting check and their labels come from the grader
(solutions/04-numpy-layers/hidden_data.py). Seeds, shapes and hyperparameters differ from the public tests.
Properties (inputs left alone, eval changes nothing, im2col = naive, the speed ratio, the binomial test, the
loss going down) are gates: judged on the learner's own values, never compared with the reference's.
"""
import numpy as np
import pytest
from scipy.stats import binomtest

import helpers  # labs/04-numpy-layers/tests/helpers.py, shared with the public tests

SEEDS = [401, 577, 929]
# Values of order 1 computed in float64 by a handful of sums and products: correct answers written
# differently (einsum, tensordot, matmul, loops; other summation orders) agree to ~1e-15 (measured); rtol 1e-10
# with a 1e-12 floor (entries that cancel to ~0) is 1e5 x that, and every bug in a formula is off by >= 1e-3.
REC = dict(rtol=1e-10, atol=1e-12)
# Selections, maxima and multiplications by exactly 0 or 1 (ReLU, max pooling's forward, eval dropout) involve
# no rounding at all: correct answers agree bit for bit.
EXACT = dict(rtol=0.0, atol=0.0)
# One or two roundings per entry (x * (1 / (1 - p)) versus x / (1 - p)): ~2e-16 relative at most.
ULPS = dict(rtol=1e-12, atol=0.0)


def kept_intact(verdict, name, arrays, copies):
    """Gate: "Every function leaves its inputs alone" (README); the optimizers are the only exception."""
    for k, (arr, before) in enumerate(zip(arrays, copies)):
        verdict.same(f"{name} input {k} left unchanged", arr, before)


# ============================================================== q1: linear and relu
def test_linear_hidden_linspace_forward(answers, verdict):
    x, W, b = helpers.lin((3, 2, 5), -0.7, 0.2), helpers.lin((10, 4), -0.3, 0.9), helpers.lin((4,), 0.5, -0.5)
    copies = [a.copy() for a in (x, W, b)]
    out, _ = answers.linear_forward(x, W, b)
    verdict.close("out", out, **REC)
    kept_intact(verdict, "linear_forward", (x, W, b), copies)


LINEAR_SHAPES = [(4, 3, 5), (2, 3, 4, 4), (7, 6)]  # x (N, ...): 3-D, an image batch (N, C, H, W), a plain (N, D)


@pytest.mark.parametrize("case", range(len(LINEAR_SHAPES)))
def test_linear_hidden_forward_backward(answers, verdict, case):
    rng = np.random.default_rng(SEEDS[case])
    shape = LINEAR_SHAPES[case]
    m = 5 + case
    x, W, b = rng.normal(size=shape), rng.normal(size=(int(np.prod(shape[1:])), m)), rng.normal(size=m)
    dout = rng.normal(size=(shape[0], m))
    copies = [a.copy() for a in (x, W, b, dout)]
    out, cache = answers.linear_forward(x, W, b)
    dx, dW, db = answers.linear_backward(dout, cache)
    # sums of up to 48 products of N(0, 1) numbers: ~1e-15 between summation orders (REC)
    verdict.close("out", out, **REC)
    verdict.close("dx", dx, **REC)  # shaped like x: a flattened (N, D) dx differs in shape for 3-D and 4-D x
    verdict.close("dW", dW, **REC)
    verdict.close("db", db, **REC)
    kept_intact(verdict, "linear", (x, W, b, dout), copies)


def relu_input(seed, shape=(6, 7)):
    x = np.round(np.random.default_rng(seed).normal(size=shape), 1)  # rounding leaves exact zeros in it
    x.reshape(-1)[:3] = 0.0
    return x


def test_relu_hidden_linspace(answers, verdict):
    x = np.round(helpers.lin((5, 9), -2.0, 2.0), 6)  # rounding makes the middle entry exactly 0.0
    before = x.copy()
    out, cache = answers.relu_forward(x)
    verdict.close("out", out, **EXACT)
    verdict.close("dx", answers.relu_backward(helpers.lin((5, 9), 1.0, 2.0), cache), **EXACT)  # 0 at x == 0
    kept_intact(verdict, "relu_forward", (x,), (before,))


@pytest.mark.parametrize("shape", [(6, 7), (3, 2, 4, 5)])  # "any shape": a batch of vectors, a batch of images
def test_relu_hidden_forward_backward(answers, verdict, shape):
    seed = int(np.prod(shape))
    x = relu_input(seed, shape)
    dout = np.random.default_rng(seed + 1).normal(size=x.shape)
    copies = [x.copy(), dout.copy()]
    out, cache = answers.relu_forward(x)
    dx = answers.relu_backward(dout, cache)
    verdict.close("out", out, **EXACT)
    verdict.close("dx", dx, **EXACT)
    kept_intact(verdict, "relu", (x, dout), copies)


# ============================================================== q2: softmax cross-entropy
def test_softmax_hidden_linspace(answers, verdict):
    logits, y = helpers.lin((5, 6), -3.0, 4.0), np.array([5, 0, 2, 2, 3])
    loss, dlogits = answers.softmax_cross_entropy(logits, y)
    verdict.close("loss", loss, **REC)  # a mean of N logsumexps: ~1e-16 relative between correct answers
    verdict.close("dlogits", dlogits, **REC)


@pytest.mark.parametrize("seed", SEEDS)
def test_softmax_hidden_random(answers, verdict, seed):
    rng = np.random.default_rng(seed)
    n, c = rng.integers(3, 12, size=2)
    logits, y = rng.normal(size=(n, c)) * 3, rng.integers(0, c, size=n)
    before = logits.copy()
    loss, dlogits = answers.softmax_cross_entropy(logits, y)
    verdict.close("loss", loss, **REC)
    verdict.close("dlogits", dlogits, **REC)  # (p - onehot) / N: a factor N off without the mean
    kept_intact(verdict, "softmax_cross_entropy", (logits,), (before,))


def test_softmax_hidden_huge_logits(answers, verdict):
    logits = np.random.default_rng(811).normal(size=(6, 9)) * 3000.0  # exp(3000) overflows without the max shift
    y = (np.arange(6) % 9).astype(np.int32)  # "integers": not only int64
    loss, dlogits = answers.softmax_cross_entropy(logits, y)
    assert np.isfinite(loss) and np.all(np.isfinite(dlogits)), "inf or nan for large logits"
    # a loss of ~1e3 from differences of logits ~1e4: rounding ~1e4 * eps = 2e-12 absolute, 1e-15 relative;
    # probabilities are 0 or 1 up to exp(-tens), whose absolute rounding is far below the 1e-12 floor
    verdict.close("loss", loss, **REC)
    verdict.close("dlogits", dlogits, **REC)


# ============================================================== q3: batch norm
# dx = (g - mean(g) - x_hat * mean(g * x_hat)) / std cancels: its rounding is ~eps * N * |g| / std, and the
# chain rule written step by step (through var and mu) was measured 2.3e-12 absolute from the closed form on
# badly scaled features. atol 1e-9 covers any correct form; a missing term is off by O(1).
DX = dict(rtol=1e-8, atol=1e-9)


def test_batchnorm_hidden_train_normalizes(answers, verdict):
    rng = np.random.default_rng(1201)
    x = rng.normal(size=(64, 7)) * rng.uniform(0.5, 30.0, size=7) + rng.uniform(-50.0, 50.0, size=7)
    before = x.copy()
    out = answers.BatchNorm1d(7).forward(x, True)
    # x - mu rounds to ~eps * 50 = 1e-14 on features of scale >= 0.5: x_hat agrees to ~1e-14 (REC)
    verdict.close("out", out, **REC)
    # properties of the learner's own output: a mean of ~1e-16 (rounding), and std = sqrt(var / (var + eps)),
    # within 1e-4 of 1 for a feature variance above 0.25
    verdict.bound("largest |mean| of a feature", float(np.max(np.abs(out.mean(axis=0)))), high=1e-12)
    verdict.bound("largest |std - 1| of a feature", float(np.max(np.abs(out.std(axis=0) - 1))), high=1e-4)
    kept_intact(verdict, "BatchNorm1d.forward", (x,), (before,))


def test_batchnorm_hidden_linspace(answers, verdict):
    bn = answers.BatchNorm1d(5, eps=1e-3, momentum=0.2)  # non-default eps and momentum
    bn.gamma, bn.beta = helpers.lin((5,), 0.5, 1.5), helpers.lin((5,), -0.2, 0.2)
    out = bn.forward(helpers.lin((4, 5), -1.0, 3.0) ** 2, True)  # N = 4: unbiased var is 4/3 of the biased one
    verdict.close("train out", out, **REC)
    verdict.close("running_mean", bn.running_mean, **REC)
    verdict.close("running_var", bn.running_var, **REC)
    verdict.close("eval out", bn.forward(helpers.lin((3, 5), -0.5, 0.5), False), **REC)


BN_CASES = [(401, 12, 5), (577, 5, 3), (929, 19, 7)]  # (seed, N, D)


@pytest.mark.parametrize("case", range(len(BN_CASES)))
def test_batchnorm_hidden_train_backward(answers, verdict, case):
    seed, n, d = BN_CASES[case]
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)) * rng.uniform(0.3, 4.0, size=d) + rng.uniform(-5.0, 5.0, size=d)
    dout = rng.normal(size=(n, d)) + 0.5 * x  # correlated with x_hat: the variance term matters
    gamma, beta = rng.normal(size=d), rng.normal(size=d)
    bn = answers.BatchNorm1d(d, momentum=0.3)
    bn.gamma, bn.beta = gamma.copy(), beta.copy()
    out = bn.forward(x, True)
    dx = bn.backward(dout)
    verdict.close("out", out, **REC)
    verdict.close("running_mean", bn.running_mean, **REC)
    verdict.close("running_var", bn.running_var, **REC)  # N / (N - 1), momentum 0.3 as PyTorch
    verdict.close("dx", dx, **DX)
    verdict.close("dgamma", bn.dgamma, **REC)  # plain sums of dout * x_hat and dout: no cancellation
    verdict.close("dbeta", bn.dbeta, **REC)


def test_batchnorm_hidden_eval_after_50_warmup_batches(answers, verdict):
    rng = np.random.default_rng(1409)
    loc, scale = rng.uniform(-5, 5, size=4), rng.uniform(0.2, 6.0, size=4)
    bn = answers.BatchNorm1d(4, momentum=0.05)
    bn.gamma, bn.beta = rng.normal(size=4), rng.normal(size=4)
    for _ in range(50):
        bn.forward(rng.normal(loc, scale, size=(12, 4)), True)
    # 50 moving-average updates: rounding grows to ~50 eps relative, far inside REC
    verdict.close("running_mean", bn.running_mean, **REC)
    verdict.close("running_var", bn.running_var, **REC)
    stats = [bn.running_mean.copy(), bn.running_var.copy()]
    x = rng.normal(size=(3, 4))  # far from the warm-up distribution: batch statistics would give other values
    out = bn.forward(x, False)
    again = bn.forward(x, False)
    verdict.close("eval out", out, **REC)
    # eval updates nothing: the same output twice, the running statistics untouched
    verdict.same("a second eval forward", again, out)
    verdict.same("running_mean after eval", bn.running_mean, stats[0])
    verdict.same("running_var after eval", bn.running_var, stats[1])


# ============================================================== q4: dropout
def test_dropout_hidden_seeded_forward(answers, verdict):
    x = helpers.lin((5, 8), -2.0, 2.0)
    rng = np.random.default_rng(1511)
    out1, mask1 = answers.dropout_forward(x, 0.35, True, rng)
    out2, _ = answers.dropout_forward(x, 0.35, True, rng)  # the generator moved on: another mask
    verdict.close("out1", out1, **ULPS)  # the mask is prescribed: keep = rng.random(x.shape) >= p
    verdict.close("out2", out2, **ULPS)
    verdict.close("backward", answers.dropout_backward(helpers.lin((5, 8), 1.0, 3.0), mask1), **ULPS)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.85])
def test_dropout_hidden_zero_fraction_binomtest(answers, verdict, p):
    x = helpers.lin((120, 150), 0.5, 2.0)  # no zeros in x, so every zero in out was dropped
    out, _ = answers.dropout_forward(x, p, True, np.random.default_rng(1601 + int(100 * p)))
    zeros = int(np.sum(out == 0))
    verdict.equal("dropped entries", zeros)  # the prescribed mask fixes the count
    # the learner's own count against Binomial(n, p), alpha = 1e-4 (the seeds pass with the reference)
    verdict.bound("binomtest p-value", float(binomtest(zeros, x.size, p).pvalue), low=1e-4)
    kept = out != 0
    scale = out[kept] / x[kept]
    verdict.close("survivor scale, min", float(scale.min()), **ULPS)  # 1 / (1 - p) to an ulp or two
    verdict.close("survivor scale, max", float(scale.max()), **ULPS)


def test_dropout_hidden_mean_preserved(answers, verdict):
    x = np.random.default_rng(1703).uniform(1.0, 3.0, size=(200, 100))
    out, _ = answers.dropout_forward(x, 0.6, True, np.random.default_rng(1709))
    ratio = float(out.mean() / x.mean())
    # the ratio's standard deviation is ~0.009 here; inverted dropout keeps it at 1, plain dropout gives 0.4
    verdict.bound("mean(out) / mean(x)", ratio, low=0.95, high=1.05)
    verdict.close("mean of out", float(out.mean()), **ULPS)  # the same mask: entries agree to an ulp


@pytest.mark.parametrize("p, train", [(0.7, False), (0.0, True)])
def test_dropout_hidden_identity_draws_nothing(answers, verdict, p, train):
    x = np.random.default_rng(1801).normal(size=(7, 3, 2))
    rng = np.random.default_rng(1811)
    out, mask = answers.dropout_forward(x, p, train, rng)
    verdict.close("out", out, **EXACT)  # x itself: a copy, or x times ones, is exact
    verdict.close("dx", answers.dropout_backward(helpers.lin(x.shape, 1.0, 2.0), mask), **EXACT)
    # "eval and p == 0 must not draw from it": the generator gives the draws a fresh one would
    verdict.close("next draws of the generator", rng.random(4), **EXACT)


def test_dropout_hidden_backward_uses_the_same_mask(answers, verdict):
    x = helpers.lin((30, 40), 0.5, 1.5)
    out, mask = answers.dropout_forward(x, 0.45, True, np.random.default_rng(1907))
    dout = np.random.default_rng(1913).normal(size=x.shape)
    dx = answers.dropout_backward(dout, mask)
    verdict.close("dx", dx, **ULPS)
    # out = x * mask and dx = dout * mask, whatever the draw: three factors in two orders, a few ulps apart
    verdict.same("dx * x = dout * out", dx * x, dout * out, rtol=1e-12, atol=0.0)


# ============================================================== q5: convolution
CONV_CASES = [  # (x shape, w shape, stride, pad): the naive one stays within (4, 3, 8, 8)
    ((2, 3, 5, 5), (4, 3, 3, 3), 1, 0),
    ((3, 2, 7, 6), (3, 2, 2, 3), 2, 1),  # non-square kernel, stride 2
    ((4, 3, 8, 8), (2, 3, 5, 5), 3, 2),
    ((2, 1, 6, 9), (3, 1, 4, 2), 1, 3),  # kernel taller than wide, padding wider than it
]


def conv_case(k):
    xs, ws, stride, pad = CONV_CASES[k]
    rng = np.random.default_rng(2003 + k)
    return rng.normal(size=xs), rng.normal(size=ws), rng.normal(size=ws[0]), stride, pad


# sums of up to 75 products of N(0, 1) numbers, of size ~10: rounding ~1e-14 between summation orders (REC)
def test_conv_hidden_naive_linspace(answers, verdict):
    x, w, b = helpers.lin((2, 3, 5, 5), -0.4, 0.6), helpers.lin((4, 3, 3, 3), 0.3, -0.3), helpers.lin((4,), -0.2, 0.4)
    out = answers.conv2d_forward_naive(x, w, b, stride=2, pad=1)
    verdict.close("out", out, **REC)


@pytest.mark.parametrize("case", range(len(CONV_CASES)))
def test_conv_hidden_naive(answers, verdict, case):
    x, w, b, stride, pad = conv_case(case)
    copies = [a.copy() for a in (x, w, b)]
    out = answers.conv2d_forward_naive(x, w, b, stride=stride, pad=pad)
    verdict.close("out", out, **REC)
    kept_intact(verdict, "conv2d_forward_naive", (x, w, b), copies)


@pytest.mark.parametrize("case", range(len(CONV_CASES)))
def test_conv_hidden_im2col(answers, verdict, case):
    x, w, b, stride, pad = conv_case(case)
    copies = [a.copy() for a in (x, w, b)]
    fast = answers.conv2d_forward_im2col(x, w, b, stride=stride, pad=pad)
    verdict.close("out", fast, **REC)
    kept_intact(verdict, "conv2d_forward_im2col", (x, w, b), copies)
    # "must agree with the naive version to 1e-10": the learner's two versions, judged on each other
    verdict.same("im2col = naive", fast, answers.conv2d_forward_naive(x, w, b, stride=stride, pad=pad),
                 rtol=0, atol=1e-10)


def test_conv_hidden_im2col_larger(answers, verdict):
    rng = np.random.default_rng(2111)
    x, w, b = rng.normal(size=(8, 3, 16, 15)), rng.normal(size=(6, 3, 5, 4)), rng.normal(size=6)
    out = answers.conv2d_forward_im2col(x, w, b, stride=2, pad=2)
    verdict.close("out", out, **REC)  # 60 products per entry: ~1e-14 between summation orders


def test_conv_hidden_im2col_speedup(answers, verdict):
    rng = np.random.default_rng(2203)
    x, w, b = rng.normal(size=(4, 3, 8, 8)), rng.normal(size=(5, 3, 3, 3)), rng.normal(size=5)
    ratio, fast = helpers.conv_speedup(answers.conv2d_forward_im2col, x, w, b, stride=1, pad=1)
    verdict.close("out", fast, **REC)
    # min of 5 interleaved: the reference measured ~60x on 2 busy cores, columns built one output position at
    # a time ~35x, a loop over (n, f, i, j) ~1x
    assert ratio >= 10, f"conv2d_forward_im2col is only {ratio:.1f}x faster than plain loops (need 10x)"


# ============================================================== q6: max pooling
# The forward selects values (exact); the backward adds dout values where windows overlap, in an order that
# differs between correct answers: ~1e-16 apart (REC).
POOL_CASES = [((2, 3, 8, 8), 2, 2), ((3, 2, 9, 7), 3, 2), ((1, 4, 6, 6), 2, 1), ((2, 1, 9, 9), 3, 3)]


def test_maxpool_hidden_linspace(answers, verdict):
    x = helpers.lin((2, 3, 6, 6), 1.0, -1.0)  # decreasing: the maximum is each window's top-left corner
    out, cache = answers.maxpool2d_forward(x, 3, 3)
    verdict.close("out", out, **EXACT)
    verdict.close("dx", answers.maxpool2d_backward(helpers.lin(out.shape, 0.5, 1.5), cache), **EXACT)


@pytest.mark.parametrize("case", range(len(POOL_CASES)))
def test_maxpool_hidden_random(answers, verdict, case):
    shape, pool, stride = POOL_CASES[case]
    rng = np.random.default_rng(2301 + case)
    x = rng.normal(size=shape)  # continuous values: no ties
    before = x.copy()
    out, cache = answers.maxpool2d_forward(x, pool, stride)
    dx = answers.maxpool2d_backward(rng.normal(size=out.shape), cache)
    verdict.close("out", out, **EXACT)
    verdict.close("dx", dx, **REC)  # stride < pool: one position can be the max of several windows, grads add
    kept_intact(verdict, "maxpool2d_forward", (x,), (before,))


@pytest.mark.parametrize("pool, stride", [(2, 2), (3, 2), (2, 1)])
def test_maxpool_hidden_ties(answers, verdict, pool, stride):
    rng = np.random.default_rng(2417 + 10 * pool + stride)
    x = rng.integers(0, 3, size=(2, 3, 7, 7)).astype(np.float64)  # three values: most windows hold equal maxima
    out, cache = answers.maxpool2d_forward(x, pool, stride)
    dx = answers.maxpool2d_backward(rng.normal(size=out.shape), cache)
    verdict.close("out", out, **EXACT)
    verdict.close("dx", dx, **REC)  # the docstring's rule: the first maximum in row-major order takes it


# ============================================================== q7: SGD with momentum
def test_momentum_hidden_linspace_state(answers, verdict):
    w, dw, v = helpers.lin((3, 7), -0.8, 0.3), helpers.lin((3, 7), 0.7, -0.2), helpers.lin((3, 7), -0.1, 0.5)
    opt = answers.SGDMomentum([w], lr=0.03, momentum=0.8)
    opt.velocity = [v.copy()]  # an optimizer state the learner did not create
    opt.step([dw])
    verdict.close("next w", w, **REC)  # w itself: updated in place
    verdict.close("velocity", opt.velocity[0], **REC)


@pytest.mark.parametrize("lr, momentum", [(0.07, 0.85), (0.3, 0.5)])
def test_momentum_hidden_steps(answers, verdict, lr, momentum):
    rng = np.random.default_rng(2503)
    params = [rng.normal(size=(4, 3)), rng.normal(size=3)]
    grad_seq = [[rng.normal(size=(4, 3)), rng.normal(size=3)] for _ in range(8)]
    opt = answers.SGDMomentum(params, lr=lr, momentum=momentum)
    for grads in grad_seq:
        opt.step(grads)
    for k, p in enumerate(params):  # the caller's arrays: a model shares them with its optimizer
        verdict.close(f"param {k}", p, **REC)  # 8 steps of a linear recurrence: ~1e-15


# ============================================================== q8: Adam
# Adam's update is lr * m_hat / (sqrt(v_hat) + eps): correct arrangements (PyTorch's step size lr / bc1 and
# denominator sqrt(v) / sqrt(bc2) + eps, or the docstring's) differ by ~1e-16 relative per step (REC).
def test_adam_hidden_linspace_state(answers, verdict):
    w1, g1 = helpers.lin((3, 7), -0.8, 0.3), helpers.lin((3, 7), 0.7, -0.2)
    w2, g2 = helpers.lin((4,), 0.2, -0.4), helpers.lin((4,), -0.05, 0.01)
    opt = answers.Adam([w1, w2], lr=3e-3, betas=(0.8, 0.99), eps=1e-6)
    # a state the learner did not create: step t = 4 next, for both parameters
    opt.m = [helpers.lin((3, 7), -0.3, 0.2), helpers.lin((4,), 0.01, -0.02)]
    opt.v = [helpers.lin((3, 7), 0.01, 0.4), helpers.lin((4,), 1e-4, 1e-3)]
    opt.t = 3
    opt.step([g1, g2])
    verdict.close("next w1", w1, **REC)
    verdict.close("next w2", w2, **REC)
    verdict.close("m1", opt.m[0], **REC)
    verdict.close("v2", opt.v[1], **REC)
    verdict.equal("t", int(opt.t))


def test_adam_hidden_first_step_moves_by_lr(answers, verdict):
    w = helpers.lin((4, 4), -1.0, 1.0)
    before = w.copy()
    answers.Adam([w], lr=0.01).step([helpers.lin((4, 4), -5.0, 3.0)])
    # with bias correction the first step is lr * g / (|g| + eps): about lr * sign(g) whatever the scale of g;
    # before - w loses ~eps * |w| = 1e-16 absolute on steps of 1e-2 (REC)
    verdict.close("first step", before - w, **REC)


@pytest.mark.parametrize("lr, betas, eps, gscale",
                         [(0.02, (0.85, 0.995), 1e-8, 10.0), (0.05, (0.9, 0.999), 1e-3, 1e-3)])
def test_adam_hidden_steps(answers, verdict, lr, betas, eps, gscale):
    rng = np.random.default_rng(2609)
    params = [rng.normal(size=(2, 5)), rng.normal(size=5)]
    grad_seq = [[rng.normal(size=(2, 5)) * gscale, rng.normal(size=5) * 0.1] for _ in range(9)]
    opt = answers.Adam(params, lr=lr, betas=betas, eps=eps)  # eps = 1e-3 with gradients of 1e-3: eps matters
    for grads in grad_seq:
        opt.step(grads)
    for k, p in enumerate(params):
        verdict.close(f"param {k}", p, **REC)  # 9 steps: ~1e-15
    verdict.equal("t", int(opt.t))


# ============================================================== q9: MLP and training
def test_mlp_hidden_init(answers, verdict):
    model = answers.MLP((7, 11, 6, 5, 3), seed=17)  # four linear layers
    verdict.equal("number of params", len(model.params))
    for k, p in enumerate(model.params):
        verdict.close(f"param {k}", np.asarray(p), **ULPS)  # normal draws times sqrt(2 / fan_in): one rounding


@pytest.mark.parametrize("sizes", [(6, 9, 5, 4), (5, 8, 3), (4, 6, 6, 5, 3)])
def test_mlp_hidden_loss_and_grads(answers, verdict, sizes):
    rng = np.random.default_rng(2701 + len(sizes))
    X, y = rng.normal(size=(11, sizes[0])), rng.integers(0, sizes[-1], size=11)
    model = answers.MLP(sizes, seed=5)
    for p in model.params:
        p[...] = rng.normal(size=p.shape) * 0.7  # in place: weights the initializer did not draw
    loss, grads = model.loss(X, y)
    # a few layers of the q1/q2 arithmetic: ~1e-15 (REC)
    verdict.close("loss", loss, **REC)
    verdict.close("scores", model.forward(X)[0], **REC)
    verdict.equal("predict", np.asarray(model.predict(X)))
    for k, g in enumerate(grads):
        verdict.close(f"grad {k}", g, **REC)


def test_mlp_hidden_fit_batches(answers, verdict):
    rng = np.random.default_rng(2753)
    X, y = rng.normal(size=(47, 8)), rng.integers(0, 4, size=47)  # 47 rows, batches of 10: the last one has 7
    model = answers.MLP((8, 12, 4), seed=3)
    opt = helpers.Recorder(model.params)  # changes nothing: the model stays as initialized
    history = answers.fit(model, opt, X, y, epochs=3, batch_size=10, seed=31)
    # so the numbers depend only on which rows form each batch (README: one generator for the run,
    # rng.permutation(N) per epoch, consecutive slices, the last one shorter). The gradient of the last bias,
    # the batch mean of (p - onehot), tells the batches apart.
    verdict.equal("optimizer steps", len(opt.seen))
    verdict.close("last-bias gradient of every step", np.stack([grads[-1] for grads in opt.seen]), **REC)
    verdict.close("history", np.asarray(history, dtype=np.float64), **REC)  # means of batch means


class SGD:
    """Plain SGD written here, so that the overfitting check charges the MLP and fit, not the learner's q7/q8."""

    def __init__(self, params, lr):
        self.params, self.lr = params, lr

    def step(self, grads):
        for p, g in zip(self.params, grads):
            p -= self.lr * g


def test_mlp_hidden_overfit_50_digits(answers, verdict, hidden_data):
    d = hidden_data("digits50")
    model = answers.MLP((64, 80, 40, 10), seed=13)
    history = answers.fit(model, SGD(model.params, lr=0.2), d["X"], d["y"], epochs=20, batch_size=10, seed=29)
    verdict.equal("epochs", len(history))
    # CS231n's criterion: 100 % train accuracy within 20 epochs (the reference reaches it at epoch 10 and stays)
    verdict.accuracy("train accuracy", model.predict(d["X"]), truth="digits50.y", minimum=1.0)
    # the learner's own curve: from 2.45 to 0.034 for the reference; a model whose params are copies never learns
    verdict.bound("last / first epoch loss", float(history[-1] / history[0]), high=0.5)
