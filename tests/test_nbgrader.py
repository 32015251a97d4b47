"""A real nbgrader round trip for every finished lab: export, generate_assignment, autograde, import.

The release nbgrader makes from our source must equal labs/<lab>/, and nbgrader's scores must equal
`labkit grade` on the same notebooks.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import batch, companion, manifest, notebook, sources
from autograder.authoring import release
from autograder.reports import nbgrader_course

pytestmark = pytest.mark.slow
LABS = [lab for lab in manifest.all_labs() if lab.solution.is_dir()]
# nbgrader's autograde runs every check cell in a kernel and grades the notebook there, cold: a few labs cover
# every path (numpy; keras and torch; suite and static questions), the release for all of them is checked below
AUTOGRADED = {"02-linear-models-gradcheck", "06-keras-on-torch", "09-testing-ml-apps"}
BIN = Path(sys.executable).parent


def nbgrader_env(tmp: Path) -> dict[str, str]:
    # nbgrader runs `alembic` from PATH; Jupyter, IPython and Keras keep their files in scratch space
    scratch = {k: str(tmp / k.lower()) for k in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR",
                                                  "IPYTHONDIR", "KERAS_HOME", "MPLCONFIGDIR", "LABKIT_CACHE")}
    return {**os.environ, **scratch, "PATH": f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "HOME": str(tmp / "home"), "KERAS_BACKEND": "torch", "OMP_NUM_THREADS": "1"}


def nbgrader(args, course: Path, env) -> None:
    proc = subprocess.run([str(BIN / "nbgrader"), *args], cwd=course, env=env, capture_output=True, text=True,
                          timeout=1800)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def cells(path: Path) -> list[tuple[str, dict]]:
    nb = json.loads(path.read_text())
    out = []
    for c in nb["cells"]:
        src = "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
        meta = {k: v for k, v in c["metadata"].get("nbgrader", {}).items() if k != "checksum"}
        out.append((src, meta))
    return out


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.id)
def test_nbgrader_round_trip(lab, tmp_path):
    course, env = tmp_path / "course", nbgrader_env(tmp_path)
    (tmp_path / "home").mkdir()
    nbgrader_course.export(course, [lab])
    nbgrader(["generate_assignment", lab.id], course, env)
    for answer in lab.answer_files:
        nb = Path(answer).stem + ".ipynb"
        assert cells(course / "release" / lab.id / nb) == cells(lab.path / nb), f"{nb}: nbgrader's release differs"
    if lab.id not in AUTOGRADED:
        return
    ours = tmp_path / "ours"
    for student, texts in {"solution": sources.solution_sources(lab), "stubs": sources.stub_sources(lab)}.items():
        for folder in (course / "submitted" / student / lab.id, ours / student):
            folder.mkdir(parents=True)
            for answer, code in texts.items():
                (folder / (Path(answer).stem + ".ipynb")).write_text(
                    notebook.dumps(companion.build_notebook(lab, answer, code)))
        (course / "submitted" / student / lab.id / "timestamp.txt").write_text("2026-11-25 12:00:00.000000 UTC")
    nbgrader(["autograde", lab.id], course, env)
    theirs = {r.student: r for r in nbgrader_course.import_gradebook(course, lab, tmp_path / "imported")}
    assert theirs["solution"].total == lab.points and theirs["stubs"].total == 0
    graded = batch.grade(lab, [ours], batch.BatchOptions(out=tmp_path / "labkit-out", device="cpu"))
    for r in graded.records:
        assert [q.score for q in r.questions] == [q.score for q in theirs[r.student].questions]
    assert (tmp_path / "imported" / "gradebook.csv").is_file()


def test_a_learner_completes_lab_02_inside_a_kernel(tmp_path, monkeypatch):
    """The companion notebook with answers filled in, run top to bottom in a real kernel as a learner would:
    every check cell grades the answers as last run in that kernel (nothing saved to disk)."""
    import nbclient
    import nbformat

    lab = manifest.load("02")
    answer = lab.answer_files[0]
    filled = companion.build_notebook(lab, answer, sources.solution_sources(lab)[answer])
    nb = nbformat.reads(notebook.dumps(filled), as_version=4)
    env = nbgrader_env(tmp_path)
    (tmp_path / "home").mkdir()
    for key, value in env.items():  # the kernel inherits this process's environment
        if key != "PATH":
            monkeypatch.setenv(key, value)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(lab.path)}})
    client.execute()
    outputs = {c["metadata"]["nbgrader"]["grade_id"]: "".join(o.get("text", "") for o in c["outputs"])
               for c in nb.cells if c["metadata"].get("nbgrader", {}).get("grade")}
    assert set(outputs) == {f"check-{q.id}" for q in lab.questions}
    for grade_id, text in outputs.items():
        assert "public checks passed; hidden tests run at grading" in text, (grade_id, text)
