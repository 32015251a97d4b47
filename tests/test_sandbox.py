"""Isolation tiers: what a job can see and do at each, and that both tiers grade the same."""
from __future__ import annotations

import pytest

from autograder import batch, errors, paths, runner, sources
from autograder.isolation import sandbox, seccomp
from conftest import tier_or_skip

pytestmark = pytest.mark.slow
ANSWER = "linear_models.py"

PROBE = '''
import os, socket
from pathlib import Path
facts = {
    "solutions_visible": any(Path(p).exists() for p in ["__KIT__/solutions", "__KIT__/.git"]),
    "uid": os.getuid(),
    "interfaces": sorted(name for _, name in socket.if_nameindex()),
}
print("FACTS", facts)
'''


def probe(lab, tier, extra=""):
    code = sources.stub_sources(lab)[ANSWER] + PROBE.replace("__KIT__", str(paths.KIT_ROOT)) + extra
    result = runner.run(runner.Job(lab, {ANSWER: code}, "check", device="cpu", tier=tier, include_hidden=False,
                                   questions=("q1",)))
    line = next(line for line in result.output_tail.splitlines() if line.startswith("FACTS"))
    return eval(line[6:])  # our own probe's dict literal  # noqa: S307


def test_namespace_tier_hides_solutions_and_network(lab02_fast):
    facts = probe(lab02_fast, tier_or_skip("namespace"))
    assert facts["solutions_visible"] is False
    assert facts["interfaces"] == ["lo"], "a fresh network namespace has only a loopback device"
    if sandbox.running_as_root():
        assert facts["uid"] >= sandbox.SLOT_UID_BASE


def test_rlimits_tier_runs_as_an_unprivileged_uid_where_it_can(lab02_fast):
    facts = probe(lab02_fast, "rlimits")
    if sandbox.uid_can_run_python():
        assert facts["uid"] >= sandbox.SLOT_UID_BASE
    elif sandbox.running_as_root():
        assert facts["uid"] == 0  # a Python under /root (pyenv) is unreachable for other uids without a namespace


@pytest.mark.parametrize("tier", sandbox.TIERS)
def test_every_tier_grades_the_solution_full_and_the_stubs_zero(lab02_fast, reference02, tier, tmp_path):
    tier_or_skip(tier)
    subs = tmp_path / "subs"
    for name, texts in {"sol": sources.solution_sources(lab02_fast), "stub": sources.stub_sources(lab02_fast)}.items():
        (subs / name).mkdir(parents=True)
        (subs / name / ANSWER).write_text(texts[ANSWER])
    graded = batch.grade(lab02_fast, [subs], batch.BatchOptions(out=tmp_path / "out", device="cpu", tier=tier,
                                                                min_isolation=None, unsafe_as_grader=True))
    assert {r.student: r.total for r in graded.records} == {"sol": 10, "stub": 0}
    assert {r.isolation for r in graded.records} == {tier}


def test_min_isolation_refuses_a_lower_tier(lab02_fast, tmp_path):
    with pytest.raises(errors.IsolationError, match="below the required 'namespace'"):
        batch.grade(lab02_fast, [tmp_path], batch.BatchOptions(out=tmp_path / "o", tier="rlimits"))


def test_learner_code_never_runs_as_the_grader_without_the_flag(lab02_fast, tmp_path):
    risk = sandbox.runs_as_grader("rlimits")
    if risk is None:
        pytest.skip("here the rlimits tier has a per-job uid")
    with pytest.raises(errors.IsolationError, match="--unsafe-as-grader"):
        batch.grade(lab02_fast, [tmp_path], batch.BatchOptions(out=tmp_path / "o", tier="rlimits", min_isolation=None))


def test_the_bundled_bwrap_is_pinned_and_reported():
    path, source = sandbox.bwrap()
    if path is None:
        pytest.skip(f"no bubblewrap here: {source}")
    assert source.startswith(("system", "bundled")), source
    if source.startswith("bundled"):
        import hashlib
        import platform
        assert hashlib.sha256(open(path, "rb").read()).hexdigest() == sandbox.BUNDLED_BWRAP_SHA256[platform.machine()]


KEYRING = '''
import ctypes, platform
_nr = {"x86_64": 250, "aarch64": 219}.get(platform.machine(), -1)
_libc = ctypes.CDLL(None, use_errno=True)
print("KEYRING", _libc.syscall(_nr, 0, -4, 0), ctypes.get_errno())
'''


@pytest.mark.parametrize("tier", sandbox.TIERS)
def test_no_job_reaches_the_kernel_keyring(lab02_fast, tier):
    tier_or_skip(tier)
    code = sources.stub_sources(lab02_fast)[ANSWER] + KEYRING
    result = runner.run(runner.Job(lab02_fast, {ANSWER: code}, "check", device="cpu", tier=tier,
                                   include_hidden=False, questions=("q1",)))
    line = next(line for line in result.output_tail.splitlines() if line.startswith("KEYRING"))
    assert line.split()[1:] == ["-1", "1"], f"keyctl must fail with EPERM: {line}"


def test_the_seccomp_program_denies_foreign_abis_and_the_keyring():
    prog = seccomp.program("x86_64")
    assert len(prog) % 8 == 0 and len(prog) // 8 == 11
    assert seccomp.program("sparc") == b""


def test_job_uids_are_leased_exclusively():
    if not sandbox.running_as_root():
        pytest.skip("job uids are used only when the grader runs as root")
    with sandbox.lease_uid(5) as a, sandbox.lease_uid(5) as b:
        assert a != b


def test_repeat_flags_nothing_for_a_deterministic_submission(lab02_fast, tmp_path):
    (tmp_path / "subs" / "sol").mkdir(parents=True)
    (tmp_path / "subs" / "sol" / ANSWER).write_text(sources.solution_sources(lab02_fast)[ANSWER])
    graded = batch.grade(lab02_fast, [tmp_path / "subs"], batch.BatchOptions(out=tmp_path / "o", repeat=2))
    assert graded.records[0].repeat_totals == [10, 10] and not graded.records[0].flaky
