"""Public checks for lab 08. Oracles here are hand-written rows, the raw file itself, and your own model
(a saved-and-loaded model must equal the original; one row must equal its batch).

Hidden tests at grading use other rows, a messy sample drawn with another seed, and other seeds for
training and the command line; their values are compared with a reference package's.
"""
import hashlib
import json
import math

import helpers
import numpy as np
import pandas as pd
import pytest
from helpers import COLUMNS, METRICS

from autograder.paths import DATASETS

DATA = DATASETS / "08-prototype-to-package"
CSV = DATA / "messy_fair.csv"


def raw_file() -> pd.DataFrame:
    digest = hashlib.sha256(CSV.read_bytes()).hexdigest()
    assert digest == (DATA / "messy_fair.csv.sha256").read_text().split()[0], \
        "messy_fair.csv differs from the shipped file: rerun datasets/08-prototype-to-package/make_messy_fair.py"
    return pd.read_csv(CSV)


def hand_rows() -> pd.DataFrame:
    """Five raw rows whose clean values are written out below (row 4 repeats respondent 2)."""
    return pd.DataFrame({
        "id": [1, 2, 3, 4, 2],
        "rate_marriage": [5, 3, 4, 2, 3],
        "age": ["32", "27 yrs", "150", "42 Years", "27 yrs"],
        "yrs_marred": [9.0, 6.0, np.nan, 16.5, 6.0],
        "children": [2.0, np.nan, 0.0, 3.0, np.nan],
        "religious": [3.0, 1.0, 2.0, np.nan, 1.0],
        "educ": [14, 16, 12, 20, 16],
        "occupation": [3, 5, 2, 4, 5],
        "occupation_husb": [4, 5, 1, 6, 5],
        "income": ["41.5k", "0.12M", "", "38200", "0.12M"],
        "affairs": [0.0, 1.4, 0.0, 0.25, 1.4],
        "had_affair": [0, 1, 0, 1, 1],
    })


HAND_CLEAN = {  # the clean values of hand_rows(), worked out by hand from the contract in clean.py
    "id": [1, 2, 3, 4],
    "age": [32.0, 27.0, np.nan, 42.0],
    "yrs_married": [9.0, 6.0, np.nan, 16.5],
    "children": [2.0, np.nan, 0.0, 3.0],
    "income": [41500.0, 120000.0, np.nan, 38200.0],
    "had_affair": [0, 1, 0, 1],
}


def test_clean_hand_rows(answers, verdict):
    raw = hand_rows()
    before = raw.copy()
    out = answers.clean.clean(raw)
    verdict.equal("columns", ",".join(out.columns), expected=",".join(COLUMNS))
    verdict.equal("index", out.index.to_numpy(), expected=np.arange(4))
    for col, want in HAND_CLEAN.items():
        # exact: every value is a whole number of cents or NaN
        verdict.close(col, out[col].to_numpy(dtype="float64"), expected=np.array(want, dtype="float64"), rtol=0)
    verdict.equal("dtypes", ",".join(str(t) for t in out.dtypes),
                  expected=",".join(["int64"] + ["float64"] * 9 + ["int64"]))
    pd.testing.assert_frame_equal(raw, before)  # clean must not modify its input


def test_clean_shipped_file(answers, verdict):
    raw = raw_file()
    out = answers.clean.clean(raw)
    unique = raw.drop_duplicates(subset="id")
    verdict.equal("n_rows", len(out), expected=unique["id"].nunique())  # only duplicates go
    verdict.equal("leak_gone", int("affairs" in out.columns), expected=0)
    verdict.equal("income_missing", int(out["income"].isna().sum()), expected=int(unique["income"].isna().sum()))
    # an independent reading of age: the leading number, kept when it is a possible age
    lead = pd.to_numeric(unique["age"].str.extract(r"^\s*(-?[0-9.]+)")[0], errors="coerce")
    verdict.equal("age_missing", int(out["age"].isna().sum()), expected=int((~lead.between(16, 100)).sum()))
    # whole dollars after rounding to the cent: equal up to the last bit of a k/M product
    verdict.close("income_median", float(out["income"].median()), rtol=1e-12,
                  expected=float(np.nanmedian(
                      [float(s[:-1]) * {"k": 1e3, "m": 1e6}[s[-1].lower()] if s[-1] in "kKmM" else float(s)
                       for s in unique["income"].dropna()])))


def cleaned(answers, n=None) -> pd.DataFrame:
    out = answers.clean.clean(raw_file())
    return out if n is None else out.iloc[:n].reset_index(drop=True)


def test_features_hand_row(answers, verdict):
    X = answers.build_features(answers.clean.clean(hand_rows()))
    verdict.equal("shape", list(X.shape), expected=[4, 20])
    first = [5, 32, 9, 2, 3, 14, math.log1p(41500), 32 - 9, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0]
    verdict.close("row0", X[0], expected=np.array(first, dtype="float64"), rtol=1e-12)  # data values and log1p
    # NaN stays NaN (the model imputes): row 2 has no age, no yrs_married, no income, so no
    # log_income and no age_at_marriage either
    verdict.equal("nan_pattern", np.isnan(X[2]).astype(int),
                  expected=np.array([0, 1, 1, 0, 0, 0, 1, 1] + [0] * 12))


def test_features_one_row_equals_batch(answers, verdict):
    data = cleaned(answers, 200)
    batch = answers.build_features(data)
    rows = np.vstack([answers.build_features(data.iloc[[i]]) for i in (0, 17, 123)])
    verdict.close("rows", rows, expected=batch[[0, 17, 123]], rtol=1e-12)  # row-wise: the same numbers


@pytest.fixture
def split(answers):
    data = cleaned(answers)
    return data.iloc[:3000].reset_index(drop=True), data.iloc[3000:].reset_index(drop=True)


def test_model_accuracy_and_metrics(answers, verdict, split):
    fit, test = split
    model = answers.train(fit, {"seed": 0})
    # majority class gives 0.689 on this split; the reference reaches 0.724; a leak would give ~0.95
    verdict.accuracy("test", model.predict(test), y_true=test["had_affair"].to_numpy(), minimum=0.70)
    metrics = answers.evaluate(model, test)
    verdict.equal("keys", ",".join(metrics), expected=",".join(METRICS))
    p = model.predict_proba(test)[:, 1]
    y = test["had_affair"].to_numpy()
    # sklearn's log loss sums in another order (and clips at machine epsilon, far from these probabilities)
    verdict.close("log_loss", metrics["log_loss"], expected=-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)),
                  rtol=1e-9)
    verdict.close("base_rate", metrics["base_rate"], expected=y.mean(), rtol=1e-12)  # a share of 1,000 labels


def test_model_round_trip_and_seed(answers, verdict, split, tmp_path):
    fit, test = split
    model = answers.train(fit, {"seed": 3})
    p = model.predict_proba(test)
    model.save(tmp_path / "model.json")
    json.loads((tmp_path / "model.json").read_text())  # the saved model is plain JSON
    loaded = type(model).load(tmp_path / "model.json")
    verdict.close("loaded", loaded.predict_proba(test), expected=p, rtol=0)  # bit for bit
    again = answers.train(fit, {"seed": 3})
    verdict.close("same_seed", again.predict_proba(test), expected=p, rtol=0)


def test_model_predict_one_equals_batch(answers, verdict, split):
    fit, test = split
    model = answers.train(fit, {"seed": 0})
    rows = [i for i in range(len(test)) if test.iloc[i].isna().any()][:3] + [0, 1]  # rows with gaps included
    one = [model.predict_one(test.iloc[i].to_dict()) for i in rows]
    proba, labels = model.predict_proba(test)[:, 1], model.predict(test)
    # one row and a batch may sum the dot product in another order (BLAS): a few ulps
    verdict.close("probability", np.array([o["probability"] for o in one]), expected=proba[rows], rtol=1e-12)
    verdict.equal("label", np.array([o["label"] for o in one]), expected=labels[rows])


def test_cli_train_evaluate_predict(answers, verdict, tmp_path, monkeypatch, capsys):
    small = tmp_path / "small.csv"
    raw_file().iloc[:400].to_csv(small, index=False)
    # train as a user runs it: a fresh interpreter, from another folder
    done = helpers.cli_train(answers.cli.__file__, small, "run", tmp_path, "--seed", "1")
    assert done.returncode == 0, done.stderr[-800:]
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    verdict.equal("keys", ",".join(metrics), expected=",".join(METRICS))
    n_unique = pd.read_csv(small)["id"].nunique()
    verdict.equal("n_test", metrics["n_rows"], expected=math.ceil(0.25 * n_unique))  # train_test_split rounds up
    # predict and evaluate in this process (a fresh interpreter costs seconds of imports)
    monkeypatch.chdir(tmp_path)
    verdict.equal("predict_exit", helpers.exit_code(answers.cli.main, ["predict", "--model", "run", "--data",
                                                                      str(small), "--out", "pred.csv"]), expected=0)
    pred = pd.read_csv(tmp_path / "pred.csv")
    verdict.equal("pred_columns", ",".join(pred.columns), expected="id,probability,label")
    verdict.equal("pred_labels", pred["label"].to_numpy(), expected=(pred["probability"] >= 0.5).to_numpy().astype(int))
    capsys.readouterr()
    verdict.equal("evaluate_exit", helpers.exit_code(answers.cli.main, ["evaluate", "--model", "run", "--data",
                                                                       str(small)]), expected=0)
    printed = json.loads(capsys.readouterr().out)
    verdict.equal("eval_rows", printed["n_rows"], expected=n_unique)
