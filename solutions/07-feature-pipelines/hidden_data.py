"""Hidden evaluation data for lab 07, made in the grader's process (autograder.hidden_data).

Rows of the data sets a learner can load (scikit-learn's breast_cancer and digits, statsmodels' fair and anes96)
are reordered with a seed that stays here and perturbed, so that no row is a verbatim row of a shipped data set:
breast_cancer measurements by ~1% multiplicative noise; digits pixels by whole units (-1, 0, +1, clipped to
0..16); fair's coded answers by moving one answer of every row to another code of the same question (the codes,
and so the ties the binning and one-hot tests need, stay those of the survey); anes96 by a whole year of age on
every voter and ~10% noise on the population. The held-out anes96 votes and the held-out review labels never
leave the grader. The review texts are made here from templates the tests never see; they travel as UTF-8 bytes
(one document a line) because a case holds arrays of numbers only.
"""
import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits

SEED = 0x07FEA7  # never copied into a grading job

ANES_COLUMNS = ["popul", "TVnews", "selfLR", "ClinLR", "DoleLR", "PID", "age", "educ", "income"]


def cancer():
    """All 569 breast_cancer rows, reordered, every measurement times exp(N(0, 0.01)); y the diagnosis."""
    X, y = load_breast_cancer(return_X_y=True)
    rng = np.random.default_rng(SEED)
    order = rng.permutation(len(y))
    X = X[order] * np.exp(rng.normal(0.0, 0.01, size=X.shape))
    return {"X": X, "y": y[order].astype(np.int64)}, {}


def fair():
    """All 6,366 fair rows (8 coded answers, then affairs), reordered; one answer per row moved to another code."""
    from statsmodels.datasets import fair as fair_data

    data = fair_data.load_pandas().data
    rng = np.random.default_rng(SEED + 1)
    data = data.iloc[rng.permutation(len(data))]
    X = data.drop(columns="affairs").to_numpy(dtype=np.float64)
    for i, j in enumerate(rng.integers(0, X.shape[1], size=len(X))):
        codes = np.unique(X[:, j])
        X[i, j] = rng.choice(codes[codes != X[i, j]])
    affairs = data["affairs"].to_numpy() * np.exp(rng.normal(0.0, 0.05, size=len(data)))  # 0 stays 0
    return {"X": X, "affairs": affairs}, {}


def _anes(seed, test_size):
    from statsmodels.datasets import anes96

    data = anes96.load_pandas().data
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(data))
    X = data[ANES_COLUMNS].to_numpy(dtype=np.float64)[order]
    y = data["vote"].to_numpy().astype(np.int64)[order]
    X[:, 0] = np.round(X[:, 0] * np.exp(rng.normal(0.0, 0.1, size=len(X))), 1)  # popul
    X[:, 6] += rng.choice([-1.0, 1.0], size=len(X))  # age: every row moves
    n_test = int(round(test_size * len(X)))
    return {"X_train": X[n_test:], "y_train": y[n_test:], "X_test": X[:n_test]}, {"y_test": y[:n_test]}


def anes_gain():
    """anes96 perturbed, half to fit a feature set on, half to score it (kNN with 15 neighbours)."""
    return _anes(SEED + 2, 0.5)


def anes_serving():
    """anes96 perturbed and split 60/40 in another order: rows served one at a time."""
    return _anes(SEED + 3, 0.4)


def digits():
    """900 digits, reordered, every pixel moved by -1, 0 or +1 (clipped to 0..16)."""
    X = load_digits().data
    rng = np.random.default_rng(SEED + 4)
    X = X[rng.permutation(len(X))[:900]]
    return {"X": np.clip(X + rng.integers(-1, 2, size=X.shape), 0, 16).astype(np.float64)}, {}


# ------------------------------------------------------------------------------------------------ reviews
TOPICS = ["the museum", "this laptop", "the ferry", "our lunch", "the seminar", "the podcast", "this game"]
FILLERS = ["really", "fairly", "extremely", "somewhat", "incredibly", "utterly"]
GOOD = ["brilliant", "charming", "solid", "fun", "wonderful"]
BAD = ["clumsy", "noisy", "slow", "bland", "disappointing"]
TAILS = ["today", "for us", "in the end"]


def _reviews(n, seed, negation=True):
    """Reviews whose label is the opinion word's polarity, flipped by "not" or "never" (when negation is on)."""
    rng = np.random.default_rng(seed)
    docs, labels = [], []
    for _ in range(n):
        positive, negated = rng.random() < 0.5, negation and rng.random() < 0.5
        words = [rng.choice(TOPICS), "was" if rng.random() < 0.5 else "felt",
                 rng.choice(["not", "never"]) if negated else "", rng.choice(FILLERS),
                 rng.choice(GOOD if positive else BAD)]
        if rng.random() < 0.4:
            words.append(rng.choice(TAILS))
        docs.append(" ".join(w for w in words if w))
        labels.append(int(positive != negated))
    return docs, np.array(labels, dtype=np.int64)


def _text(docs):
    """Documents as one array of UTF-8 bytes, one document a line (the tests split it back)."""
    return np.frombuffer("\n".join(docs).encode("utf-8"), dtype=np.uint8).copy()


def reviews_tfidf():
    """300 reviews to fit and transform TF-IDF on (no labels)."""
    docs, _ = _reviews(300, SEED + 5)
    return {"docs": _text(docs)}, {}


def reviews_embed():
    """700 reviews to train the embedding on, 300 to score it on (their labels stay here)."""
    docs, y = _reviews(1000, SEED + 6)
    return {"train_docs": _text(docs[:700]), "y_train": y[:700], "test_docs": _text(docs[700:])}, {"y_test": y[700:]}


def reviews_compare():
    """900 + 400 reviews for compare_representations, which takes the test labels to score both models."""
    docs, y = _reviews(1300, SEED + 7)
    return ({"train_docs": _text(docs[:900]), "y_train": y[:900], "test_docs": _text(docs[900:]), "y_test": y[900:]},
            {"y_test": y[900:]})


def reviews_polarity():
    """Reviews without negation: the opinion word alone decides, so a linear model on TF-IDF is enough too."""
    docs, y = _reviews(700, SEED + 8, negation=False)
    return ({"train_docs": _text(docs[:400]), "y_train": y[:400], "test_docs": _text(docs[400:]), "y_test": y[400:]},
            {"y_test": y[400:]})
