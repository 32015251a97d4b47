"""Feedback pages (HTML, embedded plots) and plot data recorded with verdict.series: shown, never scored."""
from __future__ import annotations

import base64
import io
import json
import re

import numpy as np
import pytest

import demo_grades
from autograder import channel, scoring
from autograder.plugin import Verdict
from autograder.record import GradeRecord, QuestionResult, TestResult
from autograder.reports import feedback_html
from autograder.runner import RunResult, TestOutcome

ORACLE = "hidden/test_hidden_linear_models.py::test_naive_hidden_inputs[0]"


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    return demo_grades.graded(tmp_path_factory)


def _pngs(page: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)]


def test_verdict_series_records_plain_arrays_only():
    v = Verdict()
    v.series("loss", [3.0, 2.0, 1.5])
    v.series("confusion", np.eye(3, dtype=int) * 5, plot="matrix")
    assert [r["kind"] for r in v.records] == ["series", "series"] and v.records[1]["plot"] == "matrix"
    with pytest.raises(ValueError):
        v.series("cube", np.zeros((2, 2, 2)))
    with pytest.raises(ValueError):
        v.series("empty", [])
    with pytest.raises((ValueError, TypeError)):
        v.series("words", ["a", "b"])


def _series_record(name, values, plot="line"):
    v = Verdict()
    v.series(name, values, plot=plot)
    return v.records[0]


def test_series_is_carried_to_the_record_and_never_scored(lab02):
    """The reference's plot data differs from the submission's: the test still passes (plots are not compared),
    and the record carries the submission's own data, never the reference's."""
    value = channel.record("close", "loss", 1.0, rtol=1e-9, atol=0.0)
    ref = RunResult(tests={ORACLE: TestOutcome(ORACLE, "passed", values=[value, _series_record("curve", [9.0, 9.0])])})
    hostile = {"name": "bad", "kind": "series", "tag": "series", "npy": "not base64 at all"}
    cube = _series_record("curve", [1.0])
    cube["npy"] = channel.encode_array(np.zeros((2, 2, 2)))
    got = RunResult(tests={ORACLE: TestOutcome(ORACLE, "passed", values=[
        value, _series_record("curve", [3.0, 2.0, 1.0]), _series_record("cm", [[4, 1], [0, 5]], "matrix"), hostile,
        cube])})
    q1 = scoring.score(lab02, ref, got, {})[0]
    assert q1.status == "passed" and q1.score == q1.max
    series = q1.tests[0].series
    assert series == [{"name": "curve", "plot": "line", "values": [3.0, 2.0, 1.0]},
                      {"name": "cm", "plot": "matrix", "values": [[4.0, 1.0], [0.0, 5.0]]}]
    json.dumps(series)  # plain data: the record stays JSON
    only_plot = RunResult(tests={ORACLE: TestOutcome(ORACLE, "passed", values=[_series_record("curve", [9.0])])})
    assert scoring.unscored_questions(lab02, only_plot)[0] == "q1", "plot data alone never earns points"


def _record(lab, student="ann") -> GradeRecord:
    return GradeRecord(student=student, lab=lab.id, total=0.0, max=lab.points, isolation="rlimits", seconds=1.0,
                       questions=[QuestionResult(q.id, q.title, 0.0, q.points, "not implemented yet", q.hint,
                                                 [TestResult(f"hidden/t.py::test_{q.id}", False, True,
                                                             "not implemented yet")]) for q in lab.questions])


def test_plots_from_series_are_embedded_pngs(lab02):
    from PIL import Image
    r = _record(lab02)
    r.questions[1].tests[0].series = [
        {"name": "training loss", "plot": "line", "values": [2.3, 1.1, 0.7, 0.5]},
        {"name": "confusion matrix", "plot": "matrix", "values": [[8, 2], [1, 9]]}]
    page = feedback_html.feedback_html(lab02, r)
    pngs = _pngs(page)
    assert len(pngs) == 3  # the score chart, the learning curve, the confusion matrix
    for data in pngs:
        img = Image.open(io.BytesIO(data))
        assert img.format == "PNG" and img.size[0] > 100 and img.size[1] > 100
    assert 'alt="training loss"' in page and 'alt="confusion matrix"' in page


@pytest.mark.slow
def test_demo_writes_an_html_page_per_student_without_hidden_values(lab02, demo):
    from autograder.record import Gradebook
    book = Gradebook.read(demo)
    hidden_source = (lab02.solution / "hidden_tests" / "test_hidden_linear_models.py").read_text()
    for s in book.records:
        page = (demo / "feedback" / f"{s.student}.html").read_text()
        assert page.startswith("<!DOCTYPE html>") and f"Score: {round(s.total, 2):g} / 10" in page
        assert len(_pngs(page)) >= 1  # the per-question score chart
        assert not re.search(r'(src|href)="(https?:)?//', page), "the page must be self-contained"
        assert "<script" not in page
        text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page)  # base64 holds any digits
        assert "def test_" not in text and "913" not in text and hidden_source.splitlines()[0] not in text
        for q in s.questions:
            if q.status != "passed":
                assert feedback_html.esc(lab02.question(q.id).hint) in page
    stubs = (demo / "feedback" / "stubs.html").read_text()
    assert "not implemented yet" in stubs and "hidden checks: 0 of" in stubs
    assert "softmax_loss_naive" in stubs  # what was checked
