"""Every submission form loads; every problem becomes a reason; nothing is ever written to a submission."""
import hashlib
import zipfile
from pathlib import Path

import pytest

from autograder import companion, notebook, sources, submission
from autograder.authoring import release

ANSWER = "linear_models.py"


def tree_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(str(p).encode() + p.read_bytes() + str(p.stat().st_mtime_ns).encode())
    return h.hexdigest()


@pytest.fixture
def solution_code(lab02):
    return sources.solution_sources(lab02)[ANSWER]


def test_folder_zip_py_and_notebook_forms(lab02, solution_code, tmp_path):
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / ANSWER).write_text(solution_code)
    with zipfile.ZipFile(tmp_path / "zipped.zip", "w") as zf:
        zf.writestr("student/linear_models.py", solution_code)
    (tmp_path / "renamed.py").write_text(solution_code)
    book = companion.build_notebook(lab02, ANSWER, solution_code)
    (tmp_path / "nb.ipynb").write_text(notebook.dumps(book))
    for name in ("folder", "zipped.zip", "renamed.py", "nb.ipynb"):
        sub = submission.load(lab02, name, tmp_path / name)
        assert not sub.problems, (name, sub.problems)
        assert "def softmax_loss_naive" in sub.sources[ANSWER]
        assert sub.missing_symbols(lab02) == {}


def test_class_folder_is_one_student_per_entry(lab02, solution_code, tmp_path):
    for name in ("alice", "bob"):
        (tmp_path / name).mkdir()
        (tmp_path / name / ANSWER).write_text(solution_code)
    (tmp_path / "carol.py").write_text(solution_code)
    (tmp_path / "notes.txt").write_text("not a submission")
    found = submission.discover(lab02, [tmp_path])
    assert [s for s, _ in found] == ["alice", "bob", "carol"]


def test_notebook_beside_untouched_stub_wins(lab02, solution_code, tmp_path):
    stub = sources.stub_sources(lab02)[ANSWER]
    (tmp_path / ANSWER).write_text(stub)
    (tmp_path / "linear_models.ipynb").write_text(notebook.dumps(companion.build_notebook(lab02, ANSWER, solution_code)))
    sub = submission.load(lab02, "s", tmp_path, {ANSWER: stub})
    assert sub.used[ANSWER] == "linear_models.ipynb"


@pytest.mark.parametrize("content,reason", [
    ("def softmax_loss_naive(:\n", "syntax error at line 1"),
    ("x = 1\n", "does not define"),
])
def test_broken_answers_give_reasons(lab02, tmp_path, content, reason):
    (tmp_path / ANSWER).write_text(content)
    sub = submission.load(lab02, "s", tmp_path)
    reasons = sub.missing_symbols(lab02)
    assert set(reasons) == {"q1", "q2", "q3", "q4"}
    assert all(reason in r for r in reasons.values()), reasons


def test_empty_folder_and_corrupt_notebook(lab02, tmp_path):
    (tmp_path / "empty").mkdir()
    sub = submission.load(lab02, "empty", tmp_path / "empty")
    assert "no linear_models.py" in sub.problems[ANSWER]
    (tmp_path / "bad.ipynb").write_text("{ this is not json")
    sub = submission.load(lab02, "bad", tmp_path / "bad.ipynb")
    assert "not valid JSON" in sub.problems[ANSWER]
    (tmp_path / "bad.zip").write_bytes(b"PK\x03\x04 truncated")
    sub = submission.load(lab02, "zip", tmp_path / "bad.zip")
    assert "could not read the submission" in sub.problems[ANSWER]


def test_loading_never_writes(lab02, solution_code, tmp_path):
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / ANSWER).write_text(solution_code)
    before = tree_digest(tmp_path)
    submission.load(lab02, "s", tmp_path / "s")
    submission.discover(lab02, [tmp_path])
    assert tree_digest(tmp_path) == before


def test_digest_depends_on_content_only(lab02, solution_code, tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / ANSWER).write_text(solution_code)
    a, b = (submission.load(lab02, n, tmp_path / n).digest() for n in ("a", "b"))
    assert a == b


def test_a_link_out_of_the_submission_is_never_followed(lab02, solution_code, tmp_path):
    secret = tmp_path / "reference"
    secret.mkdir()
    (secret / ANSWER).write_text(solution_code)
    for name, target in (("absolute", secret / ANSWER), ("relative", Path("..") / "reference" / ANSWER)):
        (tmp_path / name).mkdir()
        (tmp_path / name / ANSWER).symlink_to(target)
        sub = submission.load(lab02, name, tmp_path / name)
        assert not sub.sources and "symbolic link" in " ".join(sub.warnings)
    (tmp_path / "folderlink").mkdir()
    (tmp_path / "folderlink" / "sol").symlink_to(secret, target_is_directory=True)
    assert not submission.load(lab02, "f", tmp_path / "folderlink").sources
    (tmp_path / "whole.py").symlink_to(secret / ANSWER)
    assert not submission.load(lab02, "w", tmp_path / "whole.py").sources
    inside = tmp_path / "inside"
    (inside / "src").mkdir(parents=True)
    (inside / "src" / "impl.py").write_text(solution_code)
    (inside / ANSWER).symlink_to(Path("src") / "impl.py")
    assert "def softmax_loss_naive" in submission.load(lab02, "i", inside).sources[ANSWER]


def test_special_files_are_refused_by_type(lab02, tmp_path):
    import os
    (tmp_path / "fifo").mkdir()
    os.mkfifo(tmp_path / "fifo" / ANSWER)
    sub = submission.load(lab02, "fifo", tmp_path / "fifo")  # must not block reading a fifo
    assert not sub.sources and "not a regular file" in " ".join(sub.warnings + list(sub.problems.values()))


def zip_with(tmp_path, name, members, compression=zipfile.ZIP_DEFLATED):
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", compression) as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    return path


def test_archives_are_read_member_by_member_under_caps(lab02, solution_code, tmp_path):
    bomb = zip_with(tmp_path, "bomb.zip", {ANSWER: solution_code, "big.py": b"#" * 50_000_000})
    sub = submission.load(lab02, "bomb", bomb)
    assert "def softmax_loss_naive" in sub.sources[ANSWER] and any("big.py" in w for w in sub.warnings)
    only = zip_with(tmp_path, "only.zip", {ANSWER: "x = 1\n" + "#" * 3_000_000})
    assert "MB" in submission.load(lab02, "only", only).problems[ANSWER]
    data = bytearray(zip_with(tmp_path, "flip.zip", {ANSWER: solution_code * 3}).read_bytes())
    data[60:80] = b"\x00" * 20  # a corrupt deflate stream
    (tmp_path / "corrupt.zip").write_bytes(bytes(data))
    sub = submission.load(lab02, "corrupt", tmp_path / "corrupt.zip")
    assert not sub.sources and sub.problems[ANSWER]


@pytest.mark.parametrize("content, reason", [
    ('{"cells": ["import os"], "nbformat": 4}', "damaged"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"nbformat": 3, "worksheets": [{"cells": [{"cell_type": "code", "input": "x = 1", "metadata": {}}]}]}',
     "no answer cells"),
])
def test_malformed_notebooks_become_reasons(lab02, tmp_path, content, reason):
    (tmp_path / "n.ipynb").write_text(content)
    sub = submission.load(lab02, "n", tmp_path / "n.ipynb")
    assert reason in sub.problems[ANSWER]


@pytest.mark.parametrize("code, reason", [
    ("x = 1\0\n", "NUL byte"),
    ("x = " + "(" * 300_000 + ")" * 300_000 + "\n", "too many nested parentheses"),
    ("x = " + "-" * 100_000 + "1\n", "cannot be compiled"),  # MemoryError in the compiler
])
def test_sources_that_break_the_compiler_become_reasons(lab02, tmp_path, code, reason):
    (tmp_path / ANSWER).write_text(code)
    assert reason in submission.load(lab02, "c", tmp_path).problems[ANSWER]


def test_the_answer_is_found_by_its_names_when_misnamed(lab02, solution_code, tmp_path):
    (tmp_path / "my_solution.py").write_text(solution_code)
    (tmp_path / "a_scratch.py").write_text("import numpy as np\nprint(np.pi)\n")
    sub = submission.load(lab02, "up", tmp_path)
    assert sub.used[ANSWER] == "my_solution.py" and "def softmax_loss_naive" in sub.sources[ANSWER]
