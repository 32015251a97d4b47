"""Public tests for lab 04. Run them with `labkit check 04` (or plain pytest from this folder).

Oracles, written independently of your code: PyTorch in float64 with the same (copied) weights,
central differences, scipy, and formulas typed out here. Hidden tests at grading use other inputs.
Helpers shared with the hidden tests (the linspace inputs, the speed baseline) live in helpers.py.
"""
import numpy as np
from scipy.special import log_softmax
from scipy.stats import binomtest
from sklearn.datasets import load_digits

import helpers  # shared with the hidden tests: linspace inputs, the loop convolution and the speed ratio


def torch64():
    """PyTorch as an oracle, imported only by the tests that need it (importing it takes about a second)."""
    import torch
    torch.set_default_dtype(torch.float64)
    return torch


def num_grad(f, x, h=1e-6):
    """Central differences of the scalar f() with respect to every entry of x (changed in place, restored)."""
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


# float64 against float64: a correct layer agrees with PyTorch to ~1e-15; 1e-10 leaves room for summation order
TORCH_ATOL = 1e-10
# central differences with h=1e-6 err by ~1e-9 on these smooth, O(1) functions; a wrong formula errs by ~1e-1
NUM_ATOL = 1e-6


# --- q1: linear and relu -----------------------------------------------------------------
def test_linear_forward_linspace(answers, verdict):
    x, W, b = helpers.lin((2, 3, 4), -0.1, 0.5), helpers.lin((12, 3), -0.2, 0.3), helpers.lin((3,), -0.3, 0.1)
    out, _ = answers.linear_forward(x, W, b)
    verdict.close("out", out, expected=x.reshape(2, 12) @ W + b, rtol=1e-12, atol=1e-14)


def test_linear_backward_matches_torch(answers, verdict):
    torch = torch64()
    rng = np.random.default_rng(1)
    x, W, b, dout = rng.normal(size=(5, 2, 3)), rng.normal(size=(6, 4)), rng.normal(size=4), rng.normal(size=(5, 4))
    tx, tW, tb = (torch.tensor(a, requires_grad=True) for a in (x, W, b))
    (torch.nn.functional.linear(tx.reshape(5, 6), tW.T, tb) * torch.tensor(dout)).sum().backward()
    _, cache = answers.linear_forward(x, W, b)
    dx, dW, db = answers.linear_backward(dout, cache)
    verdict.close("dx", dx, expected=tx.grad.numpy(), rtol=0, atol=TORCH_ATOL)
    verdict.close("dW", dW, expected=tW.grad.numpy(), rtol=0, atol=TORCH_ATOL)
    verdict.close("db", db, expected=tb.grad.numpy(), rtol=0, atol=TORCH_ATOL)


def test_linear_backward_central_differences(answers, verdict):
    rng = np.random.default_rng(2)
    x, W, b, dout = rng.normal(size=(4, 5)), rng.normal(size=(5, 3)), rng.normal(size=3), rng.normal(size=(4, 3))
    _, cache = answers.linear_forward(x, W, b)
    dx, dW, db = answers.linear_backward(dout, cache)

    def f():
        return float(np.sum(answers.linear_forward(x, W, b)[0] * dout))

    verdict.close("dx", dx, expected=num_grad(f, x), rtol=0, atol=NUM_ATOL)
    verdict.close("dW", dW, expected=num_grad(f, W), rtol=0, atol=NUM_ATOL)
    verdict.close("db", db, expected=num_grad(f, b), rtol=0, atol=NUM_ATOL)


def test_relu_linspace_with_exact_zero(answers, verdict):
    x = helpers.lin((3, 3), -1.0, 1.0)  # the middle entry is exactly 0.0
    dout = helpers.lin((3, 3), 2.0, 3.0)
    out, cache = answers.relu_forward(x)
    dx = answers.relu_backward(dout, cache)
    verdict.close("out", out, expected=np.where(x > 0, x, 0.0), rtol=0, atol=0)
    # PyTorch's convention: the gradient at exactly 0 is 0
    verdict.close("dx", dx, expected=np.where(x > 0, dout, 0.0), rtol=0, atol=0)


# --- q2: softmax cross-entropy -------------------------------------------------------------
def test_softmax_matches_torch(answers, verdict):
    torch = torch64()
    rng = np.random.default_rng(3)
    logits, y = rng.normal(size=(8, 5)) * 2, rng.integers(0, 5, size=8)
    t = torch.tensor(logits, requires_grad=True)
    want = torch.nn.functional.cross_entropy(t, torch.tensor(y))
    want.backward()
    loss, dlogits = answers.softmax_cross_entropy(logits, y)
    verdict.close("loss", loss, expected=want.item(), rtol=1e-12)
    verdict.close("dlogits", dlogits, expected=t.grad.numpy(), rtol=0, atol=TORCH_ATOL)


def test_softmax_uniform_logits_loss_is_log_c(answers, verdict):
    loss, dlogits = answers.softmax_cross_entropy(np.zeros((4, 7)), np.array([0, 3, 6, 2]))
    # equal scores give every class 1/C, so the loss is exactly log C
    verdict.close("loss", loss, expected=np.log(7), rtol=1e-12)
    assert dlogits.shape == (4, 7)


def test_softmax_large_logits(answers, verdict):
    logits = helpers.lin((3, 4), -1000.0, 1500.0)  # exp() of these overflows unless the row max is subtracted first
    y = np.array([0, 1, 3])
    loss, dlogits = answers.softmax_cross_entropy(logits, y)
    assert np.isfinite(loss) and np.all(np.isfinite(dlogits)), "inf or nan for large logits: subtract the max"
    verdict.close("loss", loss, expected=-log_softmax(logits, axis=1)[np.arange(3), y].mean(), rtol=1e-12)


# --- q3: batch norm --------------------------------------------------------------------------
def test_batchnorm_train_normalizes_each_feature(answers, verdict):
    rng = np.random.default_rng(4)
    x = rng.normal(loc=[-3.0, 0.0, 5.0, 40.0], scale=[0.5, 1.0, 3.0, 20.0], size=(100, 4))
    out = answers.BatchNorm1d(4).forward(x, True)
    # gamma = 1, beta = 0: exact zero mean; std sqrt(var / (var + eps)), within 1e-4 of 1 for var >= 0.25
    verdict.close("mean", out.mean(axis=0), expected=np.zeros(4), rtol=0, atol=1e-12)
    verdict.close("std", out.std(axis=0), expected=np.ones(4), rtol=0, atol=1e-4)


def test_batchnorm_train_matches_torch(answers, verdict):
    torch = torch64()
    rng = np.random.default_rng(5)
    x, dout = rng.normal(2.0, 3.0, size=(16, 6)), rng.normal(size=(16, 6))
    gamma, beta = rng.normal(size=6), rng.normal(size=6)
    ref = torch.nn.BatchNorm1d(6)
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(gamma))
        ref.bias.copy_(torch.tensor(beta))
    tx = torch.tensor(x, requires_grad=True)
    tout = ref(tx)
    (tout * torch.tensor(dout)).sum().backward()

    bn = answers.BatchNorm1d(6)
    bn.gamma, bn.beta = gamma.copy(), beta.copy()
    out = bn.forward(x, True)
    dx = bn.backward(dout)
    verdict.close("out", out, expected=tout.detach().numpy(), rtol=0, atol=TORCH_ATOL)
    verdict.close("dx", dx, expected=tx.grad.numpy(), rtol=0, atol=TORCH_ATOL)
    verdict.close("dgamma", bn.dgamma, expected=ref.weight.grad.numpy(), rtol=0, atol=TORCH_ATOL)
    verdict.close("dbeta", bn.dbeta, expected=ref.bias.grad.numpy(), rtol=0, atol=TORCH_ATOL)


def test_batchnorm_eval_uses_running_stats(answers, verdict):
    torch = torch64()
    rng = np.random.default_rng(6)
    ref, bn = torch.nn.BatchNorm1d(3), answers.BatchNorm1d(3)
    for _ in range(50):  # warm-up batches drawn far from N(0, 1), so the running statistics move
        batch = rng.normal(loc=[1.0, -2.0, 10.0], scale=[1.0, 0.5, 4.0], size=(20, 3))
        ref(torch.tensor(batch))
        bn.forward(batch, True)
    verdict.close("running_mean", bn.running_mean, expected=ref.running_mean.numpy(), rtol=0, atol=TORCH_ATOL)
    verdict.close("running_var", bn.running_var, expected=ref.running_var.numpy(), rtol=0, atol=TORCH_ATOL)
    ref.eval()
    x = rng.normal(size=(4, 3))  # a small batch unlike the warm-up ones: batch statistics would give other values
    verdict.close("eval out", bn.forward(x, False), expected=ref(torch.tensor(x)).detach().numpy(),
                  rtol=0, atol=TORCH_ATOL)


# --- q4: dropout -------------------------------------------------------------------------------
def test_dropout_zero_fraction_binomtest(answers, verdict):
    p, x = 0.3, np.ones((100, 100))
    out, _ = answers.dropout_forward(x, p, True, np.random.default_rng(7))
    zeros = int(np.sum(out == 0))
    # a correct sampler gives a p-value far above 1e-4 at this seed; a wrong drop rate gives ~0
    pvalue = binomtest(zeros, x.size, p).pvalue
    assert pvalue > 1e-4, f"{zeros} of {x.size} entries dropped: inconsistent with p = {p} (binomtest p = {pvalue:.1e})"
    verdict.bound("binomtest p-value", float(pvalue), low=1e-4)


def test_dropout_inverted_scaling_keeps_the_mean(answers, verdict):
    p, x = 0.4, helpers.lin((50, 80), 0.5, 1.5)
    out, _ = answers.dropout_forward(x, p, True, np.random.default_rng(8))
    kept = out != 0
    scale = out[kept] / x[kept]  # every survivor is scaled by exactly 1 / (1 - p)
    verdict.close("survivor scale, min", float(scale.min()), expected=1 / (1 - p), rtol=1e-12)
    verdict.close("survivor scale, max", float(scale.max()), expected=1 / (1 - p), rtol=1e-12)
    # the ratio of means has a standard deviation of about 0.01 here; a non-inverted dropout gives 0.6
    verdict.close("mean ratio", out.mean() / x.mean(), expected=1.0, rtol=0, atol=0.05)


def test_dropout_eval_is_identity(answers, verdict):
    x = helpers.lin((6, 5))
    out, mask = answers.dropout_forward(x, 0.5, False, np.random.default_rng(9))
    verdict.equal("eval out", out, expected=x)
    dx = answers.dropout_backward(helpers.lin((6, 5), 2.0, 3.0), mask)
    verdict.equal("eval dx", dx, expected=helpers.lin((6, 5), 2.0, 3.0))


def test_dropout_backward_uses_the_same_mask(answers, verdict):
    p, x = 0.5, helpers.lin((20, 30), 1.0, 2.0)
    rng = np.random.default_rng(10)
    out, mask = answers.dropout_forward(x, p, True, rng)
    dout = helpers.lin((20, 30), -1.0, 1.0)
    dx = answers.dropout_backward(dout, mask)
    # out = x * mask and dx = dout * mask, so dx = dout * out / x entry by entry, whatever the draw (x >= 1)
    verdict.close("dx", dx, expected=dout * out / x, rtol=1e-12, atol=1e-15)


def test_dropout_seeded_mask_follows_the_docstring(answers, verdict):
    p, x = 0.25, helpers.lin((4, 7))
    out, _ = answers.dropout_forward(x, p, True, np.random.default_rng(11))
    keep = np.random.default_rng(11).random(x.shape) >= p
    verdict.close("out", out, expected=x * keep / (1 - p), rtol=1e-12, atol=0)


# --- q5: convolution ---------------------------------------------------------------------------
def torch_conv(x, w, b, stride, pad):
    torch = torch64()
    return torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b),
                                      stride=stride, padding=pad).numpy()


def test_conv_naive_linspace(answers, verdict):
    x, w, b = helpers.lin((2, 3, 4, 4), -0.1, 0.5), helpers.lin((3, 3, 3, 3), -0.2, 0.3), helpers.lin((3,), -0.1, 0.2)
    out = answers.conv2d_forward_naive(x, w, b, stride=2, pad=1)
    verdict.close("out", out, expected=torch_conv(x, w, b, 2, 1), rtol=0, atol=TORCH_ATOL)


def test_conv_naive_matches_torch(answers, verdict):
    rng = np.random.default_rng(12)
    x, w, b = rng.normal(size=(2, 2, 6, 5)), rng.normal(size=(3, 2, 3, 2)), rng.normal(size=3)
    for stride, pad in [(1, 0), (2, 1)]:
        out = answers.conv2d_forward_naive(x, w, b, stride=stride, pad=pad)
        verdict.close(f"out stride={stride} pad={pad}", out, expected=torch_conv(x, w, b, stride, pad),
                      rtol=0, atol=TORCH_ATOL)


def test_conv_im2col_matches_torch(answers, verdict):
    rng = np.random.default_rng(13)
    x, w, b = rng.normal(size=(3, 3, 9, 9)), rng.normal(size=(4, 3, 3, 3)), rng.normal(size=4)
    for stride, pad in [(1, 1), (2, 0)]:
        out = answers.conv2d_forward_im2col(x, w, b, stride=stride, pad=pad)
        verdict.close(f"out stride={stride} pad={pad}", out, expected=torch_conv(x, w, b, stride, pad),
                      rtol=0, atol=TORCH_ATOL)


def test_conv_im2col_equals_naive_and_is_faster(answers, verdict):
    rng = np.random.default_rng(14)
    x, w, b = rng.normal(size=(4, 3, 8, 8)), rng.normal(size=(4, 3, 3, 3)), rng.normal(size=4)
    fast = answers.conv2d_forward_im2col(x, w, b, stride=1, pad=1)
    verdict.close("im2col vs naive", fast, expected=answers.conv2d_forward_naive(x, w, b, stride=1, pad=1),
                  rtol=0, atol=1e-10)
    # against helpers.loop_conv, interleaved, min of 5: robust to a busy machine (measured ratio ~50-100x)
    ratio, _ = helpers.conv_speedup(answers.conv2d_forward_im2col, x, w, b, stride=1, pad=1)
    assert ratio >= 10, f"conv2d_forward_im2col is only {ratio:.1f}x faster than plain loops (need 10x)"


# --- q6: max pooling --------------------------------------------------------------------------
def torch_pool(x, dout, pool, stride):
    torch = torch64()
    tx = torch.tensor(x, requires_grad=True)
    out = torch.nn.functional.max_pool2d(tx, pool, stride)
    (out * torch.tensor(dout)).sum().backward()
    return out.detach().numpy(), tx.grad.numpy()


def test_maxpool_forward_linspace(answers, verdict):
    x = helpers.lin((2, 2, 4, 4))
    out, _ = answers.maxpool2d_forward(x, 2, 2)
    # linspace increases along each row, so every window's maximum is its bottom-right corner
    verdict.close("out", out, expected=x[:, :, 1::2, 1::2], rtol=0, atol=0)


def test_maxpool_backward_matches_torch(answers, verdict):
    rng = np.random.default_rng(15)
    x = rng.normal(size=(2, 3, 6, 6))
    out, cache = answers.maxpool2d_forward(x, 2, 2)
    dout = rng.normal(size=out.shape)
    want_out, want_dx = torch_pool(x, dout, 2, 2)
    verdict.close("out", out, expected=want_out, rtol=0, atol=0)
    verdict.close("dx", answers.maxpool2d_backward(dout, cache), expected=want_dx, rtol=0, atol=TORCH_ATOL)


def test_maxpool_overlapping_windows_accumulate(answers, verdict):
    rng = np.random.default_rng(16)
    x = rng.normal(size=(1, 2, 7, 7))
    out, cache = answers.maxpool2d_forward(x, 3, 2)
    dout = rng.normal(size=out.shape)
    want_out, want_dx = torch_pool(x, dout, 3, 2)
    verdict.close("out", out, expected=want_out, rtol=0, atol=0)
    verdict.close("dx", answers.maxpool2d_backward(dout, cache), expected=want_dx, rtol=0, atol=TORCH_ATOL)


# --- q7: SGD with momentum ---------------------------------------------------------------------
def run_torch_optimizer(make, w0, grads):
    torch = torch64()
    p = torch.nn.Parameter(torch.tensor(w0))
    opt = make(torch, [p])
    for g in grads:
        p.grad = torch.tensor(g)
        opt.step()
    return p.detach().numpy()


def test_momentum_matches_torch(answers, verdict):
    rng = np.random.default_rng(17)
    w0, grads = rng.normal(size=(3, 4)), [rng.normal(size=(3, 4)) for _ in range(5)]
    w = w0.copy()
    opt = answers.SGDMomentum([w], lr=0.1, momentum=0.9)
    for g in grads:
        opt.step([g])
    want = run_torch_optimizer(lambda torch, ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9), w0, grads)
    verdict.close("w after 5 steps", w, expected=want, rtol=0, atol=1e-12)


def test_momentum_linspace_state(answers, verdict):
    w, dw, v = helpers.lin((4, 5), -0.4, 0.6), helpers.lin((4, 5), -0.6, 0.4), helpers.lin((4, 5), 0.6, 0.9)
    opt = answers.SGDMomentum([w], lr=1e-2, momentum=0.9)
    opt.velocity = [v.copy()]
    opt.step([dw])
    want_v = 0.9 * v + dw
    verdict.close("velocity", opt.velocity[0], expected=want_v, rtol=1e-12, atol=1e-15)
    verdict.close("next w (updated in place)", w, expected=helpers.lin((4, 5), -0.4, 0.6) - 1e-2 * want_v,
                  rtol=1e-12, atol=1e-15)


# --- q8: Adam ------------------------------------------------------------------------------------
def test_adam_matches_torch(answers, verdict):
    rng = np.random.default_rng(18)
    w0, grads = rng.normal(size=(3, 4)), [rng.normal(size=(3, 4)) for _ in range(6)]
    w = w0.copy()
    opt = answers.Adam([w], lr=0.05)
    for g in grads:
        opt.step([g])
    want = run_torch_optimizer(lambda torch, ps: torch.optim.Adam(ps, lr=0.05), w0, grads)
    verdict.close("w after 6 steps", w, expected=want, rtol=0, atol=1e-12)


def test_adam_linspace_state(answers, verdict):
    w, dw = helpers.lin((4, 5), -0.4, 0.6), helpers.lin((4, 5), -0.6, 0.4)
    m, v = helpers.lin((4, 5), 0.6, 0.9), helpers.lin((4, 5), 0.7, 0.5)
    opt = answers.Adam([w], lr=1e-2)
    opt.m, opt.v, opt.t = [m.copy()], [v.copy()], 5
    opt.step([dw])
    want_m, want_v = 0.9 * m + 0.1 * dw, 0.999 * v + 0.001 * dw ** 2
    step = 1e-2 * (want_m / (1 - 0.9 ** 6)) / (np.sqrt(want_v / (1 - 0.999 ** 6)) + 1e-8)
    verdict.close("m", opt.m[0], expected=want_m, rtol=1e-12, atol=1e-15)
    verdict.close("v", opt.v[0], expected=want_v, rtol=1e-12, atol=1e-15)
    verdict.close("next w (updated in place)", w, expected=helpers.lin((4, 5), -0.4, 0.6) - step,
                  rtol=1e-12, atol=1e-15)


# --- q9: MLP and training ----------------------------------------------------------------------
def test_mlp_loss_and_grads_match_torch(answers, verdict):
    torch = torch64()
    rng = np.random.default_rng(19)
    X, y = rng.normal(size=(6, 5)), rng.integers(0, 3, size=6)
    model = answers.MLP((5, 7, 4, 3), seed=0)
    assert len(model.params) == 6, "a (5, 7, 4, 3) MLP has params [W1, b1, W2, b2, W3, b3]"
    new = [rng.normal(size=p.shape) for p in model.params]
    for p, value in zip(model.params, new):
        p[...] = value  # in place, so a model that keeps its own references still sees them
    loss, grads = model.loss(X, y)

    tp = [torch.tensor(a, requires_grad=True) for a in new]
    h = torch.tensor(X)
    for k in range(3):
        h = h @ tp[2 * k] + tp[2 * k + 1]
        h = torch.relu(h) if k < 2 else h
    want = torch.nn.functional.cross_entropy(h, torch.tensor(y))
    want.backward()
    verdict.close("loss", loss, expected=want.item(), rtol=1e-12)
    for k, (g, t) in enumerate(zip(grads, tp)):
        verdict.close(f"grad {k}", g, expected=t.grad.numpy(), rtol=0, atol=TORCH_ATOL)


def test_mlp_overfits_50_digits(answers, verdict):
    X, y = load_digits(return_X_y=True)
    X, y = X[:50] / 16.0, y[:50]
    model = answers.MLP((64, 100, 50, 10), seed=0)
    history = answers.fit(model, answers.Adam(model.params, lr=1e-2), X, y, epochs=20, batch_size=10, seed=0)
    assert len(history) == 20, "fit must return one mean loss per epoch"
    assert history[-1] < history[0], "the loss did not go down"
    # CS231n's sanity check: a net this size memorizes 50 examples; the reference gets there in 5 epochs
    verdict.accuracy("train accuracy", model.predict(X), y_true=y, minimum=1.0)


def test_mlp_fit_batches_follow_the_docstring(answers, verdict):
    rng = np.random.default_rng(20)
    X, y = rng.normal(size=(23, 4)), rng.integers(0, 3, size=23)  # 23 rows, batches of 5: the last one has 3
    model = answers.MLP((4, 6, 3), seed=1)
    opt = helpers.Recorder(model.params)
    history = answers.fit(model, opt, X, y, epochs=2, batch_size=5, seed=7)
    # the docstring's order: one generator for the run, rng.permutation(N) per epoch, consecutive slices
    gen, want_grads, want_history = np.random.default_rng(7), [], []
    for _ in range(2):
        order = gen.permutation(23)
        losses = []
        for start in range(0, 23, 5):
            loss, grads = model.loss(X[order[start:start + 5]], y[order[start:start + 5]])
            losses.append(loss)
            want_grads.append(grads)
        want_history.append(np.mean(losses))
    verdict.equal("optimizer steps", len(opt.seen), expected=len(want_grads))
    verdict.close("history", np.asarray(history), expected=np.array(want_history), rtol=1e-12, atol=1e-15)
    for k, (got, want) in enumerate(zip(opt.seen, want_grads)):
        verdict.close(f"gradients of step {k}", np.concatenate([g.ravel() for g in got]),
                      expected=np.concatenate([g.ravel() for g in want]), rtol=1e-12, atol=1e-15)
