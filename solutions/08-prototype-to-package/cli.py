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
    ### BEGIN SOLUTION
    parser = argparse.ArgumentParser(prog="cli.py", description="train, evaluate and serve the affair model")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("train", help="clean, split, train; write model.json and metrics.json")
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--test-size", type=float, default=0.25)
    p.add_argument("--alpha", type=float, default=1e-3)
    p.add_argument("--epochs", type=int, default=20)
    for name in ("evaluate", "predict"):
        p = sub.add_parser(name)
        p.add_argument("--model", required=True, type=Path, help="the folder train wrote")
        p.add_argument("--data", required=True, type=Path)
        p.add_argument("--out", type=Path)
    return parser
    ### END SOLUTION


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; returns the exit code."""
    ### BEGIN SOLUTION
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.data.is_file():
        parser.error(f"no such data file: {args.data}")
    data = clean(pd.read_csv(args.data))
    if args.command == "train":
        fit, test = train_test_split(data, test_size=args.test_size, random_state=args.seed, stratify=data[LABEL])
        model = train(fit, {"seed": args.seed, "alpha": args.alpha, "epochs": args.epochs})
        args.out.mkdir(parents=True, exist_ok=True)
        model.save(args.out / MODEL_FILE)
        metrics = evaluate(model, test)
        (args.out / METRICS_FILE).write_text(json.dumps(metrics, indent=1))
        print(json.dumps(metrics))
        return 0
    model = Model.load(args.model / MODEL_FILE)
    if args.command == "evaluate":
        text = json.dumps(evaluate(model, data), indent=1)
    else:
        proba = model.predict_proba(data)[:, 1]
        text = pd.DataFrame({"id": data["id"], "probability": proba, "label": (proba >= 0.5).astype("int64")}) \
            .to_csv(index=False, lineterminator="\n")
    if args.out:
        args.out.write_text(text)
    print(text)
    return 0
    ### END SOLUTION


if __name__ == "__main__":
    sys.exit(main())
