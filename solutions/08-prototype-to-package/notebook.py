# %% [markdown]
# # Lab 08: from a data-science prototype to a package
#
# This notebook exists once per answer file (`clean.ipynb`, `features.ipynb`, `model.ipynb`, `cli.ipynb`,
# `test_pipeline.ipynb`); each holds the answer cells of its own file. `labkit grade` reads only the
# answer cells; everything else is for exploring and never runs at grading. Editing the `.py` files
# directly works too, and is what a package wants: grading takes a module when you changed it.
#
# Check yourself at any time from a terminal: `labkit check 08` (or `labkit check 08 q1`).

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from autograder.paths import DATASETS

raw = pd.read_csv(DATASETS / "08-prototype-to-package" / "messy_fair.csv")
print(raw.shape, "rows;", raw["id"].nunique(), "respondents")
raw.head(8)

# %% [markdown]
# ## What the raw export looks like
# Ages and incomes are text. Count the spellings before you write a parser: every spelling you do not
# handle becomes a silent NaN once `errors="coerce"` is involved.

# %%
print(raw["age"].str.replace(r"[0-9.\-]+", "<n>", regex=True).value_counts())
print(raw["income"].str.replace(r"[0-9.]+", "<n>", regex=True).value_counts(dropna=False))

# %% [markdown]
# ## Your answers

# %% [answers]

# %%
# Whatever this notebook does not define comes from the other answer files (your answers here win).
import importlib

for _name in ("clean", "features", "model"):
    try:
        _module = importlib.import_module(_name)
    except Exception as exc:  # an unfinished file must not stop the exploration
        print(f"{_name}.py: {exc}")
        continue
    for _key, _value in vars(_module).items():
        if not _key.startswith("_"):
            globals().setdefault(_key, _value)

# %% [markdown]
# ## How many rows does each cleaning rule touch?
# The prototype's `dropna()` keeps about a fifth of the respondents. Yours should keep all of them.

# %%
data = clean(raw)
print("respondents kept:", len(data), "of", raw["id"].nunique())
data.isna().mean().round(3).plot.barh(title="share missing after clean")
plt.show()

# %% [markdown]
# ## The leak, in one number
# `affairs` is the amount the label is derived from. With it, any model looks brilliant.

# %%
from sklearn.metrics import roc_auc_score

print("AUC of the leak alone:", roc_auc_score(raw["had_affair"], raw["affairs"]))

# %% [markdown]
# ## A model you can trust, and the skew you must not have
# Train on 3,000 respondents, score the rest; then serve one row through `predict_one` and compare.

# %%
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    m = train(data.iloc[:3000], {"seed": 0})
test = data.iloc[3000:]
print(evaluate(m, test))
i = int(np.flatnonzero(test.isna().any(axis=1).to_numpy())[0])
print("predict_one:", m.predict_one(test.iloc[i].to_dict()), " batch:", m.predict_proba(test)[i, 1])
plt.hist(m.predict_proba(test)[:, 1], bins=30)
plt.xlabel("P(affair)")
plt.show()
