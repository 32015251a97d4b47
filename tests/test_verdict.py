"""The grader-side comparison: exact type, dtype, shape, finiteness, closeness; no reference value leaks."""
import numpy as np
import pytest

from autograder.plugin import Verdict, encode_array, plain
from autograder.runner import TestOutcome
from autograder.verdict import compare, decide


def rec(kind, name, value, **spec):
    v = Verdict()
    if kind == "close":
        v.close(name, value, **spec)
    elif kind == "equal":
        v.equal(name, value)
    else:
        v.accuracy(name, value, **spec)
    return v.records[0]


def test_close_values_pass_and_far_values_fail_without_showing_the_reference():
    ref = rec("close", "loss", 2.302585092994046, rtol=1e-10)
    assert compare(ref, rec("close", "loss", 2.302585092994046 * (1 + 1e-12))) is None
    reason = compare(ref, rec("close", "loss", 2.4))
    assert "relative error" in reason and "2.30" not in reason


def test_type_shape_and_nan_are_checked():
    ref = rec("close", "grad", np.zeros(3))
    assert "returned list" in compare(ref, {**ref, "tag": "list"})
    assert "shape (4,)" in compare(ref, rec("close", "grad", np.zeros(4)))
    assert "inf or nan" in compare(ref, rec("close", "grad", np.array([np.nan, 0.0, 0.0])))


def test_integers_where_floats_are_expected_fail():
    ref = rec("close", "grad", np.zeros(3))
    assert "dtype int64" in compare(ref, {**ref, "npy": encode_array(np.zeros(3, dtype=np.int64))})


def test_objects_that_lie_cannot_cross():
    class AlwaysEqual:
        def __eq__(self, other):
            return True
    with pytest.raises(AssertionError, match="not plain data|expected numbers"):
        rec("close", "x", AlwaysEqual())
    class Sub(np.ndarray):
        pass
    tag, data = plain(np.zeros(2).view(Sub))
    assert tag.endswith("Sub") and type(data) is np.ndarray


def test_accuracy_uses_the_references_truth_not_the_submissions():
    truth = np.array([0, 1, 1, 0])
    ref = rec("accuracy", "acc", truth, y_true=truth, minimum=0.75)
    # the submission sends its own y_true too; the grader ignores it
    cheat = {**ref, "npy": encode_array(np.array([1, 1, 1, 1])), "truth": encode_array(np.array([1, 1, 1, 1]))}
    assert "below the required" in compare(ref, cheat)
    assert compare(ref, {**ref}) is None


def test_decide_requires_every_reference_value():
    ref = TestOutcome("t", "passed", values=[rec("close", "a", 1.0), rec("close", "b", 2.0)])
    only_a = TestOutcome("t", "passed", values=[rec("close", "a", 1.0)])
    assert decide(ref, only_a) == (False, "b: no value was produced")
    assert decide(ref, TestOutcome("t", "failed", "boom")) == (False, "boom")
    assert decide(ref, None)[0] is False
    assert decide(ref, ref) == (True, "")


def test_infinities_must_match_in_sign_and_0d_arrays_are_numbers():
    ref = rec("close", "t", np.array([np.inf, 1.0]))
    assert "wrong sign" in compare(ref, rec("close", "t", np.array([-np.inf, 1.0])))
    assert compare(ref, rec("close", "t", np.array([np.inf, 1.0]))) is None
    assert compare(rec("close", "p", 0.5), rec("close", "p", np.array(0.5))) is None
