"""Outcomes -> questions -> points. Partial credit by test weight; the reference run defines which tests count."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from . import verdict
from .manifest import Lab
from .runner import RunResult


@dataclass
class TestScore:
    id: str
    passed: bool
    hidden: bool
    message: str = ""
    weight: float = 1.0


@dataclass
class QuestionScore:
    id: str
    title: str
    score: float
    max: float
    status: str  # passed | partial | failed
    reason: str = ""
    hint: str = ""
    tests: list[TestScore] = field(default_factory=list)


def score(lab: Lab, reference: RunResult, run: RunResult | None, static: dict[str, str]) -> list[QuestionScore]:
    """static: question id -> reason decided before running (syntax error, missing symbol, unreadable file)."""
    counted = {tid: t for tid, t in reference.tests.items() if t.outcome == "passed"}
    out = []
    for q in lab.questions:
        ids = sorted(t for t in counted if q.decides(t))
        tests = []
        for tid in ids:
            if q.id in static:
                ok, msg = False, static[q.id]
            else:
                ok, msg = verdict.decide(counted[tid], run.tests.get(tid) if run else None)
            tests.append(TestScore(tid, ok, tid.startswith("hidden/"), msg, q.weight(tid)))
        total = sum(t.weight for t in tests)
        earned = sum(t.weight for t in tests if t.passed)
        pts = round(q.points * earned / total, 4) if total else 0.0
        status = "passed" if tests and earned == total else "partial" if earned > 0 else "failed"
        first_fail = next((t for t in tests if not t.passed), None)
        reason = static.get(q.id) or (first_fail.message if first_fail else "")
        out.append(QuestionScore(q.id, q.title, pts, q.points, status, reason, q.hint if status != "passed" else "",
                                 tests))
    return out


def as_dict(scores: list[QuestionScore]) -> list[dict]:
    return [asdict(s) for s in scores]


def forgeable_points(lab: Lab, reference: RunResult) -> float:
    """Points that rest only on in-worker assertions (tests that record no value for the grader).

    A submission that patches the worker's own reporting could forge exactly these, so labs keep them small.
    """
    total = 0.0
    for q in lab.questions:
        tests = [t for tid, t in reference.tests.items() if t.outcome == "passed" and q.decides(tid)]
        weight = sum(q.weight(t.id) for t in tests)
        blind = sum(q.weight(t.id) for t in tests if not t.values)
        total += q.points * blind / weight if weight else 0.0
    return round(total, 4)
