"""The companion notebook of an answer file: the story, exploration cells, answer cells and check cells, built from
the lab's single source (`solutions/<lab>/notebook.py`, jupytext "percent" cells). `labkit release` writes the
student's copy; the nbgrader export writes the source copy, whose check cells carry HIDDEN TESTS regions.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

from . import notebook
from .manifest import Lab
from .sources import BEGIN


def _top_level_chunks(source: str) -> list[str]:
    """Split a module into cells: the header (docstring, imports), then one cell per top-level statement group."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    starts = [0]
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
            # keep comments that sit right above a definition with it
            while first > 0 and lines[first - 1].lstrip().startswith("#"):
                first -= 1
            starts.append(first)
    starts.append(len(lines))
    chunks = ["".join(lines[a:b]).strip("\n") for a, b in zip(starts, starts[1:])]
    return [c for c in chunks if c.strip()]


READ_ONLY = {"grade": False, "solution": False, "locked": True}


def check_cell_source(question_id: str, hidden: bool) -> str:
    """A check cell: public tests for students; nbgrader's autograder also runs the hidden region."""
    lines = [f"# Public checks for {question_id}; hidden tests run when your work is graded.",
             "from autograder import check", f'check("{question_id}")']
    if hidden:
        lines += ["### BEGIN HIDDEN TESTS", "from autograder import grade_question",
                  f'grade_question("{question_id}")', "### END HIDDEN TESTS"]
    return "\n".join(lines)


def _check_cells(lab: Lab, answer_file: str, source: bool) -> list[dict]:
    cells = []
    for q in (q for q in lab.questions if q.file == answer_file):
        cells.append(notebook.markdown_cell(f"### Check {q.id}: {q.title} ({q.points:g} points)", f"md-check-{q.id}",
                                            READ_ONLY))
        cells.append(notebook.code_cell(check_cell_source(q.id, hidden=source), f"check-{q.id}",
                                        {"grade": True, "solution": False, "locked": True, "points": q.points,
                                         "grade_id": f"check-{q.id}"}))
    return cells


def build_notebook(lab: Lab, answer_file: str, code: str, source: bool = False) -> dict:
    """The companion notebook: exploration text and cells around answer cells and check cells.

    source=False: what students get (code is the stub; check cells run public tests).
    source=True: nbgrader's source notebook (code keeps its SOLUTION markers; check cells end in a
    HIDDEN TESTS region that returns the question's points). `nbgrader generate_assignment` turns the
    second into the first.
    """
    # nbgrader replaces a solution cell without SOLUTION markers by a stub, so chunks without markers (the
    # imports) are answer cells by our own tag instead, which nbgrader leaves alone
    marked = [BEGIN in chunk for chunk in _top_level_chunks((lab.solution / answer_file).read_text())]
    answer_cells = []
    for i, (chunk, has_region) in enumerate(zip(_top_level_chunks(code), marked)):
        cell_id = f"answer-{Path(answer_file).stem}-{i}"
        answer_cells.append(notebook.code_cell(chunk, cell_id, {"solution": True, "grade": False, "locked": False})
                            if has_region else notebook.code_cell(f"{notebook.ANSWER_TAG}\n{chunk}", cell_id))
    checks = _check_cells(lab, answer_file, source)
    nb_source = lab.solution / "notebook.py"
    parts = _percent_cells(nb_source.read_text()) if nb_source.is_file() else \
        [("markdown", f"# {lab.title}\n\nAnswer in the cells below; see README.md."), ("answers", "")]
    if not any(kind == "checks" for kind, _ in parts):
        at = next(i for i, (kind, _) in enumerate(parts) if kind == "answers") + 1
        parts.insert(at, ("checks", ""))
    cells = [notebook.code_cell(KERNEL_SETUP, "setup", READ_ONLY)]
    for i, (kind, text) in enumerate(parts):
        if kind == "answers":
            cells += answer_cells
        elif kind == "checks":
            cells += checks
        elif kind == "markdown":
            cells.append(notebook.markdown_cell(text, f"md-{i}", READ_ONLY))
        else:
            cells.append(notebook.code_cell(text, f"code-{i}"))
    return notebook.new_notebook(cells, answer_file, lab.id)


# The first cell of every notebook: the kernel behaves like the grader's worker from the first run.
KERNEL_SETUP = """\
# Run me first: same backend, threads and seeds as the grader.
import os
os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.setdefault("OMP_NUM_THREADS", "1")
import random
import numpy as np
random.seed(0)
np.random.seed(0)"""


def _percent_cells(text: str) -> list[tuple[str, str]]:
    """Cells of a jupytext 'percent' script: '# %%' code, '# %% [markdown]' text, '# %% [answers]' the answers."""
    cells = []
    for block in re.split(r"^# %%", text, flags=re.M)[1:]:
        header, _, body = block.partition("\n")
        kind = next((k for k in ("markdown", "answers", "checks") if f"[{k}]" in header), "code")
        if kind == "markdown":
            body = "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#") for line in body.splitlines())
        cells.append((kind, body.strip("\n")))
    return cells
