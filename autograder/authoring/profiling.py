"""Where the time goes when one submission is graded: start-up and framework imports, answer imports, test
collection, and each test (setup, call, teardown: fixtures that load data count in the test that first uses
them), so a lab author sees what their hidden tests cost against the lab's time limit.

    labkit profile 06                       # the solution
    labkit profile 06 submissions/alice     # any submission
    labkit validate 06 --profile            # validation, then the solution's profile

The phases come from the worker's own events on the result channel (import, imported, collected, start,
report), timed as the grader receives them; per-test seconds are pytest's (setup + call + teardown).
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

from .. import hidden_data, runner
from ..manifest import Lab

@dataclass
class TestTime:
    __test__ = False
    id: str
    question: str
    hidden: bool
    seconds: float
    outcome: str


@dataclass
class Profile:
    lab: str
    subject: str
    tier: str
    device: str
    seconds: float
    time_limit: float
    phases: list[tuple[str, float]] = field(default_factory=list)  # (phase, seconds), in order
    tests: list[TestTime] = field(default_factory=list)
    restarts: int = 0
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)

    def by_question(self) -> list[dict]:
        rows = {}
        for t in self.tests:
            r = rows.setdefault(t.question, {"question": t.question, "tests": 0, "public_s": 0.0, "hidden_s": 0.0})
            r["tests"] += 1
            r["hidden_s" if t.hidden else "public_s"] += t.seconds
        return list(rows.values())


def profile(lab: Lab, sources: dict[str, str], subject: str = "solution", device: str = "cpu",
            tier: str | None = None, broken: dict[str, str] | None = None) -> Profile:
    """Grade `sources` once (the hidden tests, in the sandbox, as at grading) and split the wall time into phases."""
    events: list[tuple[float, str, str]] = []

    def seen(at: float, ev: dict) -> None:
        events.append((at, str(ev.get("ev")), str(ev.get("id", ev.get("stem", "")))))

    started = time.monotonic()
    run = runner.run(runner.Job(lab, dict(sources), "grade", device=device, tier=tier, broken=dict(broken or {}),
                                include_public=False, hidden_data=hidden_data.build(lab), on_event=seen))
    ended = time.monotonic()
    return _phases(lab, subject, device, run, events, started, ended)


def _phases(lab: Lab, subject: str, device: str, run: runner.RunResult, events, started: float, ended: float) -> Profile:
    prof = Profile(lab.id, subject, run.tier, device, round(ended - started, 3), lab.time_limit, restarts=run.restarts,
                   notes=list(run.notes))
    names = ", ".join(lab.frameworks) or "numpy, pytest"
    first = next((t for t, kind, _ in events if kind in ("import", "collected", "start")), None)
    phases: list[tuple[str, float]] = []
    if first is not None:
        phases.append((f"worker start + framework imports ({names})", first - started))
    mark = first
    opened: dict[str, float] = {}
    for t, kind, ident in events:
        if kind == "import":
            opened[ident] = t
        elif kind in ("imported", "import_failed") and ident in opened:
            phases.append((f"answer import {ident}.py" + (" (failed)" if kind == "import_failed" else ""),
                           t - opened.pop(ident)))
            mark = t
        elif kind == "collected":
            if mark is not None:
                phases.append(("test collection (test modules, module-level data)", t - mark))
            break
    starts: dict[str, float] = {}
    test_wall = 0.0
    last_report = None
    for t, kind, ident in events:
        if kind == "start":
            starts[ident] = t
        elif kind == "report" and ident in starts:
            test_wall += t - starts.pop(ident)
            last_report = t
    if run.tests:
        phases.append((f"tests ({len(run.tests)}: setup + call + teardown)", test_wall))
    if last_report is not None:
        phases.append(("pytest finish, worker exit, clean-up", ended - last_report))
    accounted = sum(s for _, s in phases)
    rest = prof.seconds - accounted
    if rest > 0.05 or run.restarts:
        phases.append(("other (between tests; restarts: %d)" % run.restarts, max(rest, 0.0)))
    prof.phases = [(name, round(s, 3)) for name, s in phases]
    for tid, t in sorted(run.tests.items()):
        q = lab.question_of(tid)
        prof.tests.append(TestTime(tid, q.id if q else "-", tid.startswith("hidden/"), round(t.duration, 3),
                                   t.outcome))
    if run.collected is None:
        prof.notes.append("the tests were never collected: " + (run.output_tail.strip().splitlines() or ["no output"])[-1])
    return prof


def print_profile(console, prof: Profile, slowest: int = 8) -> None:
    from rich.table import Table

    table = Table(title=f"profile {prof.lab}: {prof.subject} ({prof.seconds:.2f} s of the lab's "
                        f"{prof.time_limit:g} s limit; isolation {prof.tier}, device {prof.device})")
    table.add_column("phase")
    table.add_column("seconds", justify="right")
    table.add_column("share", justify="right")
    for name, s in prof.phases:
        table.add_row(name, f"{s:.2f}", f"{s / prof.seconds:.0%}" if prof.seconds else "")
    console.print(table)
    per_q = Table(title="tests by question (pytest seconds)")
    for col in ("question", "tests", "public s", "hidden s"):
        per_q.add_column(col, justify="right" if col != "question" else "left")
    for r in prof.by_question():
        per_q.add_row(r["question"], str(r["tests"]), f"{r['public_s']:.2f}", f"{r['hidden_s']:.2f}")
    console.print(per_q)
    top = sorted(prof.tests, key=lambda t: -t.seconds)[:slowest]
    if top:
        slow = Table(title=f"slowest {len(top)} tests")
        for col in ("test", "question", "seconds", "outcome"):
            slow.add_column(col, overflow="fold")
        for t in top:
            slow.add_row(t.id, t.question, f"{t.seconds:.2f}", t.outcome)
        console.print(slow)
    for note in prof.notes:
        console.print(f"note: {note}")
