# %% [markdown]
# # Lab 01: nearest neighbours, vectorization and cross-validation
#
# Work through the cells in order. Your answers live in the cells marked as answer cells (they carry
# nbgrader metadata); `labkit grade` reads only those. Everything else is for exploring: it never runs
# at grading. Prefer editing `knn.py`? That works too: grading takes the module when you changed it.
#
# Check yourself at any time from a terminal: `labkit check 01` (or `labkit check 01 q2`).

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits

X, y = load_digits(return_X_y=True)  # 1,797 images of 8x8 pixels with values 0..16, as float64
print(X.shape, np.bincount(y))

# %% [markdown]
# ## Your answers
# Fill in each function below. The docstrings give the formulas, the shapes and the tie rules.

# %% [answers]

# %% [markdown]
# ## Explore: how much faster is the vectorized version, and why?
# The loop version runs one tiny NumPy call per pair, so it pays Python's interpreter overhead
# (about a microsecond) 36,000 times for 60 x 600 points. The vectorized one makes three NumPy calls,
# and the heavy one, `X @ Y.T`, is a matrix product that BLAS runs at near the machine's peak.
# Expect a ratio of a few hundred; time the best of several runs, as the grader does.

# %%
def best_of(f, *args, repeat=5):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f(*args)
        times.append(time.perf_counter() - t0)
    return min(times)


sizes = [20, 40, 80, 160]
t_loop = [best_of(pairwise_sq_dists_loops, X[:n], X[n:n + 600], repeat=3) for n in sizes]
t_vec = [best_of(pairwise_sq_dists, X[:n], X[n:n + 600]) for n in sizes]
for n, a, b in zip(sizes, t_loop, t_vec):
    print(f"{n:4d} x 600: loops {a * 1e3:7.1f} ms, vectorized {b * 1e3:6.3f} ms, ratio {a / b:6.0f}x")
plt.loglog(sizes, t_loop, marker="o", label="two loops")
plt.loglog(sizes, t_vec, marker="o", label="vectorized")
plt.xlabel("test points (against 600 training points)")
plt.ylabel("seconds (best of runs)")
plt.legend()
plt.show()

# %% [markdown]
# ## Explore: cancellation, and why the clamp is there
# ||x||^2 + ||y||^2 - 2x.y subtracts large, nearly equal numbers when x is close to y. In float64 the
# error is about 1e-16 of ||x||^2, harmless for far-apart points and enough to make the distance of a
# point to itself slightly negative. Shift the data away from the origin and watch the error grow:
# that is why some libraries centre the data first, and why sqrt(D) without a clamp can give nan.

# %%
from scipy.spatial.distance import cdist

rng = np.random.default_rng(0)
P = rng.normal(size=(200, 10))
for shift in [0.0, 1e2, 1e4, 1e6]:
    Q = P + shift
    raw = np.sum(Q * Q, axis=1)[:, None] + np.sum(Q * Q, axis=1)[None, :] - 2 * Q @ Q.T
    err = np.max(np.abs(raw - cdist(Q, Q, "sqeuclidean")))
    print(f"shift {shift:8.0e}: most negative self-distance {np.min(np.diag(raw)):10.2e}, max abs error {err:9.2e}")

# %% [markdown]
# ## Explore: choosing k
# Cross-validation gives a mean accuracy and a spread per k. Differences smaller than the spread
# across folds are not evidence that one k is better: lab 12 turns this into a proper paired test.

# %%
ks = [1, 2, 3, 4, 5, 6, 7, 9, 11, 15]
best_k, mean_acc, std_acc = select_k(X, y, ks, 5, np.random.default_rng(0))
plt.errorbar(ks, mean_acc, yerr=std_acc, marker="o", capsize=3)
plt.xlabel("k")
plt.ylabel("5-fold CV accuracy (mean +- std)")
plt.title(f"kNN on digits: best k = {best_k}")
plt.show()

# %% [markdown]
# ## Explore: what does kNN get wrong?
# Hold out a fifth of the data, predict with the chosen k, and look at the mistakes next to their
# nearest training image. Most errors are digits that a person would hesitate over too.

# %%
perm = np.random.default_rng(1).permutation(len(y))
tr, te = perm[:1440], perm[1440:]
D = pairwise_sq_dists(X[te], X[tr])
pred = knn_predict(D, y[tr], best_k)
print("held-out accuracy:", np.mean(pred == y[te]))
wrong = np.flatnonzero(pred != y[te])[:6]
fig, axes = plt.subplots(2, max(len(wrong), 1), figsize=(2 * max(len(wrong), 1), 4), squeeze=False)
for col, i in enumerate(wrong):
    axes[0, col].imshow(X[te][i].reshape(8, 8), cmap="gray_r")
    axes[0, col].set_title(f"true {y[te][i]}, said {pred[i]}")
    nearest = np.argmin(D[i])
    axes[1, col].imshow(X[tr][nearest].reshape(8, 8), cmap="gray_r")
    axes[1, col].set_title(f"nearest: {y[tr][nearest]}")
for ax in axes.ravel():
    ax.axis("off")
plt.show()
