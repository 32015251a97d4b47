"""Skills transcripts: graded labs mapped onto the seven duties and the two frameworks, per learner and per class."""
from __future__ import annotations

import json

import pytest

import demo_grades
from autograder.reports import transcript
from records import book as _book


def test_frameworks_need_learner_code_not_an_oracle():
    assert transcript.frameworks_of(["keras", "torch"]) == ("PyTorch", "Keras")
    assert transcript.frameworks_of(["numpy", "torch (oracle only)", "pytorch (oracle only)"]) == ()


def test_profile_and_class_view_across_labs(tmp_path):
    # lab 02 covers D2 (main) and D1; lab 05 covers D4 (main), D1, D3 and PyTorch
    g02 = _book(tmp_path / "g02", "02-linear-models-gradcheck", 10, {"ann": [5, 5], "bob": [5, 0], "cy": [5, 4]})
    g05 = _book(tmp_path / "g05", "05-pytorch-training-loop", 20, {"ann": [10, 10], "bob": [0, 2], "cy": [3, 0]})
    labs = transcript.load([g02, g05])
    ann = transcript.profile(labs, "ann")
    assert ann["D2"]["level"] == "mastered" and ann["PyTorch"]["level"] == "mastered"
    assert ann["D6"]["level"] == "no evidence yet" and ann["Keras"]["evidence"] == []
    bob = transcript.profile(labs, "bob")
    assert bob["D1"]["fraction"] == pytest.approx((5 + 0 + 0 + 2) / 30)  # both labs count for D1
    assert {e[0] for e in bob["D1"]["evidence"]} == {"02-linear-models-gradcheck", "05-pytorch-training-loop"}
    assert bob["D4"]["level"] == "not yet"
    view = {v["skill"]: v for v in transcript.class_view(labs)}
    assert view["D2"]["mastered"] == pytest.approx(2 / 3)
    assert view["D4"]["mastered"] == pytest.approx(1 / 3) and view["D7"]["mastered"] is None
    page = transcript.render_class(labs)
    assert page.count('class="flag"') == sum(v["mastered"] is not None and v["mastered"] < 0.5 for v in view.values())
    assert "NOT YET MASTERED" in page and "no graded lab covers it yet" in page
    one = transcript.render_student(labs, "bob")
    assert "05-pytorch-training-loop q2: 2 / 10" in one and "@media print" in one


@pytest.mark.slow
def test_transcript_verb_on_the_demo_class(tmp_path_factory, tmp_path):
    demo = demo_grades.graded(tmp_path_factory)
    out = tmp_path / "partial.html"
    proc = demo_grades.labkit("transcript", demo, "--student", "partial", "--out", out)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "D2       developing       60%" in proc.stdout and "D7       no evidence yet" in proc.stdout
    page = out.read_text()
    assert "Skills transcript: partial" in page and "02-linear-models-gradcheck q4: 0 / 4" in page
    whole = demo_grades.labkit("transcript", demo, "--out", tmp_path / "class.html")
    assert whole.returncode == 0 and "D2       mastered by" in whole.stdout
    assert demo_grades.labkit("transcript", demo, "--student", "nobody").returncode == 2
