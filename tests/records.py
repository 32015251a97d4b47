"""Grading records and gradebooks for the report tests, built as the grader builds them (autograder.record)."""
from __future__ import annotations

import json
from pathlib import Path

from autograder.record import Gradebook, GradeRecord, QuestionResult


def record(student: str, scores, maxes=(2, 2, 4), lab: str = "02-linear-models-gradcheck", **extra) -> GradeRecord:
    qs = [QuestionResult(f"q{i + 1}", f"Q{i + 1}", s, m, "" if s == m else "wrong") for i, (s, m) in
          enumerate(zip(scores, maxes))]
    return GradeRecord(student=student, lab=lab, total=sum(scores), max=sum(maxes), questions=qs, seconds=1.0, **extra)


def book(folder: Path, lab: str, max_points: float, students: dict[str, list[float]]) -> Path:
    """A gradebook.json as `labkit grade` writes it, with two questions of half the points each."""
    folder.mkdir(parents=True)
    half = max_points / 2
    records = [record(s, scores, (half,) * len(scores), lab=lab) for s, scores in students.items()]
    (folder / "gradebook.json").write_text(json.dumps(Gradebook(lab, lab, max_points, records).to_json()))
    return folder
