"""Broken submissions cost their author points with a readable reason; the rest of the batch is unaffected."""
from __future__ import annotations

import pytest

import zipfile

from autograder import batch, sources

pytestmark = pytest.mark.slow
ANSWER = "linear_models.py"


def write(folder, text):
    folder.mkdir(parents=True)
    (folder / ANSWER).write_text(text)


@pytest.fixture(scope="module")
def bad_batch(tmp_path_factory, lab02_fast):
    lab = lab02_fast
    sol = sources.solution_sources(lab)[ANSWER]
    root = tmp_path_factory.mktemp("bad")
    klass = root / "class"
    write(klass / "good", sol)
    write(klass / "syntax-error", sol.replace("def rel_error(", "def rel_error(("))
    write(klass / "missing-symbol", sol.replace("def rel_error(", "def relative_error("))
    (klass / "corrupt-notebook").mkdir()
    (klass / "corrupt-notebook" / "linear_models.ipynb").write_text('{"cells": [')
    (klass / "empty").mkdir()
    write(klass / "wrong-return-type", sol.replace("return float(loss), dW\n    ### END SOLUTION\n\n\ndef numerical",
                                                   "return [float(loss)], dW.tolist()\n    ### END SOLUTION\n\n\ndef numerical"))
    write(klass / "infinite-loop", sol.replace('    """\n    ### BEGIN SOLUTION\n    a, b = np.asarray',
                                               '    """\n    while True:\n        pass\n    a, b = np.asarray'))
    write(klass / "sys-exit-at-import", sol + "\nimport sys\nsys.exit(0)\n")
    write(klass / "misplaced-future", "import os\n" + sol)
    # a crash (os._exit) inside one question must not zero the questions decided before it
    write(klass / "crash-in-q4", sol.replace("        X, y = validate_data(self, X, y, dtype=np.float64)",
                                             "        import os; os._exit(3)"))
    # correct, but loud: warnings and stderr must never fail a test (nbgrader fails such cells)
    write(klass / "noisy-but-correct", sol.replace('    """\n    ### BEGIN SOLUTION\n    a, b = np.asarray',
                                                   '    """\n    import sys, warnings\n    warnings.warn("careful", UserWarning)\n'
                                                   '    print("debug output", file=sys.stderr)\n    a, b = np.asarray'))
    _malformed_uploads(klass, sol)
    graded = batch.grade(lab, [klass], batch.BatchOptions(out=root / "out", device="cpu", jobs=2))
    return {r.student: r for r in graded.records}


def reasons(record):
    return {q.id: q.reason for q in record.questions if q.score < q.max}


def test_the_good_submission_is_untouched(bad_batch, lab02_fast):
    assert bad_batch["good"].total == lab02_fast.points


def test_warnings_and_stderr_never_cost_points(bad_batch, lab02_fast):
    assert bad_batch["noisy-but-correct"].total == lab02_fast.points


def test_syntax_error(bad_batch):
    r = bad_batch["syntax-error"]
    assert r.total == 0 and all("syntax error at line" in v for v in reasons(r).values())


def test_missing_symbol_costs_only_its_question(bad_batch):
    r = bad_batch["missing-symbol"]
    assert reasons(r) == {"q3": "linear_models.py does not define rel_error"}


def test_corrupt_notebook_and_empty_folder(bad_batch):
    assert all("not valid JSON" in v for v in reasons(bad_batch["corrupt-notebook"]).values())
    assert all("no linear_models.py" in v for v in reasons(bad_batch["empty"]).values())
    assert bad_batch["empty"].total == 0


def test_wrong_return_type(bad_batch):
    r = bad_batch["wrong-return-type"]  # the vectorized loss returns lists
    assert "returned a list" in reasons(r)["q2"]
    assert r.questions[0].score == 2  # the naive version is untouched


def test_syntax_errors_that_only_compile_finds(bad_batch):
    r = bad_batch["misplaced-future"]
    assert r.total == 0 and "from __future__ imports must occur" in reasons(r)["q1"]


def test_infinite_loop_times_out_with_a_reason_and_only_its_question_suffers(bad_batch):
    r = bad_batch["infinite-loop"]
    assert "q3" in reasons(r)
    assert "timed out" in reasons(r)["q3"]
    # only the tests that call rel_error time out; numerical_gradient's tests in q3 still pass
    scores = [q.score for q in r.questions]
    assert scores[:2] == [2, 2] and scores[3] == 4 and 0 < scores[2] < 2


def test_sys_exit_at_import(bad_batch):
    r = bad_batch["sys-exit-at-import"]
    assert r.total == 0 and all("SystemExit" in v for v in reasons(r).values())


def test_a_crash_keeps_the_questions_already_decided(bad_batch):
    r = bad_batch["crash-in-q4"]
    assert [q.score for q in r.questions][:3] == [2, 2, 2]
    assert "exited with code 3" in reasons(r)["q4"]


def _malformed_uploads(klass, sol):
    """Uploads that once stopped a whole batch; each must cost only its own student."""
    (klass / "nb-cell-is-a-string").mkdir()
    (klass / "nb-cell-is-a-string" / "linear_models.ipynb").write_text('{"cells": ["x = 1"], "nbformat": 4}')
    (klass / "nb-deep-json").mkdir()
    (klass / "nb-deep-json" / "linear_models.ipynb").write_text("[" * 100_000 + "]" * 100_000)
    write(klass / "compile-memory", "x = " + "-" * 100_000 + "1\n")
    write(klass / "compile-nesting", "x = " + "(" * 300_000 + ")" * 300_000 + "\n")
    with zipfile.ZipFile(klass / "zip-bzip2.zip", "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("linear_models.py", sol)
    raw = bytearray((klass / "zip-bzip2.zip").read_bytes())
    for i in range(len(raw) - 4):  # claim an unsupported compression method (99: AE-x) in both headers
        if raw[i:i + 4] in (b"PK\x03\x04", b"PK\x01\x02"):
            at = i + (8 if raw[i + 2] == 3 else 10)
            raw[at:at + 2] = (99).to_bytes(2, "little")
    (klass / "zip-bzip2.zip").write_bytes(bytes(raw))
    with zipfile.ZipFile(klass / "zip-corrupt.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("linear_models.py", sol * 2)
    raw = bytearray((klass / "zip-corrupt.zip").read_bytes())
    raw[40:90] = bytes(50)
    (klass / "zip-corrupt.zip").write_bytes(bytes(raw))
    with zipfile.ZipFile(klass / "zip-encrypted.zip", "w") as zf:
        zf.writestr("linear_models.py", sol)
    raw = bytearray((klass / "zip-encrypted.zip").read_bytes())
    for i in range(len(raw) - 4):  # set the "encrypted" flag in both headers (zipfile clears it when writing)
        if raw[i:i + 4] in (b"PK\x03\x04", b"PK\x01\x02"):
            raw[i + (6 if raw[i + 2] == 3 else 8)] |= 0x1
    (klass / "zip-encrypted.zip").write_bytes(bytes(raw))
    with zipfile.ZipFile(klass / "zip-bomb.zip", "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for i in range(40):  # 40 x 100 MB of zeros: a few hundred KB on disk
            zf.writestr(f"part{i}/linear_models.py", b"#" * 100_000_000)


MALFORMED = ["nb-cell-is-a-string", "nb-deep-json", "compile-memory", "compile-nesting", "zip-bzip2", "zip-corrupt",
             "zip-encrypted", "zip-bomb"]


def test_every_malformed_upload_costs_only_its_student(bad_batch, lab02_fast):
    for name in MALFORMED:
        r = bad_batch[name]
        assert r.total == 0 and all(q.reason for q in r.questions), (name, r.questions)
    assert bad_batch["good"].total == lab02_fast.points and bad_batch["noisy-but-correct"].total == lab02_fast.points


def test_the_grader_holds_little_memory_for_hostile_archives(tmp_path, lab02_fast):
    """Peak resident memory of the `labkit grade` process itself (its jobs are other processes) on the bombs."""
    import subprocess
    import sys
    import threading
    import time
    from pathlib import Path
    klass = tmp_path / "class"
    klass.mkdir()
    _malformed_uploads(klass, sources.solution_sources(lab02_fast)[ANSWER])
    proc = subprocess.Popen([sys.executable, "-m", "autograder.cli", "grade", "02", str(klass), "--out",
                             str(tmp_path / "out"), "--ci", "--jobs", "1"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=Path(__file__).resolve().parent.parent)
    peak = [0]

    def watch():
        while proc.poll() is None:
            try:
                status = Path(f"/proc/{proc.pid}/status").read_text()
                peak[0] = max(peak[0], int(status.split("VmHWM:")[1].split()[0]))
            except (OSError, IndexError, ValueError):
                pass
            time.sleep(0.05)
    t = threading.Thread(target=watch)
    t.start()
    out, err = proc.communicate(timeout=900)
    t.join()
    assert proc.returncode == 1, (out + err)[-2000:]  # every upload is below the pass mark, and none stopped it
    assert "0 passed, 8 failed" in out.decode()
    assert 0 < peak[0] < 1024 * 1024, f"the grader held {peak[0] / 1024:.0f} MiB"
