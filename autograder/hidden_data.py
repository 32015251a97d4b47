"""Hidden evaluation data, made in the grader's process: inputs go to the hidden tests, the truth never leaves.

A lab that scores predictions against labels (accuracy) or evaluates on rows of a dataset a learner can load
keeps its evaluation data in `solutions/<lab>/hidden_data.py`: each public function there is a *case*, taking
no arguments and returning two dicts of numpy arrays, `(inputs, truth)`:

    def digits_split():
        X, y = load_digits(return_X_y=True)
        ...resample and perturb with a seed kept in this file...
        return {"X_train": X_tr, "y_train": y_tr, "X_test": X_te}, {"y_test": y_te}

The grader runs the cases once per lab (this module is never copied into a job), writes each case's inputs as
`<case>.npz` into the job's workspace, where the `hidden_data` fixture loads them, and keeps the truth: a hidden
test names it (`verdict.accuracy("digits", pred, truth="digits_split.y_test", minimum=0.95)`) and the grader
computes the accuracy. Labels are never in the learner's process, and the seed that makes the rows is never
in the job's view, so a learner cannot look rows up in a dataset shipped with a package.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.util
import inspect
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .channel import ALLOWED_DTYPES
from .errors import LabFileError
from .manifest import Lab
from .threadsafe import AST_LOCK


@dataclass
class HiddenData:
    inputs: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)  # case -> name -> array
    truth: dict[str, np.ndarray] = field(default_factory=dict)  # "case.name" -> array

    def write_inputs(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for case, arrays in self.inputs.items():
            np.savez(folder / f"{case}.npz", **arrays)


def source(lab: Lab) -> Path:
    return lab.solution / "hidden_data.py"


_BUILDING = threading.Lock()  # one build at a time: grading threads share the result (and the AST lock below)


def build(lab: Lab) -> HiddenData:
    """Every case of the lab (none when it has no hidden_data.py), made once per process and file content."""
    path = source(lab)
    if not path.is_file():
        return HiddenData()
    with _BUILDING:
        return _build(path, hashlib.sha256(path.read_bytes()).hexdigest())


@functools.lru_cache(maxsize=16)
def _build(path: Path, digest: str) -> HiddenData:
    out = HiddenData()
    for case, fn in _cases(path).items():
        inputs, truth = _call(path, case, fn)
        out.inputs[case] = inputs
        out.truth.update({f"{case}.{k}": v for k, v in truth.items()})
    return out


def build_case(lab: Lab, case: str) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """One case's (inputs, truth): for an author running hidden tests directly, outside a grading job."""
    path = source(lab)
    fns = _cases(path) if path.is_file() else {}
    if case not in fns:
        raise LabFileError(f"{path}: no case {case!r} (has {', '.join(fns) or 'none'})")
    return _call(path, case, fns[case])


def _cases(path: Path) -> dict:
    spec = importlib.util.spec_from_file_location(f"labkit_hidden_data_{path.parent.name.replace('-', '_')}", path)
    module = importlib.util.module_from_spec(spec)
    try:
        with AST_LOCK:  # executing the file parses it (see autograder.threadsafe)
            spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001  (the lab's own file: its error stops the batch, with the reason)
        raise LabFileError(f"{path}: {type(exc).__name__}: {exc}") from None
    return {name: fn for name, fn in vars(module).items() if inspect.isfunction(fn) and not name.startswith("_")
            and fn.__module__ == module.__name__}


def _call(path: Path, case: str, fn) -> tuple[dict, dict]:
    try:
        inputs, truth = fn()
    except Exception as exc:  # noqa: BLE001
        raise LabFileError(f"{path}: case {case}() failed: {type(exc).__name__}: {exc}") from None
    for kind, arrays in (("inputs", inputs), ("truth", truth)):
        if not isinstance(arrays, dict):
            raise LabFileError(f"{path}: case {case}() must return (inputs, truth), two dicts of arrays")
        for name, arr in arrays.items():
            if type(arr) is not np.ndarray or arr.dtype not in ALLOWED_DTYPES or not name.isidentifier():
                raise LabFileError(f"{path}: {case}() {kind}[{name!r}] must be a numpy array of numbers")
    return inputs, truth
