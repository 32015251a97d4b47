"""Helpers shared by the public tests and the hidden tests of lab 02 (labs/README.md, "Tests").

Input generators and a source inspector: no answers and no hidden inputs (each test passes its own seeds
and shapes). Import them with `import helpers`.
"""
import ast
import inspect
import textwrap

import numpy as np


def problem(seed, n=12, d=5, c=4, w_scale=0.1, x_scale=1.0):
    """A seeded softmax problem: W (d, c), X (n, d) and integer labels y (n,) in [0, c), all float64 but y.

    Scores X @ W have a spread of about w_scale * x_scale * sqrt(d): pass w_scale in the thousands for logits
    that overflow exp() unless the maximum is subtracted first.
    """
    rng = np.random.default_rng(seed)
    return rng.normal(size=(d, c)) * w_scale, rng.normal(size=(n, d)) * x_scale, rng.integers(0, c, size=n)


def softmax_samples(rng, W, b, n):
    """n rows X ~ N(0, I) with labels drawn from the softmax model P(y = k | x) = softmax(W x + b)_k.

    W: (C, D) true weights, b: (C,) true intercepts, rng: a numpy Generator. Returns X (n, D), y (n,).
    """
    X = rng.normal(size=(n, W.shape[1]))
    logits = X @ W.T + b
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    y = (p.cumsum(axis=1) > rng.random((n, 1))).argmax(axis=1)  # inverse-CDF sampling, one draw per row
    return X, y


LOOPS = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.GeneratorExp, ast.SetComp, ast.DictComp)


def python_loops(fn):
    """Names of the Python loops (for, while, comprehensions) in fn's own source, in order; [] when none."""
    source = textwrap.dedent(inspect.getsource(fn))
    return [type(node).__name__ for node in ast.walk(ast.parse(source)) if isinstance(node, LOOPS)]
