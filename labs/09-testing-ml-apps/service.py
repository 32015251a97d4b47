"""The service under test: a marriage-survey risk model, a templated-text sentiment model, a drift monitor.

Provided code, not an answer: your job in this lab is to write the tests that would catch it breaking.
Everything runs on numpy alone and trains in milliseconds, so a test may retrain as often as it likes.

Tabular part (the `fair` survey of statsmodels, 6,366 rows, read from the installed package's CSV):
    table = load_fair()                 # dict column name -> float64 array, all of RAW_COLUMNS
    table = clean(table)                # rows within the documented VALID_RANGES (the raw data has no bad rows)
    X, y = features(table), labels(table)
    train, test = split(len(y), seed=0)
    model = RiskModel().fit(X[train], y[train])
    model.predict_proba(X[test])[:, 1]  # P(affair); model.predict flags rows with P >= model.threshold
Text part (CheckList-style templated sentences):
    texts, y = make_sentences(600, seed=0); text_model = TextModel().fit(texts, y)
Monitoring part:
    monitor = DriftMonitor(X[train], notifier); monitor.check(batch)  # notifies on drift or invalid values
"""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Protocol

import numpy as np

# ---------------------------------------------------------------- data
RAW_COLUMNS = ("rate_marriage", "age", "yrs_married", "children", "religious", "educ", "occupation",
               "occupation_husb", "affairs")
FEATURES = ("rate_marriage", "age", "yrs_married", "children", "religious", "educ", "occupation",
            "occupation_husb", "married_share")
# inclusive bounds of every raw column, from the survey's codebook
VALID_RANGES = {"rate_marriage": (1, 5), "age": (17.5, 42), "yrs_married": (0.5, 23), "children": (0, 5.5),
                "religious": (1, 4), "educ": (9, 20), "occupation": (1, 6), "occupation_husb": (1, 6),
                "affairs": (0, 60)}
AGE_GROUPS = (17.5, 22.0, 27.0, 32.0, 37.0, 42.0)  # the survey records age in these bins


def load_fair() -> dict[str, np.ndarray]:
    """The `fair` survey as a dict of float64 columns (RAW_COLUMNS); read without importing statsmodels."""
    path = Path(importlib.util.find_spec("statsmodels").origin).parent / "datasets" / "fair" / "fair.csv"
    header = path.read_text().splitlines()[0].replace('"', "").split(",")
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    return {name: data[:, header.index(name)].copy() for name in RAW_COLUMNS}


def clean(table: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Keep the rows whose every column lies within VALID_RANGES (bounds included) and is finite."""
    keep = np.ones(len(table["age"]), dtype=bool)
    for name, (low, high) in VALID_RANGES.items():
        keep &= (table[name] >= low) & (table[name] <= high)
    return {name: col[keep] for name, col in table.items()}


def features(table: dict[str, np.ndarray]) -> np.ndarray:
    """(n, 9) float64 feature matrix in FEATURES order: the eight survey answers, then the share of her adult
    life (since 16) spent married, yrs_married / (age - 16), clipped to [0, 1]. Never uses `affairs`."""
    cols = [table[name] for name in FEATURES[:-1]]
    share = np.clip(table["yrs_married"] / (table["age"] - 16.0), 0.0, 1.0)
    return np.column_stack([*cols, share]).astype(np.float64)


def labels(table: dict[str, np.ndarray]) -> np.ndarray:
    """1 where the respondent reported any time in extramarital affairs, else 0 (int64)."""
    return (table["affairs"] > 0).astype(np.int64)


def split(n: int, seed: int = 0, test_size: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """Shuffled (train, test) row indices; the same seed gives the same split."""
    order = np.random.default_rng(seed).permutation(n)
    cut = int(round(n * (1 - test_size)))
    return np.sort(order[:cut]), np.sort(order[cut:])


def age_slices(table: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """One boolean row mask per age group, named 'age=22' etc.; every row falls in exactly one group."""
    return {f"age={a:g}": table["age"] == a for a in AGE_GROUPS}


# ---------------------------------------------------------------- tabular model
def _sigmoid(z: np.ndarray) -> np.ndarray:
    # exp of a non-positive number only, so huge |z| gives 0 or 1 and never inf/inf
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


class RiskModel:
    """L2-regularised logistic regression on standardised features, fitted by Newton's method.

    Standardisation statistics (mean_, scale_) are learned in fit and reused, unchanged, at serving time.
    predict flags a row when P(y=1) >= threshold (a score equal to the threshold is flagged).
    """

    def __init__(self, l2: float = 1.0, threshold: float = 0.35, n_iter: int = 20):
        self.l2 = l2
        self.threshold = threshold
        self.n_iter = n_iter

    def fit(self, X: np.ndarray, y: np.ndarray) -> "RiskModel":
        X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
        self.mean_ = X.mean(axis=0)
        scale = X.std(axis=0)
        self.scale_ = np.where(scale > 0, scale, 1.0)
        Z = np.column_stack([np.ones(len(X)), self.transform(X)])
        w = np.zeros(Z.shape[1])
        penalty = np.full(Z.shape[1], self.l2)
        penalty[0] = 0.0  # the intercept is not shrunk
        for _ in range(self.n_iter):
            p = _sigmoid(Z @ w)
            grad = Z.T @ (p - y) + penalty * w
            hess = (Z * (p * (1 - p))[:, None]).T @ Z + np.diag(penalty)
            w -= np.linalg.solve(hess, grad)
        self.intercept_, self.coef_ = float(w[0]), w[1:].copy()
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Standardise with the statistics learned in fit."""
        return (np.asarray(X, dtype=np.float64) - self.mean_) / self.scale_

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        return self.transform(X) @ self.coef_ + self.intercept_

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """(n, 2) probabilities of classes 0 and 1; rows sum to 1."""
        p = _sigmoid(self.decision_function(X))
        return np.column_stack([1 - p, p])

    def predict(self, X: np.ndarray) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= self.threshold).astype(np.int64)


def train_service(seed: int = 0) -> tuple[RiskModel, dict]:
    """The production training job: load, clean, featurise, split, fit. Returns the model and the data it saw."""
    table = clean(load_fair())
    X, y = features(table), labels(table)
    train, test = split(len(y), seed=seed)
    model = RiskModel().fit(X[train], y[train])
    return model, {"table": table, "X": X, "y": y, "train": train, "test": test}


# ---------------------------------------------------------------- templated text
NAMES = ("Anna", "Omar", "Li", "Maria", "Kwame", "Sofia", "Ivan", "Priya")
THINGS = ("food", "service", "flight", "room", "staff", "movie", "seat", "coffee")
POSITIVE = ("great", "good", "excellent", "lovely", "amazing", "wonderful")
NEGATIVE = ("bad", "awful", "terrible", "poor", "boring", "horrible")
TEMPLATES = ("The {thing} was {adj}.", "I thought the {thing} was {adj}.", "{name} said the {thing} was {adj}.",
             "Honestly, the {thing} was {adj}.", "{name} found the {thing} {adj}.")


def make_sentences(n: int, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """n templated review sentences and their labels (1 positive, 0 negative), balanced, from a seeded rng."""
    rng = np.random.default_rng(seed)
    texts, y = [], np.arange(n) % 2
    for label in y:
        template = TEMPLATES[rng.integers(len(TEMPLATES))]
        adj = (POSITIVE if label else NEGATIVE)[rng.integers(6)]
        texts.append(template.format(name=NAMES[rng.integers(len(NAMES))], thing=THINGS[rng.integers(len(THINGS))],
                                     adj=adj))
    return texts, y.astype(np.int64)


def tokenize(text: str) -> list[str]:
    """Lower-cased words; punctuation and case never matter."""
    return re.findall(r"[a-z']+", text.lower())


class TextModel:
    """Multinomial naive Bayes on bag-of-words counts with add-one smoothing; unknown words are ignored."""

    def fit(self, texts: list[str], y) -> "TextModel":
        y = np.asarray(y)
        self.vocabulary_ = {w: i for i, w in enumerate(sorted({w for t in texts for w in tokenize(t)}))}
        counts = self._counts(texts)
        self.classes_ = np.array([0, 1])
        per_class = np.array([counts[y == c].sum(axis=0) for c in self.classes_]) + 1.0
        self.log_prob_ = np.log(per_class / per_class.sum(axis=1, keepdims=True))
        self.log_prior_ = np.log(np.array([np.mean(y == c) for c in self.classes_]))
        return self

    def _counts(self, texts: list[str]) -> np.ndarray:
        counts = np.zeros((len(texts), len(self.vocabulary_)))
        for row, text in enumerate(texts):
            for w in tokenize(text):
                if w in self.vocabulary_:
                    counts[row, self.vocabulary_[w]] += 1
        return counts

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        joint = self._counts(texts) @ self.log_prob_.T + self.log_prior_
        joint -= joint.max(axis=1, keepdims=True)
        p = np.exp(joint)
        return p / p.sum(axis=1, keepdims=True)

    def predict(self, texts: list[str]) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(texts), axis=1)]


# ---------------------------------------------------------------- monitoring
class Notifier(Protocol):
    def notify(self, message: str) -> None: ...


class PrintNotifier:
    """What production uses (a pager in real life); tests pass a fake that records messages instead."""

    def notify(self, message: str) -> None:
        print(f"[ALERT] {message}")


def skew_scores(reference: np.ndarray, batch: np.ndarray) -> np.ndarray:
    """Per-feature |mean(batch) - mean(reference)| / std(reference): how far serving drifted, in reference sds."""
    reference, batch = np.asarray(reference, dtype=np.float64), np.asarray(batch, dtype=np.float64)
    sd = reference.std(axis=0)
    return np.abs(batch.mean(axis=0) - reference.mean(axis=0)) / np.where(sd > 0, sd, 1.0)


class DriftMonitor:
    """Compares serving batches with the training features; one notification per bad batch, naming features."""

    def __init__(self, reference: np.ndarray, notifier: Notifier, names=FEATURES, threshold: float = 0.5):
        self.reference = np.asarray(reference, dtype=np.float64)
        self.notifier, self.names, self.threshold = notifier, tuple(names), threshold

    def check(self, batch: np.ndarray) -> list[str]:
        """Names of the features that drifted by more than `threshold` sds or hold non-finite values."""
        batch = np.asarray(batch, dtype=np.float64)
        bad = ~np.isfinite(batch).all(axis=0)
        scores = skew_scores(self.reference, np.where(np.isfinite(batch), batch, 0.0))
        flagged = [name for name, s, b in zip(self.names, scores, bad) if b or s > self.threshold]
        if flagged:
            self.notifier.notify(f"drift in {len(flagged)} feature(s): {', '.join(flagged)}")
        return flagged
