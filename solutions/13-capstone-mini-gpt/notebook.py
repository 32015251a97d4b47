# %% [markdown]
# # Lab 13 (capstone): a small GPT from scratch, tested, sampled and fine-tuned
#
# Work through the cells in order. Your answers go in the answer cells, the ones that carry nbgrader
# metadata. `labkit grade` reads only those cells, and nothing else here runs at grading.
# If you prefer editing `mini_gpt.py`, do that: grading uses the module when you have changed it.
#
# Check yourself from a terminal at any time: `labkit check 13` (or `labkit check 13 q2`).

# %%
import math

import torch
from pydoc_data.topics import topics

text = "".join(topics[k] for k in sorted(topics))
print(f"{len(text):,} characters, {len(set(text))} distinct; ln V = {math.log(len(set(text))):.3f}")
print(text[:300])

# %% [markdown]
# ## Your answers
# The docstrings give the exact recipe: module names (they are API: the tests copy weights in by name),
# the attention formula, the sampling order (temperature, then top-k, then softmax) and the training loop.

# %% [answers]

# %% [markdown]
# ## Explore 1: the first loss and the first batch
# With N(0, 0.02) weights every logit is close to 0, so the first loss should be close to ln V = 4.63.
# A loss near 10 means an init that is far too large; a loss that does not fall on ONE batch means a bug.

# %%
tok = CharTokenizer(text)
data = torch.tensor(tok.encode(text), dtype=torch.long)
n_train = int(0.9 * len(data))
train, val = data[:n_train], data[n_train:]
torch.manual_seed(0)
cfg = GPTConfig(block_size=32, vocab_size=tok.vocab_size, n_layer=2, n_head=4, n_embd=32)
model = GPT(cfg)
print(sum(p.numel() for p in model.parameters()), "parameters")
x, y = get_batch(train, cfg.block_size, 16, torch.Generator().manual_seed(0))
print("initial loss", model(x, y)[1].item())

# %% [markdown]
# ## Explore 2: pre-train for a few hundred steps and watch the curves
# On two CPU cores 300 steps of this model take a few seconds. Train loss and validation loss should
# fall together from 4.6 to about 2.4; a gap that opens early means the model memorises.

# %%
import matplotlib.pyplot as plt

curve = finetune(model, tok, text[:n_train], TrainConfig(steps=300, batch_size=16, lr=3e-3, seed=0))
val_loss = estimate_loss(model, val, 16, 20, torch.Generator().manual_seed(1))
plt.plot(curve, label="train (per step)")
plt.axhline(val_loss.mean().item(), color="k", ls="--", label="validation")
plt.xlabel("step"); plt.ylabel("cross-entropy (nats)"); plt.legend(); plt.show()
prompt = torch.tensor([tok.encode("The ")])
print(tok.decode(model.generate(prompt, 200, temperature=0.8, top_k=10, generator=torch.Generator().manual_seed(0))[0]))

# %% [markdown]
# ## Explore 3: temperature and top-k change the distribution, not the model
# Compare the empirical next-token frequencies with the exact softmax(logits / T) over the top-k.
# Try T = 0.5, 1, 2 and top_k = None, 3: low T sharpens, high T flattens, top-k cuts the tail.

# %%
import numpy as np

prompt = torch.tensor([tok.encode("def ")])
with torch.no_grad():
    logits = model(prompt)[0][0, -1]
for T in (0.5, 1.0, 2.0):
    exact = torch.softmax(logits / T, dim=-1)
    samples = model.generate(prompt.repeat(2000, 1), 1, temperature=T, generator=torch.Generator().manual_seed(0))
    freq = np.bincount(samples[:, -1].numpy(), minlength=tok.vocab_size) / 2000
    top = exact.argsort(descending=True)[:5]
    print(f"T={T}: exact {exact[top].numpy().round(3)}  sampled {freq[top.numpy()].round(3)}")

# %% [markdown]
# ## Explore 4: retrain on new text and justify the update
# Fine-tune on scikit-learn's dataset descriptions. Compare the held-out loss on the SAME evaluation
# batches before and after (paired), bootstrap the mean gain, and check that the loss on the original
# corpus did not rise by much (catastrophic forgetting). Would you ship the fine-tuned model?

# %%
from sklearn import datasets

descr = "".join(getattr(datasets, f"load_{n}")().DESCR
                for n in ["iris", "wine", "breast_cancer", "diabetes", "digits", "linnerud"]).replace("`", "'")
cut = int(0.8 * len(descr))
held = torch.tensor(tok.encode(descr[cut:]))
before = estimate_loss(model, held, 16, 40, torch.Generator().manual_seed(5)).numpy()
corpus_before = estimate_loss(model, val, 16, 40, torch.Generator().manual_seed(6)).numpy()
finetune(model, tok, descr[:cut], TrainConfig(steps=100, batch_size=16, lr=1e-3, seed=2))
after = estimate_loss(model, held, 16, 40, torch.Generator().manual_seed(5)).numpy()
corpus_after = estimate_loss(model, val, 16, 40, torch.Generator().manual_seed(6)).numpy()
diff = before - after
boots = np.random.default_rng(0).choice(diff, size=(4000, diff.size)).mean(axis=1)
print(f"held-out gain {diff.mean():.3f} nats, 99.9% CI {np.quantile(boots, [0.0005, 0.9995]).round(3)}")
print(f"original-corpus change {corpus_after.mean() - corpus_before.mean():+.3f} nats")
