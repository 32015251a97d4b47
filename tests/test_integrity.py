"""Hostile submissions earn nothing, break nothing, learn nothing hidden and leave nothing behind.

One batch grades every trick of tests/hostile/ beside honest submissions; the honest ones must get exactly the
scores they get when graded alone. Tricks that leave an answer for a classmate are graded first, in a batch of
their own (the same warm worker pool serves both).
"""
from __future__ import annotations

import hashlib
import os
import re
import socket
import sys
import time
from pathlib import Path

import pytest

from autograder import batch, paths, runner, sources
from autograder.isolation import sandbox
from autograder.reports import gradebook
from corpus import MAY_EARN, NEEDS_JOB_UID, NEEDS_NAMESPACE, WRITERS, build, tricks

pytestmark = pytest.mark.slow


def _digest_tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


def _kit_files() -> dict[str, str]:
    """What a planted file would change: the kit's package, labs, and the venv's site-packages top level."""
    site = sorted(Path(sys.prefix).glob("lib/python3*/site-packages"))
    out = {f"autograder/{k}": v for k, v in _digest_tree(paths.PACKAGE).items() if "__pycache__" not in k}
    out |= {f"labs/{k}": v for k, v in _digest_tree(paths.LABS).items()}
    for s in site:
        out |= {f"site/{p.name}": "" for p in s.iterdir() if p.suffix in (".pth", ".py")}
    return out


def _honest(lab, folder: Path) -> Path:
    for name, texts in {"honest-solution": sources.solution_sources(lab),
                        "honest-stubs": sources.stub_sources(lab),
                        "honest-partial": {f: sources.strip_solutions(s, f, keep=2)
                                           for f, s in sources.solution_sources(lab).items()}}.items():
        (folder / name).mkdir(parents=True)
        for f, code in texts.items():
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


def _left_files(uids: set[int]) -> list[str]:
    """Files the jobs' uids own in the machine's shared scratch folders after the batch."""
    found = []
    for root in ("/tmp", "/var/tmp", "/dev/shm"):
        for folder, _, files in os.walk(root):
            for name in files:
                try:
                    if os.lstat(os.path.join(folder, name)).st_uid in uids:
                        found.append(os.path.join(folder, name))
                except OSError:
                    pass
    return found


def _ipc_segments(key: int) -> bool:
    import ctypes
    return ctypes.CDLL(None, use_errno=True).shmget(key, 0, 0) >= 0


@pytest.fixture(scope="module")
def hostile_batch(tmp_path_factory, lab02_fast):
    lab = lab02_fast
    base = tmp_path_factory.mktemp("hostile")
    alone = _honest(lab, base / "alone")
    honest_alone = batch.grade(lab, [alone], batch.BatchOptions(out=base / "alone-out", device="cpu", jobs=2))
    klass = _honest(lab, base / "class")
    out = base / "out"
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    placeholders = {"__KIT_ROOT__": str(paths.KIT_ROOT), "__OUT_DIR__": str(out),
                    "__OTHER_SUBMISSION__": str(klass / "honest-solution" / lab.answer_files[0]),
                    "__GRADER_PID__": str(os.getpid()), "__PORT__": str(listener.getsockname()[1])}
    writers = base / "writers"
    for trick in WRITERS & set(_runnable(["share_writer"])):
        build(lab, trick, writers / trick, placeholders)
    first = batch.grade(lab, [writers], batch.BatchOptions(out=base / "writers-out", device="cpu")) \
        if writers.is_dir() else None
    for trick in _runnable(tricks()):
        build(lab, trick, klass / trick, placeholders)
    kit_before = _kit_files()
    class_before = _digest_tree(klass)
    graded = batch.grade(lab, [klass], batch.BatchOptions(out=out, device="cpu", jobs=2))
    gradebook.write_all(out, lab, graded.records)
    book_before = (out / "gradebook.json").read_bytes()
    try:
        connection = listener.accept()
    except BlockingIOError:
        connection = None
    listener.close()
    uids = {r.job_uid for r in [*graded.records, *(first.records if first else [])] if r.job_uid is not None}
    leftovers = _slot_processes(uids)
    time.sleep(2.5)  # a daemon that survived would have rewritten the gradebook by now
    return {"lab": lab, "batch": graded, "alone": honest_alone, "out": out, "klass": klass, "writers": first,
            "class_before": class_before, "kit_before": kit_before, "connection": connection,
            "leftovers": leftovers, "left_files": _left_files(uids), "book_before": book_before}


def _runnable(names: list[str]) -> list[str]:
    tier = sandbox.best_tier()
    if sandbox.job_uid_wanted(tier):
        return names
    return [t for t in names if t not in NEEDS_JOB_UID]


def _record(graded, student):
    return next(r for r in graded.records if r.student == student)


@pytest.mark.parametrize("trick", tricks())
def test_trick_earns_nothing_and_says_why(hostile_batch, trick):
    graded, lab = hostile_batch["batch"], hostile_batch["lab"]
    if trick in NEEDS_NAMESPACE and graded.tier != "namespace":
        pytest.skip(f"{trick} is defended only at the namespace tier (this machine: {graded.tier})")
    if trick not in _runnable([trick]):
        pytest.skip(f"{trick} is contained by a per-job uid, which jobs cannot get here (root-only Python or not root)")
    r = _record(graded, trick)
    bound = MAY_EARN.get(trick, 0.0) * lab.points
    assert r.total <= bound + 1e-9, f"{trick} earned {r.total} (allowed {bound}): {r.questions}"
    for q in r.questions:
        if q.score < q.max:
            assert q.reason, f"{trick}: {q.id} lost points without a reason"


def test_honest_submissions_keep_their_scores(hostile_batch):
    alone = {r.student: r for r in hostile_batch["alone"].records}
    for student, rec in alone.items():
        mixed = _record(hostile_batch["batch"], student)
        assert [q.score for q in mixed.questions] == [q.score for q in rec.questions], student
    assert alone["honest-solution"].total == hostile_batch["lab"].points
    assert alone["honest-stubs"].total == 0


def test_the_writer_earned_its_points_and_left_nothing_for_the_reader(hostile_batch):
    if hostile_batch["writers"] is None:
        pytest.skip("the writer/reader pair needs a per-job uid here")
    assert hostile_batch["writers"].records[0].total == hostile_batch["lab"].points
    assert _record(hostile_batch["batch"], "share_reader").total == 0
    assert not _ipc_segments(0x1AB5), "a job's SysV segment outlived it"


def test_no_submission_file_or_kit_file_was_modified(hostile_batch):
    assert _digest_tree(hostile_batch["klass"]) == hostile_batch["class_before"]
    assert _kit_files() == hostile_batch["kit_before"], "a job planted or changed a file of the kit or the venv"
    assert not Path("/tmp/labkit-planted-ran").exists()


def test_output_folder_holds_only_the_graders_files(hostile_batch):
    out = hostile_batch["out"]
    assert (out / "gradebook.json").read_bytes() == hostile_batch["book_before"], "something rewrote the gradebook"
    if "write_into_out" not in _runnable(["write_into_out"]):
        pytest.skip("write_into_out needs a per-job uid here")
    assert not (out / "forged.txt").exists()
    forged = out / ".labkit" / "results" / "write_into_out.json"
    assert '"total": 10,' not in forged.read_text()


def test_nothing_survives_the_batch(hostile_batch):
    assert hostile_batch["leftovers"] == [], "processes of job uids outlived the batch"
    assert hostile_batch["left_files"] == [], "files of job uids outlived the batch"


def test_no_network_reaches_the_grader(hostile_batch):
    if hostile_batch["batch"].tier != "namespace":
        pytest.skip("the rlimits tier does not cut the network")
    assert hostile_batch["connection"] is None


def test_tampering_with_the_channel_is_flagged(hostile_batch):
    r = _record(hostile_batch["batch"], "forged_channel")
    assert r.total == 0
    assert r.integrity, "forged result lines should be recorded as an integrity event"


def test_no_feedback_file_carries_hidden_bytes(hostile_batch):
    lab = hostile_batch["lab"]
    secrets = set()
    for f in [*lab.hidden_tests.rglob("*.py"), lab.solution / "hidden_data.py"]:
        if f.is_file():
            secrets |= {line.strip() for line in f.read_text().splitlines() if len(line.strip()) >= 24}
    out = hostile_batch["out"]
    for page in [*out.glob("feedback/*"), *out.glob("gradescope/*/results.json"), out / "junit.xml",
                 out / "gradebook.json", out / "gradebook.csv"]:
        text = page.read_text()
        leaked = [s for s in secrets if s in text]
        assert not leaked, f"{page.name} carries hidden source: {leaked[:2]}"
    r = _record(hostile_batch["batch"], "leak_hidden_source")
    # only the exception's type and the answer's line reach the learner, never the text it chose
    shape = re.compile(r"(raised \w+( \(in linear_models\.py, line \d+\))?|a hidden check failed|importing .*)$")
    assert all(shape.match(q.reason) for q in r.questions), [q.reason for q in r.questions]


def test_grader_secrets_stay_out_of_the_worker(lab02_fast, monkeypatch, tmp_path):
    monkeypatch.setenv("LABKIT_TEST_SECRET", "s3cr3t-token-4242")
    sub = build(lab02_fast, "detect_grader_env", tmp_path / "env", {})
    job = runner.Job(lab02_fast, {lab02_fast.answer_files[0]: (sub / lab02_fast.answer_files[0]).read_text()},
                     "check", device="cpu", include_hidden=False, questions=("q1",))
    result = runner.run(job)
    assert "ENVIRONMENT SEEN" in result.output_tail
    assert "s3cr3t-token-4242" not in result.output_tail
