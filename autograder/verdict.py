"""The verdict, in the grader's process: a submission's recorded values against the reference's.

Order of checks: present, type, dtype kind, shape, finiteness, then closeness. Tolerances and
ground truth come from the reference run only. Messages never show a reference value.
"""
from __future__ import annotations

import numpy as np

from .plugin import decode_array
from .runner import TestOutcome
from .threadsafe import AST_LOCK

_SCALARS = {"number"}


def _array(rec: dict, key: str = "npy") -> np.ndarray | None:
    try:
        with AST_LOCK:  # np.load parses the .npy header with ast.literal_eval
            arr = decode_array(rec[key])
    except Exception:
        return None
    return arr if isinstance(arr, np.ndarray) and type(arr) is np.ndarray else None


def compare(ref: dict, got: dict | None) -> str | None:
    """None when the submission's value passes the reference's check, else a reason."""
    name = ref["name"]
    if got is None:
        return f"{name}: no value was produced"
    if got.get("tag") != ref["tag"]:
        return f"{name}: returned {got.get('tag')}, expected {ref['tag']}"
    if "text" in ref:
        return None if got.get("text") == ref["text"] else f"{name}: the string differs from the expected one"
    want, have = _array(ref), _array(got)
    if have is None or want is None:
        return f"{name}: the value could not be read as a plain array"
    if have.dtype.kind not in "biufc":
        return f"{name}: expected numbers, got {have.dtype}"
    if ref["kind"] == "accuracy":
        return _accuracy(ref, have)
    if ref["tag"] not in _SCALARS and (have.dtype.kind in "fc") != (want.dtype.kind in "fc"):
        return f"{name}: dtype {have.dtype}, expected {want.dtype}"
    if have.shape != want.shape:
        return f"{name}: shape {have.shape}, expected {want.shape}"
    if ref["kind"] == "equal":
        return None if np.array_equal(have, want) else f"{name}: {np.sum(have != want)} of {want.size} entries differ"
    return _close(name, have, want, float(ref.get("rtol", 1e-7)), float(ref.get("atol", 0.0)))


def _close(name: str, have: np.ndarray, want: np.ndarray, rtol: float, atol: float) -> str | None:
    kind = np.complex128 if "c" in (have.dtype.kind, want.dtype.kind) else np.float64
    have, want = have.astype(kind), want.astype(kind)
    if not np.array_equal(np.isfinite(have), np.isfinite(want)):
        return f"{name}: has inf or nan where a finite value was expected"
    inf = np.isinf(want)
    if not np.array_equal(have[inf], want[inf]):
        return f"{name}: an infinite value has the wrong sign"
    fin = np.isfinite(want)
    err = np.abs(have[fin] - want[fin])
    bound = atol + rtol * np.abs(want[fin])
    bad = err > bound
    if not bad.any():
        return None
    worst = float(np.max(err[bad] / np.maximum(np.abs(want[fin][bad]), 1e-300)))
    return (f"{name}: {int(bad.sum())} of {want.size} values are off (relative error up to ~{worst:.0e}; "
            f"tolerance rtol={rtol:g}, atol={atol:g})")


def _accuracy(ref: dict, have: np.ndarray) -> str | None:
    truth = _array(ref, "truth")
    name, minimum = ref["name"], float(ref["minimum"])
    if truth is None or have.shape != truth.shape:
        return f"{name}: {have.shape[0] if have.ndim else 0} predictions for {len(truth)} examples"
    acc = float(np.mean(have == truth))
    return None if acc >= minimum else f"{name}: accuracy {acc:.3f} is below the required {minimum:.2f}"


def decide(ref: TestOutcome, got: TestOutcome | None) -> tuple[bool, str]:
    """Final pass/fail of one test: the worker's own outcome AND every reference value matched."""
    if got is None:
        return False, "this test did not report a result"
    if got.outcome != "passed":
        return False, got.message or got.outcome
    values = {v.get("name"): v for v in got.values if isinstance(v, dict)}
    for rec in ref.values:
        reason = compare(rec, values.get(rec["name"]))
        if reason:
            return False, reason
    return True, ""
