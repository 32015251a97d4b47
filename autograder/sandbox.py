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

import contextlib
import fcntl
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
    scratch_mb: int = 512  # HOME and /tmp of a job (namespace tier: RAM-backed tmpfs of this size)


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
    probe = _bwrap_argv(bwrap, [], uid=SLOT_UID_BASE + SLOT_COUNT if running_as_root() else None) + ["true"]
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


SLOT_COUNT = 256
LOCK_DIR = Path("/run/labkit-slots") if Path("/run").is_dir() else Path("/tmp/labkit-slots")


@functools.lru_cache(maxsize=1)
def uid_can_run_python() -> bool:
    """Whether an unprivileged uid can reach this Python outside a namespace (pyenv under /root cannot)."""
    if not running_as_root():
        return False
    targets = [os.path.realpath(sys.executable), sys.prefix, str(paths.PACKAGE)]
    pid = os.fork()
    if pid == 0:
        try:
            os.setgid(SLOT_UID_BASE + SLOT_COUNT)
            os.setuid(SLOT_UID_BASE + SLOT_COUNT)
            os._exit(0 if all(os.access(t, os.R_OK | os.X_OK) for t in targets) else 1)
        finally:
            os._exit(1)
    return os.waitpid(pid, 0)[1] == 0


def job_uid_wanted(tier: str) -> bool:
    return running_as_root() and (tier == "namespace" or uid_can_run_python())


@contextlib.contextmanager
def lease_uid(hint: int = 0, wanted: bool = True):
    """A job uid no other job on this machine holds (any process, any user of labkit), or None if not root.

    RLIMIT_NPROC counts per uid and the cleanup kills every process of the uid, so two concurrent
    graders must never share one: each uid is held through an exclusive lock file while a job runs.
    """
    if not (wanted and running_as_root()):
        yield None
        return
    LOCK_DIR.mkdir(mode=0o755, exist_ok=True)
    for i in range(SLOT_COUNT):
        uid = SLOT_UID_BASE + (hint + i) % SLOT_COUNT
        fd = os.open(LOCK_DIR / f"{uid}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        try:
            yield uid
        finally:
            os.close(fd)  # closing releases the lock
        return
    raise RuntimeError(f"all {SLOT_COUNT} job uids are in use")


def _ancestors(path: Path) -> list[Path]:
    return [p for p in reversed(path.parents) if p != Path("/")]


def _bwrap_argv(bwrap: str, scratch: list[Path], ws_readonly: list[Path] | None = None,
                uid: int | None = None, gpu: bool = False, scratch_mb: int = 512,
                rw: list[Path] | None = None, readonly_tmp: bool = False) -> list[str]:
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
    size = str(scratch_mb * 1024 * 1024)
    argv += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--size", size, "--tmpfs", "/tmp"]
    for dev in gpu_devices() if gpu else []:  # the GPU's device nodes only, never the host's whole /dev
        argv += ["--dev-bind", dev, dev]
    made: set[Path] = {Path("/usr"), Path("/etc"), Path("/sys"), Path("/tmp")}
    binds = [("--ro-bind", p) for p in ro if p.exists()] + [("--ro-bind", p) for p in (ws_readonly or [])] \
        + [("--tmpfs", p) for p in scratch] + [("--bind", p) for p in (rw or [])]
    for flag, p in binds:
        for a in _ancestors(p):
            if a not in made:
                argv += ["--perms", "0755", "--dir", str(a)]
                made.add(a)
        # scratch space is a size-capped tmpfs: a disk filler fills its own RAM quota, not the grader's disk
        argv += ["--perms", "1777", "--size", size, "--tmpfs", str(p)] if flag == "--tmpfs" else [flag, str(p), str(p)]
        made.add(p)
    if readonly_tmp:  # a zygote's children share this view: /tmp must not carry files from job to job
        argv += ["--remount-ro", "/tmp"]
    if running_as_root() and uid is not None:
        # bwrap runs privileged (so it can read the root-owned Python install); the job itself does not
        argv += ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all",
                 "--bounding-set=-all"]
    elif not running_as_root():
        argv[1:1] = ["--unshare-user"]
    return argv


def command(tier: str, python_args: list[str], scratch: list[Path], ro: list[Path], uid: int | None,
            limits: Limits, gpu: bool = False, rw: list[Path] | None = None, readonly_tmp: bool = False) -> list[str]:
    python = [sys.executable, "-s", "-P", *python_args]
    if tier == "namespace":
        return _bwrap_argv(shutil.which("bwrap"), scratch, ro, uid=uid, gpu=gpu, scratch_mb=limits.scratch_mb,
                           rw=rw, readonly_tmp=readonly_tmp) + python
    return python


def gpu_devices() -> list[str]:
    nodes = [str(p) for p in sorted(Path("/dev").glob("nvidia*")) if not p.is_dir()]
    return nodes + [p for p in ("/dev/kfd", "/dev/dri") if Path(p).exists()]


def gpu_present() -> bool:
    return bool(gpu_devices())


def rlimits(limits: Limits, uid: int | None, gpu: bool = False) -> dict[str, int]:
    """The resource limits of one job, by resource name (a zygote's child applies them itself)."""
    # CUDA reserves tens of GB of virtual address space at start-up, so RLIMIT_AS would stop it: GPU jobs
    # are bounded by the card's memory and the wall-clock limit instead
    out = {"RLIMIT_AS": resource.RLIM_INFINITY if gpu else limits.memory_mb * 1024 * 1024,
           "RLIMIT_CPU": limits.cpu_seconds, "RLIMIT_NOFILE": limits.open_files,
           "RLIMIT_FSIZE": limits.file_mb * 1024 * 1024, "RLIMIT_CORE": 0}
    if uid is not None:
        out["RLIMIT_NPROC"] = limits.processes
    return out


def preexec(limits: Limits, tier: str, uid: int | None, gpu: bool = False):
    """Runs in the child between fork and exec: new session, rlimits, and (rlimits tier, as root) drop to uid."""
    wanted = rlimits(limits, uid, gpu)

    def apply():
        os.setsid()
        for name, val in wanted.items():
            resource.setrlimit(getattr(resource, name), (val, val))
        if tier == "rlimits" and uid is not None:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    return apply


def environment(ws_home: Path, tier: str, device: str) -> dict[str, str]:
    """A minimal environment: nothing of the grader's (tokens, paths, CI variables) reaches the job."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(ws_home),
        "TMPDIR": "/tmp" if tier == "namespace" else str(ws_home / "tmp"),
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
    group = [lambda: os.killpg(proc.pid, signal.SIGKILL)] if isinstance(proc, subprocess.Popen) else []
    for target in (*group, lambda: proc.kill()):  # a zygote's child is killed by its zygote, by group
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
