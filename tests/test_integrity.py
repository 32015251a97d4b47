"""Hostile submissions earn nothing, break nothing and learn nothing hidden (the integrity issue).

One batch grades every trick of tests/hostile/ beside honest submissions; the honest ones must get
exactly the scores they get when graded alone.
"""
from __future__ import annotations

import hashlib
import os
import socket
import time
from pathlib import Path

import pytest

from autograder import grade, release, runner, sandbox, scoring
from corpus import FORGES_BEHAVIOURAL, MAY_EARN, NEEDS_JOB_UID, NEEDS_NAMESPACE, build, tricks

pytestmark = pytest.mark.slow


def _digest_tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _honest(lab, folder: Path) -> Path:
    for name, sources in {"honest-solution": sources.solution_sources(lab),
                          "honest-stubs": sources.stub_sources(lab),
                          "honest-partial": {f: sources.strip_solutions(s, f, keep=2)
                                             for f, s in sources.solution_sources(lab).items()}}.items():
        (folder / name).mkdir(parents=True)
        for f, code in sources.items():
            (folder / name / f).write_text(code)
    return folder


def _slot_processes(uids: set[int], wait_s: float = 10.0) -> list[str]:
    """Processes of the batch's job uids still alive after it; a killed namespace takes a moment to go."""
    deadline = time.monotonic() + wait_s
    while (found := _processes_of(uids)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return found


def _processes_of(uids: set[int]) -> list[str]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        uid = int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])
        if uid in uids:
            found.append(f"{pid} (uid {uid})")
    return found


@pytest.fixture(scope="module")
def hostile_batch(tmp_path_factory, lab02_fast):
    lab = lab02_fast
    base = tmp_path_factory.mktemp("hostile")
    alone = _honest(lab, base / "alone")
    alone_out = base / "alone-out"
    honest_alone = batch.grade(lab, [alone], batch.BatchOptions(out=alone_out, device="cpu", jobs=2))
    klass = _honest(lab, base / "class")
    out = base / "out"
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    placeholders = {"__KIT_ROOT__": str(Path(paths.KIT_ROOT)), "__OUT_DIR__": str(out),
                    "__OTHER_SUBMISSION__": str(klass / "honest-solution" / lab.answer_files[0]),
                    "__GRADER_PID__": str(os.getpid()), "__PORT__": str(listener.getsockname()[1])}
    for trick in _runnable_tricks():
        build(lab, trick, klass / trick, placeholders)
    kit_before = _digest_tree(Path(paths.KIT_ROOT) / "labs")
    class_before = _digest_tree(klass)
    batch = batch.grade(lab, [klass], batch.BatchOptions(out=out, device="cpu", jobs=2))
    try:
        connection = listener.accept()
    except BlockingIOError:
        connection = None
    listener.close()
    return {"lab": lab, "batch": batch, "alone": honest_alone, "out": out, "klass": klass,
            "class_before": class_before, "kit_before": kit_before, "connection": connection,
            "leftovers": _slot_processes({r["job_uid"] for r in batch.records if r["job_uid"] is not None})}


def _runnable_tricks() -> list[str]:
    if sandbox.job_uid_wanted(sandbox.best_tier()):
        return tricks()
    return [t for t in tricks() if t not in NEEDS_JOB_UID]


def _record(batch, student):
    return next(r for r in batch.records if r["student"] == student)


@pytest.mark.parametrize("trick", tricks())
def test_trick_earns_what_it_deserves(hostile_batch, trick, reference02):
    batch, lab = hostile_batch["batch"], hostile_batch["lab"]
    if trick in NEEDS_NAMESPACE and batch.tier != "namespace":
        pytest.skip(f"{trick} is defended only at the namespace tier (this machine: {batch.tier})")
    if trick not in _runnable_tricks():
        pytest.skip(f"{trick} is contained by a per-job uid, which jobs cannot get here (root-only Python or not root)")
    r = _record(batch, trick)
    if trick in FORGES_BEHAVIOURAL:
        bound = scoring.forgeable_points(lab, reference02)
    else:
        bound = MAY_EARN.get(trick, 0.0) * lab.points
    assert r["total"] <= bound + 1e-9, f"{trick} earned {r['total']} (allowed {bound}): {r['questions']}"
    for q in r["questions"]:
        if q["score"] < q["max"]:
            assert q["reason"], f"{trick}: {q['id']} lost points without a reason"


def test_honest_submissions_keep_their_scores(hostile_batch):
    alone = {r["student"]: r for r in hostile_batch["alone"].records}
    for student, rec in alone.items():
        mixed = _record(hostile_batch["batch"], student)
        assert [q["score"] for q in mixed["questions"]] == [q["score"] for q in rec["questions"]], student
    assert alone["honest-solution"]["total"] == hostile_batch["lab"].points
    assert alone["honest-stubs"]["total"] == 0


def test_no_submission_file_or_kit_file_was_modified(hostile_batch):
    assert _digest_tree(hostile_batch["klass"]) == hostile_batch["class_before"]
    assert _digest_tree(Path(paths.KIT_ROOT) / "labs") == hostile_batch["kit_before"]


def test_output_folder_holds_only_the_graders_files(hostile_batch):
    if "write_into_out" not in _runnable_tricks():
        pytest.skip("write_into_out needs a per-job uid here")
    out = hostile_batch["out"]
    assert not (out / "forged.txt").exists()
    forged = out / ".labkit" / "results" / "write_into_out.json"
    assert '"total": 10,' not in forged.read_text()


def test_no_process_survives_the_batch(hostile_batch):
    assert hostile_batch["leftovers"] == [], "processes of job uids outlived the batch"


def test_no_network_reaches_the_grader(hostile_batch):
    if hostile_batch["batch"].tier != "namespace":
        pytest.skip("the rlimits tier does not cut the network")
    assert hostile_batch["connection"] is None


def test_tampering_with_the_channel_is_flagged(hostile_batch):
    r = _record(hostile_batch["batch"], "forged_channel")
    assert r["total"] == 0
    assert r["integrity"], "forged result lines should be recorded as an integrity event"


def test_grader_secrets_stay_out_of_the_worker(lab02_fast, monkeypatch, tmp_path):
    monkeypatch.setenv("LABKIT_TEST_SECRET", "s3cr3t-token-4242")
    sub = build(lab02_fast, "detect_grader_env", tmp_path / "env", {})
    job = runner.Job(lab02_fast, {lab02_fast.answer_files[0]: (sub / lab02_fast.answer_files[0]).read_text()},
                     "grade", device="cpu", include_hidden=False)
    result = runner.run(job)
    assert "ENVIRONMENT SEEN" in result.output_tail
    assert "s3cr3t-token-4242" not in result.output_tail
