"""pytest plugin for lab tests: the `answers`, `verdict`, `hidden_data` and `device` fixtures, and the worker's
end of the result channel.

Students get it automatically (entry point), so `pytest labs/02-.../tests` works as-is. In a grading worker
(autograder.worker) it also streams each test's outcome and recorded values to the grader over a private pipe
(autograder.channel); the grader, not this process, decides what the values are worth.

The rule every lab test follows (labs/README.md, "Tests"): a hidden test only calls learner code and records
what it returns. Expected values come from the reference run, labels from the grader (hidden_data), and
a property (`same`, `bound`) is judged by the grader on the recorded values. The Verdict below refuses the
other ways: an `expected=` in a hidden test, a lone True/False recorded as a value, labels handed to a hidden
accuracy check. Public tests judge here, against their oracles (`expected=`), and count only in `labkit check`.
"""
from __future__ import annotations

import importlib.util
import os
import random
import sys
import traceback
from pathlib import Path

import numpy as np
import pytest

from . import channel

# Set by autograder.worker in a grading worker; left as is when a student runs pytest directly.
STATE: dict = {"mode": "check", "answers_dir": None, "channel": None, "broken": {}, "device": "cpu",
               "lab": None, "time_limits": {}, "hidden_data": None, "questions": []}
_MODULES: dict[str, object] = {}
IMPORT_FACTS: dict[str, dict] = {}  # stem -> the exception type and line of a failed import (for the grader)


class AnswerError(Exception):
    """An answer cannot be used (missing file, import failure): the test fails with this reason."""


class LabTestError(Exception):
    """The lab's test breaks the rule of where checks are made (a lab error, never the learner's)."""


# ---------------------------------------------------------------- channel
def emit(event: dict) -> None:
    fd = STATE.get("channel")
    if fd is None:
        return
    data = channel.encode_event(event)
    while data:
        data = data[os.write(fd, data):]


# ---------------------------------------------------------------- answers
def find_lab_dir(start: Path) -> Path | None:
    for p in [start, *start.parents]:
        if (p / "lab.toml").is_file():
            return p
    return None


def answers_dir(request=None) -> Path:
    if STATE["answers_dir"]:
        return Path(STATE["answers_dir"])
    env = os.environ.get("LABKIT_ANSWERS")
    if env:
        return Path(env)
    start = Path(str(request.fspath)).parent if request is not None else Path.cwd()
    lab = find_lab_dir(start)
    if lab is None:
        raise AnswerError(f"no lab.toml above {start}; set LABKIT_ANSWERS to the folder with your answers")
    return lab


def import_answer(folder: Path, stem: str):
    """Import <folder>/<stem>.py once, as module `stem`; failures become AnswerError with the reason."""
    if stem in _MODULES:
        return _MODULES[stem]
    if stem in STATE["broken"]:
        raise AnswerError(STATE["broken"][stem])
    path = folder / f"{stem}.py"
    if not path.is_file():
        raise AnswerError(f"{stem}.py was not found in {folder}")
    spec = importlib.util.spec_from_file_location(stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[stem] = module
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:  # SystemExit and KeyboardInterrupt at import are a broken answer too
        sys.modules.pop(stem, None)
        reason = f"importing {stem}.py raised {describe(exc)}"
        STATE["broken"][stem] = reason
        line = _answer_frame(exc.__traceback__).rpartition(":")[2]
        IMPORT_FACTS[stem] = {"type": type(exc).__name__, "line": int(line) if line.isdigit() else None}
        raise AnswerError(reason) from None
    _MODULES[stem] = module
    return module


class Answers:
    """Attribute access to the learner's answer modules: `answers.softmax_loss_naive` or `answers.linear_models`."""

    def __init__(self, folder: Path, stems: list[str] | None = None):
        self._folder = folder
        self._answer_stems = stems

    def _stems(self) -> list[str]:
        if self._answer_stems is not None:
            return self._answer_stems
        return sorted(p.stem for p in self._folder.glob("*.py") if not p.name.startswith(("test_", "_")))

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        stems = self._stems()
        if name in stems:
            return import_answer(self._folder, name)
        broken = []
        for stem in stems:  # a broken answer file must not hide a symbol that another file defines
            try:
                module = import_answer(self._folder, stem)
            except AnswerError as exc:
                broken.append(str(exc))
                continue
            if hasattr(module, name):
                return getattr(module, name)
        if broken:
            raise AnswerError("; ".join(broken))
        raise AnswerError(f"{name} is not defined in {', '.join(s + '.py' for s in stems) or 'your answers'}")


def _lab_of(request):
    lab = STATE.get("lab")
    if lab is None:
        folder = find_lab_dir(Path(str(request.fspath)).parent)
        if folder is not None:
            from .manifest import load
            lab = load(folder)
    return lab


@pytest.fixture
def answers(request) -> Answers:
    """The answer files the lab's manifest names (other .py files beside them are never imported)."""
    lab = _lab_of(request)
    stems = [Path(f).stem for f in lab.answer_files] if lab is not None else None
    return Answers(answers_dir(request), stems)


# ---------------------------------------------------------------- the verdict
def is_hidden(nodeid: str) -> bool:
    return nodeid.startswith("hidden/")


class Verdict:
    """Records values for the grader, which decides them outside this process.

    Compared with the reference (hidden tests; they earn points at grading):
        close(name, value, rtol=, atol=)   equal(name, value)   accuracy(name, y_pred, truth="case.key", minimum=)
    Judged on the learner's own values (they can only withhold points):
        same(name, a, b, rtol=, atol=)     bound(name, value, low=, high=)
    Public tests pass `expected=` (or `y_true=`), computed by an oracle, and are judged here for `labkit check`.
    Tolerances, limits and minimums are taken from the reference run: a submission cannot loosen them.
    """

    def __init__(self, hidden: bool = False):
        self.records: list[dict] = []
        self.hidden = hidden

    def _record(self, kind: str, name: str, value, **spec) -> dict:
        if any(r["name"] == name for r in self.records):  # values are matched to the reference's by name
            raise LabTestError(f"verdict name {name!r} is recorded twice in this test: give each value its own name")
        try:
            rec = channel.record(kind, name, value, **spec)
        except channel.NotPlain as exc:
            raise AssertionError(f"{name}: returned {exc}") from None
        self.records.append(rec)
        return rec

    def _expected(self, name: str, expected) -> None:
        if self.hidden and expected is not None:
            raise LabTestError(f"{name}: a hidden test never computes an expected value in the worker; the grader "
                               "takes it from the reference run (drop expected=)")
        if not self.hidden and expected is None:
            raise LabTestError(f"{name}: a public test judges here: pass expected= (an oracle's value)")

    def _judge(self, rec: dict, want: dict | None = None, truth=None) -> None:
        reason = channel.judge(rec, want, truth, show=not self.hidden)
        if reason:
            raise AssertionError(reason)

    def close(self, name: str, value, *, rtol: float = 1e-7, atol: float = 0.0, expected=None) -> None:
        self._expected(name, expected)
        _refuse_lone_bool(name, value)
        rec = self._record("close", name, value, rtol=float(rtol), atol=float(atol))
        if expected is not None:
            self._judge(rec, {**channel.record("close", name, _like(expected, value)), "rtol": rtol, "atol": atol})

    def equal(self, name: str, value, *, expected=None) -> None:
        self._expected(name, expected)
        _refuse_lone_bool(name, value)
        rec = self._record("equal", name, value)
        if expected is not None:
            self._judge(rec, channel.record("equal", name, _like(expected, value)))

    def accuracy(self, name: str, y_pred, *, minimum: float, y_true=None, truth: str | None = None) -> None:
        """Accuracy of y_pred. Public tests: y_true, judged here. Hidden tests: truth="case.key", labels that the
        grader made (hidden_data) and keeps: they are never in this process."""
        if self.hidden and (y_true is not None or not truth):
            raise LabTestError(f"{name}: a hidden accuracy check names the grader's labels (truth=\"case.key\"); "
                               "labels never enter the worker")
        if not self.hidden and y_true is None:
            raise LabTestError(f"{name}: a public accuracy check passes y_true=")
        rec = self._record("accuracy", name, y_pred, minimum=float(minimum), **({"truth": truth} if truth else {}))
        if y_true is not None:
            self._judge(rec, truth=channel.Value.of(channel.record("accuracy", name, y_true)))

    def same(self, name: str, a, b, *, rtol: float = 0.0, atol: float = 0.0) -> None:
        """Two of the learner's own values agree (causality, invariance, batch = rows, determinism): judged on
        the recorded pair, here and by the grader, never against the reference."""
        rec = self._record("same", name, a, rtol=float(rtol), atol=float(atol))
        try:
            tag, data = channel.to_plain(b)
        except channel.NotPlain as exc:
            raise AssertionError(f"{name}: returned {exc}") from None
        if isinstance(data, str):
            raise AssertionError(f"{name}: expected numbers, got a str")
        rec["npy_b"] = channel.encode_array(data)
        self._judge(rec)

    def bound(self, name: str, value, *, low: float | None = None, high: float | None = None) -> None:
        """A value within fixed limits (a loss below a gate, a count in a range): judged here and by the grader."""
        rec = self._record("bound", name, value, low=None if low is None else float(low),
                           high=None if high is None else float(high))
        self._judge(rec)

    def series(self, name: str, values, *, plot: str = "line") -> None:
        """Plot data for the feedback page only (a learning curve, a confusion matrix): never compared or scored.

        values: a 1-D array (plot="line") or a 2-D array (plot="matrix", or "line" for several curves, one per row).
        """
        arr = np.asarray(values, dtype=float)
        if arr.ndim not in (1, 2) or not 0 < arr.size <= SERIES_MAX:
            raise ValueError(f"{name}: plot data must be a 1-D or 2-D array of 1 to {SERIES_MAX} numbers")
        self.records.append({"name": name, "kind": channel.SERIES, "tag": "series", "plot": str(plot)[:20],
                             "npy": channel.encode_array(arr)})


SERIES_MAX = 10_000  # numbers per plot: plot data travels in the result record


def _refuse_lone_bool(name: str, value) -> None:
    if type(value) is bool or type(value) is np.bool_:
        raise LabTestError(f"{name}: a single True/False is guessed right half the time, so it cannot earn points: "
                           "assert it (a gate), or record several flags as an array")


def _like(expected, value):
    """An oracle's value in the container the learner's value uses, so `labkit check` compares numbers, not types
    (at grading the reference's own value, container and all, is the comparison)."""
    if isinstance(expected, str):
        return expected
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(expected, torch.Tensor):
        expected = expected.detach().cpu().numpy()
    arr = np.asarray(expected)
    arr = np.array(arr, dtype=arr.dtype if arr.dtype in channel.ALLOWED_DTYPES else np.float64)
    if torch is not None and type(value) is torch.Tensor:
        return torch.from_numpy(arr)
    if type(value) is np.ndarray:
        return arr
    if type(value) in (list, tuple):
        return type(value)(arr.tolist()) if arr.ndim else arr.item()
    return arr.item() if arr.ndim == 0 else arr


@pytest.fixture
def verdict(request) -> Verdict:
    v = Verdict(hidden=is_hidden(request.node.nodeid))
    request.node._labkit_verdict = v
    return v


# ---------------------------------------------------------------- hidden inputs made by the grader
@pytest.fixture
def hidden_data(request):
    """hidden_data("case") -> {name: array}: inputs the grader made for hidden tests (solutions/<lab>/hidden_data.py);
    the ground truth of each case stays in the grader."""
    def load(case: str) -> dict[str, np.ndarray]:
        folder = STATE.get("hidden_data")
        if folder is None:  # an author running solutions/<lab>/hidden_tests directly: build the inputs here
            from .hidden_data import build_case
            from .manifest import load
            here = Path(str(request.fspath)).parent
            lab = next((load(p.parent.name) for p in [here, *here.parents] if p.name == "hidden_tests"), None)
            return build_case(lab or _lab_of(request), case)[0]
        with np.load(Path(folder) / f"{case}.npz", allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    return load


# ---------------------------------------------------------------- devices
def pytest_generate_tests(metafunc):
    """A test that takes `device` runs once per device the lab declares (lab.toml `devices`)."""
    if "device" in metafunc.fixturenames:
        lab = STATE.get("lab")
        if lab is None:
            folder = find_lab_dir(Path(str(metafunc.definition.path)).parent)
            if folder is not None:
                from .manifest import load
                lab = load(folder, strict=False)
        metafunc.parametrize("device", list(lab.devices) if lab is not None else ["cpu", "cuda"], indirect=True)


CUDA_SKIP = "CUDA case skipped"


@pytest.fixture
def device(request) -> str:
    """'cpu' always; 'cuda' only where a GPU exists and the run allows it (otherwise skipped, no points)."""
    if request.param == "cuda":
        if STATE.get("device") == "cpu" and STATE.get("channel") is not None:
            pytest.skip(f"{CUDA_SKIP}: graded on the CPU (no GPU here, or --device cpu); no points at stake")
        import torch
        if not torch.cuda.is_available():
            pytest.skip(f"{CUDA_SKIP}: no GPU here; no points at stake")
    return request.param


# ---------------------------------------------------------------- determinism
@pytest.fixture(autouse=True)
def _labkit_seed():
    """Every test starts from the same seeds, so order and restarts never change a score."""
    random.seed(0)
    np.random.seed(0)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(0)
    yield


def pytest_configure(config):
    try:
        from hypothesis import settings
        settings.register_profile("labkit", deadline=None, derandomize=True, database=None, print_blob=False)
        settings.load_profile("labkit")
    except ImportError:
        return
    _examples_independent_of_answer_code()


def _examples_independent_of_answer_code() -> None:
    """Hypothesis mixes literal constants of loaded modules (the learner's answers too) into its examples, so
    two submissions would see different examples and their recorded values could not match the reference's.
    Found by lab 07's notebook submission; the hook is private, so a hypothesis without it is left as it is."""
    try:
        from hypothesis.internal.conjecture import providers

        empty = providers.Constants()
        providers._get_local_constants = lambda: empty
        providers.CONSTANTS_CACHE.cache.clear()
    except (ImportError, AttributeError):
        pass


# ---------------------------------------------------------------- reporting
def describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0][:300] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _answer_frame(tb) -> str:
    """'linear_models.py:36': the last line of the learner's answer files in the traceback, or ''."""
    if not (STATE["answers_dir"] or os.environ.get("LABKIT_ANSWERS")):
        return ""
    folder = str(answers_dir())
    where = ""
    for frame in traceback.extract_tb(tb):
        if frame.filename.startswith(folder):
            where = f"{Path(frame.filename).name}:{frame.lineno}"
    return where


def _raised_in_test(tb) -> bool:
    frames = traceback.extract_tb(tb)
    return bool(frames) and Path(frames[-1].filename).name.startswith("test_")


def failure(excinfo) -> dict:
    """What went wrong, as facts: kind, exception type, the answer line it came from, and the text."""
    exc = excinfo.value
    where = _answer_frame(excinfo.tb)
    if isinstance(exc, LabTestError):
        return {"kind": "lab", "type": type(exc).__name__, "where": "", "text": str(exc)[:500]}
    if isinstance(exc, NotImplementedError):
        return {"kind": "not_implemented", "type": "NotImplementedError", "where": where, "text": ""}
    if isinstance(exc, AnswerError):
        return {"kind": "answer", "type": "AnswerError", "where": "", "text": str(exc)[:1000]}
    if isinstance(exc, MemoryError):
        return {"kind": "memory", "type": "MemoryError", "where": where, "text": ""}
    if isinstance(exc, pytest.fail.Exception) and str(exc).startswith("Timeout"):  # pytest-timeout's signal
        return {"kind": "timeout", "type": "Timeout", "where": where, "text": ""}
    if isinstance(exc, AssertionError) and not where:
        text = str(exc).split("\nassert ")[0].strip()
        return {"kind": "check", "type": "AssertionError", "where": "", "text": text[:1500],
                "in_test": _raised_in_test(excinfo.tb)}
    return {"kind": "exception", "type": type(exc).__name__, "where": where, "text": str(exc)[:300]}


def failure_message(fact: dict, hidden: bool) -> str:
    """The message a learner reads. Hidden tests: only what cannot carry the test's source or inputs (the kind,
    the exception's type, the answer line); an author's assertion text is vetted by the grader (scoring)."""
    kind, where = fact.get("kind"), fact.get("where") or ""
    at = f" (in {where.replace(':', ', line ')})" if where else ""
    if kind == "not_implemented":
        return "not implemented yet" + at
    if kind == "memory":
        return "ran out of memory (MemoryError)" + at
    if kind == "timeout":
        return "timed out (the question's time limit)" + at
    if kind in ("answer", "lab"):
        return ("lab error: " if kind == "lab" else "") + fact.get("text", "")
    if kind == "check":
        text = fact.get("text", "")
        if hidden:
            return "a hidden check failed"
        return text or "a check failed"
    name = fact.get("type", "an exception")
    if hidden:
        return f"raised {name}{at}"
    return f"{name}: {fact.get('text', '')}".rstrip(": ") + at


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if call.excinfo is not None and report.failed:
        fact = failure(call.excinfo)
        report._labkit_failure = fact
        report._labkit_message = failure_message(fact, is_hidden(item.nodeid))
        if not is_hidden(item.nodeid) and fact["kind"] == "check":
            report.longrepr = fact["text"] or report.longrepr  # the check's own words, not pytest's diff


def pytest_collection_modifyitems(session, config, items):
    lab = STATE.get("lab")
    wanted = STATE.get("questions")
    if lab is not None and wanted:  # `labkit check 02 q3`: only q3's tests run
        keep = [i for i in items if (q := lab.question_of(i.nodeid)) is not None and q.id in wanted]
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep
    for item in items if lab is not None else ():
        question = lab.question_of(item.nodeid)
        if question is not None:
            limit = (STATE.get("time_limits") or {}).get(question.id, question.time_limit)
            item.add_marker(pytest.mark.timeout(limit))


def pytest_collectreport(report):
    if report.failed:
        emit({"ev": channel.COLLECT_ERROR, "id": report.nodeid, "message": "could not be collected (import error?)"})


def pytest_sessionstart(session):
    emit({"ev": channel.SESSION})  # lets the grader tell its own start-up cost from collection and tests


def pytest_collection_finish(session):
    emit({"ev": channel.COLLECTED, "ids": [i.nodeid for i in session.items]})


def pytest_runtest_logstart(nodeid, location):
    emit({"ev": channel.START, "id": nodeid})


_OUTCOMES: dict[str, dict] = {}


def pytest_runtest_logreport(report):
    state = _OUTCOMES.setdefault(report.nodeid, {"outcome": "passed", "message": "", "failure": None,
                                                 "duration": 0.0})
    state["duration"] += report.duration
    if report.skipped and state["outcome"] == "passed":
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        state.update(outcome="skipped", message=reason.removeprefix("Skipped: "))
    elif report.failed and state["outcome"] != "failed":
        state.update(outcome="failed", message=getattr(report, "_labkit_message", "") or f"failed in {report.when}",
                     failure=getattr(report, "_labkit_failure", None) or {"kind": "phase", "type": report.when})
    if report.when == "teardown":
        _OUTCOMES.pop(report.nodeid)
        emit({"ev": channel.REPORT, "id": report.nodeid, **state, "values": _values_of(report.nodeid)})


_ITEMS: dict[str, object] = {}


def pytest_runtest_setup(item):
    _ITEMS[item.nodeid] = item


def _values_of(nodeid: str) -> list[dict]:
    item = _ITEMS.pop(nodeid, None)
    v = getattr(item, "_labkit_verdict", None)
    return v.records if v is not None else []


def pytest_sessionfinish(session, exitstatus):
    emit({"ev": channel.FINISHED, "status": int(exitstatus)})
