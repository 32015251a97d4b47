"""Every submission form loads; every problem becomes a reason; nothing is ever written to a submission."""
import hashlib
import zipfile
from pathlib import Path

import pytest

from autograder import notebook, release, submission

ANSWER = "linear_models.py"


def tree_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(str(p).encode() + p.read_bytes() + str(p.stat().st_mtime_ns).encode())
    return h.hexdigest()


@pytest.fixture
def solution_code(lab02):
    return release.solution_sources(lab02)[ANSWER]


def test_folder_zip_py_and_notebook_forms(lab02, solution_code, tmp_path):
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / ANSWER).write_text(solution_code)
    with zipfile.ZipFile(tmp_path / "zipped.zip", "w") as zf:
        zf.writestr("student/linear_models.py", solution_code)
    (tmp_path / "renamed.py").write_text(solution_code)
    book = release.build_notebook(lab02, ANSWER, solution_code)
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
    stub = release.stub_sources(lab02)[ANSWER]
    (tmp_path / ANSWER).write_text(stub)
    (tmp_path / "linear_models.ipynb").write_text(notebook.dumps(release.build_notebook(lab02, ANSWER, solution_code)))
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
