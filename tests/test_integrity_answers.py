"""Whole hostile answer files, per lab (tests/hostile_answers/<lab>/): each tries to earn points by reading what
the grader or the environment holds instead of computing it. Every one must earn nothing, in one batch."""
from __future__ import annotations

from pathlib import Path

import pytest

from autograder import batch, manifest

pytestmark = pytest.mark.slow
HERE = Path(__file__).parent / "hostile_answers"
LABS = sorted(p.name for p in HERE.iterdir() if p.is_dir())


def _tricks(lab_dir: Path) -> list[Path]:
    return sorted(p for p in lab_dir.glob("*.py") if not p.name.startswith("_"))


@pytest.fixture(scope="module", params=LABS)
def graded(request, tmp_path_factory):
    lab = manifest.load(request.param)
    folder = HERE / request.param
    shell = (folder / "_shell.py").read_text()
    klass = tmp_path_factory.mktemp(f"answers-{request.param}") / "class"
    for trick in _tricks(folder):
        (klass / trick.stem).mkdir(parents=True)
        (klass / trick.stem / lab.answer_files[0]).write_text(trick.read_text() + "\n\n" + shell)
    out = klass.parent / "out"
    return request.param, {r.student: r for r in batch.grade(lab, [klass], batch.BatchOptions(out=out)).records}


def test_every_hostile_answer_earns_nothing(graded):
    lab, records = graded
    earned = {s: [(q.id, q.score) for q in r.questions if q.score] for s, r in records.items() if r.total > 0}
    assert not earned, f"lab {lab}: {earned}"
    assert len(records) == len(_tricks(HERE / lab))
