"""Generate messy_fair.csv for lab 08: statsmodels' `fair` survey with the problems a real export has.

Run from anywhere: `python datasets/08-prototype-to-package/make_messy_fair.py` writes messy_fair.csv and
messy_fair.csv.sha256 beside this script; `--check` regenerates in memory and compares with the checksum.

Injected problems (each one is something lab 08's `clean` must undo):
- `income` (a synthetic household income) as text: "52300", "52.3k", "52.3K", "0.0523M", "0.0523m", or blank;
- `age` with units in mixed case: "32", "32 yrs", "32 Years"; about 1.5 % impossible ages (0, -1, 3, 150, 999);
- exact duplicate rows (same respondent `id`), about 2.5 %;
- NaNs in `children`, `religious`, `yrs_marred` and `income`;
- `affairs`, the amount the label `had_affair = affairs > 0` is derived from (a leak);
- `yrs_marred`, a typo of `yrs_married`.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
CSV = HERE / "messy_fair.csv"
SHA = HERE / "messy_fair.csv.sha256"
SEED, N_ROWS = 8, 4000
IMPOSSIBLE_AGES = ["0", "-1", "3", "150", "999 yrs", "212"]


def _income_text(value: float, style: int) -> str:
    if np.isnan(value):
        return ""
    if style == 0:
        return f"{value:.0f}"
    if style in (1, 2):
        return f"{value / 1e3:g}" + ("k" if style == 1 else "K")
    return f"{value / 1e6:g}" + ("M" if style == 3 else "m")


def _age_text(age: float, style: int) -> str:
    unit = ["", " yrs", " years", " Yrs", " YEARS"][style]
    return f"{age:g}{unit}"


def make_messy(seed: int = SEED, n: int = N_ROWS, data: pd.DataFrame | None = None) -> pd.DataFrame:
    """A messy sample of `fair` (n respondents plus duplicates), fully determined by seed.

    data: the table to sample from, with fair's columns (default: statsmodels' fair itself).
    """
    if data is None:
        from statsmodels.datasets import fair

        data = fair.load_pandas().data
    raw = data.sample(n=n, random_state=seed).reset_index(drop=True)
    rng = np.random.default_rng(seed)
    # a household income that depends (weakly) on education and the husband's occupation
    log_income = 10.3 + 0.06 * (raw["educ"] - 14) + 0.08 * (raw["occupation_husb"] - 3.8) + rng.normal(0, 0.35, n)
    income = np.round(np.exp(log_income), -2)
    income[rng.random(n) < 0.05] = np.nan

    ages = [_age_text(a, s) for a, s in zip(raw["age"], rng.choice(5, n, p=[0.4, 0.25, 0.2, 0.1, 0.05]))]
    for i in np.flatnonzero(rng.random(n) < 0.015):
        ages[i] = IMPOSSIBLE_AGES[rng.integers(len(IMPOSSIBLE_AGES))]

    def with_nans(col: str, share: float) -> pd.Series:
        s = raw[col].copy()
        s[rng.random(n) < share] = np.nan
        return s

    df = pd.DataFrame({
        "id": np.arange(1, n + 1),
        "rate_marriage": raw["rate_marriage"].astype(int),
        "age": ages,
        "yrs_marred": with_nans("yrs_married", 0.02),
        "children": with_nans("children", 0.03),
        "religious": with_nans("religious", 0.03),
        "educ": raw["educ"].astype(int),
        "occupation": raw["occupation"].astype(int),
        "occupation_husb": raw["occupation_husb"].astype(int),
        "income": [_income_text(v, s) for v, s in zip(income, rng.choice(5, n, p=[0.4, 0.15, 0.15, 0.15, 0.15]))],
        "affairs": raw["affairs"].round(6),
        "had_affair": (raw["affairs"] > 0).astype(int),
    })
    dupes = df.iloc[np.flatnonzero(rng.random(n) < 0.025)]
    df = pd.concat([df, dupes], ignore_index=True)
    return df.iloc[rng.permutation(len(df))].reset_index(drop=True)


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    df.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue().encode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="regenerate in memory and compare with the checksum")
    args = parser.parse_args(argv)
    data = to_csv_bytes(make_messy())
    if args.check:
        want = SHA.read_text().split()[0]
        ok = sha256(data) == want and CSV.read_bytes() == data
        print("ok" if ok else f"mismatch: generated {sha256(data)}, recorded {want}")
        return 0 if ok else 1
    CSV.write_bytes(data)
    SHA.write_text(f"{sha256(data)}  {CSV.name}\n")
    rows = data.count(b"\n") - 1
    print(f"wrote {CSV} ({len(data)} bytes, {rows} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
