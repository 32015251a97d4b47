"""A warm fork server: frameworks imported once, every job a fresh child forked from that clean parent.

`import torch` and `import keras` cost ~5 s of CPU per worker started cold. The zygote pays that once
per grader process (per lab framework set, tier and device) and never runs learner code itself: each job
is a new child that drops to the job's uid, takes its rlimits and new session, and runs autograder.worker
on its own workspace. No state passes between students: a child starts from the zygote's memory, never
from an earlier child's.

The zygote lives in the same sandbox tier as cold workers (at the namespace tier: one bubblewrap view
for all its children), with these differences, which the README's threat model lists: children of one
zygote share a PID and a network namespace (separated by uid: they cannot signal, trace or read each
other's files), and job scratch space is a folder under a disk watchdog rather than a sized tmpfs.

Protocol, over a SOCK_SEQPACKET socket pair (one JSON message each, file descriptors by SCM_RIGHTS):
  parent -> zygote  {"spawn": id, "config": path, "uid": uid|null, "limits": {...}, "env": {...},
                     "cwd": path} with fds [channel, output];  {"kill": id}
  zygote -> parent  {"ready": true};  {"started": id};  {"exit": id, "code": rc}
EOF on the socket (the grader died or closed it): the zygote kills its children and exits.
"""
from __future__ import annotations

import atexit
import ctypes
import json
import os
import queue
import resource
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

MAX_MESSAGE = 1 << 16
CLONE_NEWIPC = 0x08000000
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS, PR_CAPBSET_DROP, LAST_CAP = 1, 38, 24, 63


# ---------------------------------------------------------------- inside the zygote
def _drop_privileges(uid: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in range(LAST_CAP + 1):  # no way back to root through a setuid binary or file capabilities
        libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


def _child(msg: dict, channel: int, output: int) -> None:
    """In the forked child: become the job, then run the worker. Never returns."""
    code = 70
    try:
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(output, 1)
        os.dup2(output, 2)
        lim = msg["limits"]
        for name, val in lim.items():
            resource.setrlimit(getattr(resource, name), (val, val))
        ctypes.CDLL(None).unshare(CLONE_NEWIPC)  # jobs of one zygote never share SysV objects
        if msg.get("uid") is not None:
            _drop_privileges(int(msg["uid"]))
        # after the uid change, which clears it: a job dies with its zygote, whatever killed the zygote
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        os.umask(0o077)
        os.environ.clear()
        os.environ.update(msg["env"])
        import tempfile as _tempfile

        _tempfile.tempdir = None  # the zygote's imports may have cached its own temp dir: use the job's
        os.chdir(msg["cwd"])
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        from .. import worker

        code = worker.main(msg["config"], channel_fd=channel)
        sys.stdout.flush()
    except BaseException as exc:  # noqa: BLE001  (the child must end here, whatever happened)
        try:
            os.write(2, f"labkit zygote child: {type(exc).__name__}: {exc}\n".encode())
        except OSError:
            pass
    os._exit(code if isinstance(code, int) else 1)


def serve(sock: socket.socket) -> None:
    children: dict[int, str] = {}  # pid -> job id
    uids: dict[int, int] = {}  # pid -> its job uid: what the job left in the shared /dev/shm goes with it

    def reap():
        while children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            job = children.pop(pid, None)
            if pid in uids:
                from .sandbox import sweep_files
                sweep_files(uids.pop(pid), ("/dev/shm", "/dev/mqueue"))
            if job is not None:
                sock.send(json.dumps({"exit": job, "code": os.waitstatus_to_exitcode(status)}).encode())

    wake_r, wake_w = os.pipe()  # SIGCHLD wakes the loop at once: a finished job is reported without delay
    for fd in (wake_r, wake_w):
        os.set_blocking(fd, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    sock.send(b'{"ready": true}')
    while True:
        ready, _, _ = select.select([sock, wake_r], [], [], 1.0)
        if wake_r in ready:
            try:
                os.read(wake_r, 4096)
            except BlockingIOError:
                pass
        reap()
        if sock not in ready:
            continue
        try:
            data, fds, _, _ = socket.recv_fds(sock, MAX_MESSAGE, 2)
        except OSError:
            data, fds = b"", []
        if not data:  # the grader is gone: nothing of ours may outlive it
            for pid in children:
                _kill_group(pid)
            os._exit(0)
        msg = json.loads(data)
        if "spawn" in msg:
            pid = os.fork()
            if pid == 0:
                sock.close()
                signal.set_wakeup_fd(-1)
                os.close(wake_r)
                os.close(wake_w)
                _child(msg, *fds)
            for fd in fds:
                os.close(fd)
            children[pid] = msg["spawn"]
            if msg.get("uid") is not None:
                uids[pid] = int(msg["uid"])
            sock.send(json.dumps({"started": msg["spawn"], "pid": pid}).encode())
        elif "kill" in msg:
            for pid, job in children.items():
                if job == msg["kill"]:
                    _kill_group(pid)


def _kill_group(pid: int) -> None:
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
        except OSError:
            pass


def main(fd: int, preload: list[str]) -> None:
    sock = socket.socket(fileno=fd)
    os.set_inheritable(fd, False)
    from .. import worker

    worker.prepare(preload)
    _first_session()
    serve(sock)


def _first_session() -> None:
    """Run pytest once on a trivial test: its first session in a process costs ~0.25 s more than later ones
    (lazy imports and caches), paid here once instead of in every job."""
    import contextlib
    import io

    import pytest

    from .. import plugin

    with tempfile.TemporaryDirectory(dir=os.getcwd()) as tmp:
        Path(tmp, "test_warm.py").write_text("def test_warm():\n    assert True\n")
        Path(tmp, "pytest.ini").write_text("[pytest]\n")
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            pytest.main([tmp, "-q", "-p", "no:cacheprovider", "-p", "pytest_timeout", "--rootdir", tmp,
                         "-c", str(Path(tmp, "pytest.ini"))], plugins=[plugin])
    sys.modules.pop("test_warm", None)


# ---------------------------------------------------------------- in the grader
class ZygoteError(RuntimeError):
    pass


class Child:
    """A job forked by a zygote; quacks like the subprocess.Popen the runner uses for cold workers."""

    def __init__(self, zygote: "Zygote", job_id: str, output: int):
        self.zygote, self.job_id = zygote, job_id
        self.stdout = os.fdopen(output, "rb", buffering=0)
        self.returncode: int | None = None
        self.done = threading.Event()

    def poll(self) -> int | None:
        if self.returncode is None and self.zygote.dead:
            self.returncode = -signal.SIGKILL  # the zygote died under the job
        return self.returncode

    def kill(self) -> None:
        try:
            self.zygote.send({"kill": self.job_id})
        except ZygoteError:
            pass  # the zygote is gone, and its PID namespace (or the uid sweep) took its children with it

    def wait(self, timeout: float | None = None) -> int | None:
        if not self.done.wait(timeout) and not self.zygote.dead:
            raise subprocess.TimeoutExpired("zygote child", timeout)
        return self.poll()


def _die_with_grader() -> None:
    """In the zygote's (or bubblewrap's) process before exec: SIGKILL when the starting thread ends.

    The parent-death signal follows the *thread* that forked, so zygotes are started from _STARTER, a
    thread that lives as long as the grader: the zygote dies with the grader process and never before.
    """
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


class Zygote:
    def __init__(self, tier: str, gpu: bool, preload: list[str], data: tuple[Path, ...] = ()):
        from . import sandbox

        self.pool_dir = sandbox.scratch_dir("pool")
        os.chmod(self.pool_dir, 0o711)
        self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        argv = sandbox.command(tier, ["-m", "autograder.isolation.zygote", str(theirs.fileno()), json.dumps(preload)],
                               scratch=[], ro=list(data), rw=[self.pool_dir], uid=None, limits=sandbox.Limits(), gpu=gpu,
                               readonly_tmp=True)
        env = sandbox.environment(self.pool_dir, tier, "cpu" if not gpu else "auto")
        env["KERAS_HOME"] = str(self.pool_dir / ".keras")  # never written: children cannot write here
        self.log = self.pool_dir / "zygote.log"  # root's, mode 0600: children cannot read it
        with open(os.open(self.log, os.O_WRONLY | os.O_CREAT, 0o600), "wb") as log:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         pass_fds=[theirs.fileno()], env=env, cwd=self.pool_dir,
                                         start_new_session=True, preexec_fn=_die_with_grader)
        theirs.close()
        self.lock = threading.Lock()
        self.children: dict[str, Child] = {}
        self.started: dict[str, threading.Event] = {}
        self.dead = False
        self.counter = 0
        self.users = 0  # runs holding this zygote (between attempts too): never evicted while > 0
        self.sock.settimeout(300)  # importing torch and keras on a loaded machine: seconds, not minutes
        try:
            first = self.sock.recv(MAX_MESSAGE)
        except OSError:
            first = b""
        if first != b'{"ready": true}':
            self.proc.kill()
            self.proc.wait()
            err = self.log.read_text(errors="replace")[-500:] if self.log.is_file() else ""
            self.close()
            raise ZygoteError(f"the warm worker did not start: {err.strip() or 'no output'}")
        self.sock.settimeout(None)
        threading.Thread(target=self._listen, daemon=True).start()

    def _listen(self) -> None:
        while True:
            try:
                data = self.sock.recv(MAX_MESSAGE)
            except OSError:
                data = b""
            if not data:
                self.dead = True
                for c in list(self.children.values()):
                    c.done.set()
                for e in self.started.values():
                    e.set()
                return
            msg = json.loads(data)
            if "started" in msg:
                self.started[msg["started"]].set()
            elif "exit" in msg:
                child = self.children.pop(msg["exit"], None)
                if child is not None:
                    child.returncode = int(msg["code"])
                    child.done.set()

    def send(self, msg: dict, fds: list[int] = ()) -> None:
        with self.lock:
            try:
                socket.send_fds(self.sock, [json.dumps(msg).encode()], list(fds))
            except OSError as exc:
                self.dead = True
                raise ZygoteError(f"the warm worker is gone ({exc})") from None

    def spawn(self, config: Path, uid: int | None, rlimits: dict[str, int], env: dict[str, str], cwd: Path,
              channel: int) -> Child:
        out_r, out_w = os.pipe()
        with self.lock:
            self.counter += 1
            job_id = str(self.counter)
        child = self.children[job_id] = Child(self, job_id, out_r)
        started = self.started[job_id] = threading.Event()
        try:
            self.send({"spawn": job_id, "config": str(config), "uid": uid, "limits": rlimits, "env": env,
                       "cwd": str(cwd)}, [channel, out_w])
        except ZygoteError:
            self.children.pop(job_id, None)
            child.stdout.close()
            raise
        finally:
            os.close(out_w)
        started.wait(30)
        self.started.pop(job_id, None)
        if self.dead:
            raise ZygoteError("the warm worker died while starting a job")
        return child

    def close(self) -> None:
        self.dead = True
        try:
            self.sock.close()
        finally:
            try:
                self.proc.kill()
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass
            import shutil

            shutil.rmtree(self.pool_dir, ignore_errors=True)


_ZYGOTES: dict[tuple, Zygote] = {}
MAX_ZYGOTES = 4  # each holds its frameworks in memory (torch + keras: ~0.5 GB)
_LOCK = threading.Lock()


def enabled() -> bool:
    return os.environ.get("LABKIT_WARM", "1") != "0" and sys.platform == "linux"


def get(tier: str, gpu: bool, preload: list[str], data: tuple[Path, ...] = ()) -> Zygote:
    """The zygote for this tier and framework set, started on first use (and again if it died).

    The caller holds it until release(): a run's workspace lives in its zygote's pool folder, so a zygote
    idle between two attempts of a run must not be evicted (that would delete the workspace).
    """
    key = (tier, gpu, tuple(preload), tuple(data))  # data: the kit's dataset files the lab's jobs may read
    with _LOCK:
        z = _ZYGOTES.pop(key, None)
        if z is None or z.dead:
            idle = [k for k, v in _ZYGOTES.items() if not v.children and not v.users]
            for k in idle[:max(0, len(_ZYGOTES) + 1 - MAX_ZYGOTES)]:  # least recently used first
                _ZYGOTES.pop(k).close()
            z = _start(tier, gpu, list(preload), tuple(data))
        _ZYGOTES[key] = z  # re-inserted: the dict's order is the order of last use
        z.users += 1
        return z


def release(z: Zygote) -> None:
    with _LOCK:
        z.users -= 1


_REQUESTS: queue.Queue = queue.Queue()
_STARTER: threading.Thread | None = None


def _start(tier: str, gpu: bool, preload: list[str], data: tuple[Path, ...]) -> Zygote:
    """Start a zygote from the long-lived starter thread (see _die_with_grader)."""
    global _STARTER
    if _STARTER is None or not _STARTER.is_alive():
        _STARTER = threading.Thread(target=_serve_starts, name="labkit-zygote-starter", daemon=True)
        _STARTER.start()
    box: dict = {}
    done = threading.Event()
    _REQUESTS.put((lambda: Zygote(tier, gpu, preload, data), box, done))
    done.wait()
    if "error" in box:
        raise box["error"]
    return box["zygote"]


def _serve_starts() -> None:
    while True:
        make, box, done = _REQUESTS.get()
        try:
            box["zygote"] = make()
        except BaseException as exc:  # noqa: BLE001  (handed to the waiting thread)
            box["error"] = exc if isinstance(exc, ZygoteError) else ZygoteError(f"the warm worker did not start: {exc}")
        done.set()


@atexit.register
def _shutdown() -> None:
    for z in list(_ZYGOTES.values()):
        z.close()


if __name__ == "__main__":
    main(int(sys.argv[1]), json.loads(sys.argv[2]))
