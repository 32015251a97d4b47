"""The rlimits tier's claims, proved with the corpus: without namespaces, a per-job uid reads nothing hidden,
writes nothing of the kit, the venv, the output or other jobs, and nothing it starts or leaves survives its job.

A per-job uid needs a Python installation that other uids can read. Where it lives under a private /root (pyenv,
as on this kit's machines), the batch runs in a private mount namespace of the test's own in which /root is a
readable tmpfs with only .pyenv bound into it: the grader and its jobs then see the same files as anywhere else,
and the jobs get their uids. Nothing of the host changes.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder import paths, sources
from autograder.isolation import sandbox
from corpus import build

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
TRICKS = ["read_solutions", "read_classmate_via_proc", "importlib_reference", "plant_pycache", "write_into_out",
          "edit_other_submission", "setsid_chdir_daemon", "leave_daemons", "signal_parent", "share_reader"]


def _python_needs_root_dir() -> bool:
    return str(Path(sys.executable).resolve()).startswith("/root/")


@pytest.fixture(scope="module")
def rlimits_batch(tmp_path_factory, lab02):
    if not sandbox.running_as_root():
        pytest.skip("per-job uids need a grader running as root")
    if not sandbox.uid_can_run_python() and not (_python_needs_root_dir() and shutil.which("unshare")):
        pytest.skip("no unprivileged uid can run this Python here, and it is not under /root")
    base = tmp_path_factory.mktemp("rlimits")
    base.chmod(0o711)
    klass, writers, out = base / "class", base / "writers", base / "out"
    for folder in (klass, writers):
        folder.mkdir(mode=0o700)  # what `labkit grade` asks of an instructor at this tier: a private class folder
    (klass / "honest").mkdir()
    (klass / "honest" / "linear_models.py").write_text(sources.solution_sources(lab02)["linear_models.py"])
    placeholders = {"__KIT_ROOT__": str(paths.KIT_ROOT), "__OUT_DIR__": str(out),
                    "__OTHER_SUBMISSION__": str(klass / "honest" / "linear_models.py"),
                    "__GRADER_PID__": "1", "__PORT__": "9"}
    for trick in TRICKS:
        build(lab02, trick, klass / trick, placeholders)
    build(lab02, "share_writer", writers / "share_writer", placeholders)
    grade = [sys.executable, "-m", "autograder.cli", "grade", "02", "--min-isolation", "rlimits", "--ci",
             "--jobs", "2"]
    script = " && ".join([
        *([f"mkdir -p {base}/stash", f"mount --bind /root/.pyenv {base}/stash",
           "mount -t tmpfs -o mode=0755 tmpfs /root", "mkdir /root/.pyenv", f"mount --bind {base}/stash /root/.pyenv"]
          if not sandbox.uid_can_run_python() else []),
        " ".join(map(str, [*grade, writers, "--out", base / "writers-out"])),
        " ".join(map(str, [*grade, klass, "--out", out])) + " ; true"])
    env = {**os.environ, "LABKIT_ISOLATION": "rlimits"}
    cmd = ["unshare", "--mount", "--propagation", "private", "bash", "-c", script] \
        if not sandbox.uid_can_run_python() else ["bash", "-c", script]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1500)
    assert (out / "gradebook.json").is_file(), proc.stdout[-3000:] + proc.stderr[-3000:]
    ended = _uptime()
    time.sleep(2.5)  # a daemon that survived would have rewritten the gradebook by now
    book = json.loads((out / "gradebook.json").read_text())
    writer = json.loads((base / "writers-out" / "gradebook.json").read_text())["students"][0]
    return {"records": {s["student"]: s for s in book["students"]}, "writer": writer, "out": out, "base": base,
            "ended": ended}


def _uptime() -> float:
    return float(Path("/proc/uptime").read_text().split()[0])


def _started(pid: str) -> float:
    """Seconds after boot the process started (another grader on this machine may hold the same uids later)."""
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]) / os.sysconf("SC_CLK_TCK")


def test_every_job_had_its_own_uid(rlimits_batch):
    records = rlimits_batch["records"]
    assert all(r["isolation"] == "rlimits" and r["job_uid"] is not None and r["job_uid"] >= sandbox.SLOT_UID_BASE
               for r in records.values()), {s: (r["isolation"], r["job_uid"]) for s, r in records.items()}


@pytest.mark.parametrize("trick", TRICKS)
def test_trick_earns_nothing_at_the_rlimits_tier(rlimits_batch, trick):
    r = rlimits_batch["records"][trick]
    assert r["total"] == 0, (trick, [(q["id"], q["score"], q["reason"]) for q in r["questions"]])


def test_the_honest_answer_and_the_writer_keep_their_points(rlimits_batch, lab02):
    assert rlimits_batch["records"]["honest"]["total"] == lab02.points
    assert rlimits_batch["writer"]["total"] == lab02.points


def test_nothing_of_a_job_survives_or_was_written(rlimits_batch):
    uids = {r["job_uid"] for r in rlimits_batch["records"].values()} | {rlimits_batch["writer"]["job_uid"]}
    survivors = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        if int(next(x for x in status.splitlines() if x.startswith("Uid:")).split()[1]) in uids \
                and _started(pid) < rlimits_batch["ended"]:
            survivors.append(pid)
    assert not survivors
    left = [str(p) for root in ("/tmp", "/var/tmp", "/dev/shm") for p in Path(root).glob("labkit-shared-answer*")]
    assert not left and not Path("/tmp/labkit-planted-ran").exists()
    out = rlimits_batch["out"]
    assert not (out / "forged.txt").exists()
    assert not list((ROOT / "autograder").rglob("zz_labkit_planted*"))
    assert "hacked" not in (out / "gradebook.json").read_text()
