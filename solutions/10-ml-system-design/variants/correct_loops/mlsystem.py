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
        return json.loads(json.dumps(asdict(self)))

    @classmethod
    def from_dict(cls, data: dict) -> "Config":
        """Inverse of to_dict. Missing sections or keys take their defaults; an unknown section or key
        raises ValueError naming it (a typo in a config file must not be silently ignored). Numbers are
        converted to the field's type (int or float), so from_dict(json.loads(...)) round-trips."""
        import dataclasses
        if data is None:
            data = {}
        base = cls()
        unknown = [k for k in data if k not in ("gate", "service", "monitor")]
        if unknown:
            raise ValueError(f"unknown config section(s): {', '.join(map(str, unknown))}")
        sections = {}
        for name in ("gate", "service", "monitor"):
            default = getattr(base, name)
            given = data.get(name) or {}
            names = [f.name for f in fields(default)]
            extra = [k for k in given if k not in names]
            if extra:
                raise ValueError(f"unknown key(s) in [{name}]: {', '.join(map(str, extra))}")
            changes = {k: type(getattr(default, k))(v) for k, v in given.items()}
            sections[name] = dataclasses.replace(default, **changes)
        return cls(**sections)


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
        import torch
        was_training = self.module.training
        self.module.train(False)
        x = torch.tensor(np.asarray(X, dtype=np.float32)).reshape(-1, np.shape(X)[-1])
        with torch.no_grad():
            proba32 = torch.sigmoid(self.module(x))
        return proba32.numpy().astype(np.float64).reshape(-1)

    def save(self, folder: Path) -> None:
        """Write the model into `folder` (it exists and is empty)."""
        import torch
        torch.save({"module": self.module, "state_dict": self.module.state_dict()}, os.path.join(folder, "torch_model.pt"))

    @classmethod
    def load(cls, folder: Path) -> "TorchModel":
        """Read back what save() wrote: the same predictions, bit for bit."""
        import torch
        blob = torch.load(os.path.join(folder, "torch_model.pt"), map_location="cpu", weights_only=False)
        module = blob["module"]
        module.load_state_dict(blob["state_dict"])
        return cls(module)


class KerasModel:
    """Adapter for a Keras model (torch backend) mapping (n, d) features to (n, 1) logits."""

    kind = "keras"

    def __init__(self, model):
        self.model = model

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """As TorchModel.predict_proba: float32 inputs, sigmoid of the logits as float64 (n,).

        Call the model directly (`model(x, training=False)`), not `model.predict`, which is slow for one
        row; `keras.ops.convert_to_numpy` turns the backend tensor into an array."""
        import keras
        x = np.asarray(X, dtype=np.float32).reshape(-1, np.shape(X)[-1])
        proba = keras.ops.sigmoid(self.model(x, training=False))
        return keras.ops.convert_to_numpy(proba).astype(np.float64).reshape(-1)

    def save(self, folder: Path) -> None:
        """Write the model into `folder` as `model.keras`."""
        path = Path(folder) / "model.keras"
        self.model.save(path)

    @classmethod
    def load(cls, folder: Path) -> "KerasModel":
        import keras
        return cls(keras.models.load_model(Path(folder) / "model.keras"))


ADAPTERS = {"torch": TorchModel, "keras": KerasModel}


# ---------------------------------------------------------------- evaluation and gate
def evaluate(model, X: np.ndarray, y: np.ndarray) -> dict:
    """Validation metrics of an adapter: {"accuracy", "baseline", "n"}.

    accuracy: mean of (predict_proba(X) >= 0.5) == y; baseline: the accuracy of always predicting the
    majority class of y (max(mean(y), 1 - mean(y))); n: len(y). Plain python floats and int."""
    labels = [int(v) for v in np.asarray(y).reshape(-1)]
    probs = [float(p) for p in np.asarray(model.predict_proba(X)).reshape(-1)]
    n = len(labels)
    correct = sum(1 for p, t in zip(probs, labels) if int(p >= 0.5) == t)
    mean_y = sum(labels) / n
    return {"accuracy": correct / n, "baseline": max(mean_y, 1 - mean_y), "n": n}


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
        acc, base = float(metrics["accuracy"]), float(metrics["baseline"])
        lift = self.config.min_lift
        if acc < base + lift:
            return False, f"rejected: accuracy {acc:.3f} is under baseline {base:.3f} + {lift:.3f}"
        if deployed is not None:
            ref = float(deployed["accuracy"])
            if acc < ref - self.config.max_drop:
                return False, f"rejected: accuracy {acc:.3f} is under deployed {ref:.3f} - {self.config.max_drop:.3f}"
        return True, ""


# ---------------------------------------------------------------- canary
def canary(requests: list[dict]) -> Callable:
    """A canary check built from recorded production requests ({"features": [...]} each).

    Returns check(model) -> int: runs the model on EVERY request, raises CanaryFailed (with the number
    of bad answers) if any probability is NaN, infinite or outside [0, 1], else returns the number of
    requests checked. The registry calls it before registering anything."""
    saved = [tuple(float(v) for v in r["features"]) for r in requests]

    def check(model) -> int:
        n_bad = 0
        for feats in saved:
            answer = model.predict_proba(np.array([feats], dtype=np.float64))
            values = np.asarray(answer, dtype=np.float64).reshape(-1).tolist()
            if len(values) != 1 or any(math.isnan(v) or math.isinf(v) or v < 0.0 or v > 1.0 for v in values):
                n_bad += 1
        if n_bad:
            raise CanaryFailed(f"{n_bad} bad canary answers")
        return len(saved)

    return check


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
        state = self._state()
        return sorted(int(v) for v in state["versions"])

    def load(self, version: int) -> Release:
        """The release of one version, read from its folder (meta.json names the adapter kind)."""
        v = int(version)
        if v not in self.versions():
            raise LookupError(f"unknown version {v}")
        folder = self.root / ("v%d" % v)
        with open(folder / "meta.json") as fh:
            meta = json.load(fh)
        return Release(version=v, model=ADAPTERS[meta["kind"]].load(folder), metrics=dict(meta["metrics"]),
                       created=meta["created"])

    def current(self) -> Release:
        """The deployed release; LookupError when nothing is deployed."""
        state = self._state()
        if not state["deployed"]:
            raise LookupError("the registry has no deployed model")
        v = state["deployed"][-1]
        cached = self._models.get(v)
        if cached is None:
            cached = self._models[v] = self.load(v)
        return cached

    def publish(self, model, metrics: dict, canary: Callable | None = None) -> int:
        """Gate, then canary, then register and deploy; returns the new version number.

        1. gate.check(metrics, metrics of the current release or None): GateRejected(reason) if it fails;
        2. canary(model) if a canary is given (it raises CanaryFailed);
        3. save the model into a fresh folder (write to a temporary folder, then rename it), write
           meta.json {"kind": model.kind, "metrics": metrics, "created": clock()}, then the state file.
        Nothing at all is written when 1 or 2 fails."""
        state = self._state()
        previous = self.current() if state["deployed"] else None
        passed, reason = self.gate.check(metrics, None if previous is None else previous.metrics)
        if not passed:
            raise GateRejected(reason)
        if canary is not None:
            canary(model)
        version = state["next"]
        staging = self.root / f"_staging_v{version}"
        shutil.rmtree(staging, ignore_errors=True)
        os.makedirs(staging)
        try:
            model.save(staging)
            with open(staging / "meta.json", "w") as fh:
                json.dump({"kind": model.kind, "metrics": metrics, "created": self.clock()}, fh)
            os.rename(staging, self.root / f"v{version}")
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        new_state = dict(state)
        new_state["next"] = version + 1
        new_state["versions"] = state["versions"] + [version]
        new_state["deployed"] = state["deployed"] + [version]
        self._write_state(new_state)
        return version

    def rollback(self) -> int:
        """Undeploy the current version; the one deployed before it becomes current again (exactly the
        same model, same predictions). Returns that version. LookupError when there is no earlier one."""
        state = self._state()
        stack = state["deployed"]
        if len(stack) < 2:
            raise LookupError("there is no earlier deployment")
        state["deployed"] = stack[:-1]
        self._write_state(state)
        return state["deployed"][-1]


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
        from collections import deque
        self._last = deque(maxlen=max(config.window, 0))
        self._count = 0
        self._alerting = False
        self._stale_done = []

    def record(self, valid: bool, model_version: int | None = None, model_created: float | None = None) -> None:
        """One request: whether it was valid, and which model (version, creation time) was serving."""
        self._count += 1
        self._last.append(0 if valid else 1)
        w = self.config.window
        if self._count >= w:
            n_invalid = sum(self._last)
            if n_invalid / w >= self.config.max_invalid_fraction:
                if not self._alerting:
                    self._alerting = True
                    self.notify(Alert("invalid_inputs", f"{n_invalid} invalid requests in the last {w}", self._count))
            else:
                self._alerting = False
        if model_created is None or model_version in self._stale_done:
            return
        now = self.clock()
        if now - model_created > self.config.max_age_s:
            self._stale_done.append(model_version)
            self.notify(Alert("stale_model", f"model {model_version} created at {model_created}, now {now}", self._count))


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
    def fail(reason):
        raise InvalidRequest(reason)

    if type(request) is not dict and not isinstance(request, dict):
        fail("the request is not an object")
    features = request.get("features", None)
    if features is None:
        fail("missing 'features'")
    if not isinstance(features, (list, tuple)):
        fail("'features' is not a list")
    if len(features) != config.n_features:
        fail(f"need exactly {config.n_features} features, got {len(features)}")
    row = np.empty((1, config.n_features), dtype=np.float64)
    for j, value in enumerate(features):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            fail(f"features[{j}] is {type(value).__name__}, not a number")
        if isinstance(value, int) and abs(value) > 1e300:
            fail(f"features[{j}] is out of range")
        value = float(value)
        if math.isnan(value) or math.isinf(value):
            fail(f"features[{j}] is not finite")
        if not (config.min_value <= value <= config.max_value):
            fail(f"features[{j}] = {value} is out of range")
        row[0, j] = value
    return row


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
        return cls(registry=registry, config=config, monitor=monitor)

    def predict(self, request) -> Prediction:
        """Validate, predict with registry.current(), record to the monitor, time it all.

        An invalid request increments self.invalid_count, is recorded as invalid, and re-raises the
        InvalidRequest. latency_ms is the wall time of this call so far (time.perf_counter)."""
        began = time.perf_counter()
        try:
            row = validate_request(request, self.config)
        except InvalidRequest:
            self.invalid_count = self.invalid_count + 1
            if self.monitor is not None:
                self.monitor.record(False)
            raise
        release = self.registry.current()
        probability = float(release.model.predict_proba(row)[0])
        if self.monitor is not None:
            self.monitor.record(True, model_version=release.version, model_created=release.created)
        elapsed_ms = (time.perf_counter() - began) * 1e3
        return Prediction(probability, int(release.version), elapsed_ms)


# ---------------------------------------------------------------- a loopback HTTP endpoint
def serve(service: PredictionService, port: int = 0) -> ThreadingHTTPServer:
    """Start a stdlib HTTP server on 127.0.0.1 (never all interfaces) in a daemon thread; return it
    (server.server_address[1] is the port; server.shutdown() stops it).

    POST /predict with a JSON body {"features": [...]} answers 200 with
    {"probability", "model_version", "latency_ms"}; an invalid request or body answers 400 with
    {"error": reason}; any other path 404."""
    svc = service

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, *_):
            pass

        def answer(self, code, obj):
            raw = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or "0")
            raw = self.rfile.read(n) if n else b""
            if self.path != "/predict":
                self.answer(404, {"error": "unknown path"})
                return
            try:
                request = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError):
                self.answer(400, {"error": "the body is not valid JSON"})
                return
            try:
                p = svc.predict(request)
            except InvalidRequest as err:
                self.answer(400, {"error": str(err)})
                return
            self.answer(200, {"probability": p.probability, "model_version": p.model_version,
                              "latency_ms": p.latency_ms})

        def do_GET(self):
            self.answer(404, {"error": "unknown path"})

    httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    httpd.daemon_threads = True
    worker = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    worker.start()
    return httpd
