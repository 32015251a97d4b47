"""Static questions (kind = "static"): the grader reads the learner's files and never runs them.

For what can be decided from the text alone (a self-assessment that cites tests, a config, a declared
schema), running the learner's module would let it patch whatever checks it. Here an instructor's
function in solutions/<lab>/ receives the submission's sources as strings, in the grader's process,
and returns its checks; it must only parse (ast.parse, ast.literal_eval), never import or exec them.
"""
from __future__ import annotations

import ast
import functools
import importlib.util
from pathlib import Path

from . import threadsafe
from .errors import LabFileError
from .manifest import Lab, Question

Check = tuple[str, bool, str]  # (check id, passed, message the learner may read)


# calls that change a dict or list in place: a literal followed by one of these is not the whole answer
MUTATORS = {"update", "setdefault", "pop", "popitem", "clear", "append", "extend", "insert", "remove",
            "__setitem__", "__delitem__", "__ior__", "__iadd__"}


def read_literal(source: str, name: str) -> tuple[object, str]:
    """The value of a top-level `name = <literal>`, read without running anything: (value, '') or (None, why).

    The last top-level assignment counts; any later change (`name[k] = v`, `name.update(...)`, `name |= ...`)
    is refused, since the grader would not see it. For check functions and public tests alike.
    """
    tree = ast.parse(source)
    value, line = None, 0
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] \
            if isinstance(node, ast.AnnAssign) and node.value is not None else []
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            value, line = node.value, node.lineno
    if value is None:
        return None, f"no top-level `{name} = ...`"
    changes = sorted(n.lineno for n in ast.walk(tree) if _changes(n, name))
    if changes:
        return None, f"{name} is changed on line {changes[0]}: write all of it in its literal (line {line})"
    try:
        return ast.literal_eval(value), ""
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None, f"{name} (line {line}) must be a literal, not built by code: the grader reads it without running it"


def _changes(node: ast.AST, name: str) -> bool:
    if isinstance(node, ast.AugAssign):
        return isinstance(node.target, ast.Name) and node.target.id == name
    if not (isinstance(node, (ast.Subscript, ast.Attribute)) and isinstance(node.value, ast.Name)
            and node.value.id == name):
        return False
    return isinstance(node.ctx, (ast.Store, ast.Del)) or isinstance(node, ast.Attribute) and node.attr in MUTATORS


class StaticCheckError(LabFileError):
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
    except Exception as exc:  # noqa: BLE001  any error loading the lab's own module is the lab's fault
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
