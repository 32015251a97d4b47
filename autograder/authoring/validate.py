"""Proof that a lab's tests grade right: the solution scores full and passes its public tests, the stubs score zero,
every mutant loses points, every blind correct variant scores full and every blind bug loses points on its own
question. Everything is graded in one warm batch (the reference run is shared)."""
from __future__ import annotations

import ast
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from .. import reference, runner, submission, threadsafe
from ..errors import LabkitSetupError
from ..grading import grade_one
from ..isolation.sandbox import best_tier, default_jobs
from ..manifest import Lab
from ..record import GradeRecord
from ..sources import solution_sources, stub_sources
from . import mutants, variants


@dataclass
class Verdict:
    subject: str  # solution | public tests | stubs | mutant:<name> | correct:<name> | bug:<name>
    expected: str
    total: float
    max: float
    ok: bool
    detail: str = ""


@dataclass
class Summary:
    correct_full: int = 0
    correct: int = 0
    bugs_caught: int = 0
    bugs: int = 0
    needs_gpu: int = 0  # bugs that only a GPU can show, not checked on this machine


def summary(verdicts: list[Verdict]) -> Summary:
    s = Summary()
    for v in verdicts:
        if v.subject.startswith("correct:"):
            s.correct += 1
            s.correct_full += v.ok
        elif v.subject.startswith("bug:") and v.expected.startswith("needs"):
            s.needs_gpu += 1
        elif v.subject.startswith("bug:"):
            s.bugs += 1
            s.bugs_caught += v.ok
    return s


def validate(lab: Lab, device: str = "cpu", tier: str | None = None) -> list[Verdict]:
    tier = tier or best_tier()
    try:
        ref = reference.cached_reference(lab, device, None, tier)
        planted = mutants.load_all(lab)
        blind = variants.load_all(lab)
    except LabkitSetupError as exc:
        return [Verdict("lab", "gradable", 0.0, lab.points, False, str(exc))]
    # a bug variant must lose points on its own question: only that question's tests run for it. A mutant runs
    # first the tests of the questions whose symbols it changes (the whole lab if that does not show it)
    base = solution_sources(lab)
    subjects = [("solution", base, ()), ("stubs", stub_sources(lab), ()),
                *((f"mutant:{m.name}", m.sources, questions_changed(lab, base, m.sources)) for m in planted),
                *((f"{v.kind}:{v.name}", v.sources, (v.question,) if v.kind == "bug" else ()) for v in blind)]

    def grade(item):
        name, sources, only = item
        sub = submission.Submission(student=name, origin=lab.solution, sources=dict(sources))
        r = grade_one(lab, sub, ref, device, tier, only)
        if name.startswith("mutant:") and only and r.total >= sum(q.points for q in lab.questions if q.id in only):
            r = grade_one(lab, sub, ref, device, tier)
        return r

    with ThreadPoolExecutor(max_workers=default_jobs()) as pool:
        public = pool.submit(_public_tests, lab, device, tier)
        graded = dict(zip([s for s, _, _ in subjects], pool.map(grade, subjects)))
        public_failures = public.result()
    sol, stubs = graded["solution"], graded["stubs"]
    out = [Verdict("solution", "full marks", sol.total, lab.points, sol.total == lab.points, sol.first_problem),
           Verdict("public tests", "pass on the solution", float(not public_failures), 1.0, not public_failures,
                   "; ".join(public_failures[:3])),
           Verdict("stubs", "zero", stubs.total, lab.points, stubs.total == 0,
                   next((f"{q.id} scored {q.score:g}" for q in stubs.questions if q.score > 0), ""))]
    if len(planted) < 4:
        out.append(Verdict("mutants", "at least 4", float(len(planted)), 4.0, False, "a lab needs 4 or more mutants"))
    for m in planted:
        r = graded[f"mutant:{m.name}"]
        out.append(Verdict(f"mutant:{m.name}", "below full", r.total, lab.points, r.total < lab.points, m.description))
    for v in blind:
        out.append(_judge_variant(lab, v, graded[f"{v.kind}:{v.name}"]))
    return out


def questions_changed(lab: Lab, base: dict[str, str], changed: dict[str, str]) -> tuple[str, ...]:
    """The questions naming, in `symbols`, a top-level definition that differs between two sets of answer files
    (and the suite questions whose test file differs); () (every question) when a changed definition belongs to no
    question, or a file does not parse."""
    names: set[str] = set()
    suites = {q.file: q.id for q in lab.questions if q.is_suite}
    asked: set[str] = set()
    for f, text in changed.items():
        if base.get(f) == text:
            continue
        if f in suites:  # a learner's test file: its question
            asked.add(suites[f])
            continue
        try:
            with threadsafe.AST_LOCK:
                old, new = _definitions(base.get(f, "")), _definitions(text)
        except (SyntaxError, ValueError):
            return ()
        names |= {n for n in old.keys() | new.keys() if old.get(n) != new.get(n)}
    owned = {n for q in lab.questions for n in q.symbols}
    if not (names or asked) or names - owned:
        return ()
    return tuple(q.id for q in lab.questions if names & set(q.symbols) or q.id in asked)


def _definitions(source: str) -> dict[str, str]:
    """name -> the AST dump of each top-level statement that binds it (def, class, assignment)."""
    out = {}
    for node in ast.parse(source).body:
        targets = [node.name] if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else \
            [t.id for t in getattr(node, "targets", [getattr(node, "target", None)]) if isinstance(t, ast.Name)]
        for name in targets:
            out[name] = ast.dump(node)
    return out


def _judge_variant(lab: Lab, v: variants.Variant, r: GradeRecord) -> Verdict:
    if v.kind == "correct":
        return Verdict(f"correct:{v.name}", "full marks", r.total, lab.points, r.total == lab.points,
                       r.first_problem or v.description)
    if v.requires == "cuda" and r.device != "cuda":
        return Verdict(f"bug:{v.name}", "needs a GPU", 0.0, 0.0, True, f"not checkable here: {v.description}")
    q = r.question(v.question)
    return Verdict(f"bug:{v.name}", f"{q.id} below full", q.score, q.max, q.score < q.max, v.description)


def _public_tests(lab: Lab, device: str, tier: str) -> list[str]:
    """The solution passes every public test (what `labkit check` shows a learner who got everything right)."""
    if not any(q.runs_our_tests or q.is_static for q in lab.questions) or not lab.public_tests.is_dir():
        return []
    run = runner.run(runner.Job(lab, solution_sources(lab), "check", device=device, tier=tier, include_hidden=False))
    failed = [f"{t.id}: {t.message}" for t in run.tests.values() if t.outcome == "failed"]
    if run.collected is None:
        failed.append("the public tests could not start: " + (run.output_tail.strip().splitlines() or ["?"])[-1])
    return failed
