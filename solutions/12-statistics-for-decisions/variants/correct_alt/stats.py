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
from scipy import special


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
    wrong_a = np.asarray(pred_a) != y
    wrong_b = np.asarray(pred_b) != y
    n01 = np.count_nonzero(wrong_a & ~wrong_b)      # A wrong, B right
    n10 = np.count_nonzero(wrong_b & ~wrong_a)      # A right, B wrong
    n = int(n01 + n10)
    if n == 0:
        return 0.0, 1.0
    if exact:
        return float(min(n01, n10)), float(st.binomtest(int(n10), n, 0.5).pvalue)
    stat = float((abs(int(n01) - int(n10)) - 1) ** 2) / n
    return stat, float(special.chdtrc(1, stat))


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
    gap = d[..., :, 0] - d[..., :, 1]
    s2 = 0.5 * gap * gap                                    # (a-m)^2 + (b-m)^2 with m=(a+b)/2
    var = np.einsum('...i->...', s2) / 5.0
    num = d[..., 0, 0]
    den = np.sqrt(var)
    t = np.divide(num, den, out=np.zeros(np.shape(num)), where=den > 0)
    t = np.where(den > 0, t, np.copysign(np.inf, num))
    t = np.where((den == 0) & (num == 0), 0.0, t)
    p = 2.0 * special.stdtr(5, -np.abs(t))
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
    gap = d[..., :, 0] - d[..., :, 1]
    den = np.einsum('...i,...i->...', gap, gap)             # = 2 * sum_i s2_i
    num = np.einsum('...ij,...ij->...', d, d)
    F = np.divide(num, den, out=np.zeros(np.shape(num)), where=den > 0)
    F = np.where((den == 0) & (num > 0), np.inf, F)
    p = special.fdtrc(10, 5, F)
    return _out(F), _out(p)


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
    split_seeds = [rng.randint(0, 32767) for _ in range(5)]
    score_a = np.empty((5, 2))
    score_b = np.empty((5, 2))
    for i, split_seed in enumerate(split_seeds):
        X1, X2, y1, y2 = train_test_split(X, y, test_size=0.5, random_state=split_seed)
        folds = [((X1, y1), (X2, y2)), ((X2, y2), (X1, y1))]
        for j, ((Xtr, ytr), (Xte, yte)) in enumerate(folds):
            model_a = clone(est_a)
            model_a.fit(Xtr, ytr)
            model_b = clone(est_b)
            model_b.fit(Xtr, ytr)
            score_a[i, j] = model_a.score(Xte, yte)
            score_b[i, j] = model_b.score(Xte, yte)
    return np.asarray(score_a - score_b, dtype=np.float64)


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
    gen = np.random.default_rng(rng)
    N = len(data)
    idx = gen.integers(0, N, size=(n, N))
    boot = np.fromiter((stat(np.take(data, row, axis=0)) for row in idx), dtype=np.float64, count=n)
    srt = np.sort(boot)

    def linear_quantile(q):
        h = q * (n - 1)
        lo = int(math.floor(h))
        hi = min(lo + 1, n - 1)
        frac = h - lo
        a, b = srt[lo], srt[hi]
        return float(a + (b - a) * frac) if frac < 0.5 else float(b - (b - a) * (1 - frac))

    return linear_quantile(alpha / 2), linear_quantile(1 - alpha / 2)


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
    better = (s[:, None, :] > s[:, :, None]).sum(axis=2)      # how many beat method j on each row
    same = (s[:, None, :] == s[:, :, None]).sum(axis=2)       # tie-group size of method j (incl. itself)
    ranks = 1.0 + better + (same - 1) / 2.0
    R = ranks.sum(axis=0) / N
    tie_sum = float(np.sum(same.astype(np.float64) ** 2 - 1.0))   # = sum over groups of t^3 - t
    C = 1.0 - tie_sum / (N * k * (k * k - 1))
    if C > 0:
        chi2 = 12.0 * N / (k * (k + 1)) * (float(R @ R) - k * (k + 1) ** 2 / 4.0) / C
        p = float(st.chi2.sf(chi2, k - 1))
    else:
        chi2, p = 0.0, 1.0
    q_alpha = st.studentized_range.ppf(1.0 - alpha, k, np.inf) / np.sqrt(2.0)
    cd = q_alpha * np.sqrt(k * (k + 1) / (6.0 * N))
    return R.astype(np.float64), float(chi2), p, float(cd)


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
    ca = np.asarray(count_a, dtype=np.float64)
    na = np.asarray(n_a, dtype=np.float64)
    cb = np.asarray(count_b, dtype=np.float64)
    nb = np.asarray(n_b, dtype=np.float64)
    pooled = (ca + cb) / (na + nb)
    se2 = pooled * (1.0 - pooled) * ((na + nb) / (na * nb))
    degenerate = (pooled <= 0) | (pooled >= 1)
    safe = np.where(degenerate, 1.0, se2)
    z = np.where(degenerate, 0.0, (ca / na - cb / nb) / np.sqrt(safe))
    if alternative == "two-sided":
        p = 2.0 * special.ndtr(-np.abs(z))
    elif alternative == "larger":
        p = special.ndtr(-z)
    elif alternative == "smaller":
        p = special.ndtr(z)
    else:
        raise ValueError("alternative must be 'two-sided', 'larger' or 'smaller'")
    p = np.where(degenerate, 1.0, p)
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
    h = abs(2.0 * np.arcsin(np.sqrt(p0 + mde)) - 2.0 * np.arcsin(np.sqrt(p0)))
    z = special.ndtri(1.0 - alpha / 2.0)
    zp = special.ndtri(power)
    # power(x) = Phi(x - z) + Phi(-x - z) = power  <=>  x = z + Phi^-1(power - Phi(-x - z)); fixed point in x
    x = z + zp
    for _ in range(500):
        x_new = z + special.ndtri(power - special.ndtr(-x - z))
        if x_new == x:
            break
        x = x_new
    else:                                       # slow contraction (power close to alpha): solve directly
        x = optimize.brentq(lambda v: special.ndtr(v - z) + special.ndtr(-v - z) - power, 0.0, z + zp,
                            xtol=1e-15)
    return float(2.0 * (x / h) ** 2)


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
    p = np.asarray(pvals, dtype=np.float64).reshape(-1)
    m = len(p)
    order = np.argsort(p, kind="mergesort")
    reject = np.zeros(m, dtype=bool)
    adjusted = np.zeros(m, dtype=np.float64)
    running = 0.0
    still_rejecting = True
    for rank, i in enumerate(order):
        factor = m - rank
        running = max(running, factor * p[i])
        adjusted[i] = min(1.0, running)
        still_rejecting = still_rejecting and (p[i] <= alpha / factor)
        reject[i] = still_rejecting
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
    alpha = policy.get("alpha", 0.05)
    min_effect = policy.get("min_effect", 0)
    guardrails = policy.get("guardrails", {}) or {}
    lower_is_better = policy.get("lower_is_better", []) or []

    tolerances = {primary: 0.0}
    tolerances.update(guardrails)              # a primary listed as guardrail gets that tolerance
    rows = {m: (float(results[m]["effect"]), float(results[m]["p"])) for m in tolerances}  # KeyError if missing

    def harm(metric, effect):
        return effect if metric in lower_is_better else -effect

    if any(p < alpha and harm(m, e) > tolerances[m] for m, (e, p) in rows.items()):
        return "rollback"
    e, p = rows[primary]
    improvement = -harm(primary, e)
    return "ship" if (p < alpha and improvement >= min_effect) else "hold"
