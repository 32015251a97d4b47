"""Planted-bug versions of a solution, each a small find/replace over the single source.

solutions/<lab>/mutants/<name>.toml:
    description = "softmax without subtracting the max"
    file = "linear_models.py"
    [[replace]]
    find = "scores = scores - scores.max()"
    with = ""
Each `find` must occur exactly once, so a mutant breaks loudly when the solution changes under it.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from .manifest import Lab
from .release import solution_sources


@dataclass(frozen=True)
class Mutant:
    name: str
    description: str
    sources: dict[str, str]


class MutantError(ValueError):
    pass


def load_all(lab: Lab) -> list[Mutant]:
    folder = lab.solution / "mutants"
    if not folder.is_dir():
        return []
    base = solution_sources(lab)
    return [_apply(p, base) for p in sorted(folder.glob("*.toml"))]


def _apply(path: Path, base: dict[str, str]) -> Mutant:
    """Apply one find/replace TOML to base (file name -> source); also used for suites' wheats and chaffs."""
    try:
        spec = tomllib.loads(path.read_text())
        target = spec["file"]
    except (OSError, tomllib.TOMLDecodeError, KeyError) as exc:
        raise MutantError(f"{path}: {exc}") from None
    if target not in base:
        raise MutantError(f"{path}: file {target!r} is not one of {', '.join(sorted(base))}")
    code = base[target]
    for rep in spec.get("replace", []):
        count = code.count(rep["find"])
        if count != 1:
            raise MutantError(f"{path}: {rep['find']!r} occurs {count} times in {target} (must be exactly once)")
        code = code.replace(rep["find"], rep["with"])
    return Mutant(path.stem, spec.get("description", path.stem), {**base, target: code})
