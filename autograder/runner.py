"""Parent side of a job: build the workspace, start the sandboxed worker, read its results, enforce time.

A worker that dies, hangs or exits early costs only the test it was running (or the module it was
importing): the runner restarts it for the tests not yet reported, so questions already decided stay.
"""
from __future__ import annotations

import ast
import functools
import os
import selectors
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import channel, threadsafe
from .hidden_data import HiddenData
from .isolation import sandbox, zygote
from .manifest import Lab

OUTPUT_TAIL = 64 * 1024
GRACE = 5.0  # seconds past a test's own limit before the parent kills the worker (pytest-timeout fires first)
# imported by the worker before gc.freeze() and before any learner code, so tests do not pay for them
PRELOAD = {"numpy": "numpy", "scipy": "scipy", "scikit-learn": "sklearn", "torch": "torch", "keras": "keras",
           "pandas": "pandas", "statsmodels": "statsmodels"}
IMPORT_LIMIT = 60.0  # importing torch and keras takes ~6 s here; capped at a quarter of the lab's limit


STOP = threading.Event()  # set on Ctrl-C: every running job is killed and raises Interrupted


class Interrupted(Exception):
    """The batch was stopped while this job ran: it has no result (and none is kept)."""


@dataclass
class TestOutcome:
    __test__ = False  # not a pytest test class, despite the name
    id: str
    outcome: str  # passed | failed | skipped
    message: str = ""
    duration: float = 0.0
    values: list = field(default_factory=list)
    failure: dict | None = None  # channel facts about a failure (kind, exception type, answer line, text)


@dataclass
class RunResult:
    tests: dict[str, TestOutcome] = field(default_factory=dict)
    collected: list[str] | None = None
    import_problems: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    output_tail: str = ""
    output_bytes: int = 0
    tier: str = ""
    seconds: float = 0.0
    restarts: int = 0
    tampering: list[str] = field(default_factory=list)  # result-channel protocol violations
    uid: int | None = None  # the job uid leased for this run (root only)
    device: str = "cpu"  # the device the tests ran on
    mode: str = "grade"  # the job's mode: grading runs (grade, reference) never show the learner's own text
    marks: dict[str, float] = field(default_factory=dict)  # monotonic times of pytest's session start and end
    coverage: dict[str, list[int]] = field(default_factory=dict)  # suite mode: file -> [statements, run]


@dataclass
class Job:
    lab: Lab
    sources: dict[str, str]  # answer file -> code
    mode: str  # grade | reference | check | suite (sources = an implementation, suite_tests = the learner's tests)
    device: str = "auto"
    tier: str | None = None
    slot: int = 0  # a hint only: sandbox.lease_uid picks a free uid machine-wide
    include_hidden: bool = True
    include_public: bool = True  # grading runs the hidden tests only: public tests score in `labkit check`
    questions: tuple[str, ...] = ()  # run only these questions' tests (none: all)
    warm: bool = True  # from the warm pool (a one-shot `labkit check` starts faster cold)
    node_ids: list[str] | None = None
    broken: dict[str, str] = field(default_factory=dict)  # stem -> reason, decided before running
    suite_tests: dict[str, str] | None = None  # suite mode: the learner's test files, collected at the root
    coverage: tuple[str, ...] = ()  # suite mode: implementation files whose statement coverage is measured
    hidden_data: HiddenData | None = None  # inputs the grader made for the hidden tests (their truth stays here)
    on_event: Callable[[float, dict], None] | None = None  # every channel event as it arrives (profiles)


# third-party packages whose modules the lab's own tests import are imported by the zygote too
WARM_PACKAGES = {"numpy", "scipy", "sklearn", "torch", "keras", "pandas", "statsmodels", "hypothesis"}


def _preload(lab: Lab, public: bool = False) -> list[str]:
    """What a worker imports before any learner code: the lab's frameworks and what the tests that will run import
    (grading runs the hidden tests only; `labkit check` the public ones)."""
    frameworks = [PRELOAD[f] for f in lab.frameworks if f in PRELOAD and "oracle only" not in f]
    measured = ["coverage"] if lab.suite_files else []  # suite runs measure the learner's statement coverage
    tests = lab.public_tests if public else lab.hidden_tests
    return list(dict.fromkeys(frameworks + measured + list(_test_imports(tests, lab.solution))))


@functools.lru_cache(maxsize=64)
def _test_imports(tests: Path, solution: Path) -> tuple[str, ...]:
    """Modules the tests and the reference answers import from WARM_PACKAGES (sklearn.utils.estimator_checks...)."""
    found = set()
    # and what the reference answers import: submissions mostly import the same (names only: nothing runs)
    files = [*tests.rglob("*.py"), *solution.glob("*.py")]
    for f in files:
        try:
            with threadsafe.AST_LOCK:
                tree = ast.parse(f.read_text())
        except (OSError, SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else []
            found |= {n for n in names if n.split(".")[0] in WARM_PACKAGES}
    return tuple(sorted(found))


def resolve_device(requested: str, lab: Lab) -> str:
    """The device the tests will use: 'cuda' where asked for (or 'auto'), the lab declares it and a GPU is here."""
    if requested == "cpu" or "cuda" not in lab.devices:
        return "cpu"
    return "cuda" if sandbox.gpu_present() else "cpu"


def time_limit_of(lab: Lab, node_id: str) -> float:
    q = lab.question_of(node_id)
    return q.time_limit if q else 60.0


def make_workspace(job: Job, uid: int | None, parent: Path | None = None) -> Path:
    sandbox.sweep_stale_scratch()
    base = sandbox.scratch_dir("job", parent)
    os.chmod(base, 0o711)
    tests, answers, home = base / "tests", base / "answers", base / "home"
    if job.mode == "suite":
        tests.mkdir()
        for name, code in (job.suite_tests or {}).items():
            (tests / name).write_text(code)
    else:
        shutil.copytree(job.lab.public_tests, tests / "public", ignore=shutil.ignore_patterns("__pycache__"))
    hidden = job.lab.solution / "hidden_tests"
    if job.include_hidden and hidden.is_dir() and job.mode != "suite":
        shutil.copytree(hidden, tests / "hidden", ignore=shutil.ignore_patterns("__pycache__"))
    (tests / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\nfilterwarnings =\n    default\n")
    shutil.copy(job.lab.path / "lab.toml", tests / "lab.toml")
    if job.include_hidden and job.hidden_data is not None and job.mode != "suite":
        job.hidden_data.write_inputs(tests / "hidden_data")
    answers.mkdir()
    for name, code in job.sources.items():
        (answers / name).write_text(code)
    (home / "tmp").mkdir(parents=True)
    for p in [base, *base.rglob("*")]:
        os.chmod(p, 0o755 if p.is_dir() else 0o644)
    os.chmod(base, 0o711)
    if uid is not None:
        for p in [home, *home.rglob("*")]:
            os.chown(p, uid, uid)
        if parent is not None:  # jobs of one zygote share a view: only this job's uid may read its files
            for p in [tests, answers, *tests.rglob("*"), *answers.rglob("*")]:
                os.chown(p, 0, uid)
                os.chmod(p, 0o750 if p.is_dir() else 0o640)
            os.chmod(home, 0o700)
    return base


def import_limit(lab: Lab) -> float:
    return max(10.0, min(IMPORT_LIMIT, lab.time_limit / 4))


def describe_exit(rc: int) -> str:
    if rc < 0 or rc > 128:
        sig = -rc if rc < 0 else rc - 128
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        if name == "SIGKILL":
            return "was killed (SIGKILL: out of memory, or too many processes)"
        if name == "SIGXCPU":
            return "used up its CPU-time limit (SIGXCPU)"
        if name == "SIGXFSZ":
            return "wrote a file past the size limit (SIGXFSZ)"
        return f"crashed ({name})"
    if rc == 0:
        return "exited early with code 0 (sys.exit or os._exit in the answer?)"
    return f"exited with code {rc}"


def run(job: Job) -> RunResult:
    tier = job.tier or sandbox.best_tier()
    with sandbox.lease_uid(job.slot, wanted=sandbox.job_uid_wanted(tier)) as uid:
        return _run(job, tier, uid)


def _run(job: Job, tier: str, uid: int | None) -> RunResult:
    result = RunResult(tier=tier, uid=uid, device=resolve_device(job.device, job.lab), mode=job.mode)
    warm = None
    if zygote.enabled() and job.warm:
        try:
            warm = zygote.get(tier, result.device == "cuda", _preload(job.lab, job.mode == "check"), job.lab.kit_data)
        except zygote.ZygoteError as exc:
            result.notes.append(f"started a cold worker: {exc}")
    try:
        ws = make_workspace(job, uid, warm.pool_dir if warm else None)
    except BaseException:
        if warm is not None:
            zygote.release(warm)
        raise
    if uid is None and sandbox.running_as_root():
        result.notes.append("ran as root: this Python installation is not readable by an unprivileged uid")
    started = time.monotonic()
    broken = dict(job.broken)
    pending = job.node_ids
    max_restarts = len(job.lab.questions) + 2
    early_deaths = 0
    try:
        while True:
            died = _attempt(job, ws, tier, uid, result, broken, pending, started, warm)
            if died is None:
                break
            out_of_time = time.monotonic() - started > job.lab.time_limit
            if result.collected is None:  # died before collection: retry without the answers that caused it
                early_deaths += 1
                if early_deaths >= 2 and not any(f"the worker {died}" in r for r in broken.values()):
                    # twice, after the imports had finished: their side effects broke the worker, not bad luck
                    for stem in (Path(f).stem for f in job.lab.answer_files):
                        broken.setdefault(stem, f"after importing {stem}.py the worker {died} before any test ran")
                if result.restarts < max_restarts and not out_of_time:
                    result.restarts += 1
                    result.notes.append(f"worker {died} before collecting tests; restarted")
                    continue
                result.notes.append(f"worker {died} before collecting any test")
                break
            _settle_timed_out_questions(job.lab, result)
            remaining = [i for i in result.collected if i not in result.tests]
            if not remaining or result.restarts >= max_restarts or out_of_time:
                why = "the submission's time limit ran out" if out_of_time else f"the worker {died}"
                for i in remaining:
                    result.tests[i] = TestOutcome(i, "failed", f"not run: {why}")
                break
            result.restarts += 1
            result.notes.append(f"worker {died}; restarted for {len(remaining)} remaining tests")
            pending = remaining
    finally:
        shutil.rmtree(ws, ignore_errors=True)
        if warm is not None:
            zygote.release(warm)
    result.import_problems = broken
    result.seconds = time.monotonic() - started
    return result


def _attempt(job: Job, ws: Path, tier: str, uid: int | None, result: RunResult, broken: dict[str, str],
             pending: list[str] | None, started: float, warm: zygote.Zygote | None = None) -> str | None:
    """One worker process. Returns None when it finished the session, else why it died."""
    read_fd, write_fd = os.pipe()
    hidden_inputs = ws / "tests" / "hidden_data"
    cfg = channel.WorkerConfig(
        mode=job.mode, answers_dir=str(ws / "answers"), tests_dir=str(ws / "tests"), channel_fd=write_fd,
        answer_stems=[] if job.mode == "suite" else
        [Path(f).stem for f in job.lab.answer_files if f not in job.lab.suite_files],
        broken=broken, device=result.device, node_ids=pending,
        time_limits={q.id: q.time_limit for q in job.lab.questions},
        preload=_preload(job.lab, job.mode == "check") if job.warm else [],
        coverage=list(job.coverage), hidden_data=str(hidden_inputs) if hidden_inputs.is_dir() else None,
        questions=list(job.questions), collect=[] if job.mode == "suite" else
        [name for name, wanted in (("public", job.include_public), ("hidden", job.include_hidden)) if wanted])
    cfg_path = ws / "tests" / f"config-{result.restarts}.json"
    cfg_path.write_text(cfg.to_json())
    cfg_path.chmod(0o644)
    limits = sandbox.Limits(memory_mb=job.lab.memory_limit_mb, cpu_seconds=int(job.lab.time_limit) + 30)
    gpu = result.device == "cuda"
    proc = None
    if warm is not None:  # the workspace lives in this zygote's pool folder; a dead zygote means a cold start
        try:
            env = sandbox.environment(ws / "home", "pooled", result.device)
            proc = warm.spawn(cfg_path, uid, sandbox.rlimits(limits, uid, gpu), env, ws / "home", write_fd)
        except zygote.ZygoteError as exc:
            result.notes.append(f"started a cold worker: {exc}")
    if proc is None:
        argv = sandbox.command(tier, ["-m", "autograder.worker", str(cfg_path)], scratch=[ws / "home"],
                               ro=[ws / "tests", ws / "answers", *job.lab.kit_data], uid=uid, limits=limits,
                               gpu=gpu)
        env = sandbox.environment(ws / "home", tier, result.device)
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                pass_fds=[write_fd], preexec_fn=sandbox.preexec(limits, tier, uid, gpu=gpu),
                                env=env, cwd=ws / "home")
    os.close(write_fd)
    try:
        return _read(job, proc, read_fd, result, broken, started, ws / "home", limits.scratch_mb)
    finally:
        sandbox.kill_job(proc, uid)
        os.close(read_fd)
        proc.stdout.close()
        if tier == "rlimits" and uid is not None:  # the only tier whose jobs can write the machine's /tmp
            sandbox.sweep_files(uid)


def scratch_bytes(folder: Path, cap: int) -> int:
    """Bytes under folder, stopping early once past cap (a disk filler may have made many files)."""
    total = 0
    stack = [folder]
    while stack and total <= cap:
        try:
            with os.scandir(stack.pop()) as it:
                for e in it:
                    if e.is_dir(follow_symlinks=False):
                        stack.append(e.path)
                    elif e.is_file(follow_symlinks=False):
                        total += e.stat(follow_symlinks=False).st_blocks * 512
        except OSError:
            continue
    return total


def _read(job: Job, proc, read_fd: int, result: RunResult, broken: dict[str, str], started: float,
          home: Path, scratch_mb: int) -> str | None:
    sel = selectors.DefaultSelector()
    os.set_blocking(read_fd, False)
    os.set_blocking(proc.stdout.fileno(), False)
    sel.register(read_fd, selectors.EVENT_READ, "channel")
    sel.register(proc.stdout.fileno(), selectors.EVENT_READ, "output")
    buf = b""
    current: tuple[str, str, float] | None = None  # ("test"|"import", id, since)
    finished = False
    exited_at = None
    # a cold namespace worker's scratch is a sized tmpfs; everywhere else a watchdog caps it
    watch_disk = result.tier != "namespace" or isinstance(proc, zygote.Child)
    next_disk_check = 0.0
    while True:
        now = time.monotonic()
        if watch_disk and now >= next_disk_check:
            next_disk_check = now + 1.0
            if scratch_bytes(home, scratch_mb << 20) > scratch_mb << 20:
                return _died(result, broken, current, f"wrote more than {scratch_mb} MB of files")
        if current:
            kind, ident, since = current
            limit = (time_limit_of(job.lab, ident) + GRACE) if kind == "test" else import_limit(job.lab)
            if now - since > limit:
                return _died(result, broken, current, f"timed out after {limit - (GRACE if kind == 'test' else 0):.0f} s")
        if now - started > job.lab.time_limit:
            return _died(result, broken, current, f"hit the submission's time limit ({job.lab.time_limit:.0f} s)")
        if STOP.is_set():
            raise Interrupted()
        for key, _ in sel.select(timeout=0.2):
            try:
                data = os.read(key.fd, 1 << 16)
            except BlockingIOError:
                continue
            if not data:
                sel.unregister(key.fd)
                continue
            if key.data == "output":
                result.output_bytes += len(data)
                result.output_tail = (result.output_tail + data.decode("utf-8", "replace"))[-OUTPUT_TAIL:]
                continue
            buf += data
            *lines, buf = buf.split(b"\n")
            for line in lines:
                event = channel.decode_event(line)
                if event is not None and job.on_event is not None:
                    job.on_event(time.monotonic(), event)
                current, done = _handle(event, result, broken, current)
                finished = finished or done
        if finished:
            return None
        if proc.poll() is not None:
            # the process is gone; a daemon may still hold the pipes, so stop after a short drain
            exited_at = exited_at or now
            if now - exited_at > 0.5 or not sel.get_map():
                return _died(result, broken, current, describe_exit(proc.returncode))


def _handle(ev: dict | None, result: RunResult, broken: dict[str, str], current):
    """Apply one channel event to the run's result; returns (what is running now, whether the worker is done)."""
    if ev is None:
        result.notes.append("an unreadable line on the result channel was ignored")
        return current, False
    kind = ev["ev"]
    now = time.monotonic()
    if kind == "collected" and result.collected is None:
        result.collected = [str(i) for i in ev.get("ids") or []]
    elif kind == "start":
        if current is not None:
            result.tampering.append(f"a test started while {current[0]} {current[1]} was still running")
        return ("test", str(ev["id"]), now), False
    elif kind == "report":
        tid = str(ev["id"])
        if current is None or current[1] != tid or tid in result.tests:
            result.tampering.append(f"a result for {tid} arrived out of order or twice")
            return current, False
        try:
            result.tests[tid] = TestOutcome(tid, str(ev.get("outcome")), str(ev.get("message", ""))[:2000],
                                            float(ev.get("duration", 0.0)), list(ev.get("values") or []),
                                            ev.get("failure") if isinstance(ev.get("failure"), dict) else None)
        except (TypeError, ValueError):
            result.tampering.append(f"a malformed result for {tid}")
        return None, False
    elif kind == "collect_error":  # a test module that does not import (suite mode goes on without it)
        tid = str(ev["id"])
        result.tests.setdefault(tid, TestOutcome(tid, "failed", str(ev.get("message", ""))[:2000]))
    elif kind == "import":
        return ("import", str(ev["stem"]), now), False
    elif kind == "imported":
        return None, False
    elif kind == "import_failed":
        stem = str(ev.get("stem"))
        broken[stem] = str(ev.get("reason", "import failed"))[:1000] if result.mode in ("check", "suite") \
            else import_reason(stem, ev)
        return None, False
    elif kind in ("session", "finished"):  # when pytest started and ended, for profiles and benchmarks
        result.marks.setdefault(kind, now)
    elif kind == "coverage":  # informational only (the learner's code could fake it): never scored
        try:
            files = list(dict(ev["files"]).items())[:20]
            result.coverage = {str(f)[:100]: [int(n), min(int(n), max(0, int(ran)))] for f, (n, ran) in files}
        except (KeyError, TypeError, ValueError):
            result.notes.append("an unreadable coverage report was ignored")
    if kind in ("finished", "exit"):
        return current, kind == "exit"
    return current, False


def import_reason(stem: str, ev: dict) -> str:
    """Why an answer did not import, at grading: its exception's type and line, never its text (which the learner's
    code chose, and could fill with the hidden tests' source). `labkit check` shows the whole message."""
    name, line = str(ev.get("type", "")), ev.get("line")
    name = name if name.isidentifier() and len(name) <= 80 else "an exception"
    at = f" at line {line}" if isinstance(line, int) and not isinstance(line, bool) and 0 < line < 10**6 else ""
    return f"importing {stem[:80]}.py raised {name}{at} (`labkit check` shows the message)"


def _settle_timed_out_questions(lab: Lab, result: RunResult) -> None:
    """After a test times out, its question's other tests are failed unrun: an infinite loop costs one limit."""
    timed_out = {q.id for t in result.tests.values() if "timed out" in t.message and (q := lab.question_of(t.id))}
    for tid in result.collected or []:
        q = lab.question_of(tid)
        if tid not in result.tests and q and q.id in timed_out:
            result.tests[tid] = TestOutcome(tid, "failed", "not run: an earlier test of this question timed out")


def _died(result: RunResult, broken: dict[str, str], current, why: str) -> str:
    if current and current[0] == "test":
        result.tests[current[1]] = TestOutcome(current[1], "failed", f"the worker {why} during this test")
    elif current and current[0] == "import":
        broken[current[1]] = f"importing {current[1]}.py: the worker {why}"
    return why
