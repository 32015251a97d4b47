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
        return {"gate": asdict(self.gate), "service": asdict(self.service), "monitor": asdict(self.monitor)}

    @classmethod
    def from_dict(cls, data: dict) -> "Config":
        """Inverse of to_dict. Missing sections or keys take their defaults; an unknown section or key
        raises ValueError naming it (a typo in a config file must not be silently ignored). Numbers are
        converted to the field's type (int or float), so from_dict(json.loads(...)) round-trips."""
        import typing
        data = {} if data is None else data
        if not isinstance(data, dict):
            raise ValueError(f"config must be a dict, got {type(data).__name__}")
        sections = {f.name: f for f in fields(cls)}
        section_types = typing.get_type_hints(cls)
        kwargs = {}
        for name, values in data.items():
            if name not in sections:
                raise ValueError(f"unknown config section {name!r}")
            sec_cls = section_types[name]
            if values is None:
                values = {}
            if not isinstance(values, dict):
                raise ValueError(f"config section {name!r} must be a dict")
            hints = typing.get_type_hints(sec_cls)
            known = {f.name for f in fields(sec_cls)}
            converted = {}
            for key, value in values.items():
                if key not in known:
                    raise ValueError(f"unknown config key {name}.{key!r}")
                typ = hints[key]
                converted[key] = typ(value) if typ in (int, float) else value
            kwargs[name] = sec_cls(**converted)
        return cls(**kwargs)


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
        self.module.eval()
        X = np.asarray(X)
        if X.ndim == 1:
            X = X.reshape(1, -1)
        with torch.no_grad():
            x = torch.as_tensor(np.ascontiguousarray(X, dtype=np.float32))
            logits = self.module(x)
            return torch.sigmoid(logits.to(torch.float64)).reshape(-1).numpy()

    def save(self, folder: Path) -> None:
        """Write the model into `folder` (it exists and is empty)."""
        import torch
        torch.save(self.module, Path(folder) / "model.pt")

    @classmethod
    def load(cls, folder: Path) -> "TorchModel":
        """Read back what save() wrote: the same predictions, bit for bit."""
        import torch
        module = torch.load(Path(folder) / "model.pt", weights_only=False, map_location="cpu")
        module.eval()
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
        X = np.asarray(X)
        if X.ndim == 1:
            X = X.reshape(1, -1)
        out = self.model(np.ascontiguousarray(X, dtype=np.float32), training=False)
        logits = np.asarray(keras.ops.convert_to_numpy(out), dtype=np.float64).reshape(-1)
        return 1.0 / (1.0 + np.exp(-logits))

    def save(self, folder: Path) -> None:
        """Write the model into `folder` as `model.keras`."""
        self.model.save(str(Path(folder) / "model.keras"))

    @classmethod
    def load(cls, folder: Path) -> "KerasModel":
        import keras
        return cls(keras.saving.load_model(str(Path(folder) / "model.keras")))


ADAPTERS = {"torch": TorchModel, "keras": KerasModel}


# ---------------------------------------------------------------- evaluation and gate
def evaluate(model, X: np.ndarray, y: np.ndarray) -> dict:
    """Validation metrics of an adapter: {"accuracy", "baseline", "n"}.

    accuracy: mean of (predict_proba(X) >= 0.5) == y; baseline: the accuracy of always predicting the
    majority class of y (max(mean(y), 1 - mean(y))); n: len(y). Plain python floats and int."""
    y = np.asarray(y).reshape(-1)
    p = np.asarray(model.predict_proba(X)).reshape(-1)
    accuracy = float(np.mean((p >= 0.5) == y))
    m = float(np.mean(y))
    return {"accuracy": accuracy, "baseline": float(max(m, 1.0 - m)), "n": int(len(y))}


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
        acc = metrics["accuracy"]
        need = metrics["baseline"] + self.config.min_lift
        if acc < need:
            return False, (f"accuracy {acc:.4f} < baseline {metrics['baseline']:.4f} + min_lift "
                           f"{self.config.min_lift:.4f} = {need:.4f}")
        if deployed is not None:
            floor = deployed["accuracy"] - self.config.max_drop
            if acc < floor:
                return False, (f"accuracy {acc:.4f} < deployed accuracy {deployed['accuracy']:.4f} - max_drop "
                               f"{self.config.max_drop:.4f} = {floor:.4f}")
        return True, ""


# ---------------------------------------------------------------- canary
def canary(requests: list[dict]) -> Callable:
    """A canary check built from recorded production requests ({"features": [...]} each).

    Returns check(model) -> int: runs the model on EVERY request, raises CanaryFailed (with the number
    of bad answers) if any probability is NaN, infinite or outside [0, 1], else returns the number of
    requests checked. The registry calls it before registering anything."""
    recorded = [np.asarray(r["features"], dtype=np.float64).reshape(1, -1) for r in requests]

    def check(model) -> int:
        bad = 0
        for x in recorded:
            p = np.asarray(model.predict_proba(x), dtype=np.float64).reshape(-1)
            if p.size != 1 or not (np.isfinite(p).all() and (p >= 0.0).all() and (p <= 1.0).all()):
                bad += 1
        if bad:
            raise CanaryFailed(f"{bad} of {len(recorded)} canary requests gave a non-finite or out-of-range probability")
        return len(recorded)

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
        return [int(v) for v in self._state()["versions"]]

    def load(self, version: int) -> Release:
        """The release of one version, read from its folder (meta.json names the adapter kind)."""
        version = int(version)
        folder = self.root / f"v{version}"
        meta_path = folder / "meta.json"
        if not meta_path.is_file():
            raise LookupError(f"no version {version} in {self.root}")
        meta = json.loads(meta_path.read_text())
        model = ADAPTERS[meta["kind"]].load(folder)
        return Release(version=version, model=model, metrics=meta["metrics"], created=float(meta["created"]))

    def current(self) -> Release:
        """The deployed release; LookupError when nothing is deployed."""
        deployed = self._state()["deployed"]
        if not deployed:
            raise LookupError("no model is deployed")
        version = int(deployed[-1])
        release = self._models.get(version)
        if release is None:
            release = self.load(version)
            self._models[version] = release
        return release

    def publish(self, model, metrics: dict, canary: Callable | None = None) -> int:
        """Gate, then canary, then register and deploy; returns the new version number.

        1. gate.check(metrics, metrics of the current release or None): GateRejected(reason) if it fails;
        2. canary(model) if a canary is given (it raises CanaryFailed);
        3. save the model into a fresh folder (write to a temporary folder, then rename it), write
           meta.json {"kind": model.kind, "metrics": metrics, "created": clock()}, then the state file.
        Nothing at all is written when 1 or 2 fails."""
        state = self._state()
        deployed = self.current().metrics if state["deployed"] else None
        passed, reason = self.gate.check(metrics, deployed)
        if not passed:
            raise GateRejected(reason)
        if canary is not None:
            canary(model)
        version = int(state["next"])
        final = self.root / f"v{version}"
        tmp = self.root / f".v{version}.tmp"
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
        try:
            model.save(tmp)
            meta = {"kind": model.kind, "metrics": metrics, "created": float(self.clock())}
            (tmp / "meta.json").write_text(json.dumps(meta))
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        state = {"next": version + 1, "versions": list(state["versions"]) + [version],
                 "deployed": list(state["deployed"]) + [version]}
        self._write_state(state)
        return version

    def rollback(self) -> int:
        """Undeploy the current version; the one deployed before it becomes current again (exactly the
        same model, same predictions). Returns that version. LookupError when there is no earlier one."""
        state = self._state()
        deployed = list(state["deployed"])
        if len(deployed) < 2:
            raise LookupError("nothing to roll back to")
        deployed.pop()
        state["deployed"] = deployed
        self._write_state(state)
        return int(deployed[-1])


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
        self._recent = deque(maxlen=config.window)
        self._invalid = 0
        self._seen = 0
        self._armed = True
        self._stale_alerted: set = set()

    def record(self, valid: bool, model_version: int | None = None, model_created: float | None = None) -> None:
        """One request: whether it was valid, and which model (version, creation time) was serving."""
        window = self.config.window
        self._seen += 1
        if len(self._recent) == self._recent.maxlen and self._recent:
            self._invalid -= 0 if self._recent[0] else 1
        self._recent.append(bool(valid))
        self._invalid += 0 if valid else 1
        if self._seen >= window:
            fraction = self._invalid / window
            if fraction >= self.config.max_invalid_fraction:
                if self._armed:
                    self._armed = False
                    self.notify(Alert("invalid_inputs",
                                      f"{self._invalid} of the last {window} requests were invalid "
                                      f"({fraction:.1%} >= {self.config.max_invalid_fraction:.1%})", self._seen))
            else:
                self._armed = True
        if model_created is not None and model_version not in self._stale_alerted:
            age = self.clock() - model_created
            if age > self.config.max_age_s:
                self._stale_alerted.add(model_version)
                self.notify(Alert("stale_model",
                                  f"model version {model_version} is {age / 86400:.1f} days old "
                                  f"(max {self.config.max_age_s / 86400:.1f})", self._seen))


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
    if not isinstance(request, dict):
        raise InvalidRequest(f"request must be a JSON object, got {type(request).__name__}")
    if "features" not in request:
        raise InvalidRequest('request has no "features"')
    feats = request["features"]
    if not isinstance(feats, (list, tuple)):
        raise InvalidRequest(f'"features" must be a list, got {type(feats).__name__}')
    if len(feats) != config.n_features:
        raise InvalidRequest(f"expected {config.n_features} features, got {len(feats)}")
    values = []
    for i, v in enumerate(feats):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise InvalidRequest(f"feature {i} is not a number: {v!r}")
        try:
            f = float(v)
        except OverflowError:
            raise InvalidRequest(f"feature {i} is out of range: {v!r}") from None
        if not math.isfinite(f):
            raise InvalidRequest(f"feature {i} is not finite: {v!r}")
        if f < config.min_value or f > config.max_value:
            raise InvalidRequest(f"feature {i} = {f} outside [{config.min_value}, {config.max_value}]")
        values.append(f)
    return np.array(values, dtype=np.float64).reshape(1, -1)


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
        return cls(registry, config, monitor)

    def predict(self, request) -> Prediction:
        """Validate, predict with registry.current(), record to the monitor, time it all.

        An invalid request increments self.invalid_count, is recorded as invalid, and re-raises the
        InvalidRequest. latency_ms is the wall time of this call so far (time.perf_counter)."""
        start = time.perf_counter()
        try:
            x = validate_request(request, self.config)
        except InvalidRequest:
            self.invalid_count += 1
            if self.monitor is not None:
                self.monitor.record(False)
            raise
        release = self.registry.current()
        probability = float(np.asarray(release.model.predict_proba(x)).reshape(-1)[0])
        if self.monitor is not None:
            self.monitor.record(True, release.version, release.created)
        latency_ms = (time.perf_counter() - start) * 1000.0
        return Prediction(probability=probability, model_version=int(release.version), latency_ms=latency_ms)


# ---------------------------------------------------------------- a loopback HTTP endpoint
def serve(service: PredictionService, port: int = 0) -> ThreadingHTTPServer:
    """Start a stdlib HTTP server on 127.0.0.1 (never all interfaces) in a daemon thread; return it
    (server.server_address[1] is the port; server.shutdown() stops it).

    POST /predict with a JSON body {"features": [...]} answers 200 with
    {"probability", "model_version", "latency_ms"}; an invalid request or body answers 400 with
    {"error": reason}; any other path 404."""
    class Handler(BaseHTTPRequestHandler):
        def _send(self, code: int, payload: dict) -> None:
            body = json.dumps(payload).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length > 0 else b""
            if self.path != "/predict":
                self._send(404, {"error": f"no such path {self.path}"})
                return
            try:
                request = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as e:
                self._send(400, {"error": f"body is not JSON: {e}"})
                return
            try:
                pred = service.predict(request)
            except InvalidRequest as e:
                self._send(400, {"error": str(e)})
                return
            self._send(200, {"probability": pred.probability, "model_version": pred.model_version,
                             "latency_ms": pred.latency_ms})

        def do_GET(self):
            self._send(404, {"error": f"no such path {self.path}"})

        def log_message(self, format, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server
