# %% [markdown]
# # Lab 04: neural-network layers and optimizers in NumPy
#
# Work through the cells in order. Your answers live in the cells marked as answer cells (they carry
# nbgrader metadata); `labkit grade` reads only those. Everything else is for exploring: it never runs
# at grading. Prefer editing `layers.py`? That works too: grading takes the module when you changed it.
#
# Check yourself at any time from a terminal: `labkit check 04` (or `labkit check 04 q3`).

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits

X_all, y_all = load_digits(return_X_y=True)
X_all = X_all / 16.0  # pixels in [0, 1]
print(X_all.shape, np.bincount(y_all))

# %% [markdown]
# ## Your answers
# Fill in each function below. The docstrings give the formulas, the shapes and PyTorch's conventions.

# %% [answers]

# %% [markdown]
# ## Explore: gradient checks for every layer
# One helper, central differences on f = sum(out * dout), is enough to check any backward pass: the
# chain rule says dL/dx = backward(dout) when L = sum(out * dout). Expect relative errors of 1e-7 or less
# (about 1e-9; batch norm, whose dx sums to zero over the batch, has tiny entries and gives ~1e-8).

# %%
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


def rel_error(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


rng = np.random.default_rng(0)
x, W, b = rng.normal(size=(4, 5)), rng.normal(size=(5, 3)), rng.normal(size=3)
dout = rng.normal(size=(4, 3))
dx, dW, db = linear_backward(dout, linear_forward(x, W, b)[1])
print("linear dx:", rel_error(dx, num_grad(lambda: np.sum(linear_forward(x, W, b)[0] * dout), x)))

bn = BatchNorm1d(3)
xb, doutb = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
bn.forward(xb, True)
dxb = bn.backward(doutb)
print("batchnorm dx:", rel_error(dxb, num_grad(lambda: np.sum(bn.forward(xb, True) * doutb), xb)))

xp = rng.normal(size=(1, 2, 6, 6))
out, cache = maxpool2d_forward(xp, 2, 2)
doutp = rng.normal(size=out.shape)
print("maxpool dx:", rel_error(maxpool2d_backward(doutp, cache),
                               num_grad(lambda: np.sum(maxpool2d_forward(xp, 2, 2)[0] * doutp), xp)))

# %% [markdown]
# ## Explore: batch norm, train versus eval
# The running statistics are an exponential moving average of the batch statistics: with momentum 0.1
# they forget a batch after a few dozen steps. Watch them converge to the true mean and variance, and
# see what eval-mode outputs look like before and after the warm-up.

# %%
bn = BatchNorm1d(1)
true_mean, true_std = 3.0, 2.0
history = []
for step in range(100):
    bn.forward(rng.normal(true_mean, true_std, size=(32, 1)), True)
    history.append((bn.running_mean[0], bn.running_var[0]))
history = np.array(history)
fig, ax = plt.subplots(1, 2, figsize=(10, 3))
ax[0].plot(history[:, 0], label="running_mean")
ax[0].axhline(true_mean, color="k", ls="--", label="true mean")
ax[1].plot(history[:, 1], label="running_var")
ax[1].axhline(true_std ** 2, color="k", ls="--", label="true variance")
for a in ax:
    a.set_xlabel("warm-up batch")
    a.legend()
plt.show()

# %% [markdown]
# ## Explore: is the dropout rate right? A binomial test, not an eyeball
# The number of dropped units out of n is Binomial(n, p). Plot the observed fraction for several p with
# the band a correct sampler stays in with probability 1 - 1e-4.

# %%
from scipy.stats import binom

n = 10_000
ps = np.linspace(0.05, 0.95, 19)
observed = [np.mean(dropout_forward(np.ones(n), p, True, rng)[0] == 0) for p in ps]
lo, hi = binom.ppf(0.5e-4, n, ps) / n, binom.ppf(1 - 0.5e-4, n, ps) / n
plt.fill_between(ps, lo - ps, hi - ps, alpha=0.3, label="99.99 % band")
plt.plot(ps, np.array(observed) - ps, "o", label="observed - p")
plt.xlabel("p")
plt.ylabel("fraction dropped - p")
plt.legend()
plt.show()

# %% [markdown]
# ## Explore: convolution as a representation
# Hand-made 3x3 kernels turn a digit into edge maps: the features a first convolutional layer learns
# look much like these. Then compare the speed of the two convolutions as the input grows.

# %%
kernels = np.array([[[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],   # vertical edges
                    [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],   # horizontal edges
                    [[0, 1, 0], [1, -4, 1], [0, 1, 0]]],    # blobs (Laplacian)
                   dtype=float)[:, None]
img = X_all[:1].reshape(1, 1, 8, 8)
maps = conv2d_forward_im2col(img, kernels, np.zeros(3), stride=1, pad=1)
fig, ax = plt.subplots(1, 4, figsize=(10, 3))
ax[0].imshow(img[0, 0], cmap="gray")
ax[0].set_title(f"digit {y_all[0]}")
for k, title in enumerate(["vertical", "horizontal", "Laplacian"]):
    ax[k + 1].imshow(maps[0, k], cmap="RdBu")
    ax[k + 1].set_title(title)
plt.show()

# %%
sizes, naive_t, fast_t = [4, 8, 12, 16], [], []
for s in sizes:
    x, w, b = rng.normal(size=(4, 3, s, s)), rng.normal(size=(8, 3, 3, 3)), np.zeros(8)
    t0 = time.perf_counter()
    conv2d_forward_naive(x, w, b, 1, 1)
    naive_t.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    conv2d_forward_im2col(x, w, b, 1, 1)
    fast_t.append(time.perf_counter() - t0)
plt.semilogy(sizes, naive_t, "o-", label="naive loops")
plt.semilogy(sizes, fast_t, "o-", label="im2col")
plt.xlabel("image side")
plt.ylabel("seconds")
plt.legend()
plt.show()

# %% [markdown]
# ## Explore: SGD with momentum versus Adam on all the digits
# Same MLP, same initialization, same batches: only the optimizer differs. Which one would you pick
# for a first run, and which learning rate would you try next?

# %%
X_tr, y_tr, X_va, y_va = X_all[:1200], y_all[:1200], X_all[1200:], y_all[1200:]
curves = {}
for name, make in [("SGD momentum lr=0.05", lambda ps: SGDMomentum(ps, lr=0.05, momentum=0.9)),
                   ("Adam lr=1e-3", lambda ps: Adam(ps, lr=1e-3))]:
    model = MLP((64, 100, 50, 10), seed=0)
    curves[name] = fit(model, make(model.params), X_tr, y_tr, epochs=15, batch_size=32, seed=0)
    print(name, "validation accuracy:", np.mean(model.predict(X_va) == y_va))
for name, losses in curves.items():
    plt.plot(losses, label=name)
plt.xlabel("epoch")
plt.ylabel("mean training loss")
plt.yscale("log")
plt.legend()
plt.show()
