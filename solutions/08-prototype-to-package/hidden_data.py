"""Hidden data for lab 08, made in the grader's process (autograder.hidden_data); never copied into a job.

The rows come from the shipped generator (datasets/08-prototype-to-package/make_messy_fair.py) run on a
perturbed copy of statsmodels' `fair`: every respondent's age and years married are jittered (ages by 0.2 to
1.5 years, to one decimal, years married by 0.1 to 0.4, never by zero) with a seed that stays here, so no row is a row of
`fair` a learner could look up, and the samples are drawn with other seeds than any public file.

- messy_sample: a raw export (CSV bytes, as uint8) with every injected problem: q1's clean, q4's CLI.
- fair_split: a cleaned table (the reference's clean) cut into rows to train on (with labels) and held-out
  rows whose labels stay with the grader (q3's accuracy); q2 and q3 take their inputs from it.
"""
import importlib.util
from functools import lru_cache
from pathlib import Path

import numpy as np

from autograder.paths import DATASETS

JITTER_SEED, MESSY_SEED, SPLIT_SEED = 0x0808, 3141, 2718
COLUMNS = ["id", "rate_marriage", "age", "yrs_married", "children", "religious", "educ", "occupation",
           "occupation_husb", "income", "had_affair"]
N_FIT = 900  # cleaned rows to train on; the rest of fair_split is held out


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@lru_cache(maxsize=1)
def _generator():
    return _load("lab08_make_messy_fair", DATASETS / "08-prototype-to-package" / "make_messy_fair.py")


@lru_cache(maxsize=1)
def _jittered_fair():
    from statsmodels.datasets import fair

    data = fair.load_pandas().data.copy()
    rng = np.random.default_rng(JITTER_SEED)
    n = len(data)
    sign = lambda: rng.choice([-1.0, 1.0], n)  # noqa: E731  (never a zero shift: no row stays a row of fair)
    data["age"] = (data["age"] + sign() * rng.uniform(0.2, 1.5, n)).round(1)
    data["yrs_married"] = (data["yrs_married"] + sign() * rng.uniform(0.1, 0.4, n)).clip(lower=0.1).round(1)
    return data


def messy_sample():
    """900 respondents plus duplicates, as the raw CSV export a user would hand to clean or to cli.py."""
    gen = _generator()
    raw = gen.make_messy(seed=MESSY_SEED, n=900, data=_jittered_fair())
    return {"csv": np.frombuffer(gen.to_csv_bytes(raw), dtype=np.uint8).copy()}, {}


def fair_split():
    """Cleaned columns (COLUMNS) of 1,300 respondents: fit_<col> for the first N_FIT rows, test_<col> for the
    others, whose had_affair is withheld (the truth y_test)."""
    gen = _generator()
    clean = _load("lab08_reference_clean", Path(__file__).with_name("clean.py")).clean
    data = clean(gen.make_messy(seed=SPLIT_SEED, n=1300, data=_jittered_fair()))
    fit, test = data.iloc[:N_FIT], data.iloc[N_FIT:]
    inputs = {f"fit_{c}": fit[c].to_numpy() for c in COLUMNS}
    inputs.update({f"test_{c}": test[c].to_numpy() for c in COLUMNS if c != "had_affair"})
    return inputs, {"y_test": test["had_affair"].to_numpy(dtype="int64")}
