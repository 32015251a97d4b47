"""A gradebook is a class, not a run: regrades merge, two runs never write one folder, Ctrl-C keeps what finished."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder import batch, errors, sources
from test_resume import grade_cmd, make_class

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent


def rows(out: Path) -> dict:
    book = json.loads((out / "gradebook.json").read_text())
    return {s["student"]: (s["total"], s["graded_at"]) for s in book["students"]}


def test_regrading_one_student_keeps_every_other_row(tmp_path, lab02_fast):
    subs = make_class(lab02_fast, tmp_path / "subs", 4)
    out = tmp_path / "out"
    batch.grade(lab02_fast, [subs], batch.BatchOptions(out=out, jobs=2))
    from autograder.reports import gradebook
    gradebook.write_all(out, lab02_fast, batch.grade(lab02_fast, [subs], batch.BatchOptions(out=out, resume=True)).records)
    before = rows(out)
    (subs / "s01" / "linear_models.py").write_text(sources.solution_sources(lab02_fast)["linear_models.py"])
    again = batch.grade(lab02_fast, [subs / "s01"], batch.BatchOptions(out=out))
    gradebook.write_all(out, lab02_fast, again.records)
    after = rows(out)
    assert set(after) == set(before) == {"s00", "s01", "s02", "s03"}
    assert after["s01"][0] == 10 and before["s01"][0] == 0
    assert {k: v for k, v in after.items() if k != "s01"} == {k: v for k, v in before.items() if k != "s01"}
    fresh = batch.grade(lab02_fast, [subs / "s02"], batch.BatchOptions(out=out, fresh=True))
    assert [r.student for r in fresh.records] == ["s02"]


def test_a_second_run_into_the_same_out_is_refused_with_who_holds_it(tmp_path, lab02_fast):
    out = tmp_path / "out"
    with batch.locked(out):
        with pytest.raises(errors.OutputError, match=f"pid {os.getpid()}"):
            batch.grade(lab02_fast, [tmp_path], batch.BatchOptions(out=out))


def test_another_labs_results_are_never_mixed_in(tmp_path, lab02_fast):
    from autograder import manifest
    subs = make_class(lab02_fast, tmp_path / "subs", 1)
    out = tmp_path / "out"
    batch.grade(lab02_fast, [subs], batch.BatchOptions(out=out))
    with pytest.raises(errors.OutputError, match="holds results of lab 02"):
        batch.grade(manifest.load("01"), [subs], batch.BatchOptions(out=out))


def test_ctrl_c_stops_within_seconds_and_leaves_a_resumable_gradebook(tmp_path, lab02):
    subs = make_class(lab02, tmp_path / "subs", 8)
    out = tmp_path / "out"
    cmd = grade_cmd(subs, out)
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    results = out / ".labkit" / "results"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and len(list(results.glob("*.json")) if results.is_dir() else []) < 1:
        time.sleep(0.05)
    interrupted_at = time.monotonic()
    os.kill(proc.pid, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    took = time.monotonic() - interrupted_at
    assert proc.returncode == 130, (stdout + stderr).decode()[-2000:]
    assert took < 20, f"Ctrl-C took {took:.1f} s to stop"  # generous: a job is killed, the reports are written
    assert b"--resume" in stderr and b"Traceback" not in stderr
    done = {p.name: p.stat().st_mtime_ns for p in results.glob("*.json")}
    assert 1 <= len(done) < 8
    book = json.loads((out / "gradebook.json").read_text())
    assert len(book["students"]) == len(done)
    assert not [p for p in psutil_children(proc.pid)], "no job of the stopped batch may survive"
    subprocess.run(grade_cmd(subs, out, "--resume"), cwd=ROOT, capture_output=True, timeout=900)
    assert all((results / n).stat().st_mtime_ns == t for n, t in done.items()), "finished ones were graded again"
    assert len(json.loads((out / "gradebook.json").read_text())["students"]) == 8


def psutil_children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return found
