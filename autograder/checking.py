"""`labkit check`: the student's loop. Public tests only, in a worker process, with a table and hints."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import runner, submission, suites
from .manifest import Lab
from .sources import stub_sources

NOT_ALL = "public checks passed; hidden tests run at grading"


@dataclass
class QuestionCheck:
    id: str
    title: str
    passed: int
    total: int
    failures: list[tuple[str, str]] = field(default_factory=list)
    hint: str = ""


@dataclass
class CheckResult:
    questions: list[QuestionCheck]
    notes: list[str]
    seconds: float

    @property
    def all_passed(self) -> bool:
        return all(q.passed == q.total and q.total > 0 for q in self.questions)


def check(lab: Lab, path: Path, questions: list[str]) -> CheckResult:
    return check_sources(lab, submission.load(lab, "you", Path(path), stub_sources(lab)), questions)


def check_sources(lab: Lab, sub: submission.Submission, questions: list[str]) -> CheckResult:
    broken = {Path(f).stem: reason for f, reason in sub.problems.items()}
    chosen = [q for q in lab.questions if not questions or q.id in questions]
    if any(not q.is_suite for q in chosen):
        run = runner.run(runner.Job(lab, sub.sources, "check", device="auto", include_hidden=False, broken=broken,
                                    questions=tuple(q.id for q in chosen) if questions else ()))
    else:
        run = runner.RunResult(collected=[])
    if any(q.is_suite for q in chosen):
        suite_run = _run_own_suites(lab, sub)
        run.tests.update(suite_run.tests)
        run.notes += suite_run.notes
        run.seconds += suite_run.seconds
    static = sub.missing_symbols(lab)
    out = []
    for q in chosen:
        tests = [t for tid, t in sorted(run.tests.items()) if q.decides(tid) and t.outcome != "skipped"]
        fails = [(t.id.split("::")[-1], static.get(q.id) or t.message) for t in tests if t.outcome != "passed"]
        passed = len(tests) - len(fails)
        out.append(QuestionCheck(q.id, q.title, passed, len(tests), fails, q.hint if fails else ""))
    notes = list(run.notes)
    if run.collected is None:
        notes.append("the tests could not start: " + (run.output_tail.strip().splitlines() or ["no output"])[-1])
    return CheckResult(out, notes, run.seconds)


def _run_own_suites(lab: Lab, sub: submission.Submission) -> runner.RunResult:
    """The learner's own tests against the code they were given or wrote (the planted bugs stay hidden)."""
    code = suites.implementation_sources(lab, learner=sub.sources)
    missing = [f for f in lab.implementation_files if f not in code]
    if missing:
        r = runner.RunResult()
        r.notes.append(f"your tests need {', '.join(missing)}, which is not in your submission")
        return r
    tests = {f: sub.sources[f] for f in lab.suite_files if f in sub.sources}
    r = runner.run(runner.Job(lab, code, "suite", device="auto", suite_tests=tests, coverage=tuple(code)))
    whose = 'your' if any(f in sub.sources for f in code) else 'the provided'
    r.notes = [f"your tests ran against {whose} {', '.join(code)}; at grading they also meet planted bugs"] + r.notes
    covered = suites.coverage_note(r, on=f"{whose} code")
    r.notes += [covered] if covered else []
    return r


def print_table(console, lab: Lab, result: CheckResult) -> None:
    from rich.table import Table

    table = Table(title=f"{lab.id}: public checks")
    for col in ("question", "passed", "first failure", "hint"):
        table.add_column(col, overflow="fold")
    for q in result.questions:
        color = "green" if q.passed == q.total and q.total else "red"
        first = f"{q.failures[0][0]}: {q.failures[0][1]}" if q.failures else ""
        table.add_row(f"{q.id} {q.title}", f"[{color}]{q.passed}/{q.total}[/{color}]", first[:300], q.hint)
    console.print(table)
    for note in result.notes:
        console.print(f"note: {note}")
    if result.all_passed:
        console.print(f"[green]{NOT_ALL}[/green] ({result.seconds:.1f} s)")
    else:
        failed = sum(q.total - q.passed for q in result.questions)
        console.print(f"[red]{failed} public check(s) failed[/red] ({result.seconds:.1f} s)")


def text_table(lab: Lab, result: CheckResult) -> str:
    """The same table as plain text, for notebooks and logs."""
    width = max(len(f"{q.id} {q.title}") for q in result.questions) if result.questions else 10
    lines = [f"{lab.id}: public checks", ""]
    for q in result.questions:
        mark = "ok  " if q.passed == q.total and q.total else "FAIL"
        lines.append(f"{mark} {q.id + ' ' + q.title:<{width}}  {q.passed}/{q.total}")
        for name, why in q.failures[:3]:
            lines.append(f"       {name}: {why}")
        if q.hint:
            lines.append(f"       hint: {q.hint}")
    lines += [f"note: {n}" for n in result.notes]
    lines.append(NOT_ALL if result.all_passed else
                 f"{sum(q.total - q.passed for q in result.questions)} public check(s) failed")
    return "\n".join(lines) + "\n"
