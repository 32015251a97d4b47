"""Blind variants: answers written by someone who saw only a lab's README and stub, never its tests or solution.

They are the evidence that the hidden tests grade answers the kit's authors did not write: a correct answer
written differently must score full marks, and a realistic bug must lose points on its own question.

solutions/<lab>/variants/
    <name>.toml          kind = "correct", description = "..."
    <name>/<answer>.py   the answer files it provides (the solution's stand in for any it does not)
    <name>.toml          kind = "bug", question = "q2", base = "<a correct variant>", description = "...",
                         [[replace]] file/find/with, as autograder.patches (applied to the base's files);
                         requires = "cuda" for a bug that can only show on a GPU (not checked without one)
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..manifest import Lab
from ..patches import PatchError, apply, read_spec
from ..sources import solution_sources

KINDS = ("correct", "bug")


@dataclass(frozen=True)
class Variant:
    name: str
    kind: str  # correct | bug
    description: str
    sources: dict[str, str]
    question: str = ""  # bugs: the question whose points it must cost
    requires: str = ""  # "cuda": it can only show on a GPU (a CPU-only machine cannot check it)


def folder(lab: Lab) -> Path:
    return lab.solution / "variants"


def load_all(lab: Lab) -> list[Variant]:
    root = folder(lab)
    if not root.is_dir():
        return []
    specs = {p.stem: (p, read_spec(p)) for p in sorted(root.glob("*.toml"))}
    base = solution_sources(lab)
    correct: dict[str, Variant] = {}
    out = []
    for name, (path, spec) in specs.items():
        if spec.get("kind") not in KINDS:
            raise PatchError(f"{path}: kind must be 'correct' or 'bug', got {spec.get('kind')!r}")
        if spec["kind"] != "correct" or "base" in spec:
            continue
        files = {p.name: p.read_text() for p in sorted((root / name).glob("*")) if p.name in lab.answer_files}
        if not files:
            raise PatchError(f"{path}: a correct variant needs its answer files in {root / name}/")
        correct[name] = Variant(name, "correct", str(spec.get("description", name)), {**base, **files})
        out.append(correct[name])
    qids = {q.id for q in lab.questions}
    for name, (path, spec) in specs.items():  # variants written as a change of a correct one
        if "base" not in spec:
            continue
        if spec.get("base") not in correct:
            raise PatchError(f"{path}: base must name a correct variant with files ({', '.join(correct) or 'none'})")
        if spec["kind"] == "bug" and spec.get("question") not in qids:
            raise PatchError(f"{path}: question must be one of {', '.join(sorted(qids))}, got {spec.get('question')!r}")
        patched = apply(path, correct[spec["base"]].sources, spec)
        out.append(Variant(name, spec["kind"], patched.description, patched.sources, str(spec.get("question", "")),
                           str(spec.get("requires", ""))))
    missing = [n for n, (_, spec) in specs.items() if spec["kind"] == "bug" and "base" not in spec]
    if missing:
        raise PatchError(f"{root / missing[0]}.toml: a bug variant needs `base` (a correct variant) and [[replace]]")
    return out
