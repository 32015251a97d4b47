"""Hidden tests for lab 12: values go to the grader, which compares them with the reference solution's.

No expected value lives here: the grader runs the reference solution through these same tests and keeps its
values. Seeds, data sets and parameters differ from the public tests; rows of loadable datasets come from
solutions/12-statistics-for-decisions/hidden_data.py (jittered subsamples made in the grader).

Tolerances: every statistic is a closed-form float64 expression (or a full-precision root), so a correct
implementation agrees with the reference to ~1e-15; EXACT = 1e-10 leaves room for another evaluation
order, while every planted bug moves the values by more than 1e-4.
p-values and statistics that can be 0 exactly get an absolute floor too: a formula that is right but
written differently may leave ~1e-16 of rounding where the reference has 0.
Monte-Carlo checks: fixed seeds, 2,000 simulated experiments each; the rejection count earns against the
reference's count (same data, so it is exact up to p-values within rounding of alpha), and a gate (bound)
keeps it inside the 99.9 % binomial interval around the test's true size or power.
"""
import numpy as np
import pytest
from scipy import stats
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize, proportions_ztest

import helpers

EXACT = 1e-10
N_SIM = 2000
ALPHA = 0.05


def interval(rate):
    """99.9 % binomial interval for the number of rejections in N_SIM experiments with true rate `rate`."""
    low, high = stats.binom.interval(0.999, N_SIM, rate)
    return int(low), int(high)


# --- q1: McNemar ----------------------------------------------------------------------------
def test_mcnemar_two_models_on_breast_cancer(answers, verdict, hidden_data):
    d = hidden_data("breast_cancer_split")
    a = make_pipeline(StandardScaler(), LogisticRegression(C=0.05)).fit(d["X_train"], d["y_train"]).predict(d["X_test"])
    b = DecisionTreeClassifier(max_depth=2, random_state=3).fit(d["X_train"], d["y_train"]).predict(d["X_test"])
    for exact in (True, False):
        statistic, p = answers.mcnemar(d["y_test"], a, b, exact=exact)
        # integer counts in, one binomial cdf or chi2.sf out: other exact routes (binomtest, statsmodels)
        # agree to ~1e-15; a wrong count or a missing correction moves p by > 1e-3
        verdict.close(f"statistic exact={exact}", float(statistic), rtol=EXACT)
        verdict.close(f"p exact={exact}", float(p), rtol=EXACT)


def mcnemar_case(n01, n10, labels):
    """Three classes (both models can be wrong yet disagree), discordant pairs shuffled in; labels as strings
    for the case that asks for them (the docstring: predictions of any label type)."""
    y, a, b = helpers.predictions(n01, n10, n_both_right=31, n_both_wrong=4, n_classes=3, seed=n01 * 100 + n10)
    if labels == "str":
        names = np.array(["cat", "dog", "emu"])
        y, a, b = names[y], names[a], names[b]
    return y, a, b


@pytest.mark.parametrize("n01,n10,labels", [(1, 7, "int"), (0, 5, "int"), (6, 1, "str"), (3, 12, "int"),
                                            (2, 2, "int"), (1, 1, "str")])
def test_mcnemar_small_counts(answers, verdict, n01, n10, labels):
    """Small counts are where the exact test matters: the chi-square approximation is off by 10-60 %.
    n01 == n10 is where 2 * BinomCDF exceeds 1 and must be capped."""
    y, a, b = mcnemar_case(n01, n10, labels)
    for exact in (True, False):
        statistic, p = answers.mcnemar(y, a, b, exact=exact)
        # binomtest, binom.cdf and statsmodels agree to ~1e-15 here; every planted bug is off by > 1e-2
        verdict.close(f"statistic exact={exact}", float(statistic), rtol=EXACT)
        verdict.close(f"p exact={exact}", float(p), rtol=EXACT)


def test_mcnemar_no_disagreement(answers, verdict):
    y, a, b = helpers.predictions(0, 0, n_both_right=31, n_both_wrong=4, n_classes=3, seed=7)
    for exact in (True, False):
        statistic, p = answers.mcnemar(y, a, b, exact=exact)
        # (0.0, 1.0) by definition, exactly; statsmodels' chi-square version says (inf, 0.0) here
        verdict.close(f"statistic exact={exact}", float(statistic), rtol=0, atol=0)
        verdict.close(f"p exact={exact}", float(p), rtol=0, atol=0)


def test_mcnemar_type1_error_is_calibrated(answers, verdict):
    """Two models with the same accuracy (0.85), errors independent: H0 holds in every experiment.

    The exact test is conservative (its p-values are discrete), so the target is its exact size, computed
    here from the binomial distribution (0.0367 at alpha = 0.05), not alpha itself.
    """
    n, acc = 200, 0.85
    rng = np.random.default_rng(1212)
    right_a, right_b = rng.random((N_SIM, n)) < acc, rng.random((N_SIM, n)) < acc
    y = np.zeros(n, dtype=int)
    test = answers.mcnemar
    pvals = np.array([float(test(y, np.where(ra, 0, 1), np.where(rb, 0, 1), exact=True)[1])
                      for ra, rb in zip(right_a, right_b)])
    rejections = int(np.sum(pvals < ALPHA))
    size = 0.0
    for m in range(1, n + 1):  # m discordant pairs, then a fair coin for each
        k = np.arange(m + 1)
        p_exact = np.minimum(1.0, 2 * stats.binom.cdf(np.minimum(k, m - k), m, 0.5))
        size += stats.binom.pmf(m, n, 2 * acc * (1 - acc)) * stats.binom.pmf(k, m, 0.5)[p_exact < ALPHA].sum()
    low, high = interval(size)
    # a correct implementation reproduces the reference's count exactly; 2 absorbs p-values computed
    # by another exact route that round differently next to alpha
    verdict.close("rejections", rejections, rtol=0, atol=2)
    verdict.bound("rejections within the 99.9 % interval", rejections, low=low, high=high)


# --- q2: 5x2cv t and F ----------------------------------------------------------------------
MATRIX_SEEDS = [31, 32, 33]


def hidden_matrix(seed):
    return np.random.default_rng(seed).normal(0.012, 0.025, size=(5, 2))


@pytest.mark.parametrize("seed", MATRIX_SEEDS)
def test_ttest5x2_hidden_matrices(answers, verdict, seed):
    t, p = answers.paired_ttest_5x2cv(hidden_matrix(seed))
    verdict.close("t", float(t), rtol=EXACT)
    verdict.close("p", float(p), rtol=EXACT)


@pytest.mark.parametrize("seed", MATRIX_SEEDS)
def test_ftest5x2_hidden_matrices(answers, verdict, seed):
    f, p = answers.combined_ftest_5x2cv(hidden_matrix(seed))
    verdict.close("F", float(f), rtol=EXACT)
    verdict.close("p", float(p), rtol=EXACT)


def test_ttest5x2_numerator_is_the_first_difference(answers, verdict):
    d = np.array([[-0.010, 0.030], [0.040, 0.020], [0.035, 0.015], [0.030, 0.045], [0.025, 0.030]])
    # the mean of the ten differences is +0.024 while diffs[0, 0] is -0.01: t must come out negative
    t, p = answers.paired_ttest_5x2cv(d)
    verdict.close("t", float(t), rtol=EXACT)
    verdict.close("p", float(p), rtol=EXACT)


def test_ttest5x2_zero_variance_with_an_effect(answers, verdict):
    d = np.full((5, 2), -0.02)  # B beats A by exactly 2 points on every fold
    t, p = answers.paired_ttest_5x2cv(d)
    # +-inf and p = 0 exactly by definition (t.sf(inf) is 0.0); the sign says which model wins
    verdict.close("sign of t", float(np.sign(t)), rtol=0)
    verdict.close("t", float(t), rtol=0)  # -inf: the grader checks that it is not finite
    verdict.close("p", float(p), rtol=0, atol=0)


def test_ftest5x2_zero_variance(answers, verdict):
    f_tie, p_tie = answers.combined_ftest_5x2cv(np.zeros((5, 2)))
    f_eff, p_eff = answers.combined_ftest_5x2cv(np.tile([[0.01, 0.01]], (5, 1)))
    # exact values by definition: (0.0, 1.0) for a tie, (inf, 0.0) for a constant nonzero difference
    verdict.close("F tie", float(f_tie), rtol=0, atol=0)
    verdict.close("p tie", float(p_tie), rtol=0, atol=0)
    verdict.close("F effect", float(f_eff), rtol=0)
    verdict.close("p effect", float(p_eff), rtol=0, atol=0)


def test_ttest5x2_stacks_of_experiments(answers, verdict):
    stack = np.random.default_rng(77).normal(0.0, 0.02, size=(3, 4, 5, 2))
    stack[1, 2] = 0.0  # one degenerate experiment inside the stack
    t, p = answers.paired_ttest_5x2cv(stack)
    f, pf = answers.combined_ftest_5x2cv(stack)
    verdict.close("t", np.asarray(t, dtype=float), rtol=EXACT)
    verdict.close("p", np.asarray(p, dtype=float), rtol=EXACT)
    verdict.close("F", np.asarray(f, dtype=float), rtol=EXACT)
    verdict.close("p of F", np.asarray(pf, dtype=float), rtol=EXACT)


def null_differences(seed):
    """2,000 null experiments: ten independent N(0, 1) fold differences each."""
    return np.random.default_rng(seed).normal(size=(N_SIM, 5, 2))


def test_ttest5x2_type1_error_is_calibrated(answers, verdict):
    _, p = answers.paired_ttest_5x2cv(null_differences(2718))
    rejections = int(np.sum(np.asarray(p, dtype=float) < ALPHA))
    # with independent fold differences diffs[0, 0] is correlated with s2_0, which makes the t test
    # conservative: its size at alpha = 0.05 is 0.02819 (measured with 10^7 draws, +-0.00005), not 0.05;
    # the mean-of-ten numerator drops it to 0.0005 and would fail here
    low, high = interval(0.02819)
    verdict.close("rejections", rejections, rtol=0, atol=2)  # same data, same p-values: the count is exact
    verdict.bound("rejections within the 99.9 % interval", rejections, low=low, high=high)


def test_ftest5x2_type1_error_is_calibrated(answers, verdict):
    _, p = answers.combined_ftest_5x2cv(null_differences(3141))
    rejections = int(np.sum(np.asarray(p, dtype=float) < ALPHA))
    # the F test is more conservative still: size 0.01753 at alpha = 0.05 (10^7 draws, +-0.00004)
    low, high = interval(0.01753)
    verdict.close("rejections", rejections, rtol=0, atol=2)  # same data, same p-values: the count is exact
    verdict.bound("rejections within the 99.9 % interval", rejections, low=low, high=high)


# --- q3: running 5x2cv ----------------------------------------------------------------------
def test_run5x2_breast_cancer(answers, verdict, hidden_data):
    d = hidden_data("breast_cancer_rows")
    a = make_pipeline(StandardScaler(), LogisticRegression(C=0.1))
    diffs = answers.run_5x2cv(a, GaussianNB(), d["X"], d["y"], seed=2024)
    # accuracies are multiples of 1/256 (512 rows): the same splits and fits give the same numbers; 1e-12 absorbs
    # a score computed another way (mean of a boolean vs a count / n), a wrong split moves a difference by >= 1/256
    verdict.close("diffs", np.asarray(diffs, dtype=float), rtol=EXACT, atol=1e-12)


def test_run5x2_regressors_score_r2(answers, verdict, hidden_data):
    d = hidden_data("diabetes_rows")
    diffs = answers.run_5x2cv(Ridge(alpha=3.0), DecisionTreeRegressor(max_depth=3, random_state=0), d["X"], d["y"],
                              seed=99)
    # R^2 from the same fits on the same splits agrees to ~1e-15; atol covers a difference of exactly 0
    verdict.close("diffs", np.asarray(diffs, dtype=float), rtol=EXACT, atol=1e-12)


def test_run5x2_repeatable_and_leaves_estimators_alone(answers, verdict, hidden_data):
    d = hidden_data("iris_rows")
    a, b = DecisionTreeClassifier(max_depth=1, random_state=0), GaussianNB()
    first = np.asarray(answers.run_5x2cv(a, b, d["X"], d["y"], seed=5), dtype=float)  # weak models: folds can tie
    second = np.asarray(answers.run_5x2cv(a, b, d["X"], d["y"], seed=5), dtype=float)
    verdict.close("diffs", first, rtol=EXACT, atol=1e-12)  # as above: same splits, same fits
    # the same seed repeats the same splits and fits: a gate on the learner's own two runs (1e-12: the same
    # arithmetic twice gives the same bits, the tolerance only spares a reader of this test the question)
    verdict.same("the same seed gives the same matrix", first, second, rtol=0, atol=1e-12)
    assert not hasattr(a, "tree_") and not hasattr(b, "classes_"), "fit clones, not the estimators passed in"


# --- q4: bootstrap --------------------------------------------------------------------------
@pytest.mark.parametrize("stat_name,alpha", [("mean", 0.05), ("median", 0.01), ("std", 0.2)])
def test_bootstrap_hidden_statistics(answers, verdict, stat_name, alpha):
    x = np.random.default_rng(606).lognormal(size=73)
    stat = {"mean": np.mean, "median": np.median, "std": np.std}[stat_name]
    low, high = answers.bootstrap_ci(stat, x, n=1200, alpha=alpha, rng=np.random.default_rng(44))
    # the same pinned draw gives the same resamples; np.quantile, np.percentile and a hand-written linear
    # interpolation agree to ~1e-16 relative; alpha not halved or another draw moves an endpoint by > 1e-3
    verdict.close("low", float(low), rtol=EXACT)
    verdict.close("high", float(high), rtol=EXACT)


def test_bootstrap_paired_accuracy_difference(answers, verdict):
    """Per-example correctness of two models: resampling rows keeps each example's pair together."""
    rng = np.random.default_rng(808)
    correct = np.stack([rng.random(150) < 0.9, rng.random(150) < 0.84], axis=1).astype(float)
    low, high = answers.bootstrap_ci(lambda s: s[:, 0].mean() - s[:, 1].mean(), correct, n=1500, alpha=0.1,
                                     rng=np.random.default_rng(1))
    # atol: a difference of accuracies can be exactly 0 at an endpoint, where rtol means nothing
    verdict.close("interval", np.array([low, high], dtype=float), rtol=EXACT, atol=1e-12)


def test_bootstrap_accepts_an_integer_seed(answers, verdict):
    x = np.random.default_rng(909).normal(size=31)
    first = answers.bootstrap_ci(np.mean, x, n=500, alpha=0.05, rng=17)
    again = answers.bootstrap_ci(np.mean, x, n=500, alpha=0.05, rng=17)
    verdict.close("interval", np.array(first, dtype=float), rtol=EXACT)  # as above: same draw, same quantiles
    # a gate on the learner's own two calls: the same seed is the same draw (the same arithmetic, the same bits)
    verdict.same("same seed, same interval", np.array(first, dtype=float), np.array(again, dtype=float),
                 rtol=0, atol=1e-12)


# --- q5: Friedman + Nemenyi -----------------------------------------------------------------
def test_friedman_hidden_scores_with_ties(answers, verdict):
    scores = np.round(np.random.default_rng(515).uniform(0.80, 0.86, size=(15, 5)), 2)  # rounding makes ties
    ranks, statistic, p, cd = answers.friedman_nemenyi(scores)
    # average ranks are multiples of 1/30: any correct ranking gives them to the last bit or two
    verdict.close("ranks", np.asarray(ranks, dtype=float), rtol=EXACT)
    # the docstring's formula and scipy's (sum of squared rank sums) differ by up to ~1.4e-12 relative (measured);
    # atol: the statistic is a difference of sums that cancels to ~1e-15 where its exact value is 0.
    # Dropping the tie correction (19 tie groups here) moves the statistic by 9 %
    verdict.close("statistic", float(statistic), rtol=1e-9, atol=1e-12)
    verdict.close("p", float(p), rtol=1e-9, atol=1e-12)  # chi2.sf of a statistic that is 1e-12 off: ~1e-11
    # studentized_range.ppf is a numerical root: another scipy call path agrees to ~1e-12
    verdict.close("CD", float(cd), rtol=1e-9)


def test_friedman_clear_winner_alpha_010(answers, verdict):
    rng = np.random.default_rng(616)
    scores = rng.normal(size=(20, 6)) * 0.01 + np.linspace(0.9, 0.8, 6)
    ranks, statistic, p, cd = answers.friedman_nemenyi(scores, alpha=0.10)
    verdict.close("ranks", np.asarray(ranks, dtype=float), rtol=EXACT)
    verdict.close("statistic", float(statistic), rtol=1e-9, atol=1e-12)  # formulas differ by ~1e-12 (above)
    # p is about 8e-19 here: its relative error is ~statistic / 2 (47) times the statistic's (~5e-11 for two
    # correct formulas), and 1 - chi2.cdf would leave 1e-16 of rounding: rtol 1e-8 plus an absolute floor of 1e-14
    verdict.close("p", float(p), rtol=1e-8, atol=1e-14)
    verdict.close("CD", float(cd), rtol=1e-9)  # studentized_range.ppf is a numerical root: ~1e-12 between paths


def test_friedman_every_row_tied(answers, verdict):
    ranks, statistic, p, _ = answers.friedman_nemenyi(np.full((6, 3), 0.9))
    verdict.close("ranks", np.asarray(ranks, dtype=float), rtol=EXACT)
    # everything tied: exactly 0 and 1 in the reference; 1e-12 absorbs a formula that leaves rounding dust
    verdict.close("statistic", float(statistic), rtol=0, atol=1e-12)
    verdict.close("p", float(p), rtol=0, atol=1e-12)


def test_friedman_balanced_ranks_give_zero(answers, verdict):
    """A Latin square with ties in some rows: every method has the same average rank, so the statistic is 0
    exactly (the docstring's formula and scipy's leave ~1e-15 of rounding: the absolute floor is for that)."""
    scores = np.array([[0.9, 0.8, 0.7], [0.7, 0.9, 0.8], [0.8, 0.7, 0.9],
                       [0.5, 0.5, 0.5], [0.6, 0.6, 0.4], [0.4, 0.6, 0.6], [0.6, 0.4, 0.6]])
    ranks, statistic, p, cd = answers.friedman_nemenyi(scores, alpha=0.01)
    verdict.close("ranks", np.asarray(ranks, dtype=float), rtol=EXACT, atol=1e-12)
    verdict.close("statistic", float(statistic), rtol=0, atol=1e-12)
    verdict.close("p", float(p), rtol=0, atol=1e-12)
    verdict.close("CD", float(cd), rtol=1e-9)  # a numerical root, as above


# --- q6: two-proportion z test --------------------------------------------------------------
@pytest.mark.parametrize("alternative", ["two-sided", "larger", "smaller"])
@pytest.mark.parametrize("counts", [(130, 1200, 98, 1150), (17, 90, 31, 260), (5, 40, 5, 40)])
def test_ztest_hidden_counts(answers, verdict, counts, alternative):
    z, p = answers.two_proportion_ztest(*counts, alternative=alternative)
    # a closed form: other groupings of the same arithmetic agree to ~1e-15 (statsmodels too); atol: equal
    # rates give z = 0, where rtol means nothing; the unpooled variance or a swapped side is off by > 1e-3
    verdict.close("z", float(z), rtol=EXACT, atol=1e-15)
    verdict.close("p", float(p), rtol=EXACT, atol=1e-15)


def test_ztest_everyone_converted(answers, verdict):
    z, p = answers.two_proportion_ztest(60, 60, 45, 45)  # pooled rate 1: (0.0, 1.0) exactly by definition
    verdict.close("z", float(z), rtol=0, atol=0)
    verdict.close("p", float(p), rtol=0, atol=0)


def test_ztest_hidden_arrays(answers, verdict):
    rng = np.random.default_rng(717)
    n_a, n_b = rng.integers(50, 500, size=8), rng.integers(50, 500, size=8)
    c_a, c_b = rng.binomial(n_a, 0.3), rng.binomial(n_b, 0.25)
    c_a[3], c_b[3] = 0, 0  # a degenerate experiment inside the batch
    z, p = answers.two_proportion_ztest(c_a, n_a, c_b, n_b)
    verdict.close("z", np.asarray(z, dtype=float), rtol=EXACT, atol=1e-15)  # atol for the z = 0 entry
    verdict.close("p", np.asarray(p, dtype=float), rtol=EXACT)


def test_ztest_type1_error_is_calibrated(answers, verdict):
    n, rate = 900, 0.08
    rng = np.random.default_rng(8181)
    _, p = answers.two_proportion_ztest(rng.binomial(n, rate, N_SIM), n, rng.binomial(n, rate, N_SIM), n)
    rejections = int(np.sum(np.asarray(p, dtype=float) < ALPHA))
    # with ~70 conversions per arm the pooled z test's exact size is within 0.001 of alpha
    low, high = interval(ALPHA)
    verdict.close("rejections", rejections, rtol=0, atol=2)  # same data, same p-values: the count is exact
    verdict.bound("rejections within the 99.9 % interval", rejections, low=low, high=high)


def test_ztest_power_matches_analytic(answers, verdict):
    p0, p1, target = 0.15, 0.18, 0.8  # a hidden effect of +3 points
    h = proportion_effectsize(p1, p0)
    n = int(np.ceil(NormalIndPower().solve_power(effect_size=h, alpha=ALPHA, power=target)))
    analytic = NormalIndPower().power(h, nobs1=n, alpha=ALPHA)
    rng = np.random.default_rng(9191)
    _, p = answers.two_proportion_ztest(rng.binomial(n, p1, N_SIM), n, rng.binomial(n, p0, N_SIM), n)
    rejections = int(np.sum(np.asarray(p, dtype=float) < ALPHA))
    # the arcsine approximation behind NormalIndPower is within 0.002 of the z test's exact power here,
    # far inside the +-0.03 Monte-Carlo interval
    low, high = interval(analytic)
    verdict.close("rejections", rejections, rtol=0, atol=2)  # same data, same p-values: the count is exact
    verdict.bound("rejections within the 99.9 % interval", rejections, low=low, high=high)


# --- q7: sample size ------------------------------------------------------------------------
@pytest.mark.parametrize("p0,mde,alpha,power", [(0.05, 0.01, 0.05, 0.8), (0.2, 0.03, 0.01, 0.9),
                                                (0.6, -0.04, 0.05, 0.95), (0.5, 0.15, 0.1, 0.7),
                                                (0.02, 0.005, 0.001, 0.8)])
def test_samplesize_hidden_cases(answers, verdict, p0, mde, alpha, power):
    n = answers.sample_size_for_mde(p0, mde, alpha=alpha, power=power)
    # roots solved to full precision (brentq in n or in x, a fixed point) agree to ~1e-13; statsmodels'
    # solve_power (~1e-8) and the one-tail closed form (1e-6..1e-4) are both visibly off at 1e-9
    verdict.close("n per group", float(n), rtol=1e-9)
    # the power the learner's n delivers, by statsmodels' power function: the target to ~1e-15 for a full-precision
    # root (the reference's value), ~1e-7 off for the closed form
    h = proportion_effectsize(p0 + mde, p0)
    verdict.close("power at n", float(NormalIndPower().power(h, nobs1=float(n), alpha=alpha)), rtol=0, atol=1e-10)


def test_samplesize_halving_the_effect_needs_about_four_times_the_users(answers, verdict):
    big, small = answers.sample_size_for_mde(0.1, 0.04), answers.sample_size_for_mde(0.1, 0.02)
    verdict.close("ratio", float(small) / float(big), rtol=1e-9)  # two full-precision roots, as above
    verdict.bound("n grows like 1 / effect^2", float(small) / float(big), low=3.5, high=4.5)


# --- q8: Holm -------------------------------------------------------------------------------
def test_holm_hidden_pvalues(answers, verdict):
    p = np.random.default_rng(919).random(25) ** 4
    p[[3, 11]] = p[7]  # ties
    reject, adjusted = answers.holm(p, alpha=0.05)
    verdict.equal("reject", np.asarray(reject, dtype=bool))
    # one product (m - j + 1) * p per value, then a max and a min: exact up to 1 ulp in any order
    verdict.close("adjusted", np.asarray(adjusted, dtype=float), rtol=EXACT)


def test_holm_needs_the_running_max(answers, verdict):
    p = np.array([0.012, 0.3, 0.0125, 0.011, 0.02])
    reject, adjusted = answers.holm(p, alpha=0.1)
    verdict.equal("reject", np.asarray(reject, dtype=bool))
    verdict.close("adjusted", np.asarray(adjusted, dtype=float), rtol=EXACT)


def test_holm_step_down_stops_at_first_failure(answers, verdict):
    # sorted thresholds 0.05/5 .. 0.05/1: 0.001 passes, 0.013 > 0.0125 fails, so 0.049 is kept although
    # it is below its own threshold 0.05: step-down stops at the first failure
    p = np.array([0.049, 0.001, 0.04, 0.013, 0.02])
    reject, adjusted = answers.holm(p, alpha=0.05)
    verdict.equal("reject", np.asarray(reject, dtype=bool))
    verdict.close("adjusted", np.asarray(adjusted, dtype=float), rtol=EXACT)


def test_holm_one_and_ones(answers, verdict):
    r1, a1 = answers.holm(np.array([0.03]))
    r2, a2 = answers.holm(np.ones(4))
    verdict.equal("single reject", np.asarray(r1, dtype=bool))
    verdict.close("single adjusted", np.asarray(a1, dtype=float), rtol=EXACT)
    verdict.equal("ones reject", np.asarray(r2, dtype=bool))
    verdict.close("ones adjusted", np.asarray(a2, dtype=float), rtol=EXACT)


# --- q9: release decision -------------------------------------------------------------------
POLICY = {"primary": "revenue_per_user", "min_effect": 0.25, "alpha": 0.01,
          "guardrails": {"p95_latency_ms": 20.0, "refund_rate": 0.001, "revenue_per_user": 0.1},
          "lower_is_better": ["p95_latency_ms", "refund_rate"]}

SCENARIOS = {
    # name: (revenue (effect, p), latency (effect, p), refunds (effect, p))
    "clear_win": ((0.40, 1e-4), (3.0, 0.5), (0.0002, 0.6)),
    "significant_below_min_effect": ((0.20, 1e-6), (1.0, 0.7), (0.0, 0.9)),
    "large_but_not_significant": ((0.90, 0.03), (0.0, 0.9), (0.0, 0.9)),
    "p_exactly_alpha_is_not_significant": ((0.50, 0.01), (0.0, 0.9), (0.0, 0.9)),
    "effect_exactly_min_effect_ships": ((0.25, 1e-5), (0.0, 0.9), (0.0, 0.9)),
    "latency_regressed_beyond_tolerance": ((0.60, 1e-6), (35.0, 1e-4), (0.0, 0.9)),
    "latency_regressed_within_tolerance": ((0.60, 1e-6), (12.0, 1e-4), (0.0, 0.9)),
    "latency_regressed_exactly_its_tolerance": ((0.60, 1e-6), (20.0, 1e-4), (0.0, 0.9)),  # "larger than": ship
    "latency_regressed_not_significant": ((0.60, 1e-6), (35.0, 0.2), (0.0, 0.9)),
    "latency_improved_a_lot": ((0.60, 1e-6), (-60.0, 1e-8), (0.0, 0.9)),
    "refunds_up_significantly": ((0.60, 1e-6), (0.0, 0.9), (0.004, 0.002)),
    "refunds_down_significantly": ((0.30, 1e-3), (0.0, 0.9), (-0.004, 0.002)),
    "primary_worse_within_its_tolerance": ((-0.05, 1e-3), (0.0, 0.9), (0.0, 0.9)),
    "primary_worse_beyond_its_tolerance": ((-0.30, 1e-3), (0.0, 0.9), (0.0, 0.9)),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_decide_scenario_table(answers, verdict, name):
    revenue, latency, refunds = SCENARIOS[name]
    results = {"revenue_per_user": {"effect": revenue[0], "p": revenue[1]},
               "p95_latency_ms": {"effect": latency[0], "p": latency[1]},
               "refund_rate": {"effect": refunds[0], "p": refunds[1]}}
    verdict.equal("decision", answers.decide_release(results, POLICY))


def test_decide_defaults(answers, verdict):
    """No guardrails, min_effect or alpha given: alpha 0.05, min_effect 0, higher is better."""
    policy = {"primary": "ctr"}
    verdict.equal("tiny significant gain", answers.decide_release({"ctr": {"effect": 1e-4, "p": 0.04}}, policy))
    verdict.equal("significant loss", answers.decide_release({"ctr": {"effect": -1e-4, "p": 0.04}}, policy))
    verdict.equal("no evidence", answers.decide_release({"ctr": {"effect": 0.01, "p": 0.06}}, policy))


@pytest.mark.parametrize("seed", [1301, 1302, 1303])
def test_decide_on_simulated_ab_logs(answers, verdict, seed):
    """A/B logs generated here, analysed with statsmodels, decided by the learner's policy code."""
    rng = np.random.default_rng(seed)
    n = 40_000
    lift = {1301: 0.006, 1302: 0.0015, 1303: 0.004}[seed]  # conversion lift of the treatment
    errors_up = {1301: 0.0, 1302: 0.0, 1303: 0.003}[seed]  # error-rate regression of the treatment
    conv = [rng.binomial(n, 0.05 + lift), rng.binomial(n, 0.05)]
    errs = [rng.binomial(n, 0.01 + errors_up), rng.binomial(n, 0.01)]
    results = {}
    for metric, (treat, control) in {"conversion": conv, "error_rate": errs}.items():
        _, p = proportions_ztest([treat, control], [n, n])
        results[metric] = {"effect": (treat - control) / n, "p": float(p)}
    policy = {"primary": "conversion", "min_effect": 0.003, "guardrails": {"error_rate": 0.001},
              "lower_is_better": ["error_rate"]}
    verdict.equal("decision", answers.decide_release(results, policy))


LATENCY_POLICY = {"primary": "p95_latency_ms", "min_effect": 5.0,
                  "guardrails": {"error_rate": 0.001}, "lower_is_better": ["p95_latency_ms", "error_rate"]}
LATENCY_SCENARIOS = {  # a lower-is-better primary: a faster model is the improvement
    "much_faster": ((-8.0, 1e-4), (0.0, 0.8)),
    "faster_by_exactly_min_effect": ((-5.0, 1e-4), (0.0, 0.8)),
    "slightly_faster": ((-3.0, 1e-4), (0.0, 0.8)),
    "faster_not_significant": ((-12.0, 0.2), (0.0, 0.8)),
    "slower": ((4.0, 1e-3), (0.0, 0.8)),
    "faster_but_more_errors": ((-9.0, 1e-4), (0.002, 0.01)),
}


@pytest.mark.parametrize("name", sorted(LATENCY_SCENARIOS))
def test_decide_lower_is_better_primary(answers, verdict, name):
    latency, errors = LATENCY_SCENARIOS[name]
    results = {"p95_latency_ms": {"effect": latency[0], "p": latency[1]},
               "error_rate": {"effect": errors[0], "p": errors[1]}}
    verdict.equal("decision", answers.decide_release(results, LATENCY_POLICY))


def test_decide_missing_metric_raises_keyerror(answers):
    """The docstring: a metric named in the policy but missing from results raises KeyError (a gate)."""
    no_guardrail = {"p95_latency_ms": {"effect": -8.0, "p": 1e-4}}
    no_primary = {"error_rate": {"effect": 0.0, "p": 0.8}}
    with pytest.raises(KeyError):
        answers.decide_release(no_guardrail, LATENCY_POLICY)
    with pytest.raises(KeyError):
        answers.decide_release(no_primary, LATENCY_POLICY)
