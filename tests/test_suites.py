"""Grading learner-written tests by mutation: wheats must pass, chaffs must be caught, nothing leaks back."""
from __future__ import annotations

import pytest

from autograder import batch, grading, manifest, paths, runner, submission, suites

MATHLIB = '''
def mean(xs):
    return sum(xs) / len(xs)


def clip(x, lo, hi):
    return max(lo, min(x, hi))
'''

LAB_TOML = '''
id = "99-suite-demo"
title = "Suite demo"
duties = [4]
answer_files = ["test_mathlib.py"]
time_limit = 60
question_time_limit = 20

[[questions]]
id = "q1"
title = "Tests for mathlib"
points = 4
kind = "suite"
file = "test_mathlib.py"
implementation = ["mathlib.py"]
hint = "Test the edges: the bounds of clip, a one-element mean."
'''

CHAFFS = {
    "mean_off_by_one": ('mean divides by len - 1', "sum(xs) / len(xs)", "sum(xs) / (len(xs) - 1 or 1)"),
    "clip_swapped": ('clip ignores the upper bound', "max(lo, min(x, hi))", "max(lo, x)"),
}
WHEAT = ("a refactored but equivalent mathlib", "max(lo, min(x, hi))", "lo if x < lo else hi if x > hi else x")

GOOD = '''
from mathlib import clip, mean


def test_mean():
    assert mean([1, 2, 3, 6]) == 3


def test_clip():
    assert clip(5, 0, 3) == 3 and clip(-1, 0, 3) == 0 and clip(2, 0, 3) == 2
'''


def _toml(description, find, replace):
    return f'description = "{description}"\nfile = "mathlib.py"\n[[replace]]\nfind = "{find}"\nwith = "{replace}"\n'


@pytest.fixture
def suite_lab(tmp_path, monkeypatch):
    labs, sols = tmp_path / "labs" / "99-suite-demo", tmp_path / "solutions" / "99-suite-demo"
    labs.mkdir(parents=True)
    (labs / "lab.toml").write_text(LAB_TOML)
    (labs / "mathlib.py").write_text(MATHLIB)  # provided to learners, so it is looked up in labs/
    (labs / "tests").mkdir()
    for kind, items in (("chaffs", CHAFFS), ("wheats", {"refactored": WHEAT})):
        (sols / kind).mkdir(parents=True)
        for name, spec in items.items():
            (sols / kind / f"{name}.toml").write_text(_toml(*spec))
    monkeypatch.setattr(paths, "SOLUTIONS", tmp_path / "solutions")
    return manifest.load(labs)


def _grade(lab, code):
    path = lab.path.parent / "submission" / "test_mathlib.py"
    path.parent.mkdir(exist_ok=True)
    path.write_text(code)
    sub = submission.load(lab, "learner", path.parent)
    return grading.grade_one(lab, sub, runner.RunResult(), "cpu", None).questions[0]


def test_variants_are_the_reference_twice_the_wheats_and_the_chaffs(suite_lab):
    found = [(v.kind, v.name) for v in suites.variants(suite_lab)]
    assert found == [("wheat", "reference"), ("wheat", "reference-again"), ("wheat", "refactored"),
                     ("chaff", "clip_swapped"), ("chaff", "mean_off_by_one")]


def test_a_suite_that_catches_every_chaff_scores_full(suite_lab):
    q = _grade(suite_lab, GOOD)
    assert q.score == 4 and q.status == "passed", q


def test_a_suite_that_misses_a_chaff_loses_its_share_and_is_told_which(suite_lab):
    q = _grade(suite_lab, GOOD.split("def test_clip")[0])
    assert q.score == 2 and q.status == "partial"
    assert "clip ignores the upper bound" in q.reason


def test_a_suite_that_fails_on_correct_code_earns_nothing(suite_lab):
    q = _grade(suite_lab, GOOD + "\n\ndef test_wrong():\n    assert mean([1, 2]) == 2\n")
    assert q.score == 0 and "test_wrong failed on a correct implementation" in q.reason


def test_a_suite_that_recognises_the_reference_source_earns_nothing(suite_lab):
    # fails on anything but the exact reference text: catches every chaff, but also the refactored wheat
    sniffer = "import inspect, mathlib\n\ndef test_is_reference():\n    assert 'min(x, hi)' in inspect.getsource(mathlib)\n"
    q = _grade(suite_lab, sniffer)
    assert q.score == 0 and "refactored" in q.reason


def test_implementation_code_never_reaches_feedback(suite_lab):
    leak = ("import inspect, mathlib\n\n"
            "def test_leak_it():\n    raise AssertionError(inspect.getsource(mathlib))\n")
    q = _grade(suite_lab, leak)
    assert q.score == 0
    assert "return sum" not in str(q) and "test_leak_it failed on a correct implementation" in q.reason


def test_no_tests_and_syntax_errors_score_zero_with_a_reason(suite_lab):
    assert "no test was collected" in _grade(suite_lab, "x = 1\n").reason
    assert "syntax error" in _grade(suite_lab, "def test_x(:\n").reason


def test_a_module_that_fails_to_import_is_a_failure_not_a_crash(suite_lab):
    q = _grade(suite_lab, "import no_such_module\n\ndef test_x():\n    pass\n")
    assert q.score == 0 and "failed on a correct implementation" in q.reason


def test_manifest_rejects_a_suite_without_implementation(tmp_path):
    folder = tmp_path / "99-suite-demo"
    folder.mkdir()
    (folder / "lab.toml").write_text(LAB_TOML.replace('implementation = ["mathlib.py"]\n', ""))
    with pytest.raises(manifest.ManifestError, match="implementation"):
        manifest.load(folder)


def test_check_runs_the_learners_suite_against_the_provided_code(suite_lab, tmp_path):
    from autograder import checking

    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "test_mathlib.py").write_text(GOOD + "\n\ndef test_wrong():\n    assert mean([1]) == 2\n")
    result = checking.check_sources(suite_lab, submission.load(suite_lab, "you", tmp_path / "mine"), [])
    (q,) = result.questions
    assert (q.passed, q.total) == (2, 3) and q.failures[0][0] == "test_wrong"
    assert "assert 1.0 == 2" in q.failures[0][1]  # the learner's own run: full messages are theirs to see


def test_coverage_of_the_implementation_is_reported_not_scored(suite_lab, tmp_path):
    from autograder import checking

    def record(code):
        folder = tmp_path / "cov" / str(abs(hash(code)))
        folder.mkdir(parents=True)
        (folder / "test_mathlib.py").write_text(code)
        return grading.grade_one(suite_lab, submission.load(suite_lab, "learner", folder), runner.RunResult(), "cpu", None)

    # mathlib has 4 statements (two defs, two returns): importing it runs the defs, each test one return
    assert "your tests ran 100 % of mathlib.py on the reference implementation" in " ".join(record(GOOD).notes)
    only_mean = record(GOOD.split("def test_clip")[0])
    assert "your tests ran 75 % of mathlib.py" in " ".join(only_mean.notes) and only_mean.total == 2
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "test_mathlib.py").write_text(GOOD.split("def test_clip")[0])
    notes = checking.check_sources(suite_lab, submission.load(suite_lab, "you", tmp_path / "mine"), []).notes
    assert any("75 % of mathlib.py on the provided code" in n for n in notes), notes
