"""lab.toml: what a lab asks for, what each question is worth, which tests decide it."""
from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from . import paths

DUTIES = {
    1: "turning data-science prototypes into working models",
    2: "researching and implementing ML algorithms",
    3: "designing systems for machine learning",
    4: "developing and testing learning applications",
    5: "refining data representation methods",
    6: "retraining existing systems",
    7: "using statistical analysis to act on test results",
}


class ManifestError(ValueError):
    pass


@dataclass(frozen=True)
class Question:
    id: str
    title: str
    points: float
    file: str
    symbols: tuple[str, ...]
    tests: tuple[str, ...]
    time_limit: float
    hint: str = ""
    weights: dict[str, float] = field(default_factory=dict)
    kind: str = "tests"  # tests: our tests grade the learner's code | suite: the learner's tests, by mutation
    # | static: the grader reads the learner's files (never runs them) with an instructor's check function
    implementation: tuple[str, ...] = ()  # suite: the modules the learner's tests import
    chaffs: tuple[str, ...] = ("*",)  # suite: patterns over the planted-bug names this question is scored on
    check: str = ""  # static: "module:function" in solutions/<lab>/

    @property
    def is_suite(self) -> bool:
        return self.kind == "suite"

    @property
    def is_static(self) -> bool:
        return self.kind == "static"

    @property
    def runs_our_tests(self) -> bool:
        """Decided by our tests in a worker (public tests decide a static question only in `labkit check`)."""
        return self.kind == "tests"

    def decides(self, node_id: str) -> bool:
        """True when a test node id ('hidden/test_x.py::test_y[cpu]') belongs to this question."""
        if self.is_suite:  # suite runs collect the learner's file at the root: 'test_data.py::test_x'
            return node_id.split("::")[0] == self.file
        name = node_id.split("::")[-1].split("[")[0]
        return any(fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(node_id, p) for p in self.tests)

    def weight(self, node_id: str) -> float:
        name = node_id.split("::")[-1].split("[")[0]
        return float(self.weights.get(name, 1.0))


@dataclass(frozen=True)
class Lab:
    id: str
    title: str
    duties: tuple[int, ...]
    answer_files: tuple[str, ...]
    questions: tuple[Question, ...]
    time_limit: float
    memory_limit_mb: int
    datasets: tuple[str, ...]
    devices: tuple[str, ...]
    frameworks: tuple[str, ...]
    pass_mark: float
    path: Path

    @property
    def points(self) -> float:
        return sum(q.points for q in self.questions)

    @property
    def public_tests(self) -> Path:
        return self.path / "tests"

    @property
    def solution(self) -> Path:
        return paths.solution_dir(self.id)

    @property
    def suite_files(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(q.file for q in self.questions if q.is_suite))

    @property
    def implementation_files(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f for q in self.questions if q.is_suite for f in q.implementation))

    def question(self, qid: str) -> Question:
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(f"lab {self.id} has no question {qid!r} (has {', '.join(q.id for q in self.questions)})")

    def question_of(self, node_id: str) -> Question | None:
        return next((q for q in self.questions if q.decides(node_id)), None)


def load(lab: str | Path) -> Lab:
    """Load a lab by id, number or folder path; every error names the file and the field."""
    folder = Path(lab) if Path(lab).is_dir() else paths.lab_dir(paths.resolve_lab_id(str(lab)))
    file = folder / "lab.toml"
    try:
        raw = tomllib.loads(file.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ManifestError(f"{file}: {exc}") from exc
    try:
        return _parse(raw, folder)
    except (KeyError, TypeError, ValueError) as exc:
        raise ManifestError(f"{file}: {exc}") from exc


def _parse(raw: dict, folder: Path) -> Lab:
    answer_files = tuple(raw["answer_files"])
    default_limit = float(raw.get("question_time_limit", 60))
    questions = []
    for q in raw["questions"]:
        if q["file"] not in answer_files:
            raise ValueError(f"question {q['id']}: file {q['file']!r} is not in answer_files")
        kind = q.get("kind", "tests")
        if kind not in ("tests", "suite", "static"):
            raise ValueError(f"question {q['id']}: kind must be 'tests', 'suite' or 'static', got {kind!r}")
        if kind == "static" and ":" not in q.get("check", ""):
            raise ValueError(f"question {q['id']}: a static question needs `check = \"module:function\"` "
                             f"(a function in solutions/<lab>/module.py)")
        if kind == "suite" and not (q["file"].startswith("test_") and q["file"].endswith(".py")):
            raise ValueError(f"question {q['id']}: a suite question's file must be a test_*.py module")
        if kind == "suite" and not q.get("implementation"):
            raise ValueError(f"question {q['id']}: a suite question needs `implementation` (the modules it tests)")
        questions.append(Question(
            id=q["id"], title=q["title"], points=float(q["points"]), file=q["file"],
            symbols=tuple(q.get("symbols", ())), tests=tuple(q.get("tests", ()) if kind != "tests" else q["tests"]),
            time_limit=float(q.get("time_limit", default_limit)), hint=q.get("hint", ""),
            weights=dict(q.get("weights", {})), kind=kind, implementation=tuple(q.get("implementation", ())),
            chaffs=tuple(q.get("chaffs", ("*",))), check=q.get("check", ""),
        ))
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate question ids in {ids}")
    duties = tuple(int(d) for d in raw["duties"])
    if not set(duties) <= set(DUTIES):
        raise ValueError(f"duties must be within 1-7, got {duties}")
    return Lab(
        id=raw["id"], title=raw["title"], duties=duties, answer_files=answer_files,
        questions=tuple(questions), time_limit=float(raw.get("time_limit", 300)),
        memory_limit_mb=int(raw.get("memory_limit_mb", 4096)),
        datasets=tuple(raw.get("datasets", ())), devices=tuple(raw.get("devices", ("cpu",))),
        frameworks=tuple(raw.get("frameworks", ())), pass_mark=float(raw.get("pass_mark", 0.5)),
        path=folder,
    )


def all_labs() -> list[Lab]:
    if not paths.LABS.is_dir():
        return []
    return [load(p) for p in sorted(paths.LABS.iterdir()) if (p / "lab.toml").is_file()]
