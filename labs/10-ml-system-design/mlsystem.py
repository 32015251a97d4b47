"""Lab 10, part A: a small ML system in one module: configuration, quality gate, model registry,
canary, prediction service, monitoring, and a loopback HTTP endpoint.

Training code, registry and serving are separate on purpose: a model reaches users only through
`ModelRegistry.publish` (gate + canary), and the service only ever asks the registry which model
is current, so a rollback takes effect on the very next request.

Files only: the registry keeps everything under its root folder (one folder per version plus a
small JSON state file written atomically), so a new process sees exactly what the old one left.
"""
from __future__ import annotations

import json
import math
import os
import shutil
import threading
import time
from dataclasses import asdict, dataclass, field, fields
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "torch")  # keras is imported lazily, but must never pick TensorFlow


# ---------------------------------------------------------------- typed errors
class GateRejected(Exception):
    """The quality gate refused a candidate model; nothing was registered."""


class CanaryFailed(Exception):
    """The candidate gave a non-finite or out-of-range answer on a canary request; nothing was registered."""


class InvalidRequest(ValueError):
    """A prediction request does not match the service's input schema."""


# ---------------------------------------------------------------- configuration as data
@dataclass(frozen=True)
class GateConfig:
    min_lift: float = 0.20   # accuracy must beat the majority-class baseline by this much (measured: models
    #                          trained on shuffled labels reach up to +0.12 on 200 rows; real ones +0.25 and more)
    max_drop: float = 0.0    # a candidate may be at most this much less accurate than the deployed model


@dataclass(frozen=True)
class ServiceConfig:
    n_features: int = 30
    min_value: float = -25.0  # features arrive standardized; |z| > 25 is a broken sensor, not a patient
    max_value: float = 25.0


@dataclass(frozen=True)
class MonitorConfig:
    window: int = 100                   # the last `window` requests
    max_invalid_fraction: float = 0.10  # alert when invalid / window >= this
    max_age_s: float = 7 * 86400.0      # alert when the serving model is older than this


@dataclass(frozen=True)
class Config:
    gate: GateConfig = field(default_factory=GateConfig)
    service: ServiceConfig = field(default_factory=ServiceConfig)
    monitor: MonitorConfig = field(default_factory=MonitorConfig)

    def to_dict(self) -> dict:
        """{"gate": {...}, "service": {...}, "monitor": {...}}: plain JSON-able data."""
        # YOUR CODE HERE
        raise NotImplementedError()

    @classmethod
    def from_dict(cls, data: dict) -> "Config":
        """Inverse of to_dict. Missing sections or keys take their defaults; an unknown section or key
        raises ValueError naming it (a typo in a config file must not be silently ignored). Numbers are
        converted to the field's type (int or float), so from_dict(json.loads(...)) round-trips."""
        # YOUR CODE HERE
        raise NotImplementedError()


# ---------------------------------------------------------------- model adapters
class TorchModel:
    """Adapter for a torch nn.Module mapping (n, d) float32 features to (n, 1) logits."""

    kind = "torch"

    def __init__(self, module):
        self.module = module

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """P(y = 1) for each row of X (n, d), as a float64 array of shape (n,).

        Eval mode and no gradient tracking; the network runs in float32 (its parameters' dtype) and the
        sigmoid of its logits is returned in float64."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def save(self, folder: Path) -> None:
        """Write the model into `folder` (it exists and is empty)."""
        # YOUR CODE HERE
        raise NotImplementedError()

    @classmethod
    def load(cls, folder: Path) -> "TorchModel":
        """Read back what save() wrote: the same predictions, bit for bit."""
        # YOUR CODE HERE
        raise NotImplementedError()


class KerasModel:
    """Adapter for a Keras model (torch backend) mapping (n, d) features to (n, 1) logits."""

    kind = "keras"

    def __init__(self, model):
        self.model = model

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """As TorchModel.predict_proba: float32 inputs, sigmoid of the logits as float64 (n,).

        Call the model directly (`model(x, training=False)`), not `model.predict`, which is slow for one
        row; `keras.ops.convert_to_numpy` turns the backend tensor into an array."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def save(self, folder: Path) -> None:
        """Write the model into `folder` as `model.keras`."""
        # YOUR CODE HERE
        raise NotImplementedError()

    @classmethod
    def load(cls, folder: Path) -> "KerasModel":
        # YOUR CODE HERE
        raise NotImplementedError()


ADAPTERS = {"torch": TorchModel, "keras": KerasModel}


# ---------------------------------------------------------------- evaluation and gate
def evaluate(model, X: np.ndarray, y: np.ndarray) -> dict:
    """Validation metrics of an adapter: {"accuracy", "baseline", "n"}.

    accuracy: mean of (predict_proba(X) >= 0.5) == y; baseline: the accuracy of always predicting the
    majority class of y (max(mean(y), 1 - mean(y))); n: len(y). Plain python floats and int."""
    # YOUR CODE HERE
    raise NotImplementedError()


class QualityGate:
    """Decides whether a candidate may be deployed, from its metrics and the deployed model's."""

    def __init__(self, config: GateConfig = GateConfig()):
        self.config = config

    def check(self, metrics: dict, deployed: dict | None = None) -> tuple[bool, str]:
        """(passed, reason). Fails when
        - metrics["accuracy"] < metrics["baseline"] + min_lift (a model that learned nothing, e.g. from
          shuffled labels, scores about the baseline), or
        - a model is deployed and metrics["accuracy"] < deployed["accuracy"] - max_drop.
        reason is "" when passed, else a short sentence with the numbers."""
        # YOUR CODE HERE
        raise NotImplementedError()


# ---------------------------------------------------------------- canary
def canary(requests: list[dict]) -> Callable:
    """A canary check built from recorded production requests ({"features": [...]} each).

    Returns check(model) -> int: runs the model on EVERY request, raises CanaryFailed (with the number
    of bad answers) if any probability is NaN, infinite or outside [0, 1], else returns the number of
    requests checked. The registry calls it before registering anything."""
    # YOUR CODE HERE
    raise NotImplementedError()


# ---------------------------------------------------------------- registry
@dataclass(frozen=True)
class Release:
    version: int
    model: object       # an adapter (TorchModel, KerasModel)
    metrics: dict
    created: float      # the registry clock's time at publish


class ModelRegistry:
    """Versions 1, 2, 3, ... under `root`: root/v<k>/ holds the model files and meta.json, and
    root/registry.json holds {"next": int, "versions": [...], "deployed": [...]}, where `deployed` is
    the stack of versions that were current, newest last. All state lives in those files: a new
    ModelRegistry(root, gate) in a new process sees the same versions, current model and history."""

    STATE = "registry.json"

    def __init__(self, root, gate: QualityGate, clock: Callable[[], float] = time.time):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.gate = gate
        self.clock = clock
        self._models: dict[int, Release] = {}  # loaded releases, so serving never reads disk per request

    # state file: write a temporary file, then rename it over the old one, so a crash never leaves half a file
    def _state(self) -> dict:
        path = self.root / self.STATE
        return json.loads(path.read_text()) if path.is_file() else {"next": 1, "versions": [], "deployed": []}

    def _write_state(self, state: dict) -> None:
        tmp = self.root / (self.STATE + ".tmp")
        tmp.write_text(json.dumps(state))
        os.replace(tmp, self.root / self.STATE)

    def versions(self) -> list[int]:
        """Every version ever registered, oldest first (rolled-back ones stay listed)."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def load(self, version: int) -> Release:
        """The release of one version, read from its folder (meta.json names the adapter kind)."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def current(self) -> Release:
        """The deployed release; LookupError when nothing is deployed."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def publish(self, model, metrics: dict, canary: Callable | None = None) -> int:
        """Gate, then canary, then register and deploy; returns the new version number.

        1. gate.check(metrics, metrics of the current release or None): GateRejected(reason) if it fails;
        2. canary(model) if a canary is given (it raises CanaryFailed);
        3. save the model into a fresh folder (write to a temporary folder, then rename it), write
           meta.json {"kind": model.kind, "metrics": metrics, "created": clock()}, then the state file.
        Nothing at all is written when 1 or 2 fails."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def rollback(self) -> int:
        """Undeploy the current version; the one deployed before it becomes current again (exactly the
        same model, same predictions). Returns that version. LookupError when there is no earlier one."""
        # YOUR CODE HERE
        raise NotImplementedError()


# ---------------------------------------------------------------- monitoring
@dataclass(frozen=True)
class Alert:
    kind: str      # "invalid_inputs" or "stale_model"
    message: str
    at: int        # how many records the monitor had seen when it fired (1-based)


class Monitor:
    """Watches the request stream and calls notify(Alert) when something needs a human.

    - invalid inputs: over the last `window` records (only once `window` records have been seen),
      fire "invalid_inputs" when invalid / window >= max_invalid_fraction. Fire ONCE per episode: no
      new alert until the fraction has dropped below the threshold again (then it re-arms).
    - staleness: fire "stale_model" when clock() - model_created > max_age_s, once per model version.
    """

    def __init__(self, config: MonitorConfig, notify: Callable[[Alert], None],
                 clock: Callable[[], float] = time.time):
        self.config = config
        self.notify = notify
        self.clock = clock
        # YOUR CODE HERE
        raise NotImplementedError()

    def record(self, valid: bool, model_version: int | None = None, model_created: float | None = None) -> None:
        """One request: whether it was valid, and which model (version, creation time) was serving."""
        # YOUR CODE HERE
        raise NotImplementedError()


# ---------------------------------------------------------------- serving
@dataclass(frozen=True)
class Prediction:
    probability: float
    model_version: int
    latency_ms: float


def validate_request(request, config: ServiceConfig) -> np.ndarray:
    """The features of a request {"features": [x1, ..., xd]} as a float64 array of shape (1, d).

    InvalidRequest (with a reason) unless: request is a dict with a "features" list or tuple of exactly
    config.n_features real numbers (int or float; bool and str are not numbers here), all finite and
    within [min_value, max_value]."""
    # YOUR CODE HERE
    raise NotImplementedError()


class PredictionService:
    """Answers one request at a time with the registry's current model."""

    def __init__(self, registry: ModelRegistry, config: ServiceConfig, monitor: Monitor | None = None):
        self.registry = registry
        self.config = config
        self.monitor = monitor
        self.invalid_count = 0

    @classmethod
    def from_registry(cls, registry: ModelRegistry, config: ServiceConfig = ServiceConfig(),
                      monitor: Monitor | None = None) -> "PredictionService":
        # YOUR CODE HERE
        raise NotImplementedError()

    def predict(self, request) -> Prediction:
        """Validate, predict with registry.current(), record to the monitor, time it all.

        An invalid request increments self.invalid_count, is recorded as invalid, and re-raises the
        InvalidRequest. latency_ms is the wall time of this call so far (time.perf_counter)."""
        # YOUR CODE HERE
        raise NotImplementedError()


# ---------------------------------------------------------------- a loopback HTTP endpoint
def serve(service: PredictionService, port: int = 0) -> ThreadingHTTPServer:
    """Start a stdlib HTTP server on 127.0.0.1 (never all interfaces) in a daemon thread; return it
    (server.server_address[1] is the port; server.shutdown() stops it).

    POST /predict with a JSON body {"features": [...]} answers 200 with
    {"probability", "model_version", "latency_ms"}; an invalid request or body answers 400 with
    {"error": reason}; any other path 404."""
    # YOUR CODE HERE
    raise NotImplementedError()
