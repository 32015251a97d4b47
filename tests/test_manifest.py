"""lab.toml is strict: every typo and range error is one line naming the file, the question and the field."""
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import manifest, paths

ROOT = Path(__file__).resolve().parent.parent


def test_lab02_manifest_fields(lab02):
    assert lab02.id == "02-linear-models-gradcheck"
    assert lab02.points == 10
    assert [q.id for q in lab02.questions] == ["q1", "q2", "q3", "q4"]
    assert lab02.question("q1").decides("hidden/test_x.py::test_naive_hidden_inputs[11]")
    assert not lab02.question("q1").decides("public/test_x.py::test_vectorized_matches_oracle")


@pytest.mark.parametrize("name", ["02", "2", "02-linear", "02-linear-models-gradcheck"])
def test_lab_ids_resolve(name):
    assert paths.resolve_lab_id(name) == "02-linear-models-gradcheck"


def test_lab_one_resolves_and_an_ambiguous_prefix_says_so():
    assert paths.resolve_lab_id("1") == "01-knn-vectorization"
    with pytest.raises(LookupError, match="ambiguous"):
        paths.resolve_lab_id("0")
    with pytest.raises(LookupError, match="no lab matches"):
        paths.resolve_lab_id("99")


def test_every_lab_manifest_loads_and_is_consistent():
    for lab in manifest.all_labs():
        assert lab.questions and lab.points > 0, lab.id
        for q in lab.questions:
            if q.is_suite:  # graded by planted bugs: it needs an implementation and at least one chaff
                assert q.implementation and sorted((lab.solution / "chaffs").glob("*.toml")), (lab.id, q.id)


GOOD = '''id = "LABID"
title = "t"
duties = [2]
answer_files = ["a.py"]
pass_mark = 0.6

[[questions]]
id = "q1"
title = "one"
points = 2
file = "a.py"
tests = ["test_one*"]
'''


@pytest.fixture
def lab_folder(tmp_path, monkeypatch):
    folder = tmp_path / "labs" / "99-strict"
    (folder / "tests").mkdir(parents=True)
    (folder / "tests" / "test_public.py").write_text("def test_one(answers):\n    pass\n")
    hidden = tmp_path / "solutions" / "99-strict" / "hidden_tests"
    hidden.mkdir(parents=True)
    (hidden / "test_hidden.py").write_text("def test_one_hidden(answers):\n    pass\n")
    monkeypatch.setattr(paths, "SOLUTIONS", tmp_path / "solutions")
    return folder


def write(folder: Path, text: str) -> Path:
    (folder / "lab.toml").write_text(text.replace("LABID", folder.name))
    return folder


@pytest.mark.parametrize("change, message", [
    (lambda t: t.replace("pass_mark = 0.6", "pass_mark = 60"), r"pass_mark must be > 0 and <= 1, got 60"),
    (lambda t: t.replace("pass_mark = 0.6", "time_limt = 30"), r"unknown key 'time_limt' \(did you mean 'time_limit'\?\)"),
    (lambda t: t.replace("points = 2", "points = -1"), r"question q1: points must be > 0, got -1"),
    (lambda t: t.replace("points = 2", "pionts = 2"), r"question q1: unknown key 'pionts' \(did you mean 'points'\?\)"),
    (lambda t: t.replace('tests = ["test_one*"]', 'tests = ["test_nothing*"]'), r"matches no test function"),
    (lambda t: t + "weights = { test_other = 2 }\n", r"weights or required name 'test_other'"),
    (lambda t: t.replace('title = "t"\n', ""), r"missing required key 'title'"),
    (lambda t: t.replace('points = 2\n', ""), r"question q1: missing required key 'points'"),
    (lambda t: t.replace('id = "LABID"', 'id = "another"'), r"must equal the lab's folder name"),
    (lambda t: t.replace("duties = [2]", "duties = [9]"), r"duties must be"),
    (lambda t: t.replace("pass_mark = 0.6", 'datasets = ["web:mnist"]'), r"SOURCE one of"),
    (lambda t: t.replace("pass_mark = 0.6", 'devices = ["tpu"]'), r"devices must include 'cpu'"),
])
def test_each_error_is_one_line_naming_file_question_and_field(lab_folder, change, message):
    write(lab_folder, change(GOOD))
    with pytest.raises(manifest.ManifestError, match=message) as err:
        manifest.load(lab_folder)
    assert str(err.value).startswith(str(lab_folder / "lab.toml")) and "\n" not in str(err.value)


def test_the_good_manifest_loads_with_defaults(lab_folder):
    lab = manifest.load(write(lab_folder, GOOD))
    assert lab.time_limit == 300 and lab.devices == ("cpu",) and lab.question("q1").time_limit == 60


def test_a_student_release_without_hidden_tests_still_loads(lab_folder, monkeypatch):
    monkeypatch.setattr(paths, "SOLUTIONS", lab_folder.parent / "nowhere")
    assert manifest.load(write(lab_folder, GOOD.replace("test_one*", "test_hidden_only*"))).id == "99-strict"


def test_the_cli_exits_3_with_one_line(lab_folder):
    write(lab_folder, GOOD.replace("pass_mark = 0.6", "pass_mark = 60"))
    proc = subprocess.run([sys.executable, "-m", "autograder.cli", "check", str(lab_folder)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "pass_mark must be" in lines[0] and "Traceback" not in proc.stderr
