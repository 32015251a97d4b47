"""The `labkit` command.

Exit codes: 0 success; 1 graded below the pass mark (--ci), a failed check, or a failed validation;
2 usage error (a bad argument, path or input file); 3 the lab or the machine cannot grade (broken manifest,
reference failing, isolation refused, an output folder that cannot be written or is held by another run);
130 interrupted (Ctrl-C). Every error is one line, never a traceback.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from . import checking, manifest
from .errors import LabkitSetupError
from .isolation import sandbox
from .manifest import DUTIES
from .record import GradeRecord

console = Console(stderr=False, highlight=False)
EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_SETUP, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class LabkitGroup(click.Group):
    """Turns the kit's own errors into one line and an exit code, whatever the verb."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except LabkitSetupError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(EXIT_SETUP)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(EXIT_INTERRUPTED)


def _lab(name: str) -> manifest.Lab:
    try:
        return manifest.load(name)
    except LookupError as exc:  # no such lab: the user's mistake (a broken manifest is exit 3, above)
        raise click.UsageError(str(exc.args[0] if exc.args else exc)) from None


@click.group(cls=LabkitGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="labkit")
def main():
    """labkit: graded ML-engineering labs and a safe autograder.

    \b
    Students:    labkit check 02
    Instructors: labkit grade 02 submissions/ --out grades/
    CI:          labkit grade 02 . --out grades/ --ci
    Authors:     labkit release && labkit validate --all
    Outputs go into --out, or into the grades folder a verb reads.
    """
    os.environ.setdefault("KERAS_BACKEND", "torch")


@main.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_labs(as_json):
    """List every lab: id, title, duties and points."""
    labs, broken = [], []
    for folder in sorted(manifest.paths.LABS.iterdir()) if manifest.paths.LABS.is_dir() else []:
        if (folder / "lab.toml").is_file():
            try:
                labs.append(manifest.load(folder))
            except manifest.ManifestError as exc:
                broken.append(str(exc))
    rows = [{"id": lab.id, "title": lab.title, "duties": list(lab.duties), "points": lab.points,
             "questions": len(lab.questions)} for lab in labs]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    else:
        table = Table(title="labkit labs")
        table.add_column("id", no_wrap=True)
        table.add_column("title", ratio=1)
        table.add_column("duties", no_wrap=True)
        table.add_column("points", justify="right", no_wrap=True)
        for r in rows:
            table.add_row(r["id"], r["title"], ", ".join(f"D{d}" for d in r["duties"]), f"{r['points']:g}")
        console.print(table)
        click.echo("Duties: " + "; ".join(f"D{k} {v}" for k, v in DUTIES.items()))
    for line in broken:
        click.echo(f"error: {line}", err=True)
    sys.exit(EXIT_SETUP if broken else EXIT_OK)


@main.command()
@click.argument("lab")
@click.argument("questions", nargs=-1)
@click.option("--path", type=click.Path(exists=True, path_type=Path), help="Folder (or file) with your answers; "
              "default: the lab's folder.")
@click.option("-v", "--verbose", is_flag=True, help="Whole failure messages (with the expected values).")
@click.option("--watch", is_flag=True, help="Check again each time an answer file is saved (Ctrl-C stops).")
def check(lab, questions, path, verbose, watch):
    """Run the public tests of LAB (or of the QUESTIONS named) against your answers: a table with hints.

    Hidden tests run only at grading, so passing here is necessary, not sufficient.
    """
    spec = _lab(lab)
    for q in questions:
        try:
            spec.question(q)
        except KeyError as exc:
            raise click.UsageError(str(exc.args[0])) from None
    where = path or spec.path
    if not watch:
        result = checking.check(spec, where, list(questions))
        checking.print_table(console, spec, result, verbose=verbose)
        sys.exit(EXIT_OK if result.all_passed else EXIT_FAIL)
    checking.watch(console, spec, where, list(questions), verbose)


def _out_option(f):
    return click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
                        help="Folder of the class's gradebook and reports (created; an existing one is merged into).")(f)


@main.command()
@click.argument("lab")
@click.argument("submissions", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@_out_option
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, show_default="cores available",
              help="Submissions graded at once.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--ci", is_flag=True, help="One summary line; exit 1 when any submission is below the pass mark.")
@click.option("--pass-mark", type=click.FloatRange(min=0, max=1, min_open=True), default=None,
              help="Fraction of points to pass (default: the lab's).")
@click.option("--resume", is_flag=True, help="Skip submissions already graded with the same inputs.")
@click.option("--fresh", is_flag=True, help="Forget every earlier result in --out first (default: merge).")
@click.option("--one", is_flag=True, help="SUBMISSIONS is one student's upload (its answer files found anywhere in it).")
@click.option("--repeat", type=click.IntRange(min=1), default=1, show_default=True,
              help="Grade each K times and flag differing scores.")
@click.option("--min-isolation", type=click.Choice(sandbox.TIERS), default="namespace", show_default=True,
              help="Refuse to grade below this isolation tier.")
@click.option("--unsafe-as-grader", is_flag=True, help="Allow learner code to run as root or as your own uid "
              "(only where no per-job uid can be had); it could then read or change anything you can.")
@click.option("--cluster", metavar="tcp://HOST:PORT|local", default=None,
              help="Grade on a Dask cluster (its scheduler's address), or on a LocalCluster of --jobs workers.")
def grade(lab, submissions, out, jobs, device, ci, pass_mark, resume, fresh, one, repeat, min_isolation,
          unsafe_as_grader, cluster):
    """Grade SUBMISSIONS (folders, .zip, .py, .ipynb, or a folder with one subfolder per student) into --out.

    --out holds the class: grading some students again replaces their rows and keeps everyone else's.
    """
    from . import batch as batching
    spec = _lab(lab)
    if device == "cuda" and not _cuda_available():
        raise click.UsageError("--device cuda: no CUDA device is available here")
    if one and len(submissions) != 1:
        raise click.UsageError("--one takes exactly one SUBMISSIONS path (one student's upload)")
    opts = batching.BatchOptions(out=out, jobs=jobs or 0, device=device, resume=resume, fresh=fresh, repeat=repeat,
                                 min_isolation=min_isolation, unsafe_as_grader=unsafe_as_grader, cluster=cluster,
                                 one=one)
    started = time.monotonic()
    batch = _run_batch(spec, list(submissions), opts, quiet=ci)
    if not batch.graded:
        raise click.UsageError("no submissions found in " + ", ".join(map(str, submissions)))
    _write_reports(out, spec, batch.records)
    if batch.interrupted:
        again = " ".join(sys.argv[1:]) if "--resume" in sys.argv else " ".join([*sys.argv[1:], "--resume"])
        click.echo(f"interrupted after {time.monotonic() - started:.0f} s: {len(batch.graded) - batch.pending} of "
                   f"{len(batch.graded)} submissions graded, gradebook written to {out}. Resume with:\n"
                   f"  labkit {again}", err=True)
        sys.exit(EXIT_INTERRUPTED)
    mark = spec.pass_mark if pass_mark is None else pass_mark
    mine = [r for r in batch.records if r.student in set(batch.graded)]
    below = [r for r in mine if r.total < mark * r.max]
    if ci:
        click.echo(ci_summary(spec.id, mine, below, mark, batch.tier, out))
        sys.exit(EXIT_FAIL if below else EXIT_OK)
    print_gradebook(spec, batch.records, out, batch.tier)


def _write_reports(out: Path, spec, records: list[GradeRecord]) -> None:
    from .reports import gradebook
    try:
        gradebook.write_all(out, spec, records)
    except OSError as exc:  # e.g. a full disk: the previous files stay whole (atomic writes); say so loudly
        from .errors import OutputError
        raise OutputError(f"could not write the reports to {out}: {exc}. Results of each submission are kept in "
                          f"{out}/.labkit/results; fix the problem and rerun with --resume") from None


CI_LISTED = 10  # a CI log line stays readable for a class: past this, only who is below the mark, and not all


def ci_summary(lab_id: str, records: list[GradeRecord], below: list[GradeRecord], mark: float, tier: str,
               out: Path) -> str:
    """The one line of `grade --ci`: every total for a few submissions, the failing ones for a class."""
    shown = records if len(records) <= CI_LISTED else below[:CI_LISTED]
    totals = ", ".join(f"{r.student} {r.total:g}/{r.max:g}" for r in shown)
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
    from . import batch as batching
    if quiet:
        return batching.grade(spec, submissions, opts)
    if not sys.stdout.isatty():  # piped: a plain line per submission, so a log shows progress too
        def line(record):
            click.echo(f"graded {record.student}: {record.total:g}/{record.max:g} ({record.seconds:.1f} s)")
        return batching.grade(spec, submissions, opts, on_progress=line)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as progress:
        task = progress.add_task(f"grading {spec.id}", total=None)

        def tick(record):
            progress.advance(task)
            progress.update(task, description=f"graded {record.student}")
        return batching.grade(spec, submissions, opts, on_progress=tick)


def print_gradebook(spec, records: list[GradeRecord], out, tier):
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
        qs = {q.id: q for q in r.questions}
        table.add_row(r.student, *(f"{qs[q.id].score:.3g}" if q.id in qs else "-" for q in spec.questions),
                      f"{r.total:.3g}/{r.max:g}", *([r.first_problem] if wide else []))
    console.print(table)
    click.echo(f"Wrote {out}/gradebook.csv, gradebook.json, junit.xml, feedback/ (.md and .html), gradescope/")
    click.echo(f"Next: open {out}/feedback/<student>.html, or `labkit report {out}` for the class report")


@main.command("release")
@click.argument("labs", nargs=-1)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Also write a student bundle "
              "(everything but solutions/) to this new folder.")
def release_cmd(labs, out):
    """Generate student stubs and notebooks in labs/ from the single sources in solutions/."""
    from .authoring import release
    specs = [_lab(name) for name in labs] or [lab for lab in manifest.all_labs() if lab.solution.is_dir()]
    for spec in specs:
        changed = release.release(spec)
        console.print(f"{spec.id}: {len(changed)} file(s) updated" + "".join(f"\n  {c}" for c in changed))
    if out:
        try:
            console.print(f"student bundle: {release.bundle(out)}")
        except FileExistsError as exc:
            raise click.UsageError(str(exc)) from None


@main.command()
@click.argument("labs", nargs=-1)
@click.option("--all", "all_labs", is_flag=True, help="Every lab.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--profile", "with_profile", is_flag=True,
              help="Then profile the solution: where grading time goes (imports, collection, each test).")
def validate(labs, all_labs, as_json, with_profile):
    """Grade the solution (full), its public tests, the stubs (zero), every mutant (below full) and every blind
    variant (correct: full; bug: below full on its own question)."""
    from .authoring import validate as validation
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
                              "[green]ok[/green]" if v.ok else "[red]FAIL[/red]", v.detail[:100])
            console.print(table)
            s = validation.summary(verdicts)
            gpu = f" ({s.needs_gpu} more only a GPU can show: not checked here)" if s.needs_gpu else ""
            console.print(f"{lab_id}: blind variants: correct at full {s.correct_full}/{s.correct}, "
                          f"bugs caught {s.bugs_caught}/{s.bugs}{gpu}")
            if lab_id in profiles:
                from .authoring.profiling import print_profile
                print_profile(console, profiles[lab_id])
    sys.exit(EXIT_FAIL if failed else EXIT_OK)


def _profile_of(spec, path, device):
    from . import submission
    from .authoring import profiling
    from .sources import solution_sources, stub_sources
    if path is None:
        return profiling.profile(spec, solution_sources(spec), "solution", device)
    sub = submission.load(spec, Path(path).stem, Path(path), stub_sources(spec))
    broken = {Path(f).stem: reason for f, reason in sub.problems.items()}
    return profiling.profile(spec, sub.sources, str(path), device, broken=broken)


@main.command("profile")
@click.argument("lab")
@click.argument("submission", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="cpu", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def profile_cmd(lab, submission, device, as_json):
    """Where the time goes when grading one SUBMISSION of LAB (default: the solution).

    Worker start and framework imports, each answer's import, test collection, then every hidden test (setup +
    call + teardown, so data loaded by fixtures counts), against the lab's time limit.
    """
    spec = _lab(lab)
    prof = _profile_of(spec, submission, device)
    if as_json:
        click.echo(json.dumps(prof.as_dict(), indent=2))
    else:
        from .authoring.profiling import print_profile
        print_profile(console, prof)


@main.command()
@click.argument("lab", default="02")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("demo-out"), show_default=True)
def demo(lab, out):
    """Build an example class for LAB (solution, stubs, mutants, partial, notebook, broken) and grade it."""
    from . import batch as batching
    from .authoring import demo as demo_class
    spec = _lab(lab)
    if out.exists():
        shutil.rmtree(out)
    subs = demo_class.build_class(spec, out / "submissions")
    console.print(f"example class: {len(list(subs.iterdir()))} submissions in {subs}")
    # the kit's own example answers, not a learner's: graded at the best tier here, whatever it is
    opts = batching.BatchOptions(out=out, min_isolation=None, unsafe_as_grader=True)
    batch = _run_batch(spec, [subs], opts)
    _write_reports(out, spec, batch.records)
    print_gradebook(spec, batch.records, out, batch.tier)


@main.group()
def nbgrader():
    """Run our labs in an nbgrader course (JupyterHub, formgrader) and read its grades back."""


@nbgrader.command("export")
@click.argument("course", type=click.Path(file_okay=False, path_type=Path))
@click.argument("labs", nargs=-1)
@click.option("--course-id", default="labkit", show_default=True)
def nbgrader_export(course, labs, course_id):
    """Write COURSE/nbgrader_config.py and COURSE/source/<lab>/ for LABS (default: all)."""
    from .reports import nbgrader_course
    specs = [_lab(name) for name in labs] or [lab for lab in manifest.all_labs() if lab.solution.is_dir()]
    for path in nbgrader_course.export(course, specs, course_id):
        console.print(f"wrote {path}")
    console.print(f"next: cd {course} && nbgrader generate_assignment {specs[0].id}")


@nbgrader.command("import")
@click.argument("course", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("lab")
@_out_option
def nbgrader_import(course, lab, out):
    """Read COURSE/gradebook.db (after `nbgrader autograde LAB`) into our gradebook format in --out."""
    from .reports import nbgrader_course
    spec = _lab(lab)
    if not (course / "gradebook.db").is_file():
        raise click.UsageError(f"{course} is not an nbgrader course with grades (no gradebook.db; run "
                               f"`nbgrader autograde {spec.id}` there first)")
    records = nbgrader_course.import_gradebook(course, spec, out)
    print_gradebook(spec, records, out, "nbgrader")


def _reports_and_exports() -> None:
    """Verbs that read a graded batch or a lab and write pages and files for people and other systems."""
    from .reports import class_report, exports, similarity, transcript
    for cmd in (class_report.command, similarity.command, transcript.command, exports.gradescope_command,
                exports.ci_template_command, exports.lms_command):
        main.add_command(cmd)


_reports_and_exports()

if __name__ == "__main__":
    main()
