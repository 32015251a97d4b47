"""Features from a cleaned table: ONE function for training, batch scoring and single-row serving.

`build_features` is stateless and row-wise: the features of a row never depend on the other rows of the
frame it arrives in. Everything learned from data (medians for missing values, scaling) lives in the
model (model.py), so that saving the model saves it too. That is what keeps training and serving equal.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

NUMERIC = ["rate_marriage", "age", "yrs_married", "children", "religious", "educ"]
OCCUPATIONS = [1, 2, 3, 4, 5, 6]  # the survey's codes; fixed, so one row gives the same columns as many
FEATURE_NAMES = [*NUMERIC, "log_income", "age_at_marriage",
                 *(f"occupation_{k}" for k in OCCUPATIONS), *(f"occupation_husb_{k}" for k in OCCUPATIONS)]


def _col(df: pd.DataFrame, name: str) -> np.ndarray:
    return pd.to_numeric(df[name], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def build_features(df: pd.DataFrame) -> np.ndarray:
    """(n, 20) float64 matrix, columns in FEATURE_NAMES order, for a cleaned frame of n >= 1 rows.

    - the 6 NUMERIC columns as they are (NaN stays NaN: the model imputes);
    - log_income = log1p(income); age_at_marriage = age - yrs_married (NaN if either is NaN);
    - one-hot occupation and occupation_husb over the fixed codes OCCUPATIONS (an unknown code: all zeros).
    Never use pd.get_dummies here: on one row it makes one column, not six.
    """
    codes = np.asarray(OCCUPATIONS, dtype="float64")
    parts = [_col(df, c)[:, None] for c in NUMERIC]
    with np.errstate(invalid="ignore", divide="ignore"):
        parts.append(np.log1p(_col(df, "income"))[:, None])
    parts.append((_col(df, "age") - _col(df, "yrs_married"))[:, None])
    for col in ("occupation", "occupation_husb"):
        parts.append((_col(df, col)[:, None] == codes[None, :]).astype("float64"))
    return np.ascontiguousarray(np.hstack(parts), dtype="float64")
