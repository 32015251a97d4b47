"""Lab 03: a scalar reverse-mode autodiff engine, a tiny neural-network library, and property checks.

Part 1  Value: a number that remembers how it was computed (+ - * / **, exp, log, tanh, relu, sigmoid).
Part 2  Backward: topological_sort and Value.backward (the chain rule over a DAG, in reverse order).
Part 3  central_difference: the numerical derivative you check gradients against.
Part 4  Module, Neuron, Layer, MLP and sgd_step: enough to train a classifier with your engine.
Part 5  Property checks: tests you write, graded by running them against correct and planted-bug engines.

This variant: topological order from an explicit (node, expanded?) stack, one-exponential stable sigmoid,
functools.reduce for the neuron's dot product, hypothesis-driven checks.
"""
from __future__ import annotations

import functools
import math
import operator
import random
from typing import Callable, Sequence

from hypothesis import given, settings
from hypothesis import strategies as st


# ============================================================================ Part 1 and 2: Value
def _as_value(x):
    return x if isinstance(x, Value) else Value(x)


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

    # ------------------------------------------------------------------ primitives (each has a backward)
    def __add__(self, other: Value | float) -> Value:
        """self + other.   d/dself = 1,  d/dother = 1."""
        a, b = self, _as_value(other)
        out = Value(a.data + b.data, (a, b), "+")

        def _backward():
            a.grad += 1.0 * out.grad
            b.grad += 1.0 * out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: Value | float) -> Value:
        """self * other.   d/dself = other,  d/dother = self."""
        a, b = self, _as_value(other)
        out = Value(a.data * b.data, (a, b), "*")

        def _backward():
            da = b.data * out.grad
            db = a.data * out.grad
            a.grad += da
            b.grad += db

        out._backward = _backward
        return out

    def __pow__(self, exponent: int | float) -> Value:
        """self ** exponent for a constant int or float exponent (not a Value).

        d/dself = exponent * self ** (exponent - 1). Raise TypeError when exponent is a Value.
        """
        if isinstance(exponent, Value):
            raise TypeError("Value ** Value is not supported: the exponent must be a constant number")
        n = exponent
        x = self
        out = Value(x.data ** n, (x,), "**")

        def _backward():
            x.grad += out.grad * (n * x.data ** (n - 1))

        out._backward = _backward
        return out

    def exp(self) -> Value:
        """e ** self.   d/dself = e ** self, which is the output: reuse it."""
        x = self
        out = Value(math.exp(x.data), (x,), "exp")

        def _backward():
            x.grad += out.grad * out.data

        out._backward = _backward
        return out

    def log(self) -> Value:
        """Natural logarithm, for self > 0 (math.log raises ValueError otherwise).   d/dself = 1 / self."""
        x = self
        out = Value(math.log(x.data), (x,), "log")

        def _backward():
            x.grad += out.grad * (1.0 / x.data)

        out._backward = _backward
        return out

    def tanh(self) -> Value:
        """Hyperbolic tangent t = tanh(self).   d/dself = 1 - t**2: from the OUTPUT t, not from the input."""
        x = self
        out = Value(math.tanh(x.data), (x,), "tanh")

        def _backward():
            t = out.data
            x.grad += out.grad * (1.0 - t * t)

        out._backward = _backward
        return out

    def relu(self) -> Value:
        """max(0, self).   d/dself = 1 where self > 0, else 0; at exactly 0 the derivative is 0 (as in torch)."""
        x = self
        out = Value(0.0 if x.data <= 0.0 else x.data, (x,), "relu")

        def _backward():
            if x.data > 0.0:
                x.grad += out.grad

        out._backward = _backward
        return out

    def sigmoid(self) -> Value:
        """s = 1 / (1 + e ** -self), finite for every float input.   d/dself = s * (1 - s)."""
        x = self
        z = math.exp(-abs(x.data))          # in (0, 1]: never overflows
        s = 1.0 / (1.0 + z) if x.data >= 0.0 else z / (1.0 + z)
        out = Value(s, (x,), "sigmoid")

        def _backward():
            x.grad += out.grad * out.data * (1.0 - out.data)

        out._backward = _backward
        return out

    # ------------------------------------------------------------------ derived operations (no backward of their own)
    def __neg__(self) -> Value:
        """-self, written with a primitive (so its gradient comes for free)."""
        return -1 * self

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
        return (-self) + other

    def __rmul__(self, other: float) -> Value:
        """other * self."""
        return self * other

    def __rtruediv__(self, other: float) -> Value:
        """other / self."""
        return self ** -1 * other

    # ------------------------------------------------------------------ Part 2: backward
    def backward(self) -> None:
        """Reverse-mode differentiation of this node with respect to every node it depends on."""
        topo = topological_sort(self)
        interior = [n for n in topo if n._prev]
        for n in interior:
            n.grad = 0.0
        self.grad += 1.0
        for i in range(len(topo) - 1, -1, -1):
            topo[i]._backward()


def topological_sort(root: Value) -> list[Value]:
    """Every node root depends on (root included), each exactly once, every node after all of its _prev."""
    done: set[int] = set()
    out: list[Value] = []
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if id(node) in done:
            continue
        if expanded:
            done.add(id(node))
            out.append(node)
            continue
        stack.append((node, True))
        for child in reversed(node._prev):
            if id(child) not in done:
                stack.append((child, False))
    return out


# ============================================================================ Part 3: numerical derivative
def central_difference(f: Callable[..., float], *vals: float, arg: int = 0, eps: float = 1e-6) -> float:
    """d f / d vals[arg] by central differences:  (f(..., x + eps, ...) - f(..., x - eps, ...)) / (2 eps)."""
    k = range(len(vals))[arg]  # normalise a negative index

    def at(delta):
        return f(*[v + delta if i == k else v for i, v in enumerate(vals)])

    return (at(eps) - at(-eps)) / (2 * eps)


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
        self.b = Value(0)
        self.nonlin = bool(nonlin)

    def __call__(self, x: Sequence[Value | float]) -> Value:
        """x: nin numbers or Values. Returns one Value."""
        act = functools.reduce(operator.add, map(operator.mul, self.w, x), self.b)
        return act.tanh() if self.nonlin else act

    def parameters(self) -> list[Value]:
        return list(self.w) + [self.b]


class Layer(Module):
    """nout independent Neurons that all read the same input. parameters(): neuron 0's, then neuron 1's, ..."""

    def __init__(self, nin: int, nout: int, nonlin: bool = True):
        self.neurons = [Neuron(nin, nonlin) for _ in range(nout)]

    def __call__(self, x: Sequence[Value | float]) -> list[Value]:
        """Returns a list of nout Values (also when nout == 1)."""
        return list(map(lambda n: n(x), self.neurons))

    def parameters(self) -> list[Value]:
        return sum((n.parameters() for n in self.neurons), [])


class MLP(Module):
    """Layers of sizes nin -> nouts[0] -> ... -> nouts[-1]; tanh on every layer but the last (linear)."""

    def __init__(self, nin: int, nouts: Sequence[int]):
        sizes = [nin, *nouts]
        last = len(sizes) - 2
        self.layers = [Layer(a, b, nonlin=(i < last)) for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:]))]

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        h = x
        for layer in self.layers:
            h = layer(h)
        return h[0] if len(h) == 1 else h

    def parameters(self) -> list[Value]:
        return sum((layer.parameters() for layer in self.layers), [])


def sgd_step(params: Sequence[Value], lr: float) -> None:
    """Plain gradient descent in place: p.data -= lr * p.grad for every p. Does not touch the grads."""
    for p in params:
        step = lr * p.grad
        p.data -= step


# ============================================================================ Part 5: property checks (your tests)
_SETTINGS = settings(max_examples=50, deadline=None, derandomize=True, database=None)
_UP = st.sampled_from([1.0, -1.5, 0.5, 2.0])


def _assert_close(got, want, rtol=1e-12, atol=1e-12, what=""):
    if not (got == got and abs(got - want) <= atol + rtol * abs(want)):
        raise AssertionError(f"{what}: got {got!r}, want {want!r}")


def _d(Value, fn, x, up):
    v = Value(x)
    y = fn(v)
    (y * up).backward()
    return y.data, v.grad


def check_sigmoid(Value) -> None:
    """sigmoid must be right everywhere: value 1 / (1 + e**-x) (finite, in [0, 1]) for any x with
    |x| <= 1000, and gradient s * (1 - s). Tip: an independent stable oracle is 0.5 * (1 + tanh(x / 2))."""

    def prop(x, up):
        s, g = _d(Value, lambda v: v.sigmoid(), x, up)
        if not (math.isfinite(s) and 0.0 <= s <= 1.0):
            raise AssertionError(f"sigmoid({x!r}) = {s!r} is not a probability")
        oracle = 0.5 * (1.0 + math.tanh(x / 2.0))
        _assert_close(s, oracle, rtol=0.0, atol=1e-12, what=f"sigmoid({x!r})")
        _assert_close(g, up * oracle * (1.0 - oracle), rtol=1e-9, atol=1e-12, what=f"sigmoid'({x!r})*{up}")

    extremes = st.sampled_from([1000.0, -1000.0, 710.0, -710.0, 709.79, -709.79, 745.5, -745.5, 800.0, -800.0,
                                40.0, -40.0, 0.0])
    for x in [0.0, 1.0, -1.0, 40.0, -40.0, 709.78, -709.78, 709.79, -709.79, 710.0, -710.0, 1000.0, -1000.0]:
        prop(x, 1.0)
        prop(x, -1.5)
    _SETTINGS(given(st.one_of(extremes, st.floats(-1000.0, 1000.0), st.floats(-15.0, 15.0)), _UP)(prop))()


def check_relu_backward(Value) -> None:
    """relu's gradient is 1 for x > 0 and 0 for x <= 0 (0 at exactly x = 0, as in torch), times the
    upstream gradient when relu sits inside a larger expression."""

    def prop(x, up):
        r, g = _d(Value, lambda v: v.relu(), x, up)
        _assert_close(r, x if x > 0 else 0.0, what=f"relu({x!r})")
        _assert_close(g, up if x > 0 else 0.0, what=f"relu'({x!r})*{up}")
        # relu between two other operations: d/dv [(relu(v) * 3 + 1) * up] = 3 up (v > 0)
        _, g2 = _d(Value, lambda v: v.relu() * 3.0 + 1.0, x, up)
        _assert_close(g2, 3.0 * up if x > 0 else 0.0, what=f"(3 relu + 1)'({x!r})*{up}")

    for x in (0.0, -0.0, 2.0, -2.0, 1e-200, -1e-200):
        for up in (1.0, -1.5, 0.5, 2.0):
            prop(x, up)
    _SETTINGS(given(st.one_of(st.just(0.0), st.floats(-50.0, 50.0)), _UP)(prop))()


def check_log_backward(Value) -> None:
    """log's gradient is 1 / x for x > 0, times the upstream gradient inside a larger expression."""

    def prop(x, up):
        y, g = _d(Value, lambda v: v.log(), x, up)
        _assert_close(y, math.log(x), what=f"log({x!r})")
        _assert_close(g * x, up, rtol=1e-10, what=f"x * log'({x!r}) * {up}")
        # inside a larger expression: d/dv [2 log(v) + v] = 2 / v + 1
        _, g2 = _d(Value, lambda v: v.log() * 2.0 + v, x, up)
        _assert_close(g2, up * (2.0 / x + 1.0), rtol=1e-10, what=f"(2 log x + x)'({x!r})*{up}")

    for x in (0.5, 2.0, 3.0, 0.01, 100.0):
        for up in (1.0, -1.5):
            prop(x, up)
    _SETTINGS(given(st.floats(1e-2, 1e2), _UP)(prop))()


def check_grad_accumulates(Value) -> None:
    """A node used several times gets the SUM of its contributions, in sums and in products alike:
    d(x + x)/dx = 2, d(x * x)/dx = 2x, d(x * x + x)/dx = 2x + 1, d(x * y + x)/dx = y + 1."""

    def prop(a, b):
        x = Value(a)
        (x + x).backward()
        _assert_close(x.grad, 2.0, what="d(x+x)")
        x = Value(a)
        (x * x).backward()
        _assert_close(x.grad, 2.0 * a, what=f"d(x*x) at {a!r}")
        x = Value(a)
        (x * x + x).backward()
        _assert_close(x.grad, 2.0 * a + 1.0, what=f"d(x*x+x) at {a!r}")
        x, y = Value(a), Value(b)
        (x * y + x).backward()
        _assert_close(x.grad, b + 1.0, what=f"d(x*y+x)/dx at {(a, b)!r}")
        _assert_close(y.grad, a, what=f"d(x*y+x)/dy at {(a, b)!r}")
        x, y = Value(a), Value(b)
        s = x + y
        (s * y * s).backward()          # f = (x + y)^2 y
        _assert_close(x.grad, 2.0 * (a + b) * b, rtol=1e-10, atol=1e-10, what=f"d((x+y)^2 y)/dx at {(a, b)!r}")
        _assert_close(y.grad, 2.0 * (a + b) * b + (a + b) ** 2, rtol=1e-10, atol=1e-10,
                      what=f"d((x+y)^2 y)/dy at {(a, b)!r}")

    for a, b in ((3.0, -2.0), (-1.0, 0.5), (2.5, 2.5)):
        prop(a, b)
    _SETTINGS(given(st.floats(-8.0, 8.0), st.floats(-8.0, 8.0))(prop))()
