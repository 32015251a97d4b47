"""Outcomes -> questions -> points. Partial credit by test weight; the reference run defines which tests count."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from . import suites, verdict
from .manifest import Lab
from .runner import RunResult, TestOutcome


@dataclass
class TestScore:
    id: str
    passed: bool
    hidden: bool
    message: str = ""
    weight: float = 1.0
    series: list[dict] = field(default_factory=list)  # plot data the test recorded (verdict.series), never scored


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


def score(lab: Lab, reference: RunResult, run: RunResult | None, static: dict[str, str],
          suite_result: suites.SuiteResult | None = None,
          read_checks: dict[str, list] | None = None) -> list[QuestionScore]:
    """static: question id -> reason decided before running (syntax error, missing symbol, unreadable file).

    read_checks: static question id -> its checks (autograder.static), made in the grader from the text.
    """
    counted = {tid: t for tid, t in reference.tests.items() if t.outcome == "passed"}
    out = []
    for q in lab.questions:
        if q.is_suite:
            out.append(_score_suite(q, suite_result, static))
            continue
        if q.is_static:
            out.append(_score_static(q, (read_checks or {}).get(q.id), static))
            continue
        ids = sorted(t for t in counted if q.decides(t))
        tests = []
        for tid in ids:
            if q.id in static:
                ok, msg = False, static[q.id]
            else:
                ok, msg = verdict.decide(_scored(counted[tid]), _scored(run.tests.get(tid) if run else None))
            tests.append(TestScore(tid, ok, tid.startswith("hidden/"), msg, q.weight(tid),
                                   _series(run.tests.get(tid) if run else None)))
        total = sum(t.weight for t in tests)
        earned = sum(t.weight for t in tests if t.passed)
        pts = round(q.points * earned / total, 4) if total else 0.0
        status = "passed" if tests and earned == total else "partial" if earned > 0 else "failed"
        first_fail = next((t for t in tests if not t.passed), None)
        reason = static.get(q.id) or (first_fail.message if first_fail else "")
        out.append(QuestionScore(q.id, q.title, pts, q.points, status, reason, q.hint if status != "passed" else "",
                                 tests))
    return out


def _is_series(v) -> bool:
    return isinstance(v, dict) and v.get("kind") == "series"


def _scored(t: TestOutcome | None) -> TestOutcome | None:
    """The outcome without its plot data: plots are shown, never compared."""
    return replace(t, values=[v for v in t.values if not _is_series(v)]) if t is not None else None


def _series(t: TestOutcome | None, limit: int = 4) -> list[dict]:
    """The submission's own plot data as plain lists (1-D or 2-D floats, capped); anything else is dropped."""
    out = []
    for v in (t.values if t is not None else [])[:64]:
        arr = verdict._array(v) if _is_series(v) else None
        if arr is None or arr.dtype.kind not in "biuf" or arr.ndim not in (1, 2) or not 0 < arr.size <= 10_000:
            continue
        out.append({"name": str(v.get("name"))[:80], "plot": str(v.get("plot", "line"))[:20],
                    "values": arr.astype(float).tolist()})
        if len(out) == limit:
            break
    return out


def _score_suite(q, suite_result, static: dict[str, str]) -> QuestionScore:
    if q.id in static or suite_result is None:
        reason = static.get(q.id, "your tests were not run")
        return QuestionScore(q.id, q.title, 0.0, q.points, "failed", reason, q.hint)
    fraction, reason, checks = suites.score_question(q, suite_result)
    pts = round(q.points * fraction, 4)
    status = "passed" if fraction == 1 else "partial" if fraction > 0 else "failed"
    tests = [TestScore(cid, ok, True, msg) for cid, ok, msg in checks]
    return QuestionScore(q.id, q.title, pts, q.points, status, "" if status == "passed" else reason,
                         q.hint if status != "passed" else "", tests)


def _score_static(q, checks, static: dict[str, str]) -> QuestionScore:
    if q.id in static or not checks:
        return QuestionScore(q.id, q.title, 0.0, q.points, "failed", static.get(q.id, "not checked"), q.hint)
    passed = sum(ok for _, ok, _ in checks)
    pts = round(q.points * passed / len(checks), 4)
    status = "passed" if passed == len(checks) else "partial" if passed else "failed"
    reason = next((msg for _, ok, msg in checks if not ok), "")
    tests = [TestScore(f"{q.file}::{cid}", ok, False, msg) for cid, ok, msg in checks]
    return QuestionScore(q.id, q.title, pts, q.points, status, reason, q.hint if status != "passed" else "", tests)


def as_dict(scores: list[QuestionScore]) -> list[dict]:
    return [asdict(s) for s in scores]


def forgeable_points(lab: Lab, reference: RunResult) -> float:
    """Points that rest only on in-worker assertions (tests that record no value for the grader).

    A submission that patches the worker's own reporting could forge exactly these, so labs keep them small.
    """
    total = 0.0
    for q in lab.questions:
        if not q.runs_our_tests:  # planted bugs the learner's code cannot tell apart, or text read by the grader
            continue
        tests = [t for tid, t in reference.tests.items() if t.outcome == "passed" and q.decides(tid)]
        weight = sum(q.weight(t.id) for t in tests)
        blind = sum(q.weight(t.id) for t in tests if not _scored(t).values)
        total += q.points * blind / weight if weight else 0.0
    return round(total, 4)
