"""Helpers shared by lab 08's public tests and the grader's hidden tests: column lists, frames from arrays,
and the command line run as a user runs it. No answers here."""
from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

COLUMNS = ["id", "rate_marriage", "age", "yrs_married", "children", "religious", "educ", "occupation",
           "occupation_husb", "income", "had_affair"]  # a cleaned frame, in this order
METRICS = ["n_rows", "accuracy", "roc_auc", "log_loss", "base_rate"]  # the metrics JSON schema, in order


def read_csv_bytes(data: np.ndarray) -> pd.DataFrame:
    """A raw export given as the bytes of its CSV file (a uint8 array), read as a user reads the file."""
    return pd.read_csv(io.BytesIO(np.asarray(data, dtype=np.uint8).tobytes()))


def cleaned_frame(arrays: dict, prefix: str) -> pd.DataFrame:
    """A cleaned frame (COLUMNS) from arrays named prefix + column. Rows without a label get had_affair 0,
    a placeholder no model reads."""
    n = len(arrays[f"{prefix}id"])
    cols = {c: arrays.get(f"{prefix}{c}", np.zeros(n, dtype="int64")) for c in COLUMNS}
    out = pd.DataFrame(cols)
    return out.astype({"id": "int64", "had_affair": "int64", **{c: "float64" for c in COLUMNS[1:-1]}})


def exit_code(main, argv: list[str]) -> int:
    """main(argv)'s exit code, also when argparse exits (SystemExit) on a bad command line."""
    try:
        return int(main(argv))
    except SystemExit as exc:
        return int(exc.code)


def cli_train(cli_file: str | Path, data: Path, out: str, cwd: Path, *options: str,
              timeout: float = 120) -> subprocess.CompletedProcess:
    """`python cli.py train --data DATA --out OUT [options]` in a fresh interpreter, from the folder cwd."""
    return subprocess.run([sys.executable, str(cli_file), "train", "--data", str(data), "--out", out, *options],
                          cwd=cwd, capture_output=True, text=True, timeout=timeout)
