"""Planted-bug versions of a solution, each a small find/replace over the single source (autograder.patches).

solutions/<lab>/mutants/<name>.toml:
    description = "softmax without subtracting the max"
    file = "linear_models.py"
    [[replace]]
    find = "scores = scores - scores.max()"
    with = ""
"""
from __future__ import annotations

from ..manifest import Lab
from ..patches import Patch, PatchError, apply
from ..sources import solution_sources

Mutant = Patch
MutantError = PatchError


def load_all(lab: Lab) -> list[Patch]:
    folder = lab.solution / "mutants"
    if not folder.is_dir():
        return []
    base = solution_sources(lab)
    return [apply(p, base) for p in sorted(folder.glob("*.toml"))]
