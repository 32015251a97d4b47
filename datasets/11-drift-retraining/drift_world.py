"""Lab 11's world: the "production" digits model and the sensor streams it will see.

Provided code, not an answer: the lab's tests and notebook import it from here (datasets/ is readable
wherever the lab is graded). It holds
- the fixed data split (`splits()`): `train` trained the production model and is the clean replay
  buffer and drift reference; `pool` feeds the streams and the new labels; `test` is held out;
- the production CNN (`DigitsCNN`, `load_production_model()`, weights checked against a SHA-256);
- the sensor transforms (`sensor_drift`, `schema_change`) and `stream(...)`, a batch generator.

Images are digits 8x8 scaled to [0, 1] (sklearn's values / 16), flattened to 64 float32 features.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits
from torch import nn

HERE = Path(__file__).resolve().parent
WEIGHTS = HERE / "production_model.pt"
CHECKSUM = HERE / "production_model.pt.sha256"
SPLIT_SEED = 11
N_TRAIN, N_POOL = 1000, 400  # the remaining 397 images are the held-out test set

# The sudden sensor fault at full severity (CURRICULUM L11): the lens slips by one pixel, the gain
# drops to 60 %, the dark level rises by 0.15 and the read-out gets noisy. The sensor saturates at 0 and 1.
SHIFT_PX, CONTRAST, OFFSET, NOISE_SIGMA = 1, 0.6, 0.15, 0.08


class DigitsCNN(nn.Module):
    """Two 3x3 conv blocks and a linear head; input (N, 64) in [0, 1], output (N, 10) logits."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 8x8 -> 4x4
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 4x4 -> 2x2
        )
        self.head = nn.Linear(32 * 2 * 2, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x.reshape(-1, 1, 8, 8)).flatten(1))


def splits() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{'train', 'pool', 'test'} -> (X float32 (n, 64) in [0, 1], y int64 (n,)); always the same split."""
    X, y = load_digits(return_X_y=True)
    order = np.random.default_rng(SPLIT_SEED).permutation(len(y))
    X, y = (X[order] / 16.0).astype(np.float32), y[order].astype(np.int64)
    cut = (N_TRAIN, N_TRAIN + N_POOL)
    return {"train": (X[:cut[0]], y[:cut[0]]), "pool": (X[cut[0]:cut[1]], y[cut[0]:cut[1]]),
            "test": (X[cut[1]:], y[cut[1]:])}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_production_model() -> DigitsCNN:
    """The deployed model, in eval mode, after checking the weights file against its SHA-256."""
    want = CHECKSUM.read_text().split()[0]
    if sha256(WEIGHTS) != want:
        raise RuntimeError(f"{WEIGHTS.name} does not match {CHECKSUM.name}; rebuild it with make_production_model.py")
    model = DigitsCNN()
    model.load_state_dict(torch.load(WEIGHTS, weights_only=True))
    return model.eval()


@torch.no_grad()
def predict(model: nn.Module, X: np.ndarray) -> np.ndarray:
    """Class predictions (n,) int64 of a torch model for an (n, 64) array."""
    model.eval()
    return model(torch.as_tensor(np.asarray(X, dtype=np.float32))).argmax(1).numpy()


# ------------------------------------------------------------------------------------ sensor faults
def _shift_right(X: np.ndarray, px: int) -> np.ndarray:
    img = X.reshape(-1, 8, 8)
    out = np.zeros_like(img)
    out[:, :, px:] = img[:, :, :8 - px]
    return out.reshape(len(X), 64)


def sensor_drift(X: np.ndarray, rng: np.random.Generator, severity: float = 1.0) -> np.ndarray:
    """The sensor fault at `severity` in [0, 1] (0: clean, 1: the full sudden fault).

    A fractional severity blends the shifted image in linearly and scales contrast loss, offset and
    noise, which is how the gradual drift creeps in. Values are clipped to the sensor's range [0, 1].
    """
    s = float(severity)
    if s <= 0:
        return np.array(X, dtype=np.float32, copy=True)
    X = (1 - s) * X + s * _shift_right(X, SHIFT_PX)
    X = (1 - (1 - CONTRAST) * s) * X + OFFSET * s + rng.normal(0.0, NOISE_SIGMA * s, X.shape)
    return np.clip(X, 0.0, 1.0).astype(np.float32)


def schema_change(X: np.ndarray) -> np.ndarray:
    """A firmware update sends raw bytes: the same images, on a 0..255 scale instead of 0..1."""
    return (np.asarray(X, dtype=np.float32) * 255.0).astype(np.float32)


def severity_at(kind: str, t: int, onset: int, ramp: int = 30) -> float:
    """Fault severity of batch t: 'clean' 0; 'sudden' 1 from onset on; 'gradual' rises linearly over `ramp`."""
    if kind == "clean" or t < onset:
        return 0.0
    if kind in ("sudden", "schema"):
        return 1.0
    if kind == "gradual":
        return min(1.0, (t - onset + 1) / ramp)
    raise ValueError(f"unknown stream kind {kind!r} (clean, sudden, gradual, schema)")


def stream(kind: str, n_batches: int = 50, batch_size: int = 40, onset: int = 20, seed: int = 0,
           source: tuple[np.ndarray, np.ndarray] | None = None, ramp: int = 30):
    """Yield (t, X_batch, y_batch) for t = 0..n_batches-1; batches drawn with replacement from `source`
    (default: the pool split). kind: 'clean', 'sudden' (full fault from `onset`), 'gradual' (severity
    rises to 1 over `ramp` batches from `onset`), 'schema' (values x255 from `onset`)."""
    X, y = source if source is not None else splits()["pool"]
    rng = np.random.default_rng(seed)
    for t in range(n_batches):
        idx = rng.integers(0, len(y), batch_size)
        xb = X[idx]
        if kind == "schema":
            xb = schema_change(xb) if t >= onset else xb.copy()
        else:
            xb = sensor_drift(xb, rng, severity_at(kind, t, onset, ramp))
        yield t, xb, y[idx]
