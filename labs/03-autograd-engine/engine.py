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
    """A scalar node of a computation graph.

    Attributes (this is the contract the tests rely on):
        data:      the value, a Python float.
        grad:      d(root)/d(this node) after root.backward(); starts at 0.0.
        _prev:     the tuple of Values this node was computed from (empty for a leaf).
        _op:       a short label of the operation that made it ('+', '*', 'exp', ...), for printing only.
        _backward: a zero-argument function that pushes this node's grad into its children's grads
                   (the local step of the chain rule); a leaf's does nothing.

    Every operation takes Values or plain numbers (a number becomes a leaf Value) and returns a new Value
    whose _backward ADDS (+=) into the children's grads: a node used twice receives both contributions.
    """

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
        # YOUR CODE HERE
        raise NotImplementedError()

    def __mul__(self, other: Value | float) -> Value:
        """self * other.   d/dself = other,  d/dother = self."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def __pow__(self, exponent: int | float) -> Value:
        """self ** exponent for a constant int or float exponent (not a Value).

        d/dself = exponent * self ** (exponent - 1). Raise TypeError when exponent is a Value.
        """
        # YOUR CODE HERE
        raise NotImplementedError()

    def exp(self) -> Value:
        """e ** self.   d/dself = e ** self, which is the output: reuse it."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def log(self) -> Value:
        """Natural logarithm, for self > 0 (math.log raises ValueError otherwise).   d/dself = 1 / self."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def tanh(self) -> Value:
        """Hyperbolic tangent t = tanh(self).   d/dself = 1 - t**2: from the OUTPUT t, not from the input."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def relu(self) -> Value:
        """max(0, self).   d/dself = 1 where self > 0, else 0; at exactly 0 the derivative is 0 (as in torch)."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def sigmoid(self) -> Value:
        """s = 1 / (1 + e ** -self), finite for every float input.   d/dself = s * (1 - s).

        Numerical advice: math.exp overflows (OverflowError) above ~709.78. For self >= 0 use
        1 / (1 + exp(-self)); for self < 0 use exp(self) / (1 + exp(self)). Both exponents are <= 0, and
        tiny outputs stay accurate relative to their size (sigmoid(-40) ~ 4.2e-18, as torch gives), which
        0.5 * (1 + tanh(self / 2)) does not manage (it returns 0.0 there).
        """
        # YOUR CODE HERE
        raise NotImplementedError()

    # ------------------------------------------------------------------ derived operations (no backward of their own)
    def __neg__(self) -> Value:
        """-self, written with a primitive (so its gradient comes for free)."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def __sub__(self, other: Value | float) -> Value:
        """self - other = self + (-other)."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def __truediv__(self, other: Value | float) -> Value:
        """self / other = self * other ** -1."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def __radd__(self, other: float) -> Value:
        """other + self, when other is a number (Python tries number.__add__ first, then this)."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def __rsub__(self, other: float) -> Value:
        """other - self."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def __rmul__(self, other: float) -> Value:
        """other * self."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def __rtruediv__(self, other: float) -> Value:
        """other / self."""
        # YOUR CODE HERE
        raise NotImplementedError()

    # ------------------------------------------------------------------ Part 2: backward
    def backward(self) -> None:
        """Reverse-mode differentiation of this node with respect to every node it depends on.

        1. order = topological_sort(self) (children before parents, self last).
        2. Interior nodes (those with _prev) start from grad 0.0 on every call; leaves keep what they have,
           so gradients of leaves ACCUMULATE over calls, as in torch (zero them with Module.zero_grad).
           Calling backward twice on the same graph therefore doubles the leaves' grads, and
           zero_grad + backward gives the same grads as the first call.
        3. self.grad += 1.0 (d self / d self; += like every other grad, so a lone leaf's backward called twice
           leaves grad 2), then call each node's _backward in REVERSE order, so that a node's grad is complete
           before it is pushed further down.
        """
        # YOUR CODE HERE
        raise NotImplementedError()


def topological_sort(root: Value) -> list[Value]:
    """Every node root depends on (root included), each exactly once, every node after all of its _prev.

    Keep a set of visited nodes (by id(node)): without it, a graph where nodes are shared (a diamond,
    x -> a, b -> y, repeated 25 times) is walked once per PATH, 2**25 times. An explicit stack instead of
    recursion also avoids Python's recursion limit (~1000) on deep graphs.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


# ============================================================================ Part 3: numerical derivative
def central_difference(f: Callable[..., float], *vals: float, arg: int = 0, eps: float = 1e-6) -> float:
    """d f / d vals[arg] by central differences:  (f(..., x + eps, ...) - f(..., x - eps, ...)) / (2 eps).

    f takes len(vals) floats and returns a float. The error is O(eps**2) (forward differences: O(eps));
    with eps = 1e-6 in float64 a smooth f of moderate size gives ~1e-9 or better.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


# ============================================================================ Part 4: a tiny nn library
class Module:
    """Base class: parameters() lists the trainable leaf Values; zero_grad() sets their grad to 0.0."""

    def parameters(self) -> list[Value]:
        return []

    def zero_grad(self) -> None:
        """Set p.grad = 0.0 for every p in self.parameters()."""
        # YOUR CODE HERE
        raise NotImplementedError()


class Neuron(Module):
    """One unit: act = w . x + b; returns tanh(act) when nonlin, else act (a linear output unit).

    Weights start as Value(random.uniform(-1, 1)) (the `random` module), the bias as Value(0.0).
    parameters() order: w[0], ..., w[nin - 1], b.
    """

    def __init__(self, nin: int, nonlin: bool = True):
        # YOUR CODE HERE
        raise NotImplementedError()

    def __call__(self, x: Sequence[Value | float]) -> Value:
        """x: nin numbers or Values. Returns one Value."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def parameters(self) -> list[Value]:
        # YOUR CODE HERE
        raise NotImplementedError()


class Layer(Module):
    """nout independent Neurons that all read the same input. parameters(): neuron 0's, then neuron 1's, ..."""

    def __init__(self, nin: int, nout: int, nonlin: bool = True):
        # YOUR CODE HERE
        raise NotImplementedError()

    def __call__(self, x: Sequence[Value | float]) -> list[Value]:
        """Returns a list of nout Values (also when nout == 1)."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def parameters(self) -> list[Value]:
        # YOUR CODE HERE
        raise NotImplementedError()


class MLP(Module):
    """Layers of sizes nin -> nouts[0] -> ... -> nouts[-1]; tanh on every layer but the last (linear).

    __call__ returns a single Value when nouts[-1] == 1, else a list of Values.
    parameters(): layer 0's, then layer 1's, ... (so the order is fixed and the tests can set weights).
    """

    def __init__(self, nin: int, nouts: Sequence[int]):
        # YOUR CODE HERE
        raise NotImplementedError()

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        # YOUR CODE HERE
        raise NotImplementedError()

    def parameters(self) -> list[Value]:
        # YOUR CODE HERE
        raise NotImplementedError()


def sgd_step(params: Sequence[Value], lr: float) -> None:
    """Plain gradient descent in place: p.data -= lr * p.grad for every p. Does not touch the grads."""
    # YOUR CODE HERE
    raise NotImplementedError()


# ============================================================================ Part 5: property checks (your tests)
# Each check receives a Value CLASS (yours, or another engine's) and must
#   - return quietly when that class is correct, and
#   - raise (an AssertionError, or any exception the engine itself throws) when it has the bug described.
# Build every Value with the class you are given (the parameter `Value`), never with your own engine.
# Use only the public API: Value(x), + - * / ** with numbers and Values, exp, log, tanh, relu, sigmoid,
# backward(), .data and .grad. hypothesis is available (`given`, `settings`, `strategies as st`).
# At grading each check runs against correct engines written differently from yours and against engines
# with planted bugs; keep each under ~1 s (max_examples <= 50).

def check_sigmoid(Value) -> None:
    """sigmoid must be right everywhere: value 1 / (1 + e**-x) (finite, in [0, 1]) for any x with
    |x| <= 1000, and gradient s * (1 - s). Tip: an independent stable oracle is 0.5 * (1 + tanh(x / 2))."""
    # YOUR CODE HERE
    raise NotImplementedError()


def check_relu_backward(Value) -> None:
    """relu's gradient is 1 for x > 0 and 0 for x <= 0 (0 at exactly x = 0, as in torch), times the
    upstream gradient when relu sits inside a larger expression."""
    # YOUR CODE HERE
    raise NotImplementedError()


def check_log_backward(Value) -> None:
    """log's gradient is 1 / x for x > 0, times the upstream gradient inside a larger expression."""
    # YOUR CODE HERE
    raise NotImplementedError()


def check_grad_accumulates(Value) -> None:
    """A node used several times gets the SUM of its contributions, in sums and in products alike:
    d(x + x)/dx = 2, d(x * x)/dx = 2x, d(x * x + x)/dx = 2x + 1, d(x * y + x)/dx = y + 1."""
    # YOUR CODE HERE
    raise NotImplementedError()
