"""q6: property tests for an autograd engine, written by you (minitorch Task 0.2 style).

Each test states a property that EVERY correct engine has and checks it on inputs hypothesis draws,
plus edge cases checked explicitly. Only the public API of engine.Value is used.
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


def _sigmoid_prop(x, up):
    s, g = value_and_grad(lambda v: v.sigmoid(), x, up)
    assert math.isfinite(s) and 0.0 <= s <= 1.0, (x, s)
    s_neg = Value(-x).sigmoid().data
    assert close(s + s_neg, 1.0), (x, s, s_neg)
    assert close(g, up * s * (1.0 - s), rtol=1e-9), (x, up, g, s)
    assert math.isfinite(g)


SIGMOID_EDGES = [0.0, 1e-8, 1.0, 10.0, 36.0, 40.0, 100.0, 700.0, 709.0, 709.8, 710.0, 745.0, 800.0, 1000.0]


def test_sigmoid_properties():
    """sigmoid is finite in [0, 1] for every |x| <= 1000, s(x) + s(-x) = 1, s' = s (1 - s), and
    s(x) ~ e**x (relative) far to the left, where it is tiny but not zero."""
    for x in SIGMOID_EDGES:
        for up in (1.0, -2.5, 0.5):
            _sigmoid_prop(x, up)
            _sigmoid_prop(-x, up)
    assert close(Value(0.0).sigmoid().data, 0.5)
    for x in (-40.0, -100.0, -300.0, -700.0):
        s = Value(x).sigmoid().data
        assert s > 0.0
        assert close(s, math.exp(x), rtol=1e-9, atol=0.0), (x, s)
    PROPERTY(given(st.floats(-1000.0, 1000.0), UPSTREAM)(_sigmoid_prop))()


def _relu_prop(x, up):
    r, g = value_and_grad(lambda v: v.relu(), x, up)
    assert close(r, max(x, 0.0)), (x, r)
    assert close(g, up if x > 0 else 0.0), (x, up, g)
    # inside a larger expression: d/dx relu(3 x) = 3 (x > 0)
    _, g3 = value_and_grad(lambda v: (v * 3.0).relu(), x, up)
    assert close(g3, 3.0 * up if x > 0 else 0.0), (x, up, g3)


def test_relu_properties():
    """relu(x) = max(x, 0); its derivative is 1 for x > 0 and 0 for x <= 0 (0 at exactly 0, as torch),
    times the upstream gradient."""
    for x in (0.0, -0.0, 1e-300, -1e-300, 1.0, -1.0, 2.5, -2.5):
        for up in (1.0, -2.5, 0.5):
            _relu_prop(x, up)
    PROPERTY(given(st.floats(-100.0, 100.0), UPSTREAM)(_relu_prop))()


def _log_prop(x, up):
    y, g = value_and_grad(lambda v: v.log(), x, up)
    assert close(y, math.log(x), rtol=1e-12, atol=1e-12), (x, y)
    assert close(x * g, up, rtol=1e-9), (x, up, g)
    if up > 0:
        assert g > 0
    assert close(Value(x).log().exp().data, x, rtol=1e-12), x
    # log inside a larger expression: d/dx log(x**2) = 2 / x
    _, g2 = value_and_grad(lambda v: (v ** 2).log(), x, up)
    assert close(x * g2, 2.0 * up, rtol=1e-9), (x, up, g2)


def test_log_properties():
    """log inverts exp, grows (so its derivative is positive), and x * log'(x) = 1, times the upstream."""
    for x in (1.0, 0.5, 2.0, 3.0, 10.0, 1e-3, 1e3):
        for up in (1.0, -2.5, 0.5):
            _log_prop(x, up)

    def inverts(x):
        assert close(Value(x).exp().log().data, x, rtol=1e-12, atol=1e-12), x

    PROPERTY(given(st.floats(-50.0, 50.0))(inverts))()
    PROPERTY(given(st.floats(1e-3, 1e3), UPSTREAM)(_log_prop))()


def _tanh_prop(x, up):
    t, g = value_and_grad(lambda v: v.tanh(), x, up)
    assert abs(t) <= 1.0, (x, t)
    assert close(Value(-x).tanh().data, -t, rtol=1e-12, atol=1e-15), (x, t)
    assert close(g, up * (1.0 - t * t), rtol=1e-9, atol=1e-12), (x, up, g, t)


def test_tanh_properties():
    """tanh is odd and bounded by 1, and tanh' = 1 - tanh**2 (from the output, not the input)."""
    for x in (0.0, 0.5, 1.0, 2.0, 3.0, 10.0, 20.0):
        for up in (1.0, -2.5, 0.5):
            _tanh_prop(x, up)
            _tanh_prop(-x, up)
    PROPERTY(given(st.floats(-20.0, 20.0), UPSTREAM)(_tanh_prop))()


def _reuse_prop(a, b):
    def grads(fn):
        x, y = Value(a), Value(b)
        fn(x, y).backward()
        return x.grad, y.grad

    cases = [
        (lambda x, y: x + x, 2.0, 0.0),
        (lambda x, y: x * x, 2.0 * a, 0.0),
        (lambda x, y: x * x + x, 2.0 * a + 1.0, 0.0),
        (lambda x, y: x * y + x, b + 1.0, a),
        (lambda x, y: x * y * x, 2.0 * a * b, a * a),
        (lambda x, y: (lambda p: p + p * p)(x * y), b * (1.0 + 2.0 * a * b), a * (1.0 + 2.0 * a * b)),
    ]
    for fn, gx, gy in cases:
        got_x, got_y = grads(fn)
        assert close(got_x, gx, rtol=1e-9), (a, b, got_x, gx)
        assert close(got_y, gy, rtol=1e-9), (a, b, got_y, gy)


def test_reused_nodes_accumulate():
    """A node used several times gets the SUM of its contributions, in sums and products alike."""
    x = Value(3.0)
    (x * x + x).backward()
    assert close(x.grad, 7.0)
    _reuse_prop(3.0, -2.0)
    _reuse_prop(0.5, 4.0)
    PROPERTY(given(st.floats(-10.0, 10.0), st.floats(-10.0, 10.0))(_reuse_prop))()


def _numeric(f, x, eps=1e-6):
    return (f(x + eps) - f(x - eps)) / (2 * eps)


def _composite(v):
    # smooth everywhere on the drawn range; uses every smooth primitive and a reused node
    a = v * 0.5 + 0.3
    b = a.tanh() * a.sigmoid() + (a * a + 1.0).log()
    return (b / (a * a + 2.0)).exp() - 0.2 * b ** 3 + 1.5 / (b * b + 1.0)


def test_chain_rule_matches_central_differences():
    """The engine's derivative of a composite function agrees with a numerical one (smooth parts only:
    a central difference across relu's kink would be wrong, not the engine)."""

    def prop(x):
        _, g = value_and_grad(_composite, x)
        num = _numeric(lambda t: _composite(Value(t)).data, x)
        assert abs(g - num) <= 1e-5 + 1e-5 * abs(num), (x, g, num)

    for x in (-2.0, -0.3, 0.0, 0.7, 1.5, 3.0):
        prop(x)
    PROPERTY(given(st.floats(-4.0, 4.0))(prop))()
