"""One submission, graded: static checks, the sandboxed run of the hidden tests, suite runs, the score.

The same work runs in a local batch thread, on a Dask worker (autograder.cluster), in `labkit validate` and in a
Jupyter kernel under nbgrader; it never raises for anything a submission does.
"""
from __future__ import annotations

import time
from pathlib import Path

from . import __version__, hidden_data, runner, scoring, submission, suites
from . import static as static_questions
from .manifest import Lab
from .plugin import CUDA_SKIP
from .record import GradeRecord


def grade_one(lab: Lab, sub: submission.Submission, ref: runner.RunResult, device: str, tier: str,
              only: tuple[str, ...] = ()) -> GradeRecord:
    """only: grade just these questions (validate's bug variants); the others score 0, "not graded"."""
    static = {**sub.forbidden(lab), **sub.missing_symbols(lab)}
    static |= {q.id: "not graded (only some questions were asked for)" for q in lab.questions if only and q.id not in only}
    broken = {Path(f).stem: reason for f, reason in sub.problems.items()}
    run = suite_run = None
    read_checks = {q.id: static_questions.run(lab, q, sub.sources) for q in lab.questions
                   if q.is_static and q.id not in static}
    if any(q.id not in static for q in lab.questions if q.runs_our_tests):
        run = runner.run(runner.Job(lab, sub.sources, "grade", device=device, tier=tier, broken=broken,
                                    include_public=False, hidden_data=hidden_data.build(lab), questions=tuple(only)))
    asked = [q for q in lab.questions if q.is_suite and q.id not in static]
    if asked:
        files = {q.file for q in asked} if only else set(lab.suite_files)
        suite_run = suites.run(lab, {f: sub.sources[f] for f in lab.suite_files if f in sub.sources and f in files},
                               device, tier, suites.variants_for(lab, asked) if only else None)
    if run is not None and run.tampering:
        why = f"the submission tampered with the grader's result channel ({run.tampering[0]})"
        static = {q.id: why for q in lab.questions}
    questions = scoring.score(lab, ref, run, static, suite_run, read_checks)
    notes = list(run.notes) if run else []
    if run and run.output_bytes > runner.OUTPUT_TAIL:
        notes.append(f"output of {run.output_bytes} bytes was capped")
    if suite_run:
        notes += [n for n in [suites.reference_coverage(suite_run)] if n]
    return GradeRecord(
        student=sub.student, lab=lab.id, total=round(sum(q.score for q in questions), 4), max=lab.points,
        questions=questions, origin=str(sub.origin), answers_from=dict(sub.used),
        device=run.device if run else runner.resolve_device(device, lab), isolation=tier,
        seconds=round((run.seconds if run else 0.0) + (suite_run.seconds if suite_run else 0.0), 3),
        job_uid=run.uid if run else None, restarts=run.restarts if run else 0,
        integrity=run.tampering[:5] if run else [], notes=notes, skipped=skipped_cases(ref),
        status="unreadable" if sub.unreadable else "graded",
        graded_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), labkit=__version__)


def skipped_cases(ref: runner.RunResult) -> dict[str, int]:
    """Test cases the reference run skipped (CUDA cases on a machine without a GPU): said in every report."""
    count = sum(t.outcome == "skipped" and t.message.startswith(CUDA_SKIP) for t in ref.tests.values())
    return {"CUDA cases (no GPU here, or --device cpu): not run, no points at stake": count} if count else {}


def grade_repeated(lab: Lab, sub: submission.Submission, ref: runner.RunResult, device: str, tier: str,
                   repeat: int = 1) -> GradeRecord:
    """The per-submission work of a batch (grade_one, `repeat` times), in a local thread or on a cluster worker."""
    record = grade_one(lab, sub, ref, device, tier)
    totals = [record.total]
    for _ in range(repeat - 1):
        totals.append(grade_one(lab, sub, ref, device, tier).total)
    record.repeat, record.repeat_totals, record.flaky = repeat, totals, len(set(totals)) > 1
    if record.flaky:
        record.notes.append(f"flaky: {repeat} gradings gave totals {totals}")
    return record
