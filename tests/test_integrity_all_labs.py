"""The core of the hostile corpus, reused for every lab through corpus.build: no lab can be cheated."""
from __future__ import annotations

import pytest

from autograder import batch, manifest
from conftest import short_limits
from corpus import build

pytestmark = pytest.mark.slow
LABS = [lab for lab in manifest.all_labs() if lab.solution.is_dir() and lab.id != "02-linear-models-gradcheck"]
CORE_TRICKS = ["always_equal_protocols", "patch_numeric_checks", "conftest_in_submission", "forged_output",
               "patch_grader_plugin", "frame_walking"]


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.id)
def test_core_tricks_earn_nothing(lab, tmp_path):
    fast = short_limits(lab, question_s=20.0, total_s=max(60.0, lab.time_limit / 2))
    for trick in CORE_TRICKS:
        build(fast, trick, tmp_path / "class" / trick, {})
    graded = batch.grade(fast, [tmp_path / "class"], batch.BatchOptions(out=tmp_path / "out", device="cpu"))
    # what the learner's process says about itself (a patched plugin) can only withhold points, never earn them
    for r in graded.records:
        assert r.total == 0, (lab.id, r.student, r.total, [(q.id, q.score) for q in r.questions])
