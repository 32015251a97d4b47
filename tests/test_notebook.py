import json

import pytest

from autograder import notebook


def nb(*cells):
    return {"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def code(src, solution=False):
    meta = {"nbgrader": {"solution": True, "grade": False}} if solution else {}
    return {"cell_type": "code", "metadata": meta, "source": src, "outputs": [], "execution_count": None}


def test_only_answer_cells_become_module_code():
    book = nb(code("import numpy as np\nexplore = 1/0"), code("def f():\n    return 1", solution=True),
              code("# labkit: answer\ndef g():\n    return 2"), {"cell_type": "markdown", "source": "def h(): pass"})
    module = notebook.answer_module(book)
    assert "def f" in module and "def g" in module
    assert "explore" not in module and "def h" not in module


def test_magics_and_shell_lines_are_dropped_without_breaking_blocks():
    src = "%matplotlib inline\nif True:\n    !pip install x\nx = 1"
    out = notebook.strip_magics(src)
    compile(out, "cell", "exec")
    assert not any(line.strip().startswith(("!", "%")) for line in out.splitlines())


@pytest.mark.parametrize("magic,kept", [("%%time", True), ("%%capture", True), ("%%bash", False), ("%%writefile f.py", False)])
def test_cell_magics(magic, kept):
    assert (notebook.strip_magics(f"{magic}\nx = 1") is not None) == kept


@pytest.mark.parametrize("raw,reason", [("{not json", "not valid JSON"), ('{"cells": 3}', "no list of cells"),
                                        (json.dumps(nb(code("x = 1"))), None)])
def test_damaged_notebooks_get_a_reason(raw, reason):
    if reason:
        with pytest.raises(notebook.NotebookError, match=reason):
            notebook.read(raw)
    else:
        with pytest.raises(notebook.NotebookError, match="no answer cells"):
            notebook.answer_module(notebook.read(raw))
