"""Isolation tiers: what a job can see and do at each, and that both tiers grade the same."""
from __future__ import annotations

import pytest

from autograder import grade, release, runner, sandbox
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


def probe(lab, tier):
    code = release.stub_sources(lab)[ANSWER] + PROBE.replace("__KIT__", str(release.paths.KIT_ROOT))
    result = runner.run(runner.Job(lab, {ANSWER: code}, "grade", device="cpu", tier=tier, include_hidden=False))
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
    for name, sources in {"sol": release.solution_sources(lab02_fast), "stub": release.stub_sources(lab02_fast)}.items():
        (subs / name).mkdir(parents=True)
        (subs / name / ANSWER).write_text(sources[ANSWER])
    batch = grade.grade(lab02_fast, [subs], grade.BatchOptions(out=tmp_path / "out", device="cpu", tier=tier))
    totals = {r["student"]: r["total"] for r in batch.records}
    assert totals == {"sol": 10, "stub": 0}
    assert {r["isolation"] for r in batch.records} == {tier}


def test_min_isolation_refuses_a_lower_tier(lab02_fast, tmp_path):
    with pytest.raises(grade.IsolationError, match="below the required 'namespace'"):
        grade.grade(lab02_fast, [tmp_path], grade.BatchOptions(out=tmp_path / "o", tier="rlimits",
                                                               min_isolation="namespace"))


def test_job_uids_are_leased_exclusively():
    if not sandbox.running_as_root():
        pytest.skip("job uids are used only when the grader runs as root")
    with sandbox.lease_uid(5) as a, sandbox.lease_uid(5) as b:
        assert a != b


def test_repeat_flags_nothing_for_a_deterministic_submission(lab02_fast, tmp_path):
    (tmp_path / "subs" / "sol").mkdir(parents=True)
    (tmp_path / "subs" / "sol" / ANSWER).write_text(release.solution_sources(lab02_fast)[ANSWER])
    batch = grade.grade(lab02_fast, [tmp_path / "subs"], grade.BatchOptions(out=tmp_path / "o", repeat=2))
    assert batch.records[0]["repeat_totals"] == [10, 10] and not batch.records[0]["flaky"]
