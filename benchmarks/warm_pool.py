"""Per-submission overhead of a job, warm (forked from a zygote) against cold (a fresh interpreter).

    .venv/bin/python benchmarks/warm_pool.py [--repeat 5] [--labs 02 06]

Overhead = a job's wall time minus the time its tests report (pytest's own durations): workspace,
sandbox, interpreter start, framework imports, pytest start-up and collection, teardown. Engine = a
job's wall time minus pytest's session (collection and tests): what the kit itself adds. Runs alternate warm and cold so machine noise hits both alike; medians are printed, and the
ratio cold/warm of the whole job.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from autograder import hidden_data, manifest, runner, sources  # noqa: E402
from autograder.isolation import sandbox, zygote  # noqa: E402


def one(lab, warm: bool) -> tuple[float, float]:
    os.environ["LABKIT_WARM"] = "1" if warm else "0"
    t = time.perf_counter()
    r = runner.run(runner.Job(lab, sources.solution_sources(lab), "reference", device="cpu", include_public=False,
                              hidden_data=hidden_data.build(lab)))
    wall = time.perf_counter() - t
    failed = [i for i, o in r.tests.items() if o.outcome == "failed"]
    assert r.tests and not failed, (failed[:3], r.notes)
    pytest_span = r.marks["finished"] - r.marks["session"]  # collection + tests, as pytest ran them
    return wall, wall - sum(o.duration for o in r.tests.values()), wall - pytest_span


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--labs", nargs="+", default=["02", "06"])
    args = ap.parse_args()
    print(f"tier {sandbox.best_tier()}, {os.cpu_count()} cores, median of {args.repeat} alternating runs")
    print(f"{'lab':<28} {'cold job s':>10} {'warm job s':>10} {'cold overhead s':>16} {'warm overhead s':>16} "
          f"{'cold engine s':>14} {'warm engine s':>14} {'ratio':>6}")
    for name in args.labs:
        lab = manifest.load(name)
        one(lab, True)  # start the zygote (once per grader process, not per submission)
        cold, warm = [], []
        for _ in range(args.repeat):
            warm.append(one(lab, True))
            cold.append(one(lab, False))
        cw, ww = statistics.median(c[0] for c in cold), statistics.median(w[0] for w in warm)
        co, wo = statistics.median(c[1] for c in cold), statistics.median(w[1] for w in warm)
        ce, we = statistics.median(c[2] for c in cold), statistics.median(w[2] for w in warm)
        print(f"{lab.id:<28} {cw:>10.2f} {ww:>10.2f} {co:>16.3f} {wo:>16.3f} {ce:>14.3f} {we:>14.3f} {cw / ww:>6.1f}")
    zygote._shutdown()


if __name__ == "__main__":
    main()
