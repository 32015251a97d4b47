"""Lab 03: a scalar reverse-mode autodiff engine, a tiny neural-network library, and property checks.

Part 1  Value: a number that remembers how it was computed (+ - * / **, exp, log, tanh, relu, sigmoid).
Part 2  Backward: topological_sort and Value.backward (the chain rule over a DAG, in reverse order).
Part 3  central_difference: the numerical derivative you check gradients against.
Part 4  Module, Neuron, Layer, MLP and sgd_step: enough to train a classifier with your engine.
Part 5  Property checks: tests you write, graded by running them against correct and planted-bug engines.

This variant: nodes are built with type(self), topological order by Kahn's algorithm (in-degree counting),
derivatives written in equivalent forms ((1 - t)(1 + t), s - s*s), sigmoid through log1p.
"""
from __future__ import annotations

import math
import numbers
import random
from collections import deque
from typing import Callable, Sequence

from hypothesis import given, settings
from hypothesis import strategies as st


# ============================================================================ Part 1 and 2: Value
class Value:
    """A scalar node of a computation graph (data, grad, _prev, _op, _backward)."""

    def __init__(self, data: float, _children: tuple = (), _op: str = ""):
        self.data = float(data)
        self.grad = 0.0
        self._prev = tuple(_children)
        self._op = _op
        self._backward: Callable[[], None] = lambda: None

    def __repr__(self) -> str:
        return f"Value(data={self.data!r}, grad={self.grad!r})"

    def _lift(self, other):
        return other if isinstance(other, Value) else type(self)(other)

    def _unary(self, data, op, local_grad):
        """A node with one child whose local derivative is local_grad(out) (a function of the node)."""
        out = type(self)(data, (self,), op)

        def _backward():
            self.grad += local_grad(out) * out.grad

        out._backward = _backward
        return out

    # ------------------------------------------------------------------ primitives (each has a backward)
    def __add__(self, other: Value | float) -> Value:
        """self + other.   d/dself = 1,  d/dother = 1."""
        other = self._lift(other)
        out = type(self)(self.data + other.data, (self, other), "+")

        def _backward():
            g = out.grad
            self.grad += g
            other.grad += g

        out._backward = _backward
        return out

    def __mul__(self, other: Value | float) -> Value:
        """self * other.   d/dself = other,  d/dother = self."""
        other = self._lift(other)
        out = type(self)(self.data * other.data, (self, other), "*")

        def _backward():
            g = out.grad
            self.grad += g * other.data
            other.grad += g * self.data

        out._backward = _backward
        return out

    def __pow__(self, exponent: int | float) -> Value:
        """self ** exponent for a constant int or float exponent (not a Value).

        d/dself = exponent * self ** (exponent - 1). Raise TypeError when exponent is a Value.
        """
        if isinstance(exponent, Value) or not isinstance(exponent, numbers.Real):
            raise TypeError("the exponent must be a constant int or float")
        k = exponent
        return self._unary(self.data ** k, f"**{k}", lambda out: k * self.data ** (k - 1))

    def exp(self) -> Value:
        """e ** self.   d/dself = e ** self, which is the output: reuse it."""
        return self._unary(math.exp(self.data), "exp", lambda out: out.data)

    def log(self) -> Value:
        """Natural logarithm, for self > 0 (math.log raises ValueError otherwise).   d/dself = 1 / self."""
        return self._unary(math.log(self.data), "log", lambda out: 1.0 / self.data)

    def tanh(self) -> Value:
        """Hyperbolic tangent t = tanh(self).   d/dself = 1 - t**2: from the OUTPUT t, not from the input."""
        return self._unary(math.tanh(self.data), "tanh", lambda out: (1.0 - out.data) * (1.0 + out.data))

    def relu(self) -> Value:
        """max(0, self).   d/dself = 1 where self > 0, else 0; at exactly 0 the derivative is 0 (as in torch)."""
        return self._unary(max(self.data, 0.0), "relu", lambda out: 1.0 if out.data > 0.0 else 0.0)

    def sigmoid(self) -> Value:
        """s = 1 / (1 + e ** -self), finite for every float input.   d/dself = s * (1 - s).

        Computed as exp(-softplus(-x)) with softplus written so that exp only sees exponents <= 0.
        """
        x = self.data
        if x >= 0:
            s = math.exp(-math.log1p(math.exp(-x)))
        else:
            s = math.exp(x - math.log1p(math.exp(x)))
        return self._unary(s, "sigmoid", lambda out: out.data - out.data * out.data)

    # ------------------------------------------------------------------ derived operations (no backward of their own)
    def __neg__(self) -> Value:
        """-self, written with a primitive (so its gradient comes for free)."""
        return self * -1.0

    def __sub__(self, other: Value | float) -> Value:
        """self - other = self + (-other)."""
        return self + (-other)

    def __truediv__(self, other: Value | float) -> Value:
        """self / other = self * other ** -1."""
        return self * other ** -1

    def __radd__(self, other: float) -> Value:
        """other + self, when other is a number (Python tries number.__add__ first, then this)."""
        return self._lift(other) + self

    def __rsub__(self, other: float) -> Value:
        """other - self."""
        return self._lift(other) - self

    def __rmul__(self, other: float) -> Value:
        """other * self."""
        return self._lift(other) * self

    def __rtruediv__(self, other: float) -> Value:
        """other / self."""
        return self._lift(other) / self

    # ------------------------------------------------------------------ Part 2: backward
    def backward(self) -> None:
        """Reverse-mode differentiation of this node with respect to every node it depends on."""
        order = topological_sort(self)
        for node in order:
            if len(node._prev) > 0:
                node.grad = 0.0
        self.grad += 1.0
        for node in order[::-1]:
            node._backward()


def topological_sort(root: Value) -> list[Value]:
    """Every node root depends on (root included), each exactly once, every node after all of its _prev.

    Kahn's algorithm on the reversed graph: count, for each reachable node, how many (distinct) parents
    use it; emit a node once all its parents have been emitted; the emission order is parents-first,
    so the answer is that order reversed.
    """
    # 1. reachable nodes and the number of distinct parents of each
    nodes = {id(root): root}
    n_parents: dict[int, int] = {id(root): 0}
    frontier = [root]
    while frontier:
        node = frontier.pop()
        for child in {id(c): c for c in node._prev}.values():
            if id(child) not in nodes:
                nodes[id(child)] = child
                n_parents[id(child)] = 0
                frontier.append(child)
            n_parents[id(child)] += 1
    # 2. emit parents before children
    ready = deque([root])
    emitted: list[Value] = []
    while ready:
        node = ready.popleft()
        emitted.append(node)
        for child in {id(c): c for c in node._prev}.values():
            n_parents[id(child)] -= 1
            if n_parents[id(child)] == 0:
                ready.append(child)
    emitted.reverse()
    return emitted


# ============================================================================ Part 3: numerical derivative
def central_difference(f: Callable[..., float], *vals: float, arg: int = 0, eps: float = 1e-6) -> float:
    """d f / d vals[arg] by central differences:  (f(..., x + eps, ...) - f(..., x - eps, ...)) / (2 eps)."""
    x = vals[arg]
    head, tail = vals[:arg], vals[arg + 1:] if arg != -1 else ()
    f_plus = f(*head, x + eps, *tail)
    f_minus = f(*head, x - eps, *tail)
    return (f_plus - f_minus) / (2 * eps)


# ============================================================================ Part 4: a tiny nn library
class Module:
    """Base class: parameters() lists the trainable leaf Values; zero_grad() sets their grad to 0.0."""

    def parameters(self) -> list[Value]:
        return []

    def zero_grad(self) -> None:
        """Set p.grad = 0.0 for every p in self.parameters()."""
        for p in self.parameters():
            p.grad = 0.0


class Neuron(Module):
    """One unit: act = w . x + b; returns tanh(act) when nonlin, else act (a linear output unit)."""

    def __init__(self, nin: int, nonlin: bool = True):
        self.w = []
        for _ in range(nin):
            self.w.append(Value(random.uniform(-1, 1)))
        self.b = Value(0.0)
        self.nonlin = nonlin

    def __call__(self, x: Sequence[Value | float]) -> Value:
        """x: nin numbers or Values. Returns one Value."""
        act = None
        for wi, xi in zip(self.w, x):
            term = wi * xi
            act = term if act is None else act + term
        act = self.b if act is None else act + self.b
        if self.nonlin:
            return act.tanh()
        return act

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]


class Layer(Module):
    """nout independent Neurons that all read the same input. parameters(): neuron 0's, then neuron 1's, ..."""

    def __init__(self, nin: int, nout: int, nonlin: bool = True):
        self.neurons = []
        for _ in range(nout):
            self.neurons.append(Neuron(nin, nonlin))

    def __call__(self, x: Sequence[Value | float]) -> list[Value]:
        """Returns a list of nout Values (also when nout == 1)."""
        x = list(x)
        return [neuron(x) for neuron in self.neurons]

    def parameters(self) -> list[Value]:
        params: list[Value] = []
        for neuron in self.neurons:
            params.extend(neuron.parameters())
        return params


class MLP(Module):
    """Layers of sizes nin -> nouts[0] -> ... -> nouts[-1]; tanh on every layer but the last (linear)."""

    def __init__(self, nin: int, nouts: Sequence[int]):
        nouts = list(nouts)
        self.layers = []
        fan_in = nin
        for i, n in enumerate(nouts):
            self.layers.append(Layer(fan_in, n, nonlin=i < len(nouts) - 1))
            fan_in = n

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        out = list(x)
        for layer in self.layers:
            out = layer(out)
        if len(out) == 1:
            return out[0]
        return out

    def parameters(self) -> list[Value]:
        params: list[Value] = []
        for layer in self.layers:
            params.extend(layer.parameters())
        return params


def sgd_step(params: Sequence[Value], lr: float) -> None:
    """Plain gradient descent in place: p.data -= lr * p.grad for every p. Does not touch the grads."""
    for p in params:
        p.data = p.data - lr * p.grad


# ============================================================================ Part 5: property checks (your tests)
# Deterministic grids (no hypothesis draws): explicit edges plus a dense log-spaced sweep.

def _fail_unless(ok, what):
    if not ok:
        raise AssertionError(what)


def _agree(a, b, rel, ab):
    return a == a and abs(a - b) <= ab + rel * abs(b)


def _grid(lo, hi, n):
    return [lo + (hi - lo) * i / (n - 1) for i in range(n)]


def _sig_grad(V, x, up):
    v = V(x)
    s = v.sigmoid()
    out = s * up
    out.backward()
    return s.data, v.grad


def check_sigmoid(Value) -> None:
    """sigmoid must be right everywhere: value 1 / (1 + e**-x) (finite, in [0, 1]) for any x with
    |x| <= 1000, and gradient s * (1 - s). Tip: an independent stable oracle is 0.5 * (1 + tanh(x / 2))."""
    mags = [0.0, 1e-6, 0.3, 1.0, 2.7, 8.0, 17.0, 30.0, 40.0, 60.0, 200.0, 600.0, 709.0, 709.5, 709.79,
            709.8, 710.0, 720.0, 745.2, 750.0, 900.0, 1000.0]
    xs = [m for m in mags] + [-m for m in mags] + _grid(-1000.0, 1000.0, 81) + _grid(-12.0, 12.0, 49)
    for x in xs:
        for up in (1.0, -3.0, 0.25):
            s, g = _sig_grad(Value, x, up)
            oracle = 0.5 + 0.5 * math.tanh(0.5 * x)
            _fail_unless(math.isfinite(s) and 0.0 <= s <= 1.0, f"sigmoid({x!r}) = {s!r}")
            _fail_unless(abs(s - oracle) <= 1e-12, f"sigmoid({x!r}) = {s!r} != {oracle!r}")
            want = up * oracle * (1.0 - oracle)
            _fail_unless(_agree(g, want, 1e-9, 1e-12), f"d sigmoid({x!r}) * {up} = {g!r} != {want!r}")


def check_relu_backward(Value) -> None:
    """relu's gradient is 1 for x > 0 and 0 for x <= 0 (0 at exactly x = 0, as in torch), times the
    upstream gradient when relu sits inside a larger expression."""
    xs = [0.0, -0.0, 5e-324, -5e-324, 1e-12, -1e-12] + _grid(-5.0, 5.0, 41)
    for x in xs:
        for up in (1.0, 2.0, -0.75, -4.0):
            # relu on a leaf, with an upstream factor
            v = Value(x)
            r = v.relu()
            (r * up).backward()
            want = up * (1.0 if x > 0 else 0.0)
            _fail_unless(_agree(v.grad, want, 1e-12, 1e-12), f"relu'({x!r}) * {up} = {v.grad!r} != {want!r}")
            _fail_unless(abs(r.data - (x if x > 0 else 0.0)) <= 1e-12 * (1 + abs(x)), f"relu({x!r}) = {r.data!r}")
            # relu fed by and feeding other operations: f(v) = up * relu(v - 1 + 1) * 2 + v
            w = Value(x)
            f = (w + 1.0).relu() * (2.0 * up) + w
            f.backward()
            want = 1.0 + (2.0 * up if x + 1.0 > 0 else 0.0)
            _fail_unless(_agree(w.grad, want, 1e-12, 1e-12), f"composite relu grad at {x!r}: {w.grad!r} != {want!r}")


def check_log_backward(Value) -> None:
    """log's gradient is 1 / x for x > 0, times the upstream gradient inside a larger expression."""
    xs = [0.001, 0.2, 0.5, 0.9, 1.0, 1.1, 2.0, 5.0, 7.5, 42.0, 1000.0] + [10.0 ** k for k in range(-4, 5)]
    for x in xs:
        for up in (1.0, -1.0, 4.0, -0.3):
            v = Value(x)
            y = v.log()
            (y * up).backward()
            want = up / x
            _fail_unless(_agree(y.data, math.log(x), 1e-12, 1e-12), f"log({x!r}) = {y.data!r}")
            _fail_unless(_agree(v.grad, want, 1e-10, 1e-300), f"log'({x!r}) * {up} = {v.grad!r} != {want!r}")
            # log after another op: d/dw log(w * w + 1) * up = up * 2w / (w^2 + 1)
            w = Value(x)
            z = (w * w + 1.0).log() * up
            z.backward()
            want2 = up * 2.0 * x / (x * x + 1.0)
            _fail_unless(_agree(w.grad, want2, 1e-10, 1e-15), f"d log(x^2+1) at {x!r}: {w.grad!r} != {want2!r}")


def check_grad_accumulates(Value) -> None:
    """A node used several times gets the SUM of its contributions, in sums and in products alike:
    d(x + x)/dx = 2, d(x * x)/dx = 2x, d(x * x + x)/dx = 2x + 1, d(x * y + x)/dx = y + 1."""
    points = [(3.0, -2.0), (-1.25, 0.5), (0.1, 7.0), (4.0, 4.0), (-6.0, -0.2)] + \
             [(a, b) for a in _grid(-3.0, 3.0, 7) for b in (-1.5, 2.5)]
    for a, b in points:
        table = (
            (lambda x, y: x + x, 2.0, 0.0),
            (lambda x, y: x * x, 2.0 * a, 0.0),
            (lambda x, y: x * x + x, 2.0 * a + 1.0, 0.0),
            (lambda x, y: x * y + x, b + 1.0, a),
            (lambda x, y: y * x + x * x, b + 2.0 * a, a),
            (lambda x, y: x + y + x + y, 2.0, 2.0),
            (lambda x, y: x * x * y, 2.0 * a * b, a * a),
        )
        for fn, want_x, want_y in table:
            x, y = Value(a), Value(b)
            fn(x, y).backward()
            _fail_unless(_agree(x.grad, want_x, 1e-12, 1e-12), f"dx at {(a, b)}: {x.grad!r} != {want_x!r}")
            _fail_unless(_agree(y.grad, want_y, 1e-12, 1e-12), f"dy at {(a, b)}: {y.grad!r} != {want_y!r}")
        # an interior node used twice: h = x * y; d(h * h + h)/dx = (2 h + 1) y
        x, y = Value(a), Value(b)
        h = x * y
        (h * h + h).backward()
        want = (2.0 * a * b + 1.0) * b
        _fail_unless(_agree(x.grad, want, 1e-12, 1e-12), f"interior reuse dx at {(a, b)}: {x.grad!r} != {want!r}")
