"""Runs inside the sandbox: import the answers, run pytest, stream results to the parent. Never in the grader.

Usage (by the runner only): python -s -P -m autograder.worker CONFIG.json
"""
from __future__ import annotations

import gc
import json
import os
import sys
from pathlib import Path

from . import channel


def prepare(preload: list[str]) -> None:
    """Everything a job needs before learner code: done once per process (a cold worker or the warm zygote)."""
    from . import plugin  # noqa: F401  (numpy and pytest load here, before any learner code)

    for module in preload:
        __import__(module)
    import importlib

    import pytest  # noqa: F401  (before gc.freeze: its objects never need scanning again)
    from _pytest.config import default_plugins

    # pytest imports its built-in plugins while it configures a session: ~0.1 s paid here, once per zygote
    for name in [*(f"_pytest.{p}" for p in default_plugins), "pytest_timeout", "_hypothesis_pytestplugin"]:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    # graph-heavy answers (autograd nodes with closures) make reference cycles; without this the collector
    # rescans every object numpy/pytest/torch made at import on each pass (measured 13 s vs 2 s in lab 03)
    gc.freeze()


def main(config_path: str, channel_fd: int | None = None) -> int:
    from .isolation import seccomp

    problem = seccomp.install()  # before any learner code: no kernel keyring for this job or what it starts
    if problem:
        print(f"labkit: {problem}", file=sys.stderr)
    with open(config_path) as f:
        cfg = channel.WorkerConfig.from_json(f.read())
    if channel_fd is not None:  # a zygote's child: the channel arrived over a socket, under another number
        cfg.channel_fd = channel_fd
    prepare(cfg.preload)
    from . import manifest, plugin

    plugin.STATE.update(mode=cfg.mode, answers_dir=cfg.answers_dir, channel=cfg.channel_fd, broken=dict(cfg.broken),
                        device=cfg.device, lab=manifest.load(cfg.tests_dir, strict=False),
                        time_limits=cfg.time_limits, hidden_data=cfg.hidden_data, questions=cfg.questions)
    os.set_inheritable(cfg.channel_fd, False)
    import pytest
    for stem in cfg.answer_stems:
        if stem in plugin.STATE["broken"]:
            continue
        plugin.emit({"ev": channel.IMPORT, "stem": stem})
        try:
            plugin.import_answer(Path(cfg.answers_dir), stem)
            plugin.emit({"ev": channel.IMPORTED, "stem": stem})
        except plugin.AnswerError as exc:
            plugin.emit({"ev": channel.IMPORT_FAILED, "stem": stem, "reason": str(exc),
                         **plugin.IMPORT_FACTS.get(stem, {})})

    if cfg.mode == "suite":  # the learner's tests import the implementation by its module names
        sys.path.insert(0, cfg.answers_dir)
    tests = cfg.tests_dir
    shared = os.path.join(tests, "public")
    if os.path.isdir(shared):  # helpers.py, shared by a lab's public and hidden tests (labs/README.md)
        sys.path.insert(0, shared)
    selection = [os.path.join(tests, n.split("::")[0]) + "::" + n.split("::", 1)[1] for n in cfg.node_ids] \
        if cfg.node_ids else [os.path.join(tests, c) for c in cfg.collect] or [tests]
    args = [*selection, "-q", "--no-header", "-p", "no:cacheprovider", "-p", "no:stepwise",
            "-p", "pytest_timeout", "--rootdir", tests, "-c", os.path.join(tests, "pytest.ini"),
            "-o", "timeout_method=signal"]
    if cfg.mode == "suite":
        args.append("--continue-on-collection-errors")
    try:
        import _hypothesis_pytestplugin  # noqa: F401  (registered explicitly: entry points are off here)
        args += ["-p", "_hypothesis_pytestplugin"]
    except ImportError:
        pass
    measure = _start_coverage(cfg.answers_dir, cfg.coverage)
    status = pytest.main(args, plugins=[plugin])
    if measure is not None:
        plugin.emit({"ev": channel.COVERAGE, "files": _coverage_report(measure, cfg.answers_dir, cfg.coverage)})
    plugin.emit({"ev": channel.EXIT, "status": int(status)})
    sys.stdout.flush()
    return 0


def _start_coverage(folder: str, files: list[str]):
    """Statement coverage of the implementation by the learner's tests (suite mode; informational)."""
    if not files:
        return None
    try:
        import coverage
    except ImportError:
        return None
    cov = coverage.Coverage(data_file=None, config_file=False, include=[os.path.join(folder, f) for f in files])
    cov.start()
    return cov


def _coverage_report(cov, folder: str, files: list[str]) -> dict[str, list[int]]:
    """file -> [statements, statements run]; a file no test imported counts as not run at all."""
    cov.stop()
    out = {}
    for name in files:
        try:
            _, statements, _, missing, _ = cov.analysis2(os.path.join(folder, name))
        except Exception:  # noqa: BLE001  (coverage's NoSource and friends: leave the file out)
            continue
        out[name] = [len(statements), len(statements) - len(missing)]
    return out


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
