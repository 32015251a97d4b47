"""kill -9 of the grader at any point, then --resume: the same gradebook, nothing graded twice, no torn files."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder import sources

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent


def make_class(lab, folder: Path, n: int) -> Path:
    for i in range(n):
        texts = sources.solution_sources(lab) if i % 2 == 0 else sources.stub_sources(lab)
        (folder / f"s{i:02d}").mkdir(parents=True)
        for f, code in texts.items():
            (folder / f"s{i:02d}" / f).write_text(code)
    return folder


def grade_cmd(subs, out, *extra):
    return [sys.executable, "-m", "autograder.cli", "grade", "02", str(subs), "--out", str(out), "--ci", "--jobs", "1",
            *extra]


def test_kill_9_then_resume_gives_the_uninterrupted_gradebook(tmp_path, lab02):
    subs = make_class(lab02, tmp_path / "subs", 4)
    full = tmp_path / "full"
    subprocess.run(grade_cmd(subs, full), cwd=ROOT, capture_output=True, timeout=600)
    out = tmp_path / "out"
    proc = subprocess.Popen(grade_cmd(subs, out), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    results = out / ".labkit" / "results"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and len(list(results.glob("*.json")) if results.is_dir() else []) < 2:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = {p.name: p.stat().st_mtime_ns for p in results.glob("*.json")}
    assert 2 <= len(done_before) < 4, "the kill should land mid-batch"
    for p in results.glob("*.json"):
        json.loads(p.read_text())  # every result on disk is whole
    subprocess.run(grade_cmd(subs, out, "--resume"), cwd=ROOT, capture_output=True, timeout=600)
    for name, stamp in done_before.items():
        assert (results / name).stat().st_mtime_ns == stamp, f"{name} was graded twice"

    def totals(folder):
        book = json.loads((folder / "gradebook.json").read_text())
        return {s["student"]: (s["total"], [q["score"] for q in s["questions"]]) for s in book["students"]}
    assert totals(out) == totals(full)


def test_a_failed_report_write_keeps_the_previous_gradebook(tmp_path, lab02, monkeypatch):
    from autograder import atomic
    out = tmp_path / "out"
    out.mkdir()
    (out / "gradebook.json").write_text('{"previous": true}\n')

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space"):
        atomic.write_text(out / "gradebook.json", "{}")
    assert json.loads((out / "gradebook.json").read_text()) == {"previous": True}
    assert [p.name for p in out.iterdir()] == ["gradebook.json"], "no temp file is left behind"
