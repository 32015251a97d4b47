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

from clean import COLUMNS, clean, parse_age, parse_amount
from features import FEATURE_NAMES, build_features
from model import METRICS, Model, evaluate, train

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
    raw = raw_frame(30)
    doubled = pd.concat([raw, raw.iloc[[4, 9, 9, 20]]], ignore_index=True)
    out = clean(doubled)
    assert len(out) == 30
    assert out["id"].is_unique
    assert sorted(out["id"].tolist()) == list(range(1, 31))
    assert out["id"].tolist() == raw["id"].tolist()  # first occurrences, in their order
    assert out.index.equals(pd.RangeIndex(30))


def test_duplicate_keeps_the_first_row_of_a_respondent():
    first = one_row(id=77, rate_marriage=1)
    later = one_row(id=77, rate_marriage=5)
    out = clean(pd.concat([first, later, one_row(id=78)], ignore_index=True))
    assert out["id"].tolist() == [77, 78]
    assert out.loc[0, "rate_marriage"] == 1.0


def test_rows_with_missing_values_are_kept():
    raw = raw_frame(40)
    raw.loc[[2, 5], "yrs_marred"] = np.nan
    raw.loc[[6], "religious"] = np.nan
    raw.loc[[8], "age"] = "150"
    out = clean(raw)
    assert len(out) == len(raw)
    assert out["id"].tolist() == raw["id"].tolist()
    np.testing.assert_array_equal(out["children"].isna().to_numpy(), raw["children"].isna().to_numpy())
    np.testing.assert_array_equal(out["income"].isna().to_numpy(), (raw["income"] == "").to_numpy())
    assert out.loc[[2, 5], "yrs_married"].isna().all()
    assert np.isnan(out.loc[6, "religious"]) and np.isnan(out.loc[8, "age"])
    assert out["income"].notna().sum() == (raw["income"] != "").sum()


def test_age_units_are_stripped():
    got = parse_age(pd.Series(["32", "32 yrs", "17.5 Years", "27 Yrs", "42 YEARS", "22 years", " 37 yrs "]))
    np.testing.assert_allclose(got.to_numpy(dtype=float), [32.0, 32.0, 17.5, 27.0, 42.0, 22.0, 37.0])
    out = clean(pd.concat([one_row(id=1, age="42 YEARS"), one_row(id=2, age="27 Yrs"), one_row(id=3, age="32")],
                          ignore_index=True))
    np.testing.assert_allclose(out["age"].to_numpy(dtype=float), [42.0, 27.0, 32.0])
    assert out["age"].dtype == np.float64


def test_impossible_ages_become_missing():
    got = parse_age(pd.Series(["0", "-1", "3", "150", "999 yrs", "212", "40", None], dtype=object))
    assert got.iloc[:6].isna().all()
    assert got.iloc[6] == pytest.approx(40.0)
    assert np.isnan(got.iloc[7])
    rows = [one_row(id=i + 1, age=a) for i, a in enumerate(["150", "3", "0", "999 yrs", "35 yrs"])]
    out = clean(pd.concat(rows, ignore_index=True))
    assert len(out) == 5
    assert out["age"].iloc[:4].isna().all()
    assert out["age"].iloc[4] == pytest.approx(35.0)


def test_income_suffixes_in_any_case():
    got = parse_amount(pd.Series(["52300", "52.3k", "52.3K", "0.0523M", "0.0523m", "", "1.2M", "1.2m"]))
    np.testing.assert_allclose(got.iloc[:5].to_numpy(dtype=float), [52300.0] * 5, rtol=1e-12)
    assert np.isnan(got.iloc[5])
    np.testing.assert_allclose(got.iloc[6:].to_numpy(dtype=float), [1.2e6, 1.2e6], rtol=1e-12)
    incomes = ["52.3k", "52.3K", "0.0523M", "0.0523m", "52300", ""]
    out = clean(pd.concat([one_row(id=i + 1, income=v) for i, v in enumerate(incomes)], ignore_index=True))
    np.testing.assert_allclose(out["income"].iloc[:5].to_numpy(dtype=float), [52300.0] * 5, rtol=1e-12)
    assert np.isnan(out["income"].iloc[5])


def test_leak_removed_and_typo_fixed():
    raw = raw_frame(20)
    out = clean(raw)
    assert list(out.columns) == COLUMNS
    assert "affairs" not in out.columns and "yrs_marred" not in out.columns
    np.testing.assert_allclose(out["yrs_married"].to_numpy(dtype=float), raw["yrs_marred"].to_numpy(dtype=float))
    shuffled = clean(raw[list(reversed(RAW_COLUMNS))])
    assert list(shuffled.columns) == COLUMNS
    pd.testing.assert_frame_equal(shuffled, out)


def test_clean_types_index_and_input_untouched():
    raw = raw_frame(25).iloc[::-1]  # a non-default index
    before = raw.copy(deep=True)
    out = clean(raw)
    pd.testing.assert_frame_equal(raw, before)
    assert out.index.equals(pd.RangeIndex(len(out)))
    assert out["id"].dtype == np.int64 and out["had_affair"].dtype == np.int64
    assert all(out[c].dtype == np.float64 for c in COLUMNS[1:-1])


# ---------------------------------------------------------------- features and model
@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return clean(raw_frame(240, seed=1))


@pytest.fixture(scope="module")
def model(data) -> Model:
    return train(data, {"seed": 0})


def test_features_of_one_row_equal_the_batch(data):
    X = build_features(data)
    assert X.shape == (len(data), len(FEATURE_NAMES)) == (240, 20)
    assert X.dtype == np.float64
    for i in [0, 1, 3, 7, 14, 100, 239]:  # 0, 7, 14: children missing; 3, 14: income missing
        one = build_features(data.iloc[[i]])
        assert one.shape == (1, 20)
        np.testing.assert_allclose(one[0], X[i], rtol=1e-15, atol=0)
    part = data.iloc[50:60]
    np.testing.assert_allclose(build_features(part), X[50:60], rtol=1e-15, atol=0)
    np.testing.assert_allclose(build_features(data.iloc[::-1]), X[::-1], rtol=1e-15, atol=0)


def test_feature_values_by_hand():
    row = clean(one_row(id=5, age="40 yrs", yrs_marred=13.0, income="29.5k", occupation=3, occupation_husb=6,
                        children=2.0))
    x = dict(zip(FEATURE_NAMES, build_features(row)[0]))
    assert x["age"] == pytest.approx(40.0) and x["children"] == pytest.approx(2.0)
    assert x["log_income"] == pytest.approx(np.log1p(29500.0))
    assert x["age_at_marriage"] == pytest.approx(27.0)
    assert [x[f"occupation_{k}"] for k in range(1, 7)] == [0, 0, 1, 0, 0, 0]
    assert [x[f"occupation_husb_{k}"] for k in range(1, 7)] == [0, 0, 0, 0, 0, 1]
    gap = clean(one_row(id=6, yrs_marred=np.nan, income=""))
    y = dict(zip(FEATURE_NAMES, build_features(gap)[0]))
    assert np.isnan(y["yrs_married"]) and np.isnan(y["age_at_marriage"]) and np.isnan(y["log_income"])


def test_predict_proba_shape_and_labels(data, model):
    P = model.predict_proba(data)
    assert P.shape == (240, 2) and P.dtype == np.float64
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-12)
    assert ((P >= 0) & (P <= 1)).all()
    np.testing.assert_array_equal(model.predict(data), (P[:, 1] >= 0.5).astype(int))


def test_predict_one_equals_the_batch(data, model):
    P = model.predict_proba(data)[:, 1]
    labels = model.predict(data)
    for i in [0, 1, 3, 7, 14, 25, 100, 239]:
        served = model.predict_one(data.iloc[i].to_dict())
        assert served["probability"] == pytest.approx(P[i], rel=1e-12, abs=1e-12)
        assert int(served["label"]) == int(labels[i])
    # a row alone and the same row in another batch: still the same probability
    P_part = model.predict_proba(data.iloc[[14, 3]])[:, 1]
    np.testing.assert_allclose(P_part, P[[14, 3]], rtol=1e-12, atol=1e-12)


def test_save_load_round_trip(data, model, tmp_path):
    path = tmp_path / "model.json"
    model.save(path)
    json.loads(path.read_text())  # plain JSON
    loaded = Model.load(path)
    np.testing.assert_array_equal(loaded.predict_proba(data), model.predict_proba(data))
    gaps = data[data.isna().any(axis=1)]
    assert len(gaps) > 0
    np.testing.assert_array_equal(loaded.predict_proba(gaps), model.predict_proba(gaps))
    row = gaps.iloc[0].to_dict()
    assert loaded.predict_one(row)["probability"] == model.predict_one(row)["probability"]


def test_same_seed_same_model(data):
    a = train(data, {"seed": 3})
    b = train(data, {"seed": 3})
    np.testing.assert_array_equal(a.predict_proba(data), b.predict_proba(data))
    c = train(data, {"seed": 4})
    assert not np.array_equal(a.predict_proba(data), c.predict_proba(data))


def test_evaluate_schema(data, model):
    metrics = evaluate(model, data)
    assert list(metrics) == METRICS
    assert metrics["n_rows"] == 240
    assert metrics["base_rate"] == pytest.approx(data["had_affair"].mean())
    assert 0.0 <= metrics["accuracy"] <= 1.0 and 0.0 <= metrics["roc_auc"] <= 1.0 and metrics["log_loss"] > 0
