# %% [markdown]
# # Lab 10: designing the ML system
#
# Part A (`mlsystem.py`): a model reaches users only through a registry that runs a quality gate and a
# canary; a service answers requests with whatever the registry says is current; a monitor raises
# alerts. Part B (`ddp.py`): data-parallel training on two CPU processes with `torch.distributed`.
#
# This notebook exists twice: `mlsystem.ipynb` holds the answer cells of part A, `ddp.ipynb` those of
# part B. `labkit grade` reads only the answer cells (they carry nbgrader metadata); everything else is
# for exploring and never runs at grading. Prefer editing `mlsystem.py` and `ddp.py`? That works too.
# Check yourself at any time from a terminal: `labkit check 10` (or `labkit check 10 q2`).

# %%
import os
os.environ.setdefault("KERAS_BACKEND", "torch")
import numpy as np
import torch
from torch import nn
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

X, y = load_breast_cancer(return_X_y=True)
Xtr, Xva, ytr, yva = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
mu, sd = Xtr.mean(0), Xtr.std(0)
Xtr, Xva = (Xtr - mu) / sd, (Xva - mu) / sd
print(Xtr.shape, "majority-class baseline:", max(yva.mean(), 1 - yva.mean()))

# %% [markdown]
# ## Your answers

# %% [answers]

# %%
# The same exploration runs in both notebooks: whatever this notebook does not define comes from the
# other answer file (your answers in this notebook win).
import ddp
import mlsystem

for _module in (mlsystem, ddp):
    for _name, _value in vars(_module).items():
        if not _name.startswith("_"):
            globals().setdefault(_name, _value)

# %% [markdown]
# ## Explore: what does a model trained on shuffled labels score?
# Train a logistic regression on the real labels and on permuted ones. The shuffled model should land
# near the majority-class baseline (about 0.63), the real one near 0.96: this gap is what the gate's
# `min_lift` (0.20) protects. Try a few seeds: how close to the baseline + 0.20 does the shuffled one get?

# %%
def train(X, y, seed=0, shuffle=False, steps=150):
    g = torch.Generator().manual_seed(seed)
    if shuffle:
        y = y[torch.randperm(len(y), generator=g).numpy()]
    model = nn.Sequential(nn.Linear(X.shape[1], 1))
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    Xt, yt = torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y, dtype=torch.float32).reshape(-1, 1)
    for _ in range(steps):
        opt.zero_grad()
        nn.functional.binary_cross_entropy_with_logits(model(Xt), yt).backward()
        opt.step()
    return model.eval()

for seed in range(3):
    real = evaluate(TorchModel(train(Xtr, ytr, seed)), Xva, yva)
    fake = evaluate(TorchModel(train(Xtr, ytr, seed, shuffle=True)), Xva, yva)
    print(seed, "real", round(real["accuracy"], 3), "shuffled", round(fake["accuracy"], 3))

# %% [markdown]
# ## Explore: publish, serve, roll back
# A registry in a temporary folder; publish two versions, serve a request, roll back, serve it again.

# %%
import tempfile

root = tempfile.mkdtemp()
reg = ModelRegistry(root, QualityGate(GateConfig()))
for seed, steps in [(1, 30), (0, 150)]:
    m = TorchModel(train(Xtr, ytr, seed, steps=steps))
    print("published", reg.publish(m, evaluate(m, Xva, yva)))
service = PredictionService.from_registry(reg, ServiceConfig())
request = {"features": [float(v) for v in Xva[0]]}
print(service.predict(request))
reg.rollback()
print(service.predict(request))
print(sorted(os.listdir(root)))

# %% [markdown]
# ## Explore: the invalid-input alert over time
# Feed the monitor a stream whose invalid rate jumps from 2 % to 15 % and back; plot the fraction over
# the window and mark the alerts. One alert per episode, not one per request.

# %%
import matplotlib.pyplot as plt

rng = np.random.default_rng(0)
rates = np.r_[np.full(300, 0.02), np.full(200, 0.15), np.full(300, 0.02)]
flags = rng.random(len(rates)) >= rates
alerts = []
mon = Monitor(MonitorConfig(window=100), alerts.append)
for f in flags:
    mon.record(bool(f))
frac = np.convolve(~flags, np.ones(100), "valid") / 100
plt.plot(np.arange(100, len(flags) + 1), frac, label="invalid fraction (last 100)")
plt.axhline(0.10, color="k", ls="--", label="threshold")
for a in alerts:
    plt.axvline(a.at, color="r", alpha=0.5)
plt.xlabel("request")
plt.legend()
plt.show()

# %% [markdown]
# ## Explore: DDP equals full-batch training
# Two forked processes train on halves of the batch; compare with `train_single`.

# %%
import multiprocessing

os.environ["GLOO_SOCKET_IFNAME"] = "lo"
tmp = tempfile.mkdtemp()
cfg = DDPConfig(init_method=f"file://{tmp}/rendezvous", checkpoint=f"{tmp}/ckpt.pt", steps=20)
procs = [multiprocessing.get_context("fork").Process(target=train_ddp, args=(r, 2, cfg)) for r in range(2)]
for p in procs:
    p.start()
for p in procs:
    p.join(60)
ddp_state, ref = torch.load(cfg.checkpoint), train_single(cfg)
print("max |DDP - single|:", max(float((ddp_state[k] - ref[k]).abs().max()) for k in ref))
