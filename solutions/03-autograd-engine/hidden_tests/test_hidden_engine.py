"""Hidden tests for lab 03: values go to the grader, which compares them with the reference solution's.

No expected value lives here and no oracle runs here: the grader runs the reference solution through these same
tests and keeps its values and tolerances (the reference agrees with torch float64 to ~1e-15 on these graphs; the
public tests show that comparison). The random expression graphs and the moons data come from the grader
(solutions/03-autograd-engine/hidden_data.py), so the reference and every submission see the very same inputs.
Properties (each node once, children first, zero_grad + backward reproducing the first grads, initial weights in
[-1, 1]) are gates, judged on the learner's own values.

Part 5 (q5) runs the learner's property checks against engines defined at the bottom of this file: two
correct ones written differently from the reference, and chaffs with one planted bug each.
"""
import math

import helpers  # labs/03-autograd-engine/tests/helpers.py, shared with the public tests
import numpy as np
import pytest

# Values of moderate size (below 1e4 by construction of the graphs) computed in float64 through up to ~40
# roundings: correct engines written differently (a / b as a * b**-1, 1 - t*t as (1 - t)(1 + t), other sigmoid
# formulas) agree with the reference to ~1e-12 relative (measured on the blind variants); 1e-9 relative with
# micrograd's 1e-6 absolute floor leaves room for those and for values that cancel to ~0, while any wrong
# derivative or operation is off by O(1).
RTOL, ATOL = 1e-9, 1e-6
OP_NAMES = sorted(helpers.OPS)  # hidden_data.py numbers the operations the same way


def programs(hidden_data):
    """The grader's programs as (leaf values, steps), in helpers.build's format."""
    d = hidden_data("dags")
    out = []
    for leaves, ops, ij, consts in zip(d["leaves"], d["op"], d["ij"], d["const"]):
        steps = [(OP_NAMES[o], int(i), int(j), float(c)) for o, (i, j), c in zip(ops, ij, consts) if o >= 0]
        out.append(([float(v) for v in leaves if not math.isnan(v)], steps))
    return out


# --- q1: forward values ---------------------------------------------------------------------------------------------
def test_value_random_dags_forward(answers, verdict, hidden_data):
    Value = answers.Value
    got = []
    for program in programs(hidden_data):
        _, nodes = helpers.build(Value, program)
        got += [float(n.data) for n in nodes]
    verdict.close("node values of 50 random graphs", got, rtol=RTOL, atol=ATOL)


def test_value_operators_hidden_points(answers, verdict):
    Value = answers.Value
    got = []
    for x in (-2.3, 0.6, 4.1):
        v = Value(x)
        got += [(v + 1.5).data, (-0.75 + v).data, (v - 3.0).data, (3.0 - v).data, (v * -2.5).data, (0.4 * v).data,
                (v / 7.0).data, (7.0 / v).data, (-v).data, (v ** 2).data, (v ** 3).data, ((v * v + 1.0) ** 0.5).data,
                ((v * v + 1.0) ** -0.5).data, v.exp().data, (v * v).log().data, v.tanh().data, v.relu().data,
                v.sigmoid().data, (v * Value(1.5) - Value(x) / Value(2.0)).data]
    # one to three roundings per value: equivalent formulas (x / 7 as x * 7**-1) differ by a few ulps
    verdict.close("values", [float(g) for g in got], rtol=1e-12, atol=1e-15)


def test_value_pow_refuses_a_value_exponent(answers):
    """Gate (README: __pow__ takes a constant int or float; a Value exponent raises TypeError)."""
    Value = answers.Value
    with pytest.raises(TypeError):
        Value(2.0) ** Value(3.0)
    with pytest.raises(TypeError):
        Value(-1.5) ** Value(2.0)


def test_value_sigmoid_extremes(answers, verdict):
    Value = answers.Value
    xs = [-1000.0, -745.5, -710.0, -709.0, -40.0, 0.0, 40.0, 709.0, 710.0, 745.5, 1000.0]
    got = [float(Value(x).sigmoid().data) for x in xs]
    # relative accuracy for tiny outputs too (README: sigmoid(-40) ~ 4.2e-18): exp(x) / (1 + exp(x)) and
    # exp(-log1p(exp(-x)))-style formulas agree to a few ulps; 0.5 * (1 + tanh(x / 2)) gives 0.0 there
    verdict.close("sigmoid", got, rtol=1e-12, atol=1e-300)


# --- q2: backward ----------------------------------------------------------------------------------------------------
def test_backward_random_dags(answers, verdict, hidden_data):
    Value = answers.Value
    got = []
    for program in programs(hidden_data):
        leaves, nodes = helpers.build(Value, program)
        nodes[-1].backward()
        got += [float(leaf.grad) for leaf in leaves]
    verdict.close("leaf grads of 50 random graphs", got, rtol=RTOL, atol=ATOL)


def test_backward_reuse_accumulates(answers, verdict):
    Value = answers.Value
    grads = []
    for a, b in ((-1.7, 0.4), (2.2, -3.1)):
        x, y = Value(a), Value(b)
        (x * x + x).backward()  # 2x + 1: `=` instead of `+=` loses one of the three edges into x
        grads.append(x.grad)
        x = Value(a)
        (x + x + x * x * x).backward()
        grads.append(x.grad)
        x, y = Value(a), Value(b)
        ((x * y + x) * y + y.tanh() * y).backward()
        grads += [x.grad, y.grad]
    # a handful of roundings on numbers of order 1-10: correct engines agree to a few ulps
    verdict.close("grads", [float(g) for g in grads], rtol=1e-12, atol=1e-15)


def diamond(Value, x0, depth):
    """Each level uses the previous node twice: 2**depth paths from the root to the leaf."""
    leaf = x = Value(x0)
    for _ in range(depth):
        x = (x * 0.7).tanh() + x * x.sigmoid()
    return leaf, x


def test_backward_diamond_depth_25(answers, verdict):
    # the question's 10 s limit is ~1000x what a visited set needs; without one the walk takes 2**25 steps
    leaf, root = diamond(answers.Value, -0.45, 25)
    root.backward()
    # 25 levels of a few roundings each: ~1e-14 between equivalent formulas; a wrong level is off by O(1e-2)
    verdict.close("value", float(root.data), rtol=1e-12)
    verdict.close("grad", float(leaf.grad), rtol=1e-10)


def test_backward_twice_after_zero_grad(answers, verdict):
    Value = answers.Value
    a, b, c = Value(0.9), Value(-0.4), Value(1.6)
    d = a * b + c
    e = d.tanh() * d + (a / c).exp()
    root = e * e.sigmoid() + d.relu() - b ** 2 + (c * c).log()
    leaves = (a, b, c)
    root.backward()
    first = [float(v.grad) for v in leaves]
    for v in leaves:
        v.grad = 0.0
    root.backward()
    again = [float(v.grad) for v in leaves]
    root.backward()
    doubled = [float(v.grad) for v in leaves]
    # ~20 roundings on numbers of order 1: equivalent formulas agree to ~1e-15, a wrong grad is off by O(0.1)
    verdict.close("first", first, rtol=1e-12, atol=1e-15)
    verdict.close("after zeroing the leaves", again, rtol=1e-12, atol=1e-15)
    verdict.close("without zeroing", doubled, rtol=1e-12, atol=1e-15)
    # README: zero_grad + backward reproduces the first grads (the same arithmetic again, so the same bits), and a
    # second call without zeroing doubles them (x + x is exact in float64)
    verdict.same("zero_grad + backward reproduces the first call", again, first, rtol=1e-12)
    verdict.same("backward twice doubles the leaves' grads", doubled, [2.0 * g for g in first], rtol=1e-12)
    # a lone leaf is its own root: README, backward seeds the root with += 1 and leaves accumulate, so 1 then 2
    leaf = Value(-1.3)
    seeds = []
    for _ in range(3):
        leaf.backward()
        seeds.append(float(leaf.grad))
    verdict.equal("a leaf's own backward, three times", seeds)


def test_backward_edges_like_torch(answers, verdict):
    Value = answers.Value
    got = []
    for x in (-0.0, 0.0, -1e-200, 1e-200, -3.0):
        v = Value(x)
        (v.relu() * 2.5).backward()
        got.append(v.grad)
    for x in (-25.0, -0.5, 3.0, 25.0):  # tanh' = 1 - tanh(x)**2, which is 0 (not 1 - x**2 = -624) at x = 25
        v = Value(x)
        (v.tanh() * 3.0).backward()
        got.append(v.grad)
    for x in (1e-4, 0.3, 50.0):  # log' = +1 / x
        v = Value(x)
        (v.log() * -2.0).backward()
        got.append(v.grad)
    # a few roundings each: (1 - t)(1 + t) and 1 - t * t, -2 / x and -2 * x**-1 differ by ~1e-16 relative
    verdict.close("grads", [float(g) for g in got], rtol=1e-10, atol=1e-300)
    sig = []
    for x in (-800.0, -30.0, 0.0, 2.0, 30.0, 800.0):
        v = Value(x)
        v.sigmoid().backward()
        sig.append(float(v.grad))
    # s' = s (1 - s) is relatively accurate where s is tiny (x = -30: ~9.4e-14 either way), but near s = 1 the
    # factor 1 - s inherits the rounding of s (~1e-16 absolute): at x = 30 two correct formulas for s give
    # s (1 - s) = 9.348e-14 and 9.359e-14 (measured). So: 1e-10 relative plus 1e-15 absolute; the grad taken from
    # the input, x (1 - x), is off by 870 at x = 30
    verdict.close("sigmoid grads", sig, rtol=1e-10, atol=1e-15)


def test_topo_sort_each_node_once(answers, verdict):
    Value = answers.Value
    a, b, c = Value(0.3), Value(-1.1), Value(2.0)
    d = b * c
    e = d * a
    f = e + d
    g = f.exp()
    h = g * e
    aa = a * a
    k = h + aa
    built = [a, b, c, d, e, f, g, h, aa, k]
    children = [(d, (b, c)), (e, (d, a)), (f, (e, d)), (g, (f,)), (h, (g, e)), (aa, (a,)), (k, (h, aa))]
    order = list(answers.topological_sort(k))
    ids = [id(n) for n in order]
    pos = {i: n for n, i in enumerate(ids)}
    verdict.equal("number of nodes", len(order))
    verdict.equal("a lone leaf", len(list(answers.topological_sort(Value(1.5)))))
    # the README's contract, judged on the learner's own order (any valid topological order is right)
    assert len(set(ids)) == len(ids), "a node appears more than once: keep a visited set"
    assert set(ids) == {id(n) for n in built}, "the order must hold exactly the graph's nodes"
    assert all(pos[id(ch)] < pos[id(node)] for node, chs in children for ch in chs), \
        "a node comes before one of its children"
    assert ids[-1] == id(k), "the root must come last"


# --- q3: central differences -----------------------------------------------------------------------------------------
def test_central_difference_zoo(answers, verdict):
    cd = answers.central_difference
    zoo = [
        (lambda x: x, (-0.7,), {}),
        (lambda x, y: x + y, (1.3, -2.0), {"arg": 1}),
        (lambda x, y: x * y, (1.3, -2.0), {"arg": 0}),
        (lambda x, y: x * y, (1.3, -2.0), {"arg": 1}),
        (math.exp, (0.4,), {}),
        (lambda x, y, z: x * math.exp(y) - z * z, (0.5, -0.3, 1.7), {"arg": 2}),
        (lambda x, y: math.log(x) / y, (2.5, 3.0), {"arg": 0}),
        (math.tanh, (0.8,), {"eps": 1e-4}),
        (lambda x: 1.0 / (1.0 + math.exp(-x)), (-1.2,), {"eps": 1e-3}),
        (lambda x: x ** 3, (1.5,), {"eps": 1e-3}),
    ]
    got = [float(cd(f, *vals, **kw)) for f, vals, kw in zoo]
    # a correct implementation reproduces the reference to rounding (~1e-10 at eps = 1e-6: x + eps and the
    # difference of two nearby f values lose ~6 digits); forward differences at eps = 1e-3 miss by eps * f'' / 2
    # ~ 1e-3, and the wrong `arg` by O(1)
    verdict.close("derivatives", got, rtol=1e-7, atol=1e-9)


# --- q4: the nn library ---------------------------------------------------------------------------------------------
def bias_positions(sizes):
    """Where the biases sit in parameters() (README: layer by layer, neuron by neuron, w[0], ..., w[nin-1], b)."""
    out, k = [], 0
    for nin, nout in zip(sizes, sizes[1:]):
        for _ in range(nout):
            k += nin + 1
            out.append(k - 1)
    return out


def test_nn_structure(answers, verdict):
    mlp = answers.MLP(3, [5, 4, 2])
    params = mlp.parameters()
    neuron = answers.Neuron(6, nonlin=False)
    verdict.equal("parameter counts: MLP(3, [5, 4, 2]), Layer(5, 3), Neuron(6)",
                  [len(params), len(answers.Layer(5, 3).parameters()), len(neuron.parameters())])
    assert len({id(p) for p in params}) == len(params), "two parameters are the same Value object"
    # README: biases start at 0 and every grad at 0 (exact values); weights at random.uniform(-1, 1) (a range)
    biases = set(bias_positions([3, 5, 4, 2]))
    verdict.equal("initial grads", [float(p.grad) for p in params])
    verdict.equal("initial biases", [float(neuron.parameters()[-1].data)] +
                  [float(p.data) for k, p in enumerate(params) if k in biases])
    verdict.bound("initial weights", [float(p.data) for k, p in enumerate(params) if k not in biases],
                  low=-1.0, high=1.0)


def test_nn_forward_with_set_weights(answers, verdict):
    rng = np.random.default_rng(2718)
    mlp = answers.MLP(3, [4, 3, 2])
    helpers.set_params(mlp, rng)
    outs = mlp([0.3, -1.2, 0.8])
    one = answers.MLP(2, [3, 1])
    helpers.set_params(one, rng)
    single = one([-0.5, 0.25])
    layer = answers.Layer(2, 3, nonlin=False)
    helpers.set_params(layer, rng)
    neuron = answers.Neuron(2)
    helpers.set_params(neuron, rng)
    values = [o.data for o in outs] + [single.data] + [o.data for o in layer([1.5, -0.5])] + [neuron([0.2, 0.9]).data]
    verdict.equal("shapes", [len(outs), len(layer([1.0, 1.0]))])
    # sums of 2-4 products and a tanh: other summation orders (b + sum, sum + b) differ by ~1e-16
    verdict.close("outputs", [float(v) for v in values], rtol=1e-12, atol=1e-15)


def test_nn_gradients_zero_grad_and_sgd(answers, verdict):
    mlp = answers.MLP(2, [4, 3, 1])
    helpers.set_params(mlp, np.random.default_rng(1618))
    params = mlp.parameters()
    loss = sum((mlp(x) - t) ** 2 for x, t in (([0.5, -1.0], 1.0), ([-0.3, 0.8], -1.0), ([1.1, 0.2], 0.5)))
    loss.backward()
    grads = [float(p.grad) for p in params]
    answers.sgd_step(params, 0.05)
    stepped = [float(p.data) for p in params]
    kept = [float(p.grad) for p in params]  # sgd_step must leave the grads alone
    mlp.zero_grad()
    zeroed = [float(p.grad) for p in params]
    # backprop through 3 layers, ~100 roundings: other summation orders differ by ~1e-15; 1e-10 is ample
    verdict.close("grads", grads, rtol=1e-10, atol=1e-12)
    verdict.close("after sgd_step", stepped, rtol=1e-12, atol=1e-15)
    verdict.close("grads after sgd_step", kept, rtol=1e-10, atol=1e-12)
    verdict.equal("after zero_grad", zeroed)


def test_train_moons_hidden_seed(answers, verdict, hidden_data):
    d = hidden_data("moons")
    model, losses = helpers.train_logistic(answers, d["X_train"], d["y_train"], init_seed=4712)
    # gate: the loss must fall (the reference: ~0.5 -> ~0.05); the accuracy below is what earns
    verdict.bound("final loss / first loss", losses[-1] / losses[0], high=0.5)
    # the curriculum's gate; the reference reaches ~0.99 here (0.97 or more on 40 of 40 seeds, same recipe)
    verdict.accuracy("held-out moons", helpers.predict(model, d["X_test"]), truth="moons.y_test", minimum=0.95)


# --- q5: the learner's property checks, against correct engines and planted bugs ---------------------------------------
class EagerValue:
    """Correct engine #1: each node stores (child, local derivative) pairs computed in the forward pass."""

    def __init__(self, data, _edges=()):
        self.data = float(data)
        self.grad = 0.0
        self._edges = tuple(_edges)

    def _lift(self, other):
        return other if isinstance(other, type(self)) else type(self)(other)

    def _make(self, data, *edges):
        return type(self)(data, edges)

    def __add__(self, other):
        other = self._lift(other)
        return self._make(self.data + other.data, (self, 1.0), (other, 1.0))

    def __mul__(self, other):
        other = self._lift(other)
        return self._make(self.data * other.data, (self, other.data), (other, self.data))

    def __pow__(self, k):
        return self._make(self.data ** k, (self, k * self.data ** (k - 1)))

    def exp(self):
        e = math.exp(self.data)
        return self._make(e, (self, e))

    def log(self):
        return self._make(math.log(self.data), (self, 1.0 / self.data))

    def tanh(self):
        t = math.tanh(self.data)
        return self._make(t, (self, 1.0 - t * t))

    def relu(self):
        return self._make(max(self.data, 0.0), (self, 1.0 if self.data > 0 else 0.0))

    def sigmoid(self):  # stable via log1p, relatively accurate on both tails
        x = self.data
        s = math.exp(-math.log1p(math.exp(-x))) if x >= 0 else math.exp(x - math.log1p(math.exp(x)))
        return self._make(s, (self, s * (1.0 - s)))

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-self._lift(other))

    def __rsub__(self, other):
        return self._lift(other) - self

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * self._lift(other) ** -1

    def __rtruediv__(self, other):
        return self._lift(other) * self ** -1

    def backward(self):
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((child, False) for child, _ in node._edges)
        for node in order:
            if node._edges:
                node.grad = 0.0
        self.grad += 1.0
        for node in reversed(order):
            for child, local in node._edges:
                child.grad += local * node.grad


class ClosureValue:
    """Correct engine #2: micrograd-style closures, recursive topological order, results of type(self)."""

    def __init__(self, data, _children=()):
        self.data = float(data)
        self.grad = 0.0
        self._prev = tuple(_children)
        self._backward = lambda: None

    def _lift(self, other):
        return other if isinstance(other, type(self)) else type(self)(other)

    def __add__(self, other):
        other = self._lift(other)
        out = type(self)(self.data + other.data, (self, other))

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = self._lift(other)
        out = type(self)(self.data * other.data, (self, other))

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __pow__(self, k):
        out = type(self)(self.data ** k, (self,))

        def _backward():
            self.grad += k * self.data ** (k - 1) * out.grad
        out._backward = _backward
        return out

    def _unary(self, value, local):
        out = type(self)(value, (self,))

        def _backward():
            self.grad += local * out.grad
        out._backward = _backward
        return out

    def exp(self):
        e = math.exp(self.data)
        return self._unary(e, e)

    def log(self):
        return self._unary(math.log(self.data), 1.0 / self.data)

    def tanh(self):
        t = math.tanh(self.data)
        return self._unary(t, 1.0 - t * t)

    def relu(self):
        return self._unary(self.data * (self.data > 0), float(self.data > 0))

    def sigmoid(self):
        z = math.exp(-abs(self.data))
        s = 1.0 / (1.0 + z) if self.data >= 0 else z / (1.0 + z)
        return self._unary(s, s * (1.0 - s))

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-self._lift(other))

    def __rsub__(self, other):
        return -self + other

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * self._lift(other) ** -1

    def __rtruediv__(self, other):
        return self ** -1 * other

    def backward(self):
        order, seen = [], set()

        def visit(node):
            if id(node) not in seen:
                seen.add(id(node))
                for child in node._prev:
                    visit(child)
                order.append(node)
        visit(self)
        for node in order:
            if node._prev:
                node.grad = 0.0
        self.grad += 1.0
        for node in reversed(order):
            node._backward()


# ----- chaffs: ClosureValue with one planted bug each
def unstable_sigmoid(self):  # no stable branch: math.exp(-x) overflows for x < -709.78
    s = 1.0 / (1.0 + math.exp(-self.data))
    return self._unary(s, s * (1.0 - s))


def sigmoid_grad_from_input(self):
    s = ClosureValue.sigmoid(self).data
    return self._unary(s, self.data * (1.0 - self.data))


def relu_grad_at_zero(self):  # >= instead of >: gradient 1 at exactly 0
    return self._unary(max(self.data, 0.0), float(self.data >= 0))


def relu_ignores_upstream(self):
    out = type(self)(max(self.data, 0.0), (self,))

    def _backward():
        self.grad += float(self.data > 0)
    out._backward = _backward
    return out


def log_sign_error(self):
    return self._unary(math.log(self.data), -1.0 / self.data)


def log_power_error(self):  # 1 / x**2 instead of 1 / x: right only at x = 1
    return self._unary(math.log(self.data), 1.0 / self.data ** 2)


def relu_wrong_side(self):  # the gradient flows where x < 0 instead of x > 0
    return self._unary(max(self.data, 0.0), float(self.data < 0))


def log_ignores_upstream(self):
    out = type(self)(math.log(self.data), (self,))

    def _backward():
        self.grad += 1.0 / self.data
    out._backward = _backward
    return out


def mul_assigns(self, other):
    other = self._lift(other)
    out = type(self)(self.data * other.data, (self, other))

    def _backward():
        self.grad = other.data * out.grad
        other.grad = self.data * out.grad
    out._backward = _backward
    return out


def add_assigns(self, other):
    other = self._lift(other)
    out = type(self)(self.data + other.data, (self, other))

    def _backward():
        self.grad = out.grad
        other.grad = out.grad
    out._backward = _backward
    return out


def engine(base, **overrides):
    """A flat copy of `base` named Value, with some methods replaced: no subclassing, so a check cannot tell the
    engines apart by their class hierarchy, name or attribute set."""
    namespace = {k: v for k, v in vars(base).items() if k not in ("__dict__", "__weakref__")}
    namespace.update(overrides, __qualname__="Value", __doc__=None)
    return type("Value", (), namespace)


UnstableSigmoid = engine(ClosureValue, sigmoid=unstable_sigmoid)
SigmoidGradFromInput = engine(ClosureValue, sigmoid=sigmoid_grad_from_input)
ReluGradAtZero = engine(ClosureValue, relu=relu_grad_at_zero)
ReluIgnoresUpstream = engine(ClosureValue, relu=relu_ignores_upstream)
ReluWrongSide = engine(ClosureValue, relu=relu_wrong_side)
LogSignError = engine(ClosureValue, log=log_sign_error)
LogPowerError = engine(ClosureValue, log=log_power_error)
LogIgnoresUpstream = engine(ClosureValue, log=log_ignores_upstream)
MulAssigns = engine(ClosureValue, __mul__=mul_assigns)
AddAssigns = engine(ClosureValue, __add__=add_assigns)
WHEATS = (engine(EagerValue), engine(ClosureValue))


def passes(check, engine):
    try:
        check(engine)
        return True
    except Exception:  # AssertionError from the check, or the buggy engine's own exception: both count as caught
        return False


def grade_check(verdict, name, check, chaffs):
    outcomes = [passes(check, engine) for engine in (*WHEATS, *chaffs)]
    verdict.equal("outcomes on 2 correct engines, then the planted bugs", outcomes)
    assert all(outcomes[:2]), f"{name} fails on a correct engine written differently from yours: compare floats " \
                              "with a tolerance and use only the public API"
    missed = sum(outcomes[2:])
    assert not missed, f"{name} missed {missed} of {len(chaffs)} planted bugs"


def test_mut_sigmoid(answers, verdict):
    grade_check(verdict, "check_sigmoid", answers.check_sigmoid, (UnstableSigmoid, SigmoidGradFromInput))


def test_mut_relu_backward(answers, verdict):
    grade_check(verdict, "check_relu_backward", answers.check_relu_backward,
                (ReluGradAtZero, ReluIgnoresUpstream, ReluWrongSide))


def test_mut_log_backward(answers, verdict):
    grade_check(verdict, "check_log_backward", answers.check_log_backward,
                (LogSignError, LogPowerError, LogIgnoresUpstream))


def test_mut_grad_accumulates(answers, verdict):
    grade_check(verdict, "check_grad_accumulates", answers.check_grad_accumulates, (MulAssigns, AddAssigns))
