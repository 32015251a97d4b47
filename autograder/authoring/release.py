"""One source per answer file: solutions/<lab>/<file> with SOLUTION markers -> stubs and notebooks in labs/."""
from __future__ import annotations

import shutil
from pathlib import Path

from .. import notebook, paths
from ..atomic import write_text
from ..companion import build_notebook
from ..manifest import Lab
from ..sources import stub_sources

BUNDLE_SKIP = {"solutions", ".git", ".venv", "demo-out", "__pycache__", ".pytest_cache", ".hypothesis", "build"}


def expected_files(lab: Lab) -> dict[Path, str]:
    """Every generated file of a lab and its content."""
    files = {}
    for answer, stub in stub_sources(lab).items():
        files[lab.path / answer] = stub
        files[lab.path / (Path(answer).stem + ".ipynb")] = notebook.dumps(build_notebook(lab, answer, stub))
    return files


def release(lab: Lab) -> list[Path]:
    """Write the lab's generated files; returns those that changed."""
    changed = []
    for path, text in expected_files(lab).items():
        if not path.is_file() or path.read_text() != text:
            write_text(path, text)
            changed.append(path)
    return changed


def bundle(out: Path) -> Path:
    """A student bundle: the kit without solutions/ (and without build and VCS clutter)."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} exists and is not empty")
    shutil.copytree(paths.KIT_ROOT, out, dirs_exist_ok=True,
                    ignore=lambda d, names: [n for n in names if n in BUNDLE_SKIP or n.endswith(".egg-info")])
    return out
