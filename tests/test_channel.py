"""The wire and the one comparison: exact types, allowed dtypes, shape, finiteness, closeness; nothing leaks."""
import numpy as np
import pytest
import torch

from autograder import channel
from autograder.channel import Value, compare, judge, record, to_plain


def value(v):
    tag, data = to_plain(v)
    return Value(tag, data)


def rec(kind, name, v, **spec):
    return record(kind, name, v, **spec)


def test_close_passes_within_tolerance_and_never_shows_the_reference_unless_public():
    ref = rec("close", "loss", 2.302585092994046, rtol=1e-10)
    assert judge(rec("close", "loss", 2.302585092994046 * (1 + 1e-12)), ref) is None
    reason = judge(rec("close", "loss", 2.4), ref)
    assert "relative error" in reason and "2.30" not in reason
    assert "2.30" in compare("close", "loss", value(2.4), value(2.302585092994046), {"rtol": 1e-10}, show=True)


def test_type_shape_dtype_and_nan_are_checked():
    ref = rec("close", "grad", np.zeros(3))
    assert "returned a list" in judge(rec("close", "grad", [0.0, 0.0, 0.0]), ref)
    assert "shape (4,)" in judge(rec("close", "grad", np.zeros(4)), ref)
    assert "nan" in judge(rec("close", "grad", np.array([np.nan, 0.0, 0.0])), ref)
    assert "dtype int64" in judge(rec("close", "grad", np.zeros(3, dtype=np.int64)), ref)


@pytest.mark.parametrize("bad", [np.zeros(3, dtype=np.complex128), np.zeros(3, dtype=np.float16),
                                 np.array([object()], dtype=object), np.array(np.zeros(2), dtype=object)])
def test_complex_float16_object_and_boxed_arrays_are_refused(bad):
    with pytest.raises(channel.NotPlain):
        to_plain(bad)


def test_lookalikes_are_refused_by_exact_type():
    class Sub(np.ndarray):
        pass

    class HasInterface:
        __array_interface__ = np.zeros(3).__array_interface__

    class Tensor:  # a class named like torch's
        pass
    Tensor.__module__, Tensor.__qualname__ = "torch", "Tensor"
    for bad in (np.zeros(2).view(Sub), HasInterface(), Tensor(), torch.nn.Parameter(torch.zeros(2)),
                torch.zeros(2).to_sparse(), torch.zeros(2, dtype=torch.complex64), torch.zeros(2, dtype=torch.float16)):
        with pytest.raises(channel.NotPlain):
            to_plain(bad)
    assert to_plain(torch.zeros(2))[0] == "torch.Tensor"


def test_the_grader_reads_only_plain_arrays_back():
    assert channel.decode_array("not base64!") is None
    assert channel.decode_array(channel.encode_array(np.zeros(2, dtype=np.complex64))) is None
    assert channel.decode_array(channel.encode_array(np.arange(3))) is not None


def test_accuracy_uses_the_graders_truth():
    truth = Value("numpy.ndarray", np.array([0, 1, 1, 0]))
    ref = rec("accuracy", "acc", np.array([0, 1, 1, 0]), minimum=0.75)
    assert judge(rec("accuracy", "acc", np.array([1, 1, 1, 1])), ref, truth) is not None
    assert judge(rec("accuracy", "acc", np.array([0, 1, 1, 1])), ref, truth) is None


def test_properties_are_judged_on_the_learners_own_values():
    same = rec("same", "prefix", np.array([1.0, 2.0]), rtol=1e-12, atol=0.0)
    same["npy_b"] = channel.encode_array(np.array([1.0, 2.0 + 1e-15]))
    assert judge(same, same) is None
    same["npy_b"] = channel.encode_array(np.array([1.0, 2.1]))
    assert "differ" in judge(same, same)
    bound = rec("bound", "loss", 0.2, low=None, high=0.1)
    assert "above 0.1" in judge(bound, bound)
    # the grader's spec wins: a learner's record that loosens its own limit changes nothing
    loose = rec("bound", "loss", 0.2, low=None, high=10.0)
    assert judge(loose, bound) is not None


def test_infinities_must_match_in_sign_and_0d_arrays_are_numbers():
    ref = rec("close", "t", np.array([np.inf, 1.0]))
    assert "inf" in judge(rec("close", "t", np.array([-np.inf, 1.0])), ref)
    assert judge(rec("close", "t", np.array([np.inf, 1.0])), ref) is None
    assert judge(rec("close", "p", np.array(0.5)), rec("close", "p", 0.5)) is None


def test_worker_config_round_trips():
    cfg = channel.WorkerConfig(mode="grade", answers_dir="/a", tests_dir="/t", channel_fd=5, questions=["q1"])
    assert channel.WorkerConfig.from_json(cfg.to_json()) == cfg


def test_events_out_of_protocol_are_not_events():
    assert channel.decode_event(b'{"ev": "report", "id": "x"}')["id"] == "x"
    assert channel.decode_event(b'{"ev": "shell", "cmd": "rm"}') is None
    assert channel.decode_event(b"PASSED 10/10") is None
