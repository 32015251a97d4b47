"""Whole hostile answer files, per lab (tests/hostile_answers/<lab>/): each tries to earn points by reading what
the grader or the environment holds instead of computing it, in one batch per lab. A trick earns nothing; one
that says `# targets: qN` is a right answer except for that question's trick, and earns nothing on qN.

A trick file is appended to the lab's `_shell.py`, or, when it holds `# labkit-answers: solution` (or `stub`), is
that source with the trick's lines after it."""
from __future__ import annotations

from pathlib import Path

import pytest

from autograder import batch, manifest
from autograder.sources import solution_sources, stub_sources

pytestmark = pytest.mark.slow
HERE = Path(__file__).parent / "hostile_answers"
LABS = sorted(p.name for p in HERE.iterdir() if p.is_dir())


def _tricks(lab_dir: Path) -> list[Path]:
    return sorted(p for p in lab_dir.glob("*.py") if not p.name.startswith("_"))


@pytest.fixture(scope="module", params=LABS)
def graded(request, tmp_path_factory):
    lab = manifest.load(request.param)
    folder = HERE / request.param
    klass = tmp_path_factory.mktemp(f"answers-{request.param}") / "class"
    for trick in _tricks(folder):
        (klass / trick.stem).mkdir(parents=True)
        (klass / trick.stem / lab.answer_files[0]).write_text(_compose(lab, folder, trick.read_text()))
    out = klass.parent / "out"
    return request.param, {r.student: r for r in batch.grade(lab, [klass], batch.BatchOptions(out=out)).records}


def _compose(lab, folder: Path, trick: str) -> str:
    main = lab.answer_files[0]
    for kind, texts in (("solution", solution_sources), ("stub", stub_sources)):
        if f"# labkit-answers: {kind}" in trick:
            return texts(lab)[main] + "\n\n" + trick
    return (folder / "_shell.py").read_text() + "\n\n" + trick


def _target(trick: Path) -> str | None:
    first = trick.read_text().splitlines()[0]
    return first.split(":", 1)[1].strip() if first.startswith("# targets:") else None


def test_every_hostile_answer_earns_nothing(graded):
    lab, records = graded
    wrong = {}
    for trick in _tricks(HERE / lab):
        r, target = records[trick.stem], _target(trick)
        earned = [(q.id, q.score) for q in r.questions if q.score and (target is None or q.id == target)]
        if earned:
            wrong[trick.stem] = earned
    assert not wrong, f"lab {lab}: {wrong}"
    assert len(records) == len(_tricks(HERE / lab))
