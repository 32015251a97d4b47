# %% [markdown]
# # Lab 05: a correct, reproducible PyTorch training loop
#
# Work through the cells in order. Your answers go in the answer cells, the ones that carry nbgrader
# metadata. `labkit grade` reads only those cells, and nothing else here runs at grading.
# If you prefer editing `training.py`, do that: grading uses the module when you have changed it.
#
# Check yourself from a terminal at any time: `labkit check 05` (or `labkit check 05 q3`).

# %%
import numpy as np
import torch
from sklearn.datasets import load_digits

X, y = load_digits(return_X_y=True)
images = (X / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
print(images.shape, np.bincount(y))
print("GPU available:", torch.cuda.is_available())

# %% [markdown]
# ## Your answers
# Fill in each function and class below. The docstrings give the exact recipe: the layer order, the
# split, the loss and what a checkpoint holds.

# %% [answers]

# %% [markdown]
# ## Explore: does the loop learn at all? Overfit one batch
# A loop that cannot drive the loss on 32 examples to ~0 has a bug, whatever the model. The curve
# should fall below 0.05 within a few dozen steps. A curve that flattens near 1.46 means a softmax
# sits in front of `cross_entropy`.

# %%
import matplotlib.pyplot as plt
from torch.utils.data import DataLoader, TensorDataset

one_batch = DataLoader(TensorDataset(torch.tensor(images[:32]), torch.tensor(y[:32])), batch_size=32)
seed_everything(0)
model = MLP()
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
curve = [train_one_epoch(model, one_batch, opt, "cpu") for _ in range(100)]
plt.semilogy(curve)
plt.xlabel("step")
plt.ylabel("loss on the batch")
plt.title("Overfitting one batch of 32")
plt.show()

# %% [markdown]
# ## Explore: the same seed, the same run, bit for bit
# Train twice with the same seed and subtract the histories. The difference should be exactly zero.
# Then remove `generator=` from your training DataLoader (temporarily), add a layer to the model
# before the second run, and watch the data order, and with it the whole run, change.

# %%
from sklearn.model_selection import train_test_split

Xtr, Xte, ytr, yte = train_test_split(images, y, test_size=0.25, random_state=0, stratify=y)


def run(seed):
    seed_everything(seed)
    train, val = make_loaders(Xtr, ytr, 32, seed=seed)
    model = SmallCNN()
    return model, fit(model, train, val, TrainConfig(epochs=3, lr=5e-3, cosine=True))


model_a, hist_a = run(0)
model_b, hist_b = run(0)
print("train loss difference:", np.array(hist_b.train_loss) - np.array(hist_a.train_loss))
print("validation accuracy per epoch:", hist_a.val_acc)

# %% [markdown]
# ## Explore: learning curves and held-out accuracy

# %%
fig, ax = plt.subplots(1, 2, figsize=(9, 3.5))
ax[0].plot(hist_a.train_loss, marker="o", label="train")
ax[0].plot(hist_a.val_loss, marker="o", label="validation")
ax[0].set_xlabel("epoch")
ax[0].set_ylabel("cross-entropy")
ax[0].legend()
ax[1].plot(hist_a.lr, marker="o")
ax[1].set_xlabel("epoch")
ax[1].set_ylabel("learning rate (cosine)")
plt.tight_layout()
plt.show()
with torch.no_grad():
    pred = model_a.eval()(torch.tensor(Xte)).argmax(1).numpy()
print("held-out accuracy:", (pred == yte).mean())

# %% [markdown]
# ## Explore: resume after a "crash"
# Train 3 epochs with checkpoints, then start a fresh model from `epoch_1.pt`. Seed it
# differently and give it fresh loaders. The final weights should be identical. Then delete the
# optimizer state from your checkpoint (temporarily) and see how far the resumed run drifts.

# %%
import tempfile
from pathlib import Path

with tempfile.TemporaryDirectory() as tmp:
    seed_everything(1)
    train, val = make_loaders(Xtr, ytr, 32, seed=1)
    full = SmallCNN()
    fit(full, train, val, TrainConfig(epochs=3, lr=5e-3, cosine=True, checkpoint_dir=tmp))
    seed_everything(123)
    train, val = make_loaders(Xtr, ytr, 32, seed=1)
    resumed = SmallCNN()
    fit(resumed, train, val, TrainConfig(epochs=3, lr=5e-3, cosine=True, resume_from=str(Path(tmp) / "epoch_1.pt")))
diffs = [(p - q).abs().max().item() for p, q in zip(resumed.parameters(), full.parameters())]
print("largest weight difference after resuming:", max(diffs))

# %% [markdown]
# ## Explore (GPU only): agreement with the CPU, and what TF32 does
# On a GPU, train the same model on both devices with TF32 on and off, and compare the
# histories. With `torch.set_float32_matmul_precision("highest")` and
# `torch.backends.cudnn.allow_tf32 = False` the gap is about 1e-6. With TF32 on, expect about 1e-3.

# %%
if torch.cuda.is_available():
    for tf32 in (True, False):
        torch.backends.cudnn.allow_tf32 = tf32
        torch.set_float32_matmul_precision("high" if tf32 else "highest")
        hists = []
        for device in ("cpu", "cuda"):
            seed_everything(2)
            train, val = make_loaders(Xtr, ytr, 32, seed=2)
            hists.append(fit(SmallCNN(dropout=0.0), train, val, TrainConfig(epochs=1, device=device)))
        print(f"TF32 {tf32}: |cpu - cuda| train loss = {abs(hists[0].train_loss[0] - hists[1].train_loss[0]):.1e}")
else:
    print("no GPU here: the device tests run on the CPU only")
