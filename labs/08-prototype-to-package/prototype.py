"""The prototype you inherit: a data scientist's notebook, exported as a script.

It runs from top to bottom without an error and prints a test accuracy that looks great. It is also wrong
in several places, each of the quiet kind pandas lets through (and pandas 3's copy-on-write adds one).
Do not fix it here: read it, run it, find what it gets wrong, then write clean.py, features.py, model.py
and cli.py so that none of it can happen again, and test_pipeline.py so that the tests would have caught
it. `python prototype.py` from this folder.
"""
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

DATA = Path(__file__).resolve().parents[2] / "datasets" / "08-prototype-to-package" / "messy_fair.csv"

# %% load and clean
df = pd.read_csv(DATA)
print("raw rows:", len(df))
df.drop_duplicates()
df = df.rename(columns={"yrs_marred": "yrs_married"})

df["age"] = pd.to_numeric(df["age"], errors="coerce")
df["age"][df["age"] > 100] = np.nan  # impossible ages out

df["income"] = pd.to_numeric(df["income"].str.replace("k", "e3"), errors="coerce")
df = df.dropna()
print("clean rows:", len(df))

# %% features and model
X = df.drop(columns=["id", "had_affair"])
y = df["had_affair"]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25)
scaler = StandardScaler().fit(X_train)
clf = LogisticRegression(max_iter=1000).fit(scaler.transform(X_train), y_train)
print("test accuracy:", round(clf.score(scaler.transform(X_test), y_test), 3))


# %% serving
def predict_one(row: dict) -> float:
    """Probability of an affair for one respondent, as the web service calls it."""
    x = pd.DataFrame([row])[X.columns].fillna(0)
    x = StandardScaler().fit_transform(x)  # scale the request like the training data
    return float(clf.predict_proba(x)[0, 1])


print("one request:", round(predict_one(X_test.iloc[0].to_dict()), 3),
      "vs batch:", round(clf.predict_proba(scaler.transform(X_test.iloc[[0]]))[0, 1], 3))
