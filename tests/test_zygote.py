"""The warm worker pool: jobs forked from a pre-imported zygote start fresh, isolated, and survive its death."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from autograder import manifest, paths, runner
from autograder.isolation import sandbox, zygote

LAB_TOML = '''
id = "98-warm-demo"
title = "Warm pool demo"
duties = [4]
frameworks = ["numpy"]
answer_files = ["test_state.py"]
time_limit = 60
question_time_limit = 20

[[questions]]
id = "q1"
title = "state"
points = 1
kind = "suite"
file = "test_state.py"
implementation = ["impl.py"]
'''

# run twice in a row by the same zygote: the second job must not see what the first one left behind
LEAVES_STATE = '''
import os, sys, numpy, tempfile

def test_fresh_then_dirty():
    assert not hasattr(numpy, "LEFT_BEHIND") and "left_behind" not in sys.modules
    assert os.environ.get("LEFT_BEHIND") is None
    numpy.LEFT_BEHIND = 1
    sys.modules["left_behind"] = numpy
    os.environ["LEFT_BEHIND"] = "1"

def test_own_uid_and_home():
    assert os.environ["HOME"] == os.getcwd()
    assert tempfile.gettempdir().startswith(os.environ["HOME"]) or tempfile.gettempdir() == "/tmp"  # cold: a fresh tmpfs
    assert os.access(tempfile.gettempdir(), os.W_OK)
    assert not os.path.exists(SOLUTIONS) or os.environ.get("LABKIT_TIER") == "rlimits"

def test_no_ipc_object_or_shm_file_of_an_earlier_job():
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.shmget(0x1AB1, 4096, 0) == -1, "a SysV segment of an earlier job is visible"
    assert libc.shmget(0x1AB1, 4096, 0o1000 | 0o666) >= 0  # IPC_CREAT, left behind on purpose
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
        assert not os.path.exists("/dev/shm/labkit-left-behind"), "a /dev/shm file of an earlier job survived"
        with open("/dev/shm/labkit-left-behind", "w") as f:
            f.write("answers")
        os.chmod("/dev/shm/labkit-left-behind", 0o666)
'''


@pytest.fixture
def warm_lab(tmp_path, monkeypatch):
    if not zygote.enabled():
        pytest.skip("the warm pool is off (LABKIT_WARM=0 or not Linux)")
    lab = tmp_path / "labs" / "98-warm-demo"
    (lab / "tests").mkdir(parents=True)
    (lab / "lab.toml").write_text(LAB_TOML)
    (lab / "impl.py").write_text("X = 1\n")
    monkeypatch.setattr(paths, "SOLUTIONS", tmp_path / "solutions")
    return manifest.load(lab)


def _run(lab):
    tests = LEAVES_STATE.replace("SOLUTIONS", repr(str(paths.SOLUTIONS)))
    if sandbox.best_tier() == "rlimits":  # the grader's files stay readable at that tier (README: threat model)
        tests = tests.replace('os.environ.get("LABKIT_TIER") == "rlimits"', "True")
    return runner.run(runner.Job(lab, {"impl.py": "X = 1\n"}, "suite", device="cpu",
                                 suite_tests={"test_state.py": tests}))


def _descendants(pid: int) -> list[int]:
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        kids = [p for p, pp in parents.items() if pp in frontier]
        found += kids
        frontier = kids
    return found


def test_jobs_forked_from_one_zygote_share_no_state(warm_lab):
    for _ in range(3):
        r = _run(warm_lab)
        assert {t.outcome for t in r.tests.values()} == {"passed"}, (r.tests, r.notes, r.output_tail[-1500:])
        assert not any("cold" in n for n in r.notes)
    z = zygote.get(sandbox.best_tier(), False, ["numpy"])
    zygote.release(z)
    assert z.children == {} and z.users == 0


def test_a_dead_zygote_is_replaced(warm_lab):
    _run(warm_lab)
    z = zygote.get(sandbox.best_tier(), False, ["numpy"])
    zygote.release(z)
    for pid in [*_descendants(z.proc.pid), z.proc.pid]:  # the zygote itself runs inside bubblewrap's children
        os.kill(pid, signal.SIGKILL)
    z.proc.wait()
    r = _run(warm_lab)  # the dead one is noticed (first spawn fails or the job dies): nothing hangs
    r = _run(warm_lab)
    assert {t.outcome for t in r.tests.values()} == {"passed"}, r.notes
    replacement = zygote.get(sandbox.best_tier(), False, ["numpy"])
    zygote.release(replacement)
    assert replacement is not z


def test_cold_workers_still_work(warm_lab, monkeypatch):
    monkeypatch.setenv("LABKIT_WARM", "0")
    r = _run(warm_lab)
    assert {t.outcome for t in r.tests.values()} == {"passed"}, (r.tests, r.output_tail[-1500:])


def test_a_zygote_dies_with_its_grader(tmp_path):
    """Killed with SIGKILL, the grader cannot close anything: its zygote must go with it, not linger."""
    import subprocess
    import sys
    import time

    if not zygote.enabled():
        pytest.skip("the warm pool is off")
    script = ("import threading, sys\nfrom autograder.isolation import zygote, sandbox\n"
              "z = []\nt = threading.Thread(target=lambda: z.append(zygote.get(sandbox.best_tier(), False, [])))\n"
              "t.start(); t.join()\nprint(z[0].proc.pid, flush=True)\nimport time; time.sleep(60)\n")
    grader = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=paths.KIT_ROOT)
    pid = int(grader.stdout.readline())
    family = [pid, *_descendants(pid)]  # bubblewrap and the zygote inside it, or the zygote alone (rlimits)
    assert "Z" not in _state(pid), "the zygote should be running under the grader"
    grader.kill()
    grader.wait()
    for _ in range(100):  # the kernel delivers the parent-death signal at once; allow a loaded machine 10 s
        alive = [p for p in family if Path(f"/proc/{p}").exists() and "Z" not in _state(p)]
        if not alive:
            break
        time.sleep(0.1)
    assert not alive, f"processes outlived their grader: {alive}"


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def test_closing_a_zygote_leaves_no_process(warm_lab):
    z = zygote.get(sandbox.best_tier(), False, ["numpy"])
    zygote.release(z)
    family = [z.proc.pid, *_descendants(z.proc.pid)]
    z.close()
    for _ in range(100):
        alive = [p for p in family if "Z" not in _state(p)]
        if not alive:
            break
        time.sleep(0.1)
    assert not alive, f"processes outlived their closed zygote: {alive}"


def test_a_zygote_in_use_is_never_evicted(warm_lab, monkeypatch):
    """A run holds its zygote between attempts (its workspace is in the pool folder): eviction must skip it."""
    monkeypatch.setattr(zygote, "MAX_ZYGOTES", 1)
    tier = sandbox.best_tier()
    held = zygote.get(tier, False, ["numpy"])
    other = zygote.get(tier, False, [])  # over the limit: the only candidate is in use
    assert not held.dead and held.pool_dir.is_dir()
    zygote.release(held)
    zygote.release(other)
    zygote.get(tier, False, ["json"])  # now the least recently used idle one goes
    assert held.dead and not held.pool_dir.exists()
