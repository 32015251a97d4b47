"""Command line for the package: train, evaluate and predict from raw CSV exports.

    python cli.py train    --data messy_fair.csv --out run/ [--seed 0] [--test-size 0.25] [--alpha 1e-3] [--epochs 20]
    python cli.py evaluate --model run/ --data other.csv [--out metrics.json]
    python cli.py predict  --model run/ --data new.csv [--out predictions.csv]

`train` cleans the data, holds out a stratified test split drawn with --seed, trains with the same seed and
writes run/model.json and run/metrics.json (the metrics of the held-out split). `evaluate` prints the
metrics JSON of a labelled file (and writes it with --out). `predict` prints (or writes) a CSV with the
columns id, probability, label. Metrics JSON: exactly the keys of model.METRICS.
Exit code 0 on success; a missing data file: an error message that names it, and exit code 2 (parser.error).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd
from sklearn.model_selection import train_test_split

from clean import clean
from model import LABEL, Model, evaluate, train

MODEL_FILE, METRICS_FILE = "model.json", "metrics.json"


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser with the three subcommands and the options shown in the module docstring."""
    # YOUR CODE HERE
    raise NotImplementedError()


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; returns the exit code."""
    # YOUR CODE HERE
    raise NotImplementedError()


if __name__ == "__main__":
    sys.exit(main())
