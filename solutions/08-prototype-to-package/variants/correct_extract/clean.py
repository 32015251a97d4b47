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

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_AGE_PATTERN = rf"^\s*(?P<num>{_NUMBER})\s*(?P<unit>[A-Za-z]*)\s*$"
_AGE_UNITS = {"", "y", "yr", "yrs", "year", "years"}
_AMOUNT_PATTERN = rf"^\s*(?P<num>{_NUMBER})\s*(?P<suffix>[kKmM]?)\s*$"
_MULTIPLIER = {"": 1.0, "k": 1e3, "m": 1e6}


def _text(values) -> pd.Series:
    s = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    return s.astype(object).where(s.notna(), None).map(lambda v: None if v is None else str(v)).astype("string")


def parse_age(values: pd.Series) -> pd.Series:
    """Ages as float64: strip a unit (y, yrs, year(s), any case) and whitespace; impossible ages -> NaN.

    Example: ["32", "32 yrs", "17.5 Years", "150", None] -> [32.0, 32.0, 17.5, NaN, NaN]
    """
    parts = _text(values).str.extract(_AGE_PATTERN)
    ok = parts["unit"].str.lower().isin(_AGE_UNITS).fillna(False).astype(bool)
    age = pd.to_numeric(parts["num"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    age = np.where(ok.to_numpy() & (age >= AGE_MIN) & (age <= AGE_MAX), age, np.nan)
    return pd.Series(age, index=parts.index, dtype="float64")


def parse_amount(values: pd.Series) -> pd.Series:
    """Money as float64 rounded to the cent: "52300" -> 52300.0, "52.3k"/"52.3K" -> 52300.0,
    "1.2M"/"1.2m" -> 1200000.0; blank or unreadable -> NaN.

    Multiply the number by 1e3 (k) or 1e6 (m) first, then round(2): 0.0523 * 1e6 is 52300.000000000004.
    """
    parts = _text(values).str.extract(_AMOUNT_PATTERN)
    num = pd.to_numeric(parts["num"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    mult = parts["suffix"].str.lower().map(_MULTIPLIER).to_numpy(dtype="float64", na_value=np.nan)
    return pd.Series(np.round(num * mult, 2), index=parts.index, dtype="float64")


def clean(df: pd.DataFrame) -> pd.DataFrame:
    """The cleaned copy of a raw export (see the module docstring for the contract).

    Input: the columns of messy_fair.csv in any order (text or numbers). Output: COLUMNS, index 0..n-1.
    """
    named = df.rename(columns=RENAMES).reset_index(drop=True)
    parsers = {"age": parse_age, "income": parse_amount}
    typed = {
        col: parsers[col](named[col]) if col in parsers else pd.to_numeric(named[col], errors="coerce").astype("float64")
        for col in NUMERIC
    }
    out = pd.DataFrame({"id": pd.to_numeric(named["id"]).astype("int64"), **typed,
                        "had_affair": pd.to_numeric(named["had_affair"]).astype("int64")})
    out = out[~out["id"].duplicated(keep="first")]
    return out.loc[:, COLUMNS].reset_index(drop=True)
