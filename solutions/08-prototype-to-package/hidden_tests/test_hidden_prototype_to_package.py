"""Hidden tests for lab 08: values go to the grader, which compares them with the reference package's.

No expected value lives here. The data come from the grader (solutions/.../hidden_data.py): a messy export drawn
by the shipped generator from a perturbed `fair` with a seed kept there, and a cleaned table whose held-out
labels never enter this process; plus hand-made rows where every injected problem appears (in another column
order).

Trained models. With the default alpha (1e-3) SGD amplifies rounding: the same features in another memory
order change a column's standard deviation by ~3e-14 and moved a held-out probability by up to 0.86
(absolute; measured over 30 seeds x 2 epoch counts). So probabilities are compared with the reference's only for
models trained with alpha = 0.03, where the same perturbations (Fortran-ordered features, +-2 ulp on every
standardized value) moved them by at most 6e-14 relative; the default alpha is graded by behaviour (held-out
accuracy, determinism, seeds that matter). predict/predict_one/save/load/evaluate are also checked on a Model
built here from given parameters, so no training noise reaches them.
"""
import json

import helpers
import numpy as np
import pandas as pd
from helpers import COLUMNS

# rtol for probabilities of a model trained with WELL (see the module docstring: 6e-14 measured, 1e4 margin)
TRAINED = {"rtol": 1e-9, "atol": 1e-12}
WELL = 0.03  # alpha for trained values compared with the reference's
# a model built from given parameters: z differs by a few ulps between correct summation orders, and
# P(no affair) may be 1 - expit(z) or expit(-z) (they differ by ~1e-16 absolute)
BUILT = {"rtol": 1e-10, "atol": 1e-14}


# ---------------------------------------------------------------- q1: clean
def messy(hidden_data) -> pd.DataFrame:
    return helpers.read_csv_bytes(hidden_data("messy_sample")["csv"])


def golden_rows() -> pd.DataFrame:
    """Every injected problem at least once, columns shuffled, ages and incomes in unusual spellings."""
    return pd.DataFrame({
        "income": ["12.5K", "0.25m", " 61000 ", "", "1.5M", "77.7k", "0.25m", "40k", "8800", None],
        "had_affair": [1, 0, 0, 1, 0, 1, 0, 0, 1, 0],
        "affairs": [2.5, 0.0, 0.0, 0.8, 0.0, 4.0, 0.0, 0.0, 0.1, 0.0],
        "age": ["17.5", "22 YRS", "999 yrs", "37 years", "-1", "42", "22 YRS", "16", "101", "27 Yrs"],
        "id": [101, 102, 103, 104, 105, 106, 102, 107, 108, 109],
        "yrs_marred": [0.5, 2.5, 13.0, np.nan, 23.0, 16.5, 2.5, 0.5, 9.0, 6.0],
        "rate_marriage": [2, 5, 4, 3, 1, 4, 5, 5, 3, 4],
        "children": [0.0, np.nan, 2.0, 3.0, 5.5, 4.0, np.nan, 0.0, 1.0, 2.0],
        "religious": [1.0, 2.0, np.nan, 4.0, 3.0, 2.0, 2.0, 1.0, np.nan, 3.0],
        "educ": [9, 12, 14, 16, 17, 20, 12, 14, 16, 12],
        "occupation": [1, 2, 3, 4, 5, 6, 2, 3, 4, 5],
        "occupation_husb": [6, 5, 4, 3, 2, 1, 5, 4, 3, 2],
    })


def record_frame(verdict, prefix: str, out: pd.DataFrame) -> None:
    verdict.equal(f"{prefix}columns", ",".join(map(str, out.columns)))
    verdict.equal(f"{prefix}dtypes", ",".join(str(t) for t in out.dtypes))
    verdict.equal(f"{prefix}index", np.asarray(out.index, dtype="int64"))
    for col in COLUMNS:
        # values are whole cents, parsed numbers or NaN: equal up to the last bit of a k/M product
        verdict.close(f"{prefix}{col}", np.asarray(out[col], dtype="float64"), rtol=1e-12)


def test_clean_golden_rows(answers, verdict):
    raw = golden_rows()
    out = answers.clean.clean(raw)
    record_frame(verdict, "", out)
    assert raw.equals(golden_rows()), "clean modified its input frame"


def test_clean_hidden_sample(answers, verdict, hidden_data):
    out = answers.clean.clean(messy(hidden_data))
    record_frame(verdict, "", out)
    verdict.equal("nan_counts", out[COLUMNS].isna().sum().to_numpy(dtype="int64"))


def test_clean_single_row_and_numbers(answers, verdict, hidden_data):
    """One row, and a frame whose age and income columns are already numbers (an upstream fix)."""
    raw = messy(hidden_data).iloc[[5]]
    record_frame(verdict, "one_", answers.clean.clean(raw))
    raw = messy(hidden_data).iloc[:40].copy()
    raw["age"] = pd.to_numeric(raw["age"].str.extract(r"(-?[0-9.]+)")[0])
    raw["income"] = np.linspace(1e4, 9e4, 40)
    record_frame(verdict, "num_", answers.clean.clean(raw))


def test_clean_leak_column_removed(answers, verdict, hidden_data):
    raw = messy(hidden_data)
    raw["affairs"] = raw["had_affair"] * 3.0  # a louder leak: the label itself, scaled
    out = answers.clean.clean(raw)
    verdict.equal("columns", ",".join(map(str, out.columns)))
    verdict.equal("n_rows", len(out))


# ---------------------------------------------------------------- q2: features
def hidden_split(hidden_data) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cleaned rows to train on (labelled) and held-out rows (had_affair withheld: 0), made by the grader."""
    d = hidden_data("fair_split")
    return helpers.cleaned_frame(d, "fit_"), helpers.cleaned_frame(d, "test_")


def test_features_hidden_batch(answers, verdict, hidden_data):
    fit, test = hidden_split(hidden_data)
    # data values, a difference and log1p: the same bits in any correct layout
    verdict.close("X_fit", answers.build_features(fit), rtol=1e-12)
    verdict.close("X_test", answers.build_features(test.iloc[::-1]), rtol=1e-12)


def test_features_single_rows_and_unknown_code(answers, verdict, hidden_data):
    data, _ = hidden_split(hidden_data)
    gaps = [i for i in range(len(data)) if data.iloc[i].isna().any()][:4]  # rows with missing values
    rows = [answers.build_features(data.iloc[[i]]) for i in [*gaps, 2, 50, 333, 700]]
    verdict.close("rows", np.vstack(rows), rtol=1e-12)
    odd = data.iloc[[0, 1, 2]].copy()
    odd["occupation"] = [7.0, 0.0, 6.0]  # unknown codes: an all-zero one-hot, same width
    verdict.close("odd", answers.build_features(odd), rtol=1e-12)


# ---------------------------------------------------------------- q3: the model
def trained(answers, hidden_data, cfg):
    fit, test = hidden_split(hidden_data)
    return answers.train(fit, cfg), fit, test


def probabilities(model, frame) -> np.ndarray:
    return np.asarray(model.predict_proba(frame), dtype="float64")


def test_model_state_and_probabilities(answers, verdict, hidden_data):
    model, _, test = trained(answers, hidden_data, {"seed": 21, "alpha": WELL, "epochs": 15})
    # medians are data values (or the mean of two); means and standard deviations of 900 numbers in another
    # summation order differ by ~1e-15 relative (a one-pass variance by up to (mean/sd)^2 ulps, ~2e-13)
    verdict.close("medians", np.asarray(model.medians, dtype="float64"), rtol=1e-12)
    verdict.close("means", np.asarray(model.means, dtype="float64"), rtol=1e-12, atol=1e-15)
    verdict.close("scales", np.asarray(model.scales, dtype="float64"), rtol=1e-10)
    verdict.close("proba", probabilities(model, test), **TRAINED)


def test_model_default_recipe_accuracy(answers, verdict, hidden_data):
    model, _, test = trained(answers, hidden_data, {"seed": 4})  # alpha and epochs: DEFAULTS
    # 2,100 held-out rows: majority class 0.680; the recipe reaches 0.705-0.725 over 30 seeds (the spread
    # that rounding differences also produce at this alpha); 0.695 fails a model that learned nothing
    verdict.accuracy("held_out", np.asarray(model.predict(test)), truth="fair_split.y_test", minimum=0.695)


def test_model_same_seed_identical(answers, verdict, hidden_data):
    fit, test = hidden_split(hidden_data)
    a, b = answers.train(fit, {"seed": 8}), answers.train(fit, {"seed": 8})
    pa = probabilities(a, test)
    verdict.same("same data, same seed: run 2 vs run 1", probabilities(b, test), pa)  # "identical"
    c = answers.train(fit, {"seed": 9})
    # two seeds differ in the 2nd-3rd decimal; a seed that is ignored gives a gap of exactly 0
    verdict.bound("seeds 9 and 8: largest probability gap", float(np.abs(probabilities(c, test) - pa).max()),
                  low=1e-6)
    well = answers.train(fit, {"seed": 8, "alpha": WELL})  # epochs from DEFAULTS
    verdict.close("seed_8_proba", probabilities(well, test), **TRAINED)


def test_model_save_load_round_trip(answers, verdict, hidden_data, tmp_path):
    model, _, test = trained(answers, hidden_data, {"seed": 4, "alpha": WELL, "epochs": 12})
    model.save(tmp_path / "m.json")
    json.loads((tmp_path / "m.json").read_text())  # plain JSON
    loaded = type(model).load(tmp_path / "m.json")
    before, after = probabilities(model, test), probabilities(loaded, test)
    verdict.same("loaded vs saved model: probabilities", after, before)  # bit for bit
    verdict.close("after", after, **TRAINED)
    built = built_model(answers)
    built.save(tmp_path / "built.json")
    again = type(built).load(tmp_path / "built.json")
    verdict.same("built model, loaded vs saved: probabilities", probabilities(again, test),
                 probabilities(built, test))
    verdict.close("built_after", probabilities(again, test), **BUILT)


def test_model_predict_one_equals_batch(answers, verdict, hidden_data):
    model, _, test = trained(answers, hidden_data, {"seed": 2, "alpha": WELL, "epochs": 15})
    gaps = [i for i in range(len(test)) if test.iloc[i].isna().any()][:6]
    rows = gaps + [0, 10, 20]
    one = [model.predict_one(test.iloc[i].to_dict()) for i in rows]
    probs = np.array([o["probability"] for o in one], dtype="float64")
    # one row and a batch may sum the dot product in another order (BLAS): a few ulps
    verdict.same("predict_one vs the batch's probability", probs, probabilities(model, test)[rows, 1], rtol=1e-12)
    verdict.close("probability", probs, **TRAINED)
    verdict.equal("label", np.array([int(o["label"]) for o in one], dtype="int64"))


# a Model built from given parameters: predict, predict_one and evaluate without any training noise
BUILT_MEANS = [4.1, 29.1, 9.0, 1.4, 2.4, 14.2, 10.3, 20.1, 0.01, 0.14, 0.43, 0.29, 0.11, 0.02,
               0.04, 0.21, 0.08, 0.32, 0.28, 0.07]
BUILT_SCALES = [0.95, 6.8, 7.3, 1.4, 0.88, 2.2, 0.37, 3.5, 0.1, 0.35, 0.5, 0.45, 0.31, 0.14,
                0.2, 0.41, 0.27, 0.47, 0.45, 0.26]
BUILT_MEDIANS = [4.0, 28.3, 6.1, 1.0, 2.0, 14.0, 10.3125, 19.7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]


def built_model(answers, zero: bool = False):
    rng = np.random.default_rng(808)
    coef = np.zeros(20) if zero else rng.normal(0.0, 0.45, 20) + 1e-7 / 3  # every digit used
    return answers.Model(medians=np.array(BUILT_MEDIANS) * (1 + 1e-9 / 7), means=np.array(BUILT_MEANS),
                         scales=np.array(BUILT_SCALES), coef=coef, intercept=0.0 if zero else -0.81234567891,
                         config={"seed": 0, "alpha": 1e-3, "epochs": 20})


def test_model_built_predictions_and_metrics(answers, verdict, hidden_data):
    fit, test = hidden_split(hidden_data)
    model = built_model(answers)
    verdict.close("proba", probabilities(model, test), **BUILT)
    labels = model.predict(test)
    verdict.equal("labels", np.asarray(labels, dtype="int64"))
    verdict.equal("labels_dtype", str(np.asarray(labels).dtype))  # the docstring: (n,) int64
    gaps = [i for i in range(len(test)) if test.iloc[i].isna().any()][:4]
    one = [model.predict_one(test.iloc[i].to_dict()) for i in [*gaps, 1, 2]]
    verdict.close("one_probability", np.array([o["probability"] for o in one], dtype="float64"), **BUILT)
    verdict.equal("one_label", np.array([int(o["label"]) for o in one], dtype="int64"))
    metrics = answers.evaluate(model, fit)
    verdict.equal("keys", ",".join(metrics))
    verdict.equal("types", ",".join(type(v).__name__ for v in metrics.values()))
    # sklearn's or a hand-written log loss / AUC on probabilities in (0.01, 0.99): equal to ~1e-15
    verdict.close("metrics", np.array(list(metrics.values()), dtype="float64"), rtol=1e-9)


def test_model_probability_one_half_is_label_one(answers, verdict, hidden_data):
    """coef = 0, intercept = 0: every probability is exactly 0.5, and the docstring says label 1 (>= 0.5)."""
    fit, test = hidden_split(hidden_data)
    model = built_model(answers, zero=True)
    verdict.close("proba", probabilities(model, test.iloc[:20]), rtol=0)  # z = 0 exactly, expit(0) = 0.5
    verdict.equal("labels", np.asarray(model.predict(test.iloc[:20]), dtype="int64"))
    verdict.equal("one_label", int(model.predict_one(test.iloc[3].to_dict())["label"]))
    verdict.close("metrics", np.array(list(answers.evaluate(model, fit).values()), dtype="float64"), rtol=1e-9)


# ---------------------------------------------------------------- q4: the command line
def test_cli_train_predict_evaluate(answers, verdict, tmp_path, monkeypatch, capsys, hidden_data):
    """FSDL-style smoke test: `train` as a user runs it, in a fresh process, on a tiny file with a non-default
    seed, test size and alpha (alpha 0.03: trained metrics comparable with the reference's, see the top);
    predict and evaluate then run in this process (a fresh interpreter costs seconds)."""
    small = tmp_path / "tiny.csv"
    messy(hidden_data).iloc[:300].to_csv(small, index=False)
    done = helpers.cli_train(answers.cli.__file__, small, "out", tmp_path, "--seed", "17", "--test-size", "0.3",
                             "--alpha", str(WELL), timeout=50)
    assert done.returncode == 0, f"cli.py train exited with {done.returncode}: {done.stderr[-600:]}"
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    verdict.equal("keys", ",".join(metrics))
    verdict.close("metrics", np.array(list(metrics.values()), dtype="float64"), **TRAINED)

    monkeypatch.chdir(tmp_path)
    main = answers.cli.main
    verdict.equal("predict_exit", helpers.exit_code(main, ["predict", "--model", "out", "--data", str(small),
                                                          "--out", "p.csv"]))
    pred = pd.read_csv(tmp_path / "p.csv")
    verdict.equal("pred_columns", ",".join(pred.columns))
    verdict.close("pred_proba", pred["probability"].to_numpy(dtype="float64"), **TRAINED)
    verdict.equal("pred_ids", pred["id"].to_numpy(dtype="int64"))
    verdict.equal("pred_labels", pred["label"].to_numpy(dtype="int64"))
    capsys.readouterr()
    verdict.equal("evaluate_exit", helpers.exit_code(main, ["evaluate", "--model", "out", "--data", str(small)]))
    printed = json.loads(capsys.readouterr().out)
    verdict.equal("eval_keys", ",".join(printed))
    verdict.close("eval_values", np.array(list(printed.values()), dtype="float64"), **TRAINED)


def test_cli_bad_path_is_an_error(answers, verdict, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    verdict.equal("exit_code", helpers.exit_code(answers.cli.main, ["train", "--data", "missing.csv", "--out", "o"]))
    assert not (tmp_path / "o").exists(), "train wrote an output folder for a data file that does not exist"
    assert "missing.csv" in capsys.readouterr().err, "the error message does not name the missing file"
