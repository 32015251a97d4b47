"""Proof that a lab's tests discriminate: the solution scores full, the stubs zero, every mutant less."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from . import grade, mutants, reference, release, scoring, submission
from .manifest import Lab


@dataclass
class Verdict:
    subject: str  # solution | stubs | mutant:<name>
    expected: str
    total: float
    max: float
    ok: bool
    detail: str = ""


def _grade_sources(lab: Lab, ref, sources: dict[str, str], name: str, device: str, tier: str) -> dict:
    sub = submission.Submission(student=name, origin=lab.solution, sources=dict(sources))
    return grade.grade_one(lab, sub, ref, device, tier)


def validate(lab: Lab, device: str = "cpu", tier: str | None = None) -> list[Verdict]:
    out: list[Verdict] = []
    tier = tier or grade.sandbox.best_tier()
    try:
        ref = reference.cached_reference(lab, device, None, tier)
    except reference.ReferenceError as exc:
        return [Verdict("solution", "full marks", 0.0, lab.points, False, str(exc))]
    unscored = [s.id for s, q in zip(scoring.score(lab, ref, ref, {}), lab.questions) if not s.tests and q.runs_our_tests]
    sol = _grade_sources(lab, ref, release.solution_sources(lab), "solution", device, tier)
    detail = f"questions without counted tests: {', '.join(unscored)}" if unscored else _first_reason(sol)
    out.append(Verdict("solution", "full marks", sol["total"], lab.points, sol["total"] == lab.points and not unscored,
                       detail))
    stubs = _grade_sources(lab, ref, release.stub_sources(lab), "stubs", device, tier)
    out.append(Verdict("stubs", "zero", stubs["total"], lab.points, stubs["total"] == 0, _first_pass(stubs)))
    try:
        planted = mutants.load_all(lab)
    except mutants.MutantError as exc:
        return out + [Verdict("mutants", "load", 0.0, lab.points, False, str(exc))]
    if len(planted) < 4:
        out.append(Verdict("mutants", "at least 4", float(len(planted)), 4.0, False, "a lab needs 4 or more mutants"))
    with ThreadPoolExecutor(max_workers=grade.default_jobs()) as pool:
        graded = pool.map(lambda m: _grade_sources(lab, ref, m.sources, f"mutant-{m.name}", device, tier), planted)
        for m, r in zip(planted, graded):
            out.append(Verdict(f"mutant:{m.name}", "below full", r["total"], lab.points, r["total"] < lab.points,
                               m.description))
    return out


def _first_reason(record: dict) -> str:
    return next((f"{q['id']}: {q['reason']}" for q in record["questions"] if q["status"] != "passed"), "")


def _first_pass(record: dict) -> str:
    return next((f"{q['id']} scored {q['score']}" for q in record["questions"] if q["score"] > 0), "")

