"""`check("q1")` and `grade_question("q1")` inside a Jupyter kernel.

The learner's code still runs in a separate sandboxed worker, never in the kernel. Which code:
- interactively, the answer cells as last executed in this kernel (IPython's `In` history), so an
  unsaved notebook is checked as the learner sees it;
- under nbgrader (NBGRADER_EXECUTION=autograde|validate), the notebook files on disk, read exactly as
  `labkit grade` reads them, so both give the same points.
"""
from __future__ import annotations

import ast
import contextlib
import io
import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path

from . import checking, manifest, notebook, paths, reference, submission
from .atomic import write_json
from .grading import grade_one
from .isolation.sandbox import best_tier
from .record import GradeRecord
from .sources import solution_sources, stub_sources

_GRADED: dict[str, GradeRecord] = {}  # submission digest -> grading record, so each test cell does not regrade


def _lab(lab: str | None) -> manifest.Lab:
    if lab:
        return manifest.load(lab)
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / "lab.toml").is_file():
            return manifest.load(folder)
    return manifest.load(paths.resolve_lab_id(here.name))  # nbgrader: the assignment folder is the lab id


def _from_kernel(lab: manifest.Lab) -> dict[str, str] | None:
    try:
        ip = get_ipython()  # noqa: F821  (defined inside IPython only)
    except NameError:
        return None
    history = [c for c in ip.user_ns.get("In", []) if isinstance(c, str)]
    sources = {}
    for answer, solution in solution_sources(lab).items():
        wanted = _names(solution)
        latest: dict[str, int] = {}
        for i, cell in enumerate(history):
            for name in _names(notebook.strip_magics(cell) or "") & wanted:
                latest[name] = i
        if latest:
            cells = sorted(set(latest.values()))
            sources[answer] = notebook.join_cells([(f"kernel cell In[{i}]", history[i]) for i in cells])
    return sources


def _names(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def _submission(lab: manifest.Lab) -> submission.Submission:
    kernel = None if os.environ.get("NBGRADER_EXECUTION") else _from_kernel(lab)
    if kernel:
        sub = submission.Submission("you", Path.cwd(), sources=dict(kernel))
        for f in lab.answer_files:
            if f not in sub.sources:
                sub.problems[f] = f"no cell defining the answers of {f} has been run in this kernel"
        return sub
    here = Path.cwd()
    submitted = here.parent.parent.parent / "submitted" / here.parent.name / here.name
    missing = [f for f in lab.answer_files if not any(here.glob(Path(f).stem + ".*"))]
    if os.environ.get("NBGRADER_EXECUTION") and missing and submitted.is_dir():
        # nbgrader autograde copies a submission's notebooks into autograded/ one at a time: the answers a
        # question needs from notebooks not yet processed (a CLI that imports the model) come from submitted/
        with tempfile.TemporaryDirectory() as tmp:
            for folder in (submitted, here):
                for f in folder.iterdir():
                    if f.is_file() and f.suffix in (".ipynb", ".py"):
                        shutil.copy(f, Path(tmp) / f.name)
            return submission.load(lab, "you", Path(tmp), stub_sources(lab))
    return submission.load(lab, "you", here, stub_sources(lab))


def _quietly(fn):
    """nbgrader fails a test cell on any stderr output: keep the grader's own noise out of it."""
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        return fn()


def _graded(spec: manifest.Lab, sub: submission.Submission) -> GradeRecord:
    """The submission's record, graded once: nbgrader autograde runs each of a student's notebooks in its own
    kernel, and every one of them reads the same answers, so later kernels read the record the first one stored
    (in the instructor's cache, beside the reference run; keyed by the lab's and the answers' digests)."""
    key = f"{spec.id}:{sub.digest()}"
    if key not in _GRADED:
        cache = Path(os.environ.get("LABKIT_CACHE", Path.home() / ".cache" / "labkit"))
        ref = _quietly(lambda: reference.cached_reference(spec, "cpu", cache))
        stored = cache / f"graded-{spec.id}-{reference.lab_digest(spec, 'cpu')[:16]}-{sub.digest()[:32]}.json"
        try:
            _GRADED[key] = GradeRecord.from_json(json.loads(stored.read_text()))
        except (OSError, ValueError, TypeError, KeyError):
            # one submission per kernel: a warm zygote would import the frameworks only to fork once
            os.environ.setdefault("LABKIT_WARM", "0")
            _GRADED[key] = _quietly(lambda: grade_one(spec, sub, ref, "cpu", best_tier()))
            if os.environ.get("NBGRADER_EXECUTION"):
                with contextlib.suppress(OSError):  # only a cache: the next kernel grades again
                    stored.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                    write_json(stored, _GRADED[key].to_json(), mode=0o600)
    return _GRADED[key]


def check(*questions: str, lab: str | None = None) -> None:
    """Run the public tests of the given questions (all if none) on your answers and print a table."""
    spec = _lab(lab)
    sub = _submission(spec)
    if os.environ.get("NBGRADER_EXECUTION") == "autograde":
        # the autograder grades everything once anyway: report its result instead of a second run
        record = _graded(spec, sub)
        for q in record.questions:
            if not questions or q.id in questions:
                print(f"{q.id}: {q.score:g} / {q.max:g} ({q.status})")
        return
    result = _quietly(lambda: checking.check_sources(spec, sub, list(questions)))
    print(checking.text_table(spec, result), end="")


def grade_question(question: str, lab: str | None = None) -> float:
    """Points of one question with public and hidden tests, as `labkit grade` gives them (nbgrader cells)."""
    spec = _lab(lab)
    q = _graded(spec, _submission(spec)).question(question)
    if q.score < q.max:
        print(f"{question}: {q.score:g} / {q.max:g}. {q.reason}")
    return q.score
