"""How fast the student's loop is: `labkit check LAB QUESTION` against plain pytest on the same public tests.

    .venv/bin/python benchmarks/check_latency.py --labs 02 06 --repeat 5

Three figures per lab, medians of --repeat interleaved runs on the solution:
- one-shot: `labkit check LAB Q` as a student types it (CLI start, a cold sandboxed worker, the tests, the table);
- re-check: a check after an answer file was saved, in a `labkit check --watch` session (a warm worker);
- pytest: `python -m pytest <lab>/tests -k <the question's tests>` on the same answers, no sandbox, no table.
The last line is `check latency ratio labkit/pytest: X` (the one-shot check over plain pytest, for the last lab).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.setdefault("OMP_NUM_THREADS", "1")

from autograder import checking, manifest  # noqa: E402
from autograder.isolation import sandbox  # noqa: E402

QUESTION = {"02-linear-models-gradcheck": "q3", "06-keras-on-torch": "q2"}


def timed(argv: list[str], env: dict) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, timeout=600)
    return time.perf_counter() - started


def pytest_filter(lab: manifest.Lab, qid: str) -> str:
    return " or ".join(p.replace("*", "") for p in lab.question(qid).tests)


def measure(lab: manifest.Lab, qid: str, repeat: int) -> dict:
    env = {**os.environ}
    answers = str(lab.solution)
    one_shot = [str(ROOT / ".venv" / "bin" / "labkit"), "check", lab.id, qid, "--path", answers]
    plain = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(lab.public_tests),
             "-k", pytest_filter(lab, qid)]
    pytest_env = {**env, "LABKIT_ANSWERS": answers}
    os.environ["LABKIT_WARM"] = "1"
    checking.check(lab, lab.solution, [qid])  # the watch session's first check starts its warm worker
    times = {"one-shot": [], "re-check": [], "pytest": []}
    for _ in range(repeat):
        times["one-shot"].append(timed(one_shot, env))
        started = time.perf_counter()
        checking.check(lab, lab.solution, [qid])
        times["re-check"].append(time.perf_counter() - started)
        times["pytest"].append(timed(plain, pytest_env))
    return {k: statistics.median(v) for k, v in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--labs", nargs="+", default=["02", "06"])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    print(f"tier {sandbox.best_tier()}, {os.cpu_count()} cores, medians of {args.repeat} interleaved runs")
    print(f"{'lab':28s} {'question':8s} {'one-shot':>9s} {'re-check':>9s} {'pytest':>8s} {'one-shot/pytest':>16s}")
    ratio = None
    for name in args.labs:
        lab = manifest.load(name)
        qid = QUESTION.get(lab.id, lab.questions[0].id)
        m = measure(lab, qid, args.repeat)
        ratio = m["one-shot"] / m["pytest"]
        print(f"{lab.id:28s} {qid:8s} {m['one-shot']:8.2f}s {m['re-check']:8.2f}s {m['pytest']:7.2f}s {ratio:15.2f}x")
    print(f"check latency ratio labkit/pytest: {ratio:.2f}")


if __name__ == "__main__":
    main()
