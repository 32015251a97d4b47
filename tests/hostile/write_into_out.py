"""Tries to overwrite the grader's output (gradebook and raw results) with a perfect score."""
import json
import os

OUT = "__OUT_DIR__"
forged = json.dumps({"student": "write_into_out", "total": 10, "max": 10})
for target in (f"{OUT}/gradebook.json", f"{OUT}/gradebook.csv", f"{OUT}/.labkit/results/write_into_out.json",
               f"{OUT}/forged.txt"):
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w") as f:
            f.write(forged)
    except OSError:
        pass


def _cheat(*args, **kwargs):
    raise NotImplementedError

# labkit-corpus: answers
