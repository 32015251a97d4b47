"""Exports: the Gradescope bundle (run as Gradescope runs it), the CI workflow template, LMS CSVs."""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

import demo_grades
from autograder import sources
from autograder.record import Gradebook
from autograder.reports import exports
from records import record


def test_gradescope_bundle_layout(lab02, tmp_path):
    out = tmp_path / "autograder.zip"
    proc = demo_grades.labkit("gradescope", "02", "--out", out)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with zipfile.ZipFile(out) as z:
        names = set(z.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in z.infolist()}
        run = z.read("run_autograder").decode()
    assert {"setup.sh", "run_autograder", "pyproject.toml", "autograder/cli.py",
            "labs/02-linear-models-gradcheck/lab.toml",
            "solutions/02-linear-models-gradcheck/hidden_tests/test_hidden_linear_models.py"} <= names
    assert modes["run_autograder"] & stat.S_IXUSR and modes["setup.sh"] & stat.S_IXUSR
    assert not any("__pycache__" in n or n.startswith(("solutions/01", "labs/01")) for n in names)
    assert "/results/results.json" in run and "grade 02-linear-models-gradcheck" in run
    assert demo_grades.labkit("gradescope", "99", "--out", out).returncode == 2


def _autograder_root(tmp_path, bundle: bytes, submission: dict[str, str]) -> Path:
    """The /autograder layout Gradescope builds: source/ (the zip), submission/, results/."""
    root = tmp_path / "autograder"
    with zipfile.ZipFile(io.BytesIO(bundle)) as z:
        z.extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "run_autograder").chmod(0o755)
    (root / "submission").mkdir()
    for name, code in submission.items():
        (root / "submission" / name).write_text(code)
    return root


def _uploads(lab02) -> dict[str, dict[str, str]]:
    sol = sources.solution_sources(lab02)["linear_models.py"]
    return {
        # one upload is one student, whatever else it holds: the answer file is found by its name, anywhere
        "solution-with-extras": {"notes.txt": "my notes", "a_scratch.py": "print('scratch')\n",
                                 "work/linear_models.py": sol, "work/README.md": "hello"},
        # a learner who named the file otherwise: the one .py defining the lab's names is graded
        "misnamed": {"my_solution.py": sol, "a_scratch.py": "import numpy as np\nprint(np.pi)\n"},
        "empty": {"notes.txt": "nothing here"},
    }


@pytest.mark.slow
@pytest.mark.parametrize("who", ["solution-with-extras", "misnamed", "empty"])
def test_run_autograder_grades_one_upload_as_one_student(lab02, tmp_path, who):
    root = _autograder_root(tmp_path, exports.gradescope_bundle(lab02), {})
    for name, text in _uploads(lab02)[who].items():
        (root / "submission" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "submission" / name).write_text(text)
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "LABKIT": str(Path(sys.executable).parent / "labkit")}
    proc = subprocess.run([str(root / "run_autograder")], cwd=root, env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    assert len(list((root / "grades" / "gradescope").iterdir())) == 1, "one upload, one student"
    if who != "empty":
        assert results["score"] == 10 and len(results["tests"]) == 4, results
        assert all({"name", "score", "max_score", "status", "output"} <= set(t) for t in results["tests"])
        assert all(t["status"] == "passed" for t in results["tests"])
    else:
        assert results["score"] == 0
        assert results["tests"] == [] or all(t["score"] == 0 for t in results["tests"])


def test_setup_installs_the_pinned_cpu_torch_after_updating_apt(lab02):
    with zipfile.ZipFile(io.BytesIO(exports.gradescope_bundle(lab02))) as z:
        setup = z.read("setup.sh").decode()
    assert setup.index("apt-get update") < setup.index("apt-get install")
    assert 'torch==2.13.0" --index-url https://download.pytorch.org/whl/cpu' in setup
    assert setup.index("download.pytorch.org") < setup.index("pip install -q -e /autograder/source")


def test_ci_template_is_a_workflow_that_checks_and_summarizes(lab02, tmp_path):
    proc = demo_grades.labkit("ci-template", "02")
    assert proc.returncode == 0
    flow = yaml.safe_load(proc.stdout)
    assert flow["name"] == "labkit 02-linear-models-gradcheck"
    on = flow.get("on", flow.get(True))  # YAML 1.1 reads the key `on` as true
    assert "push" in on
    steps = flow["jobs"]["check"]["steps"]
    runs = "\n".join(s.get("run", "") for s in steps)
    assert "labkit check 02-linear-models-gradcheck" in runs and "GITHUB_STEP_SUMMARY" in runs
    assert any(s.get("uses", "").startswith("actions/checkout@") for s in steps)
    assert any(s.get("if") == "always()" for s in steps)
    out = tmp_path / ".github" / "workflows" / "labkit.yml"
    assert demo_grades.labkit("ci-template", "02", "--out", out, "--install", "pip install labkit").returncode == 0
    assert "run: pip install labkit" in out.read_text()


BOOK = Gradebook("02-linear-models-gradcheck", "Linear models", 10.0, [
    record("ann", [2, 8], (2, 8)), record("bob", [0, 4.5], (2, 8))])


def test_lms_csv_shapes(tmp_path):
    canvas = list(csv.reader(io.StringIO(exports.lms_csv(BOOK, "canvas"))))
    assert canvas[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert canvas[1][0].strip() == "Points Possible" and canvas[1][-1] == "10"
    assert canvas[3] == ["bob", "", "bob", "", "", "4.5"]
    moodle = list(csv.DictReader(io.StringIO(exports.lms_csv(BOOK, "moodle"))))
    assert moodle[1]["ID number"] == "bob" and moodle[1]["02-linear-models-gradcheck"] == "4.5"
    assert "q1" in moodle[1]["02-linear-models-gradcheck (feedback)"]
    with pytest.raises(ValueError):
        exports.lms_csv(BOOK, "blackboard")
    (tmp_path / "g").mkdir()
    (tmp_path / "g" / "gradebook.json").write_text(json.dumps(BOOK.to_json()))
    proc = demo_grades.labkit("lms", tmp_path / "g", "--format", "moodle")
    assert proc.returncode == 0 and (tmp_path / "g" / "moodle.csv").is_file()


@pytest.mark.slow
def test_lms_csv_from_the_demo_class(tmp_path_factory):
    demo = demo_grades.graded(tmp_path_factory)
    assert demo_grades.labkit("lms", demo).returncode == 0
    rows = list(csv.reader((demo / "canvas.csv").open()))
    students = len(json.loads((demo / "gradebook.json").read_text())["students"])
    assert students >= 10 and len(rows) == 2 + students  # two header rows, then one row per student
    assert {r[0] for r in rows[2:]} >= {"solution", "stubs", "partial"}


@pytest.mark.parametrize("verb", ["report", "similarity", "transcript", "gradescope", "ci-template", "lms"])
def test_new_verbs_have_help(verb):
    proc = demo_grades.labkit(verb, "--help")
    assert proc.returncode == 0 and "Usage:" in proc.stdout
