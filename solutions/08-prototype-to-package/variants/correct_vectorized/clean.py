"""Cleaning the raw survey export (messy_fair.csv) into a typed table a model can trust.

The contract `clean` keeps (the tests check each line):
- the typo `yrs_marred` is renamed to `yrs_married`;
- duplicate rows of the same respondent (same `id`) are dropped, the first one kept;
- `age` loses its unit ("32 yrs", "32 Years" -> 32.0); ages outside [AGE_MIN, AGE_MAX] become NaN;
- `income` text becomes a number: "52.3k"/"52.3K" -> 52300.0, "0.05M"/"0.05m" -> 50000.0, "" -> NaN,
  rounded to the cent so that "52.3k" and "52300" compare equal;
- the leak `affairs` (the label is derived from it) is dropped;
- rows with missing values are KEPT (the model imputes them): clean never drops a valid row;
- the result has exactly the columns COLUMNS in that order, a fresh 0..n-1 index, float64 features and
  int64 `id` / `had_affair`; the input frame is not modified.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

AGE_MIN, AGE_MAX = 16.0, 100.0
LEAKS = ["affairs"]
RENAMES = {"yrs_marred": "yrs_married"}
NUMERIC = ["rate_marriage", "age", "yrs_married", "children", "religious", "educ", "occupation",
           "occupation_husb", "income"]
COLUMNS = ["id", *NUMERIC, "had_affair"]

_AGE_UNIT = r"\s*(?:y|yrs?|years?)\s*$"


def _as_series(values) -> pd.Series:
    return values if isinstance(values, pd.Series) else pd.Series(values)


def parse_age(values: pd.Series) -> pd.Series:
    """Ages as float64: strip a unit (y, yrs, year(s), any case) and whitespace; impossible ages -> NaN.

    Example: ["32", "32 yrs", "17.5 Years", "150", None] -> [32.0, 32.0, 17.5, NaN, NaN]
    """
    s = _as_series(values)
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        num = s.astype("float64")
    else:
        txt = s.astype(str).str.strip().str.replace(_AGE_UNIT, "", regex=True, case=False)
        num = pd.to_numeric(txt, errors="coerce").astype("float64")
    return num.where((num >= AGE_MIN) & (num <= AGE_MAX)).astype("float64")


def parse_amount(values: pd.Series) -> pd.Series:
    """Money as float64 rounded to the cent: "52300" -> 52300.0, "52.3k"/"52.3K" -> 52300.0,
    "1.2M"/"1.2m" -> 1200000.0; blank or unreadable -> NaN.

    Multiply the number by 1e3 (k) or 1e6 (m) first, then round(2): 0.0523 * 1e6 is 52300.000000000004.
    """
    s = _as_series(values)
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        num = s.astype("float64")
    else:
        txt = s.astype(str).str.strip().str.lower()
        mult = np.where(txt.str.endswith("k", na=False), 1e3, np.where(txt.str.endswith("m", na=False), 1e6, 1.0))
        txt = txt.str.replace(r"\s*[km]$", "", regex=True)
        num = pd.to_numeric(txt, errors="coerce").astype("float64") * mult
    return num.round(2).astype("float64")


def clean(df: pd.DataFrame) -> pd.DataFrame:
    """The cleaned copy of a raw export (see the module docstring for the contract).

    Input: the columns of messy_fair.csv in any order (text or numbers). Output: COLUMNS, index 0..n-1.
    """
    raw = df.rename(columns=RENAMES)
    raw = raw.drop_duplicates(subset="id", keep="first")
    raw = raw.drop(columns=[c for c in LEAKS if c in raw.columns])
    out = pd.DataFrame(index=raw.index)
    out["id"] = pd.to_numeric(raw["id"]).astype("int64")
    for col in NUMERIC:
        if col == "age":
            out[col] = parse_age(raw[col])
        elif col == "income":
            out[col] = parse_amount(raw[col])
        else:
            out[col] = pd.to_numeric(raw[col], errors="coerce").astype("float64")
    out["had_affair"] = pd.to_numeric(raw["had_affair"]).astype("int64")
    return out[COLUMNS].reset_index(drop=True)
