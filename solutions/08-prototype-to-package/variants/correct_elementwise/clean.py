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

import math
import numbers
import re

import numpy as np
import pandas as pd

AGE_MIN, AGE_MAX = 16.0, 100.0
LEAKS = ["affairs"]
RENAMES = {"yrs_marred": "yrs_married"}
NUMERIC = ["rate_marriage", "age", "yrs_married", "children", "religious", "educ", "occupation",
           "occupation_husb", "income"]
COLUMNS = ["id", *NUMERIC, "had_affair"]

_AGE_RE = re.compile(r"^\s*(.*?)\s*(?:y|yrs?|years?)?\s*$", re.IGNORECASE)
_AMOUNT_RE = re.compile(r"^\s*(.*?)\s*([km])?\s*$", re.IGNORECASE)
_SCALE = {None: 1.0, "k": 1e3, "m": 1e6}


def _is_missing(v) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, float) and math.isnan(v)


def _to_float(text: str) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan


def _one_age(v) -> float:
    if _is_missing(v):
        return math.nan
    if isinstance(v, numbers.Number) and not isinstance(v, bool):
        age = float(v)
    else:
        m = _AGE_RE.match(str(v))
        age = _to_float(m.group(1)) if m and m.group(1) else math.nan
    return age if AGE_MIN <= age <= AGE_MAX else math.nan


def _one_amount(v) -> float:
    if _is_missing(v):
        return math.nan
    if isinstance(v, numbers.Number) and not isinstance(v, bool):
        return round(float(v), 2)
    m = _AMOUNT_RE.match(str(v))
    if not m or not m.group(1):
        return math.nan
    suffix = m.group(2).lower() if m.group(2) else None
    value = _to_float(m.group(1)) * _SCALE[suffix]
    return math.nan if math.isnan(value) else round(value, 2)


def _index_of(values):
    return values.index if isinstance(values, pd.Series) else None


def parse_age(values: pd.Series) -> pd.Series:
    """Ages as float64: strip a unit (y, yrs, year(s), any case) and whitespace; impossible ages -> NaN.

    Example: ["32", "32 yrs", "17.5 Years", "150", None] -> [32.0, 32.0, 17.5, NaN, NaN]
    """
    return pd.Series([_one_age(v) for v in values], index=_index_of(values), dtype="float64")


def parse_amount(values: pd.Series) -> pd.Series:
    """Money as float64 rounded to the cent: "52300" -> 52300.0, "52.3k"/"52.3K" -> 52300.0,
    "1.2M"/"1.2m" -> 1200000.0; blank or unreadable -> NaN.

    Multiply the number by 1e3 (k) or 1e6 (m) first, then round(2): 0.0523 * 1e6 is 52300.000000000004.
    """
    return pd.Series([_one_amount(v) for v in values], index=_index_of(values), dtype="float64")


def clean(df: pd.DataFrame) -> pd.DataFrame:
    """The cleaned copy of a raw export (see the module docstring for the contract).

    Input: the columns of messy_fair.csv in any order (text or numbers). Output: COLUMNS, index 0..n-1.
    """
    work = df.copy()
    work.columns = [RENAMES.get(c, c) for c in work.columns]
    ids = pd.to_numeric(work["id"]).astype("int64")
    keep = ~ids.duplicated(keep="first").to_numpy()
    work = work.loc[keep].reset_index(drop=True)
    columns = {"id": pd.to_numeric(work["id"]).astype("int64").to_numpy()}
    for col in NUMERIC:
        if col == "age":
            columns[col] = parse_age(work[col]).to_numpy()
        elif col == "income":
            columns[col] = parse_amount(work[col]).to_numpy()
        else:
            columns[col] = pd.to_numeric(work[col], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    columns["had_affair"] = pd.to_numeric(work["had_affair"]).astype("int64").to_numpy()
    # the leaks (LEAKS) are simply never copied over: only COLUMNS are built
    return pd.DataFrame(columns, columns=COLUMNS)
