"""A lab's answer files as the kit holds them: the single source with SOLUTION markers, and the stubs made from it.

Grading reads these (the reference run, "the stubs score zero", a notebook's untouched stub); the authoring
tools (autograder.authoring.release) write the generated files from them.
"""
from __future__ import annotations

from .manifest import Lab

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
# nbgrader's own code stub, so that our stubs equal what `nbgrader generate_assignment` makes
_STUB_BODY = "{indent}# YOUR CODE HERE\n{indent}raise NotImplementedError()\n"


class MarkerError(ValueError):
    pass


def strip_solutions(source: str, name: str = "<source>", keep: int = 0) -> str:
    """Replace every BEGIN/END SOLUTION region with `raise NotImplementedError` at the marker's indent.

    keep: leave the first `keep` regions solved (markers removed), for partial example submissions.
    """
    out, inside, indent, region = [], False, "", 0
    for n, line in enumerate(source.splitlines(keepends=True), 1):
        stripped = line.strip()
        if stripped == BEGIN:
            if inside:
                raise MarkerError(f"{name}:{n}: nested {BEGIN}")
            inside, indent = True, line[: len(line) - len(line.lstrip())]
        elif stripped == END:
            if not inside:
                raise MarkerError(f"{name}:{n}: {END} without {BEGIN}")
            inside = False
            region += 1
            if region > keep:
                out.append(_STUB_BODY.format(indent=indent))
        elif not inside or region < keep:
            out.append(line)
    if inside:
        raise MarkerError(f"{name}: {BEGIN} is never closed")
    return "".join(out)


def solution_sources(lab: Lab) -> dict[str, str]:
    return {f: (lab.solution / f).read_text() for f in lab.answer_files}


def stub_sources(lab: Lab) -> dict[str, str]:
    return {f: strip_solutions(src, f) for f, src in solution_sources(lab).items()}


def count_regions(source: str) -> int:
    return sum(line.strip() == BEGIN for line in source.splitlines())
