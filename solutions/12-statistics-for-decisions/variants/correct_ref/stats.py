"""Lab 12: statistics for decisions: comparing models, running A/B tests, deciding a release.

Conventions used by every function here:
- A "difference" is always A minus B (or treatment minus control): positive means A scored higher.
- Two-sided p-values unless an `alternative` argument says otherwise.
- Degenerate inputs never raise or return nan: when a test has no information at all (no discordant
  pairs, zero variance with a zero numerator, every rank tied) the statistic is 0.0 and p is 1.0;
  when the variance is zero but the effect is not, the statistic is +-inf and p is 0.0.
- Scalars come back as floats; functions documented as broadcasting return arrays for array inputs.

The finished functions double as the kit's statistics library: later labs' graders import the reference
versions, so keep them exact and free of side effects.
"""
from __future__ import annotations

import math
from typing import Callable, Mapping

import numpy as np
from scipy import optimize
from scipy import stats as st
from sklearn.base import clone
from sklearn.model_selection import train_test_split


def _out(x):
    """0-d results as Python floats, arrays unchanged (so scalar calls return plain floats)."""
    x = np.asarray(x, dtype=np.float64)
    return float(x) if x.ndim == 0 else x


# ----------------------------------------------------------------------------------- one test set
def mcnemar(y, pred_a, pred_b, exact: bool = True) -> tuple[float, float]:
    """McNemar's test: do two classifiers have the same error rate on one shared test set?

    Only the discordant examples carry information:
        n01 = #(A wrong, B right),   n10 = #(A right, B wrong),   n = n01 + n10
    Under H0 each discordant example is a fair coin flip, so n10 ~ Binomial(n, 1/2).

    exact=True  (the usual rule: always below 25 discordant pairs, where the chi-square p-value can be
                 off by 10-60 %; the binomial is exact at any n, so it is the safe default):
        statistic = min(n01, n10)
        p = min(1, 2 * BinomCDF(min(n01, n10); n, 1/2))            (= scipy.stats.binomtest(n10, n).pvalue)
    exact=False (chi-square approximation with Edwards' continuity correction):
        statistic = (|n01 - n10| - 1)**2 / n,   p = Chi2(1 df).sf(statistic)
    Both follow statsmodels.stats.contingency_tables.mcnemar (correction=True). With n = 0 there is
    no evidence either way: return (0.0, 1.0) (statsmodels' asymptotic version returns inf and p = 0).

    Args:
        y: (N,) true labels.  pred_a, pred_b: (N,) predictions of the two models (any label type).
        exact: binomial test (True) or chi-square approximation (False).
    Returns:
        (statistic, p_value) as floats.
    """
    y = np.asarray(y)
    a_right = np.asarray(pred_a) == y
    b_right = np.asarray(pred_b) == y
    n01 = int(np.sum(~a_right & b_right))
    n10 = int(np.sum(a_right & ~b_right))
    n = n01 + n10
    if n == 0:
        return 0.0, 1.0
    if exact:
        k = min(n01, n10)
        p = min(1.0, 2.0 * st.binom.cdf(k, n, 0.5))
        return float(k), float(p)
    stat = (abs(n01 - n10) - 1) ** 2 / n
    return float(stat), float(st.chi2.sf(stat, 1))


# ----------------------------------------------------------------------------------- 5x2 cross-validation
def paired_ttest_5x2cv(diffs_5x2) -> tuple[float, float]:
    """Dietterich's (1998) 5x2cv paired t test from the 5x2 matrix of score differences.

    diffs[i, j] = score_A - score_B on fold j (0 or 1) of replication i (0..4). For each replication
        mean_i = (diffs[i, 0] + diffs[i, 1]) / 2,   s2_i = (diffs[i, 0] - mean_i)**2 + (diffs[i, 1] - mean_i)**2
        t = diffs[0, 0] / sqrt( (1/5) * sum_i s2_i ),     p = 2 * T(5 df).sf(|t|)
    The numerator is ONLY the first difference diffs[0, 0] (not the mean of all ten): that is what makes
    numerator and denominator (nearly) independent in Dietterich's derivation.
    Zero variance: t = 0.0, p = 1.0 if diffs[0, 0] == 0, else t = +-inf, p = 0.0.

    Broadcasts: diffs of shape (..., 5, 2) gives t and p of shape (...), e.g. 2,000 simulated experiments
    in one call. Use np.where for the zero-variance cases (np.errstate silences the 0/0 warning).

    Returns:
        (t, p_value): floats for one (5, 2) matrix, arrays for a stack.
    """
    d = _check_5x2(diffs_5x2)
    mean = (d[..., 0] + d[..., 1]) / 2.0
    s2 = (d[..., 0] - mean) ** 2 + (d[..., 1] - mean) ** 2
    den = np.sqrt(np.sum(s2, axis=-1) / 5.0)
    num = d[..., 0, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(den > 0, num / np.where(den > 0, den, 1.0),
                     np.where(num == 0, 0.0, np.copysign(np.inf, num)))
    p = 2.0 * st.t.sf(np.abs(t), 5)
    return _out(t), _out(p)


def combined_ftest_5x2cv(diffs_5x2) -> tuple[float, float]:
    """Alpaydin's (1999) combined 5x2cv F test from the same 5x2 matrix of score differences.

    With s2_i as in paired_ttest_5x2cv:
        F = sum_{i,j} diffs[i, j]**2 / (2 * sum_i s2_i),     p = F(10, 5 df).sf(F)
    Using all ten squared differences makes it more robust than the t test (which hangs on one number).
    Zero variance: F = 0.0, p = 1.0 if every difference is 0, else F = inf, p = 0.0.

    Broadcasts like paired_ttest_5x2cv: (..., 5, 2) in, (...) out.
    Returns:
        (F, p_value): floats for one matrix, arrays for a stack.
    """
    d = _check_5x2(diffs_5x2)
    mean = (d[..., 0] + d[..., 1]) / 2.0
    s2 = (d[..., 0] - mean) ** 2 + (d[..., 1] - mean) ** 2
    den = 2.0 * np.sum(s2, axis=-1)
    num = np.sum(d ** 2, axis=(-2, -1))
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(den > 0, num / np.where(den > 0, den, 1.0),
                     np.where(num == 0, 0.0, np.inf))
    p = st.f.sf(f, 10, 5)
    return _out(f), _out(p)


def _check_5x2(diffs) -> np.ndarray:
    d = np.asarray(diffs, dtype=np.float64)
    if d.ndim < 2 or d.shape[-2:] != (5, 2):
        raise ValueError(f"expected differences of shape (..., 5, 2), got {d.shape}")
    return d


def run_5x2cv(est_a, est_b, X, y, seed: int) -> np.ndarray:
    """The 5x2 matrix of score differences, with mlxtend's split procedure (so results are comparable).

        rng = np.random.RandomState(seed)
        for i in range(5):
            split_seed = rng.randint(0, 32767)          # one draw per replication, in this order
            X1, X2, y1, y2 = train_test_split(X, y, test_size=0.5, random_state=split_seed)
            fold 0: fit clones of both estimators on (X1, y1), score on (X2, y2)
            fold 1: fit clones of both estimators on (X2, y2), score on (X1, y1)
            diffs[i, j] = score of A - score of B on fold j
    The score is the estimator's own `score` method (accuracy for classifiers, R^2 for regressors).
    Fit sklearn.base.clone copies: the estimators passed in must stay unfitted.

    Returns:
        (5, 2) float64 array, ready for paired_ttest_5x2cv / combined_ftest_5x2cv.
    """
    rng = np.random.RandomState(seed)
    diffs = np.zeros((5, 2), dtype=np.float64)
    for i in range(5):
        split_seed = rng.randint(0, 32767)
        X1, X2, y1, y2 = train_test_split(X, y, test_size=0.5, random_state=split_seed)
        for j, (Xtr, ytr, Xte, yte) in enumerate(((X1, y1, X2, y2), (X2, y2, X1, y1))):
            a = clone(est_a).fit(Xtr, ytr)
            b = clone(est_b).fit(Xtr, ytr)
            diffs[i, j] = a.score(Xte, yte) - b.score(Xte, yte)
    return diffs


# ----------------------------------------------------------------------------------- uncertainty
def bootstrap_ci(stat: Callable[[np.ndarray], float], data, n: int = 2000, alpha: float = 0.05,
                 rng: np.random.Generator | int | None = None) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of level 1 - alpha for stat(data).

    Resample the ROWS of data with replacement, in exactly this way (so results are reproducible):
        rng = np.random.default_rng(rng)                       # accepts a Generator or a seed
        idx = rng.integers(0, len(data), size=(n, len(data)))  # one draw, n resamples
        boot[b] = stat(data[idx[b]])                           for b in range(n)
        low, high = np.quantile(boot, [alpha / 2, 1 - alpha / 2])     (numpy's default 'linear' method)
    Each tail gets alpha / 2. This equals scipy.stats.bootstrap(..., method="percentile") with the same rng.
    Rows, not elements: for paired data (N, 2), a resample keeps pairs together.

    Args:
        stat: function of one resample (same shape as data) returning a number.
        data: (N,) or (N, ...) array.  alpha: 1 - confidence level.
        n: number of resamples; the default 2000 puts the Monte-Carlo error of a 95 % endpoint at about
           1.5 % of the interval's width (normal case), small next to the interval itself.
    Returns:
        (low, high) as floats.
    """
    data = np.asarray(data)
    rng = np.random.default_rng(rng)
    idx = rng.integers(0, len(data), size=(n, len(data)))
    boot = np.empty(n, dtype=np.float64)
    for b in range(n):
        boot[b] = stat(data[idx[b]])
    low, high = np.quantile(boot, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)


# ----------------------------------------------------------------------------------- many data sets
def friedman_nemenyi(scores, alpha: float = 0.05) -> tuple[np.ndarray, float, float, float]:
    """Friedman test over data sets, with the Nemenyi critical difference (Demsar 2006).

    scores is (N data sets, k methods), HIGHER IS BETTER. On each row rank the methods with rank 1 for
    the best score; tied scores share the average of their ranks (scipy.stats.rankdata on -scores).
    R_j = average rank of method j over the N rows.
        chi2_F = 12 N / (k (k+1)) * (sum_j R_j**2 - k (k+1)**2 / 4) / C,   p = Chi2(k-1 df).sf(chi2_F)
        C = 1 - sum over tie groups of (t**3 - t) / (N k (k**2 - 1))   (tie correction; 1 without ties)
    which is what scipy.stats.friedmanchisquare computes. If every row is entirely tied (C = 0) there is
    nothing to test: statistic 0.0, p 1.0.
    Nemenyi: two methods differ when their average ranks differ by more than
        CD = q_alpha * sqrt(k (k+1) / (6 N)),   q_alpha = scipy.stats.studentized_range.ppf(1 - alpha, k, np.inf) / sqrt(2)
    (Demsar's table for alpha = 0.05: 1.960, 2.343, 2.569, 2.728 for k = 2..5; use scipy, not the table).

    Returns:
        (avg_ranks (k,) float64 array, statistic, p_value, critical_difference).
    """
    s = np.asarray(scores, dtype=np.float64)
    N, k = s.shape
    ranks = st.rankdata(-s, axis=1)
    R = ranks.mean(axis=0)
    ties = 0.0
    for row in ranks:
        _, t = np.unique(row, return_counts=True)
        ties += float(np.sum(t.astype(np.float64) ** 3 - t))
    C = 1.0 - ties / (N * k * (k ** 2 - 1))
    if C <= 0:
        stat, p = 0.0, 1.0
    else:
        stat = 12.0 * N / (k * (k + 1)) * (np.sum(R ** 2) - k * (k + 1) ** 2 / 4.0) / C
        p = float(st.chi2.sf(stat, k - 1))
    q = st.studentized_range.ppf(1 - alpha, k, np.inf) / math.sqrt(2)
    cd = q * math.sqrt(k * (k + 1) / (6.0 * N))
    return np.asarray(R, dtype=np.float64), float(stat), float(p), float(cd)


# ----------------------------------------------------------------------------------- A/B tests
def two_proportion_ztest(count_a, n_a, count_b, n_b, alternative: str = "two-sided") -> tuple[float, float]:
    """z test for two independent proportions with the POOLED variance (statsmodels proportions_ztest).

        p_a = count_a / n_a,  p_b = count_b / n_b,  p = (count_a + count_b) / (n_a + n_b)   (pooled under H0)
        z = (p_a - p_b) / sqrt( p (1 - p) (1/n_a + 1/n_b) )
    H0 says the two rates are equal, so the variance is estimated under H0 from the pooled rate; the
    unpooled p_a(1-p_a)/n_a + p_b(1-p_b)/n_b belongs to confidence intervals, not to this test.
    p-value: "two-sided" 2 * Phi(-|z|);  "larger" (H1: p_a > p_b) Phi(-z);  "smaller" (H1: p_a < p_b) Phi(z).
    Pooled p of 0 or 1 (no variance, so no difference either): z = 0.0, p = 1.0.

    Broadcasts over array arguments (one call for thousands of simulated experiments).
    Returns:
        (z, p_value): floats for scalar inputs, arrays otherwise.
    """
    if alternative not in ("two-sided", "larger", "smaller"):
        raise ValueError(f"unknown alternative {alternative!r}")
    ca, na, cb, nb = (np.asarray(v, dtype=np.float64) for v in (count_a, n_a, count_b, n_b))
    pa, pb = ca / na, cb / nb
    pool = (ca + cb) / (na + nb)
    var = pool * (1.0 - pool) * (1.0 / na + 1.0 / nb)
    ok = (pool > 0) & (pool < 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(ok, (pa - pb) / np.sqrt(np.where(ok, var, 1.0)), 0.0)
    if alternative == "two-sided":
        p = 2.0 * st.norm.cdf(-np.abs(z))
    elif alternative == "larger":
        p = st.norm.cdf(-z)
    else:
        p = st.norm.cdf(z)
    p = np.where(ok, p, 1.0)
    return _out(z), _out(p)


def sample_size_for_mde(p0: float, mde: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """Users per group so that a two-sided test at level alpha detects p0 -> p0 + mde with the given power.

    Effect size: Cohen's h = |2 asin(sqrt(p0 + mde)) - 2 asin(sqrt(p0))| (statsmodels proportion_effectsize).
    With n users in EACH group, z = norm.isf(alpha / 2) and x = h * sqrt(n / 2), the power is
        power(n) = Phi(x - z) + Phi(-x - z)            (both rejection tails, like statsmodels NormalIndPower)
    Return the n (a float, not rounded: round up yourself when you plan) that solves power(n) = power.
    The textbook closed form n = 2 ((z + norm.ppf(power)) / h)**2 ignores the far tail Phi(-x - z): it
    is a good upper bracket but is off by 1e-6..1e-4 relative; solve the equation with
    scipy.optimize.brentq to full precision (xtol=1e-12; statsmodels' solve_power stops at ~1e-8).

    Args:
        p0: baseline rate in (0, 1).  mde: minimum detectable effect, absolute (0.01 = one percentage point),
        may be negative; p0 + mde must stay in (0, 1).  alpha: two-sided level.  power: in (alpha, 1).
    Returns:
        n per group, float.
    """
    h = abs(2 * math.asin(math.sqrt(p0 + mde)) - 2 * math.asin(math.sqrt(p0)))
    z = st.norm.isf(alpha / 2)

    def f(n):
        x = h * math.sqrt(n / 2.0)
        return st.norm.cdf(x - z) + st.norm.cdf(-x - z) - power

    upper = 2.0 * ((z + st.norm.ppf(power)) / h) ** 2
    lo = 1e-12
    while f(upper) < 0:          # safety; the closed form is an upper bracket
        upper *= 2.0
    return float(optimize.brentq(f, lo, upper, xtol=1e-12))


# ----------------------------------------------------------------------------------- many hypotheses
def holm(pvals, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Holm's step-down correction: family-wise error <= alpha, never less powerful than Bonferroni.

    Sort the m p-values ascending: p_(1) <= ... <= p_(m).
        adjusted_(i) = min(1, max_{j <= i} (m - j + 1) * p_(j))         (running max keeps the order)
        reject H_(i) when p_(j) <= alpha / (m - j + 1) for every j <= i (stop at the first failure)
    Both are returned in the ORIGINAL order of pvals, as statsmodels multipletests(method="holm")[:2].
    Bonferroni would multiply every p by m; Holm multiplies the smallest by m, the next by m - 1, ...

    Returns:
        (reject: bool array (m,), adjusted: float64 array (m,)).
    """
    p = np.asarray(pvals, dtype=np.float64).ravel()
    m = p.size
    order = np.argsort(p)
    ps = p[order]
    mult = m - np.arange(m)                     # m, m-1, ..., 1
    adj_sorted = np.minimum(1.0, np.maximum.accumulate(mult * ps))
    rej_sorted = np.logical_and.accumulate(ps <= alpha / mult)
    reject = np.empty(m, dtype=bool)
    adjusted = np.empty(m, dtype=np.float64)
    reject[order] = rej_sorted
    adjusted[order] = adj_sorted
    return reject, adjusted


# ----------------------------------------------------------------------------------- the decision
def decide_release(results: Mapping[str, Mapping[str, float]], policy: Mapping) -> str:
    """Turn an A/B test's results into "ship", "hold" or "rollback".

    results: {metric: {"effect": treatment - control (in the metric's units), "p": two-sided p-value}}.
    policy:  {"primary": metric that must improve,
              "min_effect": smallest improvement of the primary worth shipping (>= 0, metric units; default 0),
              "alpha": significance level (default 0.05),
              "guardrails": {metric: largest tolerated harm (>= 0, metric units)} (default {}),
              "lower_is_better": metrics where a decrease is good, e.g. ["latency_ms"] (default [])}
    Harm of a metric = -effect, or +effect when lower is better. Significant means p < alpha (strictly).
    Rules, in this order:
      1. "rollback" if the primary or any guardrail has a significant harm larger than its tolerance
         (the primary's tolerance is 0 unless it is also listed as a guardrail). Guardrails are NOT
         corrected for multiplicity: they protect users, and a correction would hide real harm.
      2. "ship" if the primary's improvement is significant AND at least min_effect (a significant
         but tiny effect is not worth the risk of change: that is practical significance).
      3. "hold" otherwise (not enough evidence yet: keep the control, maybe collect more data).
    A metric named in the policy but missing from results raises KeyError.
    """
    primary = policy["primary"]
    min_effect = policy.get("min_effect", 0.0)
    alpha = policy.get("alpha", 0.05)
    guardrails = dict(policy.get("guardrails", {}))
    lower = set(policy.get("lower_is_better", []))

    def harm(metric):
        e = results[metric]["effect"]
        return e if metric in lower else -e

    def significant(metric):
        return results[metric]["p"] < alpha

    checks = {primary: guardrails.get(primary, 0.0)}
    for g, tol in guardrails.items():
        checks[g] = tol
    for metric in checks:                      # KeyError for any missing metric, before deciding
        results[metric]["effect"], results[metric]["p"]
    for metric, tol in checks.items():
        if significant(metric) and harm(metric) > tol:
            return "rollback"
    if significant(primary) and -harm(primary) >= min_effect:
        return "ship"
    return "hold"
