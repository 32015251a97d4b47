"""Hidden tests for lab 07 part A: values go to the grader, which compares them with the reference solution's.

No expected value is stored here: the grader runs the reference solution through these same tests and keeps its
values and tolerances. The reference itself agrees with scikit-learn's StandardScaler, KBinsDiscretizer
(quantile, linear), OneHotEncoder, TargetEncoder (same folds, fixed smoothing) and PCA to ~1e-15 (measured),
so matching the reference is matching scikit-learn. Columns, seeds and splits differ from the public tests;
the property tests use hypothesis with the kit's derandomized profile, so every run sees the same examples.
"""
import numpy as np
import pandas as pd
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.stats import binomtest
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline


def _examples_independent_of_answer_code():
    """Hypothesis mixes literals it finds in local modules (your answer files too) into the examples it draws: two
    submissions would then see different examples, and the values they record could not be compared with the
    reference's. Switch that off (hypothesis is pinned in pyproject.toml; if its internals move, nothing happens)."""
    try:
        from hypothesis.internal.conjecture import providers

        empty = providers.Constants()
        providers._get_local_constants = lambda: empty
        providers.CONSTANTS_CACHE.cache.clear()
    except (ImportError, AttributeError):  # pragma: no cover
        pass


_examples_independent_of_answer_code()

# float64 everywhere: the same formula in another order agrees to ~1e-15; 1e-10 leaves room for that and for
# equivalent formulas (x / s vs x * (1 / s)), while any real bug (wrong mean, wrong ddof, wrong quantile) is off
# by far more.
RTOL, ATOL = 1e-10, 1e-12
PROPERTY = settings(max_examples=10, phases=[Phase.generate], suppress_health_check=list(HealthCheck))


def fair():
    from statsmodels.datasets import fair as fair_data

    data = fair_data.load_pandas().data
    return data.drop(columns="affairs"), data["affairs"].to_numpy()


def anes():
    from statsmodels.datasets import anes96

    data = anes96.load_pandas().data
    cols = ["popul", "TVnews", "selfLR", "ClinLR", "DoleLR", "PID", "age", "educ", "income"]
    return data[cols].copy(), data["vote"].to_numpy().astype(np.int64)


def shuffled_cancer(seed=77):
    X, y = load_breast_cancer(return_X_y=True)
    idx = np.random.default_rng(seed).permutation(len(X))
    return X[idx], y[idx]


def as_float(a):
    return np.asarray(a, dtype=np.float64)


# hidden matrices: other shapes and magnitudes than the public ones
MATRICES = arrays(np.float64, st.tuples(st.integers(2, 25), st.integers(1, 5)),
                  elements=st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, allow_subnormal=False))
CODES = arrays(np.int64, st.tuples(st.integers(2, 25), st.integers(1, 3)), elements=st.integers(-3, 5))


def parity(est, X_fit, X_serve):
    """Transform X_serve as a batch and row by row; the two must be identical (train/serve parity)."""
    batch = as_float(est.fit(X_fit).transform(X_serve))
    rows = np.vstack([as_float(est.transform(X_serve[i:i + 1])) for i in range(len(X_serve))])
    assert np.array_equal(rows, batch, equal_nan=True), \
        f"{type(est).__name__}: a row transformed alone differs from the same row in a batch"
    return batch.ravel()


# --- q1: ZScore and LogClip ------------------------------------------------------------------------------------
def test_scale_zscore_hidden_columns(answers, verdict):
    X, _ = shuffled_cancer()
    X = X[:, 5:17]
    z = answers.features.ZScore().fit(X[:350])
    verdict.close("mean_", as_float(z.mean_), rtol=RTOL, atol=ATOL)
    verdict.close("transform", as_float(z.transform(X[350:])), rtol=RTOL, atol=ATOL)
    verdict.close("inverse", as_float(z.inverse_transform(z.transform(X[350:]))), rtol=RTOL, atol=ATOL)


def test_scale_zscore_nan_and_constant_hidden(answers, verdict):
    X = np.array([[np.nan, 0.3, -2.0, 7.0], [4.0, 0.3, np.nan, np.nan], [1.0, 0.3, 5.0, np.nan],
                  [9.0, 0.3, 1.0, np.nan], [np.nan, 0.3, -4.0, np.nan]])
    z = answers.features.ZScore().fit(X)
    # 0.3 five times has variance ~1e-34 from rounding and a single observed 7.0 has variance 0: both are constant
    # columns (scale 1, mapped to 0); a plain std == 0 test divides by ~1e-17 and gives values of order 1 or nan
    verdict.close("transform", as_float(z.transform(X)), rtol=RTOL, atol=ATOL)
    verdict.close("serving row", as_float(z.transform(np.array([[2.0, 0.31, np.nan, 6.0]]))), rtol=RTOL, atol=ATOL)


def test_scale_logclip_hidden(answers, verdict):
    X, _ = shuffled_cancer(5)
    X = X[:, [2, 3, 12, 13, 22, 23]]
    X = X - np.median(X, axis=0)  # both signs
    t = answers.features.LogClip(lower=0.02, upper=0.97).fit(X[:300])
    out = as_float(t.transform(X[300:]))
    verdict.close("lower_ upper_", np.vstack([as_float(t.lower_), as_float(t.upper_)]), rtol=RTOL, atol=ATOL)
    verdict.close("transform", out, rtol=RTOL, atol=ATOL)
    verdict.close("inverse", as_float(t.inverse_transform(out)), rtol=1e-9, atol=1e-9)  # expm1(log1p) ~1e-13 rel.
    with_nan = X[300:305].copy()
    with_nan[[0, 3], [1, 4]] = np.nan
    verdict.close("nan passes", as_float(t.transform(with_nan)), rtol=RTOL, atol=ATOL)


def test_scale_single_row_parity_property(answers, verdict):
    f = answers.features
    got = []

    @PROPERTY
    @given(MATRICES, st.sampled_from([(0.0, 1.0), (0.05, 0.95), (0.25, 0.5)]))
    def run(X, levels):
        got.append(parity(f.ZScore(), X, X[::-1]))
        got.append(parity(f.LogClip(*levels), X, X))

    run()
    verdict.close("batch transforms", np.concatenate(got), rtol=1e-9, atol=1e-9)


def test_scale_invertible_property(answers, verdict):
    f = answers.features
    got = []

    @PROPERTY
    @given(MATRICES)
    def run(X):
        z = f.ZScore().fit(X)
        back = as_float(z.inverse_transform(z.transform(X)))
        # round-off of (x - m) / s * s + m is a few ulps of 1e6 (~1e-10); 1e-6 absolute is ample, a bug is O(1)
        assert np.allclose(back, X, rtol=0, atol=1e-6), "ZScore.inverse_transform(transform(X)) is not X"
        lc = f.LogClip(0.0, 1.0).fit(X)
        back_lc = as_float(lc.inverse_transform(lc.transform(X)))
        assert np.allclose(back_lc, X, rtol=1e-9, atol=1e-9), "LogClip(0, 1) should invert exactly"
        got.extend([back.ravel(), back_lc.ravel()])

    run()
    verdict.close("round trips", np.concatenate(got), rtol=1e-9, atol=1e-6)


def test_scale_mutating_serving_rows_hidden(answers, verdict):
    X, _ = shuffled_cancer(9)
    train, serve = X[:300, :8], X[300:, :8].copy()
    out = {}
    for est in (answers.features.ZScore(), answers.features.LogClip()):
        est.fit(train)
        before = as_float(est.transform(serve))
        mutated = serve.copy()
        mutated[:40] = mutated[:40] * -1e6  # a unit bug upstream on 40 serving rows
        mutated[40:45] = np.nan
        after = as_float(est.transform(mutated))
        assert np.array_equal(after[45:], before[45:]), f"{type(est).__name__}: other rows moved"
        out[type(est).__name__] = after[45:]
    verdict.close("untouched rows (ZScore)", out["ZScore"], rtol=RTOL, atol=ATOL)
    verdict.close("untouched rows (LogClip)", out["LogClip"], rtol=RTOL, atol=ATOL)


# --- q2: QuantileBinner ----------------------------------------------------------------------------------------
def test_binner_hidden_columns(answers, verdict):
    X, _ = shuffled_cancer(13)
    for n_bins in (3, 7):
        b = answers.features.QuantileBinner(n_bins=n_bins).fit(X[:280, 8:16])
        verdict.close(f"bins ({n_bins})", as_float(b.transform(X[280:, 8:16])), rtol=0)


def test_binner_hidden_tied_codes(answers, verdict):
    X, _ = fair()
    X = X[["rate_marriage", "educ", "occupation_husb", "yrs_married"]].to_numpy()
    b = answers.features.QuantileBinner(n_bins=5).fit(X[2000:])
    verdict.close("bins", as_float(b.transform(X[:2000])), rtol=0)
    verdict.equal("n_bins_", np.asarray(b.n_bins_, dtype=np.int64))
    verdict.close("edges", np.concatenate([as_float(e) for e in b.bin_edges_]), rtol=RTOL, atol=ATOL)


def test_binner_hidden_nan_and_range(answers, verdict):
    rng = np.random.default_rng(21)
    train = rng.lognormal(size=(200, 2))
    train[::7, 0] = np.nan  # missing values are ignored when the edges are learned
    b = answers.features.QuantileBinner(n_bins=6).fit(train)
    serve = np.array([[-1.0, 1e9], [np.nan, 0.5], [1.0, np.nan], [1e-9, 2.0]])
    verdict.close("bins", as_float(b.transform(serve)), rtol=0)


def test_binner_property_parity(answers, verdict):
    f = answers.features
    got = []

    @PROPERTY
    @given(MATRICES, st.integers(2, 6))
    def run(X, n_bins):
        got.append(parity(f.QuantileBinner(n_bins=n_bins), X, X[::-1]))

    run()
    verdict.close("bins", np.concatenate(got), rtol=0)


# --- q3: OneHot ---------------------------------------------------------------------------------------------------
def test_onehot_hidden_fair_columns(answers, verdict):
    X, _ = fair()
    X = X[["children", "religious", "occupation"]].to_numpy()
    idx = np.random.default_rng(31).permutation(len(X))
    enc = answers.features.OneHot().fit(X[idx[:300]])  # 300 rows: some rare codes stay unseen
    verdict.close("one-hot", as_float(enc.transform(X[idx[300:]])), rtol=0)


def test_onehot_hidden_strings_nan_unseen(answers, verdict):
    nan = np.nan
    train = pd.DataFrame({"city": ["Oslo", "Lima", nan, "Oslo", "Accra"], "plan": ["pro", "free", "free", "team", nan]})
    serve = pd.DataFrame({"city": ["Lima", "Quito", nan, "Accra"], "plan": [nan, "enterprise", "pro", "team"]})
    enc = answers.features.OneHot().fit(train)
    verdict.close("one-hot", as_float(enc.transform(serve)), rtol=0)
    strict = answers.features.OneHot(handle_unknown="error").fit(train)
    verdict.close("strict on known values", as_float(strict.transform(train)), rtol=0)
    try:
        strict.transform(serve)
    except ValueError:
        pass
    else:
        raise AssertionError("handle_unknown='error' accepted a category never seen in fit")


def test_onehot_property_parity(answers, verdict):
    f = answers.features
    got = []

    @PROPERTY
    @given(CODES, CODES)
    def run(fit_codes, serve_codes):
        k = min(fit_codes.shape[1], serve_codes.shape[1])
        got.append(parity(f.OneHot(), fit_codes[:, :k], serve_codes[:, :k]))  # unseen codes must not raise

    run()
    verdict.close("one-hot", np.concatenate(got), rtol=0)


# --- q4: TargetEncoder ---------------------------------------------------------------------------------------------
def fair_categories():
    X, affairs = fair()
    pair = (X["occupation"] * 10 + X["occupation_husb"]).to_numpy()  # a 36-level cross
    cats = np.stack([X["rate_marriage"].to_numpy(), X["religious"].to_numpy(), pair], axis=1)
    return cats, affairs


def test_target_hidden_out_of_fold(answers, verdict):
    X, affairs = fair_categories()
    y = (affairs > 0).astype(float)
    enc = answers.features.TargetEncoder(smoothing=7.0, n_folds=3, random_state=11).fit_transform(X, y)
    verdict.close("out-of-fold encodings", as_float(enc), rtol=RTOL, atol=ATOL)


def test_target_hidden_continuous_and_unseen(answers, verdict):
    X, affairs = fair_categories()
    te = answers.features.TargetEncoder(smoothing=4.0).fit(X[:3000], affairs[:3000])  # a numeric target
    serve = X[3000:3300].astype(object)
    serve[::10, 2] = 99.0  # an occupation pair nobody had
    serve[5::10, 0] = np.nan  # missing, never seen in fit: the prior
    verdict.close("encodings", as_float(te.transform(serve)), rtol=RTOL, atol=ATOL)
    verdict.close("prior_", float(te.prior_), rtol=RTOL)


def test_target_hidden_random_labels(answers, verdict):
    """On pure-noise labels an out-of-fold encoding predicts nothing (AUC ~0.5; leaky full-fit encoding ~0.8)."""
    rng = np.random.default_rng(2024)
    X = np.stack([rng.integers(0, 500, 1500), rng.integers(0, 50, 1500)], axis=1)
    y = rng.integers(0, 2, 1500)
    enc = as_float(answers.features.TargetEncoder(smoothing=2.0, n_folds=4, random_state=5).fit_transform(X, y))
    aucs = [roc_auc_score(y, enc[:, j]) for j in range(2)]
    # 0.6: the honest encoding measured 0.47-0.52 over seeds, the leaky one 0.79-0.82 (see the public test)
    assert max(aucs) <= 0.6, f"the encoding predicts random labels (AUC {max(aucs):.2f}): not out-of-fold"
    verdict.close("encodings", enc, rtol=RTOL, atol=ATOL)
    verdict.close("AUC", np.array(aucs), rtol=1e-9)


def test_target_hidden_transform_after_fit_transform(answers, verdict):
    X, affairs = fair_categories()
    y = (affairs > 1).astype(float)
    te = answers.features.TargetEncoder(smoothing=3.0, n_folds=5, random_state=0)
    te.fit_transform(X[:2500], y[:2500])
    # after fit_transform, serving uses encodings learned on all the training rows
    verdict.close("serving encodings", as_float(te.transform(X[2500:2800])), rtol=RTOL, atol=ATOL)


# --- q5: mutual information ----------------------------------------------------------------------------------------
def test_mi_hidden_fair(answers, verdict):
    X, affairs = fair()
    X = X[["educ", "children", "rate_marriage", "age", "occupation"]].to_numpy()
    order, scores = answers.features.mutual_information_ranking(X[1000:], (affairs[1000:] > 0).astype(int))
    verdict.close("scores", as_float(scores), rtol=RTOL, atol=ATOL)
    verdict.equal("order", np.asarray(order, dtype=np.int64))


def test_mi_hidden_binned_and_ties(answers, verdict):
    X, y = shuffled_cancer(4)
    X = np.hstack([X[:, 10:16], X[:, [12]]])  # column 6 duplicates column 2: a tie, ranked by column index
    order, scores = answers.features.mutual_information_ranking(X, y, n_bins=6)
    verdict.close("scores", as_float(scores), rtol=RTOL, atol=ATOL)
    verdict.equal("order", np.asarray(order, dtype=np.int64))


# --- q6: PCA ------------------------------------------------------------------------------------------------------
def canonical(Z, comps):
    Z, comps = as_float(Z), as_float(comps)
    signs = np.sign(comps[np.arange(len(comps)), np.argmax(np.abs(comps), axis=1)])
    return Z * signs, comps * signs[:, None]


def test_pca_hidden_digits(answers, verdict):
    X = load_digits().data[700:1500]
    Z, comps, ratio = answers.features.pca_fit_transform(X, 6)
    Z, comps = canonical(Z, comps)
    # LAPACK SVDs of the same centered matrix agree to ~1e-12; components up to sign (fixed by canonical())
    verdict.close("components", comps, rtol=1e-8, atol=1e-10)
    verdict.close("Z", Z, rtol=1e-8, atol=1e-8)
    verdict.close("explained variance ratio", as_float(ratio), rtol=1e-10)


def test_pca_hidden_uncentered_data(answers, verdict):
    X, _ = shuffled_cancer(8)
    X = X[:, [0, 1, 2, 20, 21]]  # raw measurements: means of 14 to 110, far from the origin
    Z, comps, ratio = answers.features.pca_fit_transform(X, 3)
    Z, comps = canonical(Z, comps)
    verdict.close("components", comps, rtol=1e-8, atol=1e-10)
    verdict.close("Z", Z, rtol=1e-8, atol=1e-8)
    verdict.close("explained variance ratio", as_float(ratio), rtol=1e-10)
    verdict.close("gram", comps @ comps.T, rtol=0, atol=1e-10)  # orthonormal rows


# --- q7: fit on train only, serve the same, and a feature set that earns its keep ---------------------------------
def test_pipeline_hidden_train_test_transform(answers, verdict):
    X, _ = shuffled_cancer(17)
    f = answers.features
    for name, est in (("ZScore", f.ZScore()), ("QuantileBinner", f.QuantileBinner(n_bins=4))):
        tr, te = f.train_test_transform(est, X[:250, 3:9], X[250:, 3:9] * 1.5)  # a shifted test set
        assert not any(k.endswith("_") and not k.startswith("_") for k in vars(est)), f"{name} argument was fitted"
        verdict.close(f"{name} train", as_float(tr), rtol=RTOL, atol=ATOL)
        verdict.close(f"{name} test", as_float(te), rtol=RTOL, atol=ATOL)


def mcnemar_p(y, pred_a, pred_b):
    """Exact two-sided McNemar p-value (scipy's binomtest on the discordant pairs)."""
    a_only = int(np.sum((pred_a == y) & (pred_b != y)))
    b_only = int(np.sum((pred_a != y) & (pred_b == y)))
    return 1.0 if a_only + b_only == 0 else binomtest(b_only, a_only + b_only, 0.5).pvalue


def test_pipeline_hidden_representation_gain(answers, verdict):
    X, y = anes()
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.5, random_state=2024, stratify=y)
    raw = KNeighborsClassifier(n_neighbors=15).fit(Xtr, ytr).predict(Xte)
    model = make_pipeline(answers.features.build_features(Xtr), KNeighborsClassifier(n_neighbors=15))
    pred = np.asarray(model.fit(Xtr, ytr).predict(Xte))
    raw_acc = float(np.mean(raw == yte))  # ~0.70 on this split
    # the reference: ~0.92, McNemar p ~ 1e-19; the bar is ten points over raw AND p < 1e-3 (alpha for a claim
    # that a feature set helps: a false "it helps" ships a useless pipeline)
    verdict.accuracy("kNN on your features", pred, y_true=yte, minimum=raw_acc + 0.10)
    p = mcnemar_p(yte, raw, pred)
    verdict.equal("gain significant at 1e-3", bool(p < 1e-3 and np.mean(pred == yte) > raw_acc))


def test_pipeline_hidden_serving(answers, verdict):
    X, y = anes()
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.4, random_state=99, stratify=y)
    model = make_pipeline(answers.features.build_features(Xtr), KNeighborsClassifier(n_neighbors=15)).fit(Xtr, ytr)
    features, knn = model[0], model[-1]
    batch = as_float(features.transform(Xte))
    rows = np.vstack([as_float(features.transform(Xte.iloc[[i]])) for i in range(0, 60, 3)])
    assert np.allclose(rows, batch[0:60:3], rtol=1e-12, atol=1e-12), "a row served alone gets other features"
    mutated = Xte.copy()
    mutated.iloc[:30] = mutated.iloc[:30] * 50.0  # upstream unit bug on 30 rows
    after = as_float(features.transform(mutated))
    assert np.array_equal(after[30:], batch[30:]), "changing some serving rows changed the features of others"
    served = np.concatenate([knn.predict(rows), knn.predict(after[30:])])
    truth = np.concatenate([yte[0:60:3], yte[30:]])
    verdict.accuracy("served predictions", served, y_true=truth, minimum=0.85)
