"""Grading tests that learners write, by mutation (wheats and chaffs, as in Brown's Examplar).

A suite question names a learner's test module and the implementation it tests. The grader runs that
module, in a fresh sandboxed worker per variant, against correct implementations ("wheats": the
reference, plus refactored equivalents) and planted-bug ones ("chaffs"):

    solutions/<lab>/wheats/<name>.toml   find/replace over an implementation file (mutants.py format)
    solutions/<lab>/chaffs/<name>.toml

A suite that fails on any wheat run (the plain one runs twice, so flaky suites show) earns nothing;
otherwise it earns points x chaffs killed / chaffs. Implementations are looked up in solutions/<lab>/
first (hidden reference code), then labs/<lab>/ (code the learner was given). Feedback names test
functions and chaff descriptions only: a learner's test can read the implementation it runs against,
so its messages and output never come back to the learner.
"""
from __future__ import annotations

import fnmatch
import hashlib
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import runner
from .manifest import Lab, Question
from .patches import PatchError, apply


@dataclass(frozen=True)
class Variant:
    name: str
    kind: str  # wheat | chaff
    description: str
    sources: dict[str, str]


@dataclass
class SuiteResult:
    runs: list[tuple[Variant, runner.RunResult]] = field(default_factory=list)
    seconds: float = 0.0


def implementation_sources(lab: Lab, learner: dict[str, str] | None = None) -> dict[str, str]:
    """The code the suites test. learner: use the learner's own answer files where they have one (check)."""
    out = {}
    for name in lab.implementation_files:
        if learner is not None and name in learner:
            out[name] = learner[name]
            continue
        for folder in ((lab.solution, lab.path) if learner is None else (lab.path,)):
            if (folder / name).is_file():
                out[name] = (folder / name).read_text()
                break
        else:
            if learner is None:
                raise PatchError(f"{lab.id}: implementation file {name} is in neither {lab.solution} nor {lab.path}")
    return out


def variants(lab: Lab) -> list[Variant]:
    base = implementation_sources(lab)
    out = [Variant("reference", "wheat", "the reference implementation", base),
           Variant("reference-again", "wheat", "the reference implementation, run a second time", base)]
    for kind in ("wheat", "chaff"):
        folder = lab.solution / f"{kind}s"
        for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
            m = apply(path, base)
            out.append(Variant(m.name, kind, m.description, m.sources))
    return out


def variants_for(lab: Lab, questions: list[Question]) -> list[Variant]:
    """The wheats and the chaffs of these questions only: enough to grade just them (validate's bug variants)."""
    every = variants(lab)
    return [v for v in every if v.kind == "wheat" or any(v in chaffs_of(q, every) for q in questions)]


def chaffs_of(q: Question, all_variants: list[Variant]) -> list[Variant]:
    return [v for v in all_variants if v.kind == "chaff" and any(fnmatch.fnmatchcase(v.name, p) for p in q.chaffs)]


# the same test files against the same variant give the same outcomes (a suite must be deterministic, and
# the plain wheat's two runs show when it is not): validate's mutants and identical submissions reuse them
_MEMO: dict[str, runner.RunResult] = {}
_MEMO_LOCK = threading.Lock()
PARALLEL = 2  # variants of one submission at once; batches and validate add their own parallelism


def run(lab: Lab, learner_tests: dict[str, str], device: str, tier: str | None,
        only: list[Variant] | None = None) -> SuiteResult:
    """Every variant against the learner's test files, one sandboxed worker each."""
    todo = only if only is not None else variants(lab)
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        runs = list(pool.map(lambda v: _run_variant(lab, v, learner_tests, device, tier), todo))
    result = SuiteResult(runs=list(zip(todo, runs)))
    result.seconds = sum(r.seconds for r in runs)
    return result


def _run_variant(lab: Lab, v: Variant, learner_tests: dict[str, str], device: str, tier: str | None):
    h = hashlib.sha256(f"{lab.id}|{lab.path}|{device}|{tier}|{v.name}".encode())
    for files in (learner_tests, v.sources):
        for name in sorted(files):
            h.update(name.encode() + b"\0" + files[name].encode() + b"\0")
    key = h.hexdigest()
    if v.name != "reference-again":  # the second plain run exists to catch flaky suites: never reused
        with _MEMO_LOCK:
            if key in _MEMO:
                return _MEMO[key]
    measured = lab.implementation_files if v.name == "reference" else ()
    r = runner.run(runner.Job(lab, v.sources, "suite", device=device, tier=tier, suite_tests=learner_tests,
                              coverage=measured))
    with _MEMO_LOCK:
        if len(_MEMO) > 2048:
            _MEMO.clear()
        _MEMO[key] = r
    return r


def coverage_note(r: runner.RunResult, on: str = "the reference implementation") -> str:
    """One line for the learner: the share of each implementation file's statements their tests ran."""
    parts = [f"{100 * ran / n:.0f} % of {name}" for name, (n, ran) in sorted(r.coverage.items()) if n]
    return f"coverage (informational, not scored): your tests ran {', '.join(parts)} on {on}" if parts else ""


def reference_coverage(suites: SuiteResult) -> str:
    return next((coverage_note(r) for v, r in suites.runs if v.name == "reference"), "")


def _test_name(node_id: str) -> str:
    """A test's function name, cut to an identifier: parametrize ids are learner-chosen text."""
    name = node_id.split("::")[-1]
    return re.sub(r"[^A-Za-z0-9_]", "", name.split("[")[0])[:80] or "a test"


def _tests_of(q: Question, r: runner.RunResult) -> dict[str, str]:
    return {tid: t.outcome for tid, t in r.tests.items() if q.decides(tid) and t.outcome != "skipped"}


def score_question(q: Question, suites: SuiteResult) -> tuple[float, str, list[tuple[str, bool, str]]]:
    """(fraction earned, reason, [(check id, passed, message)]) for one suite question."""
    wheats = [(v, r) for v, r in suites.runs if v.kind == "wheat"]
    chaffs = [(v, r) for v, r in suites.runs if v in chaffs_of(q, [v for v, _ in suites.runs])]
    checks = []
    for v, r in wheats:
        tests = _tests_of(q, r)
        bad = sorted(_test_name(t) for t, o in tests.items() if o != "passed")
        if not tests:
            why = f"no test was collected from {q.file}" if r.collected is not None else \
                f"the tests could not run ({(r.notes or ['the worker died'])[-1][:200]})"
            checks.append((f"wheat:{v.name}", False, why))
        elif bad:
            checks.append((f"wheat:{v.name}", False,
                           f"{', '.join(bad[:3])} failed on a correct implementation ({v.description})"))
        else:
            checks.append((f"wheat:{v.name}", True, ""))
    if not all(ok for _, ok, _ in checks):
        first = next(m for _, ok, m in checks if not ok)
        return 0.0, f"your tests must pass on correct code first: {first}", checks
    if not chaffs:
        return 0.0, "no planted bug is configured for this question (a lab error)", checks
    killed = 0
    for v, r in chaffs:
        outcomes = _tests_of(q, r)
        caught = any(o != "passed" for o in outcomes.values()) or not outcomes
        killed += caught
        checks.append((f"chaff:{v.name}", caught, "" if caught else f"not caught: {v.description}"))
    missed = [v.description for v, r in chaffs if not next(ok for cid, ok, _ in checks if cid == f"chaff:{v.name}")]
    reason = f"caught {killed} of {len(chaffs)} planted bugs" + (f"; missed: {'; '.join(missed[:3])}" if missed else "")
    return killed / len(chaffs), reason, checks
