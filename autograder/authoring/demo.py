"""An example class for a lab: the kinds of submission an instructor really receives."""
from __future__ import annotations

from pathlib import Path

from .. import notebook
from ..manifest import Lab
from ..sources import count_regions, solution_sources, strip_solutions, stub_sources
from ..companion import build_notebook
from . import mutants


def build_class(lab: Lab, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    solution = solution_sources(lab)
    main = lab.answer_files[0]
    _write(folder / "solution", solution)
    _write(folder / "stubs", stub_sources(lab))
    for m in mutants.load_all(lab):
        _write(folder / f"mutant-{m.name}", m.sources)
    partial = {f: strip_solutions(src, f, keep=count_regions(src) // 2) for f, src in solution.items()}
    _write(folder / "partial", partial)
    (folder / "notebook").mkdir(exist_ok=True)
    for answer, code in solution.items():  # a learner who answered every part in the notebooks
        (folder / "notebook" / f"{Path(answer).stem}.ipynb").write_text(
            notebook.dumps(build_notebook(lab, answer, code)))
    _write(folder / "broken-syntax", {**solution, main: solution[main].replace("def ", "def def ", 1)})
    return folder


def _write(folder: Path, sources: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, code in sources.items():
        (folder / name).write_text(code)
