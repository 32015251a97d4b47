"""Profiles: the phases of one grading run, from the worker's events (synthetic timeline; no worker started)."""
from __future__ import annotations

from autograder import manifest, runner
from autograder.authoring import profiling


def test_phases_split_the_wall_time_from_the_worker_events():
    lab = manifest.load("02")
    q1, q4 = lab.question("q1"), lab.question("q4")
    public = "public/test_linear_models.py::" + q1.tests[0].replace("*", "x")
    hidden = "hidden/test_hidden_linear_models.py::" + q4.tests[0].replace("*", "y")
    run = runner.RunResult(tier="rlimits", tests={
        public: runner.TestOutcome(public, "passed", duration=0.5),
        hidden: runner.TestOutcome(hidden, "failed", duration=2.0)}, collected=[public, hidden])
    events = [(1.5, "import", "linear_models"), (1.7, "imported", "linear_models"), (2.2, "collected", ""),
              (2.2, "start", public), (2.75, "report", public), (2.75, "start", hidden), (4.8, "report", hidden),
              (4.9, "exit", "")]
    prof = profiling._phases(lab, "solution", "cpu", run, events, started=0.0, ended=5.0)
    phases = dict(prof.phases)
    assert phases["worker start + framework imports (numpy, scipy, scikit-learn)"] == 1.5
    assert phases["answer import linear_models.py"] == 0.2
    assert phases["test collection (test modules, module-level data)"] == 0.5
    assert phases["tests (2: setup + call + teardown)"] == 2.6
    assert abs(sum(phases.values()) - prof.seconds) < 1e-6
    rows = {r["question"]: r for r in prof.by_question()}
    assert rows["q1"]["public_s"] == 0.5 and rows["q4"]["hidden_s"] == 2.0
    assert prof.as_dict()["tests"][0]["seconds"] in (0.5, 2.0)


def test_profile_and_validate_profile_are_commands():
    from click.testing import CliRunner

    from autograder.cli import main

    assert "--profile" in CliRunner().invoke(main, ["validate", "--help"]).output
    out = CliRunner().invoke(main, ["profile", "--help"]).output
    assert "Where the time goes" in out
