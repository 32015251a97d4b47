"""Hidden tests for lab 07 part A: values go to the grader, which compares them with the reference solution's.

No expected value lives here: the grader runs the reference solution through these same tests and keeps its values.
The reference agrees with scikit-learn's StandardScaler, KBinsDiscretizer (quantile, linear), OneHotEncoder,
TargetEncoder (same folds, fixed smoothing) and PCA (whose sign convention it shares) to ~1e-15 (measured), so
matching the reference is matching scikit-learn. The rows of breast_cancer, fair, anes96 and digits come from the
grader (solutions/07-feature-pipelines/hidden_data.py), reordered and perturbed, and the held-out votes never enter
this process. Properties (a row served alone equals its row in a batch, other rows do not move, round trips, the
encoding of noise predicts nothing, orthonormal components) are gates: judged on the learner's own values, never
compared with the reference's. Property tests draw their examples with the kit's derandomized hypothesis profile.
"""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import KBinsDiscretizer, StandardScaler

import helpers  # labs/07-feature-pipelines/tests/helpers.py, shared with the public tests
from helpers import as_float

# float64 everywhere: the same formula in another order agrees to ~1e-15 on values of order 1-100; 1e-10 leaves room
# for that and for equivalent formulas (x / s vs x * (1 / s)), while any real bug (wrong mean, wrong ddof, wrong
# quantile, a leak) is off by 1e-3 or far more.
RTOL, ATOL = 1e-10, 1e-12
HIDDEN_PROPERTY = helpers.property_settings(10)
# hidden matrices: other shapes and magnitudes than the public ones
HIDDEN_MATRICES = helpers.matrices((2, 25), (1, 5), 1e6)
CODES = arrays(np.int64, st.tuples(st.integers(2, 25), st.integers(1, 3)), elements=st.integers(-3, 5))


def hidden_cancer(hidden_data):
    """breast_cancer's 30 measurements and diagnosis, reordered and perturbed by the grader."""
    d = hidden_data("cancer")
    return d["X"], d["y"]


def hidden_fair(hidden_data):
    """fair's 8 coded answers (rate_marriage, age, yrs_married, children, religious, educ, occupation,
    occupation_husb) and affairs, reordered and perturbed by the grader."""
    d = hidden_data("fair")
    return d["X"], d["affairs"]


# --- q1: ZScore and LogClip ------------------------------------------------------------------------------------
def test_scale_zscore_hidden_columns(answers, verdict, hidden_data):
    X, _ = hidden_cancer(hidden_data)
    X = X[:, 5:17]
    z = answers.features.ZScore().fit(X[:350])
    verdict.close("mean_", as_float(z.mean_), rtol=RTOL, atol=ATOL)
    verdict.close("scale_", as_float(z.scale_), rtol=RTOL, atol=ATOL)
    verdict.close("transform", as_float(z.transform(X[350:])), rtol=RTOL, atol=ATOL)
    Z = np.random.default_rng(61).normal(0.0, 2.0, size=(15, 12))  # any Z, not only outputs of transform
    # Z * s + m: one rounding per operation on values of order 1-100; a bug (divides, forgets the mean) is O(1)
    verdict.close("inverse_transform", as_float(z.inverse_transform(Z)), rtol=RTOL, atol=ATOL)
    # float32 input: the statistics and the output are float64 (the docstring), so only the inputs' own rounding
    # is shared with the reference; arithmetic in float32 is off by ~1e-7
    out32 = z.fit(X[:350].astype(np.float32)).transform(X[350:].astype(np.float32))
    verdict.equal("output dtype for float32 input", str(np.asarray(out32).dtype))
    verdict.close("transform of float32 input", as_float(out32), rtol=RTOL, atol=ATOL)


def test_scale_zscore_nan_and_constant_hidden(answers, verdict):
    X = np.array([[np.nan, 0.7, -2.0, 7.0], [4.0, 0.7, np.nan, np.nan], [1.0, 0.7, 5.0, np.nan],
                  [9.0, 0.7, 1.0, np.nan], [np.nan, 0.7, -4.0, np.nan], [2.5, 0.7, 3.0, np.nan]])
    z = answers.features.ZScore().fit(X)
    # 0.7 six times has a variance of 1.2e-32 from rounding (not 0) and a single observed 7.0 has variance 0: both are
    # constant columns by StandardScaler's rule (scale 1, mapped to 0); a plain `var == 0` test divides by ~1e-16
    verdict.close("transform", as_float(z.transform(X)), rtol=RTOL, atol=ATOL)
    verdict.close("serving row", as_float(z.transform(np.array([[2.0, 0.71, np.nan, 6.0]]))), rtol=RTOL, atol=ATOL)


def test_scale_logclip_hidden(answers, verdict, hidden_data):
    X, _ = hidden_cancer(hidden_data)
    X = X[:, [2, 3, 12, 13, 22, 23]]
    X = X - np.median(X, axis=0)  # both signs
    train = X[:300].copy()
    train[::9, [1, 4]] = np.nan  # missing values are ignored when the quantiles are learned
    t = answers.features.LogClip(lower=0.02, upper=0.97).fit(train)
    verdict.close("lower_ upper_", np.vstack([as_float(t.lower_), as_float(t.upper_)]), rtol=RTOL, atol=ATOL)
    serve = X[300:].copy()
    serve[[0, 3], [1, 4]] = np.nan
    verdict.close("transform", as_float(t.transform(serve)), rtol=RTOL, atol=ATOL)  # NaN stays NaN
    Z = np.random.default_rng(62).normal(0.0, 3.0, size=(20, 6))  # any Z, both signs
    # sign(z) * expm1(|z|) for |z| up to ~12: relative rounding ~1e-16; forgetting the sign is off by O(1)
    verdict.close("inverse_transform", as_float(t.inverse_transform(Z)), rtol=RTOL, atol=ATOL)


def test_scale_single_row_parity_property(answers, verdict):
    f = answers.features
    batches, rows = [], []

    @HIDDEN_PROPERTY
    @given(HIDDEN_MATRICES, st.sampled_from([(0.0, 1.0), (0.05, 0.95), (0.25, 0.5)]))
    def run(X, levels):
        for est, serve in ((f.ZScore(), X[::-1]), (f.LogClip(*levels), X)):
            est.fit(X)
            batches.append(as_float(est.transform(serve)).ravel())
            rows.append(helpers.one_row_at_a_time(est, serve).ravel())

    run()
    # train/serve parity, a gate on the learner's own values: elementwise formulas give the same bits; 1e-12 allows a
    # matrix formulation, a statistic of the batch is off by O(1)
    verdict.same("a row alone = its row in the batch", np.concatenate(rows), np.concatenate(batches),
                 rtol=1e-12, atol=1e-12)
    # |z| and log1p values stay below ~15. The generated columns include means near 1e6 with a spread of ~1: there a
    # mean summed in another order moves z by up to 1.2e-10 (measured between correct answers), so 1e-8; a bug is O(1)
    verdict.close("batch transforms", np.concatenate(batches), rtol=1e-8, atol=1e-8)


def test_scale_invertible_property(answers, verdict):
    f = answers.features
    back_z, back_lc, inputs = [], [], []

    @HIDDEN_PROPERTY
    @given(HIDDEN_MATRICES)
    def run(X):
        z = f.ZScore().fit(X)
        back_z.append(as_float(z.inverse_transform(z.transform(X))).ravel())
        lc = f.LogClip(0.0, 1.0).fit(X)
        back_lc.append(as_float(lc.inverse_transform(lc.transform(X))).ravel())
        inputs.append(X.ravel())

    run()
    X = np.concatenate(inputs)
    # (x - m) / s * s + m loses a few ulps of max(|x|, |m|) <= 1e6 (~1e-10): 1e-6 absolute is ample, a bug is O(1)
    verdict.same("ZScore: inverse_transform(transform(X)) = X", np.concatenate(back_z), X, rtol=0, atol=1e-6)
    # LogClip(0, 1) clips nothing: expm1(log1p(|x|)) returns x to ~1e-15 relative
    verdict.same("LogClip(0, 1): inverse_transform(transform(X)) = X", np.concatenate(back_lc), X, rtol=1e-9, atol=1e-9)


def test_scale_check_estimator_hidden(answers):
    """A gate: scikit-learn's own estimator checks (the contract every transformer of the lab follows)."""
    for est in (answers.features.ZScore(), answers.features.LogClip(lower=0.1, upper=0.7)):
        failed = helpers.conformance(est)
        assert not failed, f"{type(est).__name__} fails scikit-learn checks: {', '.join(failed)}"


def test_scale_mutating_serving_rows_hidden(answers, verdict, hidden_data):
    X, _ = hidden_cancer(hidden_data)
    train, serve = X[:300, :8], X[300:, :8].copy()
    for est in (answers.features.ZScore(), answers.features.LogClip()):
        name = type(est).__name__
        est.fit(train)
        before = as_float(est.transform(serve))
        mutated = serve.copy()
        mutated[:40] = mutated[:40] * -1e6  # a unit bug upstream on 40 serving rows
        mutated[40:45] = np.nan
        after = as_float(est.transform(mutated))
        # a gate: the other rows keep their features (elementwise: the same bits; 1e-12 allows a matrix formula)
        verdict.same(f"{name}: untouched rows do not move", after[45:], before[45:], rtol=1e-12, atol=1e-12)
        verdict.close(f"{name}: untouched rows", after[45:], rtol=RTOL, atol=ATOL)


# --- q2: QuantileBinner ----------------------------------------------------------------------------------------
def test_binner_hidden_columns(answers, verdict, hidden_data):
    X, _ = hidden_cancer(hidden_data)
    for n_bins in (3, 7):
        b = answers.features.QuantileBinner(n_bins=n_bins).fit(X[:280, 8:16])
        verdict.close(f"bins ({n_bins})", as_float(b.transform(X[280:, 8:16])), rtol=0)  # bin indices: exact


def test_binner_hidden_tied_codes(answers, verdict, hidden_data):
    X, _ = hidden_fair(hidden_data)
    X = X[:, [0, 5, 7, 2]]  # rate_marriage, educ, occupation_husb, yrs_married: coded answers, many ties
    b = answers.features.QuantileBinner(n_bins=5).fit(X[2000:].astype(np.int64))  # integer input, float64 output
    bins = b.transform(X[:2000])
    verdict.equal("output dtype", str(np.asarray(bins).dtype))
    # the codes sit exactly on edges: side="right" and the repeated edges decide their bins (exact)
    verdict.close("bins", as_float(bins), rtol=0)
    verdict.equal("n_bins_", np.asarray(b.n_bins_, dtype=np.int64))
    # percentiles interpolate between codes: the same formula, ~1e-15 apart
    verdict.close("edges", np.concatenate([as_float(e) for e in b.bin_edges_]), rtol=RTOL, atol=ATOL)


def test_binner_check_estimator_hidden(answers):
    failed = helpers.conformance(answers.features.QuantileBinner(n_bins=3))  # a gate, as for q1
    assert not failed, f"QuantileBinner fails scikit-learn checks: {', '.join(failed)}"


def test_binner_hidden_nan_and_range(answers, verdict):
    rng = np.random.default_rng(21)
    train = rng.lognormal(size=(200, 2))
    train[::7, 0] = np.nan  # missing values are ignored when the edges are learned
    b = answers.features.QuantileBinner(n_bins=6).fit(train)
    serve = np.array([[-1.0, 1e9], [np.nan, 0.5], [1.0, np.nan], [1e-9, 2.0]])
    verdict.close("bins", as_float(b.transform(serve)), rtol=0)  # bin indices: exact


def test_binner_property_parity(answers, verdict):
    f = answers.features
    batches, rows = [], []

    @HIDDEN_PROPERTY
    @given(HIDDEN_MATRICES, st.integers(2, 6))
    def run(X, n_bins):
        b = f.QuantileBinner(n_bins=n_bins).fit(X)
        batches.append(as_float(b.transform(X[::-1])).ravel())
        rows.append(helpers.one_row_at_a_time(b, X[::-1]).ravel())

    run()
    verdict.same("a row alone = its row in the batch", np.concatenate(rows), np.concatenate(batches))  # bins: exact
    verdict.close("bins", np.concatenate(batches), rtol=0)  # bin indices: exact


# --- q3: OneHot ---------------------------------------------------------------------------------------------------
def test_onehot_hidden_fair_columns(answers, verdict, hidden_data):
    X, _ = hidden_fair(hidden_data)
    X = X[:, [3, 4, 6]]  # children, religious, occupation
    idx = np.random.default_rng(31).permutation(len(X))
    enc = answers.features.OneHot().fit(X[idx[:300]])  # 300 rows: some rare codes stay unseen
    out = enc.transform(X[idx[300:]])
    verdict.equal("output dtype", str(np.asarray(out).dtype))
    verdict.close("one-hot", as_float(out), rtol=0)  # 0/1 columns: exact


def test_onehot_hidden_strings_nan_unseen(answers, verdict):
    nan = np.nan
    train = pd.DataFrame({"city": ["Oslo", "Lima", nan, "Oslo", "Accra"], "plan": ["pro", "free", "free", "team", nan]})
    serve = pd.DataFrame({"city": ["Lima", "Quito", nan, "Accra"], "plan": [nan, "enterprise", "pro", "team"]})
    enc = answers.features.OneHot().fit(train)
    verdict.close("one-hot", as_float(enc.transform(serve)), rtol=0)  # 0/1 columns: exact
    strict = answers.features.OneHot(handle_unknown="error").fit(train)
    verdict.close("strict on known values", as_float(strict.transform(train)), rtol=0)  # exact
    with pytest.raises(ValueError):  # a gate: 'error' refuses a category never seen in fit
        strict.transform(serve)


def test_onehot_property_parity(answers, verdict):
    f = answers.features
    batches, rows = [], []

    @HIDDEN_PROPERTY
    @given(CODES, CODES)
    def run(fit_codes, serve_codes):
        k = min(fit_codes.shape[1], serve_codes.shape[1])
        enc = f.OneHot().fit(fit_codes[:, :k])
        batches.append(as_float(enc.transform(serve_codes[:, :k])).ravel())  # unseen codes must not raise
        rows.append(helpers.one_row_at_a_time(enc, serve_codes[:, :k]).ravel())

    run()
    verdict.same("a row alone = its row in the batch", np.concatenate(rows), np.concatenate(batches))  # 0/1: exact
    verdict.close("one-hot", np.concatenate(batches), rtol=0)  # exact


# --- q4: TargetEncoder ---------------------------------------------------------------------------------------------
def fair_categories(hidden_data):
    X, affairs = hidden_fair(hidden_data)
    pair = X[:, 6] * 10 + X[:, 7]  # occupation x occupation_husb: a 36-level cross
    return np.stack([X[:, 0], X[:, 4], pair], axis=1), affairs  # with rate_marriage and religious


def test_target_hidden_out_of_fold(answers, verdict, hidden_data):
    X, affairs = fair_categories(hidden_data)
    y = (affairs > 0).astype(float)
    enc = answers.features.TargetEncoder(smoothing=7.0, n_folds=3, random_state=11).fit_transform(X, y)
    verdict.equal("output dtype", str(np.asarray(enc).dtype))
    verdict.close("out-of-fold encodings", as_float(enc), rtol=RTOL, atol=ATOL)


def test_target_hidden_continuous_and_unseen(answers, verdict, hidden_data):
    X, affairs = fair_categories(hidden_data)
    te = answers.features.TargetEncoder(smoothing=4.0).fit(X[:3000], affairs[:3000])  # a numeric target
    serve = X[3000:3300].astype(object)
    serve[::10, 2] = 99.0  # an occupation pair nobody had
    serve[5::10, 0] = np.nan  # missing, never seen in fit: the prior
    verdict.close("encodings", as_float(te.transform(serve)), rtol=RTOL, atol=ATOL)
    verdict.close("prior_", float(te.prior_), rtol=RTOL)  # a mean of 3000 values: ~1e-16 between orders


def test_target_hidden_random_labels(answers, verdict):
    """On pure-noise labels an out-of-fold encoding predicts nothing (AUC ~0.5; leaky full-fit encoding ~0.8)."""
    rng = np.random.default_rng(2024)
    X = np.stack([rng.integers(0, 500, 1500), rng.integers(0, 50, 1500)], axis=1)  # many singletons in column 0
    y = rng.integers(0, 2, 1500)
    enc = as_float(answers.features.TargetEncoder(smoothing=2.0, n_folds=4, random_state=5).fit_transform(X, y))
    verdict.close("encodings", enc, rtol=RTOL, atol=ATOL)
    # a gate on the learner's own encodings: the honest encoding measured 0.47-0.52 over seeds, the leaky 0.79-0.82
    verdict.bound("largest AUC of an encoded column on noise", max(roc_auc_score(y, enc[:, j]) for j in range(2)),
                  high=0.6)


def test_target_hidden_transform_after_fit_transform(answers, verdict, hidden_data):
    X, affairs = fair_categories(hidden_data)
    y = (affairs > 1).astype(float)
    te = answers.features.TargetEncoder(smoothing=3.0, n_folds=5, random_state=0)
    te.fit_transform(X[:2500], y[:2500])
    # after fit_transform, serving uses encodings learned on all the training rows
    verdict.close("serving encodings", as_float(te.transform(X[2500:2800])), rtol=RTOL, atol=ATOL)


# --- q5: mutual information ----------------------------------------------------------------------------------------
def test_mi_hidden_fair(answers, verdict, hidden_data):
    X, affairs = hidden_fair(hidden_data)
    X = X[:, [5, 3, 0, 1, 6]]  # educ, children, rate_marriage, age, occupation: at most 7 codes, none binned
    order, scores = answers.features.mutual_information_ranking(X[1000:], (affairs[1000:] > 0).astype(int))
    verdict.equal("dtypes of order and scores", f"{np.asarray(order).dtype} {np.asarray(scores).dtype}")
    # sums of p log p over at most 14 cells: ~1e-16 apart between formulas; the scores are far apart (no near tie)
    verdict.close("scores", as_float(scores), rtol=RTOL, atol=ATOL)
    verdict.equal("order", np.asarray(order, dtype=np.int64))


def test_mi_hidden_exactly_n_bins_codes(answers, verdict, hidden_data):
    X, affairs = hidden_fair(hidden_data)
    X = X[:, [0, 3, 4, 1, 6]]  # rate_marriage (5 codes), children (6), religious (4), age (6), occupation (6)
    # n_bins=6: a column with exactly 6 distinct values is used as it is (only one with more would be binned, so
    # QuantileBinner, graded in q2, plays no part here)
    order, scores = answers.features.mutual_information_ranking(X, (affairs > 0.5).astype(int), n_bins=6)
    verdict.close("scores", as_float(scores), rtol=RTOL, atol=ATOL)
    verdict.equal("order", np.asarray(order, dtype=np.int64))


def test_mi_hidden_binned_and_ties(answers, verdict, hidden_data):
    X, y = hidden_cancer(hidden_data)
    X = np.hstack([X[:, 10:16], X[:, [12]], np.zeros((len(X), 1))])  # column 6 duplicates column 2; 7 is constant
    # 569 distinct values per column and 7 bins: no percentile lands exactly on a value ((569 - 1) * k / 7 is never
    # a whole number), so how a binner treats a value on an edge (graded in q2) does not matter here
    order, scores = answers.features.mutual_information_ranking(X, y, n_bins=7)
    verdict.close("scores", as_float(scores), rtol=RTOL, atol=ATOL)
    verdict.equal("order", np.asarray(order, dtype=np.int64))  # equal scores: in column order (a stable sort)


# --- q6: PCA ------------------------------------------------------------------------------------------------------
# LAPACK SVDs of the same centered matrix (gesdd, gesvd, torch's) agree to ~1e-13 on well-separated singular values;
# the sign of each component is fixed by the documented convention, so the values are compared as returned.
PCA_TOL = dict(rtol=1e-8, atol=1e-10)


def test_pca_hidden_digits(answers, verdict, hidden_data):
    X = hidden_data("digits")["X"].astype(np.int64)  # whole pixel values; the outputs are float64
    Z, comps, ratio = answers.features.pca_fit_transform(X, 6)
    verdict.equal("dtypes", " ".join(str(np.asarray(a).dtype) for a in (Z, comps, ratio)))
    verdict.close("components", as_float(comps), **PCA_TOL)
    verdict.close("Z", as_float(Z), rtol=1e-8, atol=1e-8)  # scores of order 10: 1e-8 absolute
    verdict.close("explained variance ratio", as_float(ratio), rtol=1e-10)


def test_pca_hidden_uncentered_data(answers, verdict, hidden_data):
    X, _ = hidden_cancer(hidden_data)
    X = X[:, [0, 1, 2, 20, 21]]  # raw measurements: means of 14 to 110, far from the origin
    Z, comps, ratio = answers.features.pca_fit_transform(X, 3)
    comps = as_float(comps)
    verdict.close("components", comps, **PCA_TOL)
    verdict.close("Z", as_float(Z), rtol=1e-8, atol=1e-8)  # scores up to ~100: 1e-8 absolute
    verdict.close("explained variance ratio", as_float(ratio), rtol=1e-10)
    # a gate on the learner's own components: orthonormal rows (an SVD gives them to ~1e-15)
    verdict.bound("largest |components @ components.T - I|", float(np.max(np.abs(comps @ comps.T - np.eye(3)))),
                  high=1e-10)


def test_pca_hidden_sign_convention(answers, verdict):
    rng = np.random.default_rng(63)
    # three directions whose largest loading is negative and whose first loading has the other sign
    A = np.array([[0.3, -0.9, 0.2, 0.1, 0.2], [-0.2, 0.1, 0.3, -0.9, 0.1], [0.1, 0.2, -0.8, -0.1, 0.5]])
    X = rng.normal(size=(120, 3)) * [6.0, 3.0, 1.5] @ A + rng.normal(0.0, 0.1, size=(120, 5)) + 4.0
    for flip in (1.0, -1.0):  # X and -X: the same components up to sign, so the convention picks the signs
        Z, comps, ratio = answers.features.pca_fit_transform(flip * X, 3)
        verdict.close(f"components ({flip:+.0f})", as_float(comps), **PCA_TOL)
        verdict.close(f"Z ({flip:+.0f})", as_float(Z), rtol=1e-8, atol=1e-8)  # scores of order 10


# --- q7: fit on train only, serve the same, and a feature set that earns its keep ---------------------------------
def test_pipeline_hidden_train_test_transform(answers, verdict, hidden_data):
    X, _ = hidden_cancer(hidden_data)
    # scikit-learn's transformers, not the learner's: a bug in ZScore or QuantileBinner (q1, q2) costs nothing here
    scalers = (("StandardScaler", StandardScaler()),
               ("KBinsDiscretizer", KBinsDiscretizer(n_bins=4, encode="ordinal", strategy="quantile",
                                                     quantile_method="linear", subsample=None)))
    for name, est in scalers:
        tr, te = answers.features.train_test_transform(est, X[:250, 3:9], X[250:, 3:9] * 1.5)  # a shifted test set
        assert not any(k.endswith("_") and not k.startswith("_") for k in vars(est)), f"{name} argument was fitted"
        verdict.close(f"{name} train", as_float(tr), rtol=RTOL, atol=ATOL)
        verdict.close(f"{name} test", as_float(te), rtol=RTOL, atol=ATOL)


def anes_frames(d):
    return (pd.DataFrame(d["X_train"], columns=helpers.ANES_COLUMNS), d["y_train"],
            pd.DataFrame(d["X_test"], columns=helpers.ANES_COLUMNS))


def test_pipeline_hidden_representation_gain(answers, verdict, hidden_data):
    Xtr, ytr, Xte = anes_frames(hidden_data("anes_gain"))
    model = make_pipeline(answers.features.build_features(Xtr), KNeighborsClassifier(n_neighbors=15))
    pred = np.asarray(model.fit(Xtr, ytr).predict(Xte)).astype(np.int64)
    # measured on this split: raw columns 0.69, popul left raw 0.81, the reference 0.91 (McNemar p ~ 1e-19 against
    # raw). 0.85 on 472 voters is 16 points (77 voters) over raw: an exact McNemar p below 1e-3 however many
    # discordant pairs there are, so the labels never need to enter this process
    verdict.accuracy("kNN on your features", pred, truth="anes_gain.y_test", minimum=0.85)


def test_pipeline_hidden_serving(answers, verdict, hidden_data):
    Xtr, ytr, Xte = anes_frames(hidden_data("anes_serving"))
    model = make_pipeline(answers.features.build_features(Xtr), KNeighborsClassifier(n_neighbors=15)).fit(Xtr, ytr)
    features, knn = model[0], model[-1]
    batch = as_float(features.transform(Xte))
    alone = helpers.one_row_at_a_time(features, Xte.iloc[:40])  # 40 serving requests of one row each
    # gates on the learner's own features: elementwise transforms give the same bits; 1e-12 allows a matrix formula
    verdict.same("a row served alone = its row in the batch", alone, batch[:40], rtol=1e-12, atol=1e-12)
    mutated = Xte.copy()
    mutated.iloc[:40] = mutated.iloc[:40] * 50.0  # an upstream unit bug on 40 rows
    after = as_float(features.transform(mutated))
    verdict.same("other rows keep their features", after[40:], batch[40:], rtol=1e-12, atol=1e-12)
    served = np.concatenate([knn.predict(alone), knn.predict(after[40:])]).astype(np.int64)
    # the reference: 0.92 (raw columns 0.72); 40 rows served one at a time, the rest next to 40 broken rows
    verdict.accuracy("served predictions", served, truth="anes_serving.y_test", minimum=0.85)
