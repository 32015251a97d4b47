# %% [markdown]
# # Lab 03: a scalar autograd engine, a tiny nn library, and property tests
#
# Work through the cells in order. Your answers live in the cells marked as answer cells (they carry
# nbgrader metadata); `labkit grade` reads only those. Everything else is for exploring: it never runs
# at grading. Prefer editing `engine.py`? That works too: grading takes the module when you changed it.
#
# Check yourself at any time from a terminal: `labkit check 03` (or `labkit check 03 q2`).
#
# The plan: Part 1 makes `Value` compute forward; Part 2 gives it `backward()`; Part 3 is the numerical
# derivative you trust more than your own calculus; Part 4 builds and trains a small network with it;
# Part 5 is where you write tests that must catch bugs you have not seen.

# %%
import math
import random

# test_engine_properties.ipynb explores with the engine in engine.py; in engine.ipynb your answer cells
# below replace these names
from engine import MLP, Value, central_difference, check_relu_backward, sgd_step, topological_sort

# %% [markdown]
# ## Your answers
# Fill in each function below. The docstrings give the formulas and the contract the tests rely on.

# %% [answers]

# %% [markdown]
# ## Explore: one expression, three ways to get its gradient
# By hand, by central differences, and by your engine. All three should agree to ~1e-9.

# %%
def f(a, b):
    return ((Value(a) * Value(b) + Value(a).exp()).tanh() * Value(b).sigmoid()).data


a, b = Value(0.4), Value(-1.3)
out = (a * b + a.exp()).tanh() * b.sigmoid()
out.backward()
print("engine:   ", a.grad, b.grad)
print("numerical:", central_difference(f, 0.4, -1.3, arg=0), central_difference(f, 0.4, -1.3, arg=1))

# %% [markdown]
# ## Explore: why the visited set matters
# A diamond uses the previous node twice per level. Count the nodes your sort returns and time backward
# as the depth grows: with a visited set both grow linearly; without one, the time doubles per level.

# %%
import time


def diamond(depth):
    leaf = x = Value(0.3)
    for _ in range(depth):
        x = x.tanh() + x * 0.5
    return leaf, x


for depth in (5, 10, 20, 40):
    leaf, root = diamond(depth)
    start = time.perf_counter()
    root.backward()
    print(f"depth {depth:3d}: {len(topological_sort(root)):4d} nodes, backward {1e3 * (time.perf_counter() - start):.2f} ms,"
          f" d root / d leaf = {leaf.grad:.4g}")

# %% [markdown]
# ## Explore: train a classifier on two moons
# Full-batch gradient descent on the logistic loss, with your MLP and sgd_step. About 2 s for 100 steps:
# every step builds and walks a graph of ~12,000 Values.

# %%
import gc

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_moons

random.seed(0)
X, y = make_moons(n_samples=20, noise=0.1, random_state=0)
model = MLP(2, [16, 1])
data = [([float(u), float(v)], 2.0 * t - 1.0) for (u, v), t in zip(X, y)]
losses = []
for step in range(100):
    loss = sum(((-(t * model(x))).exp() + 1.0).log() for x, t in data) * (1.0 / len(data))
    model.zero_grad()
    loss.backward()
    sgd_step(model.parameters(), 2.0)
    losses.append(loss.data)
    if step % 10 == 9:
        gc.collect()  # each graph is a web of reference cycles: free it before the next ones pile up
print("loss:", losses[0], "->", losses[-1])

grid = np.linspace(-1.5, 2.5, 40), np.linspace(-1.0, 1.5, 30)
scores = np.array([[model([float(u), float(v)]).data for u in grid[0]] for v in grid[1]])
plt.contourf(grid[0], grid[1], scores > 0, alpha=0.3)
plt.scatter(X[:, 0], X[:, 1], c=y, edgecolors="k")
plt.title("decision regions of your MLP")
plt.show()

# %% [markdown]
# ## Explore: does your check catch a bug?
# Plant one yourself. Below, a subclass whose relu gradient leaks through for negative inputs: your
# `check_relu_backward` should pass on `Value` and raise on `Leaky`. Try other bugs: `>=` instead of `>`,
# a relu that ignores the upstream gradient, a log gradient with the wrong sign.

# %%
class Leaky(Value):
    def relu(self):
        return self + (max(self.data, 0.0) - self.data)  # right value, gradient 1 everywhere


for engine in (Value, Leaky):
    try:
        check_relu_backward(engine)
        print(engine.__name__, "passed")
    except Exception as exc:
        print(engine.__name__, "caught:", type(exc).__name__, str(exc)[:80])


# %% [markdown]
# ## Explore: run your property tests (q6, in test_engine_properties.ipynb)
# The cell below runs every `test_*` function defined above, first on the engine as it is, then with a
# planted bug (relu's gradient with `>=`, so 1 at exactly 0). A good suite passes the first time and fails
# the second. Plant other bugs the same way. (engine.ipynb defines no tests: nothing runs there.)

# %%
def run_my_tests():
    for name, fn in sorted(globals().items()):
        if name.startswith("test_") and callable(fn):
            try:
                fn()
                print(f"  {name}: passed")
            except Exception as exc:
                print(f"  {name}: FAILED ({type(exc).__name__})")


def relu_ge(self):
    out = Value(max(self.data, 0.0), (self,), "relu")

    def _backward():
        self.grad += (self.data >= 0) * out.grad
    out._backward = _backward
    return out


print("engine as it is:")
run_my_tests()
good_relu, Value.relu = Value.relu, relu_ge
try:
    print("relu backward with >=:")
    run_my_tests()
finally:
    Value.relu = good_relu
