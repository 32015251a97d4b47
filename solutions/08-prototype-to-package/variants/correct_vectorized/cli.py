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
    parser = argparse.ArgumentParser(prog="cli.py", description="train, evaluate and predict")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("train", help="clean, split, train; writes DIR/model.json and DIR/metrics.json")
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--test-size", type=float, default=0.25)
    p.add_argument("--alpha", type=float, default=1e-3)
    p.add_argument("--epochs", type=int, default=20)
    p = sub.add_parser("evaluate", help="metrics JSON of a labelled file")
    p.add_argument("--model", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--out", default=None)
    p = sub.add_parser("predict", help="CSV id,probability,label")
    p.add_argument("--model", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--out", default=None)
    return parser


def _metrics_json(metrics: dict) -> str:
    return json.dumps({k: metrics[k] for k in METRICS}, indent=2)


def _model_path(arg: str) -> Path:
    path = Path(arg)
    return path / MODEL_FILE if path.is_dir() else path


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    data = Path(args.data)
    if not data.is_file():
        parser.error(f"data file not found: {data}")
    raw = pd.read_csv(data)
    if args.command == "train":
        df = clean(raw)
        train_df, test_df = train_test_split(df, test_size=args.test_size, random_state=args.seed,
                                             stratify=df[LABEL])
        model = train(train_df, {"seed": args.seed, "alpha": args.alpha, "epochs": args.epochs})
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        model.save(out / MODEL_FILE)
        text = _metrics_json(evaluate(model, test_df))
        (out / METRICS_FILE).write_text(text + "\n")
        print(text)
        return 0
    model_path = _model_path(args.model)
    if not model_path.is_file():
        parser.error(f"model file not found: {model_path}")
    model = Model.load(model_path)
    if args.command == "evaluate":
        text = _metrics_json(evaluate(model, clean(raw)))
        if args.out:
            Path(args.out).write_text(text + "\n")
        print(text)
        return 0
    if LABEL not in raw.columns:  # unlabelled data to score
        raw = raw.assign(**{LABEL: 0})
    df = clean(raw)
    proba = model.predict_proba(df)[:, 1]
    preds = pd.DataFrame({"id": df["id"], "probability": proba, "label": (proba >= 0.5).astype("int64")})
    if args.out:
        preds.to_csv(args.out, index=False)
    else:
        preds.to_csv(sys.stdout, index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
