# %% [markdown]
# # Lab 02: linear models, softmax and gradient checking
#
# Work through the cells in order. Your answers live in the cells marked as answer cells (they carry
# nbgrader metadata); `labkit grade` reads only those. Everything else is for exploring: it never runs
# at grading. Prefer editing `linear_models.py`? That works too: grading takes the module when you changed it.
#
# Check yourself at any time from a terminal: `labkit check 02` (or `labkit check 02 q1`).

# %%
import numpy as np
from sklearn.datasets import load_digits

X, y = load_digits(return_X_y=True)
X = X / 16.0
print(X.shape, np.bincount(y))

# %% [markdown]
# ## Your answers
# Fill in each function below. The docstrings give the formulas and shapes.

# %% [answers]

# %% [markdown]
# ## Explore: is your gradient right?
# Compare your analytic gradient with the numerical one on a few coordinates. A relative error below
# 1e-7 is what a correct float64 implementation gives; above 1e-3 something is wrong.

# %%
rng = np.random.default_rng(0)
W = rng.normal(size=(64, 10)) * 0.001
loss, grad = softmax_loss_vectorized(W, X[:200], y[:200], 0.1)
num = numerical_gradient(lambda w: softmax_loss_vectorized(w, X[:200], y[:200], 0.1)[0], W.copy())
print("loss at small W (about log 10 = 2.30):", loss)
print("relative error:", rel_error(grad, num))

# %% [markdown]
# ## Explore: a learning curve
# How does accuracy on held-out digits change with the amount of training data?

# %%
import matplotlib.pyplot as plt

sizes = [50, 100, 200, 400, 800, 1200]
accs = [(SoftmaxRegression(reg=1e-3).fit(X[:n], y[:n]).predict(X[1200:]) == y[1200:]).mean() for n in sizes]
plt.plot(sizes, accs, marker="o")
plt.xlabel("training examples")
plt.ylabel("held-out accuracy")
plt.title("Softmax regression on digits")
plt.show()
