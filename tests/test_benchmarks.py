"""The throughput benchmark's quick mode end to end, on a tiny class: both engines run and the ratio line is printed.

No timing is asserted (the machine is shared); scores of both engines must agree.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent


def test_quick_benchmark_runs_both_engines_and_prints_the_ratio(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "throughput.py"), "--quick", "--n", "2",
                           "--work", str(tmp_path / "work"), "--json", str(tmp_path / "figures.json")],
                          cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    assert re.fullmatch(r"throughput ratio labkit/nbgrader: \d+(\.\d+)?", lines[-1]), lines[-1]
    assert any("labkit check 02-linear-models-gradcheck q1" in line for line in lines)
    figures = json.loads((tmp_path / "figures.json").read_text())
    (row,) = figures["results"]
    assert row["lab"] == "02-linear-models-gradcheck" and row["n"] == 2
    assert row["scores_agree"] == 2, proc.stdout
    for engine in ("labkit", "nbgrader"):
        assert row[engine]["seconds"] > 0 and row[engine]["rc"] in (0, 1)


def test_synthetic_class_mixes_solution_stubs_and_mutants():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import throughput
    from autograder import manifest

    lab = manifest.load("02")
    subs = throughput.submissions(lab, 10)
    kinds = [kind for _, kind, _ in subs]
    assert kinds[:2] == ["solution", "stubs"] and all(k.startswith("mutant-") for k in kinds[2:8])
    assert len({s for s, _, _ in subs}) == 10
    assert len({tuple(src.values()) for _, _, src in subs}) == 10  # every notebook unique
