"""Throughput of `labkit grade` against `nbgrader autograde` (through our nbgrader export), same class, same run.

    .venv/bin/python benchmarks/throughput.py                          # labs 02 and 06, N = 50 and 200 (hours)
    .venv/bin/python benchmarks/throughput.py --labs 06 --n 200        # one lab, one size
    .venv/bin/python benchmarks/throughput.py --quick                  # smoke test: lab 02, N = 2

For each lab it builds a synthetic class of N notebook submissions (the solution, the stubs and every planted
mutant, in turn; each notebook carries a unique comment so no engine could reuse another's result), then
  - labkit:   `labkit grade LAB class/ --out ... --ci --device cpu` (--jobs = cores, isolation on: the best tier);
  - nbgrader: `nbgrader generate_assignment` (not timed: done once per course), the same notebooks copied to
              submitted/<student>/, then `nbgrader autograde LAB` (timed). Its check cells call our grader on the
              notebook (see autograder/nbgrader_course.py), so nbgrader pays a kernel start, the notebook's
              own cells and one sandboxed grading per notebook.
Both engines find the reference run already cached ($LABKIT_REFERENCE_CACHE, warmed once before timing, as
for an instructor's second batch). Each engine runs in a fresh process tree; peak memory is the sampled sum of
RSS over that tree (psutil) and the largest single process (getrusage RUSAGE_CHILDREN ru_maxrss). The scores
of both engines are compared per student. It also times `labkit check LAB q1` on the solution (median of 3):
the student's feedback latency, CLI start included.

The last line is `throughput ratio labkit/nbgrader: X` for the keras lab at its largest N (else the last lab).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("KERAS_BACKEND", "torch")
from autograder import companion, manifest, notebook, reference, sources  # noqa: E402
from autograder.authoring import mutants  # noqa: E402
from autograder.isolation.sandbox import default_jobs  # noqa: E402
from autograder.reports import nbgrader_course  # noqa: E402

BIN = Path(sys.executable).parent
KERAS_LAB = "06-keras-on-torch"
# runs a command and reports the largest RSS among its waited-for descendants (KiB on Linux)
WRAP = ("import resource, subprocess, sys; rc = subprocess.call(sys.argv[1:]); "
        "sys.stderr.write('\\nLABKIT_BENCH_MAXRSS_KB %d\\n' % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
        "sys.exit(rc)")


# ---------------------------------------------------------------- the class
def submissions(lab: manifest.Lab, n: int) -> list[tuple[str, str, dict[str, str]]]:
    """(student, kind, answer file -> source): solution, stubs and each mutant in turn."""
    kinds = [("solution", sources.solution_sources(lab)), ("stubs", sources.stub_sources(lab))]
    kinds += [(f"mutant-{m.name}", m.sources) for m in mutants.load_all(lab)]
    out = []
    for i in range(n):
        kind, files = kinds[i % len(kinds)]
        unique = {f: code.rstrip("\n") + f"\n# submission {i:04d}\n" for f, code in files.items()}
        out.append((f"s{i:04d}-{kind}"[:60], kind, unique))
    return out


def write_notebooks(lab: manifest.Lab, folder: Path, sources: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for answer, code in sources.items():
        (folder / (Path(answer).stem + ".ipynb")).write_text(notebook.dumps(companion.build_notebook(lab, answer, code)))


# ---------------------------------------------------------------- measuring
def tree_rss(pid: int) -> int:
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def timed(argv: list[str], cwd: Path, env: dict, log: Path) -> dict:
    """Wall seconds, exit code, peak RSS of the whole tree (sampled) and of the largest process."""
    try:
        import psutil  # noqa: F401
        sampling = True
    except ImportError:
        sampling = False
    peak = [0]
    with open(log, "w") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", WRAP, *argv], cwd=cwd, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
        done = threading.Event()

        def sample():
            while not done.wait(0.25):
                peak[0] = max(peak[0], tree_rss(proc.pid))
        sampler = threading.Thread(target=sample, daemon=True)
        if sampling:
            sampler.start()
        rc = proc.wait()
        seconds = time.perf_counter() - t0
        done.set()
    text = log.read_text(errors="replace")
    largest = next((int(line.split()[-1]) * 1024 for line in reversed(text.splitlines())
                    if line.startswith("LABKIT_BENCH_MAXRSS_KB")), 0)
    return {"seconds": seconds, "rc": rc, "peak_tree_bytes": peak[0] if sampling else None,
            "largest_process_bytes": largest}


def gib(n: int | None) -> str:
    return "n/a" if not n else f"{n / 2**30:.2f} GiB"


def bench_env(work: Path) -> dict:
    scratch = {k: str(work / "env" / k.lower()) for k in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR",
                                                           "JUPYTER_RUNTIME_DIR", "IPYTHONDIR", "KERAS_HOME",
                                                           "MPLCONFIGDIR", "LABKIT_CACHE")}
    for d in [*scratch.values(), work / "env" / "home"]:
        Path(d).mkdir(parents=True, exist_ok=True)
    return {**os.environ, **scratch, "PATH": f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "HOME": str(work / "env" / "home"), "KERAS_BACKEND": "torch", "OMP_NUM_THREADS": "1",
            "LABKIT_REFERENCE_CACHE": str(work / "reference-cache"), "PYTHONUNBUFFERED": "1"}


# ---------------------------------------------------------------- the engines
def run_labkit(lab: manifest.Lab, subs, work: Path, env: dict, jobs: int) -> tuple[dict, dict[str, float]]:
    klass = work / "labkit-class"
    for student, _, files in subs:
        write_notebooks(lab, klass / student, files)
    out = work / "labkit-out"
    argv = [str(BIN / "labkit"), "grade", lab.id, str(klass), "--out", str(out), "--ci", "--device", "cpu"]
    argv += ["--jobs", str(jobs)] if jobs else []
    m = timed(argv, ROOT, env, work / "labkit.log")
    if m["rc"] not in (0, 1):
        raise RuntimeError(f"labkit grade failed (rc {m['rc']}): see {work / 'labkit.log'}")
    book = json.loads((out / "gradebook.json").read_text())
    return m, {s["student"]: s["total"] for s in book["students"]}


def run_nbgrader(lab: manifest.Lab, subs, work: Path, env: dict) -> tuple[dict, dict[str, float]]:
    course = work / "course"
    nbgrader_course.export(course, [lab])
    gen = subprocess.run([str(BIN / "nbgrader"), "generate_assignment", lab.id], cwd=course, env=env,
                         capture_output=True, text=True)
    if gen.returncode:
        raise RuntimeError(f"nbgrader generate_assignment failed: {gen.stdout[-2000:]}{gen.stderr[-2000:]}")
    for student, _, files in subs:
        folder = course / "submitted" / student / lab.id
        write_notebooks(lab, folder, files)
        (folder / "timestamp.txt").write_text("2026-11-25 12:00:00.000000 UTC")
    m = timed([str(BIN / "nbgrader"), "autograde", lab.id], course, env, work / "nbgrader.log")
    if m["rc"]:
        raise RuntimeError(f"nbgrader autograde failed (rc {m['rc']}): see {work / 'nbgrader.log'}")
    records = nbgrader_course.import_gradebook(course, lab, work / "nbgrader-imported")
    return m, {r.student: r.total for r in records}


def check_latency(lab: manifest.Lab, env: dict, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([str(BIN / "labkit"), "check", lab.id, lab.questions[0].id, "--path", str(lab.solution)],
                       cwd=ROOT, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


# ---------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--labs", nargs="+", default=None, help=f"default: 02 {KERAS_LAB} (--quick: 02)")
    ap.add_argument("--n", nargs="+", type=int, default=[50, 200], help="class sizes")
    ap.add_argument("--jobs", type=int, default=0, help="labkit --jobs (default: cores available)")
    ap.add_argument("--quick", action="store_true", help="smoke test: lab 02 only, N = 2, one check timing")
    ap.add_argument("--work", type=Path, default=None, help="keep the classes, courses and logs here")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    args = ap.parse_args(argv)
    if args.quick:
        args.n = [n for n in args.n if n <= 4] or [2]
    args.labs = args.labs or (["02"] if args.quick else ["02", KERAS_LAB])
    work = args.work or Path(tempfile.mkdtemp(prefix="labkit-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    env = bench_env(work)
    os.environ["LABKIT_REFERENCE_CACHE"] = env["LABKIT_REFERENCE_CACHE"]
    cores = default_jobs()
    print(f"throughput benchmark: labs {', '.join(args.labs)}; N = {', '.join(map(str, args.n))}; "
          f"labkit --jobs {args.jobs or cores} ({cores} cores); work folder {work}", flush=True)
    results = []
    for name in args.labs:
        lab = manifest.load(name)
        t0 = time.perf_counter()
        reference.cached_reference(lab, "cpu", None)  # warmed once, outside the timings (both engines use it)
        print(f"\n{lab.id}: reference run cached in {time.perf_counter() - t0:.1f} s (not timed below)", flush=True)
        latency = check_latency(lab, env, 1 if args.quick else 3)
        print(f"  labkit check {lab.id} {lab.questions[0].id} (solution, CLI start included): {latency:.2f} s",
              flush=True)
        rows = []
        for n in args.n:
            subs = submissions(lab, n)
            run_dir = work / lab.id / f"n{n}"
            if run_dir.exists():
                shutil.rmtree(run_dir)
            run_dir.mkdir(parents=True)
            ours, our_totals = run_labkit(lab, subs, run_dir, env, args.jobs)
            print(f"  N={n:4d} labkit   {ours['seconds']:8.1f} s  {n / ours['seconds']:7.3f} sub/s  "
                  f"peak {gib(ours['peak_tree_bytes'])} (tree), {gib(ours['largest_process_bytes'])} (largest)",
                  flush=True)
            theirs, their_totals = run_nbgrader(lab, subs, run_dir, env)
            print(f"  N={n:4d} nbgrader {theirs['seconds']:8.1f} s  {n / theirs['seconds']:7.3f} sub/s  "
                  f"peak {gib(theirs['peak_tree_bytes'])} (tree), {gib(theirs['largest_process_bytes'])} (largest)",
                  flush=True)
            agree = sum(abs(our_totals.get(s, -1) - their_totals.get(s, -2)) < 1e-6 for s, _, _ in subs)
            ratio = theirs["seconds"] / ours["seconds"]
            print(f"  N={n:4d} ratio labkit/nbgrader {ratio:.1f}x; scores agree on {agree}/{n} submissions",
                  flush=True)
            rows.append({"lab": lab.id, "n": n, "labkit": ours, "nbgrader": theirs, "ratio": ratio,
                         "scores_agree": agree, "check_latency_s": latency})
        if len(rows) > 1:
            a, b = rows[0], rows[-1]
            for engine in ("labkit", "nbgrader"):
                ta, tb = a[engine]["seconds"], b[engine]["seconds"]
                per = (tb - ta) / (b["n"] - a["n"])
                print(f"  growth {engine:8s} N {a['n']} -> {b['n']}: {ta:.1f} s -> {tb:.1f} s (x{tb / ta:.2f} for "
                      f"x{b['n'] / a['n']:.0f} submissions): {per:.2f} s per extra submission, "
                      f"fixed cost ~{ta - per * a['n']:.1f} s", flush=True)
        results += rows
    if args.json:
        args.json.write_text(json.dumps({"cores": cores, "results": results}, indent=2))
    final = ([r for r in results if r["lab"] == KERAS_LAB] or results or [None])[-1]  # the keras lab, largest N
    print(f"\nthroughput ratio labkit/nbgrader: {final['ratio']:.1f}" if final else
          "\nthroughput ratio labkit/nbgrader: n/a")
    return 0


if __name__ == "__main__":
    sys.exit(main())
