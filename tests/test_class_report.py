"""The class report: item statistics, failure clusters, flags, and the page in a real headless browser."""
from __future__ import annotations

import html
import json
import shutil
import subprocess

import numpy as np
import pytest

import demo_grades
from autograder.record import Gradebook, TestResult
from autograder.reports import class_report
from records import record as _rec


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    return demo_grades.graded(tmp_path_factory)


def test_difficulty_and_point_biserial_discrimination():
    scores = [(2, 2, 4), (2, 0, 4), (0, 2, 2), (0, 0, 0), (2, 2, 1)]
    stats = class_report.item_stats([_rec(f"s{i}", s) for i, s in enumerate(scores)])
    arr = np.array(scores, dtype=float)
    for j, s in enumerate(stats):
        rest = arr.sum(1) - arr[:, j]
        assert s["difficulty"] == pytest.approx(np.mean(arr[:, j] / (2, 2, 4)[j]))
        assert s["discrimination"] == pytest.approx(np.corrcoef(arr[:, j], rest)[0, 1])
    # nobody differs: no discrimination to report, not a division by zero
    flat = class_report.item_stats([_rec(f"s{i}", (2, 2, 4)) for i in range(4)])
    assert all(s["discrimination"] is None and s["difficulty"] == 1 for s in flat)


def test_failure_messages_cluster_by_shape():
    msgs = ["loss: 3 of 10 values are off (relative error up to ~2e-01; rtol=1e-07, atol=0)",
            "loss: 7 of 12 values are off (relative error up to ~5e+00; rtol=1e-07, atol=0)",
            "not implemented yet (in linear_models.py, line 40)", "not implemented yet (in linear_models.py, line 77)",
            "importing 'linear_models' raised NameError: name 'np' is not defined"]
    recs = []
    for i, m in enumerate(msgs):
        r = _rec(f"s{i}", (0, 2, 4))
        r.questions[0].tests = [TestResult("t", False, False, m)]
        recs.append(r)
    top = class_report.failure_clusters(recs)["q1"]
    assert [c["count"] for c in top] == [2, 2, 1]
    assert {c["shape"] for c in top[:2]} == {"loss: # of # values are off (relative error up to ~#; rtol=#, atol=#)",
                                             "not implemented yet (in linear_models.py, line #)"}


def test_flags_timeouts_integrity_flaky_and_restarts():
    r = _rec("a", (0, 2, 4), flaky=True, repeat_totals=[6, 4], restarts=1,
             integrity=["a line out of protocol on the result channel"])
    r.questions[0].reason = "Failed: Timeout (>30.0s) from pytest-timeout; timed out"
    why = " | ".join(class_report.flags(r))
    assert "timeout (q1)" in why and "integrity" in why and "flaky" in why and "restarted 1" in why
    assert class_report.flags(_rec("b", (2, 2, 4))) == []


@pytest.mark.slow
def test_report_verb_on_the_demo_class(demo):
    proc = demo_grades.labkit("report", demo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    page = (demo / "class-report.html").read_text()
    for section in ('alt="score distribution"', 'alt="per-question mean"', "Questions", "Most common failure reasons",
                    "Flagged submissions",
                    "Runtime per submission", "discrimination"):
        assert section in page
    assert page.count("data:image/png;base64,") == 3
    book = Gradebook.from_json(json.loads((demo / "gradebook.json").read_text()))
    for qid, top in class_report.failure_clusters(book.records).items():  # each question's commonest reasons
        assert top and all(html.escape(c["shape"], quote=False) in page for c in top), qid
    assert "q1 p=" in proc.stdout
    assert demo_grades.labkit("report", demo / "feedback").returncode == 2  # no gradebook there


@pytest.fixture(scope="session")
def chromium() -> str:
    """Skips before the demo class is graded when there is no browser."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if exe is None:
        pytest.skip("no chromium here (Debian: apt-get install chromium; .ci/run installs it)")
    return exe


def _load_in_chromium(exe, page, png, tmp_path):
    """Load a page headless, take a screenshot; return the console lines chromium logged (stderr, --v=0)."""
    proc = subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                           f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={png}", "--window-size=1100,1600",
                           "--enable-logging=stderr", "--v=0", page.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]


@pytest.mark.slow
def test_class_report_loads_in_headless_chromium_without_console_errors(chromium, demo, tmp_path):
    exe = chromium
    # the check itself must see console errors: a page that logs one is caught
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><body><script>console.error("labkit-canary")</script></body></html>')
    assert any("labkit-canary" in line for line in _load_in_chromium(exe, bad, tmp_path / "bad.png", tmp_path))
    out = tmp_path / "report.html"
    assert demo_grades.labkit("report", demo, "--out", out).returncode == 0
    png = tmp_path / "report.png"
    console = _load_in_chromium(exe, out, png, tmp_path)
    assert console == [], console
    from PIL import Image
    img = Image.open(png).convert("L")
    assert img.size == (1100, 1600)
    assert len(np.unique(np.asarray(img))) > 16, "the screenshot is blank"
    json.loads((demo / "gradebook.json").read_text())  # the report only read the batch
