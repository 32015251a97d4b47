"""The reference run: the solution through the hidden tests, in the same sandbox as any submission.

Its recorded values and tolerances are what submissions are compared with, in the grader's process; the
ground truth of hidden accuracy checks (autograder.hidden_data) is attached to its records here, so neither
ever enters a learner's worker. It is cached (readable by the grader only) so a resumed batch does not pay
for it again.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path

from . import __version__, channel, hidden_data, runner, scoring, static
from .atomic import write_json
from .errors import LabFileError, ReferenceFailure
from .manifest import Lab
from .runner import RunResult, TestOutcome
from .sources import solution_sources


def lab_files(lab: Lab) -> list[Path]:
    """Every file that decides how a submission of this lab is graded."""
    return [lab.path / "lab.toml", *sorted(lab.public_tests.rglob("*.py")), *sorted(lab.hidden_tests.rglob("*.py")),
            *(lab.solution / f for f in lab.answer_files), *sorted({static.check_file(lab, q) for q in lab.questions
                                                                   if q.is_static}),
            *([hidden_data.source(lab)] if hidden_data.source(lab).is_file() else [])]


def lab_digest(lab: Lab, device: str) -> str:
    h = hashlib.sha256(f"{__version__}|{device}".encode())
    for f in lab_files(lab):
        h.update(str(f.name).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def to_json(result: RunResult) -> dict:
    return asdict(result)


def from_json(data: dict) -> RunResult:
    tests = {k: TestOutcome(**v) for k, v in data.pop("tests").items()}
    return RunResult(tests=tests, **data)


def run_reference(lab: Lab, device: str = "auto", tier: str | None = None) -> RunResult:
    check_static_questions(lab)
    if not any(q.runs_our_tests for q in lab.questions):  # only suite (wheats, chaffs) and static questions
        return RunResult(tier=tier or "")
    data = hidden_data.build(lab)
    result = runner.run(runner.Job(lab, solution_sources(lab), "reference", device=device, tier=tier,
                                   include_public=False, hidden_data=data))
    failed = {t.id: t.message for t in result.tests.values() if t.outcome == "failed"}
    if failed or not result.tests or result.import_problems:
        details = "; ".join(f"{k}: {_lab_reason(result.tests[k])}" for k in list(failed)[:5]) or "; ".join(
            result.import_problems.values()) or result.output_tail[-800:]
        raise ReferenceFailure(f"the reference solution of {lab.id} fails its own hidden tests "
                               f"({len(failed)} failed): {details}")
    _attach_truth(lab, result, data)
    unscored = scoring.unscored_questions(lab, result)
    if unscored:
        raise ReferenceFailure(f"{lab.id}: questions {', '.join(unscored)} have no hidden test that compares a value "
                               "with the reference (tests that only assert can withhold points, never earn them)")
    return result


def _lab_reason(t: TestOutcome) -> str:
    """The whole reason, for the lab's author: the reference run's messages are the kit's own, not a learner's."""
    fact = t.failure or {}
    text = fact.get("text") or t.message
    return f"{fact.get('type', '')}: {text}".strip(": ")[:400]


def _attach_truth(lab: Lab, result: RunResult, data: hidden_data.HiddenData) -> None:
    """Each hidden accuracy record gets its labels from the grader's hidden data; the reference must meet its minimum."""
    for t in result.tests.values():
        for rec in t.values:
            if rec.get("kind") != "accuracy":
                continue
            key = rec.get("truth")
            if key not in data.truth:
                raise LabFileError(f"{lab.id}: {t.id} names truth {key!r}, which solutions/{lab.id}/hidden_data.py "
                                   f"does not make (it makes {', '.join(data.truth) or 'none'})")
            rec["truth_npy"] = channel.encode_array(data.truth[key])
            reason = channel.judge(rec, rec, channel.Value.of(rec, "truth_npy"))
            if reason:
                raise ReferenceFailure(f"the reference solution of {lab.id} fails {t.id}: {reason}")


def check_static_questions(lab: Lab) -> None:
    """Each static question's checks load and pass on the solution (they run in the grader: fail early)."""
    sources = solution_sources(lab)
    for q in (q for q in lab.questions if q.is_static):
        failed = [msg for _, ok, msg in static.run(lab, q, sources) if not ok]
        if failed:
            raise ReferenceFailure(f"the reference solution of {lab.id} fails the checks of {q.id}: {failed[0]}")


def cached_reference(lab: Lab, device: str, cache_dir: Path | None, tier: str | None = None) -> RunResult:
    """The reference run, cached in cache_dir ($LABKIT_REFERENCE_CACHE, shared by many batches, wins)."""
    digest = lab_digest(lab, device)
    shared = os.environ.get("LABKIT_REFERENCE_CACHE")
    cache_dir = Path(shared) if shared else cache_dir
    path = cache_dir / f"reference-{lab.id}-{digest[:16]}.json" if cache_dir else None
    if path and path.is_file():
        try:
            return from_json(json.loads(path.read_text()))
        except (OSError, ValueError, TypeError):
            pass  # a damaged cache is only a cache: run the reference again
    result = run_reference(lab, device, tier)
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.parent.chmod(0o700)
        write_json(path, to_json(result), mode=0o600)
    return result
