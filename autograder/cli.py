"""The `labkit` command.

Exit codes: 0 success; 1 graded below the pass mark (--ci), a failed check, or a failed validation;
2 usage error; 3 the lab or the machine cannot grade (broken manifest, reference failing, isolation too low).
"""
from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import checking, grade as grading, manifest, paths, release, report, sandbox
from .cluster import ClusterError  # dask itself loads only with --cluster
from .manifest import DUTIES

console = Console(stderr=False, highlight=False)
EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_SETUP = 0, 1, 2, 3


def _lab(name: str) -> manifest.Lab:
    try:
        return manifest.load(name)
    except (LookupError, manifest.ManifestError) as exc:
        raise click.UsageError(str(exc)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="labkit")
def main():
    """labkit: graded ML-engineering labs and a safe autograder.

    \b
    Students:    labkit check 02
    Instructors: labkit grade 02 submissions/ --out grades/
    CI:          labkit grade 02 . --out grades/ --ci
    Authors:     labkit release && labkit validate --all
    """
    os.environ.setdefault("KERAS_BACKEND", "torch")


@main.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_labs(as_json):
    """List every lab: id, title, duties and points."""
    labs = manifest.all_labs()
    rows = [{"id": lab.id, "title": lab.title, "duties": list(lab.duties), "points": lab.points,
             "questions": len(lab.questions)} for lab in labs]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table(title="labkit labs")
    for col in ("id", "title", "duties", "points"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["id"], r["title"], ", ".join(f"D{d}" for d in r["duties"]), f"{r['points']:g}")
    console.print(table)
    console.print("Duties: " + "; ".join(f"D{k} {v}" for k, v in DUTIES.items()))


@main.command()
@click.argument("lab")
@click.argument("questions", nargs=-1)
@click.option("--path", type=click.Path(exists=True, path_type=Path), help="Folder (or file) with your answers; "
              "default: the lab's folder.")
def check(lab, questions, path):
    """Run the public tests of LAB against your answers: a table per question, with hints.

    Hidden tests run only at grading, so passing here is necessary, not sufficient.
    """
    spec = _lab(lab)
    for q in questions:
        try:
            spec.question(q)
        except KeyError as exc:
            raise click.UsageError(str(exc.args[0])) from None
    result = checking.check(spec, path or spec.path, list(questions))
    checking.print_table(console, spec, result)
    sys.exit(EXIT_OK if result.all_passed else EXIT_FAIL)


@main.command()
@click.argument("lab")
@click.argument("submissions", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Folder for the gradebook and reports.")
@click.option("--jobs", "-j", default=0, show_default="cores available", help="Submissions graded in parallel.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--ci", is_flag=True, help="One summary line; exit 1 when any submission is below the pass mark.")
@click.option("--pass-mark", type=float, default=None, help="Fraction of points to pass (default: the lab's).")
@click.option("--resume", is_flag=True, help="Skip submissions already graded with the same inputs.")
@click.option("--repeat", type=int, default=1, show_default=True, help="Grade each K times and flag differing scores.")
@click.option("--min-isolation", type=click.Choice(sandbox.TIERS), default=None,
              help="Refuse to grade below this isolation tier.")
@click.option("--cluster", metavar="tcp://HOST:PORT|local", default=None,
              help="Grade on a Dask cluster (its scheduler's address), or on a LocalCluster of --jobs workers.")
def grade(lab, submissions, out, jobs, device, ci, pass_mark, resume, repeat, min_isolation, cluster):
    """Grade SUBMISSIONS (folders, .zip, .py, .ipynb, or a folder with one subfolder per student)."""
    spec = _lab(lab)
    if device == "cuda" and not _cuda_available():
        raise click.UsageError("--device cuda: no CUDA device is available here")
    opts = grading.BatchOptions(out=out, jobs=jobs, device=device, resume=resume, repeat=max(1, repeat),
                                min_isolation=min_isolation, cluster=cluster)
    try:
        batch = _run_batch(spec, list(submissions), opts, quiet=ci)
    except (grading.IsolationError, grading.reference.ReferenceError, ClusterError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        sys.exit(EXIT_SETUP)
    if not batch.records:
        console.print("[red]error:[/red] no submissions found")
        sys.exit(EXIT_USAGE)
    try:
        report.write_all(out, spec, batch.records)
    except OSError as exc:  # e.g. a full disk: the previous files stay whole (atomic writes); say so loudly
        console.print(f"[red]error:[/red] could not write the reports to {out}: {exc}. Results of each submission "
                      f"are kept in {out}/.labkit/results; fix the problem and rerun with --resume.")
        sys.exit(EXIT_SETUP)
    mark = spec.pass_mark if pass_mark is None else pass_mark
    below = [r for r in batch.records if r["total"] < mark * r["max"]]
    if ci:
        click.echo(ci_summary(spec.id, batch.records, below, mark, batch.tier, out))
        sys.exit(EXIT_FAIL if below else EXIT_OK)
    print_gradebook(spec, batch.records, out, batch.tier)


CI_LISTED = 10  # a CI log line stays readable for a class: past this, only who is below the mark, and not all


def ci_summary(lab_id: str, records: list[dict], below: list[dict], mark: float, tier: str, out: Path) -> str:
    """The one line of `grade --ci`: every total for a few submissions, the failing ones for a class."""
    shown = records if len(records) <= CI_LISTED else below[:CI_LISTED]
    totals = ", ".join(f"{r['student']} {r['total']:g}/{r['max']:g}" for r in shown)
    if len(records) > CI_LISTED:
        more = len(below) - len(shown)
        totals = (f"below: {totals}" + (f" and {more} more" if more else "") if below else "none below") + \
            f"; every total in {out / 'gradebook.csv'}"
    return (f"labkit {lab_id}: {len(records) - len(below)} passed, {len(below)} failed "
            f"(pass mark {mark:.0%}; {totals}; isolation {tier})")


def _cuda_available() -> bool:
    try:
        import torch
        return torch.cuda.is_available()
    except ImportError:
        return False


def _run_batch(spec, submissions, opts, quiet=False):
    if quiet:
        return grading.grade(spec, submissions, opts)
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as progress:
        task = progress.add_task(f"grading {spec.id}", total=None)

        def tick(record):
            progress.advance(task)
            progress.update(task, description=f"graded {record['student']}")
        return grading.grade(spec, submissions, opts, on_progress=tick)


def print_gradebook(spec, records, out, tier):
    table = Table(title=f"{spec.id}: gradebook ({len(records)} submissions, isolation: {tier})")
    table.add_column("student", no_wrap=True, max_width=28, overflow="ellipsis")
    for q in spec.questions:
        table.add_column(f"{q.id}/{q.points:g}", justify="right", no_wrap=True, min_width=5)
    table.add_column("total", justify="right", no_wrap=True, min_width=9)
    fixed = 30 + 8 * len(spec.questions) + 12
    wide = console.width - fixed >= 20  # on a narrow terminal the scores matter more than the reasons
    if wide:
        table.add_column("first problem", no_wrap=True, overflow="ellipsis", max_width=console.width - fixed)
    for r in records:
        qs = {q["id"]: q for q in r["questions"]}
        problem = next((f"{q['id']}: {q['reason']}" for q in r["questions"] if q["reason"]), "")
        table.add_row(r["student"], *(f"{qs[q.id]['score']:.3g}" for q in spec.questions),
                      f"{r['total']:.3g}/{r['max']:g}", *([problem] if wide else []))
    console.print(table)
    console.print(f"Wrote {out}/gradebook.csv, gradebook.json, junit.xml, feedback/, gradescope/")


@main.command("release")
@click.argument("labs", nargs=-1)
@click.option("--out", type=click.Path(path_type=Path), help="Also write a student bundle (everything but "
              "solutions/) to this new folder.")
def release_cmd(labs, out):
    """Generate student stubs and notebooks in labs/ from the single sources in solutions/."""
    specs = [_lab(name) for name in labs] or [lab for lab in manifest.all_labs() if lab.solution.is_dir()]
    for spec in specs:
        changed = release.release(spec)
        console.print(f"{spec.id}: {len(changed)} file(s) updated" + "".join(f"\n  {c}" for c in changed))
    if out:
        console.print(f"student bundle: {release.bundle(out)}")


@main.command()
@click.argument("labs", nargs=-1)
@click.option("--all", "all_labs", is_flag=True, help="Every lab.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--profile", "with_profile", is_flag=True,
              help="Then profile the solution: where grading time goes (imports, collection, each test).")
def validate(labs, all_labs, as_json, with_profile):
    """Grade the solution (must be full), the stubs (must be zero) and every mutant (must lose points)."""
    from . import validate as validation
    if not labs and not all_labs:
        raise click.UsageError("name one or more labs, or --all")
    specs = manifest.all_labs() if all_labs else [_lab(name) for name in labs]
    results = {spec.id: validation.validate(spec) for spec in specs}
    failed = any(not v.ok for vs in results.values() for v in vs)
    profiles = {spec.id: _profile_of(spec, None, "cpu") for spec in specs} if with_profile else {}
    if as_json:
        verdicts = {k: [v.__dict__ for v in vs] for k, vs in results.items()}
        click.echo(json.dumps({"validation": verdicts, "profiles": {k: p.as_dict() for k, p in profiles.items()}}
                              if with_profile else verdicts, indent=2))
    else:
        for lab_id, verdicts in results.items():
            table = Table(title=f"validate {lab_id}")
            for col in ("subject", "expected", "score", "ok", "detail"):
                table.add_column(col)
            for v in verdicts:
                table.add_row(v.subject, v.expected, f"{v.total:g}/{v.max:g}",
                              "[green]ok[/green]" if v.ok else "[red]FAIL[/red]", v.detail[:80])
            console.print(table)
            if lab_id in profiles:
                from .profiling import print_profile
                print_profile(console, profiles[lab_id])
    sys.exit(EXIT_FAIL if failed else EXIT_OK)


def _profile_of(spec, path, device):
    from . import profiling, submission
    if path is None:
        return profiling.profile(spec, release.solution_sources(spec), "solution", device)
    sub = submission.load(spec, Path(path).stem, Path(path), release.stub_sources(spec))
    broken = {Path(f).stem: reason for f, reason in sub.problems.items()}
    return profiling.profile(spec, sub.sources, str(path), device, broken=broken)


@main.command("profile")
@click.argument("lab")
@click.argument("submission", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="cpu", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def profile_cmd(lab, submission, device, as_json):
    """Where the time goes when grading one SUBMISSION of LAB (default: the solution).

    Worker start and framework imports, each answer's import, test collection, then every test (public
    and hidden; setup + call + teardown, so data loaded by fixtures counts), against the lab's time limit.
    """
    spec = _lab(lab)
    prof = _profile_of(spec, submission, device)
    if as_json:
        click.echo(json.dumps(prof.as_dict(), indent=2))
    else:
        from .profiling import print_profile
        print_profile(console, prof)


@main.command()
@click.argument("lab", default="02")
@click.option("--out", type=click.Path(path_type=Path), default=Path("demo-out"), show_default=True)
def demo(lab, out):
    """Build an example class for LAB (solution, stubs, mutants, partial, notebook, broken) and grade it."""
    from . import demo as demo_class
    spec = _lab(lab)
    if out.exists():
        shutil.rmtree(out)
    subs = demo_class.build_class(spec, out / "submissions")
    console.print(f"example class: {len(list(subs.iterdir()))} submissions in {subs}")
    opts = grading.BatchOptions(out=out)
    batch = _run_batch(spec, [subs], opts)
    report.write_all(out, spec, batch.records)
    print_gradebook(spec, batch.records, out, batch.tier)


@main.group()
def nbgrader():
    """Run our labs in an nbgrader course (JupyterHub, formgrader) and read its grades back."""


@nbgrader.command("export")
@click.argument("course", type=click.Path(path_type=Path))
@click.argument("labs", nargs=-1)
@click.option("--course-id", default="labkit", show_default=True)
def nbgrader_export(course, labs, course_id):
    """Write COURSE/nbgrader_config.py and COURSE/source/<lab>/ for LABS (default: all)."""
    from . import nbgrader_course
    specs = [_lab(name) for name in labs] or [lab for lab in manifest.all_labs() if lab.solution.is_dir()]
    for path in nbgrader_course.export(course, specs, course_id):
        console.print(f"wrote {path}")
    console.print(f"next: cd {course} && nbgrader generate_assignment {specs[0].id}")


@nbgrader.command("import")
@click.argument("course", type=click.Path(exists=True, path_type=Path))
@click.argument("lab")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Folder for our gradebook files.")
def nbgrader_import(course, lab, out):
    """Read COURSE/gradebook.db (after `nbgrader autograde LAB`) into our gradebook format in OUT."""
    from . import nbgrader_course
    spec = _lab(lab)
    records = nbgrader_course.import_gradebook(course, spec, out)
    print_gradebook(spec, records, out, "nbgrader")


def _reports_and_exports() -> None:
    """Verbs that read a graded batch or a lab and write pages and files for people and other systems."""
    from . import class_report, exports, similarity, transcript
    for cmd in (class_report.command, similarity.command, transcript.command, exports.gradescope_command,
                exports.ci_template_command, exports.lms_command):
        main.add_command(cmd)


_reports_and_exports()

if __name__ == "__main__":
    main()
