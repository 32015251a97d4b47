"""q6: property tests for an autograd engine, written by you (minitorch Task 0.2 style).

Each test states a property that EVERY correct engine has (a value identity, a derivative, a symmetry)
and checks it on inputs hypothesis draws, plus edge cases you check explicitly. At grading this
module runs, in a fresh process per engine, against the reference engine (twice), a correct engine
written differently from it, and several engines with one planted bug each; `from engine import Value`
then imports that engine, never yours. The question earns points x (planted bugs caught / planted bugs),
and nothing at all if any test fails on a correct engine. So:
- compare floats with a tolerance: a correct engine may compute 1 - t*t as (1 - t) * (1 + t);
- check the edges explicitly (x = 0 for relu, |x| around 1000 for sigmoid): random draws may miss them;
- use only the public API: Value(x), + - * / ** with numbers and Values, exp, log, tanh, relu, sigmoid,
  backward(), .data and .grad;
- keep every test fast (max_examples <= 50, deadline=None) and free of randomness you do not control.
Run them with `labkit check 03 q6` (against your own engine.py), or `pytest test_engine_properties.py`.
"""
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Value

# derandomize: the same draws on every run, so a test cannot pass once and fail the next time (a flaky
# suite earns nothing); deadline=None: the grader's machine may be slow; no database: nothing written to disk
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
    ### BEGIN SOLUTION
    def prop(x):
        s, ds = value_and_grad(Value.sigmoid, x)
        assert math.isfinite(s) and 0.0 <= s <= 1.0, f"sigmoid({x}) = {s}"
        assert close(s + Value(-x).sigmoid().data, 1.0), f"sigmoid({x}) + sigmoid({-x}) != 1"
        assert close(ds, s * (1.0 - s)), f"sigmoid'({x}) = {ds}, expected {s * (1.0 - s)}"
        if x <= -30.0:  # s = e**x / (1 + e**x) = e**x (1 - e**x + ...): relative error below 1e-13
            assert close(s, math.exp(x), atol=0.0), f"sigmoid({x}) = {s}, expected ~{math.exp(x)}"

    for x in (-1000.0, -745.0, -40.0, 0.0, 1000.0):  # exp overflows beyond |x| ~ 709.78
        prop(x)
    PROPERTY(given(st.floats(-1000.0, 1000.0))(prop))()
    ### END SOLUTION


def test_relu_properties():
    """relu(x) = max(x, 0); its derivative is 1 for x > 0 and 0 for x <= 0 (0 at exactly 0, as torch),
    times the upstream gradient."""
    ### BEGIN SOLUTION
    def prop(x, upstream):
        r, dr = value_and_grad(Value.relu, x, upstream)
        assert r == max(x, 0.0), f"relu({x}) = {r}"
        expected = upstream if x > 0 else 0.0
        assert close(dr, expected), f"d/dx {upstream} * relu(x) at x = {x}: {dr}, expected {expected}"

    for x in (0.0, -0.0, 1e-300, -1e-300):  # the kink, and the closest floats on either side
        prop(x, 1.0)
        prop(x, -2.5)
    PROPERTY(given(st.floats(-100.0, 100.0), UPSTREAM)(prop))()
    ### END SOLUTION


def test_log_properties():
    """log inverts exp, grows (so its derivative is positive), and x * log'(x) = 1, times the upstream."""
    ### BEGIN SOLUTION
    def prop(x, upstream):
        y, dy = value_and_grad(Value.log, x, upstream)
        assert close(y, math.log(x), atol=1e-15), f"log({x}) = {y}"
        assert close(Value(y).exp().data, x), f"exp(log({x})) != {x}"
        assert dy * upstream > 0, f"log is increasing, but d/dx log(x) at {x} has the wrong sign: {dy / upstream}"
        assert close(x * dy, upstream), f"x * d/dx {upstream} * log(x) at x = {x}: {x * dy}, expected {upstream}"

    prop(1.0, 1.0)
    prop(0.25, -2.5)
    PROPERTY(given(st.floats(1e-3, 1e3), UPSTREAM)(prop))()
    ### END SOLUTION


def test_tanh_properties():
    """tanh is odd and bounded by 1, and tanh' = 1 - tanh**2 (from the output, not the input)."""
    ### BEGIN SOLUTION
    def prop(x, upstream):
        t, dt = value_and_grad(Value.tanh, x, upstream)
        assert abs(t) <= 1.0 and close(Value(-x).tanh().data, -t), f"tanh({x}) = {t}"
        assert close(dt, upstream * (1.0 - t * t)), f"d/dx {upstream} * tanh(x) at x = {x}: {dt}"

    prop(0.5, 1.0)
    prop(-1.5, -2.5)
    PROPERTY(given(st.floats(-20.0, 20.0), UPSTREAM)(prop))()
    ### END SOLUTION


def test_reused_nodes_accumulate():
    """A node used several times gets the SUM of its contributions, in sums and products alike."""
    ### BEGIN SOLUTION
    def prop(a, b):
        cases = [
            (lambda x, y: x + x, (2.0, 0.0)),
            (lambda x, y: x * x + x, (2 * a + 1, 0.0)),
            (lambda x, y: x * y + x, (b + 1, a)),
            (lambda x, y: (x + y) * (x + y), (2 * (a + b), 2 * (a + b))),
        ]
        for build, (ga, gb) in cases:
            x, y = Value(a), Value(b)
            build(x, y).backward()
            assert close(x.grad, ga, atol=1e-10) and close(y.grad, gb, atol=1e-10), \
                f"grads ({x.grad}, {y.grad}), expected ({ga}, {gb}) at a = {a}, b = {b}"

    prop(3.0, -2.0)
    PROPERTY(given(st.floats(-10.0, 10.0), st.floats(-10.0, 10.0))(prop))()
    ### END SOLUTION


def test_chain_rule_matches_central_differences():
    """The engine's derivative of a composite function agrees with a numerical one (smooth parts only:
    a central difference across relu's kink would be wrong, not the engine)."""
    ### BEGIN SOLUTION
    def f(v):
        return (v * v.sigmoid() + (v * v + 1.0).log()).tanh() * v.exp() / (v * v + 2.0)

    def prop(x):
        eps = 1e-6
        _, engine = value_and_grad(f, x)
        numeric = (f(Value(x + eps)).data - f(Value(x - eps)).data) / (2 * eps)
        # O(eps**2) truncation plus ~1e-10 rounding; a wrong derivative misses by O(0.1)
        assert close(engine, numeric, rtol=1e-6, atol=1e-7), f"f'({x}): engine {engine}, numeric {numeric}"

    prop(0.7)
    PROPERTY(given(st.floats(-3.0, 3.0))(prop))()
    ### END SOLUTION
