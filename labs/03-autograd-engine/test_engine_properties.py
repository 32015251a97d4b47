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
    # YOUR CODE HERE
    raise NotImplementedError()


def test_relu_properties():
    """relu(x) = max(x, 0); its derivative is 1 for x > 0 and 0 for x <= 0 (0 at exactly 0, as torch),
    times the upstream gradient."""
    # YOUR CODE HERE
    raise NotImplementedError()


def test_log_properties():
    """log inverts exp, grows (so its derivative is positive), and x * log'(x) = 1, times the upstream."""
    # YOUR CODE HERE
    raise NotImplementedError()


def test_tanh_properties():
    """tanh is odd and bounded by 1, and tanh' = 1 - tanh**2 (from the output, not the input)."""
    # YOUR CODE HERE
    raise NotImplementedError()


def test_reused_nodes_accumulate():
    """A node used several times gets the SUM of its contributions, in sums and products alike."""
    # YOUR CODE HERE
    raise NotImplementedError()


def test_chain_rule_matches_central_differences():
    """The engine's derivative of a composite function agrees with a numerical one (smooth parts only:
    a central difference across relu's kink would be wrong, not the engine)."""
    # YOUR CODE HERE
    raise NotImplementedError()
