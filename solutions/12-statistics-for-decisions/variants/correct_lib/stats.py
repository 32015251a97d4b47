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
from sklearn.utils import _safe_indexing
from statsmodels.stats.contingency_tables import mcnemar as _sm_mcnemar
from statsmodels.stats.multitest import multipletests as _sm_multipletests


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
    ok_a = np.asarray(pred_a) == y
    ok_b = np.asarray(pred_b) == y
    table = np.array([[np.sum(ok_a & ok_b), np.sum(ok_a & ~ok_b)],
                      [np.sum(~ok_a & ok_b), np.sum(~ok_a & ~ok_b)]])
    if table[0, 1] + table[1, 0] == 0:
        return 0.0, 1.0
    res = _sm_mcnemar(table, exact=exact, correction=True)
    return float(res.statistic), float(res.pvalue)


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
    flat = d.reshape(-1, 5, 2)
    t_out = np.empty(len(flat))
    p_out = np.empty(len(flat))
    for e, m in enumerate(flat):
        total = 0.0
        for i in range(5):
            mean_i = (m[i, 0] + m[i, 1]) / 2
            total += (m[i, 0] - mean_i) ** 2 + (m[i, 1] - mean_i) ** 2
        denom = math.sqrt(total / 5)
        first = m[0, 0]
        if denom == 0:
            t, p = (0.0, 1.0) if first == 0 else (math.copysign(math.inf, first), 0.0)
        else:
            t = first / denom
            p = 2 * st.t.sf(abs(t), 5)
        t_out[e], p_out[e] = t, p
    shape = d.shape[:-2]
    return _out(t_out.reshape(shape)), _out(p_out.reshape(shape))


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
    flat = d.reshape(-1, 5, 2)
    f_out = np.empty(len(flat))
    p_out = np.empty(len(flat))
    for e, m in enumerate(flat):
        total = 0.0
        squares = 0.0
        for i in range(5):
            mean_i = (m[i, 0] + m[i, 1]) / 2
            total += (m[i, 0] - mean_i) ** 2 + (m[i, 1] - mean_i) ** 2
            squares += m[i, 0] ** 2 + m[i, 1] ** 2
        if total == 0:
            F, p = (0.0, 1.0) if squares == 0 else (math.inf, 0.0)
        else:
            F = squares / (2 * total)
            p = st.f.sf(F, 10, 5)
        f_out[e], p_out[e] = F, p
    shape = d.shape[:-2]
    return _out(f_out.reshape(shape)), _out(p_out.reshape(shape))


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
    rows = np.arange(len(y))
    out = np.zeros((5, 2), dtype=np.float64)
    for i in range(5):
        split_seed = rng.randint(0, 32767)
        idx1, idx2 = train_test_split(rows, test_size=0.5, random_state=split_seed)   # same permutation
        parts = [(_safe_indexing(X, idx1), _safe_indexing(y, idx1)),
                 (_safe_indexing(X, idx2), _safe_indexing(y, idx2))]
        for j in range(2):
            (Xtr, ytr), (Xte, yte) = parts[j], parts[1 - j]
            sa = clone(est_a).fit(Xtr, ytr).score(Xte, yte)
            sb = clone(est_b).fit(Xtr, ytr).score(Xte, yte)
            out[i, j] = sa - sb
    return out


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
    arr = np.asarray(data)
    rng = np.random.default_rng(rng)
    size = arr.shape[0]
    idx = rng.integers(0, size, size=(n, size))
    boot = [float(stat(arr[rows])) for rows in idx]
    low, high = np.percentile(np.array(boot), [100 * alpha / 2, 100 * (1 - alpha / 2)])
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
    ranks = np.vstack([st.rankdata(-row, method="average") for row in s])
    avg = ranks.mean(axis=0)
    all_tied = bool(np.all(s == s[:, :1]))
    if all_tied:
        stat, p = 0.0, 1.0
    elif k >= 3:
        res = st.friedmanchisquare(*s.T)
        stat, p = float(res.statistic), float(res.pvalue)
    else:
        ties = sum(float(c ** 3 - c) for row in s for c in np.unique(row, return_counts=True)[1])
        C = 1 - ties / (N * k * (k * k - 1))
        stat = (12.0 / (N * k * (k + 1)) * float(np.sum(ranks.sum(axis=0) ** 2)) - 3.0 * N * (k + 1)) / C
        p = float(st.chi2.sf(stat, k - 1))
    cd = st.studentized_range.ppf(1 - alpha, k, np.inf) / math.sqrt(2) * math.sqrt(k * (k + 1) / (6 * N))
    return avg, stat, p, float(cd)


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
    ca, na, cb, nb = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (count_a, n_a, count_b, n_b)))
    p_pool = (ca + cb) / (na + nb)
    mask = (p_pool > 0) & (p_pool < 1)
    z = np.zeros(ca.shape)
    se = np.sqrt(p_pool[mask] * (1 - p_pool[mask]) * (1 / na[mask] + 1 / nb[mask]))
    z[mask] = (ca[mask] / na[mask] - cb[mask] / nb[mask]) / se
    sides = {"two-sided": lambda v: 2 * st.norm.sf(np.abs(v)),
             "larger": lambda v: st.norm.sf(v),
             "smaller": lambda v: st.norm.cdf(v)}
    if alternative not in sides:
        raise ValueError(f"alternative must be one of {sorted(sides)}")
    p = np.ones(ca.shape)
    p[mask] = sides[alternative](z[mask])
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
    # solve in x = h sqrt(n/2): power(x) = Phi(x - z) + Phi(-x - z), increasing for x > 0
    g = lambda x: st.norm.cdf(x - z) + st.norm.cdf(-x - z) - power
    hi = z + st.norm.ppf(power)              # closed form: power(hi) >= target
    while g(hi) < 0:
        hi *= 2
    x = optimize.brentq(g, 0.0, hi, xtol=1e-15, rtol=1e-15)
    return float(2 * (x / h) ** 2)


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
    if p.size == 0:
        return np.zeros(0, dtype=bool), np.zeros(0, dtype=np.float64)
    reject, adjusted = _sm_multipletests(p, alpha=alpha, method="holm")[:2]
    return np.asarray(reject, dtype=bool), np.asarray(adjusted, dtype=np.float64)


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
    alpha = policy.get("alpha", 0.05)
    min_effect = policy.get("min_effect", 0.0)
    guards = policy.get("guardrails", {})
    lower = policy.get("lower_is_better", [])
    watched = [primary] + [g for g in guards if g != primary]
    missing = [m for m in watched if m not in results]
    if missing:
        raise KeyError(missing[0])

    def signed_gain(metric):               # positive = better
        e = results[metric]["effect"]
        return -e if metric in lower else e

    for metric in watched:
        tol = guards.get(metric, 0.0)
        if results[metric]["p"] < alpha and -signed_gain(metric) > tol:
            return "rollback"
    gain = signed_gain(primary)
    if results[primary]["p"] < alpha and gain > 0 and gain >= min_effect:
        return "ship"
    return "hold"
