"""Shared fixtures for the kit's own tests."""
from __future__ import annotations

import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")

from autograder import manifest, reference  # noqa: E402
from autograder.isolation import sandbox  # noqa: E402

collect_ignore = ["hostile"]


@pytest.fixture(scope="session", autouse=True)
def shared_reference_cache(tmp_path_factory):
    """One reference run per lab for the whole suite (validate, grade batches and nbgrader reuse it)."""
    os.environ["LABKIT_REFERENCE_CACHE"] = str(tmp_path_factory.mktemp("reference-cache"))
    yield
ROOT = Path(__file__).resolve().parent.parent


def short_limits(lab: manifest.Lab, question_s: float = 8.0, total_s: float = 30.0) -> manifest.Lab:
    """The same lab with tight time limits, so attacks that hang cost seconds, not minutes.

    The reference solution of lab 02 needs ~3 s in total and < 1 s per test (measured), so these
    limits leave a wide margin even with two jobs sharing two cores.
    """
    return replace(lab, time_limit=total_s,
                   questions=tuple(replace(q, time_limit=question_s) for q in lab.questions))


@pytest.fixture(scope="session")
def lab02() -> manifest.Lab:
    return manifest.load("02-linear-models-gradcheck")


@pytest.fixture(scope="session")
def lab02_fast(lab02) -> manifest.Lab:
    return short_limits(lab02)


@pytest.fixture(scope="session")
def reference02(lab02_fast):
    return reference.run_reference(lab02_fast, "cpu")


def tier_or_skip(tier: str) -> str:
    why = sandbox.unavailable_reason(tier)
    if why:
        pytest.skip(f"isolation tier {tier!r} unavailable: {why}")
    return tier


@pytest.fixture
def copy_of(tmp_path):
    def _copy(src: Path, name: str | None = None) -> Path:
        dst = tmp_path / (name or Path(src).name)
        if Path(src).is_dir():
            shutil.copytree(src, dst)
        else:
            shutil.copy(src, dst)
        return dst
    return _copy
