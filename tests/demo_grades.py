"""The demo class of lab 02 (`labkit demo`), graded once per test session and shared by the report tests.

Each test module asks for it through its own session-scoped fixture; the cache here makes that one grading.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_CACHE: dict[str, Path] = {}


def graded(tmp_path_factory) -> Path:
    """The folder `labkit demo 02 --out` wrote: gradebook, feedback, .labkit/results, submissions/."""
    if "out" not in _CACHE:
        out = tmp_path_factory.mktemp("demo-class") / "grades"
        proc = subprocess.run([sys.executable, "-m", "autograder.cli", "demo", "02", "--out", str(out)], cwd=ROOT,
                              capture_output=True, text=True, timeout=900, env={**os.environ, "KERAS_BACKEND": "torch"})
        assert proc.returncode == 0, proc.stdout + proc.stderr
        _CACHE["out"] = out
    return _CACHE["out"]


def labkit(*args, cwd=ROOT, timeout=600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder.cli", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "KERAS_BACKEND": "torch"})
