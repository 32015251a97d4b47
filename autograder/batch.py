"""A batch: a class's submissions graded into one output folder, which holds the class's gradebook.

The output folder is the class, not the run: each finished submission is written atomically to
<out>/.labkit/results/<student>.json as soon as it is graded, and the gradebook is every result there. Grading
one student again into the same folder replaces that student's row and keeps everyone else's; `--fresh` starts
the class over. A lock on the folder keeps two runs from writing it at once. A batch killed at any point resumes
(`--resume`) without grading a finished submission twice; Ctrl-C stops it at once and keeps what finished.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import socket
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from . import reference, runner, submission
from .atomic import write_json
from .errors import IsolationError, OutputError
from .grading import grade_repeated
from .isolation import sandbox
from .isolation.sandbox import default_jobs
from .manifest import Lab
from .record import GradeRecord, RecordError, safe_name
from .sources import stub_sources


@dataclass
class BatchOptions:
    out: Path
    jobs: int = 0
    device: str = "auto"
    resume: bool = False
    fresh: bool = False  # forget every earlier result in `out` first
    repeat: int = 1
    min_isolation: str | None = "namespace"
    unsafe_as_grader: bool = False  # let learner code run as root or as the grader's own uid
    tier: str | None = None
    cluster: str | None = None  # a Dask scheduler address, or "local": grade there (autograder.cluster)
    one: bool = False  # the one path given is one student's upload, whatever its layout (Gradescope)


@dataclass
class Batch:
    lab: Lab
    records: list[GradeRecord] = field(default_factory=list)  # the class: every student's latest result
    graded: list[str] = field(default_factory=list)  # students graded (or reused) by this run
    tier: str = ""
    reused: int = 0
    interrupted: bool = False
    pending: int = 0  # submissions this run did not finish (Ctrl-C)


def state_dir(out: Path) -> Path:
    d = Path(out) / ".labkit"
    try:
        d.mkdir(parents=True, exist_ok=True)
        d.chmod(0o700)  # reference values and raw results: never readable by a job's uid
    except FileExistsError:
        raise OutputError(f"--out {out}: not a folder") from None
    except OSError as exc:
        raise OutputError(f"--out {out}: cannot write there ({exc.strerror or exc})") from None
    return d


def choose_tier(opts: BatchOptions) -> str:
    """The isolation tier of this batch, or IsolationError: one line saying why and what to do."""
    tier = opts.tier or sandbox.best_tier()
    if opts.min_isolation and sandbox.tier_rank(tier) < sandbox.tier_rank(opts.min_isolation):
        why = sandbox.unavailable_reason(opts.min_isolation) or "not selected"
        raise IsolationError(f"isolation tier {tier!r} is below the required {opts.min_isolation!r}: {why}. "
                             f"{sandbox.HOW_TO_GET_NAMESPACES} (or pass --min-isolation rlimits to accept less)")
    risk = sandbox.runs_as_grader(tier)
    if risk and not opts.unsafe_as_grader:
        raise IsolationError(f"learner code would run {risk} at the {tier} tier; refusing. "
                             f"{sandbox.HOW_TO_GET_NAMESPACES} (or pass --unsafe-as-grader to accept the risk)")
    return tier


def check_private(tier: str, lab: Lab, opts: BatchOptions, paths: list[Path]) -> None:
    """At the rlimits tier the jobs see the machine's files: what is hidden must be unreadable by their uids."""
    if tier != "rlimits" or not sandbox.job_uid_wanted(tier) or opts.unsafe_as_grader:
        return
    for own in (lab.solution.parent, Path(opts.out)):  # the kit's hidden files and the grader's output: made private
        own.chmod(own.stat().st_mode & ~0o007)
    exposed = sandbox.readable_by_jobs([lab.solution.parent, Path(opts.out).resolve(), *map(Path, paths)])
    if exposed:
        raise IsolationError(f"at the rlimits tier every job could read {', '.join(map(str, exposed))}: make it "
                             f"private (chmod o-rwx) or grade at the namespace tier ({sandbox.HOW_TO_GET_NAMESPACES})")


def input_digest(lab_digest: str, sub: submission.Submission, device: str) -> str:
    return hashlib.sha256(f"{lab_digest}|{sub.digest()}|{device}".encode()).hexdigest()


@contextmanager
def locked(out: Path) -> Iterator[Path]:
    """The output folder's state dir, held exclusively: a second run says who holds it and stops."""
    state = state_dir(out)
    fd = os.open(state / "lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 300, 0).decode(errors="replace").strip() or "another process"
            raise OutputError(f"--out {out} is being written by another labkit run ({holder}); wait for it, "
                              "or use another --out") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}, since "
                      f"{time.strftime('%Y-%m-%d %H:%M:%S')}".encode(), 0)
        yield state
    finally:
        os.close(fd)  # closing releases the lock


def load_results(results: Path, lab: Lab) -> list[GradeRecord]:
    """Every stored result of this lab in a results folder (a damaged file is skipped, and regraded when seen)."""
    out = []
    for p in sorted(results.glob("*.json")) if results.is_dir() else []:
        try:
            rec = GradeRecord.from_json(json.loads(p.read_text()))
        except (OSError, ValueError, RecordError):
            continue
        if rec.lab != lab.id:
            raise OutputError(f"{results.parent.parent} holds results of lab {rec.lab}, not {lab.id}: use another "
                              "--out, or --fresh to start over")
        out.append(rec)
    return out


def grade(lab: Lab, paths: list[Path], opts: BatchOptions,
          on_progress: Callable[[GradeRecord], None] | None = None) -> Batch:
    tier = choose_tier(opts)
    with locked(opts.out) as state:
        check_private(tier, lab, opts, paths)
        results_dir = state / "results"
        if opts.fresh and results_dir.is_dir():
            shutil.rmtree(results_dir)
        results_dir.mkdir(exist_ok=True)
        ref = reference.cached_reference(lab, opts.device, state, tier)
        batch = Batch(lab, tier=tier)
        previous = {r.student: r for r in load_results(results_dir, lab)}
        todo = _todo(lab, paths, opts, batch, previous, results_dir, on_progress)
        _grade_all(lab, ref, todo, opts, tier, batch, on_progress)
        batch.records = sorted(load_results(results_dir, lab), key=lambda r: r.student)
        return batch


def _todo(lab, paths, opts, batch, previous, results_dir, on_progress) -> list[tuple]:
    lab_digest = reference.lab_digest(lab, opts.device)
    stubs = stub_sources(lab)
    todo = []
    found = [(submission.student_id(Path(paths[0])), Path(paths[0]))] if opts.one else submission.discover(lab, paths)
    for student, path in found:
        sub = submission.load(lab, student, path, stubs)  # never raises: an unreadable upload is a reason
        digest = input_digest(lab_digest, sub, opts.device)
        old = previous.get(student)
        batch.graded.append(student)
        if opts.resume and old is not None and old.input_digest == digest and old.repeat >= opts.repeat \
                and old.status != "error":
            batch.reused += 1
            if on_progress:
                on_progress(old)
            continue
        todo.append((sub, digest, results_dir / f"{safe_name(student)}.json"))
    return todo


def _grade_all(lab, ref, todo, opts, tier, batch, on_progress) -> None:
    def keep(item, record: GradeRecord) -> GradeRecord:  # here, whoever graded it: one atomic file per student
        sub, digest, done = item
        record.input_digest = digest
        write_json(done, record.to_json(), mode=0o600)
        if on_progress:
            on_progress(record)
        return record

    if opts.cluster:  # the same per-submission work on a Dask cluster; results come back to keep()
        from . import cluster
        for item, record in cluster.grade_each(opts.cluster, lab, reference.lab_digest(lab, opts.device), ref, todo,
                                               opts.device, tier, opts.repeat, workers=opts.jobs):
            keep(item, record)
        return
    runner.STOP.clear()
    pool = ThreadPoolExecutor(max_workers=opts.jobs or default_jobs())
    futures = {pool.submit(_grade_safely, lab, item[0], ref, opts.device, tier, opts.repeat): item for item in todo}
    kept = set()
    try:
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for fut in done:
                keep(futures[fut], fut.result())
                kept.add(fut)
    except KeyboardInterrupt:  # stop at once: queued work never starts, running jobs are killed, nothing half-kept
        runner.STOP.set()
        for fut in futures:
            fut.cancel()
        batch.interrupted = True
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        runner.STOP.clear()
    if batch.interrupted:
        for fut, item in futures.items():  # finished while we were stopping: kept like any other
            if fut not in kept and fut.done() and not fut.cancelled() and fut.exception() is None:
                keep(item, fut.result())
                kept.add(fut)
        batch.pending = len(futures) - len(kept)


def _grade_safely(lab, sub, ref, device, tier, repeat) -> GradeRecord:
    """grade_repeated, and if the grader itself fails on this submission, a record that says so (regraded next time)."""
    try:
        return grade_repeated(lab, sub, ref, device, tier, repeat)
    except runner.Interrupted:
        raise
    except Exception as exc:  # noqa: BLE001  (one submission never stops a batch, even through a bug of ours)
        return error_record(lab, sub, tier, f"the grader failed on this submission ({type(exc).__name__}: "
                                             f"{str(exc)[:200]}); it is graded again by the next run")


def error_record(lab: Lab, sub: submission.Submission, tier: str, why: str) -> GradeRecord:
    from .record import QuestionResult
    questions = [QuestionResult(q.id, q.title, 0.0, q.points, why, q.hint) for q in lab.questions]
    return GradeRecord(student=sub.student, lab=lab.id, total=0.0, max=lab.points, questions=questions,
                       origin=str(sub.origin), isolation=tier, notes=[why], status="error")
