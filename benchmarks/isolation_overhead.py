"""Per-job cost of each isolation layer, as ratios and differences against a bare interpreter start.

    .venv/bin/python benchmarks/isolation_overhead.py [--repeat 15]

Each row starts the same `python -c pass` through one more layer; the medians are interleaved so
that machine noise hits every layer alike. The last rows grade lab 02's solution at each tier.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from autograder import manifest, runner, sources  # noqa: E402
from autograder.isolation import sandbox  # noqa: E402


def timed(argv, preexec=None, env=None) -> float:
    t = time.perf_counter()
    subprocess.run(argv, preexec_fn=preexec, env=env or {"PATH": "/usr/bin:/bin"}, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def layers() -> dict[str, callable]:
    py = [sys.executable, "-s", "-P", "-c", "pass"]
    limits = sandbox.Limits()
    out = {
        "bare process": lambda: timed(py),
        "+ rlimits, setsid (rlimits tier)": lambda: timed(py, sandbox.preexec(limits, "rlimits", None)),
    }
    if sandbox.namespace_available():
        with sandbox.lease_uid(7, wanted=sandbox.job_uid_wanted("namespace")) as uid:
            argv = sandbox.command("namespace", ["-c", "pass"], scratch=[Path("/tmp/labkit-bench-home")], ro=[],
                                   uid=uid, limits=limits)
        out["+ namespaces, read-only root, tmpfs, uid (namespace tier)"] = \
            lambda: timed(argv, sandbox.preexec(limits, "namespace", uid))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    fns = layers()
    times = {name: [] for name in fns}
    for _ in range(args.repeat):
        for name, fn in fns.items():  # interleaved
            times[name].append(fn())
    base = statistics.median(times["bare process"])
    print(f"{'layer':58s} {'median ms':>10s} {'+ms vs bare':>12s} {'ratio':>7s}")
    for name, ts in times.items():
        m = statistics.median(ts)
        print(f"{name:58s} {m * 1e3:10.1f} {(m - base) * 1e3:12.1f} {m / base:7.2f}")
    lab = manifest.load("02")
    code = sources.solution_sources(lab)
    print("\nlab 02 solution, whole job (public + hidden tests), median of 3:")
    for tier in sandbox.TIERS:
        if sandbox.unavailable_reason(tier):
            print(f"  {tier:10s} unavailable: {sandbox.unavailable_reason(tier)}")
            continue
        runs = [runner.run(runner.Job(lab, code, "grade", device="cpu", tier=tier)).seconds for _ in range(3)]
        print(f"  {tier:10s} {statistics.median(runs):6.2f} s")


if __name__ == "__main__":
    main()
