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
        out = {}
        for sec in fields(self):
            section = getattr(self, sec.name)
            out[sec.name] = {f.name: getattr(section, f.name) for f in fields(section)}
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "Config":
        """Inverse of to_dict. Missing sections or keys take their defaults; an unknown section or key
        raises ValueError naming it (a typo in a config file must not be silently ignored). Numbers are
        converted to the field's type (int or float), so from_dict(json.loads(...)) round-trips."""
        casts = {"int": int, "float": float, int: int, float: float}
        defaults = cls()
        kwargs = {}
        for name, values in (data or {}).items():
            if not hasattr(defaults, name) or name not in {f.name for f in fields(cls)}:
                raise ValueError(f"unknown configuration section: {name}")
            section = getattr(defaults, name)
            known = {f.name: f for f in fields(section)}
            updates = {}
            for key, value in (values or {}).items():
                if key not in known:
                    raise ValueError(f"unknown configuration key in section {name}: {key}")
                cast = casts.get(known[key].type)
                updates[key] = cast(value) if cast is not None else value
            kwargs[name] = type(section)(**{**asdict(section), **updates})
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
        from scipy.special import expit
        module = self.module
        module.eval()
        try:
            dtype = next(module.parameters()).dtype
        except StopIteration:
            dtype = torch.float32
        x = torch.from_numpy(np.array(X, dtype=np.float64, ndmin=2)).to(dtype)
        with torch.inference_mode():
            logits = module(x).detach().cpu().numpy()
        return expit(logits.astype(np.float64).ravel())

    def save(self, folder: Path) -> None:
        """Write the model into `folder` (it exists and is empty)."""
        import pickle
        with open(Path(folder) / "module.pkl", "wb") as f:
            pickle.dump(self.module, f, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def load(cls, folder: Path) -> "TorchModel":
        """Read back what save() wrote: the same predictions, bit for bit."""
        import pickle
        with open(Path(folder) / "module.pkl", "rb") as f:
            return cls(pickle.load(f))


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
        from scipy.special import expit
        x = np.array(X, dtype=np.float32, ndmin=2)
        logits = keras.ops.convert_to_numpy(self.model(x, training=False))
        return expit(np.asarray(logits, dtype=np.float64).ravel())

    def save(self, folder: Path) -> None:
        """Write the model into `folder` as `model.keras`."""
        self.model.save(os.path.join(folder, "model.keras"))

    @classmethod
    def load(cls, folder: Path) -> "KerasModel":
        import keras
        return cls(keras.models.load_model(os.path.join(folder, "model.keras")))


ADAPTERS = {"torch": TorchModel, "keras": KerasModel}


# ---------------------------------------------------------------- evaluation and gate
def evaluate(model, X: np.ndarray, y: np.ndarray) -> dict:
    """Validation metrics of an adapter: {"accuracy", "baseline", "n"}.

    accuracy: mean of (predict_proba(X) >= 0.5) == y; baseline: the accuracy of always predicting the
    majority class of y (max(mean(y), 1 - mean(y))); n: len(y). Plain python floats and int."""
    y = np.asarray(y, dtype=np.float64).ravel()
    pred = (np.asarray(model.predict_proba(X), dtype=np.float64).ravel() >= 0.5).astype(np.float64)
    n = int(y.shape[0])
    frac1 = float(y.mean())
    return {"accuracy": float(np.count_nonzero(pred == y) / n), "baseline": max(frac1, 1.0 - frac1), "n": n}


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
        cfg = self.config
        problems = []
        if metrics["accuracy"] < metrics["baseline"] + cfg.min_lift:
            problems.append(f"accuracy {metrics['accuracy']:.4f} does not beat the majority baseline "
                            f"{metrics['baseline']:.4f} by {cfg.min_lift}")
        if deployed is not None and metrics["accuracy"] < deployed["accuracy"] - cfg.max_drop:
            problems.append(f"accuracy {metrics['accuracy']:.4f} is below the deployed model's "
                            f"{deployed['accuracy']:.4f} minus max_drop {cfg.max_drop}")
        return (not problems), "; ".join(problems)


# ---------------------------------------------------------------- canary
def canary(requests: list[dict]) -> Callable:
    """A canary check built from recorded production requests ({"features": [...]} each).

    Returns check(model) -> int: runs the model on EVERY request, raises CanaryFailed (with the number
    of bad answers) if any probability is NaN, infinite or outside [0, 1], else returns the number of
    requests checked. The registry calls it before registering anything."""
    rows = [list(r["features"]) for r in requests]

    def check(model) -> int:
        if not rows:
            return 0
        X = np.asarray(rows, dtype=np.float64)
        p = np.asarray(model.predict_proba(X), dtype=np.float64).reshape(len(rows), -1)
        ok = np.isfinite(p) & (p >= 0.0) & (p <= 1.0)
        bad = int(np.count_nonzero(~ok.all(axis=1)))
        if bad > 0:
            raise CanaryFailed(f"canary: {bad} bad answers on {len(rows)} recorded requests")
        return len(rows)

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
        return list(self._state()["versions"])

    def load(self, version: int) -> Release:
        """The release of one version, read from its folder (meta.json names the adapter kind)."""
        folder = self.root / f"v{int(version)}"
        try:
            meta = json.loads((folder / "meta.json").read_text())
        except FileNotFoundError:
            raise LookupError(f"version {version} is not registered") from None
        adapter = ADAPTERS[meta["kind"]]
        return Release(int(version), adapter.load(folder), meta["metrics"], meta["created"])

    def current(self) -> Release:
        """The deployed release; LookupError when nothing is deployed."""
        stack = self._state()["deployed"]
        if len(stack) == 0:
            raise LookupError("nothing deployed yet")
        v = stack[-1]
        if v not in self._models:
            self._models[v] = self.load(v)
        return self._models[v]

    def publish(self, model, metrics: dict, canary: Callable | None = None) -> int:
        """Gate, then canary, then register and deploy; returns the new version number.

        1. gate.check(metrics, metrics of the current release or None): GateRejected(reason) if it fails;
        2. canary(model) if a canary is given (it raises CanaryFailed);
        3. save the model into a fresh folder (write to a temporary folder, then rename it), write
           meta.json {"kind": model.kind, "metrics": metrics, "created": clock()}, then the state file.
        Nothing at all is written when 1 or 2 fails."""
        import tempfile
        try:
            deployed_metrics = self.current().metrics
        except LookupError:
            deployed_metrics = None
        ok, reason = self.gate.check(metrics, deployed_metrics)
        if not ok:
            raise GateRejected(reason)
        if canary is not None:
            canary(model)
        state = self._state()
        version = state["next"]
        target = self.root / f"v{version}"
        tmp = Path(tempfile.mkdtemp(prefix=f".v{version}-", dir=self.root))
        try:
            model.save(tmp)
            tmp.rename(target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        created = self.clock()
        (target / "meta.json").write_text(json.dumps({"kind": model.kind, "metrics": metrics, "created": created}))
        state["next"] = version + 1
        state["versions"].append(version)
        state["deployed"].append(version)
        self._write_state(state)
        self._models[version] = self.load(version)
        return version

    def rollback(self) -> int:
        """Undeploy the current version; the one deployed before it becomes current again (exactly the
        same model, same predictions). Returns that version. LookupError when there is no earlier one."""
        state = self._state()
        if len(state["deployed"]) <= 1:
            raise LookupError("no earlier deployment to roll back to")
        undone = state["deployed"].pop()
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
        self._ring = [True] * config.window      # validity of the last `window` records (ring buffer)
        self._n = 0
        self._in_episode = False
        self._stale_versions = set()

    def record(self, valid: bool, model_version: int | None = None, model_created: float | None = None) -> None:
        """One request: whether it was valid, and which model (version, creation time) was serving."""
        cfg = self.config
        if cfg.window > 0:
            self._ring[self._n % cfg.window] = bool(valid)
        self._n += 1
        if self._n >= cfg.window:
            invalid = self._ring.count(False)
            over = invalid / cfg.window >= cfg.max_invalid_fraction
            if over and not self._in_episode:
                self.notify(Alert(kind="invalid_inputs",
                                  message=f"invalid inputs: {invalid}/{cfg.window} in the last window",
                                  at=self._n))
            self._in_episode = over
        if model_created is not None:
            age = self.clock() - model_created
            if age > cfg.max_age_s and model_version not in self._stale_versions:
                self._stale_versions.add(model_version)
                self.notify(Alert(kind="stale_model",
                                  message=f"model v{model_version} is {age:.0f} s old (limit {cfg.max_age_s:.0f} s)",
                                  at=self._n))


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
    feats = request.get("features") if isinstance(request, dict) else None
    if not isinstance(feats, (list, tuple)):
        raise InvalidRequest('expected a JSON object {"features": [numbers]}')
    if len(feats) != config.n_features:
        raise InvalidRequest(f"{len(feats)} features given, {config.n_features} expected")
    bad = [i for i, v in enumerate(feats) if type(v) is bool or not isinstance(v, (int, float))]
    if bad:
        raise InvalidRequest(f"non-numeric feature(s) at position(s) {bad[:5]}")
    try:
        x = np.array(feats, dtype=np.float64)
    except OverflowError:
        raise InvalidRequest("a feature does not fit in a float") from None
    if not np.isfinite(x).all():
        raise InvalidRequest("non-finite feature value")
    if x.min(initial=np.inf) < config.min_value or x.max(initial=-np.inf) > config.max_value:
        raise InvalidRequest(f"feature outside [{config.min_value}, {config.max_value}]")
    return x.reshape(1, config.n_features)


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
        service = cls(registry, config, monitor)
        try:
            registry.current()   # load the deployed model now, not on the first request
        except LookupError:
            pass
        return service

    def predict(self, request) -> Prediction:
        """Validate, predict with registry.current(), record to the monitor, time it all.

        An invalid request increments self.invalid_count, is recorded as invalid, and re-raises the
        InvalidRequest. latency_ms is the wall time of this call so far (time.perf_counter)."""
        t0 = time.perf_counter()
        try:
            x = validate_request(request, self.config)
        except InvalidRequest:
            self.invalid_count += 1
            if self.monitor:
                self.monitor.record(valid=False)
            raise
        rel = self.registry.current()
        proba = rel.model.predict_proba(x)
        if self.monitor:
            self.monitor.record(valid=True, model_version=rel.version, model_created=rel.created)
        return Prediction(float(proba[0]), rel.version, 1000.0 * (time.perf_counter() - t0))


# ---------------------------------------------------------------- a loopback HTTP endpoint
def serve(service: PredictionService, port: int = 0) -> ThreadingHTTPServer:
    """Start a stdlib HTTP server on 127.0.0.1 (never all interfaces) in a daemon thread; return it
    (server.server_address[1] is the port; server.shutdown() stops it).

    POST /predict with a JSON body {"features": [...]} answers 200 with
    {"probability", "model_version", "latency_ms"}; an invalid request or body answers 400 with
    {"error": reason}; any other path 404."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _PredictHandler)
    server.daemon_threads = True
    server.service = service
    threading.Thread(target=server.serve_forever, name="predict-http", daemon=True).start()
    return server


class _PredictHandler(BaseHTTPRequestHandler):
    def _reply(self, status: int, obj: dict) -> None:
        data = json.dumps(obj).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
        if self.path.split("?")[0] != "/predict":
            return self._reply(404, {"error": "not found"})
        try:
            pred = self.server.service.predict(json.loads(body))
        except (InvalidRequest, ValueError, UnicodeDecodeError) as e:
            return self._reply(400, {"error": str(e) or type(e).__name__})
        return self._reply(200, asdict(pred))

    def do_GET(self):
        return self._reply(404, {"error": "not found"})

    def log_message(self, *args):
        return
