# %% [markdown]
# # Lab 11: drift detection and retraining an existing model
#
# Work through the cells in order. Your answers live in the cells marked as answer cells (they carry
# nbgrader metadata); `labkit grade` reads only those. Everything else is for exploring: it never runs
# at grading. Prefer editing `drift.py`? That works too: grading takes the module when you changed it.
#
# Check yourself at any time from a terminal: `labkit check 11` (or `labkit check 11 q3`).
#
# The story: a digits classifier has run in production for months. Then maintenance swaps a camera:
# the lens sits one pixel off, the gain is lower, the dark level higher, the read-out noisier. Later a
# firmware update starts sending raw bytes. Which of these should trigger a retraining, and how do you
# know the retrained model is really better before you ship it?

# %%
import sys

import matplotlib.pyplot as plt
import numpy as np

from autograder import paths

sys.path.insert(0, str(paths.DATASETS / "11-drift-retraining"))
import drift_world as w  # noqa: E402  (provided: model, data split, sensor streams)

split = w.splits()
Xtr, ytr = split["train"]
Xpool, ypool = split["pool"]
Xte, yte = split["test"]
production = w.load_production_model()  # checks the weights' SHA-256 first
rng = np.random.default_rng(0)
Xte_fault = w.sensor_drift(Xte, rng)
print("production accuracy, clean test:", np.mean(w.predict(production, Xte) == yte))
print("production accuracy, after the camera swap:", np.mean(w.predict(production, Xte_fault) == yte))
print("production accuracy, on bytes (x255):", np.mean(w.predict(production, w.schema_change(Xte)) == yte))

# %%
fig, axes = plt.subplots(3, 6, figsize=(9, 4.5))
for j in range(6):
    for i, (img, name) in enumerate([(Xte[j], "clean"), (Xte_fault[j], "sensor fault"),
                                     (w.sensor_drift(Xte[j:j + 1], rng, 0.3)[0], "gradual, 30 %")]):
        axes[i, j].imshow(img.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        axes[i, j].set_xticks([]), axes[i, j].set_yticks([])
        if j == 0:
            axes[i, j].set_ylabel(name)
plt.tight_layout()

# %% [markdown]
# Note the third number above: on bytes the CNN is still ~96 % right (ReLU networks are nearly
# scale-invariant), so accuracy alone would not even notice the schema change. The inputs are
# nonetheless wrong, and any model trained on them learns the bug.
#
# ## Your answers
# Fill in each function below. The docstrings give the formulas and conventions.

# %% [answers]

# %% [markdown]
# ## Explore: how often does a healthy stream raise an alarm?
# 68 tests per batch. Run the detector on healthy streams with and without the multiple-testing
# correction (the second one just compares the raw p-values with alpha).

# %%
from scipy import stats

reference = Xtr[:400]
ref_features = np.column_stack([reference, summary_statistics(reference)])
alarms, raw_alarms = 0, 0
for seed in range(4):
    det = DriftDetector(reference)
    for _, xb, _ in w.stream("clean", 50, seed=seed):
        alarms += det.update(xb) is not None
        feats = np.column_stack([xb, summary_statistics(xb)])
        raw = np.nan_to_num(stats.ks_2samp(ref_features, feats, axis=0).pvalue, nan=1.0)
        raw_alarms += raw.min() <= 0.005  # the detector's default alpha, applied to every test
print(f"false alarms per 50 healthy batches: corrected {alarms / 4:.2f}, uncorrected {raw_alarms / 4:.2f}")

# %% [markdown]
# ## Explore: detection delay
# The smallest adjusted p-value per batch, for a sudden and a gradual fault starting at batch 20.

# %%
fig, ax = plt.subplots(figsize=(7, 3))
for kind in ("sudden", "gradual"):
    det, curve = DriftDetector(reference), []
    for _, xb, _ in w.stream(kind, 40, onset=20, seed=1):
        a = det.update(xb)
        curve.append(1.0 if a is None else max(a.p_values.min(), 1e-300))
    ax.semilogy(curve, marker=".", label=kind)
ax.axvline(20, color="gray", ls=":")
ax.axhline(0.005, color="red", ls="--", label="alpha")
ax.set_xlabel("batch"), ax.set_ylabel("min adjusted p (1 = no alarm)"), ax.legend()

# %% [markdown]
# ## Explore: warm start, replay, scratch
# 300 labelled images from the new camera, 300 replayed from the old training set.

# %%
import copy

import torch

sel_new = rng.choice(len(ypool), 300, replace=False)
sel_old = rng.choice(len(ytr), 300, replace=False)
new_X, new_y = w.sensor_drift(Xpool[sel_new], rng), ypool[sel_new]
rep_X, rep_y = Xtr[sel_old], ytr[sel_old]


def fresh(model):
    model = copy.deepcopy(model)
    for m in model.modules():
        if hasattr(m, "reset_parameters"):
            m.reset_parameters()
    return model


variants = {
    "warm start + replay": retrain(production, new_X, new_y, rep_X, rep_y),
    "warm start, no replay": retrain(production, new_X, new_y, rep_X[:0], rep_y[:0]),
    "scratch + replay": retrain(fresh(production), new_X, new_y, rep_X, rep_y),
}
for name, model in variants.items():
    print(f"{name:24s} drifted {np.mean(w.predict(model, Xte_fault) == yte):.3f}"
          f"  clean {np.mean(w.predict(model, Xte) == yte):.3f}")

# %% [markdown]
# ## Explore: promote or not?
# A paired test on the same drifted test set. Compare with a copy of the production model (no
# discordant pair at all) and with the reverse direction.

# %%
candidate = variants["warm start + replay"]
for name, (a, b) in {"candidate vs production": (candidate, production),
                     "copy vs production": (copy.deepcopy(production), production),
                     "production vs candidate": (production, candidate)}.items():
    print(f"{name:26s}", promote(a, b, Xte_fault, yte))

# %% [markdown]
# ## Explore: the schema change
# The policy must page a human, not retrain. What would retraining on bytes do to the model once the
# firmware is fixed and [0, 1] images come back? This small ReLU CNN is almost scale-invariant, so it
# survives (measured 0.955); a model with a fitted scaler, trees or any hand-set threshold would not, the
# detector's reference window would now describe the wrong units, and the next firmware fix would break
# the pipeline again. The fix belongs in ingestion (divide by 255, or reject the batch), with a human
# in the loop; then the model needs no change at all.

# %%
policy = RetrainPolicy()
det = DriftDetector(reference)
alarm = det.update(w.schema_change(Xpool[:40]))
print("kind:", classify_drift(alarm), "| action:", policy.decide(alarm, n_labels=10_000))
on_bytes = retrain(production, w.schema_change(new_X), new_y, w.schema_change(rep_X), rep_y)
print("retrained on bytes, accuracy once [0, 1] inputs return:", np.mean(w.predict(on_bytes, Xte) == yte))
