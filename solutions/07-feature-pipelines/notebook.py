# %% [markdown]
# # Lab 07: data representation, feature pipelines without leakage, and text
#
# This notebook exists twice: `features.ipynb` holds the answer cells of part A (tabular features),
# `text.ipynb` those of part B (text). `labkit grade` reads only the answer cells (they carry nbgrader
# metadata); everything else is for exploring and never runs at grading. Prefer editing `features.py` and
# `text.py`? That works too: grading takes a module when you changed it.
#
# Check yourself at any time from a terminal: `labkit check 07` (or `labkit check 07 q4`).

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import binomtest
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import cross_val_score, train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from statsmodels.datasets import fair

data = fair.load_pandas().data
y_fair = (data.pop("affairs") > 0).to_numpy().astype(int)
print(data.shape, "share with an affair:", y_fair.mean().round(3))
data.describe().T

# %% [markdown]
# ## Your answers
# The docstrings give the formulas, shapes and the conventions the tests rely on (tie rules, quantile
# method, NaN handling).

# %% [answers]

# %%
# The same exploration runs in both notebooks: whatever this notebook does not define comes from the
# other answer file (your answers in this notebook win).
import features
import text

for _module in (features, text):
    for _name, _value in vars(_module).items():
        if not _name.startswith("_"):
            globals().setdefault(_name, _value)

# %% [markdown]
# ## Part A. Scaling: what a heavy tail does
# `area` in breast_cancer spans two orders of magnitude. z-scoring keeps the tail; LogClip tames it.

# %%
X_bc = load_breast_cancer().data
area = X_bc[:, [3]]
fig, axes = plt.subplots(1, 3, figsize=(12, 3))
axes[0].hist(area[:, 0], bins=40)
axes[0].set_title("raw area")
axes[1].hist(ZScore().fit_transform(area)[:, 0], bins=40)
axes[1].set_title("ZScore")
axes[2].hist(LogClip().fit_transform(area)[:, 0], bins=40)
axes[2].set_title("LogClip (1%-99%, signed log1p)")
plt.show()

# %% [markdown]
# ## Leakage you can see: target encoding on labels that are pure noise
# 400 categories of about three rows each and coin-flip labels. Any honest feature predicts nothing.
# Encoding with `fit(X, y).transform(X)` puts each row's own label into its feature; `fit_transform`
# (out-of-fold) does not.

# %%
rng = np.random.default_rng(0)
cats = rng.integers(0, 400, size=(1200, 1))
noise = rng.integers(0, 2, size=1200)
leaky = TargetEncoder(smoothing=1.0).fit(cats, noise).transform(cats)[:, 0]
honest = TargetEncoder(smoothing=1.0).fit_transform(cats, noise)[:, 0]
print("AUC on the labels it was fitted on -- leaky:", round(roc_auc_score(noise, leaky), 3),
      " out-of-fold:", round(roc_auc_score(noise, honest), 3))
# a downstream model believes the leaky column: its training score is a fantasy
for name, col in [("leaky", leaky), ("out-of-fold", honest)]:
    model = LogisticRegression().fit(col[:, None], noise)
    print(f"{name:12s} train accuracy {model.score(col[:, None], noise):.3f}")

# %% [markdown]
# ## Which fair answers carry information about the label?

# %%
order, scores = mutual_information_ranking(data.to_numpy(), y_fair)
plt.barh([data.columns[j] for j in order][::-1], scores[order][::-1])
plt.xlabel("mutual information with 'any affair' (nats)")
plt.show()

# %% [markdown]
# ## A representation must earn its keep -- and sometimes cannot
# On fair, one-hot codes and bins give a linear model about half a point (we measured +0.5%, McNemar
# p = 0.3 over several splits): the label carries little signal and a boosted tree does no better. A
# paired test tells you to stop tuning features there. On anes96, with a nearest-neighbour model, the
# representation decides everything.

# %%
X_anes, y_anes = load_anes()
Xtr, Xte, ytr, yte = train_test_split(X_anes, y_anes, test_size=0.5, random_state=0, stratify=y_anes)
for k in (5, 15, 45):
    raw = KNeighborsClassifier(k).fit(Xtr, ytr).predict(Xte)
    ours = make_pipeline(build_features(Xtr), KNeighborsClassifier(k)).fit(Xtr, ytr).predict(Xte)
    print(f"k={k:2d}  raw {np.mean(raw == yte):.3f}  features {np.mean(ours == yte):.3f}  "
          f"McNemar p = {mcnemar_exact(yte, raw, ours):.1e}")

# %% [markdown]
# ## PCA on digits: how many directions matter?

# %%
X_dig, y_dig = load_digits(return_X_y=True)
Z, components, ratio = pca_fit_transform(X_dig, 30)
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
axes[0].plot(np.cumsum(ratio), marker=".")
axes[0].set_xlabel("components")
axes[0].set_ylabel("cumulative explained variance")
axes[1].scatter(Z[:, 0], Z[:, 1], c=y_dig, s=5, cmap="tab10")
axes[1].set_title("digits on the first two components")
plt.show()

# %% [markdown]
# ## Part B. BPE on the Python documentation
# The first merges are spaces and common English pairs; the compression ratio grows with the vocabulary.

# %%
corpus = pydoc_corpus()
tok = BPETokenizer.train(corpus[:20_000], 356)
print([tok.vocab[256 + i] for i in range(20)])
sample = corpus[300_000:310_000]
sizes = [256, 276, 306, 356]
ratios = [compression_ratio(BPETokenizer(tok.merges[: s - 256]), sample) for s in sizes]
plt.plot(sizes, ratios, marker="o")
plt.xlabel("vocabulary size")
plt.ylabel("UTF-8 bytes per token")
plt.show()
s = "naïve café, 東京 and a snake: \U0001F40D"
print(tok.encode(s)[:20], tok.decode(tok.encode(s)) == s)

# %% [markdown]
# ## TF-IDF against a learned embedding
# The label is "opinion polarity XOR negation". Which representation wins, and is the win real?

# %%
docs, labels = make_review_task(1600, 0)
r = compare_representations(docs[:1000], labels[:1000], docs[1000:], labels[1000:], seed=0)
print({k: v for k, v in r.items() if not k.startswith("pred")})

# %% [markdown]
# Mean pooling forgets word order just like a bag of words, so order is not what the embedding model
# exploits; its hidden layer combines "not" with the opinion word. Give TF-IDF the same power through
# the representation instead (bigrams such as "not great"), and the linear model catches up:

# %%
from sklearn.feature_extraction.text import TfidfVectorizer

bigrams = TfidfVectorizer(ngram_range=(1, 3), token_pattern=r"\S+").fit(docs[:1000])
clf = LogisticRegression(C=10.0, max_iter=1000).fit(bigrams.transform(docs[:1000]), labels[:1000])
pred = clf.predict(bigrams.transform(docs[1000:]))
print("TF-IDF with n-grams:", np.mean(pred == labels[1000:]).round(3))
