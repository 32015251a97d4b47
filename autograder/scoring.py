"""Outcomes -> questions -> points, in the grader's process. The scoring rule, stated once:

1. Only hidden tests score; they run in the learner's worker and only record values (autograder.channel).
2. A hidden test EARNS its weight when the reference run recorded at least one value there that is compared
   with the reference (close / equal / accuracy), and the submission passes it: its worker reported the test
   passed, and every value the reference recorded matches (properties, `same` and `bound`, are judged here on
   the learner's recorded values, with the reference run's tolerances and limits).
3. A hidden test whose reference run recorded no compared value is a GATE: failing it withholds points, passing
   it earns none (what the learner's process reports about itself can be forged, so it never earns).
4. A question's points are shared by its earning tests' weights (lab.toml `weights`, default 1 each); any
   failed test of the question, earning or gate, caps it at half its points: a bug that is wrong on a class of
   valid inputs costs at least half of the question. A failed `required` test (a ban, a contract) scores it 0,
   and so does a name the question `forbid`s in the answer's text (read by the grader: autograder.submission).
Suite questions are scored by planted bugs (autograder.suites), static ones by the grader's reading of the text.

Messages of hidden tests come from the grader: its own comparison summary, or facts from the worker that
cannot carry hidden bytes (an exception's type name and the answer file line); an author's assertion text is
shown only when it is a string literal of the hidden test file itself.
"""
from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

from . import channel, suites, threadsafe
from .manifest import Lab, Question
from .record import QuestionResult, TestResult, public_test_id
from .runner import RunResult, TestOutcome

CAP = 0.5  # the most a question keeps once any of its checks fails
TYPE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]{0,79}$")


def earns(ref: TestOutcome) -> bool:
    return any(isinstance(v, dict) and v.get("kind") in channel.COMPARED for v in ref.values)


def decide(ref: TestOutcome, got: TestOutcome | None, lab: Lab | None = None) -> tuple[bool, str]:
    """Pass/fail of one hidden test: the worker's own outcome AND every value the reference recorded, judged here."""
    if got is None:
        return False, "this test did not report a result"
    values = {v.get("name"): v for v in got.values if isinstance(v, dict) and v.get("kind") != channel.SERIES}
    for rec in ref.values:
        if not isinstance(rec, dict) or rec.get("kind") == channel.SERIES:
            continue
        mine = values.get(rec["name"])
        if mine is None and got.outcome != "passed":
            break  # the test stopped before this value: why it stopped says more
        if mine is not None and mine.get("kind") != rec["kind"]:
            return False, f"{rec['name']}: recorded as {str(mine.get('kind'))[:20]}, not {rec['kind']}"
        truth = channel.Value.of(rec, "truth_npy") if rec["kind"] == "accuracy" else None
        reason = channel.judge(mine, rec, truth)
        if reason:
            return False, reason
    if got.outcome != "passed":
        return False, hidden_message(got, lab)
    return True, ""


ANSWER_UNUSABLE = "an answer could not be used (a missing name, or an answer file that does not import)"


def hidden_message(t: TestOutcome, lab: Lab | None) -> str:
    """A failed hidden test's message, rebuilt in the grader from facts that cannot carry hidden bytes."""
    fact = t.failure if isinstance(t.failure, dict) else {}
    kind = fact.get("kind")
    where = _where(fact.get("where"), lab)
    at = f" (in {where})" if where else ""
    if kind == "timeout":  # pytest-timeout, inside the worker: the answer's line it was stuck on
        return "timed out (the question's time limit)" + at
    if "timed out" in t.message or t.message.startswith(("the worker ", "not run: ")):
        return t.message if t.message.startswith(("the worker ", "not run: ")) else "timed out"
    if kind == "not_implemented":
        return "not implemented yet" + at
    if kind == "memory":
        return "ran out of memory (MemoryError)" + at
    if kind == "lab":
        return "a lab error in a hidden test (tell your instructor)"
    if kind == "answer":
        return ANSWER_UNUSABLE
    if kind == "check":
        text = str(fact.get("text", "")).strip()
        first = text.splitlines()[0] if text else ""
        return first if first and lab is not None and first in _literals(lab) else "a hidden check failed"
    if kind == "exception":
        name = str(fact.get("type", ""))
        return f"raised {name if TYPE_NAME.match(name) else 'an exception'}{at}"
    return "a hidden check failed"


def _where(where, lab: Lab | None) -> str:
    """'linear_models.py, line 36' when the fact names an answer file and a line, else ''."""
    if not isinstance(where, str) or ":" not in where or lab is None:
        return ""
    name, _, line = where.rpartition(":")
    return f"{name}, line {int(line)}" if name in lab.answer_files and line.isdigit() and len(line) < 7 else ""


@functools.lru_cache(maxsize=32)
def _literal_cache(folder: Path, stamp: tuple) -> frozenset[str]:
    found = set()
    for f in sorted(folder.rglob("test_*.py")):
        try:
            with threadsafe.AST_LOCK:
                tree = ast.parse(f.read_text())
        except (OSError, SyntaxError, ValueError):
            continue
        found |= {n.value.strip().splitlines()[0] for n in ast.walk(tree)
                  if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.strip()}
    return frozenset(found)


def _literals(lab: Lab) -> frozenset[str]:
    """First lines of the string literals in the lab's hidden tests: an author's assertion messages."""
    folder = lab.hidden_tests
    if not folder.is_dir():
        return frozenset()
    stamp = tuple((f.name, f.stat().st_mtime) for f in sorted(folder.rglob("test_*.py")))
    return _literal_cache(folder, stamp)


def scored_tests(lab: Lab, q: Question, reference: RunResult) -> list[TestOutcome]:
    """The reference's passed hidden tests of q: the tests that decide its points."""
    return [t for tid, t in sorted(reference.tests.items())
            if t.outcome == "passed" and tid.startswith("hidden/") and q.decides(tid)]


def score(lab: Lab, reference: RunResult, run: RunResult | None, static: dict[str, str],
          suite_result: suites.SuiteResult | None = None,
          read_checks: dict[str, list] | None = None) -> list[QuestionResult]:
    """static: question id -> reason decided before running (syntax error, missing symbol, unreadable file).

    read_checks: static question id -> its checks (autograder.static), made in the grader from the text.
    """
    out = []
    for q in lab.questions:
        if q.is_suite:
            out.append(_score_suite(q, suite_result, static))
        elif q.is_static:
            out.append(_score_static(q, (read_checks or {}).get(q.id), static))
        else:
            out.append(_score_tests(lab, q, reference, run, static))
    return out


def _score_tests(lab: Lab, q: Question, reference: RunResult, run: RunResult | None,
                 static: dict[str, str]) -> QuestionResult:
    tests: list[TestResult] = []
    seen: dict[str, int] = {}
    for ref in scored_tests(lab, q, reference):
        base = ref.id.split("[", 1)[0]
        seen[base] = seen.get(base, -1) + 1
        got = run.tests.get(ref.id) if run else None
        if q.id in static:
            ok, msg = False, static[q.id]
        else:
            ok, msg = decide(ref, got, lab)
        tests.append(TestResult(public_test_id(ref.id, seen[base]), ok, True, msg, q.weight(ref.id), earns(ref),
                                _series(got)))
    earning = [t for t in tests if t.earns]
    total = sum(t.weight for t in earning)
    fraction = sum(t.weight for t in earning if t.passed) / total if total else 0.0
    if not all(t.passed for t in tests):
        fraction = min(fraction, CAP)
    if any(not t.passed and t.name.split("[")[0] in q.required for t in tests):
        fraction = 0.0
    pts = round(q.points * fraction, 4)
    first_fail = next((t for t in tests if not t.passed), None)
    reason = static.get(q.id) or (first_fail.message if first_fail else "")
    if reason == ANSWER_UNUSABLE and run and run.import_problems:  # say which file and why (type and line only)
        reason = "; ".join(sorted(run.import_problems.values()))[:500]
    if not earning and q.id not in static:
        reason = "no hidden test of this question compared a value (a lab error)"
        pts = 0.0
    return QuestionResult(q.id, q.title, pts, q.points, reason, q.hint if pts < q.points else "", tests)


def _series(t: TestOutcome | None, limit: int = 4) -> list[dict]:
    """The submission's own plot data as plain lists (1-D or 2-D floats, capped); anything else is dropped."""
    out = []
    for v in (t.values if t is not None else [])[:64]:
        if not (isinstance(v, dict) and v.get("kind") == channel.SERIES):
            continue
        arr = channel.decode_array(v.get("npy")) if isinstance(v.get("npy"), str) else None
        if arr is None or arr.dtype.kind not in "biuf" or arr.ndim not in (1, 2) or not 0 < arr.size <= 10_000:
            continue
        out.append({"name": str(v.get("name"))[:80], "plot": str(v.get("plot", "line"))[:20],
                    "values": arr.astype(float).tolist()})
        if len(out) == limit:
            break
    return out


def _score_suite(q: Question, suite_result, static: dict[str, str]) -> QuestionResult:
    if q.id in static or suite_result is None:
        return QuestionResult(q.id, q.title, 0.0, q.points, static.get(q.id, "your tests were not run"), q.hint)
    fraction, reason, checks = suites.score_question(q, suite_result)
    pts = round(q.points * fraction, 4)
    tests = [TestResult(cid, ok, True, msg) for cid, ok, msg in checks]
    return QuestionResult(q.id, q.title, pts, q.points, "" if pts >= q.points else reason,
                          q.hint if pts < q.points else "", tests)


def _score_static(q: Question, checks, static: dict[str, str]) -> QuestionResult:
    if q.id in static or not checks:
        return QuestionResult(q.id, q.title, 0.0, q.points, static.get(q.id, "not checked"), q.hint)
    passed = sum(ok for _, ok, _ in checks)
    pts = round(q.points * passed / len(checks), 4)
    reason = next((msg for _, ok, msg in checks if not ok), "")
    tests = [TestResult(f"{q.file}::{cid}", ok, False, msg) for cid, ok, msg in checks]
    return QuestionResult(q.id, q.title, pts, q.points, reason, q.hint if pts < q.points else "", tests)


def unscored_questions(lab: Lab, reference: RunResult) -> list[str]:
    """Questions of kind 'tests' with no earning hidden test in the reference run: the lab cannot grade them."""
    return [q.id for q in lab.questions if q.runs_our_tests and not any(earns(t) for t in scored_tests(lab, q, reference))]
