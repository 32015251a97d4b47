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
from model import LABEL, METRICS, Model, evaluate, train

MODEL_FILE, METRICS_FILE = "model.json", "metrics.json"


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser with the three subcommands and the options shown in the module docstring."""
    data = argparse.ArgumentParser(add_help=False)
    data.add_argument("--data", type=Path, required=True, help="a raw CSV export")
    served = argparse.ArgumentParser(add_help=False)
    served.add_argument("--model", type=Path, required=True, help="the run directory written by train")
    served.add_argument("--out", type=Path, default=None, help="file to write (default: stdout)")

    parser = argparse.ArgumentParser(prog="cli.py")
    sub = parser.add_subparsers(dest="command", required=True)
    tr = sub.add_parser("train", parents=[data], help="train a model and score its held-out split")
    tr.add_argument("--out", type=Path, required=True, help="run directory")
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument("--test-size", type=float, default=0.25)
    tr.add_argument("--alpha", type=float, default=1e-3)
    tr.add_argument("--epochs", type=int, default=20)
    sub.add_parser("evaluate", parents=[served, data], help="metrics of a labelled file")
    sub.add_parser("predict", parents=[served, data], help="probabilities and labels")
    return parser


def _dump(metrics: dict) -> str:
    return json.dumps({key: metrics[key] for key in METRICS}, indent=1)


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.data.is_file():
        parser.error(f"cannot read --data {args.data}: no such file")
    raw = pd.read_csv(args.data)

    if args.command == "train":
        df = clean(raw)
        idx_train, idx_test = train_test_split(df.index.to_numpy(), test_size=args.test_size,
                                               random_state=args.seed, stratify=df[LABEL])
        model = train(df.loc[idx_train], {"seed": args.seed, "alpha": args.alpha, "epochs": args.epochs})
        args.out.mkdir(parents=True, exist_ok=True)
        model.save(args.out / MODEL_FILE)
        text = _dump(evaluate(model, df.loc[idx_test]))
        (args.out / METRICS_FILE).write_text(text)
        print(text)
        return 0

    model = Model.load(args.model / MODEL_FILE if args.model.is_dir() else args.model)
    if args.command == "evaluate":
        text = _dump(evaluate(model, clean(raw)))
        print(text)
        if args.out is not None:
            args.out.write_text(text)
        return 0

    df = clean(raw if LABEL in raw.columns else raw.assign(**{LABEL: 0}))
    proba = model.predict_proba(df)[:, 1]
    table = pd.DataFrame({"id": df["id"], "probability": proba, "label": model.predict(df)})
    text = table.to_csv(index=False)
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
