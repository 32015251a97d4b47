from autograder import scoring
from autograder.runner import RunResult, TestOutcome


def run(outcomes):
    return RunResult(tests={tid: TestOutcome(tid, o) for tid, o in outcomes.items()})


def test_partial_credit_by_weight_and_skips_do_not_count(lab02):
    ref = run({"public/t.py::test_estimator_check_estimator": "passed", "public/t.py::test_estimator_a": "passed",
               "public/t.py::test_estimator_b": "passed", "public/t.py::test_estimator_cuda[cuda]": "skipped"})
    got = run({"public/t.py::test_estimator_check_estimator": "passed", "public/t.py::test_estimator_a": "failed"})
    q4 = next(q for q in scoring.score(lab02, ref, got, {}) if q.id == "q4")
    # check_estimator weighs 2 of 4: half the points; the skipped CUDA test is not counted at all
    assert q4.score == 2.0 and q4.status == "partial" and len(q4.tests) == 3
    assert "did not report" in next(t.message for t in q4.tests if t.id.endswith("test_estimator_b"))


def test_static_reasons_zero_the_question(lab02):
    ref = run({"public/t.py::test_naive_x": "passed"})
    q1 = scoring.score(lab02, ref, ref, {"q1": "linear_models.py does not define softmax_loss_naive"})[0]
    assert q1.score == 0 and "does not define" in q1.reason and q1.hint


def test_forgeable_points_counts_value_free_tests(lab02, reference02):
    # lab 02 keeps purely behavioural tests to check_estimator (2 of 7 weights of the 4-point q4)
    assert 0 < scoring.forgeable_points(lab02, reference02) <= 0.15 * lab02.points
