# %% [markdown]
# # Lab 12: statistics for decisions
#
# Work through the cells in order. Your answers live in the cells marked as answer cells (they carry
# nbgrader metadata); `labkit grade` reads only those. Everything else is for exploring: it never runs
# at grading. Prefer editing `stats.py`? That works too: grading takes the module when you changed it.
#
# Check yourself at any time from a terminal: `labkit check 12` (or `labkit check 12 q6`).
#
# The question behind every cell: *is this difference real, is it big enough to matter, and what do we
# do about it?*

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

X, y = load_breast_cancer(return_X_y=True)
Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.4, random_state=0, stratify=y)
logreg = make_pipeline(StandardScaler(), LogisticRegression())
tree = DecisionTreeClassifier(max_depth=3, random_state=0)
pred_a, pred_b = logreg.fit(Xtr, ytr).predict(Xte), tree.fit(Xtr, ytr).predict(Xte)
print("accuracy A (logistic regression):", (pred_a == yte).mean(), " B (tree):", (pred_b == yte).mean())

# %% [markdown]
# ## Your answers
# Fill in each function below. The docstrings give the formulas, the conventions for degenerate
# inputs and, where it matters for reproducibility, the exact procedure.

# %% [answers]

# %% [markdown]
# ## Explore: one test set, two models (McNemar)
# The two accuracies above differ by a couple of points. Only the examples where the models disagree
# carry information about which one is better. How many are there, and is the difference significant?

# %%
disagree = (pred_a == yte) != (pred_b == yte)
print("examples where exactly one model is right:", disagree.sum(), "of", len(yte))
print("exact McNemar     (statistic, p):", mcnemar(yte, pred_a, pred_b, exact=True))
print("asymptotic McNemar(statistic, p):", mcnemar(yte, pred_a, pred_b, exact=False))

# %% [markdown]
# With few discordant pairs the chi-square approximation can be far from the exact binomial p-value.
# Compare them for n01 = 1 and n10 = 1..12:

# %%
for n10 in range(1, 13):
    yy = np.zeros(n10 + 1, dtype=int)
    a = np.r_[1, np.zeros(n10, dtype=int)]  # A wrong once
    b = np.r_[0, np.ones(n10, dtype=int)]   # B wrong n10 times
    print(f"n01=1 n10={n10:2d}  exact p={mcnemar(yy, a, b)[1]:.4f}  chi-square p={mcnemar(yy, a, b, exact=False)[1]:.4f}")

# %% [markdown]
# ## Explore: resampling (5x2cv t and F tests)
# One split is one draw of the data. Dietterich's 5x2cv repeats 2-fold cross-validation five times;
# Alpaydin's F test uses all ten differences.

# %%
diffs = run_5x2cv(logreg, GaussianNB(), X, y, seed=1)
print(np.round(diffs, 4))
print("5x2cv t (t, p):", paired_ttest_5x2cv(diffs))
print("5x2cv F (F, p):", combined_ftest_5x2cv(diffs))

# %% [markdown]
# How often do these tests reject when nothing differs? Simulate 20,000 null experiments with
# independent N(0, 1) fold differences (one call each, thanks to broadcasting). The t test is
# conservative here (about 0.028 at alpha = 0.05) because diffs[0, 0] and its own variance term are
# correlated; the F test is more conservative still (about 0.018).

# %%
null = np.random.default_rng(0).normal(size=(20_000, 5, 2))
_, p_t = paired_ttest_5x2cv(null)
_, p_f = combined_ftest_5x2cv(null)
print("type-I error at 0.05:  t", (p_t < 0.05).mean(), "  F", (p_f < 0.05).mean())
plt.hist([p_t, p_f], bins=20, label=["5x2cv t", "5x2cv F"])
plt.xlabel("p-value under H0 (uniform for an exact test)")
plt.legend()
plt.show()

# %% [markdown]
# ## Explore: a bootstrap interval for the accuracy difference
# Resample test examples (rows of the paired correctness matrix), not each model separately.

# %%
correct = np.stack([pred_a == yte, pred_b == yte], axis=1).astype(float)
low, high = bootstrap_ci(lambda s: s[:, 0].mean() - s[:, 1].mean(), correct, n=4000, alpha=0.05, rng=0)
print(f"accuracy difference {correct[:, 0].mean() - correct[:, 1].mean():+.4f}, 95% CI [{low:+.4f}, {high:+.4f}]")

# %% [markdown]
# ## Explore: many data sets (Friedman + Nemenyi)
# Cross-validated accuracy of three models on four data sets; rank 1 is the best.

# %%
from sklearn.datasets import load_digits, load_iris, load_wine
from sklearn.model_selection import cross_val_score

models = {"logreg": make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
          "naive Bayes": GaussianNB(), "tree": DecisionTreeClassifier(max_depth=4, random_state=0)}
datasets = {"iris": load_iris, "wine": load_wine, "breast_cancer": load_breast_cancer, "digits": load_digits}
scores = np.array([[cross_val_score(m, *load(return_X_y=True), cv=5).mean() for m in models.values()]
                   for load in datasets.values()])
ranks, statistic, p, cd = friedman_nemenyi(scores)
print(np.round(scores, 3))
print("average ranks:", dict(zip(models, ranks)), " chi2 =", round(statistic, 3), " p =", round(p, 4),
      " CD =", round(cd, 3))

# %% [markdown]
# With four data sets the critical difference is about 1.7 ranks, out of a possible range of 2 (from 1
# to 3): logistic regression is best on three of the four data sets, yet the Friedman test is not
# significant and no pair of average ranks is further apart than the CD. Demsar's point: you
# need many data sets before "best on average" means anything.

# %% [markdown]
# ## Explore: "significant almost every week"
# An A/A test (both arms identical) tracked on 20 metrics, every week for a year. Count the weeks with
# at least one "significant" metric, without and with Holm's correction.

# %%
rng = np.random.default_rng(7)
weeks, metrics, n_users = 52, 20, 5000
conv_a = rng.binomial(n_users, 0.1, size=(weeks, metrics))
conv_b = rng.binomial(n_users, 0.1, size=(weeks, metrics))
_, pvals = two_proportion_ztest(conv_a, n_users, conv_b, n_users)
print("weeks with a 'significant' metric, uncorrected:", int(np.sum((pvals < 0.05).any(axis=1))), "of", weeks)
print("weeks with a significant metric after Holm:   ", int(sum(holm(week)[0].any() for week in pvals)), "of", weeks)

# %% [markdown]
# ## Explore: how many users does an A/B test need?
# Halving the effect you want to detect quadruples the sample size.

# %%
mdes = np.linspace(0.005, 0.05, 30)
for power in (0.8, 0.9):
    plt.plot(mdes * 100, [sample_size_for_mde(0.1, m, power=power) for m in mdes], label=f"power {power}")
plt.yscale("log")
plt.xlabel("minimum detectable effect (percentage points, baseline 10%)")
plt.ylabel("users per group")
plt.legend()
plt.show()

# %% [markdown]
# Check the promise by simulation: with n users per group, the test should reject in about 80% of
# experiments that have exactly the planned effect.

# %%
n = int(np.ceil(sample_size_for_mde(0.1, 0.02)))
sims = np.random.default_rng(3)
_, p = two_proportion_ztest(sims.binomial(n, 0.12, 10_000), n, sims.binomial(n, 0.10, 10_000), n)
print(f"n = {n} per group, empirical power = {(p < 0.05).mean():.3f} (Monte-Carlo error about +-0.004)")

# %% [markdown]
# ## Explore: from results to a decision
# Significance is not the same as importance. Try changing the effects and p-values below.

# %%
policy = {"primary": "conversion", "min_effect": 0.005, "alpha": 0.05,
          "guardrails": {"latency_ms": 10.0, "crash_rate": 0.0}, "lower_is_better": ["latency_ms", "crash_rate"]}
for name, conv, latency in [("big win", (0.012, 0.001), (2.0, 0.4)),
                            ("tiny but significant", (0.002, 1e-6), (1.0, 0.6)),
                            ("win, but slower", (0.012, 0.001), (25.0, 0.001))]:
    results = {"conversion": {"effect": conv[0], "p": conv[1]}, "latency_ms": {"effect": latency[0], "p": latency[1]},
               "crash_rate": {"effect": 0.0, "p": 1.0}}
    print(f"{name:22s} -> {decide_release(results, policy)}")
