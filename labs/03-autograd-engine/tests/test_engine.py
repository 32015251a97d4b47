"""Public tests for lab 03. Run them with `labkit check 03` (or plain pytest from this folder).

The oracle is PyTorch in float64 (autograd written by someone else), plus calculus done by hand.
Random expression graphs come from hypothesis; when one fails, the message names its operations and
hypothesis prints the whole program (leaf values, then steps: operation, two node indices, a constant). Hidden tests at grading use other graphs,
other points, another data seed and other planted bugs.
"""
import math

import helpers  # labs/03-autograd-engine/tests/helpers.py, shared with the hidden tests
import numpy as np
import torch
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st
from sklearn.datasets import make_moons

# ---------------------------------------------------------------------------------------------------------------
# Random expression DAGs: each step applies an operation to earlier nodes (picked by index, so nodes get reused).
# The same lambdas (helpers.OPS) run on your Value and on torch tensors, so both see the very same expression.
CONSTS = (-1.5, -0.5, 0.5, 2.0)
OP_NAMES = ["add", "div", "exp", "log", "mul", "neg", "radd", "rdiv", "relu", "rmul", "rsqrt", "rsub", "sigmoid",
            "square", "sub", "tanh"]
programs = st.tuples(
    st.lists(st.integers(-20, 20).map(lambda k: k / 10), min_size=1, max_size=3),  # leaves, 0.0 included
    st.lists(st.tuples(st.sampled_from(OP_NAMES), st.integers(0, 99), st.integers(0, 99), st.sampled_from(CONSTS)),
             min_size=3, max_size=10),
)
# no shrinking: on a loaded machine it can take longer than the question's time limit; the failing program is
# printed as it was generated (at most 10 steps), and helpers.describe() names its operations in the message
DAG_SETTINGS = settings(max_examples=30, phases=[Phase.generate],
                        suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])


def torch_oracle(program):
    """Values of every node and gradients of the leaves, by torch float64; skips programs that blow up."""
    values, grads = helpers.torch_graph(program)
    assume(helpers.well_scaled(values, grads))
    return values, grads


# float64 on both sides: correct engines agree with torch to ~1e-12; 1e-6 (as micrograd's tests) leaves room
# for other but equivalent formulas (a / b as a * b**-1) and still catches every wrong derivative.
RTOL, ATOL = 1e-9, 1e-6


# --- q1: forward values -------------------------------------------------------------------------------------------
def test_value_arithmetic_with_numbers(answers, verdict):
    Value = answers.Value
    x = 1.7
    got = [(2 + Value(x)).data, (Value(x) + 2).data, (Value(x) - 0.5).data, (0.5 - Value(x)).data,
           (3 * Value(x)).data, (Value(x) / 4).data, (4 / Value(x)).data, (-Value(x)).data,
           (Value(x) ** 3).data, (Value(x) ** -0.5).data, (Value(x) * Value(-2.0)).data]
    want = [2 + x, x + 2, x - 0.5, 0.5 - x, 3 * x, x / 4, 4 / x, -x, x ** 3, x ** -0.5, -2 * x]
    verdict.close("values", [float(v) for v in got], expected=want, rtol=1e-12)


def test_value_functions(answers, verdict):
    Value = answers.Value
    xs = [-2.0, -0.3, 0.0, 0.4, 1.5]
    got = [[float(Value(x).exp().data) for x in xs], [float(Value(x).tanh().data) for x in xs],
           [float(Value(x).relu().data) for x in xs], [float(Value(x).sigmoid().data) for x in xs],
           [float(Value(x + 2.5).log().data) for x in xs]]
    t = torch.tensor(xs, dtype=torch.float64)
    want = [t.exp(), t.tanh(), t.relu(), t.sigmoid(), (t + 2.5).log()]
    for name, g, w in zip(["exp", "tanh", "relu", "sigmoid", "log"], got, want):
        verdict.close(name, g, expected=w.numpy(), rtol=1e-12, atol=1e-15)


def test_value_sigmoid_never_overflows(answers, verdict):
    Value = answers.Value
    xs = [-1000.0, -750.0, -30.0, 30.0, 750.0, 1000.0]
    got = [float(Value(x).sigmoid().data) for x in xs]
    # math.exp(750) raises OverflowError: the stable formula never exponentiates a positive number
    verdict.close("sigmoid", got, expected=torch.tensor(xs, dtype=torch.float64).sigmoid().numpy(), rtol=1e-12,
                  atol=1e-300)


def test_value_random_dags_forward(answers, verdict):
    Value = answers.Value
    errors = []

    @DAG_SETTINGS
    @given(programs)
    def run(program):
        want, _ = torch_oracle(program)
        _, nodes = helpers.build(Value, program)
        got = [float(n.data) for n in nodes]
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL,
                                   err_msg=f"node values of {helpers.describe(program)}")
        errors.append(max(abs(g - w) for g, w in zip(got, want)))

    run()
    verdict.close("largest error vs torch", max(errors), expected=0.0, atol=ATOL)


# --- q2: backward ---------------------------------------------------------------------------------------------------
def test_backward_chain_rule_by_hand(answers, verdict):
    Value = answers.Value
    a, b = Value(2.0), Value(-3.0)
    out = (a * b + a.exp()).tanh()
    out.backward()
    inner = 2.0 * -3.0 + math.exp(2.0)
    d = 1 - math.tanh(inner) ** 2  # tanh' = 1 - tanh**2 of the OUTPUT
    verdict.close("grads", [float(a.grad), float(b.grad)], expected=[d * (-3.0 + math.exp(2.0)), d * 2.0], rtol=1e-12)


def test_backward_reuse_accumulates(answers, verdict):
    Value = answers.Value
    x = Value(3.0)
    (x * x + x).backward()
    # x feeds three edges: d/dx (x*x + x) = 2x + 1 = 7; with `=` instead of `+=` you get 1, 3 or 6
    verdict.close("d/dx (x*x + x) at 3", float(x.grad), expected=7.0, rtol=1e-12)


def test_backward_random_dags_vs_torch(answers, verdict):
    Value = answers.Value
    errors = []

    @DAG_SETTINGS
    @given(programs)
    def run(program):
        _, want = torch_oracle(program)
        leaves, nodes = helpers.build(Value, program)
        nodes[-1].backward()
        got = [float(leaf.grad) for leaf in leaves]
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL,
                                   err_msg=f"leaf gradients of {helpers.describe(program)}")
        errors.append(max(abs(g - w) for g, w in zip(got, want)))

    run()
    verdict.close("largest gradient error vs torch", max(errors), expected=0.0, atol=ATOL)


def test_backward_relu_at_zero_like_torch(answers, verdict):
    Value = answers.Value
    xs = [-1.0, -0.0, 0.0, 1e-300, 2.0]
    got = []
    for x in xs:
        v = Value(x)
        v.relu().backward()
        got.append(float(v.grad))
    t = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    t.relu().sum().backward()
    verdict.close("relu grads", got, expected=t.grad.numpy(), atol=0.0)


def diamond(Value, x0, depth):
    """x -> (tanh(x), 0.5 x) -> their sum, repeated: every level uses the previous node twice (2**depth paths)."""
    leaf = x = Value(x0)
    for _ in range(depth):
        x = x.tanh() + x * 0.5
    return leaf, x


def test_backward_diamond_depth_25_is_fast(answers, verdict):
    leaf, root = diamond(answers.Value, 0.3, 25)
    root.backward()  # with a visited set: ~100 nodes; without: 2**25 paths, and this test times out
    t_leaf, t_root = diamond(lambda v: torch.tensor(v, dtype=torch.float64, requires_grad=True), 0.3, 25)
    t_root.backward()
    verdict.close("value", float(root.data), expected=t_root.item(), rtol=1e-12)
    verdict.close("grad", float(leaf.grad), expected=t_leaf.grad.item(), rtol=1e-10)


def test_backward_twice_after_zero_grad(answers, verdict):
    Value = answers.Value
    a, b = Value(0.5), Value(-1.2)
    h = a * b
    root = (h.tanh() + h * a).exp() + b ** 2
    root.backward()
    first = [float(a.grad), float(b.grad)]
    a.grad = b.grad = 0.0
    root.backward()  # interior nodes must start from 0 again, or they add to the previous call's grads
    again = [float(a.grad), float(b.grad)]
    root.backward()  # no zeroing in between: leaves accumulate, like torch
    doubled = [float(a.grad), float(b.grad)]
    verdict.close("after zero_grad", again, expected=first, rtol=1e-12)
    verdict.close("without zero_grad", doubled, expected=[2 * g for g in first], rtol=1e-12)


def test_topo_order_children_first_each_node_once(answers, verdict):
    Value = answers.Value
    a, b, c = Value(1.0), Value(2.0), Value(3.0)
    d = a * b
    e = d + c
    f = d * e
    t = f.tanh()
    g = t + a
    children = {id(d): (a, b), id(e): (d, c), id(f): (d, e), id(t): (f,), id(g): (t, a)}
    order = list(answers.topological_sort(g))
    ids = [id(n) for n in order]
    pos = {i: k for k, i in enumerate(ids)}
    assert len(set(ids)) == len(ids), "a node appears more than once: keep a visited set"
    assert set(ids) == {id(n) for n in (a, b, c, d, e, f, t, g)}, "the order must hold exactly the graph's nodes"
    ok = all(pos[id(ch)] < pos[node] for node, chs in children.items() for ch in chs)
    assert ok, "a node comes before one of its children"
    assert ids[-1] == id(g), "the root must come last"
    # a, b, c, d, e, f, tanh(f), g: eight distinct nodes
    verdict.equal("number of nodes", len(order), expected=8)


# --- q3: central differences -----------------------------------------------------------------------------------------
def test_central_difference_function_zoo(answers, verdict):
    cd = answers.central_difference
    got = [cd(lambda x: x, 2.0), cd(lambda x, y: x + y, 2.0, 3.0, arg=1), cd(lambda x, y: x * y, 2.0, 3.0, arg=0),
           cd(lambda x, y: x * y, 2.0, 3.0, arg=1), cd(math.exp, 1.0), cd(lambda x: x ** 3, 2.0, eps=1e-3)]
    want = [1.0, 1.0, 3.0, 2.0, math.e, 12.0 + 1e-6]  # x**3 at eps = 1e-3: central differences add exactly eps**2
    # error of central differences: eps**2 * f''' / 6 (~1e-12) plus rounding ~1e-16 / eps (~1e-10);
    # forward differences miss by eps * f'' / 2 (~6e-3 on the cubic), far outside 1e-7
    verdict.close("derivatives", [float(g) for g in got], expected=want, rtol=1e-7, atol=1e-9)


# --- q4: the nn library ---------------------------------------------------------------------------------------------
def test_nn_parameter_counts(answers, verdict):
    counts = [len(answers.Neuron(3).parameters()), len(answers.Layer(3, 4).parameters()),
              len(answers.MLP(2, [4, 3, 1]).parameters())]
    params = answers.MLP(2, [4, 3, 1]).parameters()
    assert len({id(p) for p in params}) == len(params), "two parameters are the same Value object"
    verdict.equal("counts", counts, expected=[4, 16, 12 + 15 + 4])


def torch_mlp(sizes, values):
    """torch float64 layers with the weights copied in your parameter order (neuron by neuron: w..., b)."""
    layers, k = [], 0
    for i, (nin, nout) in enumerate(zip(sizes, sizes[1:])):
        block = torch.tensor(values[k:k + nout * (nin + 1)], dtype=torch.float64).reshape(nout, nin + 1)
        k += nout * (nin + 1)
        lin = torch.nn.Linear(nin, nout).double()
        with torch.no_grad():
            lin.weight.copy_(block[:, :nin])
            lin.bias.copy_(block[:, nin])
        layers += [lin] + ([torch.nn.Tanh()] if i < len(sizes) - 2 else [])
    return torch.nn.Sequential(*layers)


def test_nn_forward_and_backward_match_torch(answers, verdict):
    model = answers.MLP(3, [4, 4, 1])
    values = helpers.set_params(model, np.random.default_rng(7))
    x = [0.5, -1.0, 2.0]
    out = model(x)
    loss = (out - 1.0) ** 2
    model.zero_grad()
    loss.backward()
    ref = torch_mlp([3, 4, 4, 1], values)
    t_out = ref(torch.tensor(x, dtype=torch.float64))
    ((t_out - 1.0) ** 2).sum().backward()
    t_grads = torch.cat([torch.cat([lin.weight.grad, lin.bias.grad[:, None]], dim=1).ravel()
                         for lin in ref if isinstance(lin, torch.nn.Linear)])
    verdict.close("output", float(out.data), expected=t_out.item(), rtol=1e-12)
    verdict.close("grads", [float(p.grad) for p in model.parameters()], expected=t_grads.numpy(), rtol=1e-10,
                  atol=1e-12)


def test_nn_zero_grad_and_sgd_step(answers, verdict):
    model = answers.MLP(2, [3, 1])
    values = helpers.set_params(model, np.random.default_rng(3))
    (model([1.0, -2.0]) * 2.0).backward()
    grads = np.array([p.grad for p in model.parameters()])
    answers.sgd_step(model.parameters(), 0.1)
    verdict.close("after sgd_step", [float(p.data) for p in model.parameters()], expected=values - 0.1 * grads,
                  rtol=1e-12)
    model.zero_grad()
    verdict.close("after zero_grad", [float(p.grad) for p in model.parameters()], expected=np.zeros(len(values)))


def test_train_moons(answers, verdict):
    X, y = make_moons(n_samples=20, noise=0.1, random_state=0)
    model, losses = helpers.train_logistic(answers, X, y, init_seed=1)
    assert losses[-1] < losses[0] / 3, f"the loss went from {losses[0]:.3f} to {losses[-1]:.3f} in 100 steps"
    X, y = make_moons(n_samples=300, noise=0.1, random_state=100)
    pred = helpers.predict(model, X)
    # the reference reaches ~0.99 on this held-out set; a 16-unit tanh net on 20 points reliably gets >= 0.97
    verdict.accuracy("held-out moons", pred, y_true=y, minimum=0.95)


# --- q5: your property checks, run against your engine and against planted bugs ---------------------------------------
# The planted bugs here are built from your own operations and patched into your Value class for one test.
# The hidden tests use other correct engines and other bugs of the same kind.
def outcome(check, Value):
    try:
        check(Value)
        return True, ""
    except Exception as exc:  # a check may fail by AssertionError or by the engine's own exception
        return False, f"{type(exc).__name__}: {exc}"[:300]


def grade_check(name, check, Value, monkeypatch, method, bug, verdict):
    made = []

    class Probe(Value):
        def __init__(self, *args, **kwargs):
            made.append(1)
            super().__init__(*args, **kwargs)

    ok, why = outcome(check, Probe)
    assert ok, f"{name} fails on your own engine ({why}); fix the engine or the check"
    assert made, f"{name} never built a Value of the class it was given: use the parameter, not your engine"
    monkeypatch.setattr(Value, method, bug(getattr(Value, method)))
    caught = not outcome(check, Value)[0]
    assert caught, f"{name} passed on an engine with a planted bug in {method}"
    verdict.equal("outcomes [correct, bug]", [ok, not caught], expected=[True, False])


def test_mut_sigmoid(answers, verdict, monkeypatch):
    def bug(original):  # evaluates exp(-x) first: OverflowError below x = -709.78
        return lambda self: (math.exp(-self.data), original(self))[1]
    grade_check("check_sigmoid", answers.check_sigmoid, answers.Value, monkeypatch, "sigmoid", bug, verdict)


def test_mut_relu_backward(answers, verdict, monkeypatch):
    def bug(original):  # right values, but the gradient is 1 everywhere (negative inputs too)
        return lambda self: self + (original(self).data - self.data)
    grade_check("check_relu_backward", answers.check_relu_backward, answers.Value, monkeypatch, "relu", bug,
                verdict)


def test_mut_log_backward(answers, verdict, monkeypatch):
    def bug(original):  # right values, but the gradient is 1 / x**2
        return lambda self: -(self ** -1) + (math.log(self.data) + 1.0 / self.data)
    grade_check("check_log_backward", answers.check_log_backward, answers.Value, monkeypatch, "log", bug, verdict)


def test_mut_grad_accumulates(answers, verdict, monkeypatch):
    def bug(original):  # x * x counts x once: the second factor is a detached copy
        return lambda self, other: original(self, type(self)(self.data) if other is self else other)
    grade_check("check_grad_accumulates", answers.check_grad_accumulates, answers.Value, monkeypatch, "__mul__", bug,
                verdict)
