"""Hidden inputs for lab 03, made in the grader's process (autograder.hidden_data); never copied into a job.

dags:  random expression programs (leaf values, then steps: operation, two node indices, a constant) over the
       operations of labs/03-autograd-engine/tests/helpers.py. Torch in float64 evaluates each one here, and only
       programs whose values and gradients stay finite and below 1e4 are kept, so no oracle runs in the worker
       and the reference and every submission see the very same graphs.
moons: the training set of the moons check and a held-out set, made with seeds that stay here; the held-out
       labels are the truth the grader scores predictions against (they never enter the worker).
"""
import importlib.util
from pathlib import Path

import numpy as np
from sklearn.datasets import make_moons

SEED = 0x03AD0D  # never copied into a grading job
CONSTS = (-2.0, -0.75, 0.5, 1.25, 3.0)
N_PROGRAMS, MAX_LEAVES, MAX_STEPS = 50, 4, 14


def _helpers():
    path = Path(__file__).resolve().parents[2] / "labs" / "03-autograd-engine" / "tests" / "helpers.py"
    spec = importlib.util.spec_from_file_location("labkit_lab03_helpers_for_hidden_data", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def dags():
    """50 programs: 2-4 leaves in {-2.5, -2.4, ..., 2.5} (0.0 included), 4-14 steps, every operation of helpers.OPS.

    Arrays, padded: leaves (50, 4) with nan after the last leaf; op (50, 14) an index into sorted(helpers.OPS),
    -1 after the last step; ij (50, 14, 2) the two node indices (taken mod the number of nodes so far); const
    (50, 14) the constant of each step."""
    helpers = _helpers()
    names = sorted(helpers.OPS)
    rng = np.random.default_rng(SEED)
    leaves = np.full((N_PROGRAMS, MAX_LEAVES), np.nan)
    op = np.full((N_PROGRAMS, MAX_STEPS), -1, dtype=np.int64)
    ij = np.zeros((N_PROGRAMS, MAX_STEPS, 2), dtype=np.int64)
    const = np.zeros((N_PROGRAMS, MAX_STEPS))
    k = 0
    while k < N_PROGRAMS:
        values = rng.integers(-25, 26, size=rng.integers(2, MAX_LEAVES + 1)) / 10
        n = int(rng.integers(4, MAX_STEPS + 1))
        ops, idx, cs = rng.integers(0, len(names), size=n), rng.integers(0, 100, size=(n, 2)), rng.choice(CONSTS, n)
        program = (list(values), [(names[o], i, j, c) for o, (i, j), c in zip(ops, idx, cs)])
        if not helpers.well_scaled(*helpers.torch_graph(program)):
            continue
        leaves[k, :len(values)] = values
        op[k, :n], ij[k, :n], const[k, :n] = ops, idx, cs
        k += 1
    return {"leaves": leaves, "op": op, "ij": ij, "const": const}, {}


def moons():
    """20 training points of make_moons(noise=0.1) with their labels (fit needs them), 400 held-out points."""
    rng = np.random.default_rng(SEED + 1)
    X_train, y_train = make_moons(n_samples=20, noise=0.1, random_state=int(rng.integers(2**31)))
    X_test, y_test = make_moons(n_samples=400, noise=0.1, random_state=int(rng.integers(2**31)))
    return {"X_train": X_train, "y_train": y_train, "X_test": X_test}, {"y_test": y_test}
