# %% [markdown]
# # Lab 09: testing learning applications
#
# This notebook explores the provided `service.py` and holds one of your answer files as answer cells.
# Only the answer cells are graded; everything else is for exploring and never runs at grading.
# Prefer editing the `.py` files? That works too. Check yourself from a terminal: `labkit check 09`.

# %%
import numpy as np
import service

model, d = service.train_service(seed=0)
X, y, train, test = d["X"], d["y"], d["train"], d["test"]
print(X.shape, "positive rate", y.mean().round(3))
print(dict(zip(service.FEATURES, model.coef_.round(3))))

# %% [markdown]
# ## Explore: quality per age slice
# A single held-out number hides slices. Which age group is scored worst, and how many rows does it have?

# %%
import matplotlib.pyplot as plt

p = model.predict_proba(X[test])[:, 1]
names, accs, sizes = [], [], []
for name, mask in service.age_slices(d["table"]).items():
    m = mask[test]
    names.append(name)
    sizes.append(int(m.sum()))
    accs.append(float(np.mean((p[m] >= model.threshold) == y[test][m])))
plt.bar(names, accs)
for i, n in enumerate(sizes):
    plt.text(i, accs[i], f"n={n}", ha="center", va="bottom")
plt.ylabel("held-out accuracy")
plt.title("Accuracy per age group")
plt.show()

# %% [markdown]
# ## Explore: behavioural tests on the text model
# Try an invariance: does changing a name, the case or the punctuation change a prediction?

# %%
texts, labels = service.make_sentences(600, seed=0)
text_model = service.TextModel().fit(texts, labels)
for s in ["Anna said the food was great.", "ZOE SAID THE FOOD WAS GREAT!", "The flight was boring..."]:
    print(f"{s!r:40} P(positive) = {text_model.predict_proba([s])[0, 1]:.3f}")

# %% [markdown]
# ## Explore: the drift monitor with a fake notifier

# %%
class FakeNotifier:
    def __init__(self):
        self.messages = []

    def notify(self, message):
        self.messages.append(message)


fake = FakeNotifier()
monitor = service.DriftMonitor(X[train], fake)
shifted = X[test].copy()
shifted[:, service.FEATURES.index("age")] += 5
print(monitor.check(X[test]), monitor.check(shifted), fake.messages)

# %% [markdown]
# ## Your answers
# The cells below are your answer file. Fill in each test body; the docstrings say what to check.

# %% [answers]

# %% [markdown]
# ## Run your tests
# From this folder: `pytest -q test_data.py` (a terminal), or the cell below.

# %%
import pytest

pytest.main(["-q", "-p", "no:cacheprovider", "test_data.py", "test_model_development.py",
             "test_infrastructure.py", "test_monitoring.py"])
