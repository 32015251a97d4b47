"""The reference run: the solution through the same public and hidden tests, in the same sandbox.

Its recorded values and tolerances are what submissions are compared with, in the grader's process.
It is cached (readable by the grader only) so a resumed batch does not pay for it again.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path

from . import __version__, runner, static
from .atomic import write_json
from .manifest import Lab
from .release import solution_sources
from .runner import RunResult, TestOutcome


class ReferenceError(RuntimeError):
    """The reference solution does not pass its own tests: the lab is broken, not the students."""


def lab_digest(lab: Lab, device: str) -> str:
    h = hashlib.sha256(f"{__version__}|{device}".encode())
    files = [lab.path / "lab.toml", *sorted(lab.public_tests.rglob("*.py")),
             *sorted((lab.solution / "hidden_tests").rglob("*.py")), *(lab.solution / f for f in lab.answer_files),
             *sorted({static.check_file(lab, q) for q in lab.questions if q.is_static})]
    for f in files:
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
    result = runner.run(runner.Job(lab, solution_sources(lab), "reference", device=device, tier=tier))
    failed = {t.id: t.message for t in result.tests.values() if t.outcome == "failed"}
    if failed or not result.tests or result.import_problems:
        details = "; ".join(f"{k}: {v}" for k, v in list(failed.items())[:5]) or "; ".join(
            result.import_problems.values()) or result.output_tail[-800:]
        raise ReferenceError(f"the reference solution of {lab.id} fails its own tests ({len(failed)} failed): {details}")
    return result


def check_static_questions(lab: Lab) -> None:
    """Each static question's checks load and pass on the solution (they run in the grader: fail early)."""
    sources = solution_sources(lab)
    for q in (q for q in lab.questions if q.is_static):
        try:
            failed = [msg for _, ok, msg in static.run(lab, q, sources) if not ok]
        except static.StaticCheckError as exc:
            raise ReferenceError(str(exc)) from exc
        if failed:
            raise ReferenceError(f"the reference solution of {lab.id} fails the checks of {q.id}: {failed[0]}")


def cached_reference(lab: Lab, device: str, cache_dir: Path | None, tier: str | None = None) -> RunResult:
    """The reference run, cached in cache_dir ($LABKIT_REFERENCE_CACHE, shared by many batches, wins)."""
    digest = lab_digest(lab, device)
    shared = os.environ.get("LABKIT_REFERENCE_CACHE")
    cache_dir = Path(shared) if shared else cache_dir
    path = cache_dir / f"reference-{lab.id}-{digest[:16]}.json" if cache_dir else None
    if path and path.is_file():
        return from_json(json.loads(path.read_text()))
    result = run_reference(lab, device, tier)
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.parent.chmod(0o700)
        write_json(path, to_json(result), mode=0o600)
    return result
