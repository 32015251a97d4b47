"""Similarity: planted copies (renamed, reordered, reformatted) rank above independent solutions; stubs never count."""
from __future__ import annotations

import ast
import re

import pytest

import demo_grades
from autograder import sources
from autograder.reports import similarity

ORIGINAL = '''
import numpy as np


def pairwise_distances(train, test):
    """Euclidean distances."""
    sq_test = np.sum(test ** 2, axis=1)[:, None]
    sq_train = np.sum(train ** 2, axis=1)[None, :]
    cross = test @ train.T
    return np.sqrt(np.maximum(sq_test + sq_train - 2.0 * cross, 0.0))


def predict_labels(dists, labels, k=1):
    out = np.zeros(dists.shape[0], dtype=labels.dtype)
    for i in range(dists.shape[0]):
        nearest = labels[np.argsort(dists[i])[:k]]
        values, counts = np.unique(nearest, return_counts=True)
        out[i] = values[np.argmax(counts)]
    return out


def accuracy(pred, truth):
    if len(pred) == 0:
        return 0.0
    return float(np.mean(pred == truth))


class Scaler:
    def fit(self, X):
        self.mean_ = X.mean(axis=0)
        self.scale_ = X.std(axis=0) + 1e-12
        return self

    def transform(self, X):
        return (X - self.mean_) / self.scale_
'''

# the same code: every name changed, functions and methods reordered, literals, comments and layout changed
COPY = '''
import numpy as np

class Standardizer:
    def transform(self, data):   # scale
        return (data - self.mu) / self.sigma
    def fit(self, data):
        self.mu = data.mean(axis=0)
        self.sigma = data.std(axis=0) + 1e-9
        return self

def acc(p, t):
    if len(p) == 0: return 0.0
    return float(np.mean(p == t))

def knn_vote(D, y, kk=3):
    # majority vote among the kk nearest
    result = np.zeros(D.shape[0], dtype=y.dtype)
    for row in range(D.shape[0]):
        close = y[np.argsort(D[row])[:kk]]
        vals, cnts = np.unique(close, return_counts=True)
        result[row] = vals[np.argmax(cnts)]
    return result

def dist_matrix(A, B):
    a2 = np.sum(B ** 2, axis=1)[:, None]
    b2 = np.sum(A ** 2,
                axis=1)[None, :]
    ab = B @ A.T
    return np.sqrt(np.maximum(a2 + b2 - 2 * ab, 0))
'''

# the same task solved independently: other idioms, other structure
INDEPENDENT = '''
import numpy as np
from collections import Counter


def pairwise_distances(train, test):
    diff = test[:, np.newaxis, :] - train[np.newaxis, :, :]
    return np.linalg.norm(diff, axis=-1)


def predict_labels(dists, labels, k=1):
    order = np.argpartition(dists, kth=min(k, dists.shape[1] - 1), axis=1)[:, :k]
    votes = [Counter(labels[idx].tolist()).most_common() for idx in order]
    return np.array([min(v, key=lambda item: (-item[1], item[0]))[0] for v in votes])


def accuracy(pred, truth):
    pred, truth = np.asarray(pred), np.asarray(truth)
    return (pred == truth).sum() / max(truth.size, 1)


class Scaler:
    def fit(self, X):
        self.mean_, self.scale_ = np.mean(X, 0), np.std(X, 0)
        self.scale_[self.scale_ == 0] = 1.0
        return self

    def transform(self, X):
        centered = X - self.mean_
        return centered / self.scale_
'''

STUB = '''
import numpy as np


def pairwise_distances(train, test):
    """Euclidean distances."""
    raise NotImplementedError


def predict_labels(dists, labels, k=1):
    raise NotImplementedError
'''


def _score(a, b, stub=""):
    exclude = similarity.stub_hashes({"knn.py": stub}) if stub else set()
    return similarity.compare(similarity.fingerprint("a", {"knn.py": a}, exclude),
                              similarity.fingerprint("b", {"knn.py": b}, exclude)).score


def test_normalization_ignores_names_literals_comments_and_layout():
    a = similarity.units_of("f.py", "def f(x):\n    return max(x * 2, 0)  # double\n")[0]
    b = similarity.units_of("f.py", "def g(value):\n\n    return max(value*3.5,\n               1e-3)\n")[0]
    assert [t for t, _ in a.tokens] == [t for t, _ in b.tokens]
    c = similarity.units_of("f.py", "def f(x):\n    return np.exp(x)\n")[0]
    d = similarity.units_of("f.py", "def f(x):\n    return np.log(x)\n")[0]
    assert [t for t, _ in c.tokens] != [t for t, _ in d.tokens]  # attribute names are kept


def test_winnowing_guarantee():
    """Any shared run of K + W - 1 tokens shares a fingerprint (the winnowing guarantee)."""
    unit = similarity.units_of("f.py", ORIGINAL)[1]
    grams = similarity.kgrams(unit)
    picked = {h for h, _, _ in similarity.winnow(grams)}
    for start in range(len(grams) - similarity.W + 1):
        assert picked & {h for h, _, _ in grams[start:start + similarity.W]}
    assert len(picked) < len(grams)


def test_planted_copy_with_renames_and_reordering_beats_an_independent_solution():
    copy, indep = _score(ORIGINAL, COPY, STUB), _score(ORIGINAL, INDEPENDENT, STUB)
    assert copy >= 0.8, copy
    assert indep <= 0.25, indep
    assert _score(COPY, INDEPENDENT, STUB) <= 0.25
    assert _score(STUB, STUB, STUB) == 0.0  # two students who changed nothing share nothing but the stub


def _plant(source: str) -> str:
    """A copy of the lab 02 solution: functions in reverse order, every local name renamed, comments dropped."""
    tree = ast.parse(source)
    tree.body = [n for n in tree.body if not isinstance(n, (ast.FunctionDef, ast.ClassDef))] + \
        [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))][::-1]
    locals_ = {a.arg for n in ast.walk(tree) if isinstance(n, ast.arg) for a in [n]} - {"self"}
    locals_ |= {t.id for n in ast.walk(tree) if isinstance(n, ast.Assign) for t in n.targets
                if isinstance(t, ast.Name)}
    code = ast.unparse(tree)
    for i, name in enumerate(sorted(locals_, key=len, reverse=True)):
        code = re.sub(rf"\b{re.escape(name)}\b", f"v{i}_x", code)
    return code


def test_planted_copy_of_a_lab_solution(lab02):
    solution = sources.solution_sources(lab02)
    stubs = sources.stub_sources(lab02)
    exclude = similarity.stub_hashes(stubs)
    planted = {f: _plant(src) for f, src in solution.items()}
    assert planted != solution
    prints = [similarity.fingerprint("original", solution, exclude),
              similarity.fingerprint("planted", planted, exclude),
              similarity.fingerprint("stubs", stubs, exclude)]
    ranked = similarity.rank(prints)
    assert {ranked[0].a.student, ranked[0].b.student} == {"original", "planted"}
    assert ranked[0].score >= 0.8, ranked[0].score
    assert all(m.score == 0 for m in ranked[1:])  # the stubs' own code is never evidence


def test_report_shows_matching_regions_side_by_side(tmp_path):
    prints = [similarity.fingerprint("ann", {"knn.py": ORIGINAL}), similarity.fingerprint("bob", {"knn.py": COPY}),
              similarity.fingerprint("cy", {"knn.py": INDEPENDENT})]
    page = similarity.render("01", similarity.rank(prints))
    assert page.index("ann / bob") < page.index("ann / cy")
    assert "<code>predict_labels</code> ↔ knn.py: <code>knn_vote</code>" in page  # reordered, renamed: matched
    assert page.count('class="pair"') >= 4 and 'class="hit"' in page


@pytest.mark.slow
def test_similarity_verb_on_the_demo_class(tmp_path_factory, tmp_path):
    demo = demo_grades.graded(tmp_path_factory)
    out = tmp_path / "similarity.html"
    proc = demo_grades.labkit("similarity", "02", demo / "submissions", "--out", out, "--top", 55)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = [line.split() for line in proc.stdout.splitlines() if re.match(r"\s*[\d.]+%\s", line)]
    scores = {frozenset(parts[1:3]): float(parts[0].rstrip("%")) for parts in lines if len(parts) == 3}
    assert scores[frozenset({"notebook", "solution"})] >= 95  # the same answers, from a notebook
    assert scores[frozenset({"broken-syntax", "solution"})] >= 90  # a syntax error does not hide a copy
    assert all(score == 0 for pair, score in scores.items() if "stubs" in pair)  # stubs resemble nobody
    n = sum(1 for p in (demo / "submissions").iterdir() if not p.name.startswith("."))
    assert f"{n * (n - 1) // 2} pairs" in proc.stdout and len(scores) == min(55, n * (n - 1) // 2) and out.is_file()
