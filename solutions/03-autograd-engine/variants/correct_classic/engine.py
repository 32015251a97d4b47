"""Lab 03: a scalar reverse-mode autodiff engine, a tiny neural-network library, and property checks.

Part 1  Value: a number that remembers how it was computed (+ - * / **, exp, log, tanh, relu, sigmoid).
Part 2  Backward: topological_sort and Value.backward (the chain rule over a DAG, in reverse order).
Part 3  central_difference: the numerical derivative you check gradients against.
Part 4  Module, Neuron, Layer, MLP and sgd_step: enough to train a classifier with your engine.
Part 5  Property checks: tests you write, graded by running them against correct and planted-bug engines.

Everything is plain Python floats (float64): no numpy, no torch in this file.
"""
from __future__ import annotations

import math
import random
from typing import Callable, Sequence

from hypothesis import given, settings
from hypothesis import strategies as st


# ============================================================================ Part 1 and 2: Value
class Value:
    """A scalar node of a computation graph (see the handout for the contract)."""

    def __init__(self, data: float, _children: tuple = (), _op: str = ""):
        self.data = float(data)
        self.grad = 0.0
        self._prev = tuple(_children)
        self._op = _op
        self._backward: Callable[[], None] = lambda: None

    def __repr__(self) -> str:
        return f"Value(data={self.data!r}, grad={self.grad!r})"

    # ------------------------------------------------------------------ primitives (each has a backward)
    def __add__(self, other: Value | float) -> Value:
        """self + other.   d/dself = 1,  d/dother = 1."""
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: Value | float) -> Value:
        """self * other.   d/dself = other,  d/dother = self."""
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, exponent: int | float) -> Value:
        """self ** exponent for a constant int or float exponent (not a Value).

        d/dself = exponent * self ** (exponent - 1). Raise TypeError when exponent is a Value.
        """
        if isinstance(exponent, Value):
            raise TypeError("only int/float exponents are supported, not Value")
        out = Value(self.data ** exponent, (self,), f"**{exponent}")

        def _backward():
            self.grad += exponent * self.data ** (exponent - 1) * out.grad

        out._backward = _backward
        return out

    def exp(self) -> Value:
        """e ** self.   d/dself = e ** self, which is the output: reuse it."""
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward():
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def log(self) -> Value:
        """Natural logarithm, for self > 0 (math.log raises ValueError otherwise).   d/dself = 1 / self."""
        out = Value(math.log(self.data), (self,), "log")

        def _backward():
            self.grad += out.grad / self.data

        out._backward = _backward
        return out

    def tanh(self) -> Value:
        """Hyperbolic tangent t = tanh(self).   d/dself = 1 - t**2: from the OUTPUT t, not from the input."""
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward():
            self.grad += (1.0 - t ** 2) * out.grad

        out._backward = _backward
        return out

    def relu(self) -> Value:
        """max(0, self).   d/dself = 1 where self > 0, else 0; at exactly 0 the derivative is 0 (as in torch)."""
        out = Value(self.data if self.data > 0 else 0.0, (self,), "relu")

        def _backward():
            self.grad += (1.0 if self.data > 0 else 0.0) * out.grad

        out._backward = _backward
        return out

    def sigmoid(self) -> Value:
        """s = 1 / (1 + e ** -self), finite for every float input.   d/dself = s * (1 - s)."""
        x = self.data
        if x >= 0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        out = Value(s, (self,), "sigmoid")

        def _backward():
            self.grad += s * (1.0 - s) * out.grad

        out._backward = _backward
        return out

    # ------------------------------------------------------------------ derived operations (no backward of their own)
    def __neg__(self) -> Value:
        """-self, written with a primitive (so its gradient comes for free)."""
        return self * -1

    def __sub__(self, other: Value | float) -> Value:
        """self - other = self + (-other)."""
        return self + (-other)

    def __truediv__(self, other: Value | float) -> Value:
        """self / other = self * other ** -1."""
        return self * other ** -1

    def __radd__(self, other: float) -> Value:
        """other + self, when other is a number (Python tries number.__add__ first, then this)."""
        return self + other

    def __rsub__(self, other: float) -> Value:
        """other - self."""
        return other + (-self)

    def __rmul__(self, other: float) -> Value:
        """other * self."""
        return self * other

    def __rtruediv__(self, other: float) -> Value:
        """other / self."""
        return other * self ** -1

    # ------------------------------------------------------------------ Part 2: backward
    def backward(self) -> None:
        """Reverse-mode differentiation of this node with respect to every node it depends on."""
        order = topological_sort(self)
        for node in order:
            if node._prev:
                node.grad = 0.0
        self.grad += 1.0
        for node in reversed(order):
            node._backward()


def topological_sort(root: Value) -> list[Value]:
    """Every node root depends on (root included), each exactly once, every node after all of its _prev."""
    order: list[Value] = []
    visited: set[int] = set()
    # iterative post-order DFS: (node, index of the next child to visit)
    stack: list[tuple[Value, int]] = [(root, 0)]
    visited.add(id(root))
    while stack:
        node, i = stack[-1]
        if i < len(node._prev):
            stack[-1] = (node, i + 1)
            child = node._prev[i]
            if id(child) not in visited:
                visited.add(id(child))
                stack.append((child, 0))
        else:
            stack.pop()
            order.append(node)
    return order


# ============================================================================ Part 3: numerical derivative
def central_difference(f: Callable[..., float], *vals: float, arg: int = 0, eps: float = 1e-6) -> float:
    """d f / d vals[arg] by central differences:  (f(..., x + eps, ...) - f(..., x - eps, ...)) / (2 eps)."""
    plus = list(vals)
    minus = list(vals)
    plus[arg] = vals[arg] + eps
    minus[arg] = vals[arg] - eps
    return (f(*plus) - f(*minus)) / (2 * eps)


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
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0.0)
        self.nonlin = nonlin

    def __call__(self, x: Sequence[Value | float]) -> Value:
        """x: nin numbers or Values. Returns one Value."""
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.tanh() if self.nonlin else act

    def parameters(self) -> list[Value]:
        return self.w + [self.b]


class Layer(Module):
    """nout independent Neurons that all read the same input. parameters(): neuron 0's, then neuron 1's, ..."""

    def __init__(self, nin: int, nout: int, nonlin: bool = True):
        self.neurons = [Neuron(nin, nonlin=nonlin) for _ in range(nout)]

    def __call__(self, x: Sequence[Value | float]) -> list[Value]:
        """Returns a list of nout Values (also when nout == 1)."""
        return [n(x) for n in self.neurons]

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]


class MLP(Module):
    """Layers of sizes nin -> nouts[0] -> ... -> nouts[-1]; tanh on every layer but the last (linear)."""

    def __init__(self, nin: int, nouts: Sequence[int]):
        sz = [nin] + list(nouts)
        self.layers = [Layer(sz[i], sz[i + 1], nonlin=(i != len(nouts) - 1)) for i in range(len(nouts))]

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        for layer in self.layers:
            x = layer(x)
        return x[0] if len(x) == 1 else x

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]


def sgd_step(params: Sequence[Value], lr: float) -> None:
    """Plain gradient descent in place: p.data -= lr * p.grad for every p. Does not touch the grads."""
    for p in params:
        p.data -= lr * p.grad


# ============================================================================ Part 5: property checks (your tests)
def _require(cond, msg="property violated"):
    if not cond:
        raise AssertionError(msg)


def _near(a, b, rtol=1e-12, atol=1e-12):
    return math.isfinite(a) and abs(a - b) <= atol + rtol * abs(b)


def _stable_sigmoid(x):
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


_CHECK = settings(max_examples=40, deadline=None, derandomize=True, database=None)
_UPSTREAMS = (1.0, -2.5, 0.5, 3.0)


def check_sigmoid(Value) -> None:
    """sigmoid must be right everywhere: value 1 / (1 + e**-x) (finite, in [0, 1]) for any x with
    |x| <= 1000, and gradient s * (1 - s). Tip: an independent stable oracle is 0.5 * (1 + tanh(x / 2))."""

    def one(x, up):
        v = Value(x)
        s = v.sigmoid()
        (s * up).backward()
        ref = 0.5 * (1.0 + math.tanh(x / 2.0))
        _require(isinstance(s.data, float) and math.isfinite(s.data), f"sigmoid({x}) not finite")
        _require(0.0 <= s.data <= 1.0, f"sigmoid({x}) = {s.data} outside [0, 1]")
        _require(abs(s.data - ref) <= 1e-12, f"sigmoid({x}) = {s.data}, expected {ref}")
        g_ref = up * ref * (1.0 - ref)
        _require(_near(v.grad, g_ref, 1e-9, 1e-12), f"sigmoid'({x}) * {up} = {v.grad}, expected {g_ref}")

    edges = [0.0, 1e-9, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 36.0, 40.0, 100.0, 500.0, 700.0, 709.0,
             709.8, 710.0, 745.0, 746.0, 800.0, 999.0, 1000.0]
    for x in edges:
        for up in _UPSTREAMS:
            one(x, up)
            one(-x, up)

    @_CHECK
    @given(st.floats(-1000.0, 1000.0), st.sampled_from(_UPSTREAMS))
    def prop(x, up):
        one(x, up)

    prop()


def check_relu_backward(Value) -> None:
    """relu's gradient is 1 for x > 0 and 0 for x <= 0 (0 at exactly x = 0, as in torch), times the
    upstream gradient when relu sits inside a larger expression."""

    def one(x, up):
        v = Value(x)
        r = v.relu()
        _require(abs(r.data - max(x, 0.0)) <= 1e-12 * max(1.0, abs(x)), f"relu({x}) = {r.data}")
        (r * up).backward()
        expected = up if x > 0 else 0.0
        _require(_near(v.grad, expected), f"relu'({x}) * {up} = {v.grad}, expected {expected}")
        # relu inside a larger expression: d/dv [up * relu(2 v + 0)] = 2 up (v > 0)
        w = Value(x)
        y = (w * 2.0).relu() * up
        y.backward()
        expected2 = 2.0 * up if x > 0 else 0.0
        _require(_near(w.grad, expected2), f"d(relu(2x)*{up})/dx at {x} = {w.grad}, expected {expected2}")

    for x in (0.0, -0.0, 1e-300, -1e-300, 1e-6, -1e-6, 0.5, -0.5, 1.0, -1.0, 3.0, -3.0, 123.0, -123.0):
        for up in _UPSTREAMS:
            one(x, up)

    @_CHECK
    @given(st.floats(-100.0, 100.0), st.sampled_from(_UPSTREAMS))
    def prop(x, up):
        one(x, up)

    prop()


def check_log_backward(Value) -> None:
    """log's gradient is 1 / x for x > 0, times the upstream gradient inside a larger expression."""

    def one(x, up):
        v = Value(x)
        y = v.log()
        _require(_near(y.data, math.log(x), 1e-12, 1e-12), f"log({x}) = {y.data}")
        (y * up).backward()
        expected = up / x
        _require(_near(v.grad, expected, 1e-10, 1e-12), f"log'({x}) * {up} = {v.grad}, expected {expected}")
        # composite: d/dw [up * log(3 w)] = up / w
        w = Value(x)
        z = (w * 3.0).log() * up
        z.backward()
        _require(_near(w.grad, expected, 1e-10, 1e-12), f"d(log(3x)*{up})/dx at {x} = {w.grad}, expected {expected}")

    for x in (0.01, 0.1, 0.25, 0.5, 2.0, 3.0, 4.0, 10.0, 100.0, 1e4):
        for up in _UPSTREAMS:
            one(x, up)

    @_CHECK
    @given(st.floats(1e-3, 1e3), st.sampled_from(_UPSTREAMS))
    def prop(x, up):
        one(x, up)

    prop()


def check_grad_accumulates(Value) -> None:
    """A node used several times gets the SUM of its contributions, in sums and in products alike:
    d(x + x)/dx = 2, d(x * x)/dx = 2x, d(x * x + x)/dx = 2x + 1, d(x * y + x)/dx = y + 1."""

    def grads(fn, a, b):
        x, y = Value(a), Value(b)
        fn(x, y).backward()
        return x.grad, y.grad

    def one(a, b):
        cases = [
            (lambda x, y: x + x, 2.0, 0.0),
            (lambda x, y: x + x + x, 3.0, 0.0),
            (lambda x, y: x * x, 2.0 * a, 0.0),
            (lambda x, y: x * x * x, 3.0 * a * a, 0.0),
            (lambda x, y: x * x + x, 2.0 * a + 1.0, 0.0),
            (lambda x, y: x * y + x, b + 1.0, a),
            (lambda x, y: x + x * y, b + 1.0, a),
            (lambda x, y: x * y * x, 2.0 * a * b, a * a),
            (lambda x, y: (x * y) + (x * y), 2.0 * b, 2.0 * a),
            (lambda x, y: (x + y) * (x + y), 2.0 * (a + b), 2.0 * (a + b)),
            (lambda x, y: (lambda p: p + p)(x * y), 2.0 * b, 2.0 * a),
            (lambda x, y: (lambda p: p * p)(x + y), 2.0 * (a + b), 2.0 * (a + b)),
        ]
        for fn, gx, gy in cases:
            got_x, got_y = grads(fn, a, b)
            _require(_near(got_x, gx, 1e-12, 1e-12), f"dx at ({a}, {b}) = {got_x}, expected {gx}")
            _require(_near(got_y, gy, 1e-12, 1e-12), f"dy at ({a}, {b}) = {got_y}, expected {gy}")

    for a, b in ((3.0, -2.0), (0.5, 4.0), (-1.5, 2.5), (2.0, 0.25)):
        one(a, b)

    @_CHECK
    @given(st.floats(-10.0, 10.0), st.floats(-10.0, 10.0))
    def prop(a, b):
        one(a, b)

    prop()
