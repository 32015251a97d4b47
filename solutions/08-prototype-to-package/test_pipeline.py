"""Your tests: the ones that would have caught the prototype's bugs before they shipped.

Graded by planted bugs: this file runs against the correct package (it must pass, twice, and also on a
refactored but equivalent package) and against versions with one bug each (it should fail on each).
Import the package modules directly, as below; build small frames by hand, so that each test says
exactly which rule it pins down. Compare floats with pytest.approx or np.testing.assert_allclose.
"""
import json

import numpy as np
import pandas as pd
import pytest

from clean import clean
from features import build_features
from model import Model, train

RAW_COLUMNS = ["id", "rate_marriage", "age", "yrs_marred", "children", "religious", "educ", "occupation",
               "occupation_husb", "income", "affairs", "had_affair"]


def raw_frame(n: int = 240, seed: int = 0) -> pd.DataFrame:
    """A raw export like messy_fair.csv with plain values (ages and incomes as text, NaNs in places)."""
    rng = np.random.default_rng(seed)
    affairs = np.where(rng.random(n) < 0.35, rng.exponential(1.0, n), 0.0)
    df = pd.DataFrame({
        "id": np.arange(1, n + 1), "rate_marriage": rng.integers(1, 6, n),
        "age": [f"{a} yrs" for a in rng.choice([22, 27, 32, 37, 42], n)],
        "yrs_marred": rng.choice([0.5, 2.5, 6.0, 9.0, 13.0], n), "children": rng.choice([0.0, 1.0, 2.0, 3.0], n),
        "religious": rng.integers(1, 5, n).astype(float), "educ": rng.choice([9, 12, 14, 16, 20], n),
        "occupation": np.arange(n) % 6 + 1, "occupation_husb": rng.integers(1, 7, n),
        "income": [f"{v:.1f}k" for v in rng.uniform(15, 90, n)],
        "affairs": affairs.round(4), "had_affair": (affairs > 0).astype(int),
    })
    df.loc[::7, "children"] = np.nan
    df.loc[3::11, "income"] = ""
    return df[RAW_COLUMNS]


def one_row(**changes) -> pd.DataFrame:
    row = raw_frame(1).iloc[0].to_dict()
    row.update(changes)
    return pd.DataFrame([row])[RAW_COLUMNS]


# ---------------------------------------------------------------- clean
def test_duplicate_respondents_are_dropped():
    ### BEGIN SOLUTION
    raw = raw_frame(30)
    doubled = pd.concat([raw, raw.iloc[[4, 9, 9]]], ignore_index=True)
    out = clean(doubled)
    assert len(out) == 30
    assert out["id"].is_unique
    assert list(out.index) == list(range(30))
    ### END SOLUTION


def test_rows_with_missing_values_are_kept():
    ### BEGIN SOLUTION
    raw = raw_frame(50)
    out = clean(raw)
    assert len(out) == 50
    assert out["children"].isna().sum() == raw["children"].isna().sum() > 0
    assert out["income"].isna().sum() == (raw["income"] == "").sum() > 0
    ### END SOLUTION


def test_age_units_are_stripped():
    ### BEGIN SOLUTION
    for text, value in [("32", 32.0), ("32 yrs", 32.0), ("17.5 Years", 17.5), ("42 YEARS", 42.0)]:
        assert clean(one_row(age=text))["age"].iloc[0] == pytest.approx(value), text
    ### END SOLUTION


def test_impossible_ages_become_missing():
    ### BEGIN SOLUTION
    for text in ["0", "-1", "3", "150", "999 yrs"]:
        out = clean(one_row(age=text))
        assert len(out) == 1, text
        assert np.isnan(out["age"].iloc[0]), text
    ### END SOLUTION


def test_income_suffixes_in_any_case():
    ### BEGIN SOLUTION
    cases = [("52300", 52300.0), ("52.3k", 52300.0), ("52.3K", 52300.0), ("0.0523M", 52300.0), ("1.2m", 1_200_000.0)]
    for text, value in cases:
        assert clean(one_row(income=text))["income"].iloc[0] == pytest.approx(value), text
    ### END SOLUTION


def test_leak_removed_and_typo_fixed():
    ### BEGIN SOLUTION
    out = clean(raw_frame(20))
    assert "affairs" not in out.columns
    assert "yrs_married" in out.columns and "yrs_marred" not in out.columns
    assert out["had_affair"].dtype == np.int64
    ### END SOLUTION


# ---------------------------------------------------------------- features and model
@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return clean(raw_frame(240, seed=1))


@pytest.fixture(scope="module")
def model(data) -> Model:
    return train(data, {"seed": 0})


def test_features_of_one_row_equal_the_batch(data):
    ### BEGIN SOLUTION
    batch = build_features(data)
    for i in (0, 7, 100):
        np.testing.assert_allclose(build_features(data.iloc[[i]]), batch[[i]], rtol=1e-12)
    ### END SOLUTION


def test_predict_one_equals_the_batch(data, model):
    ### BEGIN SOLUTION
    proba = model.predict_proba(data)[:, 1]
    labels = model.predict(data)
    for i in (0, 3, 7, 14, 101):  # rows 0, 7, 14 have a missing children count, 3 a missing income
        got = model.predict_one(data.iloc[i].to_dict())
        assert got["probability"] == pytest.approx(proba[i], rel=1e-12)
        assert got["label"] == labels[i]
    ### END SOLUTION


def test_save_load_round_trip(data, model, tmp_path):
    ### BEGIN SOLUTION
    model.save(tmp_path / "model.json")
    json.loads((tmp_path / "model.json").read_text())  # plain JSON, not a pickle
    loaded = Model.load(tmp_path / "model.json")
    np.testing.assert_array_equal(loaded.predict_proba(data), model.predict_proba(data))
    ### END SOLUTION


def test_same_seed_same_model(data):
    ### BEGIN SOLUTION
    a, b = train(data, {"seed": 5}), train(data, {"seed": 5})
    np.testing.assert_array_equal(a.predict_proba(data), b.predict_proba(data))
    ### END SOLUTION
