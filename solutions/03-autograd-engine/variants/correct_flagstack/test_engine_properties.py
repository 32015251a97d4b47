"""q6: property tests for an autograd engine, written by you (minitorch Task 0.2 style).

One test per property family; each states the property once as a function, checks it on the edges
named in the handout, then on hypothesis draws.
"""
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Value

PROPERTY = settings(max_examples=40, deadline=None, derandomize=True, database=None)
UPSTREAM = st.sampled_from([1.0, -2.5, 0.5])  # a gradient arriving from above, not always 1


def value_and_grad(fn, x, upstream=1.0):
    """(fn(x).data, d(upstream * fn(x))/dx), both computed by the engine under test."""
    v = Value(x)
    out = fn(v)
    (out * upstream).backward()
    return out.data, v.grad


def close(a, b, rtol=1e-12, atol=1e-12):
    # a few ulps of slack: correct engines that use different but equivalent formulas differ in the last bits
    return abs(a - b) <= atol + rtol * abs(b)


def test_sigmoid_properties():
    """sigmoid is finite in [0, 1] for every |x| <= 1000, s(x) + s(-x) = 1, s' = s (1 - s), and
    s(x) ~ e**x (relative) far to the left, where it is tiny but not zero."""

    def prop(x, up):
        s, g = value_and_grad(lambda v: v.sigmoid(), x, up)
        assert math.isfinite(s) and 0.0 <= s <= 1.0
        assert close(s + Value(-x).sigmoid().data, 1.0)
        assert close(g, up * s * (1.0 - s), rtol=1e-9)

    for x in (0.0, 1.0, 20.0, 40.0, 709.0, 710.0, 745.0, 1000.0):
        for up in (1.0, -2.5):
            prop(x, up)
            prop(-x, up)
    for x in (-40.0, -100.0, -600.0):
        assert close(Value(x).sigmoid().data, math.exp(x), rtol=1e-9, atol=0.0)
    PROPERTY(given(st.floats(-1000.0, 1000.0), UPSTREAM)(prop))()


def test_relu_properties():
    """relu(x) = max(x, 0); its derivative is 1 for x > 0 and 0 for x <= 0 (0 at exactly 0, as torch),
    times the upstream gradient."""

    def prop(x, up):
        r, g = value_and_grad(lambda v: v.relu(), x, up)
        assert close(r, max(x, 0.0))
        assert close(g, up * (1.0 if x > 0 else 0.0))

    for x in (0.0, -0.0, 3.0, -3.0):
        for up in (1.0, -2.5, 0.5):
            prop(x, up)
    PROPERTY(given(st.floats(-100.0, 100.0), UPSTREAM)(prop))()


def test_log_properties():
    """log inverts exp, grows (so its derivative is positive), and x * log'(x) = 1, times the upstream."""

    def prop(x, up):
        y, g = value_and_grad(lambda v: v.log(), x, up)
        assert close(Value(y).exp().data, x, rtol=1e-12)
        assert close(x * g, up, rtol=1e-10)

    for x in (1.0, 0.5, 4.0):
        prop(x, 1.0)
        prop(x, -2.5)
    PROPERTY(given(st.floats(1e-3, 1e3), UPSTREAM)(prop))()


def test_tanh_properties():
    """tanh is odd and bounded by 1, and tanh' = 1 - tanh**2 (from the output, not the input)."""

    def prop(x, up):
        t, g = value_and_grad(lambda v: v.tanh(), x, up)
        assert abs(t) <= 1.0
        assert close(Value(-x).tanh().data, -t)
        assert close(g, up * (1.0 - t ** 2), rtol=1e-9)

    for x in (0.0, 1.0, -1.0, 3.0, -3.0):
        prop(x, 1.0)
    PROPERTY(given(st.floats(-10.0, 10.0), UPSTREAM)(prop))()


def test_reused_nodes_accumulate():
    """A node used several times gets the SUM of its contributions, in sums and products alike."""

    def prop(a, b):
        x = Value(a)
        (x + x).backward()
        assert close(x.grad, 2.0)
        x = Value(a)
        (x * x).backward()
        assert close(x.grad, 2.0 * a)
        x, y = Value(a), Value(b)
        (x * y + x).backward()
        assert close(x.grad, b + 1.0)
        assert close(y.grad, a)

    prop(3.0, -2.0)
    x = Value(3.0)
    (x * x + x).backward()
    assert close(x.grad, 7.0)
    PROPERTY(given(st.floats(-10.0, 10.0), st.floats(-10.0, 10.0))(prop))()


def test_chain_rule_matches_central_differences():
    """The engine's derivative of a composite function agrees with a numerical one (smooth parts only:
    a central difference across relu's kink would be wrong, not the engine)."""

    def f(v):
        # a chain of smooth primitives, each input used once
        return (((v * 0.7 - 0.2) ** 3).sigmoid() * 2.0 + 1.0).exp() / 3.0

    def prop(x):
        _, g = value_and_grad(f, x)
        eps = 1e-6
        num = (f(Value(x + eps)).data - f(Value(x - eps)).data) / (2 * eps)
        assert close(g, num, rtol=1e-6, atol=1e-7), (x, g, num)

    for x in (-1.0, 0.0, 0.5, 2.0):
        prop(x)
    PROPERTY(given(st.floats(-3.0, 3.0))(prop))()
