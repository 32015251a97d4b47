"""Writes 1 GB to stdout and stderr while being imported."""
import os

block = b"spam " * (1 << 18)
for _ in range((1 << 30) // len(block)):
    try:
        os.write(1, block)
    except OSError:
        break


def _cheat(*args, **kwargs):
    raise NotImplementedError

# labkit-corpus: answers
