"""Isolation tiers for worker processes, best available first.

namespace: bubblewrap builds a new root from read-only binds of the system, the Python installation,
           the venv and the kit's autograder/ and datasets/ only (no solutions/, no .git, no other
           submissions, no grade output), in fresh PID/network/IPC/UTS namespaces, as an unprivileged uid.
rlimits:   no namespaces (macOS, locked-down containers): rlimits, a new session, scratch HOME/TMPDIR,
           an unprivileged uid when the grader runs as root. The kit's files stay readable.
Both tiers: address space, CPU time, processes, open files and file size are capped, and the whole
process group (and, as root, every process of the job's uid) is killed when the job ends.
"""
from __future__ import annotations

import functools
import os
import resource
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from . import paths

TIERS = ("namespace", "rlimits")  # strongest first
SLOT_UID_BASE = 61000  # one uid per job slot: RLIMIT_NPROC counts per uid, so jobs cannot starve each other


@dataclass(frozen=True)
class Limits:
    memory_mb: int = 4096  # `import torch` alone needs ~623 MiB of address space; threads add more
    cpu_seconds: int = 600
    processes: int = 256
    open_files: int = 512
    file_mb: int = 256


def tier_rank(tier: str) -> int:
    return len(TIERS) - TIERS.index(tier)


@functools.lru_cache(maxsize=1)
def best_tier() -> str:
    if os.environ.get("LABKIT_ISOLATION") in TIERS:
        return os.environ["LABKIT_ISOLATION"]
    return "namespace" if namespace_available() else "rlimits"


@functools.lru_cache(maxsize=1)
def namespace_available() -> bool:
    bwrap = shutil.which("bwrap")
    if not bwrap or sys.platform != "linux":
        return False
    probe = _bwrap_argv(bwrap, [], uid=slot_uid(0)) + ["true"]
    try:
        return subprocess.run(probe, capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def unavailable_reason(tier: str) -> str | None:
    if tier == "namespace" and not namespace_available():
        return "bubblewrap (Debian package 'bubblewrap') is missing or user namespaces are disabled"
    return None


def running_as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def slot_uid(slot: int) -> int | None:
    return SLOT_UID_BASE + slot if running_as_root() else None


def _ancestors(path: Path) -> list[Path]:
    return [p for p in reversed(path.parents) if p != Path("/")]


def _bwrap_argv(bwrap: str, rw: list[Path], ws_readonly: list[Path] | None = None,
                uid: int | None = None, gpu: bool = False) -> list[str]:
    ro = [Path(sys.base_prefix), Path(sys.prefix), paths.PACKAGE, paths.DATASETS]
    argv = [bwrap, "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session", "--hostname", "sandbox",
            "--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc", "--ro-bind-try", "/sys", "/sys"]
    for link in ("bin", "lib", "lib64", "sbin"):
        target = Path("/") / link
        if target.is_symlink():
            argv += ["--symlink", os.readlink(target), str(target)]
        elif target.is_dir():
            argv += ["--ro-bind", str(target), str(target)]
    # /tmp first: the workspace may live under it, and its binds must land on top of the fresh tmpfs
    argv += ["--proc", "/proc", *(["--dev-bind", "/dev", "/dev"] if gpu else ["--dev", "/dev"]), "--tmpfs", "/tmp"]
    made: set[Path] = {Path("/usr"), Path("/etc"), Path("/sys"), Path("/tmp")}
    binds = [("--ro-bind", p) for p in ro if p.exists()] + [("--ro-bind", p) for p in (ws_readonly or [])] \
        + [("--bind", p) for p in rw]
    for flag, p in binds:
        for a in _ancestors(p):
            if a not in made:
                argv += ["--perms", "0755", "--dir", str(a)]
                made.add(a)
        argv += [flag, str(p), str(p)]
        made.add(p)
    if running_as_root() and uid is not None:
        # bwrap runs privileged (so it can read the root-owned Python install); the job itself does not
        argv += ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all",
                 "--bounding-set=-all"]
    elif not running_as_root():
        argv[1:1] = ["--unshare-user"]
    return argv


def command(tier: str, python_args: list[str], rw: list[Path], ro: list[Path], uid: int | None,
            gpu: bool = False) -> list[str]:
    python = [sys.executable, "-s", "-P", *python_args]
    if tier == "namespace":
        return _bwrap_argv(shutil.which("bwrap"), rw, ro, uid=uid, gpu=gpu) + python
    return python


def preexec(limits: Limits, tier: str, uid: int | None):
    """Runs in the child between fork and exec: new session, rlimits, and (rlimits tier, as root) drop to uid."""
    def apply():
        os.setsid()
        mem = limits.memory_mb * 1024 * 1024
        for res, val in ((resource.RLIMIT_AS, mem), (resource.RLIMIT_CPU, limits.cpu_seconds),
                         (resource.RLIMIT_NOFILE, limits.open_files),
                         (resource.RLIMIT_FSIZE, limits.file_mb * 1024 * 1024), (resource.RLIMIT_CORE, 0)):
            resource.setrlimit(res, (val, val))
        if uid is not None:
            resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
        if tier == "rlimits" and uid is not None:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    return apply


def environment(ws_home: Path, ws_tmp: Path, device: str) -> dict[str, str]:
    """A minimal environment: nothing of the grader's (tokens, paths, CI variables) reaches the job."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(ws_home), "TMPDIR": str(ws_tmp),
        "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "KERAS_BACKEND": "torch", "KERAS_HOME": str(ws_home / ".keras"),
        "MPLCONFIGDIR": str(ws_home / ".matplotlib"), "MPLBACKEND": "Agg",
        "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
        "CUBLAS_WORKSPACE_CONFIG": ":4096:8", "HF_HUB_OFFLINE": "1", "NO_PROXY": "*",
    }
    # older OpenBLAS builds compute wrong results on some CPUs without these (machine setting, not a secret)
    for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if key in os.environ:
            env[key] = os.environ[key]
    if device != "cpu" and "CUDA_VISIBLE_DEVICES" in os.environ:
        env["CUDA_VISIBLE_DEVICES"] = os.environ["CUDA_VISIBLE_DEVICES"]
    return env


def kill_job(proc: subprocess.Popen, uid: int | None) -> None:
    """Kill the job's process group and, as root, every process its uid still owns (setsid daemons too)."""
    for target in (lambda: os.killpg(proc.pid, signal.SIGKILL), lambda: proc.kill()):
        try:
            target()
        except (ProcessLookupError, PermissionError, OSError):
            pass
    if uid is not None and running_as_root():
        pid = os.fork()
        if pid == 0:  # a throwaway child becomes the uid and signals everything that uid owns
            try:
                os.setgid(uid)
                os.setuid(uid)
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
