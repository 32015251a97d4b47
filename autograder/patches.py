"""Find/replace TOML files over a lab's sources: planted bugs (mutants, chaffs), refactorings (wheats), and the
bugs of blind variants. One format, read here for grading (suites) and authoring (mutants, variants) alike:

    description = "softmax without subtracting the max"
    file = "linear_models.py"          # or `file` inside each [[replace]]
    [[replace]]
    find = "scores = scores - scores.max()"
    with = ""

Each `find` must occur exactly once in the file as it stands, so a patch breaks loudly when its base changes.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import LabFileError


class PatchError(LabFileError):
    pass


@dataclass(frozen=True)
class Patch:
    name: str
    description: str
    sources: dict[str, str]  # the whole set of files, patched
    spec: dict = field(default_factory=dict)  # the TOML's other keys (kind, question, base, ...)


def read_spec(path: Path) -> dict:
    try:
        return tomllib.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PatchError(f"{path}: {exc}") from None


def apply(path: Path, base: dict[str, str], spec: dict | None = None) -> Patch:
    """The patch in `path` applied to base (file name -> source)."""
    spec = read_spec(path) if spec is None else spec
    sources = dict(base)
    replaces = spec.get("replace", [])
    if not isinstance(replaces, list) or not replaces:
        raise PatchError(f"{path}: no [[replace]] blocks")
    for rep in replaces:
        target = rep.get("file", spec.get("file"))
        if target not in sources:
            raise PatchError(f"{path}: file {target!r} is not one of {', '.join(sorted(sources))}")
        if not isinstance(rep.get("find"), str) or not isinstance(rep.get("with"), str):
            raise PatchError(f"{path}: each [[replace]] needs `find` and `with` strings")
        count = sources[target].count(rep["find"])
        if count != 1:
            raise PatchError(f"{path}: {rep['find'][:60]!r} occurs {count} times in {target} (must be exactly once)")
        sources[target] = sources[target].replace(rep["find"], rep["with"])
    rest = {k: v for k, v in spec.items() if k not in ("replace", "description")}
    return Patch(Path(path).stem, str(spec.get("description", Path(path).stem)), sources, rest)
