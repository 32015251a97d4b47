"""Grades do not depend on the machine's arithmetic: the solution and the blind correct variants, graded with
other BLAS and kernel paths (OpenBLAS's generic Prescott kernels, MKL's compatible mode, torch's non-vectorized
kernels) against a reference run made with the default ones, still score full marks. This is what a Dask worker
on another CPU, or a shared reference cache, does to a lab; a bit-exact check fails here."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from autograder import manifest, reference, submission
from autograder.authoring import variants
from autograder.grading import grade_one
from autograder.isolation import sandbox
from autograder.sources import solution_sources

pytestmark = pytest.mark.slow
LABS = [lab for lab in manifest.all_labs() if lab.solution.is_dir()]
OTHER_ARITHMETIC = {"OPENBLAS_CORETYPE": "Prescott", "MKL_CBWR": "COMPATIBLE", "ATEN_CPU_CAPABILITY": "default"}


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.id)
def test_full_marks_survive_another_machines_arithmetic(lab, monkeypatch):
    tier = sandbox.best_tier()
    ref = reference.cached_reference(lab, "cpu", None, tier)  # made with this machine's default arithmetic
    correct = [v for v in variants.load_all(lab) if v.kind == "correct"][:1]
    monkeypatch.setenv("LABKIT_WARM", "0")  # BLAS reads these when it loads: fresh workers only
    for key, value in OTHER_ARITHMETIC.items():
        monkeypatch.setenv(key, value)

    def grade(item):
        name, sources = item
        sub = submission.Submission(student=name, origin=lab.solution, sources=dict(sources))
        return name, grade_one(lab, sub, ref, "cpu", tier)

    with ThreadPoolExecutor(max_workers=2) as pool:  # one single-threaded job per core
        graded = list(pool.map(grade, [("solution", solution_sources(lab)), *((v.name, v.sources) for v in correct)]))
    for name, r in graded:
        assert r.total == lab.points, f"{lab.id} {name} on other arithmetic: {r.first_problem}"
