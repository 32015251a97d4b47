"""The core of the hostile corpus, reused for every lab through corpus.build: no lab can be cheated."""
from __future__ import annotations

import pytest

from autograder import grade, manifest, reference, scoring
from conftest import short_limits
from corpus import build

pytestmark = pytest.mark.slow
LABS = [lab for lab in manifest.all_labs() if lab.solution.is_dir() and lab.id != "02-linear-models-gradcheck"]
CORE_TRICKS = ["always_equal_protocols", "patch_numeric_checks", "conftest_in_submission", "forged_output",
               "patch_grader_plugin"]


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.id)
def test_core_tricks_earn_at_most_the_forgeable_points(lab, tmp_path):
    fast = short_limits(lab, question_s=20.0, total_s=max(60.0, lab.time_limit / 2))
    for trick in CORE_TRICKS:
        build(fast, trick, tmp_path / "class" / trick, {})
    batch = batch.grade(fast, [tmp_path / "class"], batch.BatchOptions(out=tmp_path / "out", device="cpu"))
    ref = reference.cached_reference(fast, "cpu", batch.state_dir(tmp_path / "out"))
    bound = scoring.forgeable_points(fast, ref)
    # only the plugin-patching trick may forge the in-worker (value-free) checks; the others get nothing
    for r in batch.records:
        allowed = bound if r["student"] == "patch_grader_plugin" else 0.0
        assert r["total"] <= allowed + 1e-9, (lab.id, r["student"], r["total"], allowed)
    assert bound <= 0.2 * fast.points, f"{lab.id}: {bound} points rest on in-worker assertions alone"
