"""The lab-test plugin as a student meets it: plain pytest in a lab folder, devices, messages."""
import subprocess
import sys
from pathlib import Path

from autograder import plugin

ROOT = Path(__file__).resolve().parent.parent


def test_pytest_runs_public_tests_directly_in_a_lab_folder(tmp_path):
    lab = ROOT / "labs" / "02-linear-models-gradcheck"
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(lab / "tests"),
                           "-k", "test_naive_loss_at_zero"], capture_output=True, text=True, cwd=tmp_path,
                          env={"LABKIT_ANSWERS": str(ROOT / "solutions" / "02-linear-models-gradcheck"),
                               "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_cuda_device_tests_skip_without_a_gpu_and_cost_nothing(pytester_free_dir=None):
    import pytest
    import torch

    class Req:
        param = "cuda"
    if torch.cuda.is_available():
        assert plugin.device.__wrapped__(Req()) == "cuda"
    else:
        with pytest.raises(pytest.skip.Exception, match="no points at stake"):
            plugin.device.__wrapped__(Req())


def test_hidden_assertion_messages_do_not_show_the_test_expression():
    import pytest
    try:
        x = 41
        assert x == 42
    except AssertionError:
        info = pytest.ExceptionInfo.from_current()
    msg = plugin.failure_message(info, hidden=True)
    assert msg == "a hidden check failed"


def test_hidden_verdict_messages_never_show_expected_values():
    import pytest
    with pytest.raises(AssertionError) as hidden:
        plugin.Verdict(hidden=True).close("loss", 1.0, expected=2.718281828, rtol=1e-9)
    assert "2.718" not in str(hidden.value) and "relative error" in str(hidden.value)
    with pytest.raises(AssertionError) as public:
        plugin.Verdict(hidden=False).close("loss", 1.0, expected=2.718281828, rtol=1e-9)
    assert "2.718" in str(public.value)  # public tests may show their (public) expected values
    with pytest.raises(AssertionError) as eq:
        plugin.Verdict(hidden=True).equal("label", "cat", expected="dog")
    assert "dog" not in str(eq.value)
