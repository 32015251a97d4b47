"""Helpers shared by lab 10's public tests and the hidden tests of grading (both `import helpers`).

Test-owned data, models and stand-ins: no answers and no hidden inputs (each test passes its own split, seeds,
requests and thresholds). The stand-ins (an adapter, a gate, a registry, a monitor, a service) let a test of one
question use only that question's code: the registry is tested with a gate written here, the service with a
registry written here, the HTTP endpoint with a service written here. Each follows the interface the stubs'
docstrings give (`gate.check(metrics, deployed)`, `registry.current()`, `monitor.record(valid, version, created)`,
`service.predict(request)`, `model.predict_proba(X)`).
"""
import json
import math
import multiprocessing
import time
import urllib.error
import urllib.request

import numpy as np
import pytest
import torch
from torch import nn

# float32 logits turned into float64 probabilities in another order of operations (sigmoid in float32 then cast,
# scipy's expit, keras' Dense instead of torch's Linear): ~1e-7 apart, measured; a wrong model is 1e-3 away
PROBA = dict(rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------- data and models
def breast_cancer_split(seed=0, test_size=0.3):
    """breast_cancer, standardized with the training rows' statistics: Xtr, Xva, ytr, yva."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    X, y = load_breast_cancer(return_X_y=True)
    Xtr, Xva, ytr, yva = train_test_split(X, y, test_size=test_size, random_state=seed, stratify=y)
    mu, sd = Xtr.mean(0), Xtr.std(0)
    return (Xtr - mu) / sd, (Xva - mu) / sd, ytr, yva


def train(X, y, seed=0, steps=150, lr=0.05, keep=None, shuffle=False, module=None):
    """A logistic regression in torch (Linear(d, 1) on logits), trained with Adam on the full batch.
    keep: use only these columns (the others get zero weights); shuffle: learn from permuted labels, i.e. learn
    nothing; module: go on training this one (in place) instead of a new one."""
    g = torch.Generator().manual_seed(seed)
    if shuffle:
        y = y[torch.randperm(len(y), generator=g).numpy()]
    if keep is not None:
        mask = np.zeros(X.shape[1])
        mask[keep] = 1.0
        X = X * mask
    if module is None:
        module = nn.Sequential(nn.Linear(X.shape[1], 1))
        with torch.no_grad():
            module[0].weight.copy_(0.01 * torch.randn(module[0].weight.shape, generator=g) * (keep is None))
            module[0].bias.zero_()
    opt = torch.optim.Adam(module.parameters(), lr=lr)
    Xt, yt = torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y, dtype=torch.float32).reshape(-1, 1)
    module.train()
    for _ in range(steps):
        opt.zero_grad()
        nn.functional.binary_cross_entropy_with_logits(module(Xt), yt).backward()
        opt.step()
    return module.eval()


def dropout_net(seed, d=30, hidden=16):
    """An MLP with dropout, left in TRAINING mode: only an adapter that switches to eval mode predicts
    deterministically (and what the weights say)."""
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(d, hidden), nn.ReLU(), nn.Dropout(0.5), nn.Linear(hidden, 1))
    return net.train()


def sigmoid_proba(module, X):
    """Sigmoid of the module's float32 logits (eval mode, no gradients), in float64, shape (n,)."""
    module.eval()
    with torch.no_grad():
        logits = module(torch.as_tensor(np.asarray(X), dtype=torch.float32)).numpy().astype(np.float64).ravel()
    return 1.0 / (1.0 + np.exp(-logits))


class ModuleAdapter:
    """A test-owned adapter around a torch module: predict_proba only (evaluate, canary and serving need no more)."""

    kind = "test"

    def __init__(self, module):
        self.module = module

    def predict_proba(self, X):
        return sigmoid_proba(self.module, X)


class TableAdapter:
    """A test-owned adapter whose answer for a row is table[row[0]] (so a request's first feature picks the
    answer); it keeps every row it was asked about in `rows` (as tuples)."""

    kind = "test"

    def __init__(self, table):
        self.table = dict(table)
        self.rows = []

    def predict_proba(self, X):
        X = np.asarray(X, dtype=np.float64).reshape(-1, np.shape(X)[-1])
        self.rows += [tuple(r) for r in X.tolist()]
        return np.array([self.table[float(r[0])] for r in X], dtype=np.float64)


class FixedAdapter:
    """A test-owned adapter that answers the given probabilities (one per row of the X it is asked about)."""

    kind = "test"

    def __init__(self, probabilities):
        self.p = np.asarray(probabilities, dtype=np.float64)

    def predict_proba(self, X):
        assert len(X) == len(self.p), "FixedAdapter asked about another number of rows"
        return self.p.copy()


class NaNOnSomeRows(nn.Module):
    """A broken model: the inner model's logits, but NaN wherever feature `column` exceeds `threshold`."""

    def __init__(self, inner, column, threshold):
        super().__init__()
        self.inner, self.column, self.threshold = inner, column, threshold

    def forward(self, x):
        out = self.inner(x)
        return torch.where(x[:, self.column:self.column + 1] > self.threshold, torch.full_like(out, float("nan")), out)


def metrics(accuracy, baseline=0.6, n=200):
    """A metrics dict as evaluate returns it, with chosen numbers (a registry only stores and passes it on)."""
    return {"accuracy": float(accuracy), "baseline": float(baseline), "n": int(n)}


def requests_of(X):
    return [{"features": [float(v) for v in row]} for row in X]


class Clock:
    """A clock the test sets: clock.t = 123.0."""

    def __init__(self, t=1000.0):
        self.t = t

    def __call__(self):
        return self.t


# ---------------------------------------------------------------- stand-ins for the other questions' code
class RecordingGate:
    """A test-owned quality gate: rejects a candidate whose accuracy is below `minimum`, or below the deployed
    model's accuracy minus `max_drop`; `asked` keeps every (accuracy, deployed accuracy or None) it was asked."""

    def __init__(self, minimum=0.0, max_drop=0.0):
        self.minimum, self.max_drop = minimum, max_drop
        self.asked = []

    def check(self, metrics, deployed=None):
        acc = metrics["accuracy"]
        self.asked.append((acc, None if deployed is None else deployed["accuracy"]))
        if acc < self.minimum:
            return False, f"accuracy {acc} < {self.minimum}"
        if deployed is not None and acc < deployed["accuracy"] - self.max_drop:
            return False, f"accuracy {acc} < deployed {deployed['accuracy']} - {self.max_drop}"
        return True, ""


class StackRegistry:
    """A test-owned registry for the service: deploy(release) pushes, rollback() pops, current() is the top."""

    def __init__(self):
        self.stack = []

    def deploy(self, release):
        self.stack.append(release)

    def rollback(self):
        self.stack.pop()

    def current(self):
        if not self.stack:
            raise LookupError("nothing is deployed")
        return self.stack[-1]


class RecordingMonitor:
    """A test-owned monitor: keeps every record(valid, model_version, model_created) call."""

    def __init__(self):
        self.calls = []

    def record(self, valid, model_version=None, model_created=None):
        self.calls.append((bool(valid), model_version, model_created))


class FormulaService:
    """A test-owned prediction service for the HTTP endpoint: probability = sigmoid(mean of the features),
    model_version 7, latency_ms 0.25; anything but {"features": [n_features numbers]} raises invalid(reason)."""

    def __init__(self, prediction, invalid, n_features=30):
        self.prediction, self.invalid, self.n_features = prediction, invalid, n_features

    def predict(self, request):
        if not isinstance(request, dict) or not isinstance(request.get("features"), list) \
                or len(request["features"]) != self.n_features \
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in request["features"]):
            raise self.invalid("not a request this service answers")
        mean = sum(request["features"]) / self.n_features
        return self.prediction(1.0 / (1.0 + math.exp(-mean)), 7, 0.25)


def version_dirs(root):
    """The version folders a registry wrote under root: "v1,v2"."""
    return ",".join(sorted(p.name for p in root.iterdir() if p.name.startswith("v")))


def listing(root):
    """Everything under root, as relative paths (what a failed publish must leave unchanged)."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


# ---------------------------------------------------------------- HTTP
def post(port, body: bytes, path="/predict"):
    """(status, JSON body or None); status -1 when the server drops the connection without an answer."""
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        try:
            return err.code, json.loads(err.read())
        except ValueError:
            return err.code, None
    except (urllib.error.URLError, ConnectionError, OSError):
        return -1, None


# ---------------------------------------------------------------- part B: data-parallel training
@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    monkeypatch.setenv("GLOO_SOCKET_IFNAME", "lo")  # gloo's transport on 127.0.0.1, never a real interface


def warm_up():
    """The first optimizer step of a process imports torch._dynamo (seconds): pay it once, before forking."""
    m = nn.Linear(2, 1).double()
    opt = torch.optim.SGD(m.parameters(), lr=0.1)
    m(torch.ones(1, 2, dtype=torch.float64)).sum().backward()
    opt.step()


def run_ranks(train_ddp, cfg, world_size=2, timeout=25):
    """Start train_ddp on every rank (forked); their exit codes (None: still running after `timeout`, killed)."""
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=train_ddp, args=(rank, world_size, cfg)) for rank in range(world_size)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout)
    codes = [p.exitcode for p in procs]
    for p in procs:
        if p.is_alive():
            p.kill()
            p.join()
    return codes


def flat(state):
    return torch.cat([v.detach().reshape(-1) for v in state.values()])


def _lonely_rank(train_ddp, rank, cfg, report):
    """Run one rank whose peer never comes; write what happened, then fail as the rank did."""
    start = time.perf_counter()
    try:
        train_ddp(rank, 2, cfg)
        error = ""
    except Exception as exc:  # noqa: BLE001  (the test wants to know which error ended the rank)
        error = type(exc).__name__
    with open(report, "w") as f:
        json.dump({"error": error, "seconds": time.perf_counter() - start}, f)
    if error:
        raise SystemExit(1)


def lonely(train_ddp, make_cfg, tmp_path, rank, timeout_s, **kw):
    """Run `rank` of 2 alone: (exit code or -1 if it hung, error class name, seconds until it gave up)."""
    cfg = make_cfg(init_method=f"file://{tmp_path}/rendezvous", checkpoint=str(tmp_path / "ckpt.pt"),
                   timeout_s=timeout_s, **kw)
    report = tmp_path / "report.json"
    proc = multiprocessing.get_context("fork").Process(target=_lonely_rank, args=(train_ddp, rank, cfg, str(report)))
    proc.start()
    proc.join(timeout_s + 15)  # measured: the error comes ~1-2 s after timeout_s; gloo's default timeout is 30 min
    if proc.is_alive():
        proc.kill()
        proc.join()
        return -1, "hung", 0.0
    got = json.loads(report.read_text()) if report.exists() else {"error": "no report", "seconds": 0.0}
    return proc.exitcode, got["error"], float(got["seconds"])
