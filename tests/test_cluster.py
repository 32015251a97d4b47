"""Scale-out on Dask: a LocalCluster on loopback grades a batch; a Dask worker killed mid-batch costs only a retry."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import batch, sources
from autograder.authoring import mutants

pytestmark = pytest.mark.slow
distributed = pytest.importorskip("distributed")


ROOT = Path(__file__).resolve().parent.parent


def labkit(*args):
    env = {**os.environ, "KERAS_BACKEND": "torch"}
    return subprocess.run([sys.executable, "-m", "autograder.cli", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, env=env, timeout=600)


def write_class(lab, folder, n):
    planted = mutants.load_all(lab)
    kinds = [("solution", sources.solution_sources(lab)), ("stubs", sources.stub_sources(lab))] + \
        [(f"mutant-{m.name}", m.sources) for m in planted]
    expected = {}
    for i in range(n):
        kind, texts = kinds[i % len(kinds)]
        student = f"s{i:02d}-{kind}"
        (folder / student).mkdir(parents=True)
        for name, code in texts.items():
            (folder / student / name).write_text(code)
        expected[student] = kind
    return expected


def test_local_cluster_loses_nothing_when_a_worker_is_killed_mid_batch(tmp_path, lab02):
    subs, out = tmp_path / "subs", tmp_path / "out"
    expected = write_class(lab02, subs, 8)
    killed = []
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, memory_limit=0) as cluster, \
            distributed.Client(cluster) as watcher:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")

        def kill_a_busy_worker(record):
            if killed:
                return
            busy = {addr: keys for addr, keys in watcher.processing().items() if keys}
            if not busy:
                return
            addr, keys = next(iter(busy.items()))
            pid = watcher.run(os.getpid, workers=[addr])[addr]
            os.kill(pid, signal.SIGKILL)  # the Dask worker process itself, mid-task
            killed.append((addr, pid, list(keys)))

        graded = batch.grade(lab02, [subs], batch.BatchOptions(out=out, device="cpu", cluster=cluster.scheduler_address),
                             on_progress=kill_a_busy_worker)
    assert killed, "no worker was busy when the first result came back"
    students = [r.student for r in graded.records]
    assert sorted(students) == sorted(expected), "a submission was lost or graded twice"
    files = sorted(p.stem for p in (out / ".labkit" / "results").glob("*.json"))
    assert files == sorted(expected)
    for r in graded.records:
        kind = expected[r.student]
        if kind == "solution":
            assert r.total == lab02.points, r
        elif kind == "stubs":
            assert r.total == 0, r
        else:
            assert r.total < lab02.points, r
        assert r.graded_on and r.input_digest
        assert json.loads((out / ".labkit" / "results" / f"{r.student}.json").read_text())["total"] == r.total
    # the submission the killed worker was grading came back once, graded by another (or the restarted) process
    addr, pid, keys = killed[0]
    lost = [r for r in graded.records if any(str(k).endswith(f"-{r.student}") for k in keys)]
    assert lost and all(r.graded_on.rsplit(":", 1)[1] != str(pid) for r in lost)

    # --resume over the cluster: nothing is regraded
    stamps = {p.name: p.stat().st_mtime_ns for p in (out / ".labkit" / "results").iterdir()}
    again = batch.grade(lab02, [subs], batch.BatchOptions(out=out, device="cpu", resume=True, cluster="local", jobs=1))
    assert again.reused == len(expected) and len(again.records) == len(expected)
    assert {p.name: p.stat().st_mtime_ns for p in (out / ".labkit" / "results").iterdir()} == stamps


def test_cli_grades_on_a_local_cluster(tmp_path, lab02):
    subs = tmp_path / "subs"
    write_class(lab02, subs, 2)
    proc = labkit("grade", "02", subs, "--out", tmp_path / "out", "--ci", "--cluster", "local", "--jobs", "2")
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the stub is below the pass mark
    assert "1 passed, 1 failed" in proc.stdout


def test_an_unreachable_scheduler_is_a_setup_error(tmp_path, lab02):
    subs = tmp_path / "subs"
    write_class(lab02, subs, 1)
    proc = labkit("grade", "02", subs, "--out", tmp_path / "out", "--ci", "--cluster", "tcp://127.0.0.1:9")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "Dask scheduler" in proc.stderr and "Traceback" not in proc.stderr
