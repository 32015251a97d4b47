"""`labkit check`: the student's loop. Public tests only, in a sandboxed worker, with a table and hints.

One-shot checks start a cold worker that imports only what the tests import (a warm pool costs more to start
than it saves once); `--watch` keeps a warm worker and checks again on every save, in well under a second.
The table says which file was checked (the .py or the notebook's answer cells) and maps failures in notebook
code to the cell they came from.
"""
from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import notebook, runner, submission, suites
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
    seconds: float  # wall time of the whole check, worker start included
    checked: dict[str, str] = field(default_factory=dict)  # answer file -> the file its code was read from

    @property
    def all_passed(self) -> bool:
        return all(q.passed == q.total and q.total > 0 for q in self.questions)


def check(lab: Lab, path: Path, questions: list[str]) -> CheckResult:
    started = time.monotonic()
    result = check_sources(lab, submission.load(lab, "you", Path(path), stub_sources(lab)), questions)
    result.seconds = time.monotonic() - started
    return result


def check_sources(lab: Lab, sub: submission.Submission, questions: list[str]) -> CheckResult:
    started = time.monotonic()
    broken = {Path(f).stem: reason for f, reason in sub.problems.items()}
    chosen = [q for q in lab.questions if not questions or q.id in questions]
    if any(not q.is_suite for q in chosen):
        run = runner.run(runner.Job(lab, sub.sources, "check", device="auto", include_hidden=False, broken=broken,
                                    questions=tuple(q.id for q in chosen) if questions else (),
                                    warm=os.environ.get("LABKIT_WARM") == "1"))
    else:
        run = runner.RunResult(collected=[])
    if any(q.is_suite for q in chosen):
        suite_run = _run_own_suites(lab, sub)
        run.tests.update(suite_run.tests)
        run.notes += suite_run.notes
    static = sub.missing_symbols(lab)
    out = []
    for q in chosen:
        tests = [t for tid, t in sorted(run.tests.items()) if q.decides(tid) and t.outcome != "skipped"]
        fails = [(t.id.split("::")[-1], locate(static.get(q.id) or t.message, sub)) for t in tests
                 if t.outcome != "passed"]
        if not tests and q.id in static:
            fails = [("(not run)", static[q.id])]
        out.append(QuestionCheck(q.id, q.title, len(tests) - len([f for f in fails if f[0] != "(not run)"]),
                                 len(tests), fails, q.hint if fails else ""))
    notes = list(run.notes) + sub.warnings
    if run.collected is None:
        notes.append("the tests could not start: " + (run.output_tail.strip().splitlines() or ["no output"])[-1])
    return CheckResult(out, notes, time.monotonic() - started, dict(sub.used))


_WHERE = re.compile(r"\(in (?P<file>[\w.-]+\.py), line (?P<line>\d+)\)")


def locate(message: str, sub: submission.Submission) -> str:
    """'(in linear_models.py, line 36)' -> '(in linear_models.ipynb, cell 7, line 3)' for answers from a notebook."""
    def where(m: re.Match) -> str:
        answer, line = m["file"], int(m["line"])
        source = sub.used.get(answer, answer)
        if not source.endswith(".ipynb") or answer not in sub.sources:
            return m.group(0)
        cell, in_cell = notebook.locate(sub.sources[answer], line)
        return f"(in {source}, {cell}, line {in_cell})" if cell else m.group(0)
    return _WHERE.sub(where, message)


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


def print_table(console, lab: Lab, result: CheckResult, verbose: bool = False) -> None:
    from rich.table import Table

    table = Table(title=f"{lab.id}: public checks")
    for col in ("question", "passed", "first failure", "hint"):
        table.add_column(col, overflow="fold")
    for q in result.questions:
        color = "green" if q.passed == q.total and q.total else "red"
        first = f"{q.failures[0][0]}: {q.failures[0][1]}" if q.failures else ""
        table.add_row(f"{q.id} {q.title}", f"[{color}]{q.passed}/{q.total}[/{color}]",
                      first if verbose else _cut(first), q.hint)
    console.print(table)
    if verbose:
        for q in result.questions:
            for name, why in q.failures[1:]:
                console.print(f"{q.id} {name}: {why}", markup=False)
    console.print(f"checked: {describe_checked(result.checked)}", markup=False)
    for note in result.notes:
        console.print(f"note: {note}", markup=False)
    if result.all_passed:
        console.print(f"[green]{NOT_ALL}[/green] ({result.seconds:.1f} s)")
    else:
        failed = sum(q.total - q.passed for q in result.questions)
        more = "" if verbose else "; -v shows whole messages"
        console.print(f"[red]{failed} public check(s) failed[/red] ({result.seconds:.1f} s{more})")


def _cut(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + " …"


def describe_checked(checked: dict[str, str]) -> str:
    parts = [f"{src} (its answer cells)" if src.endswith(".ipynb") else src if src == answer else f"{src} (as {answer})"
             for answer, src in checked.items()]
    return ", ".join(parts) or "no answer file"


def watch(console, lab: Lab, path: Path, questions: list[str], verbose: bool, interval: float = 0.5) -> None:
    """Check, then check again whenever an answer file changes, with a warm worker; Ctrl-C stops."""
    os.environ.setdefault("LABKIT_WARM", "1")
    seen = None
    try:
        while True:
            stamp = _stamps(lab, Path(path))
            if stamp != seen:
                seen = stamp
                result = check(lab, path, questions)
                print_table(console, lab, result, verbose)
                console.print(f"watching {path} for changes (Ctrl-C stops)")
            time.sleep(interval)
    except KeyboardInterrupt:
        console.print("stopped watching")


def _stamps(lab: Lab, path: Path) -> tuple:
    names = {Path(f).stem for f in lab.answer_files}
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.suffix in (".py", ".ipynb")
                                           and p.stem in names and ".ipynb_checkpoints" not in p.parts]
    out = []
    for p in sorted(files):
        try:
            st = p.stat()
            out.append((str(p), st.st_mtime_ns, st.st_size))
        except OSError:
            continue
    return tuple(out)


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
    lines.append(f"checked: {describe_checked(result.checked)}")
    lines += [f"note: {n}" for n in result.notes]
    lines.append(NOT_ALL if result.all_passed else
                 f"{sum(q.total - q.passed for q in result.questions)} public check(s) failed")
    return "\n".join(lines) + "\n"
