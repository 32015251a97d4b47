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


def _cmd_train(args) -> int:
    df = clean(pd.read_csv(args.data))
    fit_df, held_out = train_test_split(df, test_size=args.test_size, random_state=args.seed, stratify=df[LABEL])
    model = train(fit_df.reset_index(drop=True), {"seed": args.seed, "alpha": args.alpha, "epochs": args.epochs})
    run = Path(args.out)
    run.mkdir(parents=True, exist_ok=True)
    model.save(run / MODEL_FILE)
    metrics = evaluate(model, held_out.reset_index(drop=True))
    with open(run / METRICS_FILE, "w") as fh:
        json.dump({k: metrics[k] for k in METRICS}, fh)
    print(json.dumps({k: metrics[k] for k in METRICS}))
    return 0


def _load(model_arg: str) -> Model:
    p = Path(model_arg)
    return Model.load(p / MODEL_FILE if p.is_dir() else p)


def _cmd_evaluate(args) -> int:
    metrics = evaluate(_load(args.model), clean(pd.read_csv(args.data)))
    text = json.dumps({k: metrics[k] for k in METRICS})
    print(text)
    if args.out is not None:
        Path(args.out).write_text(text)
    return 0


def _cmd_predict(args) -> int:
    model = _load(args.model)
    raw = pd.read_csv(args.data)
    if LABEL not in raw.columns:
        raw[LABEL] = 0  # the label is not needed to score; clean's contract wants the column
    df = clean(raw)
    out = pd.DataFrame({"id": df["id"].to_numpy(), "probability": model.predict_proba(df)[:, 1],
                        "label": model.predict(df)})
    if args.out is None:
        sys.stdout.write(out.to_csv(index=False))
    else:
        out.to_csv(args.out, index=False)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser with the three subcommands and the options shown in the module docstring."""
    parser = argparse.ArgumentParser(description="lab 08 package: train, evaluate, predict")
    commands = parser.add_subparsers(dest="command", metavar="{train,evaluate,predict}")
    commands.required = True

    t = commands.add_parser("train")
    t.add_argument("--data", required=True, help="raw CSV export")
    t.add_argument("--out", required=True, help="run directory")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--test-size", dest="test_size", type=float, default=0.25)
    t.add_argument("--alpha", type=float, default=1e-3)
    t.add_argument("--epochs", type=int, default=20)
    t.set_defaults(func=_cmd_train)

    for name, func in (("evaluate", _cmd_evaluate), ("predict", _cmd_predict)):
        c = commands.add_parser(name)
        c.add_argument("--model", required=True, help="run directory (or its model.json)")
        c.add_argument("--data", required=True)
        c.add_argument("--out")
        c.set_defaults(func=func)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not Path(args.data).exists():
        parser.error(f"no such data file: {args.data}")
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
