# %% [markdown]
# # Lab 06: Keras 3 on the torch backend, and framework parity
#
# Keras 3 is a front end: with `KERAS_BACKEND=torch` every layer is a `torch.nn.Module` and every weight a
# `torch.nn.Parameter`. In this notebook you build seeded Keras models, write a custom layer that survives
# `model.save`, move weights from PyTorch into Keras (and prove the outputs agree), train with `fit` and
# EarlyStopping, then train the same kind of model with a plain PyTorch loop.
#
# Your answers live in the answer cells (they carry nbgrader metadata); `labkit grade` reads only those.
# Prefer editing `keras_lab.py`? That works too. Check yourself at any time: `labkit check 06` (or
# `labkit check 06 q3`).

# %%
import os

os.environ.setdefault("KERAS_BACKEND", "torch")  # before the first `import keras`
import keras
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

print("keras", keras.__version__, "on", keras.backend.backend(), "| torch", torch.__version__)
X, y = load_digits(return_X_y=True)
X = (X / 16.0).astype("float32")
Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
print(Xtr.shape, Xte.shape)

# %% [markdown]
# ## Your answers
# Fill in each function below. The docstrings give the layer lists, the weight layouts and the settings.

# %% [answers]

# %% [markdown]
# ## Explore: a Keras model is a torch module
# Its weights are torch Parameters (Keras names them by layer path); its outputs are torch tensors.

# %%
mlp = build_keras_mlp(64, [32], 10, seed=0)
mlp.summary()
print("nn.Module?", isinstance(mlp, torch.nn.Module))
for name, p in mlp.named_parameters():
    print(f"{name:60s} {tuple(p.shape)}  requires_grad={p.requires_grad}")
print(type(mlp(Xte[:2])))

# %% [markdown]
# ## Explore: porting weights, and what the wrong layout costs
# The same CNN in both frameworks. After the port the outputs agree to float32 rounding (~1e-7). Then we
# copy the conv kernels with `.T` instead of `transpose(2, 3, 1, 0)`: the shapes still fit (a 3x3 kernel
# read as WHIO) and nothing complains, but the outputs are off by O(0.1). Only a parity test finds it.

# %%
from torch import nn

torch.manual_seed(0)
twin = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                     nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                     nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))
cnn = port_torch_to_keras(twin, build_keras_cnn())
images = Xte[:50].reshape(-1, 8, 8, 1)  # channels last for Keras
want = twin(torch.tensor(images).permute(0, 3, 1, 2)).detach().numpy()  # channels first for torch
got = keras.ops.convert_to_numpy(cnn(images))
print("max |keras - torch| after the port:", np.abs(got - want).max())

wrong = build_keras_cnn()
for src, dst in zip([m for m in twin if isinstance(m, (nn.Conv2d, nn.Linear))], [l for l in wrong.layers if l.weights]):
    w = src.weight.detach().numpy()
    dst.set_weights([w.T, src.bias.detach().numpy()])  # .T: WHIO for convs, right for Linear
print("max |keras - torch| with .T on the convs:", np.abs(keras.ops.convert_to_numpy(wrong(images)) - want).max())

# %% [markdown]
# ## Explore: a custom layer through save and load
# `Standardize` learns its statistics with `adapt`, keeps them as non-trainable weights, and rebuilds
# itself from `get_config()`. Look at what the config holds, then at the reloaded model's outputs.

# %%
import tempfile

scaler = Standardize()
scaler.adapt(Xtr)
print({k: (v[:4] if isinstance(v, list) else v) for k, v in scaler.get_config().items()})
model = keras.Sequential([keras.Input((64,)), scaler, keras.layers.Dense(10)])
with tempfile.TemporaryDirectory() as tmp:
    model.save(os.path.join(tmp, "m.keras"))
    again = keras.saving.load_model(os.path.join(tmp, "m.keras"))
print("identical after reload:", np.array_equal(keras.ops.convert_to_numpy(model(Xte[:5])),
                                               keras.ops.convert_to_numpy(again(Xte[:5]))))

# %% [markdown]
# ## Explore: fit with EarlyStopping
# On digits the validation loss keeps improving for a while; on random labels it turns up almost at once
# and EarlyStopping ends the run `patience` epochs after the best one, then puts the best weights back.

# %%
import matplotlib.pyplot as plt

fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
runs = [("digits", Xtr, ytr), ("random labels", Xtr[:300], np.random.default_rng(0).integers(0, 10, 300))]
for ax, (title, data, labels) in zip(axes, runs):
    model = build_keras_mlp(64, [64], 10, seed=0)
    hist = train_keras(model, data, labels, TrainConfig(epochs=40, patience=3))
    ax.plot(hist.history["loss"], label="loss")
    ax.plot(hist.history["val_loss"], label="val_loss")
    best = int(np.argmin(hist.history["val_loss"]))
    ax.axvline(best, color="gray", ls=":", label="best epoch (restored)")
    ax.set_title(f"{title}: {len(hist.epoch)} epochs, {int(model.optimizer.iterations)} steps")
    ax.set_xlabel("epoch")
    ax.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Explore: the same model, trained by a PyTorch loop
# No `compile`, no `fit`: `torch.optim.SGD(model.parameters())` and `F.cross_entropy`. Keras then
# predicts with the weights PyTorch trained, because they are the same tensors.

# %%
model = build_keras_mlp(64, [64], 10, seed=0)
losses = torch_loop_on_keras(model, Xtr, ytr, steps=100, lr=0.5)
acc = (np.argmax(model.predict(Xte, verbose=0), axis=1) == yte).mean()
plt.figure(figsize=(5, 3.5))
plt.plot(losses)
plt.xlabel("full-batch SGD step")
plt.ylabel("cross-entropy")
plt.title(f"Keras model, torch loop: test accuracy {acc:.3f}")
plt.show()
