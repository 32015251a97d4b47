"""A batch: discover submissions, grade each in its own sandboxed worker, keep every result on disk.

Each finished submission is written atomically to <out>/.labkit/results/<student>.json at once, so a
batch killed at any point resumes (--resume) without grading a finished submission twice.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import __version__, reference, release, runner, sandbox, scoring, submission, suites
from . import static as static_questions
from .atomic import write_json
from .manifest import Lab


class IsolationError(RuntimeError):
    pass


@dataclass
class BatchOptions:
    out: Path
    jobs: int = 0
    device: str = "auto"
    resume: bool = False
    repeat: int = 1
    min_isolation: str | None = None
    tier: str | None = None
    cluster: str | None = None  # a Dask scheduler address, or "local": grade there (autograder.cluster)


@dataclass
class Batch:
    lab: Lab
    records: list[dict] = field(default_factory=list)
    tier: str = ""
    reused: int = 0


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def state_dir(out: Path) -> Path:
    d = Path(out) / ".labkit"
    d.mkdir(parents=True, exist_ok=True)
    d.chmod(0o700)  # reference values and raw results: never readable by a job's uid
    return d


def choose_tier(opts: BatchOptions) -> str:
    tier = opts.tier or sandbox.best_tier()
    if opts.min_isolation and sandbox.tier_rank(tier) < sandbox.tier_rank(opts.min_isolation):
        why = sandbox.unavailable_reason(opts.min_isolation) or "not selected"
        raise IsolationError(f"isolation tier {tier!r} is below the required {opts.min_isolation!r}: {why}")
    return tier


def input_digest(lab_digest: str, sub: submission.Submission, device: str) -> str:
    return hashlib.sha256(f"{lab_digest}|{sub.digest()}|{device}".encode()).hexdigest()


def grade_one(lab: Lab, sub: submission.Submission, ref: runner.RunResult, device: str, tier: str) -> dict:
    static = sub.missing_symbols(lab)
    broken = {Path(f).stem: reason for f, reason in sub.problems.items()}
    run = suite_run = None
    read_checks = {q.id: static_questions.run(lab, q, sub.sources) for q in lab.questions
                   if q.is_static and q.id not in static}
    if any(q.id not in static for q in lab.questions if q.runs_our_tests):
        run = runner.run(runner.Job(lab, sub.sources, "grade", device=device, tier=tier, broken=broken))
    if any(q.id not in static for q in lab.questions if q.is_suite):
        suite_run = suites.run(lab, {f: sub.sources[f] for f in lab.suite_files if f in sub.sources}, device, tier)
    if run is not None and run.tampering:
        why = f"the submission tampered with the grader's result channel ({run.tampering[0]})"
        static = {q.id: why for q in lab.questions}
    questions = scoring.score(lab, ref, run, static, suite_run, read_checks)
    return {
        "student": sub.student, "lab": lab.id, "origin": str(sub.origin), "answers_from": sub.used,
        "total": round(sum(q.score for q in questions), 4), "max": lab.points,
        "questions": scoring.as_dict(questions), "device": device, "isolation": tier,
        "seconds": round((run.seconds if run else 0.0) + (suite_run.seconds if suite_run else 0.0), 3), "job_uid": run.uid if run else None, "restarts": run.restarts if run else 0,
        "integrity": run.tampering[:5] if run else [],
        "notes": (run.notes if run else []) + ([f"output of {run.output_bytes} bytes was capped"]
                                                if run and run.output_bytes > runner.OUTPUT_TAIL else [])
                 + [n for n in [suites.reference_coverage(suite_run) if suite_run else ""] if n],
        "graded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "labkit": __version__,
    }


def grade_repeated(lab: Lab, sub: submission.Submission, ref: runner.RunResult, device: str, tier: str,
                   repeat: int = 1) -> dict:
    """The per-submission work of a batch (grade_one, `repeat` times), in a local thread or on a cluster worker."""
    record = grade_one(lab, sub, ref, device, tier)
    totals = [record["total"]]
    for _ in range(repeat - 1):
        totals.append(grade_one(lab, sub, ref, device, tier)["total"])
    record.update(repeat=repeat, repeat_totals=totals, flaky=len(set(totals)) > 1)
    if record["flaky"]:
        record["notes"].append(f"flaky: {repeat} gradings gave totals {totals}")
    return record


def grade(lab: Lab, paths: list[Path], opts: BatchOptions,
          on_progress: Callable[[dict], None] | None = None) -> Batch:
    tier = choose_tier(opts)
    state = state_dir(opts.out)
    results_dir = state / "results"
    results_dir.mkdir(exist_ok=True)
    ref = reference.cached_reference(lab, opts.device, state, tier)
    lab_digest = reference.lab_digest(lab, opts.device)
    stubs = release.stub_sources(lab)
    batch = Batch(lab, tier=tier)
    todo = []
    for student, path in submission.discover(lab, paths):
        sub = submission.load(lab, student, path, stubs)
        digest = input_digest(lab_digest, sub, opts.device)
        done = results_dir / f"{student}.json"
        if opts.resume and done.is_file():
            try:
                old = json.loads(done.read_text())
            except ValueError:
                old = {}
            if old.get("input_digest") == digest and old.get("repeat", 1) >= opts.repeat:
                batch.records.append(old)
                batch.reused += 1
                if on_progress:
                    on_progress(old)
                continue
        todo.append((sub, digest, done))
    jobs = opts.jobs or default_jobs()

    def keep(item, record):  # here, whoever graded it: one atomic file per student
        sub, digest, done = item
        record["input_digest"] = digest
        write_json(done, record, mode=0o600)
        return record

    def work(item):
        return keep(item, grade_repeated(lab, item[0], ref, opts.device, tier, opts.repeat))

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        if opts.cluster:  # the same per-submission work on a Dask cluster; results come back to keep()
            from . import cluster
            finished = (keep(item, record) for item, record in cluster.grade_each(
                opts.cluster, lab, lab_digest, ref, todo, opts.device, tier, opts.repeat, workers=opts.jobs))
        else:
            finished = (fut.result() for fut in as_completed([pool.submit(work, item) for item in todo]))
        for record in finished:
            batch.records.append(record)
            if on_progress:
                on_progress(record)
    batch.records.sort(key=lambda r: r["student"])
    return batch
