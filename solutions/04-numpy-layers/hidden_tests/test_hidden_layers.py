"""Hidden tests for lab 04: values go to the grader, which compares them with the reference solution's.

No expected value lives here: the grader runs the reference solution through these same tests and keeps
its values. PyTorch (float64, copied weights) and central differences are also checked in-process with
plain asserts, whose messages name the check but never show a value. Seeds, shapes and hyperparameters
differ from the public tests so that hard-coded answers earn nothing.
"""
import time

import numpy as np
import pytest
from scipy.stats import binomtest
from sklearn.datasets import load_digits

SEEDS = [401, 577, 929]
# float64 against float64: a correct layer agrees with PyTorch to ~1e-15 (measured); 1e-10 is the curriculum's bound
TORCH_ATOL = 1e-10
# what two correct float64 implementations may differ by (summation order): ~1e-15 measured, 1e-10 bound
REC = dict(rtol=1e-10, atol=1e-12)
# central differences (h=1e-6) on these smooth O(1) functions err by ~1e-9; a wrong formula errs by ~1e-1
NUM_ATOL = 1e-6


def torch64():
    import torch
    torch.set_default_dtype(torch.float64)
    return torch


def lin(shape, lo=-1.0, hi=1.0):
    return np.linspace(lo, hi, int(np.prod(shape))).reshape(shape)


def num_grad(f, x, h=1e-6):
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        plus = f()
        x[idx] = old - h
        minus = f()
        x[idx] = old
        grad[idx] = (plus - minus) / (2 * h)
    return grad


def max_err(a, b):
    return float(np.max(np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float))))


# ============================================================== q1: linear and relu
def test_linear_hidden_linspace_forward(answers, verdict):
    x, W, b = lin((3, 2, 5), -0.7, 0.2), lin((10, 4), -0.3, 0.9), lin((4,), 0.5, -0.5)
    out, _ = answers.linear_forward(x, W, b)
    verdict.close("out", out, **REC)


@pytest.mark.parametrize("seed", SEEDS)
def test_linear_hidden_backward_vs_torch(answers, verdict, seed):
    torch = torch64()
    rng = np.random.default_rng(seed)
    n, d1, d2, m = rng.integers(2, 7, size=4)
    x, W, b = rng.normal(size=(n, d1, d2)), rng.normal(size=(d1 * d2, m)), rng.normal(size=m)
    dout = rng.normal(size=(n, m))
    out, cache = answers.linear_forward(x, W, b)
    dx, dW, db = answers.linear_backward(dout, cache)
    tx, tW, tb = (torch.tensor(a, requires_grad=True) for a in (x, W, b))
    tout = torch.nn.functional.linear(tx.reshape(n, -1), tW.T, tb)
    (tout * torch.tensor(dout)).sum().backward()
    for name, mine, ref in [("out", out, tout.detach()), ("dx", dx, tx.grad), ("dW", dW, tW.grad), ("db", db, tb.grad)]:
        verdict.close(name, mine, **REC)
        assert max_err(mine, ref.numpy()) < TORCH_ATOL, f"{name} differs from PyTorch's autograd"


def test_linear_hidden_central_differences(answers, verdict):
    rng = np.random.default_rng(733)
    x, W, b, dout = rng.normal(size=(3, 4)), rng.normal(size=(4, 6)), rng.normal(size=6), rng.normal(size=(3, 6))
    _, cache = answers.linear_forward(x, W, b)
    grads = answers.linear_backward(dout, cache)

    def f():
        return float(np.sum(answers.linear_forward(x, W, b)[0] * dout))

    for name, mine, wrt in zip(("dx", "dW", "db"), grads, (x, W, b)):
        verdict.close(name, mine, **REC)
        assert max_err(mine, num_grad(f, wrt)) < NUM_ATOL, f"{name} disagrees with central differences"


def relu_input(seed):
    x = np.round(np.random.default_rng(seed).normal(size=(6, 7)), 1)  # rounding leaves exact zeros in it
    x[0, :3] = 0.0
    return x


def test_relu_hidden_linspace(answers, verdict):
    x = np.round(lin((5, 9), -2.0, 2.0), 6)  # rounding makes the middle entry exactly 0.0
    assert np.any(x == 0)
    out, cache = answers.relu_forward(x)
    verdict.close("out", out, rtol=0, atol=0)
    verdict.close("dx", answers.relu_backward(lin((5, 9), 1.0, 2.0), cache), rtol=0, atol=0)


@pytest.mark.parametrize("seed", SEEDS)
def test_relu_hidden_backward_vs_torch(answers, verdict, seed):
    torch = torch64()
    x = relu_input(seed)
    dout = np.random.default_rng(seed + 1).normal(size=x.shape)
    out, cache = answers.relu_forward(x)
    dx = answers.relu_backward(dout, cache)
    tx = torch.tensor(x, requires_grad=True)
    (torch.relu(tx) * torch.tensor(dout)).sum().backward()
    verdict.close("out", out, rtol=0, atol=0)
    verdict.close("dx", dx, rtol=0, atol=0)
    assert max_err(dx, tx.grad.numpy()) == 0, "relu_backward differs from PyTorch's (look at x == 0)"


# ============================================================== q2: softmax cross-entropy
def test_softmax_hidden_linspace(answers, verdict):
    logits, y = lin((5, 6), -3.0, 4.0), np.array([5, 0, 2, 2, 3])
    loss, dlogits = answers.softmax_cross_entropy(logits, y)
    verdict.close("loss", loss, **REC)
    verdict.close("dlogits", dlogits, **REC)


@pytest.mark.parametrize("seed", SEEDS)
def test_softmax_hidden_vs_torch(answers, verdict, seed):
    torch = torch64()
    rng = np.random.default_rng(seed)
    n, c = rng.integers(3, 12, size=2)
    logits, y = rng.normal(size=(n, c)) * 3, rng.integers(0, c, size=n)
    loss, dlogits = answers.softmax_cross_entropy(logits, y)
    t = torch.tensor(logits, requires_grad=True)
    want = torch.nn.functional.cross_entropy(t, torch.tensor(y))
    want.backward()
    verdict.close("loss", loss, **REC)
    verdict.close("dlogits", dlogits, **REC)
    assert abs(loss - want.item()) < TORCH_ATOL and max_err(dlogits, t.grad.numpy()) < TORCH_ATOL, \
        "softmax_cross_entropy differs from PyTorch's cross_entropy"


def test_softmax_hidden_huge_logits(answers, verdict):
    logits = np.random.default_rng(811).normal(size=(6, 9)) * 3000.0  # exp(3000) overflows without the max shift
    y = np.arange(6) % 9
    loss, dlogits = answers.softmax_cross_entropy(logits, y)
    assert np.isfinite(loss) and np.all(np.isfinite(dlogits)), "inf or nan for large logits"
    verdict.close("loss", loss, **REC)
    verdict.close("dlogits", dlogits, **REC)


def test_softmax_hidden_central_differences(answers, verdict):
    rng = np.random.default_rng(919)
    logits, y = rng.normal(size=(4, 5)), np.array([4, 1, 1, 0])
    _, dlogits = answers.softmax_cross_entropy(logits, y)
    verdict.close("dlogits", dlogits, **REC)
    num = num_grad(lambda: answers.softmax_cross_entropy(logits, y)[0], logits)
    assert max_err(dlogits, num) < NUM_ATOL, "dlogits disagrees with central differences"


# ============================================================== q3: batch norm
def test_batchnorm_hidden_train_mean_zero_std_one(answers, verdict):
    rng = np.random.default_rng(1201)
    x = rng.normal(size=(64, 7)) * rng.uniform(0.5, 30.0, size=7) + rng.uniform(-50.0, 50.0, size=7)
    out = answers.BatchNorm1d(7).forward(x, True)
    mean, std = out.mean(axis=0), out.std(axis=0)
    # exact zero up to rounding (~1e-16); std = sqrt(var / (var + eps)) is 1 within 1e-4 for var >= 0.25
    assert np.all(np.abs(mean) < 1e-12) and np.all(np.abs(std - 1) < 1e-4), "train mode must normalize each feature"
    verdict.close("mean", mean, rtol=0, atol=1e-12)
    verdict.close("std", std, **REC)


def test_batchnorm_hidden_linspace(answers, verdict):
    bn = answers.BatchNorm1d(5, eps=1e-3, momentum=0.2)
    bn.gamma, bn.beta = lin((5,), 0.5, 1.5), lin((5,), -0.2, 0.2)
    out = bn.forward(lin((4, 5), -1.0, 3.0) ** 2, True)
    verdict.close("train out", out, **REC)
    verdict.close("running_mean", bn.running_mean, **REC)
    verdict.close("running_var", bn.running_var, **REC)
    verdict.close("eval out", bn.forward(lin((3, 5), -0.5, 0.5), False), **REC)


@pytest.mark.parametrize("seed", SEEDS)
def test_batchnorm_hidden_backward_vs_torch(answers, verdict, seed):
    torch = torch64()
    rng = np.random.default_rng(seed)
    n, d = rng.integers(4, 20), rng.integers(2, 8)
    x, dout = rng.normal(1.0, 2.0, size=(n, d)), rng.normal(size=(n, d))
    gamma, beta = rng.normal(size=d), rng.normal(size=d)
    bn = answers.BatchNorm1d(d)
    bn.gamma, bn.beta = gamma.copy(), beta.copy()
    out = bn.forward(x, True)
    dx = bn.backward(dout)
    ref = torch.nn.BatchNorm1d(int(d))
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(gamma))
        ref.bias.copy_(torch.tensor(beta))
    tx = torch.tensor(x, requires_grad=True)
    tout = ref(tx)
    (tout * torch.tensor(dout)).sum().backward()
    for name, mine, want in [("out", out, tout.detach()), ("dx", dx, tx.grad), ("dgamma", bn.dgamma, ref.weight.grad),
                             ("dbeta", bn.dbeta, ref.bias.grad)]:
        verdict.close(name, mine, **REC)
        assert max_err(mine, want.numpy()) < TORCH_ATOL, f"{name} differs from PyTorch's BatchNorm1d"


def test_batchnorm_hidden_central_differences(answers, verdict):
    rng = np.random.default_rng(1307)
    x, dout = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    bn = answers.BatchNorm1d(3)
    bn.gamma, bn.beta = rng.normal(size=3), rng.normal(size=3)
    bn.forward(x, True)
    dx = bn.backward(dout)
    dgamma, dbeta = bn.dgamma.copy(), bn.dbeta.copy()

    def f():
        return float(np.sum(bn.forward(x, True) * dout))

    for name, mine, wrt in [("dx", dx, x), ("dgamma", dgamma, bn.gamma), ("dbeta", dbeta, bn.beta)]:
        verdict.close(name, mine, **REC)
        assert max_err(mine, num_grad(f, wrt)) < NUM_ATOL, f"{name} disagrees with central differences"


def test_batchnorm_hidden_eval_after_50_warmup_batches(answers, verdict):
    torch = torch64()
    rng = np.random.default_rng(1409)
    loc, scale = rng.uniform(-5, 5, size=4), rng.uniform(0.2, 6.0, size=4)
    gamma, beta = rng.normal(size=4), rng.normal(size=4)
    bn, ref = answers.BatchNorm1d(4, momentum=0.05), torch.nn.BatchNorm1d(4, momentum=0.05)
    bn.gamma, bn.beta = gamma.copy(), beta.copy()
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(gamma))
        ref.bias.copy_(torch.tensor(beta))
    for _ in range(50):
        batch = rng.normal(loc, scale, size=(12, 4))
        bn.forward(batch, True)
        ref(torch.tensor(batch))
    ref.eval()
    x = rng.normal(size=(3, 4))  # far from the warm-up distribution: batch statistics would give other values
    out = bn.forward(x, False)
    again = bn.forward(x, False)  # eval updates nothing, so a second call gives the same output
    want = ref(torch.tensor(x)).detach().numpy()
    verdict.close("running_mean", bn.running_mean, **REC)
    verdict.close("running_var", bn.running_var, **REC)
    verdict.close("eval out", out, **REC)
    verdict.close("eval out again", again, **REC)
    assert max_err(bn.running_mean, ref.running_mean.numpy()) < TORCH_ATOL, "running_mean differs from PyTorch's"
    assert max_err(bn.running_var, ref.running_var.numpy()) < TORCH_ATOL, "running_var differs from PyTorch's"
    assert max_err(out, want) < TORCH_ATOL and max_err(again, want) < TORCH_ATOL, "eval output differs from PyTorch's"


# ============================================================== q4: dropout
def test_dropout_hidden_seeded_forward(answers, verdict):
    x = lin((5, 8), -2.0, 2.0)
    rng = np.random.default_rng(1511)
    out1, mask1 = answers.dropout_forward(x, 0.35, True, rng)
    out2, _ = answers.dropout_forward(x, 0.35, True, rng)  # the generator moved on: another mask
    verdict.close("out1", out1, rtol=1e-12, atol=0)
    verdict.close("out2", out2, rtol=1e-12, atol=0)
    verdict.close("backward", answers.dropout_backward(lin((5, 8), 1.0, 3.0), mask1), rtol=1e-12, atol=0)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.85])
def test_dropout_hidden_zero_fraction_binomtest(answers, verdict, p):
    x = lin((120, 150), 0.5, 2.0)  # no zeros in x, so every zero in out was dropped
    out, _ = answers.dropout_forward(x, p, True, np.random.default_rng(1601 + int(100 * p)))
    zeros = int(np.sum(out == 0))
    # alpha = 1e-4: a correct sampler fails once in 10,000 seeds; the seeds here pass with the reference
    ok = binomtest(zeros, x.size, p).pvalue > 1e-4
    verdict.equal("binomtest at alpha 1e-4 passes", bool(ok))
    kept = out != 0
    scale = out[kept] / x[kept]
    verdict.close("survivor scale, min", float(scale.min()), rtol=1e-12, atol=0)
    verdict.close("survivor scale, max", float(scale.max()), rtol=1e-12, atol=0)
    assert ok, "the fraction of dropped entries is inconsistent with p"


def test_dropout_hidden_mean_preserved(answers, verdict):
    x = np.random.default_rng(1703).uniform(1.0, 3.0, size=(200, 100))
    out, _ = answers.dropout_forward(x, 0.6, True, np.random.default_rng(1709))
    ratio = out.mean() / x.mean()
    # the ratio's standard deviation is ~0.009 here; inverted dropout keeps it at 1, plain dropout gives 0.4
    assert abs(ratio - 1) < 0.05, "dropout must preserve the mean (scale the survivors by 1/(1-p))"
    verdict.close("mean ratio", ratio, rtol=0, atol=0.05)


def test_dropout_hidden_eval_is_identity(answers, verdict):
    x = np.random.default_rng(1801).normal(size=(7, 3, 2))
    rng = np.random.default_rng(1811)
    out, mask = answers.dropout_forward(x, 0.7, False, rng)
    verdict.equal("eval out", out)
    verdict.equal("eval out is x", bool(np.array_equal(out, x)))
    verdict.equal("eval dx", answers.dropout_backward(np.ones_like(x), mask))
    # eval draws nothing: the generator is where a fresh one with the same seed is
    verdict.equal("rng untouched", bool(rng.random() == np.random.default_rng(1811).random()))


def test_dropout_hidden_backward_uses_the_same_mask(answers, verdict):
    x = lin((30, 40), 0.5, 1.5)
    out, mask = answers.dropout_forward(x, 0.45, True, np.random.default_rng(1907))
    dout = np.random.default_rng(1913).normal(size=x.shape)
    dx = answers.dropout_backward(dout, mask)
    verdict.close("dx", dx, rtol=1e-12, atol=0)  # the mask is drawn as the docstring prescribes
    residual = max_err(dx * x, dout * out)  # out = x * mask and dx = dout * mask, whatever the draw
    verdict.close("max |dx * x - dout * out|", residual, rtol=0, atol=1e-12)


# ============================================================== q5: convolution
CONV_CASES = [  # (x shape, w shape, stride, pad): the naive one stays within (4, 3, 8, 8)
    ((2, 3, 5, 5), (4, 3, 3, 3), 1, 0),
    ((3, 2, 7, 6), (3, 2, 2, 3), 2, 1),
    ((4, 3, 8, 8), (2, 3, 5, 5), 3, 2),
]


def torch_conv(x, w, b, stride, pad):
    torch = torch64()
    return torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b),
                                      stride=stride, padding=pad).numpy()


def conv_case(k):
    xs, ws, stride, pad = CONV_CASES[k]
    rng = np.random.default_rng(2003 + k)
    return rng.normal(size=xs), rng.normal(size=ws), rng.normal(size=ws[0]), stride, pad


def test_conv_hidden_naive_linspace(answers, verdict):
    x, w, b = lin((2, 3, 5, 5), -0.4, 0.6), lin((4, 3, 3, 3), 0.3, -0.3), lin((4,), -0.2, 0.4)
    out = answers.conv2d_forward_naive(x, w, b, stride=2, pad=1)
    verdict.close("out", out, **REC)
    assert max_err(out, torch_conv(x, w, b, 2, 1)) < TORCH_ATOL, "conv2d_forward_naive differs from PyTorch's conv2d"


@pytest.mark.parametrize("case", range(len(CONV_CASES)))
def test_conv_hidden_naive_vs_torch(answers, verdict, case):
    x, w, b, stride, pad = conv_case(case)
    out = answers.conv2d_forward_naive(x, w, b, stride=stride, pad=pad)
    verdict.close("out", out, **REC)
    assert max_err(out, torch_conv(x, w, b, stride, pad)) < TORCH_ATOL, "conv2d_forward_naive differs from PyTorch's"


@pytest.mark.parametrize("case", range(len(CONV_CASES)))
def test_conv_hidden_im2col_equals_naive(answers, verdict, case):
    x, w, b, stride, pad = conv_case(case)
    fast = answers.conv2d_forward_im2col(x, w, b, stride=stride, pad=pad)
    verdict.close("out", fast, **REC)
    assert max_err(fast, answers.conv2d_forward_naive(x, w, b, stride=stride, pad=pad)) < 1e-10, \
        "conv2d_forward_im2col differs from conv2d_forward_naive"


def test_conv_hidden_im2col_larger_vs_torch(answers, verdict):
    rng = np.random.default_rng(2111)
    x, w, b = rng.normal(size=(8, 3, 16, 15)), rng.normal(size=(6, 3, 5, 4)), rng.normal(size=6)
    out = answers.conv2d_forward_im2col(x, w, b, stride=2, pad=2)
    verdict.close("out", out, **REC)
    assert max_err(out, torch_conv(x, w, b, 2, 2)) < TORCH_ATOL, "conv2d_forward_im2col differs from PyTorch's"


def loop_conv(x, w, b, stride, pad):
    """Speed baseline, written here: a plain loop over (n, f, i, j), so the learner's naive speed is irrelevant."""
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    (n_img, _, h, wd), (n_filt, _, hh, ww) = x.shape, w.shape
    out = np.empty((n_img, n_filt, (h + 2 * pad - hh) // stride + 1, (wd + 2 * pad - ww) // stride + 1))
    for n, f, i, j in np.ndindex(out.shape):
        out[n, f, i, j] = np.sum(xp[n, :, i * stride:i * stride + hh, j * stride:j * stride + ww] * w[f]) + b[f]
    return out


def test_conv_hidden_im2col_speedup(answers, verdict):
    rng = np.random.default_rng(2203)
    x, w, b = rng.normal(size=(4, 3, 8, 8)), rng.normal(size=(5, 3, 3, 3)), rng.normal(size=5)
    loop_times, fast_times = [], []
    for _ in range(5):  # interleaved, min of 5: the reference measured ~60x on 2 busy cores
        t0 = time.perf_counter()
        base = loop_conv(x, w, b, 1, 1)
        loop_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        fast = answers.conv2d_forward_im2col(x, w, b, stride=1, pad=1)
        fast_times.append(time.perf_counter() - t0)
    verdict.close("out", fast, **REC)
    assert max_err(fast, base) < 1e-10, "conv2d_forward_im2col gives wrong values"
    ratio = min(loop_times) / min(fast_times)
    assert ratio >= 10, f"conv2d_forward_im2col is only {ratio:.1f}x faster than plain loops (need 10x)"


# ============================================================== q6: max pooling
POOL_CASES = [((2, 3, 8, 8), 2, 2), ((3, 2, 9, 7), 3, 2), ((1, 4, 6, 6), 2, 1), ((2, 1, 9, 9), 3, 3)]


def test_maxpool_hidden_linspace(answers, verdict):
    x = lin((2, 3, 6, 6), 1.0, -1.0)  # decreasing: the maximum is each window's top-left corner
    out, cache = answers.maxpool2d_forward(x, 3, 3)
    verdict.close("out", out, rtol=0, atol=0)
    verdict.close("dx", answers.maxpool2d_backward(lin(out.shape, 0.5, 1.5), cache), rtol=0, atol=0)


@pytest.mark.parametrize("case", range(len(POOL_CASES)))
def test_maxpool_hidden_vs_torch(answers, verdict, case):
    torch = torch64()
    shape, pool, stride = POOL_CASES[case]
    rng = np.random.default_rng(2301 + case)
    x = rng.normal(size=shape)  # continuous values: no ties
    out, cache = answers.maxpool2d_forward(x, pool, stride)
    dout = rng.normal(size=out.shape)
    dx = answers.maxpool2d_backward(dout, cache)
    tx = torch.tensor(x, requires_grad=True)
    tout = torch.nn.functional.max_pool2d(tx, pool, stride)
    (tout * torch.tensor(dout)).sum().backward()
    verdict.close("out", out, rtol=0, atol=0)
    verdict.close("dx", dx, **REC)
    assert max_err(out, tout.detach().numpy()) == 0, "maxpool2d_forward differs from PyTorch's max_pool2d"
    assert max_err(dx, tx.grad.numpy()) < TORCH_ATOL, "maxpool2d_backward differs from PyTorch's autograd"


def test_maxpool_hidden_central_differences(answers, verdict):
    rng = np.random.default_rng(2417)
    x = rng.permutation(2 * 2 * 5 * 5).reshape(2, 2, 5, 5) / 10.0  # distinct values 0.1 apart: h=1e-6 flips no max
    out, cache = answers.maxpool2d_forward(x, 2, 1)
    dout = rng.normal(size=out.shape)
    dx = answers.maxpool2d_backward(dout, cache)
    verdict.close("dx", dx, **REC)
    num = num_grad(lambda: float(np.sum(answers.maxpool2d_forward(x, 2, 1)[0] * dout)), x)
    assert max_err(dx, num) < NUM_ATOL, "maxpool2d_backward disagrees with central differences"


# ============================================================== q7: SGD with momentum
def torch_steps(make, starts, grad_seq):
    torch = torch64()
    ps = [torch.nn.Parameter(torch.tensor(s)) for s in starts]
    opt = make(torch, ps)
    for grads in grad_seq:
        for p, g in zip(ps, grads):
            p.grad = torch.tensor(g)
        opt.step()
    return [p.detach().numpy() for p in ps]


def test_momentum_hidden_linspace_state(answers, verdict):
    w, dw, v = lin((3, 7), -0.8, 0.3), lin((3, 7), 0.7, -0.2), lin((3, 7), -0.1, 0.5)
    opt = answers.SGDMomentum([w], lr=0.03, momentum=0.8)
    opt.velocity = [v.copy()]
    opt.step([dw])
    verdict.close("next w", w, **REC)
    verdict.close("velocity", opt.velocity[0], **REC)


def test_momentum_hidden_vs_torch(answers, verdict):
    rng = np.random.default_rng(2503)
    starts = [rng.normal(size=(4, 3)), rng.normal(size=3)]
    grad_seq = [[rng.normal(size=(4, 3)), rng.normal(size=3)] for _ in range(8)]
    params = [s.copy() for s in starts]
    opt = answers.SGDMomentum(params, lr=0.07, momentum=0.85)
    for grads in grad_seq:
        opt.step(grads)
    want = torch_steps(lambda torch, ps: torch.optim.SGD(ps, lr=0.07, momentum=0.85), starts, grad_seq)
    for k, (mine, ref) in enumerate(zip(params, want)):
        verdict.close(f"param {k}", mine, **REC)
        assert max_err(mine, ref) < TORCH_ATOL, "SGDMomentum differs from torch.optim.SGD(momentum=...)"


# ============================================================== q8: Adam
def test_adam_hidden_linspace_state(answers, verdict):
    w, dw = lin((3, 7), -0.8, 0.3), lin((3, 7), 0.7, -0.2)
    m, v = lin((3, 7), -0.3, 0.2), lin((3, 7), 0.01, 0.4)
    opt = answers.Adam([w], lr=3e-3, betas=(0.8, 0.99), eps=1e-6)
    opt.m, opt.v, opt.t = [m.copy()], [v.copy()], 3
    opt.step([dw])
    verdict.close("next w", w, **REC)
    verdict.close("m", opt.m[0], **REC)
    verdict.close("v", opt.v[0], **REC)
    verdict.equal("t", int(opt.t))


def test_adam_hidden_first_step_moves_by_lr(answers, verdict):
    w = lin((4, 4), -1.0, 1.0)
    before = w.copy()
    answers.Adam([w], lr=0.01).step([lin((4, 4), -5.0, 3.0)])
    # with bias correction the first step is lr * g / (|g| + eps): about lr * sign(g) whatever the scale of g
    verdict.close("first step", before - w, **REC)


def test_adam_hidden_vs_torch(answers, verdict):
    rng = np.random.default_rng(2609)
    starts = [rng.normal(size=(2, 5)), rng.normal(size=5)]
    grad_seq = [[rng.normal(size=(2, 5)) * 10, rng.normal(size=5) * 0.1] for _ in range(9)]
    params = [s.copy() for s in starts]
    opt = answers.Adam(params, lr=0.02, betas=(0.85, 0.995))
    for grads in grad_seq:
        opt.step(grads)
    want = torch_steps(lambda torch, ps: torch.optim.Adam(ps, lr=0.02, betas=(0.85, 0.995)), starts, grad_seq)
    for k, (mine, ref) in enumerate(zip(params, want)):
        verdict.close(f"param {k}", mine, **REC)
        assert max_err(mine, ref) < TORCH_ATOL, "Adam differs from torch.optim.Adam"


# ============================================================== q9: MLP and training
def test_mlp_hidden_loss_and_grads(answers, verdict):
    torch = torch64()
    rng = np.random.default_rng(2701)
    sizes = (6, 9, 5, 4)
    X, y = rng.normal(size=(11, 6)), rng.integers(0, 4, size=11)
    model = answers.MLP(sizes, seed=5)
    new = [rng.normal(size=p.shape) * 0.7 for p in model.params]
    for p, value in zip(model.params, new):
        p[...] = value
    loss, grads = model.loss(X, y)
    tp = [torch.tensor(a, requires_grad=True) for a in new]
    h = torch.tensor(X)
    for k in range(3):
        h = h @ tp[2 * k] + tp[2 * k + 1]
        h = torch.relu(h) if k < 2 else h
    want = torch.nn.functional.cross_entropy(h, torch.tensor(y))
    want.backward()
    verdict.close("loss", loss, **REC)
    verdict.close("scores", model.forward(X)[0], **REC)
    assert abs(loss - want.item()) < TORCH_ATOL, "MLP.loss differs from PyTorch's"
    for k, (g, t) in enumerate(zip(grads, tp)):
        verdict.close(f"grad {k}", g, **REC)
        assert max_err(g, t.grad.numpy()) < TORCH_ATOL, f"gradient {k} differs from PyTorch's autograd"


def hidden_digits():
    X, y = load_digits(return_X_y=True)
    pick = np.random.default_rng(2801).choice(len(X), size=50, replace=False)
    return X[pick] / 16.0, y[pick]


@pytest.mark.parametrize("optimizer", ["adam", "momentum"])
def test_mlp_hidden_overfit_50_digits(answers, verdict, optimizer):
    X, y = hidden_digits()
    model = answers.MLP((64, 80, 40, 10), seed=13)
    opt = answers.Adam(model.params, lr=5e-3) if optimizer == "adam" else \
        answers.SGDMomentum(model.params, lr=0.05, momentum=0.9)
    history = answers.fit(model, opt, X, y, epochs=20, batch_size=10, seed=29)
    assert len(history) == 20, "fit must return one loss per epoch"
    # CS231n's criterion: 100 % train accuracy within 20 epochs (the reference needs 8 with Adam, 12 with momentum)
    verdict.accuracy("train accuracy", model.predict(X), y_true=y, minimum=1.0)
    verdict.equal("loss went down", bool(history[-1] < 0.5 * history[0]))
