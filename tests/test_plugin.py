"""The lab-test plugin as a student meets it, and the rule it enforces on lab authors."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autograder import plugin

ROOT = Path(__file__).resolve().parent.parent


def test_pytest_runs_public_tests_directly_in_a_lab_folder(tmp_path):
    lab = ROOT / "labs" / "02-linear-models-gradcheck"
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(lab / "tests"),
                           "-k", "test_naive_loss_at_zero"], capture_output=True, text=True, cwd=tmp_path,
                          env={"LABKIT_ANSWERS": str(ROOT / "solutions" / "02-linear-models-gradcheck"),
                               "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_cuda_device_tests_skip_without_a_gpu_and_cost_nothing():
    import torch

    class Req:
        param = "cuda"
    if torch.cuda.is_available():
        assert plugin.device.__wrapped__(Req()) == "cuda"
    else:
        with pytest.raises(pytest.skip.Exception, match="no points at stake"):
            plugin.device.__wrapped__(Req())


def test_hidden_failures_show_facts_not_text():
    try:
        x = 41
        assert x == 42, f"the hidden input was {x}"
    except AssertionError:
        info = pytest.ExceptionInfo.from_current()
    fact = plugin.failure(info)
    assert plugin.failure_message(fact, hidden=True) == "a hidden check failed"
    assert "41" in plugin.failure_message(fact, hidden=False)
    try:
        raise ValueError("secret hidden source")
    except ValueError:
        info = pytest.ExceptionInfo.from_current()
    assert plugin.failure_message(plugin.failure(info), hidden=True) == "raised ValueError"


def test_public_checks_show_their_public_expected_values():
    with pytest.raises(AssertionError) as public:
        plugin.Verdict(hidden=False).close("loss", 1.0, expected=2.718281828, rtol=1e-9)
    assert "2.718" in str(public.value)


@pytest.mark.parametrize("misuse", [
    lambda v: v.close("loss", 1.0, expected=2.0),                 # an oracle in a hidden test
    lambda v: v.accuracy("acc", np.zeros(3), y_true=np.zeros(3), minimum=0.5),   # labels in the worker
    lambda v: v.equal("fits", True),                                 # a lone bool: guessable
])
def test_hidden_tests_cannot_judge_in_the_worker(misuse):
    with pytest.raises(plugin.LabTestError):
        misuse(plugin.Verdict(hidden=True))


def test_public_tests_must_bring_an_oracle():
    with pytest.raises(plugin.LabTestError, match="expected="):
        plugin.Verdict(hidden=False).close("loss", 1.0)
