"""lab.toml: what a lab asks for, what each question is worth, which tests decide it. Strict: an unknown key,
a value out of range or a test pattern that matches nothing is an error naming the file, the question and
the field (and, for a misspelt key, the key it probably meant)."""
from __future__ import annotations

import ast
import difflib
import fnmatch
import functools
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from . import paths
from .errors import ManifestError

__all__ = ["DUTIES", "Lab", "ManifestError", "Question", "all_labs", "load"]

DUTIES = {
    1: "turning data-science prototypes into working models",
    2: "researching and implementing ML algorithms",
    3: "designing systems for machine learning",
    4: "developing and testing learning applications",
    5: "refining data representation methods",
    6: "retraining existing systems",
    7: "using statistical analysis to act on test results",
}
KINDS = ("tests", "suite", "static")
DEVICES = ("cpu", "cuda")
# where a lab's data comes from: packages, the standard library, seeded generators, or files in datasets/
DATA_SOURCES = ("sklearn", "statsmodels", "stdlib", "synthetic", "kit")


@dataclass(frozen=True)
class Question:
    id: str
    title: str
    points: float
    file: str
    symbols: tuple[str, ...] = ()
    tests: tuple[str, ...] = ()  # globs over test function names (or node ids)
    time_limit: float = 60.0  # seconds per test
    hint: str = ""
    weights: dict[str, float] = field(default_factory=dict)
    kind: str = "tests"  # tests: our tests grade the learner's code | suite: the learner's tests, by mutation
    # | static: the grader reads the learner's files (never runs them) with an instructor's check function
    implementation: tuple[str, ...] = ()  # suite: the modules the learner's tests import
    chaffs: tuple[str, ...] = ("*",)  # suite: patterns over the planted-bug names this question is scored on
    check: str = ""  # static: "module:function" in solutions/<lab>/
    required: tuple[str, ...] = ()  # test names that must pass, or the question scores 0 (a ban, a contract)
    forbid: tuple[str, ...] = ()  # names the answer file may not mention (read by the grader, never run)

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
    path: Path
    time_limit: float = 300.0  # seconds for a whole submission
    memory_limit_mb: int = 4096
    question_time_limit: float = 60.0  # default seconds per test
    datasets: tuple[str, ...] = ()  # "sklearn:digits", "kit:08-prototype-to-package/messy_fair.csv", ...
    devices: tuple[str, ...] = ("cpu",)  # "cuda" too: the lab's device-parametrized tests also run on a GPU
    frameworks: tuple[str, ...] = ()
    pass_mark: float = 0.5  # fraction of the points for `labkit grade --ci`

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
    def hidden_tests(self) -> Path:
        return self.solution / "hidden_tests"

    @property
    def suite_files(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(q.file for q in self.questions if q.is_suite))

    @property
    def implementation_files(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f for q in self.questions if q.is_suite for f in q.implementation))

    @property
    def kit_data(self) -> tuple[Path, ...]:
        """The files of datasets/ this lab declares: the only part of datasets/ its jobs see."""
        return tuple(paths.DATASETS / d.split(":", 1)[1] for d in self.datasets if d.startswith("kit:"))

    def question(self, qid: str) -> Question:
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(f"lab {self.id} has no question {qid!r} (has {', '.join(q.id for q in self.questions)})")

    def question_of(self, node_id: str) -> Question | None:
        return next((q for q in self.questions if q.decides(node_id)), None)


LAB_KEYS = {f.name for f in fields(Lab)} - {"path"}
QUESTION_KEYS = {f.name for f in fields(Question)}
REQUIRED_LAB = ("id", "title", "duties", "answer_files", "questions")
REQUIRED_QUESTION = ("id", "title", "points", "file")


def load(lab: str | Path, strict: bool = True) -> Lab:
    """Load a lab by id, number or folder path; every error is one ManifestError line naming file and field
    (LookupError: no such lab).

    strict=False (a grading worker reading its workspace copy): skip the checks against the kit's folders."""
    folder = Path(lab) if Path(lab).is_dir() else paths.lab_dir(paths.resolve_lab_id(str(lab)))  # LookupError
    file = folder / "lab.toml"
    try:
        raw = tomllib.loads(file.read_text())
    except FileNotFoundError:
        raise ManifestError(f"{file}: no such file") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ManifestError(f"{file}: {exc}") from None
    try:
        return _parse(raw, folder, strict)
    except _Bad as exc:
        raise ManifestError(f"{file}: {exc}") from None


class _Bad(ValueError):
    pass


def _unknown(keys, known: set[str], where: str) -> None:
    for key in keys:
        if key not in known:
            close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
            raise _Bad(f"{where}unknown key {key!r}" + (f" (did you mean {close[0]!r}?)" if close else
                                                        f" (known: {', '.join(sorted(known))})"))


def _number(value, name: str, where: str, low: float, high: float | None = None, low_open: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Bad(f"{where}{name} must be a number, got {value!r}")
    ok = (value > low if low_open else value >= low) and (high is None or value <= high)
    if not ok:
        rng = f"{'>' if low_open else '>='} {low:g}" + (f" and <= {high:g}" if high is not None else "")
        raise _Bad(f"{where}{name} must be {rng}, got {value!r}")
    return float(value)


def _strings(value, name: str, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Bad(f"{where}{name} must be a list of strings, got {value!r}")
    return tuple(value)


def _parse(raw: dict, folder: Path, strict: bool = True) -> Lab:
    _unknown(raw, LAB_KEYS, "")
    for key in REQUIRED_LAB:
        if key not in raw:
            raise _Bad(f"missing required key {key!r}")
    if strict and raw["id"] != folder.name:
        raise _Bad(f"id {raw['id']!r} must equal the lab's folder name {folder.name!r}")
    answer_files = _strings(raw["answer_files"], "answer_files", "")
    default_limit = _number(raw.get("question_time_limit", 60), "question_time_limit", "", 0)
    if not isinstance(raw["questions"], list) or not raw["questions"]:
        raise _Bad("questions must be a non-empty list of [[questions]] tables")
    questions = tuple(_question(q, i, answer_files, default_limit) for i, q in enumerate(raw["questions"], 1))
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        raise _Bad(f"duplicate question ids in {ids}")
    if not isinstance(raw["duties"], list) or not raw["duties"] or not all(d in DUTIES for d in raw["duties"]):
        raise _Bad(f"duties must be a non-empty list of duty numbers within 1-7, got {raw['duties']!r}")
    devices = _strings(raw.get("devices", ["cpu"]), "devices", "")
    if "cpu" not in devices or not set(devices) <= set(DEVICES):
        raise _Bad(f"devices must include 'cpu' and name only {DEVICES}, got {list(devices)}")
    datasets = _strings(raw.get("datasets", []), "datasets", "")
    for d in datasets:
        source = d.split(":", 1)[0]
        if ":" not in d or source not in DATA_SOURCES:
            raise _Bad(f"datasets entry {d!r} must be SOURCE:NAME with SOURCE one of {', '.join(DATA_SOURCES)}")
        if strict and source == "kit" and not (paths.DATASETS / d.split(":", 1)[1]).exists():
            raise _Bad(f"datasets entry {d!r}: {paths.DATASETS / d.split(':', 1)[1]} does not exist")
    lab = Lab(
        id=raw["id"], title=str(raw["title"]), duties=tuple(raw["duties"]), answer_files=answer_files,
        questions=questions, path=folder,
        time_limit=_number(raw.get("time_limit", 300), "time_limit", "", 0),
        memory_limit_mb=int(_number(raw.get("memory_limit_mb", 4096), "memory_limit_mb", "", 256, low_open=False)),
        question_time_limit=default_limit, datasets=datasets, devices=devices,
        frameworks=_strings(raw.get("frameworks", []), "frameworks", ""),
        pass_mark=_number(raw.get("pass_mark", 0.5), "pass_mark", "", 0, 1),
    )
    if strict:
        _check_tests_exist(lab)
    return lab


def _question(q, index: int, answer_files: tuple[str, ...], default_limit: float) -> Question:
    if not isinstance(q, dict):
        raise _Bad(f"question {index} must be a table")
    qid = q.get("id", f"#{index}")
    where = f"question {qid}: "
    _unknown(q, QUESTION_KEYS, where)
    for key in REQUIRED_QUESTION:
        if key not in q:
            raise _Bad(f"{where}missing required key {key!r}")
    kind = q.get("kind", "tests")
    if kind not in KINDS:
        raise _Bad(f"{where}kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if q["file"] not in answer_files:
        raise _Bad(f"{where}file {q['file']!r} is not in answer_files")
    if kind == "tests" and not q.get("tests"):
        raise _Bad(f"{where}a question of kind 'tests' needs `tests` (globs over test names)")
    if kind == "static" and ":" not in str(q.get("check", "")):
        raise _Bad(f"{where}a static question needs `check = \"module:function\"` (a function in solutions/<lab>/module.py)")
    if kind == "suite" and not (q["file"].startswith("test_") and q["file"].endswith(".py")):
        raise _Bad(f"{where}a suite question's file must be a test_*.py module")
    if kind == "suite" and not q.get("implementation"):
        raise _Bad(f"{where}a suite question needs `implementation` (the modules it tests)")
    weights = q.get("weights", {})
    if not isinstance(weights, dict):
        raise _Bad(f"{where}weights must be a table of test name = weight")
    weights = {str(k): _number(v, f"weights.{k}", where, 0) for k, v in weights.items()}
    return Question(
        id=str(qid), title=str(q["title"]), points=_number(q["points"], "points", where, 0), file=q["file"],
        symbols=_strings(q.get("symbols", []), "symbols", where), tests=_strings(q.get("tests", []), "tests", where),
        time_limit=_number(q.get("time_limit", default_limit), "time_limit", where, 0), hint=str(q.get("hint", "")),
        weights=weights, kind=kind, implementation=_strings(q.get("implementation", []), "implementation", where),
        chaffs=_strings(q.get("chaffs", ["*"]), "chaffs", where), check=str(q.get("check", "")),
        required=_strings(q.get("required", []), "required", where), forbid=_strings(q.get("forbid", []), "forbid", where),
    )


def _check_tests_exist(lab: Lab) -> None:
    """Every `tests` glob and every weight names a test that exists (public, or hidden where solutions/ is here)."""
    names = set(_test_names(lab.public_tests))
    if lab.hidden_tests.is_dir():
        names |= set(_test_names(lab.hidden_tests))
    else:
        return  # a student release: the hidden tests that some patterns match are not here
    for q in lab.questions:
        mine = {n for n in names if q.decides(f"x::{n}")}
        for pattern in q.tests:
            if not any(fnmatch.fnmatchcase(n, pattern) for n in names):
                raise _Bad(f"question {q.id}: tests pattern {pattern!r} matches no test function")
        for name in (*q.weights, *q.required):
            if name not in mine:
                raise _Bad(f"question {q.id}: weights or required name {name!r}, which is not one of this "
                           "question's tests")


def _test_names(folder: Path) -> list[str]:
    out = []
    for f in sorted(folder.rglob("test_*.py")) if folder.is_dir() else []:
        out += _functions_in(f, f.stat().st_mtime)
    return out


@functools.lru_cache(maxsize=256)
def _functions_in(path: Path, mtime: float) -> tuple[str, ...]:
    from .threadsafe import AST_LOCK
    try:
        with AST_LOCK:
            tree = ast.parse(path.read_text())
    except (OSError, SyntaxError, ValueError):
        return ()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            found.append(node.name)
    return tuple(found)


def all_labs() -> list[Lab]:
    """Every lab of the kit; a broken manifest raises (the CLI reports it as one line)."""
    if not paths.LABS.is_dir():
        return []
    return [load(p) for p in sorted(paths.LABS.iterdir()) if (p / "lab.toml").is_file()]
