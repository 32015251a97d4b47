"""Model-development tests for service.py (ML Test Score, section 'model'), with CheckList behavioural tests.

MFT (minimum functionality): simple cases the text model must get right. INV (invariance): perturbations
that must not change a prediction. DIR (directional): edits that must move the score the expected way.
Tag every test with the rubric item it automates: @pytest.mark.mlts("model:slices").

Style of this suite: the models are checked against independent oracles (scipy's optimiser for the logistic
model, a dictionary-based naive Bayes for the text model) besides the behavioural tests.
"""
import collections
import math
import re

import numpy as np
import pytest
from scipy.optimize import minimize

import service


def auc(y, score):
    """Area under the ROC curve by the rank-sum formula (ties get average ranks)."""
    y, score = np.asarray(y), np.asarray(score, dtype=np.float64)
    order = np.argsort(score, kind="mergesort")
    ranks = np.empty(len(score))
    ranks[order] = np.arange(1, len(score) + 1)
    for value in np.unique(score):  # average ranks over ties
        tie = score == value
        ranks[tie] = ranks[tie].mean()
    n1 = int(y.sum())
    n0 = len(y) - n1
    return (ranks[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)


@pytest.fixture(scope="module")
def trained():
    return service.train_service(seed=0)


@pytest.fixture(scope="module")
def text_model():
    texts, y = service.make_sentences(600, seed=0)
    return service.TextModel().fit(texts, y)


def _logistic_oracle(X, y, l2=1.0):
    """Penalised logistic regression on standardised X (intercept free), by scipy's L-BFGS."""
    mu, sd = X.mean(axis=0), X.std(axis=0)
    Z = (X - mu) / np.where(sd > 0, sd, 1.0)

    def loss(w):
        z = w[0] + Z @ w[1:]
        return np.sum(np.logaddexp(0, z) - y * z) + 0.5 * l2 * np.sum(w[1:] ** 2)

    def grad(w):
        p = 0.5 * (1 + np.tanh(0.5 * (w[0] + Z @ w[1:])))
        g = np.concatenate([[np.sum(p - y)], Z.T @ (p - y)])
        g[1:] += l2 * w[1:]
        return g

    res = minimize(loss, np.zeros(Z.shape[1] + 1), jac=grad, method="L-BFGS-B",
                   options={"gtol": 1e-10, "ftol": 1e-15, "maxiter": 1000})
    return res.x


@pytest.mark.mlts("model:simple_baseline")
def test_beats_a_two_feature_baseline(trained):
    """On the held-out rows the model's AUC beats a RiskModel fitted on rate_marriage and married_share only."""
    model, d = trained
    X, y, tr, te = d["X"], d["y"], d["train"], d["test"]
    two = [0, 8]
    assert service.FEATURES[0] == "rate_marriage" and service.FEATURES[8] == "married_share"
    baseline = service.RiskModel().fit(X[tr][:, two], y[tr])
    full_auc = auc(y[te], model.predict_proba(X[te])[:, 1])
    base_auc = auc(y[te], baseline.predict_proba(X[te][:, two])[:, 1])
    assert full_auc > base_auc > 0.65
    # the one-feature baseline (rate_marriage) is beaten too, and so is the majority class at the threshold
    one = service.RiskModel().fit(X[tr][:, :1], y[tr])
    assert full_auc > auc(y[te], one.predict_proba(X[te][:, :1])[:, 1])
    assert (model.predict(X[te]) == y[te]).mean() > 1 - y[te].mean()


@pytest.mark.mlts("model:hyperparameters")
def test_fit_matches_an_independent_optimiser(trained):
    """The fitted coefficients are those of the penalised optimum found by another optimiser (so n_iter suffices)."""
    model, d = trained
    X, y = d["X"][d["train"]], d["y"][d["train"]].astype(np.float64)
    w = _logistic_oracle(X, y, l2=model.l2)
    np.testing.assert_allclose(model.intercept_, w[0], atol=1e-4)
    np.testing.assert_allclose(model.coef_, w[1:], atol=1e-4)
    # and the default l2 is reasonable: a much weaker and a much stronger penalty do no better on held-out rows
    te = d["test"]
    default = auc(d["y"][te], model.predict_proba(d["X"][te])[:, 1])
    for l2 in (0.001, 50.0):
        other = service.RiskModel(l2=l2).fit(X, y)
        assert default > auc(d["y"][te], other.predict_proba(d["X"][te])[:, 1]) - 0.003


@pytest.mark.mlts("model:slices")
def test_quality_on_every_age_group(trained):
    """Every age group has enough held-out rows to judge, and the model ranks well (AUC >= 0.65) inside each."""
    model, d = trained
    te = d["test"]
    ages = d["table"]["age"][te]
    score = model.predict_proba(d["X"][te])[:, 1]
    y = d["y"][te]
    groups = np.unique(ages)
    assert groups.tolist() == list(service.AGE_GROUPS)
    report = {}
    for age in groups:
        rows = ages == age
        report[age] = (int(rows.sum()), auc(y[rows], score[rows]))
    assert all(n >= 30 for n, _ in report.values()), report
    assert all(a >= 0.65 for _, a in report.values()), report
    # the service's own slice masks give the same slices
    for mask in service.age_slices(d["table"]).values():
        rows = np.asarray(mask, dtype=bool)[te]
        (age,) = set(ages[rows].tolist())
        assert report[age][0] == rows.sum()


def _oracle_nb(texts, y):
    """Dictionary-based multinomial naive Bayes with add-one smoothing; unknown words ignored."""
    words = lambda t: re.findall(r"[a-z']+", t.lower())
    counts = {c: collections.Counter() for c in (0, 1)}
    for t, c in zip(texts, y):
        counts[int(c)].update(words(t))
    vocab = set(counts[0]) | set(counts[1])
    total = {c: sum(counts[c].values()) + len(vocab) for c in (0, 1)}
    prior = {c: float(np.mean(np.asarray(y) == c)) for c in (0, 1)}

    def proba(t):
        score = {c: math.log(prior[c]) + sum(math.log((counts[c][w] + 1) / total[c]) for w in words(t) if w in vocab)
                 for c in (0, 1)}
        m = max(score.values())
        e = {c: math.exp(score[c] - m) for c in (0, 1)}
        return [e[0] / (e[0] + e[1]), e[1] / (e[0] + e[1])]
    return proba


@pytest.mark.mlts("model:capabilities")
def test_text_model_matches_an_oracle(text_model):
    """The text model's probabilities equal a dictionary-based naive Bayes on train and on unseen sentences."""
    texts, y = service.make_sentences(600, seed=0)
    oracle = _oracle_nb(texts, y)
    probes, _ = service.make_sentences(150, seed=99)
    probes = probes + ["Zoe thought the taxi was great!", "", "GOOD good, Bad?"]
    np.testing.assert_allclose(text_model.predict_proba(probes), [oracle(t) for t in probes], rtol=1e-9, atol=1e-12)
    skewed_texts, skewed_y = texts[:90], np.r_[np.ones(60, int), np.zeros(30, int)]
    skewed = service.TextModel().fit(skewed_texts, skewed_y)
    oracle2 = _oracle_nb(skewed_texts, skewed_y)
    np.testing.assert_allclose(skewed.predict_proba(probes), [oracle2(t) for t in probes], rtol=1e-9, atol=1e-12)


@pytest.mark.mlts("model:capabilities")
def test_text_mft_simple_reviews(text_model):
    """MFT: 'The <thing> was <adjective>.' is classified by the adjective's polarity, for every thing and adjective."""
    failures = []
    for thing in service.THINGS:
        for adj in service.POSITIVE + service.NEGATIVE:
            text = f"The {thing} was {adj}."
            want = 1 if adj in service.POSITIVE else 0
            got = int(text_model.predict([text])[0])
            p = text_model.predict_proba([text])[0]
            if got != want or not np.isfinite(p).all() or (p[1] > 0.5) != bool(want):
                failures.append(text)
    assert failures == []
    assert len(service.POSITIVE) == len(service.NEGATIVE) == 6 and len(service.THINGS) == 8


def _swap_names(text):
    for a, b in zip(service.NAMES, service.NAMES[1:] + service.NAMES[:1]):
        if a in text:
            return text.replace(a, b)
    return text


def _named_sentences():
    out = []
    for name in service.NAMES:
        for thing in service.THINGS:
            for adj in service.POSITIVE + service.NEGATIVE:
                out += [f"{name} said the {thing} was {adj}.", f"{name} found the {thing} {adj}."]
    return out


@pytest.mark.mlts("model:inclusion")
@pytest.mark.parametrize("perturb", [_swap_names, lambda t: t.replace("Anna", "Zoe").replace("Omar", "Tom")],
                         ids=["rotate_names", "unseen_names"])
def test_text_inv_names(text_model, perturb):
    """INV: replacing the person's name never changes a prediction."""
    texts = _named_sentences()
    before, after = text_model.predict(texts), text_model.predict([perturb(t) for t in texts])
    flipped = [t for t, b, a in zip(texts, before, after) if a != b]
    assert flipped == []
    # and every named sentence is judged by its adjective alone
    want = [1 if any(a in t for a in service.POSITIVE) else 0 for t in texts]
    assert text_model.predict(texts).tolist() == want


@pytest.mark.mlts("model:capabilities")
@pytest.mark.parametrize("perturb", [str.upper, lambda t: t.replace(".", "!"), lambda t: t.rstrip(".") + " ..."],
                         ids=["upper", "exclaim", "ellipsis"])
def test_text_inv_case_and_punctuation(text_model, perturb):
    """INV: upper-casing or changing the final punctuation never changes a prediction."""
    texts, y = service.make_sentences(500, seed=21)
    texts = list(texts) + _named_sentences()[::5]
    before, after = text_model.predict(texts), text_model.predict([perturb(t) for t in texts])
    assert np.array_equal(before, after)
    assert np.array_equal(after[:500], y)


@pytest.mark.mlts("model:capabilities")
def test_text_dir_added_opinion_moves_the_score(text_model):
    """DIR: appending a negative sentence lowers P(positive); appending a positive one raises it."""
    texts, _ = service.make_sentences(300, seed=31)
    p0 = text_model.predict_proba(texts)[:, 1]
    rng = np.random.default_rng(0)
    for _ in range(4):
        neg = service.NEGATIVE[rng.integers(6)]
        pos = service.POSITIVE[rng.integers(6)]
        thing = service.THINGS[rng.integers(8)]
        p_neg = text_model.predict_proba([f"{t} But the {thing} was {neg}." for t in texts])[:, 1]
        p_pos = text_model.predict_proba([f"{t} And the {thing} was {pos}." for t in texts])[:, 1]
        assert (p_neg < p0).all() and (p_pos > p0).all()
    # a mixed review with two negatives and one positive ends up negative
    mixed = text_model.predict(["The food was great. The room was awful. The staff was terrible."])
    assert mixed.tolist() == [0]


@pytest.mark.mlts("model:capabilities")
def test_text_probabilities_stay_finite_on_long_input(text_model):
    """A review of thousands of words gives finite probabilities that sum to 1 and the majority polarity."""
    words = " ".join(["excellent"] * 1500 + ["poor"] * 500)
    p = text_model.predict_proba([words, words.upper(), "the " * 3000])
    assert np.isfinite(p).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)
    assert p[0, 1] > 0.99 and p[1, 1] > 0.99
