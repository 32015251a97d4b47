"""The `labkit` verbs end to end, as a user runs them (subprocesses, exit codes, files)."""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from autograder import sources
from records import book, record

ROOT = Path(__file__).resolve().parent.parent
LABKIT = [sys.executable, "-m", "autograder.cli"]


def labkit(*args, cwd=ROOT, check=False):
    env = {**os.environ, "KERAS_BACKEND": "torch"}
    proc = subprocess.run([*LABKIT, *map(str, args)], cwd=cwd, capture_output=True, text=True, env=env, timeout=600)
    if check and proc.returncode:
        raise AssertionError(proc.stdout + proc.stderr)
    return proc


@pytest.mark.parametrize("verb", ["list", "check", "grade", "release", "validate", "demo"])
def test_every_verb_has_help(verb):
    proc = labkit(verb, "--help")
    assert proc.returncode == 0 and "Usage:" in proc.stdout


def test_list_json():
    rows = json.loads(labkit("list", "--json", check=True).stdout)
    lab = next(r for r in rows if r["id"] == "02-linear-models-gradcheck")
    assert lab["points"] == 10 and lab["duties"] == [2, 1]


def test_check_stubs_fails_and_solution_passes_with_the_honest_message():
    stubs = labkit("check", "02")
    assert stubs.returncode == 1 and "not implemented yet" in stubs.stdout
    sol = labkit("check", "02", "q1", "--path", ROOT / "solutions" / "02-linear-models-gradcheck")
    assert sol.returncode == 0
    assert "public checks passed; hidden tests run at grading" in sol.stdout
    assert "all tests passed" not in sol.stdout.lower()


def test_usage_errors_exit_2():
    assert labkit("check", "99").returncode == 2
    assert labkit("check", "02", "q9").returncode == 2
    assert labkit("grade", "02").returncode == 2


@pytest.mark.slow
def test_grade_ci_writes_every_output_and_exits_by_pass_mark(tmp_path, lab02):
    subs = tmp_path / "subs"
    for name, texts in {"good": sources.solution_sources(lab02), "bad": sources.stub_sources(lab02)}.items():
        (subs / name).mkdir(parents=True)
        for f, code in texts.items():
            (subs / name / f).write_text(code)
    out = tmp_path / "out"
    proc = labkit("grade", "02", subs, "--out", out, "--ci", "--jobs", "2")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    summary = [line for line in proc.stdout.splitlines() if line.startswith("labkit 02-")]
    assert len(summary) == 1 and "1 passed, 1 failed" in summary[0]
    rows = {r["student"]: r for r in csv.DictReader((out / "gradebook.csv").open())}
    assert rows["good"]["total"] == "10.0" and rows["bad"]["total"] == "0.0"
    graded = json.loads((out / "gradebook.json").read_text())
    assert graded["schema"] == 2 and {s["student"] for s in graded["students"]} == {"good", "bad"}
    gs = json.loads((out / "gradescope" / "good" / "results.json").read_text())
    assert gs["score"] == 10 and all({"name", "score", "max_score", "status", "output"} <= set(t) for t in gs["tests"])
    junit = ET.parse(out / "junit.xml").getroot()
    assert junit.tag == "testsuites" and len(junit.findall("testsuite")) == 2
    feedback = (out / "feedback" / "bad.md").read_text()
    assert "not implemented yet" in feedback and "hidden checks" in feedback
    hidden_source = (lab02.solution / "hidden_tests" / "test_hidden_linear_models.py").read_text()
    assert "def test_" not in feedback and "random_state=913" not in feedback and "913" not in feedback
    assert hidden_source.splitlines()[0] not in feedback
    # the same inputs again with --resume: nothing is regraded, the gradebook is identical
    before = (out / "gradebook.json").read_text()
    stamps = {p.name: p.stat().st_mtime_ns for p in (out / ".labkit" / "results").iterdir()}
    again = labkit("grade", "02", subs, "--out", out, "--ci", "--resume")
    assert again.returncode == 1
    assert {p.name: p.stat().st_mtime_ns for p in (out / ".labkit" / "results").iterdir()} == stamps
    assert json.loads((out / "gradebook.json").read_text()) == json.loads(before)
    good_only = labkit("grade", "02", subs / "good", "--out", tmp_path / "out2", "--ci")
    assert good_only.returncode == 0


def test_release_leaves_generated_files_unchanged():
    proc = labkit("release", check=True)
    assert "file(s) updated" in proc.stdout
    assert all(" 0 file(s) updated" in line for line in proc.stdout.splitlines() if "file(s) updated" in line)


@pytest.mark.slow
def test_demo_prints_a_gradebook(tmp_path, lab02):
    proc = labkit("demo", "02", "--out", tmp_path / "demo", check=True)
    graded = json.loads((tmp_path / "demo" / "gradebook.json").read_text())
    totals = {s["student"]: s["total"] for s in graded["students"]}
    assert totals["solution"] == 10 and totals["stubs"] == 0 and totals["notebook"] == 10
    assert totals["broken-syntax"] == 0 and 0 < totals["partial"] < 10
    assert all(t < 10 for s, t in totals.items() if s.startswith("mutant-"))
    assert "gradebook" in proc.stdout


def test_ci_line_lists_a_class_by_who_is_below_the_mark():
    from autograder.cli import CI_LISTED, ci_summary

    def rec(i, total):
        return record(f"s{i:03d}", [total], (10,))

    few = [rec(0, 10), rec(1, 3)]
    line = ci_summary("02-x", few, few[1:], 0.6, "namespace", Path("out"))
    assert line == "labkit 02-x: 1 passed, 1 failed (pass mark 60%; s000 10/10, s001 3/10; isolation namespace)"
    many = [rec(i, 3 if i % 4 == 0 else 10) for i in range(200)]
    below = [r for r in many if r.total < 6]
    line = ci_summary("02-x", many, below, 0.6, "namespace", Path("out"))
    assert "150 passed, 50 failed" in line and "below: s000 3/10, s004 3/10" in line
    assert line.count("/10") == CI_LISTED and f"and {50 - CI_LISTED} more" in line and "out/gradebook.csv" in line
    assert "none below" in ci_summary("02-x", many[1:4] * 5, [], 0.6, "namespace", Path("out"))


def one_line_error(proc, code):
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.strip()]
    assert 1 <= len(errors) <= 3, proc.stderr  # click's usage errors add a usage line and a help hint


@pytest.mark.parametrize("args", [
    ["grade", "02", "SUBS", "--out", "SUBS/x/linear_models.py", "--jobs", "1"],   # --out is a file
    ["grade", "02", "SUBS", "--out", "OUT", "--jobs", "-1"],
    ["grade", "02", "SUBS", "--out", "OUT", "--repeat", "0"],
    ["grade", "02", "SUBS", "--out", "OUT", "--repeat", "-3"],
    ["grade", "02", "SUBS", "--out", "OUT", "--pass-mark", "60"],
    ["grade", "02", "SUBS", "SUBS", "--out", "OUT", "--one"],
    ["check", "1", "q9"],
    ["check", "0"],                                                                   # ambiguous
    ["report", "CORRUPT"], ["lms", "CORRUPT"], ["transcript", "CORRUPT"],
    ["nbgrader", "import", "SUBS", "02", "--out", "OUT"],                             # not a course
    ["gradescope", "02"],                                                             # --out is required
    ["similarity", "02", "SUBS"],
])
def test_bad_arguments_and_inputs_exit_2_with_one_line(tmp_path, args):
    subs = tmp_path / "subs"
    (subs / "x").mkdir(parents=True)
    (subs / "x" / "linear_models.py").write_text("x = 1\n")
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "gradebook.json").write_text('{"students": [')
    names = {"SUBS": str(subs), "OUT": str(tmp_path / "out"), "CORRUPT": str(corrupt)}
    proc = labkit(*[names.get(a, a.replace("SUBS", str(subs))) for a in args])
    one_line_error(proc, 2)
    assert not (subs / "gradebook.db").exists() and not (tmp_path / "out").exists()


def test_an_output_folder_that_cannot_be_made_exits_3(tmp_path):
    (tmp_path / "file.txt").write_text("x")
    proc = labkit("grade", "02", ROOT / "solutions" / "02-linear-models-gradcheck", "--out", tmp_path / "file.txt" / "g")
    one_line_error(proc, 3)


def test_list_reports_a_broken_manifest_in_one_line_and_lists_the_rest(tmp_path):
    kit = tmp_path / "kit"
    (kit / "labs").mkdir(parents=True)
    import shutil
    shutil.copytree(ROOT / "labs" / "02-linear-models-gradcheck", kit / "labs" / "02-linear-models-gradcheck",
                    ignore=shutil.ignore_patterns("*.ipynb"))
    (kit / "labs" / "03-broken").mkdir()
    (kit / "labs" / "03-broken" / "lab.toml").write_text("id = [")
    env = {**os.environ, "LABKIT_ROOT": str(kit)}
    proc = subprocess.run([*LABKIT, "list"], capture_output=True, text=True, env=env, timeout=120)
    one_line_error(proc, 3)
    assert "02-linear-models-gradcheck" in proc.stdout and "03-broken" in proc.stderr


def test_list_keeps_lab_ids_whole_at_80_columns():
    env = {**os.environ, "COLUMNS": "80"}
    proc = subprocess.run([*LABKIT, "list"], capture_output=True, text=True, env=env, timeout=120)
    assert "13-capstone-mini-gpt" in proc.stdout and "02-linear-models-gradcheck" in proc.stdout


def test_the_grader_writes_no_bytecode_into_the_kit(tmp_path):
    import shutil
    package = ROOT / "autograder"
    for cache in package.rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([*LABKIT, "list"], capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)
    written = [p.name for p in package.rglob("*.pyc")]
    # Python caches the package's own __init__ before it runs (and can set dont_write_bytecode); nothing else
    assert written in ([], ["__init__.cpython-311.pyc"]), written
