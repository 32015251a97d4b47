"""q6: property tests for an autograd engine (minitorch Task 0.2 style).

Style of this module: every property is a small function of the drawn inputs; each test runs it on a
list of hand-picked edges first, then on hypothesis draws. Tolerances leave a few ulps of slack.
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


def run_on(prop, edges, *strategies):
    for args in edges:
        prop(*args)
    PROPERTY(given(*strategies)(prop))()


def test_sigmoid_properties():
    """sigmoid is finite in [0, 1] for every |x| <= 1000, s(x) + s(-x) = 1, s' = s (1 - s), and
    s(x) ~ e**x (relative) far to the left, where it is tiny but not zero."""

    def prop(x, up):
        s, g = value_and_grad(lambda v: v.sigmoid(), x, up)
        assert not math.isnan(s) and 0.0 <= s <= 1.0
        assert close(s + Value(-x).sigmoid().data, 1.0, atol=2e-16)
        assert close(g, up * (s - s * s), rtol=1e-9, atol=1e-12)
        if -700.0 <= x <= -30.0:  # normal floats only: subnormal outputs have few significant bits
            assert s > 0.0
            assert close(s, math.exp(x) / (1.0 + math.exp(x)), rtol=1e-8, atol=0.0)

    edges = [(sign * m, up) for m in (0.0, 0.1, 5.0, 30.0, 40.0, 350.0, 709.7, 709.9, 710.0, 740.0, 1000.0)
             for sign in (1.0, -1.0) for up in (1.0, -2.5)]
    run_on(prop, edges, st.floats(min_value=-1000.0, max_value=1000.0), UPSTREAM)


def test_relu_properties():
    """relu(x) = max(x, 0); its derivative is 1 for x > 0 and 0 for x <= 0 (0 at exactly 0, as torch),
    times the upstream gradient."""

    def prop(x, up):
        r, g = value_and_grad(lambda v: v.relu(), x, up)
        assert r == max(x, 0.0) or close(r, max(x, 0.0))
        want = up if x > 0.0 else 0.0
        assert close(g, want), (x, up, g)

    edges = [(x, up) for x in (0.0, -0.0, 1.0, -1.0, 1e-9, -1e-9) for up in (1.0, -2.5, 0.5)]
    run_on(prop, edges, st.one_of(st.just(0.0), st.floats(min_value=-10.0, max_value=10.0)), UPSTREAM)


def test_log_properties():
    """log inverts exp, grows (so its derivative is positive), and x * log'(x) = 1, times the upstream."""

    def prop(x, up):
        y, g = value_and_grad(lambda v: v.log(), x, up)
        assert close(math.exp(y), x, rtol=1e-12)
        assert close(x * g, up, rtol=1e-10)
        _, g1 = value_and_grad(lambda v: v.log(), x)
        assert g1 > 0.0

    def round_trip(z):
        assert close(Value(z).exp().log().data, z, atol=1e-12)

    run_on(prop, [(x, up) for x in (1.0, 0.1, 2.0, 50.0) for up in (1.0, -2.5)],
           st.floats(min_value=1e-4, max_value=1e4), UPSTREAM)
    run_on(round_trip, [(0.0,), (1.0,), (-3.0,)], st.floats(min_value=-30.0, max_value=30.0))


def test_tanh_properties():
    """tanh is odd and bounded by 1, and tanh' = 1 - tanh**2 (from the output, not the input)."""

    def prop(x, up):
        t, g = value_and_grad(lambda v: v.tanh(), x, up)
        assert -1.0 <= t <= 1.0
        assert close(-Value(-x).tanh().data, t, atol=1e-15)
        assert close(t, math.tanh(x), atol=1e-15)
        assert close(g, up * (1.0 - t) * (1.0 + t), rtol=1e-9, atol=1e-12)

    edges = [(x, up) for x in (0.0, 0.75, -0.75, 1.5, -1.5, 4.0, -4.0, 25.0) for up in (1.0, -2.5, 0.5)]
    run_on(prop, edges, st.floats(min_value=-25.0, max_value=25.0), UPSTREAM)


def test_reused_nodes_accumulate():
    """A node used several times gets the SUM of its contributions, in sums and products alike."""

    def prop(a, b, up):
        x = Value(a)
        ((x + x + x) * up).backward()
        assert close(x.grad, 3.0 * up)

        x = Value(a)
        ((x * x) * up).backward()
        assert close(x.grad, 2.0 * a * up, rtol=1e-12)

        x, y = Value(a), Value(b)
        ((x * y + x) * up).backward()
        assert close(x.grad, (b + 1.0) * up, rtol=1e-12)
        assert close(y.grad, a * up, rtol=1e-12)

        x, y = Value(a), Value(b)
        m = x * y
        ((m + m * x) * up).backward()   # d/dx = y + 2xy, d/dy = x + x**2
        assert close(x.grad, (b + 2.0 * a * b) * up, rtol=1e-9, atol=1e-9)
        assert close(y.grad, (a + a * a) * up, rtol=1e-9, atol=1e-9)

    edges = [(3.0, -2.0, 1.0), (0.5, 1.5, -2.5), (-2.0, 0.0, 0.5)]
    run_on(prop, edges, st.floats(min_value=-5.0, max_value=5.0), st.floats(min_value=-5.0, max_value=5.0), UPSTREAM)


def test_chain_rule_matches_central_differences():
    """The engine's derivative of a composite function agrees with a numerical one (smooth parts only:
    a central difference across relu's kink would be wrong, not the engine)."""

    def f(v):
        u = (v * v + 1.0).log() - v.sigmoid() * 3.0
        return (u.tanh() + 2.0) ** 2 / (1.0 + (u * 0.25).exp())

    def prop(x, up):
        _, g = value_and_grad(f, x, up)
        h = 1e-5
        num = up * (f(Value(x + h)).data - f(Value(x - h)).data) / (2.0 * h)
        assert close(g, num, rtol=1e-6, atol=1e-6), (x, g, num)

    run_on(prop, [(x, 1.0) for x in (-3.0, -1.0, 0.0, 0.4, 2.0)], st.floats(min_value=-5.0, max_value=5.0), UPSTREAM)
