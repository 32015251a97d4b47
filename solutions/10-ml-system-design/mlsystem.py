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
        ### BEGIN SOLUTION
        return asdict(self)
        ### END SOLUTION

    @classmethod
    def from_dict(cls, data: dict) -> "Config":
        """Inverse of to_dict. Missing sections or keys take their defaults; an unknown section or key
        raises ValueError naming it (a typo in a config file must not be silently ignored). Numbers are
        converted to the field's type (int or float), so from_dict(json.loads(...)) round-trips."""
        ### BEGIN SOLUTION
        sections = {f.name: f.type for f in fields(cls)}
        classes = {"gate": GateConfig, "service": ServiceConfig, "monitor": MonitorConfig}
        unknown = set(data) - set(sections)
        if unknown:
            raise ValueError(f"unknown config section(s): {sorted(unknown)}")
        parts = {}
        for name, klass in classes.items():
            given = data.get(name, {})
            known = {f.name: f for f in fields(klass)}
            bad = set(given) - set(known)
            if bad:
                raise ValueError(f"unknown key(s) in [{name}]: {sorted(bad)}")
            defaults = klass()
            parts[name] = klass(**{k: type(getattr(defaults, k))(v) for k, v in given.items()})
        return cls(**parts)
        ### END SOLUTION


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
        ### BEGIN SOLUTION
        import torch

        self.module.eval()
        with torch.no_grad():
            logits = self.module(torch.as_tensor(np.asarray(X), dtype=torch.float32))
        return 1.0 / (1.0 + np.exp(-logits.numpy().astype(np.float64).reshape(-1)))
        ### END SOLUTION

    def save(self, folder: Path) -> None:
        """Write the model into `folder` (it exists and is empty)."""
        ### BEGIN SOLUTION
        import torch

        torch.save(self.module, Path(folder) / "model.pt")
        ### END SOLUTION

    @classmethod
    def load(cls, folder: Path) -> "TorchModel":
        """Read back what save() wrote: the same predictions, bit for bit."""
        ### BEGIN SOLUTION
        import torch

        return cls(torch.load(Path(folder) / "model.pt", weights_only=False))
        ### END SOLUTION


class KerasModel:
    """Adapter for a Keras model (torch backend) mapping (n, d) features to (n, 1) logits."""

    kind = "keras"

    def __init__(self, model):
        self.model = model

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """As TorchModel.predict_proba: float32 inputs, sigmoid of the logits as float64 (n,).

        Call the model directly (`model(x, training=False)`), not `model.predict`, which is slow for one
        row; `keras.ops.convert_to_numpy` turns the backend tensor into an array."""
        ### BEGIN SOLUTION
        import keras

        logits = keras.ops.convert_to_numpy(self.model(np.asarray(X, dtype=np.float32), training=False))
        return 1.0 / (1.0 + np.exp(-logits.astype(np.float64).reshape(-1)))
        ### END SOLUTION

    def save(self, folder: Path) -> None:
        """Write the model into `folder` as `model.keras`."""
        ### BEGIN SOLUTION
        self.model.save(Path(folder) / "model.keras")
        ### END SOLUTION

    @classmethod
    def load(cls, folder: Path) -> "KerasModel":
        ### BEGIN SOLUTION
        import keras

        return cls(keras.saving.load_model(Path(folder) / "model.keras"))
        ### END SOLUTION


ADAPTERS = {"torch": TorchModel, "keras": KerasModel}


# ---------------------------------------------------------------- evaluation and gate
def evaluate(model, X: np.ndarray, y: np.ndarray) -> dict:
    """Validation metrics of an adapter: {"accuracy", "baseline", "n"}.

    accuracy: mean of (predict_proba(X) >= 0.5) == y; baseline: the accuracy of always predicting the
    majority class of y (max(mean(y), 1 - mean(y))); n: len(y). Plain python floats and int."""
    ### BEGIN SOLUTION
    y = np.asarray(y)
    pred = (model.predict_proba(X) >= 0.5).astype(y.dtype)
    rate = float(np.mean(y == 1))
    return {"accuracy": float(np.mean(pred == y)), "baseline": max(rate, 1.0 - rate), "n": int(len(y))}
    ### END SOLUTION


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
        ### BEGIN SOLUTION
        acc, base = metrics["accuracy"], metrics["baseline"]
        if not acc >= base + self.config.min_lift:  # `not >=` also rejects NaN accuracy
            return False, f"accuracy {acc:.3f} does not beat the baseline {base:.3f} by {self.config.min_lift}"
        if deployed is not None and not acc >= deployed["accuracy"] - self.config.max_drop:
            return False, f"accuracy {acc:.3f} is below the deployed model's {deployed['accuracy']:.3f}"
        return True, ""
        ### END SOLUTION


# ---------------------------------------------------------------- canary
def canary(requests: list[dict]) -> Callable:
    """A canary check built from recorded production requests ({"features": [...]} each).

    Returns check(model) -> int: runs the model on EVERY request, raises CanaryFailed (with the number
    of bad answers) if any probability is NaN, infinite or outside [0, 1], else returns the number of
    requests checked. The registry calls it before registering anything."""
    ### BEGIN SOLUTION
    X = np.array([r["features"] for r in requests], dtype=np.float64)

    def check(model) -> int:
        p = np.asarray(model.predict_proba(X), dtype=np.float64).reshape(-1)
        bad = int(np.sum(~(np.isfinite(p) & (p >= 0.0) & (p <= 1.0)))) + abs(len(p) - len(X))
        if bad:
            raise CanaryFailed(f"{bad} of {len(X)} canary requests got an invalid answer")
        return len(X)

    return check
    ### END SOLUTION


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
        ### BEGIN SOLUTION
        return list(self._state()["versions"])
        ### END SOLUTION

    def load(self, version: int) -> Release:
        """The release of one version, read from its folder (meta.json names the adapter kind)."""
        ### BEGIN SOLUTION
        if version not in self._models:
            folder = self.root / f"v{version}"
            meta = json.loads((folder / "meta.json").read_text())
            model = ADAPTERS[meta["kind"]].load(folder)
            self._models[version] = Release(version, model, meta["metrics"], meta["created"])
        return self._models[version]
        ### END SOLUTION

    def current(self) -> Release:
        """The deployed release; LookupError when nothing is deployed."""
        ### BEGIN SOLUTION
        deployed = self._state()["deployed"]
        if not deployed:
            raise LookupError("no model is deployed")
        return self.load(deployed[-1])
        ### END SOLUTION

    def publish(self, model, metrics: dict, canary: Callable | None = None) -> int:
        """Gate, then canary, then register and deploy; returns the new version number.

        1. gate.check(metrics, metrics of the current release or None): GateRejected(reason) if it fails;
        2. canary(model) if a canary is given (it raises CanaryFailed);
        3. save the model into a fresh folder (write to a temporary folder, then rename it), write
           meta.json {"kind": model.kind, "metrics": metrics, "created": clock()}, then the state file.
        Nothing at all is written when 1 or 2 fails."""
        ### BEGIN SOLUTION
        state = self._state()
        deployed = self.load(state["deployed"][-1]).metrics if state["deployed"] else None
        ok, reason = self.gate.check(metrics, deployed)
        if not ok:
            raise GateRejected(reason)
        if canary is not None:
            canary(model)
        version = state["next"]
        tmp, folder = self.root / f".tmp-v{version}", self.root / f"v{version}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        model.save(tmp)
        meta = {"kind": model.kind, "metrics": metrics, "created": float(self.clock())}
        (tmp / "meta.json").write_text(json.dumps(meta))
        os.replace(tmp, folder)
        state["next"] = version + 1
        state["versions"].append(version)
        state["deployed"].append(version)
        self._write_state(state)
        return version
        ### END SOLUTION

    def rollback(self) -> int:
        """Undeploy the current version; the one deployed before it becomes current again (exactly the
        same model, same predictions). Returns that version. LookupError when there is no earlier one."""
        ### BEGIN SOLUTION
        state = self._state()
        if len(state["deployed"]) < 2:
            raise LookupError("nothing to roll back to")
        state["deployed"].pop()
        self._write_state(state)
        return state["deployed"][-1]
        ### END SOLUTION


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
        ### BEGIN SOLUTION
        self.seen = 0
        self._recent: list[bool] = []
        self._alerting = False
        self._stale_versions: set = set()
        ### END SOLUTION

    def record(self, valid: bool, model_version: int | None = None, model_created: float | None = None) -> None:
        """One request: whether it was valid, and which model (version, creation time) was serving."""
        ### BEGIN SOLUTION
        self.seen += 1
        self._recent.append(bool(valid))
        w = self.config.window
        if len(self._recent) > w:
            del self._recent[0]
        if len(self._recent) == w:
            fraction = self._recent.count(False) / w
            if fraction >= self.config.max_invalid_fraction and not self._alerting:
                self._alerting = True
                self.notify(Alert("invalid_inputs", f"{fraction:.0%} of the last {w} requests were invalid",
                                  self.seen))
            elif fraction < self.config.max_invalid_fraction:
                self._alerting = False
        if model_created is not None and model_version not in self._stale_versions:
            age = self.clock() - model_created
            if age > self.config.max_age_s:
                self._stale_versions.add(model_version)
                self.notify(Alert("stale_model", f"model v{model_version} is {age:.0f} s old", self.seen))
        ### END SOLUTION


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
    ### BEGIN SOLUTION
    if not isinstance(request, dict) or "features" not in request:
        raise InvalidRequest("a request is a JSON object with a 'features' list")
    values = request["features"]
    if not isinstance(values, (list, tuple)) or len(values) != config.n_features:
        raise InvalidRequest(f"'features' must be a list of {config.n_features} numbers")
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise InvalidRequest(f"feature {i} is not a number: {v!r}")
        try:
            ok = math.isfinite(v) and config.min_value <= v <= config.max_value
        except OverflowError:  # an int too large for a float (JSON allows 10**400)
            ok = False
        if not ok:
            raise InvalidRequest(f"feature {i} = {v!r} is outside [{config.min_value}, {config.max_value}]")
    return np.array(values, dtype=np.float64).reshape(1, -1)
    ### END SOLUTION


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
        ### BEGIN SOLUTION
        registry.current()  # fail at start-up, not on the first user's request, when nothing is deployed
        return cls(registry, config, monitor)
        ### END SOLUTION

    def predict(self, request) -> Prediction:
        """Validate, predict with registry.current(), record to the monitor, time it all.

        An invalid request increments self.invalid_count, is recorded as invalid, and re-raises the
        InvalidRequest. latency_ms is the wall time of this call so far (time.perf_counter)."""
        ### BEGIN SOLUTION
        start = time.perf_counter()
        release = self.registry.current()
        try:
            x = validate_request(request, self.config)
        except InvalidRequest:
            self.invalid_count += 1
            if self.monitor is not None:
                self.monitor.record(False, release.version, release.created)
            raise
        p = float(release.model.predict_proba(x)[0])
        if self.monitor is not None:
            self.monitor.record(True, release.version, release.created)
        return Prediction(p, release.version, (time.perf_counter() - start) * 1000.0)
        ### END SOLUTION


# ---------------------------------------------------------------- a loopback HTTP endpoint
def serve(service: PredictionService, port: int = 0) -> ThreadingHTTPServer:
    """Start a stdlib HTTP server on 127.0.0.1 (never all interfaces) in a daemon thread; return it
    (server.server_address[1] is the port; server.shutdown() stops it).

    POST /predict with a JSON body {"features": [...]} answers 200 with
    {"probability", "model_version", "latency_ms"}; an invalid request or body answers 400 with
    {"error": reason}; any other path 404."""
    ### BEGIN SOLUTION
    class Handler(BaseHTTPRequestHandler):
        def _reply(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):  # noqa: N802 (the name http.server dispatches to)
            if self.path != "/predict":
                return self._reply(404, {"error": "not found"})
            try:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                p = service.predict(body)
            except (InvalidRequest, json.JSONDecodeError) as exc:
                return self._reply(400, {"error": str(exc)})
            self._reply(200, asdict(p))

        def log_message(self, *args):  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
    ### END SOLUTION
