"""Public tests for lab 12. Run them with `labkit check 12` (or plain pytest from this folder).

Each test compares your function with an independent oracle computed here: scipy, statsmodels, or the
formula written out by hand. Statistics are computed in float64, so agreement to 1e-10 is what a
correct implementation gives (measured: 1e-16 to 1e-14). Hidden tests at grading use other inputs.
"""
import numpy as np
import pytest
from scipy import stats
from sklearn.base import clone
from sklearn.datasets import load_wine
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.tree import DecisionTreeClassifier
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize, proportions_ztest

import helpers

EXACT = 1e-10  # float64 formulas evaluated in a different order agree to ~1e-15; a wrong formula is off by >1e-3


# --- q1: McNemar ----------------------------------------------------------------------------
def test_mcnemar_exact_small_counts_matches_binomtest(answers, verdict):
    y, a, b = helpers.predictions(n01=2, n10=9)
    statistic, p = answers.mcnemar(y, a, b, exact=True)
    verdict.close("statistic", float(statistic), expected=2.0, rtol=0)
    # the exact test: n10 ~ Binomial(11, 1/2) under H0
    verdict.close("p", float(p), expected=stats.binomtest(9, 11, 0.5).pvalue, rtol=EXACT)


def test_mcnemar_asymptotic_matches_statsmodels(answers, verdict):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 400)
    a = np.where(rng.random(400) < 0.85, y, (y + 1) % 3)
    b = np.where(rng.random(400) < 0.78, y, (y + 2) % 3)
    table = [[np.sum((a == y) & (b == y)), np.sum((a == y) & (b != y))],
             [np.sum((a != y) & (b == y)), np.sum((a != y) & (b != y))]]
    want = sm_mcnemar(np.array(table), exact=False, correction=True)
    statistic, p = answers.mcnemar(y, a, b, exact=False)
    verdict.close("statistic", float(statistic), expected=want.statistic, rtol=EXACT)
    verdict.close("p", float(p), expected=want.pvalue, rtol=EXACT)


def test_mcnemar_no_discordant_pairs(answers, verdict):
    y, a, b = helpers.predictions(n01=0, n10=0)
    for exact in (True, False):
        statistic, p = answers.mcnemar(y, a, b, exact=exact)
        # no example on which the models disagree: no evidence at all, so p = 1 (not nan, not 0)
        verdict.close(f"p exact={exact}", float(p), expected=1.0, rtol=0)


# --- q2: 5x2cv t and F ----------------------------------------------------------------------
D = np.array([[0.020, 0.010], [0.030, -0.010], [0.000, 0.020], [0.015, 0.025], [0.040, 0.000]])


def by_hand(d):
    """Dietterich's t and Alpaydin's F with plain Python loops."""
    s2 = []
    for i in range(5):
        mean = (d[i][0] + d[i][1]) / 2
        s2.append((d[i][0] - mean) ** 2 + (d[i][1] - mean) ** 2)
    t = d[0][0] / (sum(s2) / 5) ** 0.5
    f = sum(d[i][j] ** 2 for i in range(5) for j in range(2)) / (2 * sum(s2))
    return t, 2 * stats.t.sf(abs(t), 5), f, stats.f.sf(f, 10, 5)


def test_ttest5x2_hand_computed(answers, verdict):
    t, p = answers.paired_ttest_5x2cv(D)
    want_t, want_p, _, _ = by_hand(D)
    verdict.close("t", float(t), expected=want_t, rtol=EXACT)
    verdict.close("p", float(p), expected=want_p, rtol=EXACT)


def test_ftest5x2_hand_computed(answers, verdict):
    f, p = answers.combined_ftest_5x2cv(D)
    _, _, want_f, want_p = by_hand(D)
    verdict.close("F", float(f), expected=want_f, rtol=EXACT)
    verdict.close("p", float(p), expected=want_p, rtol=EXACT)


def test_ttest5x2_zero_differences(answers, verdict):
    t, p = answers.paired_ttest_5x2cv(np.zeros((5, 2)))
    f, pf = answers.combined_ftest_5x2cv(np.zeros((5, 2)))
    # two models that always tie: 0/0 is defined as "no evidence": statistic 0, p 1
    verdict.close("t", float(t), expected=0.0, atol=0)
    verdict.close("p of t", float(p), expected=1.0, rtol=0)
    verdict.close("F", float(f), expected=0.0, atol=0)
    verdict.close("p of F", float(pf), expected=1.0, rtol=0)


def test_ttest5x2_broadcasts_over_stacks(answers, verdict):
    stack = np.random.default_rng(1).normal(0.01, 0.02, size=(4, 5, 2))
    t, p = answers.paired_ttest_5x2cv(stack)
    f, pf = answers.combined_ftest_5x2cv(stack)
    want = np.array([by_hand(d) for d in stack])
    verdict.close("t", np.asarray(t, dtype=float), expected=want[:, 0], rtol=EXACT)
    verdict.close("F", np.asarray(f, dtype=float), expected=want[:, 2], rtol=EXACT)


# --- q3: running 5x2cv ----------------------------------------------------------------------
def test_run5x2_matches_the_split_procedure(answers, verdict):
    X, y = load_wine(return_X_y=True)
    a, b = GaussianNB(), DecisionTreeClassifier(max_depth=2, random_state=0)
    diffs = answers.run_5x2cv(a, b, X, y, seed=7)
    rng, want = np.random.RandomState(7), np.empty((5, 2))
    for i in range(5):
        X1, X2, y1, y2 = train_test_split(X, y, test_size=0.5, random_state=rng.randint(0, 32767))
        want[i, 0] = clone(a).fit(X1, y1).score(X2, y2) - clone(b).fit(X1, y1).score(X2, y2)
        want[i, 1] = clone(a).fit(X2, y2).score(X1, y1) - clone(b).fit(X2, y2).score(X1, y1)
    # accuracies are multiples of 1/89: the same splits give the same numbers to the last bit
    verdict.close("diffs", np.asarray(diffs, dtype=float), expected=want, rtol=EXACT, atol=1e-12)


def test_run5x2_leaves_estimators_unfitted(answers, verdict):
    X, y = load_wine(return_X_y=True)
    a, b = GaussianNB(), DecisionTreeClassifier(max_depth=1, random_state=0)
    diffs = np.asarray(answers.run_5x2cv(a, b, X, y, seed=3), dtype=float)
    verdict.equal("shape", list(diffs.shape), expected=[5, 2])
    assert not hasattr(a, "classes_") and not hasattr(b, "classes_"), "fit clones, not the estimators passed in"


# --- q4: bootstrap --------------------------------------------------------------------------
def test_bootstrap_matches_scipy_percentile(answers, verdict):
    x = np.random.default_rng(2).exponential(size=50)
    low, high = answers.bootstrap_ci(np.median, x, n=800, alpha=0.1, rng=np.random.default_rng(5))
    want = stats.bootstrap((x,), np.median, n_resamples=800, confidence_level=0.9, method="percentile",
                           vectorized=False, rng=np.random.default_rng(5)).confidence_interval
    verdict.close("low", float(low), expected=want.low, rtol=EXACT)
    verdict.close("high", float(high), expected=want.high, rtol=EXACT)


def test_bootstrap_keeps_pairs_together(answers, verdict):
    d = np.random.default_rng(3).normal(size=(40, 2)) + [0.5, 0.0]
    low, high = answers.bootstrap_ci(lambda s: s[:, 0].mean() - s[:, 1].mean(), d, n=600, alpha=0.05,
                                     rng=np.random.default_rng(9))
    want = stats.bootstrap((d[:, 0], d[:, 1]), lambda a, b: a.mean() - b.mean(), paired=True, n_resamples=600,
                           method="percentile", vectorized=False, rng=np.random.default_rng(9)).confidence_interval
    verdict.close("interval", np.array([low, high], dtype=float), expected=[want.low, want.high], rtol=EXACT)


# --- q5: Friedman + Nemenyi -----------------------------------------------------------------
def test_friedman_matches_scipy(answers, verdict):
    scores = np.random.default_rng(4).uniform(0.7, 0.95, size=(8, 4))
    ranks, statistic, p, _ = answers.friedman_nemenyi(scores)
    want = stats.friedmanchisquare(*scores.T)
    verdict.close("statistic", float(statistic), expected=want.statistic, rtol=EXACT)
    verdict.close("p", float(p), expected=want.pvalue, rtol=EXACT)
    # rank 1 goes to the highest score on each data set
    verdict.close("ranks", np.asarray(ranks, dtype=float), expected=stats.rankdata(-scores, axis=1).mean(axis=0),
                  rtol=EXACT)


def test_friedman_critical_difference_matches_demsar_table(answers, verdict):
    scores = np.random.default_rng(5).uniform(size=(8, 4))
    *_, cd = answers.friedman_nemenyi(scores, alpha=0.05)
    # Demsar (2006), Table 5: q_0.05 = 2.569 for k = 4, printed with 3 decimals, so 1e-3 relative
    verdict.close("CD", float(cd), expected=2.569 * np.sqrt(4 * 5 / (6 * 8)), rtol=1e-3)


# --- q6: two-proportion z test --------------------------------------------------------------
@pytest.mark.parametrize("alternative", ["two-sided", "larger", "smaller"])
def test_ztest_matches_statsmodels(answers, verdict, alternative):
    z, p = answers.two_proportion_ztest(48, 400, 30, 350, alternative=alternative)
    want_z, want_p = proportions_ztest([48, 30], [400, 350], alternative=alternative)
    verdict.close("z", float(z), expected=want_z, rtol=EXACT)
    verdict.close("p", float(p), expected=want_p, rtol=EXACT)


def test_ztest_no_variance(answers, verdict):
    z, p = answers.two_proportion_ztest(0, 50, 0, 80)
    # nobody converted in either group: the pooled variance is 0 and there is nothing to test
    verdict.close("z", float(z), expected=0.0, atol=0)
    verdict.close("p", float(p), expected=1.0, rtol=0)


def test_ztest_broadcasts(answers, verdict):
    counts_a, counts_b = np.array([12, 40, 7]), np.array([20, 35, 7])
    z, p = answers.two_proportion_ztest(counts_a, 200, counts_b, 210)
    want = np.array([proportions_ztest([ca, cb], [200, 210]) for ca, cb in zip(counts_a, counts_b)])
    # atol: the third experiment has equal rates, z = 0, where a relative tolerance means nothing
    verdict.close("z", np.asarray(z, dtype=float), expected=want[:, 0], rtol=EXACT, atol=1e-15)


# --- q7: sample size ------------------------------------------------------------------------
def test_samplesize_matches_statsmodels(answers, verdict):
    n = answers.sample_size_for_mde(0.10, 0.02, alpha=0.05, power=0.8)
    want = NormalIndPower().solve_power(effect_size=proportion_effectsize(0.12, 0.10), alpha=0.05, power=0.8)
    # statsmodels' own root finder stops at ~1e-8 relative (measured 2e-12 .. 1.2e-8): compare at 1e-6
    verdict.close("n per group", float(n), expected=want, rtol=1e-6)


def test_samplesize_delivers_the_power(answers, verdict):
    n = answers.sample_size_for_mde(0.30, -0.05, alpha=0.01, power=0.9)
    achieved = NormalIndPower().power(proportion_effectsize(0.25, 0.30), nobs1=float(n), alpha=0.01)
    # solved to full precision, n gives the target power to ~1e-15; the closed form misses by ~1e-7
    verdict.close("power at n", float(achieved), expected=0.9, rtol=0, atol=1e-10)


# --- q8: Holm -------------------------------------------------------------------------------
def test_holm_matches_statsmodels(answers, verdict):
    p = np.array([0.01, 0.04, 0.03, 0.005, 0.2, 0.011])
    reject, adjusted = answers.holm(p, alpha=0.05)
    want_reject, want_adjusted, _, _ = multipletests(p, alpha=0.05, method="holm")
    verdict.equal("reject", np.asarray(reject, dtype=bool), expected=want_reject)
    verdict.close("adjusted", np.asarray(adjusted, dtype=float), expected=want_adjusted, rtol=EXACT)


def test_holm_keeps_order_and_caps_at_one(answers, verdict):
    p = np.array([0.9, 0.02, 0.02, 0.5])
    _, adjusted = answers.holm(p)
    # sorted: 0.02*4, 0.02*3 -> running max 0.08, 0.5*2 = 1.0, 0.9*1 -> max stays 1.0
    verdict.close("adjusted", np.asarray(adjusted, dtype=float), expected=[1.0, 0.08, 0.08, 1.0], rtol=EXACT)


# --- q9: release decision -------------------------------------------------------------------
POLICY = {"primary": "conversion", "min_effect": 0.005, "alpha": 0.05,
          "guardrails": {"latency_ms": 10.0, "crash_rate": 0.0}, "lower_is_better": ["latency_ms", "crash_rate"]}


def results(conv=(0.012, 0.001), latency=(2.0, 0.4), crash=(0.0, 0.9)):
    return {"conversion": {"effect": conv[0], "p": conv[1]}, "latency_ms": {"effect": latency[0], "p": latency[1]},
            "crash_rate": {"effect": crash[0], "p": crash[1]}}


def test_decide_ship_when_significant_and_large_enough(answers, verdict):
    verdict.equal("decision", answers.decide_release(results(), POLICY), expected="ship")


def test_decide_hold_when_significant_but_too_small(answers, verdict):
    # p = 1e-6 but +0.2 percentage points is below the 0.5 points worth a change
    verdict.equal("decision", answers.decide_release(results(conv=(0.002, 1e-6)), POLICY), expected="hold")


def test_decide_hold_when_not_significant(answers, verdict):
    verdict.equal("decision", answers.decide_release(results(conv=(0.02, 0.2)), POLICY), expected="hold")


def test_decide_rollback_when_a_guardrail_regresses(answers, verdict):
    # crash rate up by 0.3 points, significantly; tolerance 0: even a great conversion cannot pay for it
    verdict.equal("decision", answers.decide_release(results(crash=(0.003, 0.001)), POLICY), expected="rollback")
