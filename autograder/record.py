"""The grading record: what one graded submission is, in memory and on disk (one schema, versioned).

Every writer (batch, nbgrader import) makes `GradeRecord`s and every reader (reports, feedback, class report,
transcript, exports, notebook checks, validate, the CLI) takes them; the JSON below is the only place their
field names are spelled. `.labkit/results/<student>.json` holds one record; `gradebook.json` holds the class.

Hidden tests appear only by a name without parameters (`hidden/test_x.py::test_y[2]`: the 3rd case), so no
seed or input a parametrize id might carry reaches a report.
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

SCHEMA = 2
PASSED, PARTIAL, FAILED = "passed", "partial", "failed"


def status_of(score: float, maximum: float) -> str:
    """The one rule: full points passed, some points partial, none failed (a 0-point question passes)."""
    if score >= maximum - 1e-9:
        return PASSED
    return PARTIAL if score > 0 else FAILED


@dataclass
class TestResult:
    __test__ = False  # not a pytest test class, despite the name
    id: str
    passed: bool
    hidden: bool
    message: str = ""
    weight: float = 1.0
    earns: bool = True  # compared with the reference (earns points) | a gate (can only withhold them)
    series: list[dict] = field(default_factory=list)  # plot data the test recorded, shown never scored

    @property
    def name(self) -> str:
        return self.id.split("::")[-1]


@dataclass
class QuestionResult:
    id: str
    title: str
    score: float
    max: float
    reason: str = ""
    hint: str = ""
    tests: list[TestResult] = field(default_factory=list)  # scored tests (hidden), then shown ones (public)

    @property
    def status(self) -> str:
        return status_of(self.score, self.max)

    @property
    def public(self) -> list[TestResult]:
        return [t for t in self.tests if not t.hidden]

    @property
    def hidden(self) -> list[TestResult]:
        return [t for t in self.tests if t.hidden]


@dataclass
class GradeRecord:
    student: str
    lab: str
    total: float
    max: float
    questions: list[QuestionResult]
    origin: str = ""
    answers_from: dict[str, str] = field(default_factory=dict)  # answer file -> the file it was read from
    device: str = "cpu"  # the device the tests ran on (never "auto")
    isolation: str = ""
    seconds: float = 0.0
    job_uid: int | None = None
    restarts: int = 0
    integrity: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)  # why -> number of test cases (CUDA cases on a CPU)
    status: str = "graded"  # graded | unreadable (the upload could not be read: every question scored 0)
    graded_at: str = ""
    graded_on: str = ""  # host:pid of the Dask worker that graded it (--cluster)
    labkit: str = ""
    repeat: int = 1
    repeat_totals: list[float] = field(default_factory=list)
    flaky: bool = False
    input_digest: str = ""

    @property
    def fraction(self) -> float:
        return self.total / self.max if self.max else 0.0

    def question(self, qid: str) -> QuestionResult:
        return next(q for q in self.questions if q.id == qid)

    @property
    def first_problem(self) -> str:
        return next((f"{q.id}: {q.reason}" for q in self.questions if q.reason), "")

    def to_json(self) -> dict:
        data = asdict(self)
        for q, qd in zip(self.questions, data["questions"]):
            qd["status"] = q.status  # written for readers in other languages; recomputed when read
        return {"schema": SCHEMA, **data}

    @classmethod
    def from_json(cls, data: dict) -> "GradeRecord":
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            raise RecordError(f"not a labkit {SCHEMA} grading record (schema {data.get('schema') if isinstance(data, dict) else '?'})")
        try:
            known = {f.name for f in fields(cls)}
            kw = {k: v for k, v in data.items() if k in known}
            kw["questions"] = [QuestionResult(**{**{k: v for k, v in q.items() if k != "status"},
                                                 "tests": [TestResult(**t) for t in q.get("tests", [])]})
                               for q in data["questions"]]
            return cls(**kw)
        except (KeyError, TypeError) as exc:
            raise RecordError(f"a grading record is incomplete: {exc}") from None


class RecordError(ValueError):
    """A record or gradebook file that is not one this kit wrote (corrupt, truncated, another version)."""


@dataclass
class Gradebook:
    lab: str
    title: str
    max: float
    records: list[GradeRecord]

    def to_json(self) -> dict:
        return {"schema": SCHEMA, "lab": self.lab, "title": self.title, "max": self.max,
                "students": [r.to_json() for r in self.records]}

    @classmethod
    def from_json(cls, data: dict) -> "Gradebook":
        if not isinstance(data, dict) or data.get("schema") != SCHEMA or not isinstance(data.get("students"), list):
            raise RecordError("not a labkit gradebook.json of this version (regrade with this kit to rebuild it)")
        return cls(str(data.get("lab")), str(data.get("title", "")), float(data.get("max", 0.0)),
                   [GradeRecord.from_json(s) for s in data["students"]])

    @classmethod
    def read(cls, folder: Path) -> "Gradebook":
        path = Path(folder) / "gradebook.json"
        try:
            return cls.from_json(json.loads(path.read_text()))
        except FileNotFoundError:
            raise RecordError(f"{path} does not exist (grade the lab into {folder} first)") from None
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            raise RecordError(f"{path} cannot be read: {str(exc)[:200]}") from None


def public_test_id(node_id: str, index: int) -> str:
    """A hidden test's id with its parameters replaced by the case's number (ids can carry seeds and inputs)."""
    base = node_id.split("[", 1)[0]
    return f"{base}[{index}]" if "[" in node_id else base


def safe_name(student: str) -> str:
    """A student id as a file name: no separators, no leading dots."""
    return re.sub(r"[^A-Za-z0-9._@+-]", "_", student).lstrip(".") or "_"
