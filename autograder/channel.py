"""The wire between a grading worker and the grader, and the one comparison both sides use.

Grader -> worker: a JSON file (`WorkerConfig`) named on the worker's command line, and, for hidden tests,
`.npz` files of grader-made inputs (autograder.hidden_data; their ground truth never leaves the grader).

Worker -> grader: one JSON object per line on a private pipe (the fd is in the config; stdout is only
output). Events, in the order a run makes them:

    import {stem}  imported {stem}  import_failed {stem, reason}   each answer module, before pytest
    session                                                          pytest started (for profiles)
    collected {ids}                                                  every test node id, once
    collect_error {id, message}                                      a test module that did not import
    start {id}  report {id, outcome, message, failure, duration, values}   each test, in order
    finished {status}  coverage {files}  exit {status}               the end of the session

A `report` carries the test's recorded values (`Record`s, below) and, when it failed, a `failure`: facts the
grader formats itself for hidden tests (an exception's type name and the answer file line it came from), so
no text the learner's code wrote reaches a feedback page of a hidden test.

Values cross as plain data only: numbers, strings, and arrays of bool/int/uint/float32/float64, serialized
with np.save (allow_pickle=False), base64 in JSON; never pickle, never an object. `to_plain` admits a value
by its exact type (`type(x) is np.ndarray`, `torch.Tensor`, ...) before any conversion, so no `__array__`,
`__array_interface__`, subclass or fake tensor reaches the grader, and the grader re-checks what it decodes.

Two kinds of check, kept apart:
- compared with the reference: `close`, `equal` (the reference run's value, on the same hidden inputs) and
  `accuracy` (ground truth held by the grader). Only these earn points at grading.
- judged on recorded data: `same` (two of the learner's own values agree: causality, invariance, batch
  equals rows, determinism) and `bound` (a value within fixed limits). A property is never compared with
  the reference's value; it can only withhold points, since a value the learner controls can satisfy it.
`compare` below is the single implementation of every check, used by `labkit check` in the worker and by the
grader; its messages never show a reference value unless the caller says the value is public.
"""
from __future__ import annotations

import base64
import io
import json
import sys
from dataclasses import asdict, dataclass, field

import numpy as np

from .threadsafe import AST_LOCK

# ---------------------------------------------------------------- events
IMPORT, IMPORTED, IMPORT_FAILED = "import", "imported", "import_failed"
SESSION, COLLECTED, COLLECT_ERROR = "session", "collected", "collect_error"
START, REPORT = "start", "report"
FINISHED, COVERAGE, EXIT = "finished", "coverage", "exit"
EVENTS = (IMPORT, IMPORTED, IMPORT_FAILED, SESSION, COLLECTED, COLLECT_ERROR, START, REPORT, FINISHED, COVERAGE,
          EXIT)


def encode_event(event: dict) -> bytes:
    return (json.dumps(event) + "\n").encode()


def decode_event(line: bytes) -> dict | None:
    """One event, or None for a line that is not one (the runner counts those as tampering)."""
    try:
        event = json.loads(line)
    except ValueError:
        return None
    return event if isinstance(event, dict) and event.get("ev") in EVENTS else None


# ---------------------------------------------------------------- the worker's configuration
@dataclass
class WorkerConfig:
    mode: str  # grade | reference | check | suite
    answers_dir: str
    tests_dir: str
    channel_fd: int
    answer_stems: list[str] = field(default_factory=list)
    broken: dict[str, str] = field(default_factory=dict)  # stem -> why it is not imported
    device: str = "cpu"  # the device that CUDA-parametrized tests may use: cpu | cuda
    node_ids: list[str] | None = None  # None: every collected test
    time_limits: dict[str, float] = field(default_factory=dict)  # question id -> seconds per test
    preload: list[str] = field(default_factory=list)
    coverage: list[str] = field(default_factory=list)  # suite mode: files whose statement coverage is measured
    hidden_data: str | None = None  # folder of grader-made input files (hidden tests)
    collect: list[str] = field(default_factory=list)  # test folders to run (none: all of tests_dir)
    questions: list[str] = field(default_factory=list)  # only these questions' tests (none: every question)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "WorkerConfig":
        return cls(**json.loads(text))


# ---------------------------------------------------------------- arrays
ALLOWED_DTYPES = {np.dtype(t) for t in (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16,
                                        np.uint32, np.uint64, np.float32, np.float64)}
MAX_VALUE_BYTES = 64 << 20  # one recorded value: a larger one is not a result a test needs to compare


def encode_array(arr: np.ndarray) -> str:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return base64.b64encode(buf.getvalue()).decode()


def decode_array(text: str) -> np.ndarray | None:
    """The array, or None when the bytes are not a plain array of an allowed dtype (the grader trusts nothing)."""
    try:
        with AST_LOCK:  # np.load parses the .npy header with ast.literal_eval (see autograder.threadsafe)
            arr = np.load(io.BytesIO(base64.b64decode(text, validate=True)), allow_pickle=False)
    except Exception:  # noqa: BLE001  (any malformed input is simply not a value)
        return None
    if type(arr) is not np.ndarray or arr.dtype not in ALLOWED_DTYPES:
        return None
    return arr


# ---------------------------------------------------------------- plain values, by exact type
_NUMPY_SCALARS = {np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
                  np.float32, np.float64}


class NotPlain(TypeError):
    """A value that cannot cross to the grader: the message says what it was and what would do."""


def to_plain(value) -> tuple[str, np.ndarray | str]:
    """(type tag, data): data is a str or a fresh ndarray of an allowed dtype. Raises NotPlain for anything else."""
    t = type(value)
    if t is str:
        return "str", value
    if t in (bool, int, float):
        return "number", _checked(np.asarray(value), "a number")
    if t in _NUMPY_SCALARS:
        return "number", _checked(np.asarray(value), f"numpy.{t.__name__}")
    if t is np.ndarray:
        arr = _checked(np.array(value, copy=True), f"an array of {value.dtype}")
        return ("number" if arr.ndim == 0 else "numpy.ndarray"), arr
    torch = sys.modules.get("torch")
    if torch is not None and t is torch.Tensor:
        return "torch.Tensor", _tensor(value, torch)
    if t in (list, tuple):
        if not _numbers_only(value):
            raise NotPlain(f"a {t.__name__} holding something other than numbers")
        return t.__name__, _checked(np.array(value), f"a {t.__name__}")
    raise NotPlain(f"{t.__module__}.{t.__qualname__}, which is not plain data (use a float, an int, a str, "
                   "a numpy.ndarray or a torch.Tensor)")


def _checked(arr: np.ndarray, what: str) -> np.ndarray:
    if arr.dtype not in ALLOWED_DTYPES:
        raise NotPlain(f"{what} of dtype {arr.dtype} (allowed: bool, integers, float32, float64)")
    if arr.nbytes > MAX_VALUE_BYTES:
        raise NotPlain(f"{what} of {arr.nbytes >> 20} MB, too large to compare")
    return arr


def _tensor(value, torch) -> np.ndarray:
    if value.layout != torch.strided or value.is_quantized or value.device.type not in ("cpu", "cuda"):
        raise NotPlain(f"a {value.layout} tensor on {value.device} (record a dense CPU or CUDA tensor)")
    if value.is_complex() or value.is_conj() or value.is_neg():
        raise NotPlain("a complex or lazily conjugated tensor")
    return _checked(value.detach().cpu().contiguous().numpy().copy(), f"a tensor of {value.dtype}")


def _numbers_only(seq, depth: int = 0) -> bool:
    if depth > 8:
        return False
    return all(type(x) in (bool, int, float) or type(x) in _NUMPY_SCALARS or
               type(x) in (list, tuple) and _numbers_only(x, depth + 1) for x in seq)


# ---------------------------------------------------------------- records
# compared with the reference (they earn points) | judged on the learner's recorded data (they only withhold)
COMPARED = ("close", "equal", "accuracy")
JUDGED = ("same", "bound")
SERIES = "series"  # plot data for feedback pages: never compared, never scored


def record(kind: str, name: str, value, **spec) -> dict:
    """One recorded value as it crosses the wire: {name, kind, tag, npy|text, **spec}."""
    tag, data = to_plain(value)
    rec = {"name": str(name), "kind": kind, "tag": tag, **spec}
    if isinstance(data, str):
        rec["text"] = data
    else:
        rec["npy"] = encode_array(data)
    return rec


@dataclass(frozen=True)
class Value:
    tag: str
    data: np.ndarray | str

    @classmethod
    def of(cls, rec: dict, key: str = "npy") -> "Value | None":
        if key == "npy" and "text" in rec:
            return cls(str(rec.get("tag")), str(rec["text"]))
        arr = decode_array(rec[key]) if isinstance(rec.get(key), str) else None
        return None if arr is None else cls(str(rec.get("tag")), arr)


def compare(kind: str, name: str, have: Value | None, want: Value | None, spec: dict, show: bool = False) -> str | None:
    """None when `have` passes the check of this kind against `want`, else the reason.

    close/equal: `want` is the reference's (or, in `labkit check`, the oracle's) value; accuracy: `want` holds
    the true labels; same: `want` is the learner's second value; bound: `want` is unused. `spec` holds the
    tolerances or limits (the reference run's, at grading). show=True lets the message quote `want` (public).
    """
    if have is None:
        return f"{name}: no value was produced"
    if kind == "bound":
        return _bound(name, have, spec)
    if want is None:
        return f"{name}: the value to compare with is missing"
    if kind == "accuracy":
        return _accuracy(name, have, want, float(spec["minimum"]))
    if kind in ("close", "equal") and have.tag != want.tag and not _interchangeable(have.tag, want.tag):
        return f"{name}: returned {_kind_word(have.tag)}, expected {_kind_word(want.tag)}"
    if isinstance(want.data, str) or isinstance(have.data, str):
        if have.data == want.data:
            return None
        return f"{name}: the string differs" + (f": got {have.data[:80]!r}, expected {want.data[:80]!r}" if show else "")
    a, b = have.data, want.data
    if (a.dtype.kind in "f") != (b.dtype.kind in "f") and have.tag != "number":
        return f"{name}: dtype {a.dtype}, expected {'a float dtype' if b.dtype.kind == 'f' else b.dtype}"
    if a.shape != b.shape:
        return f"{name}: shape {a.shape}, expected {b.shape}"
    if kind == "equal":
        if np.array_equal(a, b):
            return None
        differ = int(np.sum(a != b))
        return f"{name}: {differ} of {b.size} entries differ" + (f"; got {_short(a)}, expected {_short(b)}" if show else "")
    what = "differ" if kind == "same" else "are off"
    return _close(name, a, b, float(spec.get("rtol", 0.0)), float(spec.get("atol", 0.0)), show, what)


def _interchangeable(a: str, b: str) -> bool:
    """A list and a tuple of numbers, or a 0-d array and a number, mean the same thing to a reader of the API."""
    return {a, b} <= {"list", "tuple"}


def _kind_word(tag: str) -> str:
    return {"number": "a number", "str": "a str", "numpy.ndarray": "a numpy.ndarray", "torch.Tensor": "a torch.Tensor",
            "list": "a list", "tuple": "a tuple"}.get(tag, tag[:60])


def _close(name: str, have: np.ndarray, want: np.ndarray, rtol: float, atol: float, show: bool,
           what: str = "are off") -> str | None:
    have, want = have.astype(np.float64), want.astype(np.float64)
    if not np.array_equal(np.isnan(have), np.isnan(want)):
        return f"{name}: has nan where a number was expected" if np.isnan(have).sum() > np.isnan(want).sum() else \
            f"{name}: a number where nan was expected"
    inf = np.isinf(want)
    if not np.array_equal(np.isinf(have), inf) or not np.array_equal(have[inf], want[inf]):
        return f"{name}: has inf where a finite value was expected, or an infinity of the wrong sign"
    fin = np.isfinite(want)
    err = np.abs(have[fin] - want[fin])
    bad = err > atol + rtol * np.abs(want[fin])
    if not bad.any():
        return None
    scale = np.abs(want[fin][bad])
    worst = f"relative error up to ~{float(np.max(err[bad][scale > 0] / scale[scale > 0])):.0e}" if (scale > 0).any() \
        else f"absolute error up to ~{float(np.max(err[bad])):.0e} where 0 was expected"
    shown = f"; got {_short(have)}, expected {_short(want)}" if show else ""
    return (f"{name}: {int(bad.sum())} of {want.size} values {what} ({worst}; rtol={rtol:g}, atol={atol:g}){shown}")


def _accuracy(name: str, have: Value, truth: Value, minimum: float) -> str | None:
    pred, true = np.asarray(have.data), np.asarray(truth.data)
    if isinstance(have.data, str) or pred.shape != true.shape:
        return f"{name}: {pred.shape[0] if pred.ndim else 0} predictions for {len(true)} examples"
    acc = float(np.mean(pred == true))
    return None if acc >= minimum else f"{name}: accuracy {acc:.3f} is below the required {minimum:.2f}"


def _bound(name: str, have: Value, spec: dict) -> str | None:
    if isinstance(have.data, str) or have.data.dtype.kind == "b":
        return f"{name}: expected a number"
    arr = have.data.astype(np.float64)
    low, high = spec.get("low"), spec.get("high")
    if np.isnan(arr).any():
        return f"{name}: is nan"
    if low is not None and (arr < float(low)).any():
        return f"{name}: {_short(arr)} is below {float(low):g}"
    if high is not None and (arr > float(high)).any():
        return f"{name}: {_short(arr)} is above {float(high):g}"
    return None


def _short(arr: np.ndarray) -> str:
    return np.array2string(np.asarray(arr), precision=6, threshold=8, edgeitems=2).replace("\n", " ")


def judge(rec: dict, reference: dict | None = None, truth: Value | None = None, show: bool = False) -> str | None:
    """Decide one recorded value: against the reference's record (close/equal), the grader's labels (accuracy) or
    itself (same/bound). The spec (tolerances, limits, minimum) comes from `reference` when given: at grading
    the learner's own record cannot loosen it."""
    spec = reference if reference is not None else rec
    kind = spec["kind"]
    name = spec["name"]
    have = Value.of(rec) if rec is not None else None
    if kind in ("close", "equal"):
        want = Value.of(reference) if reference is not None else None
    elif kind == "accuracy":
        want = truth
    elif kind == "same":
        want = Value.of(rec, "npy_b") if rec is not None and "npy_b" in rec else None
        if want is not None and have is not None:
            want = Value(have.tag, want.data)
    else:
        want = None
    return compare(kind, name, have, want, spec, show)
