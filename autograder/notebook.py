"""Notebooks in and out: answer cells become module code; companion notebooks are built from one source."""
from __future__ import annotations

import json
import re

ANSWER_TAG = "# labkit: answer"
# Cell magics whose body is still plain Python; any other cell magic (%%bash, %%writefile, ...) drops the cell.
TRANSPARENT_CELL_MAGICS = {"time", "timeit", "capture", "prun"}
_SHELL_OR_MAGIC = re.compile(r"^(\s*)(%|!)")


class NotebookError(ValueError):
    pass


def read(raw: bytes | str) -> dict:
    """Parse notebook JSON; any damage becomes a NotebookError with a reason a student can act on.

    nbformat 3 notebooks (cells inside worksheets, code in `input`) are read as version 4."""
    try:
        nb = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise NotebookError(f"the notebook is not valid JSON ({exc.__class__.__name__}: {str(exc)[:120]})") from None
    except RecursionError:
        raise NotebookError("the notebook's JSON is nested too deeply to be a notebook") from None
    if isinstance(nb, dict) and nb.get("nbformat") == 3 and isinstance(nb.get("worksheets"), list):
        nb = _from_v3(nb)
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        version = nb.get("nbformat") if isinstance(nb, dict) else None
        raise NotebookError(f"the notebook has no list of cells (nbformat {version!r}; save it from Jupyter as "
                            "an nbformat 4 notebook)" if version is not None else
                            "the file is JSON but not a notebook (no nbformat and no list of cells)")
    bad = next((i for i, c in enumerate(nb["cells"]) if not isinstance(c, dict)
                or not isinstance(c.get("source", ""), (str, list))), None)
    if bad is not None:
        raise NotebookError(f"cell {bad + 1} of the notebook is damaged (not a cell object with a source)")
    return nb


def _from_v3(nb: dict) -> dict:
    """nbformat 3 -> the fields of 4 that grading reads (cells, source, metadata)."""
    cells = []
    for ws in nb["worksheets"]:
        for c in ws.get("cells", []) if isinstance(ws, dict) else []:
            if isinstance(c, dict):
                src = c.get("input", c.get("source", ""))
                cells.append({"cell_type": c.get("cell_type"), "metadata": c.get("metadata") or {}, "source": src})
    return {**{k: v for k, v in nb.items() if k != "worksheets"}, "cells": cells, "nbformat": 4}


def cell_source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def is_answer_cell(cell: dict) -> bool:
    if cell.get("cell_type") != "code":
        return False
    meta = cell.get("metadata") or {}
    if isinstance(meta.get("nbgrader"), dict) and meta["nbgrader"].get("solution"):
        return True
    return cell_source(cell).lstrip().startswith(ANSWER_TAG)


def strip_magics(source: str) -> str | None:
    """Drop IPython-only syntax; None when the whole cell is not Python (%%bash and friends)."""
    lines = source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        magic = lines[0].lstrip()[2:].split()[0] if lines[0].strip() != "%%" else ""
        if magic not in TRANSPARENT_CELL_MAGICS:
            return None
        lines = lines[1:]
    out = []
    for line in lines:
        m = _SHELL_OR_MAGIC.match(line)
        # keep the line count and the block structure: a magic inside an if-body must not empty it
        out.append(f"{m.group(1)}pass  # labkit: dropped '{line.strip()[:40]}'" if m else line)
    return "\n".join(out)


def answer_module(nb: dict) -> str:
    """The module code of a notebook: its answer cells, in order, without magics."""
    cells = [(f"notebook cell {i + 1}", cell_source(c)) for i, c in enumerate(nb["cells"]) if is_answer_cell(c)]
    if not cells:
        raise NotebookError(
            "the notebook has no answer cells (nbgrader solution cells or cells starting with "
            f"'{ANSWER_TAG}')"
        )
    return join_cells(cells)


def join_cells(cells: list[tuple[str, str]]) -> str:
    """Cells -> one module: magics dropped, `from __future__` lines hoisted (they must come first)."""
    future, parts = [], []
    for label, source in cells:
        code = strip_magics(source)
        if code is None:
            continue
        lines = code.splitlines()
        future += [line for line in lines if line.startswith("from __future__ import")]
        body = "\n".join(line for line in lines if not line.startswith("from __future__ import"))
        parts.append(f"# --- {label} ---\n{body}\n")
    return "".join(f"{line}\n" for line in dict.fromkeys(future)) + "\n".join(parts)


def locate(module: str, line: int) -> tuple[str, int]:
    """The notebook cell a line of a joined answer module came from: ('cell 7', line in that cell), or ('', line)."""
    lines = module.splitlines()
    for i in range(min(line, len(lines)) - 1, -1, -1):
        m = re.match(r"^# --- (?:notebook )?(cell \d+|kernel cell In\[\d+\]) ---$", lines[i])
        if m:
            return m.group(1), line - i - 1
    return "", line


def answer_file_hint(nb: dict) -> str | None:
    meta = nb.get("metadata") or {}
    lk = meta.get("labkit") if isinstance(meta, dict) else None
    return lk.get("answer_file") if isinstance(lk, dict) else None


def new_notebook(cells: list[dict], answer_file: str, lab_id: str) -> dict:
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
            "labkit": {"lab": lab_id, "answer_file": answer_file},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def code_cell(source: str, cell_id: str, nbgrader: dict | None = None) -> dict:
    meta = {"nbgrader": {"schema_version": 3, "cell_type": "code", **nbgrader}} if nbgrader else {}
    if nbgrader and "grade_id" not in nbgrader:
        meta["nbgrader"]["grade_id"] = cell_id
    return {"cell_type": "code", "id": cell_id, "metadata": meta, "execution_count": None,
            "outputs": [], "source": source}


def markdown_cell(source: str, cell_id: str, nbgrader: dict | None = None) -> dict:
    meta = {"nbgrader": {"schema_version": 3, "cell_type": "markdown", "grade_id": cell_id, **nbgrader}} \
        if nbgrader else {}
    return {"cell_type": "markdown", "id": cell_id, "metadata": meta, "source": source}


def dumps(nb: dict) -> str:
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
