"""Helpers shared by lab 03's public tests and the hidden tests of grading (both `import helpers`).

Nothing here is an answer: the operations random expression graphs are made of, a builder that runs one
program on any leaf type (your Value or a torch tensor), the torch float64 evaluation the public tests use as
their oracle, a deterministic weight setter, and the training recipe of the moons check. Each test passes its
own programs, seeds and data.
"""
import contextlib
import gc
import math

import numpy as np

# One step of a program: (operation, index of a, index of b, constant c); nodes are picked by index (mod the
# number of nodes so far), so nodes get reused. The same lambdas run on Values and on torch tensors.
OPS = {
    "add": lambda a, b, c: a + b,
    "sub": lambda a, b, c: a - b,
    "mul": lambda a, b, c: a * b,
    "div": lambda a, b, c: a / (b * b + 1.0),
    "radd": lambda a, b, c: c + a,
    "rsub": lambda a, b, c: c - a,
    "rmul": lambda a, b, c: c * a,
    "rdiv": lambda a, b, c: c / (a * a + 0.5),
    "divc": lambda a, b, c: a / c,
    "neg": lambda a, b, c: -a,
    "square": lambda a, b, c: a ** 2,
    "cube": lambda a, b, c: a ** 3,
    "rsqrt": lambda a, b, c: (a * a + 0.25) ** -0.5,
    "pow": lambda a, b, c: (a * a + 0.25) ** -1.5,
    "sqrt": lambda a, b, c: (a * a + 1.0) ** 0.5,
    "exp": lambda a, b, c: a.exp(),
    "log": lambda a, b, c: (a * a + 0.1).log(),
    "tanh": lambda a, b, c: a.tanh(),
    "relu": lambda a, b, c: a.relu(),
    "relu_diff": lambda a, b, c: (a - b).relu(),  # exactly 0 when a is b: relu'(0) must be 0, as in torch
    "sigmoid": lambda a, b, c: a.sigmoid(),
}


def build(make_leaf, program):
    """program = (leaf values, steps), each step (operation name, i, j, constant). Returns (leaves, nodes)."""
    leaf_values, steps = program
    leaves = [make_leaf(float(v)) for v in leaf_values]
    nodes = list(leaves)
    for name, i, j, c in steps:
        nodes.append(OPS[name](nodes[int(i) % len(nodes)], nodes[int(j) % len(nodes)], float(c)))
    return leaves, nodes


def describe(program):
    """The program as text (n0 = leaf 0.5; n3 = mul(n0, n2, c=...); ...), for failure messages."""
    leaves, steps = program
    nodes = [f"leaf {v}" for v in leaves]
    for name, i, j, c in steps:
        nodes.append(f"{name}(n{int(i) % len(nodes)}, n{int(j) % len(nodes)}, c={c})")
    return "; ".join(f"n{k} = {text}" for k, text in enumerate(nodes))


def torch_graph(program):
    """Values of every node and gradients of the leaves of the last node, by torch in float64."""
    import torch

    leaves, nodes = build(lambda v: torch.tensor(v, dtype=torch.float64, requires_grad=True), program)
    nodes[-1].backward()
    values = [n.item() for n in nodes]
    grads = [0.0 if leaf.grad is None else leaf.grad.item() for leaf in leaves]
    return values, grads


def well_scaled(values, grads, limit=1e4):
    """Programs whose numbers stay finite and moderate: the tolerances of the graph checks assume it."""
    return all(math.isfinite(v) and abs(v) < limit for v in [*values, *grads])


def set_params(model, rng):
    """Set every parameter of model to rng.uniform(-1, 1), in parameters() order; returns the values."""
    values = rng.uniform(-1.0, 1.0, size=len(model.parameters()))
    for p, v in zip(model.parameters(), values):
        p.data = float(v)
    return values


@contextlib.contextmanager
def collect_by_hand():
    """Every node and its _backward closure form a reference cycle, so each training step leaves ~10k objects
    for the cyclic garbage collector, which also rescans everything torch and numpy keep alive (measured: 13 s
    for 100 steps instead of 2 s). Freeze what is alive now, and collect the dead graphs ourselves."""
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield gc.collect
    finally:
        gc.enable()
        gc.unfreeze()


def train_logistic(answers, X, y, init_seed, hidden=16, steps=100, lr=2.0):
    """MLP(2, [hidden, 1]) with weights from default_rng(init_seed), full-batch gradient descent (sgd_step) on
    the mean logistic loss log(1 + exp(-t * score)), t = 2 y - 1 in {-1, +1}. Returns (model, losses)."""
    model = answers.MLP(2, [hidden, 1])
    set_params(model, np.random.default_rng(init_seed))
    data = [([float(a), float(b)], 2.0 * float(label) - 1.0) for (a, b), label in zip(X, y)]
    params = model.parameters()
    losses = []
    with collect_by_hand() as collect:
        for step in range(steps):
            loss = sum(((-(t * model(x))).exp() + 1.0).log() for x, t in data) * (1.0 / len(data))
            model.zero_grad()
            loss.backward()
            answers.sgd_step(params, lr)
            losses.append(float(loss.data))
            if step % 10 == 9:
                del loss
                collect()
    return model, losses


def predict(model, X):
    """Class 1 where the model's score is positive, as an int array."""
    with collect_by_hand():
        return np.array([int(model([float(a), float(b)]).data > 0) for a, b in X])
