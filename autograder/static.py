"""Static questions (kind = "static"): the grader reads the learner's files and never runs them.

For what can be decided from the text alone (a self-assessment that cites tests, a config, a declared
schema), running the learner's module would let it patch whatever checks it. Here an instructor's
function in solutions/<lab>/ receives the submission's sources as strings, in the grader's process,
and returns its checks; it must only parse (ast.parse, ast.literal_eval), never import or exec them.
"""
from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

from . import threadsafe
from .manifest import Lab, Question

Check = tuple[str, bool, str]  # (check id, passed, message the learner may read)


class StaticCheckError(RuntimeError):
    """The lab's check function is missing or broken: the lab is wrong, not the student."""


def check_file(lab: Lab, q: Question) -> Path:
    return lab.solution / f"{q.check.split(':')[0]}.py"


@functools.lru_cache(maxsize=32)
def _load(path: Path, mtime: float, function: str):
    spec = importlib.util.spec_from_file_location(f"labkit_static_{path.parent.name}_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
        return getattr(module, function)
    except (OSError, SyntaxError, AttributeError, ImportError) as exc:
        raise StaticCheckError(f"{path}: cannot load {function}: {exc}") from exc


def run(lab: Lab, q: Question, sources: dict[str, str]) -> list[Check]:
    """The question's checks on these sources; hostile text that defeats the parser fails every check."""
    path = check_file(lab, q)
    if not path.is_file():
        raise StaticCheckError(f"question {q.id} of {lab.id}: {path} does not exist")
    check = _load(path, path.stat().st_mtime, q.check.split(":", 1)[1])
    try:
        with threadsafe.AST_LOCK:  # the checks build ASTs; see threadsafe
            checks = check(dict(sources))
    except Exception as exc:  # noqa: BLE001  hostile text can trip any parser-based check: the batch goes on
        why = f"{q.file} could not be read without running it ({type(exc).__name__}: {str(exc)[:200]})"
        return [("read", False, why)]
    if not checks:
        raise StaticCheckError(f"question {q.id} of {lab.id}: {q.check} returned no checks")
    return [(str(i), bool(ok), str(msg)[:500]) for i, ok, msg in checks]
