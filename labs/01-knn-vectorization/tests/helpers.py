"""Helpers shared by lab 01's public tests and the hidden tests of grading (both `import helpers`).

Nothing here is an answer: a loop detector, data generators, the double-loop baseline of the speed test and
the tolerance of the expansion trick.
"""
import ast
import inspect
import textwrap
import time
import types

import numpy as np

# Calls that are Python loops in disguise: builtins that walk an array element by element (`sum(X)`,
# unlike `np.sum(X)`), and NumPy/itertools helpers that call a Python function once per row or element.
LOOPY_BUILTINS = {"map", "filter", "sum", "min", "max", "sorted", "reduce"}
LOOPY_HELPERS = {"vectorize", "apply_along_axis", "apply_over_axes", "frompyfunc", "fromiter", "starmap"}
LOOP_NODES = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def python_loops(func, seen=None) -> list[str]:
    """Loops in func's source and, recursively, in the functions of its own module that it calls (a helper is
    the usual hiding place)."""
    seen = set() if seen is None else seen
    if func in seen:
        return []
    seen.add(func)
    found = []
    for node in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(func)))):
        if isinstance(node, LOOP_NODES):
            found.append(f"{type(node).__name__} in {func.__name__}")
        elif isinstance(node, ast.Call):
            bare = isinstance(node.func, ast.Name)
            name = node.func.id if bare else getattr(node.func, "attr", "")
            target = func.__globals__.get(name) if bare else None
            if name in LOOPY_HELPERS or bare and name in LOOPY_BUILTINS:
                found.append(f"{name}() in {func.__name__}")
            elif isinstance(target, types.FunctionType) and target.__module__ == func.__module__:
                found += python_loops(target, seen)
    return found


def random_points(seed, n, m, d, scale=1.0, shift=0.0):
    """X (n, d) and Y (m, d), normal with the given scale, shifted away from the origin by `shift`."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)) * scale + shift, rng.normal(size=(m, d)) * scale + shift


def integer_images(seed, n, m, d, high, dtype):
    """X (n, d) and Y (m, d) of whole numbers in [0, high] with the given dtype (uint8 images when high = 255)."""
    rng = np.random.default_rng(seed)
    return (rng.integers(0, high + 1, size=(n, d)).astype(dtype),
            rng.integers(0, high + 1, size=(m, d)).astype(dtype))


def trick_atol(X, Y):
    """Rounding in ||x||^2 + ||y||^2 - 2x.y is a few eps times the norms (measured <= 3e-16 relative to them);
    1e-12 of the largest norm sum is far above that and far below any real bug."""
    X, Y = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    return 1e-12 * (np.max(np.sum(X * X, axis=1)) + np.max(np.sum(Y * Y, axis=1)))


def two_loops(X, Y):
    """The baseline of the speed test: one Python-level dot product per pair."""
    D = np.empty((len(X), len(Y)))
    for i in range(len(X)):
        for j in range(len(Y)):
            diff = X[i] - Y[j]
            D[i, j] = diff @ diff
    return D


def speedup(func, A, B, repeats=5):
    """(best double-loop time / best time of func(A, B), func's last result). Interleaved, best of `repeats`:
    load on a busy machine hits both sides alike, so the ratio is stable where seconds are not."""
    loop_times, func_times = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        two_loops(A, B)
        t1 = time.perf_counter()
        D = func(A, B)
        t2 = time.perf_counter()
        loop_times.append(t1 - t0)
        func_times.append(t2 - t1)
    return min(loop_times) / max(min(func_times), 1e-9), D
