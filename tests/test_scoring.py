"""The scoring rule: hidden tests only; points from values compared with the reference; gates only withhold;
any failure caps a question at half; hidden messages come from the grader."""
import numpy as np

from autograder import channel, scoring
from autograder.runner import RunResult, TestOutcome

Q4 = "hidden/test_h.py::test_estimator_"


def compared(name="v", value=1.0):
    return channel.record("close", name, value, rtol=1e-9, atol=0.0)


def run(tests):
    return RunResult(tests={t.id: t for t in tests})


def outcome(name, outcome="passed", values=(), **kw):
    return TestOutcome(Q4 + name, outcome, values=list(values), **kw)


def test_earning_tests_share_the_points_and_one_failure_caps_at_half(lab02):
    ref = run([outcome("a", values=[compared()]), outcome("b", values=[compared()]), outcome("c", values=[compared()]),
               outcome("d", values=[compared()])])
    got = run([outcome("a", values=[compared()]), outcome("b", values=[compared()]), outcome("c", values=[compared()]),
               outcome("d", values=[compared(value=2.0)])])
    q4 = next(q for q in scoring.score(lab02, ref, got, {}) if q.id == "q4")
    assert q4.score == 2.0 and q4.status == "partial", "3 of 4 right would be 3/4; one failure caps at half"
    assert "values are off" in q4.reason


def test_gates_withhold_but_never_earn(lab02):
    ref = run([outcome("gate"), outcome("value", values=[compared()])])
    forged = run([outcome("gate"), outcome("value", "failed", failure={"kind": "not_implemented"})])
    assert next(q for q in scoring.score(lab02, ref, forged, {}) if q.id == "q4").score == 0
    failed_gate = run([outcome("gate", "failed", failure={"kind": "check", "text": "x"}),
                       outcome("value", values=[compared()])])
    assert next(q for q in scoring.score(lab02, ref, failed_gate, {}) if q.id == "q4").score == 2.0


def test_public_tests_never_score(lab02):
    ref = run([TestOutcome("public/t.py::test_estimator_x", "passed", values=[compared()]),
               outcome("value", values=[compared()])])
    q4 = next(q for q in scoring.score(lab02, ref, ref, {}) if q.id == "q4")
    assert [t.id for t in q4.tests] == [Q4 + "value"]


def test_a_question_without_an_earning_test_is_a_lab_error(lab02):
    ref = run([outcome("gate")])
    assert scoring.unscored_questions(lab02, ref) == ["q1", "q2", "q3", "q4"]


def test_static_reasons_zero_the_question(lab02):
    ref = run([TestOutcome("hidden/t.py::test_naive_x", "passed", values=[compared()])])
    q1 = scoring.score(lab02, ref, ref, {"q1": "linear_models.py does not define softmax_loss_naive"})[0]
    assert q1.score == 0 and "does not define" in q1.reason and q1.hint


def test_hidden_messages_are_rebuilt_from_facts(lab02):
    ref = run([outcome("v", values=[compared()])])
    sneaky = {"kind": "exception", "type": "ValueError('hidden source: seed=913')", "where": "/etc/passwd:1",
              "text": "def test_hidden(...): seed = 913"}
    got = run([outcome("v", "failed", message="ValueError: seed=913", failure=sneaky)])
    q4 = next(q for q in scoring.score(lab02, ref, got, {}) if q.id == "q4")
    assert q4.reason == "raised an exception" and "913" not in str(q4)
    located = {"kind": "exception", "type": "ValueError", "where": "linear_models.py:36", "text": "913"}
    got = run([outcome("v", "failed", failure=located)])
    assert next(q for q in scoring.score(lab02, ref, got, {}) if q.id == "q4").reason == \
        "raised ValueError (in linear_models.py, line 36)"
    stuck = {"kind": "timeout", "type": "Timeout", "where": "linear_models.py:112", "text": ""}
    got = run([outcome("v", "failed", message="timed out (the question's time limit)", failure=stuck)])
    assert next(q for q in scoring.score(lab02, ref, got, {}) if q.id == "q4").reason == \
        "timed out (the question's time limit) (in linear_models.py, line 112)"


def test_author_assertion_text_shows_only_when_it_is_a_literal_of_the_hidden_file(lab02, monkeypatch):
    monkeypatch.setattr(scoring, "_literals", lambda lab: frozenset({"the learned weights are far from the true ones"}))
    ref = run([outcome("v", values=[compared()])])
    literal = {"kind": "check", "text": "the learned weights are far from the true ones"}
    got = run([outcome("v", "failed", failure=literal)])
    assert "far from the true ones" in next(q for q in scoring.score(lab02, ref, got, {}) if q.id == "q4").reason
    forged = {"kind": "check", "text": "SEEDS = [11, 23, 37]"}
    got = run([outcome("v", "failed", failure=forged)])
    assert next(q for q in scoring.score(lab02, ref, got, {}) if q.id == "q4").reason == "a hidden check failed"


def test_parametrize_ids_never_reach_a_record(lab02):
    ref = run([outcome("v[913-secret]", values=[compared()]), outcome("v[914-secret]", values=[compared()])])
    q4 = next(q for q in scoring.score(lab02, ref, ref, {}) if q.id == "q4")
    assert [t.id for t in q4.tests] == [Q4 + "v[0]", Q4 + "v[1]"]
    assert np.isclose(q4.score, 4.0)
