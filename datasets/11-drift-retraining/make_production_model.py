"""Train lab 11's "production" digits CNN and write production_model.pt and its SHA-256.

    python datasets/11-drift-retraining/make_production_model.py          # rebuild and (re)write the checksum
    python datasets/11-drift-retraining/make_production_model.py --check  # rebuild in memory, compare accuracy

Seeded and single-threaded, so a rebuild on the same torch version gives the same weights; another
torch or CPU may differ in the last bits, which is why the lab ships the trained file and its checksum
instead of training in a fixture. Takes a few seconds on one core.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from drift_world import CHECKSUM, WEIGHTS, DigitsCNN, predict, sha256, splits  # noqa: E402

EPOCHS, LR, BATCH, SEED = 60, 3e-3, 64, 0


def train() -> DigitsCNN:
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    X, y = splits()["train"]
    X, y = torch.as_tensor(X), torch.as_tensor(y)
    model = DigitsCNN()
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    gen = torch.Generator().manual_seed(SEED)
    for _ in range(EPOCHS):
        model.train()
        for idx in torch.randperm(len(y), generator=gen).split(BATCH):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(X[idx]), y[idx]).backward()
            opt.step()
    return model.eval()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="do not write files")
    args = parser.parse_args()
    model = train()
    Xte, yte = splits()["test"]
    print(f"clean test accuracy: {np.mean(predict(model, Xte) == yte):.3f}")
    if args.check:
        return
    torch.save(model.state_dict(), WEIGHTS)
    CHECKSUM.write_text(f"{sha256(WEIGHTS)}  {WEIGHTS.name}\n")
    print(f"wrote {WEIGHTS} ({WEIGHTS.stat().st_size} bytes) and {CHECKSUM.name}")


if __name__ == "__main__":
    main()
