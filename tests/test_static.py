"""Static questions: the grader reads the learner's files, so code that would patch a check never runs."""
from __future__ import annotations

import pytest

from autograder import batch, grading, manifest, paths, reference, scoring, sources, static, submission

LAB_TOML = '''
id = "97-static-demo"
title = "Static demo"
duties = [4]
answer_files = ["claims.py"]

[[questions]]
id = "q1"
title = "claims"
points = 2
kind = "static"
check = "checks:count_claims"
file = "claims.py"
symbols = ["CLAIMS"]
'''

CHECKS = '''
import ast

def count_claims(sources):
    tree = ast.parse(sources["claims.py"])
    value = next(n.value for n in tree.body
                 if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "CLAIMS")
    claims = ast.literal_eval(value)
    return [("three_claims", len(claims) == 3, f"{len(claims)} claims, wanted 3"),
            ("all_true", all(claims.values()), "a claim is False")]
'''

SOLUTION = '''"""Claims."""
### BEGIN SOLUTION
CLAIMS = {"a": True, "b": True, "c": True}
### END SOLUTION
'''


@pytest.fixture
def static_lab(tmp_path, monkeypatch):
    lab = tmp_path / "labs" / "97-static-demo"
    (lab / "tests").mkdir(parents=True)
    (lab / "lab.toml").write_text(LAB_TOML)
    solution = tmp_path / "solutions" / "97-static-demo"
    solution.mkdir(parents=True)
    (solution / "checks.py").write_text(CHECKS)
    (solution / "claims.py").write_text(SOLUTION)
    monkeypatch.setattr(paths, "SOLUTIONS", tmp_path / "solutions")
    return manifest.load(lab)


def _grade(lab, code: str):
    ref = reference.run_reference(lab, "cpu")
    folder = lab.path.parent.parent / "submission"
    folder.mkdir(exist_ok=True)
    (folder / "claims.py").write_text(code)
    return grading.grade_one(lab, submission.load(lab, "s", folder), ref, "cpu", "rlimits")


def test_static_question_scores_each_check_without_a_worker(static_lab):
    assert not any(q.runs_our_tests for q in static_lab.questions)
    full = _grade(static_lab, sources.solution_sources(static_lab)["claims.py"])
    assert full.total == 2 and full.seconds == 0.0  # no worker started: nothing of the learner's ran
    half = _grade(static_lab, 'CLAIMS = {"a": True, "b": False, "c": True}\n')
    assert half.total == 1 and half.questions[0].reason == "a claim is False"
    assert [t.id for t in half.questions[0].tests] == ["claims.py::three_claims", "claims.py::all_true"]


def test_code_that_would_patch_the_check_never_runs(static_lab):
    # run, this would make literal_eval return three true claims; read, it is just a dict of two
    forger = ('import ast\nast.literal_eval = lambda node: {"a": True, "b": True, "c": True}\n'
              'CLAIMS = {"a": True, "b": True}\n')
    r = _grade(static_lab, forger)
    assert r.total == 1 and "2 claims, wanted 3" in r.questions[0].reason


def test_unreadable_text_costs_points_with_a_reason(static_lab):
    deep = "CLAIMS = " + "[" * 300 + "]" * 300 + "\n"  # past the parser's nesting limit
    r = _grade(static_lab, deep)
    assert r.total == 0 and "syntax error" in r.questions[0].reason
    built = _grade(static_lab, "CLAIMS = dict(a=True, b=True, c=True)\n")  # the check's literal_eval raises
    assert built.total == 0 and "could not be read without running it (ValueError" in \
        built.questions[0].reason
    missing = _grade(static_lab, "X = 1\n")
    assert missing.total == 0 and "does not define CLAIMS" in missing.questions[0].reason


def test_a_broken_check_is_the_labs_fault_not_the_students(static_lab):
    (static_lab.solution / "checks.py").write_text(CHECKS.replace("def count_claims", "def renamed"))
    static._load.cache_clear()
    with pytest.raises(static.StaticCheckError, match="cannot load count_claims"):
        reference.run_reference(static_lab, "cpu")


def test_a_static_question_needs_its_check(tmp_path):
    lab = tmp_path / "labs" / "97-static-demo"
    lab.mkdir(parents=True)
    (lab / "lab.toml").write_text(LAB_TOML.replace('check = "checks:count_claims"\n', ""))
    with pytest.raises(manifest.ManifestError, match="static question needs"):
        manifest.load(lab)


def test_static_questions_need_no_worker_and_no_earning_test(static_lab):
    assert scoring.unscored_questions(static_lab, reference.run_reference(static_lab, "cpu")) == []


# lab 09's q5, on texts a learner might write
LAB09_CLAIMS_BUILT = 'from ml_claims import ALL\nCLAIMS = dict(ALL)\n'
LAB09_CLAIMS_PATCHED = 'CLAIMS = {"data:schema": "test_data.py::test_raw_data_matches_schema"}\nCLAIMS.update(MORE)\n'


@pytest.mark.parametrize("text, why", [
    (LAB09_CLAIMS_BUILT, "must be a literal, not built by code"),
    (LAB09_CLAIMS_PATCHED, "CLAIMS is changed on line 2"),
    ("CLAIMS = {}\n", "no claims"),
])
def test_lab09_self_assessment_is_read_not_run(text, why):
    lab = manifest.load("09")
    q = lab.question("q5")
    texts = sources.solution_sources(lab)
    assert all(ok for _, ok, _ in static.run(lab, q, texts))
    checks = static.run(lab, q, {**texts, "ml_test_score.py": text})
    assert not checks[0][1] and why in checks[0][2], checks


@pytest.mark.parametrize("text, value, why", [
    ("X: dict = {'a': 1}\n", {"a": 1}, ""),
    ("X = {'a': 1}\nX = {'b': 2}\nprint(X.get('b'))\n", {"b": 2}, ""),  # the last binding; reading is no change
    ("X = {'a': 1}\nX |= {'b': 2}\n", None, "X is changed on line 2"),
    ("X = [1]\nX.append(2)\n", None, "X is changed on line 2"),
    ("X = {'a': 1}\ndel X['a']\n", None, "X is changed on line 2"),
    ("X = {'a': f()}\n", None, "must be a literal"),
    ("Y = 1\n", None, "no top-level `X = ...`"),
])
def test_read_literal_reads_only_what_the_text_says(text, value, why):
    got, problem = static.read_literal(text, "X")
    assert got == value and why in problem and bool(problem) == bool(why)
