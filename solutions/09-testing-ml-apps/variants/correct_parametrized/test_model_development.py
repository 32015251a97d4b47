"""Model-development tests for service.py (ML Test Score, section 'model'), with CheckList behavioural tests.

MFT (minimum functionality): simple cases the text model must get right. INV (invariance): perturbations
that must not change a prediction. DIR (directional): edits that must move the score the expected way.
Tag every test with the rubric item it automates: @pytest.mark.mlts("model:slices").
"""
import numpy as np
import pytest
from scipy.stats import rankdata

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


def auc_scipy(y, score):
    """The same AUC through scipy's rankdata (a second, independent implementation)."""
    y = np.asarray(y)
    r = rankdata(np.asarray(score, dtype=np.float64))
    n1 = int((y == 1).sum())
    n0 = len(y) - n1
    return (r[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)


def log_loss(y, p):
    p = np.clip(p, 1e-15, 1 - 1e-15)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


@pytest.fixture(scope="module")
def trained():
    return service.train_service(seed=0)


@pytest.fixture(scope="module")
def text_model():
    texts, y = service.make_sentences(600, seed=0)
    return service.TextModel().fit(texts, y)


@pytest.fixture(scope="module")
def probe_texts():
    texts, y = service.make_sentences(1000, seed=7)
    return texts, y


@pytest.mark.mlts("model:simple_baseline")
def test_beats_a_two_feature_baseline(trained):
    """On the held-out rows the model's AUC beats a RiskModel fitted on rate_marriage and married_share only."""
    model, data = trained
    X, y = data["X"], data["y"]
    tr, te = data["train"], data["test"]
    pick = [list(service.FEATURES).index("rate_marriage"), list(service.FEATURES).index("married_share")]
    base = service.RiskModel().fit(X[tr][:, pick], y[tr])
    p_model = model.predict_proba(X[te])[:, 1]
    p_base = base.predict_proba(X[te][:, pick])[:, 1]
    assert auc_scipy(y[te], p_model) > auc_scipy(y[te], p_base)
    assert auc(y[te], p_model) == pytest.approx(auc_scipy(y[te], p_model), abs=1e-12)
    assert log_loss(y[te], p_model) < log_loss(y[te], p_base)
    # the always-majority baseline: at its threshold the model is more accurate
    assert np.mean(model.predict(X[te]) == y[te]) > np.mean(y[te] == 0)
    # and a constant score (the training base rate) has a worse log-loss
    assert log_loss(y[te], p_model) < log_loss(y[te], np.full(len(te), y[tr].mean()))


@pytest.mark.mlts("model:hyperparameters")
def test_default_hyperparameters_converge_and_are_tuned(trained):
    """More Newton steps change nothing (n_iter suffices); no l2 in a sweep beats the default by a margin."""
    model, data = trained
    X, y, tr, te = data["X"], data["y"], data["train"], data["test"]
    more = service.RiskModel(n_iter=80).fit(X[tr], y[tr])
    np.testing.assert_allclose(model.coef_, more.coef_, rtol=1e-7, atol=1e-9)
    assert model.intercept_ == pytest.approx(more.intercept_, rel=1e-7, abs=1e-9)
    # first-order optimality of the penalised log-likelihood (intercept unpenalised)
    Z = model.transform(X[tr])
    r = model.predict_proba(X[tr])[:, 1] - y[tr]
    assert abs(r.sum()) < 1e-6
    np.testing.assert_allclose(Z.T @ r, -model.l2 * model.coef_, atol=1e-6)
    default = auc_scipy(y[te], model.predict_proba(X[te])[:, 1])
    for l2 in (1e-3, 0.3, 3.0, 30.0, 300.0):
        other = service.RiskModel(l2=l2).fit(X[tr], y[tr])
        assert default >= auc_scipy(y[te], other.predict_proba(X[te])[:, 1]) - 0.005, l2


@pytest.mark.mlts("model:slices")
def test_quality_on_every_age_group(trained):
    """Every age group has enough held-out rows to judge, and the model ranks well (AUC >= 0.65) inside each."""
    model, data = trained
    te = data["test"]
    score = model.predict_proba(data["X"][te])[:, 1]
    y = data["y"][te]
    masks = service.age_slices(data["table"])
    assert len(masks) == 6
    covered = np.zeros(len(te), dtype=int)
    for name, mask in masks.items():
        m = np.asarray(mask, dtype=bool)[te]
        covered += m
        assert m.sum() >= 30, name
        assert 0 < y[m].sum() < m.sum(), name
        assert auc_scipy(y[m], score[m]) >= 0.65, name
    assert np.all(covered == 1)


@pytest.mark.mlts("model:slices")
@pytest.mark.parametrize("age", (17.5, 22.0, 27.0, 32.0, 37.0, 42.0))
def test_slice_by_age_value(trained, age):
    """The same check, one age group at a time, selecting rows by their age directly."""
    model, data = trained
    te = data["test"]
    m = data["table"]["age"][te] == age
    assert m.sum() >= 30
    assert auc_scipy(data["y"][te][m], model.predict_proba(data["X"][te][m])[:, 1]) >= 0.65


@pytest.mark.mlts("model:capabilities")
@pytest.mark.parametrize("thing", ("food", "service", "flight", "room", "staff", "movie", "seat", "coffee"))
def test_text_mft_simple_reviews(text_model, thing):
    """MFT: 'The <thing> was <adjective>.' is classified by the adjective's polarity, for every thing and adjective."""
    assert thing in service.THINGS
    for adjectives, label in ((service.POSITIVE, 1), (service.NEGATIVE, 0)):
        texts = [f"The {thing} was {adj}." for adj in adjectives]
        proba = text_model.predict_proba(texts)
        assert np.all(np.isfinite(proba))
        assert text_model.predict(texts).tolist() == [label] * len(texts)
        assert np.all((proba[:, 1] > 0.5) == bool(label))


@pytest.mark.mlts("model:capabilities")
def test_text_mft_generated_reviews(text_model, probe_texts):
    """MFT: fresh generated sentences (another seed) and the training sentences are all classified right."""
    texts, y = probe_texts
    assert text_model.predict(texts).tolist() == y.tolist()
    train, y_train = service.make_sentences(600, seed=0)
    assert text_model.predict(train).tolist() == y_train.tolist()
    assert np.isfinite(text_model.predict_proba(texts)).all()


def _swap_names(text):
    for a, b in zip(service.NAMES, service.NAMES[1:] + service.NAMES[:1]):
        if a in text:
            return text.replace(a, b)
    return text


@pytest.mark.mlts("model:inclusion")
@pytest.mark.parametrize("perturb", [_swap_names, lambda t: t.replace("Anna", "Zoe").replace("Omar", "Tom")],
                         ids=["rotate_names", "unseen_names"])
def test_text_inv_names(text_model, probe_texts, perturb):
    """INV: replacing the person's name never changes a prediction."""
    texts, _ = probe_texts
    crafted = [f"{name} said the {thing} was {adj}." for name in service.NAMES for thing in service.THINGS
               for adj in service.POSITIVE + service.NEGATIVE]
    crafted += [f"{name} found the {thing} {adj}." for name in service.NAMES for thing in service.THINGS
                for adj in service.POSITIVE + service.NEGATIVE]
    for batch in (list(texts), crafted):
        changed = [perturb(t) for t in batch]
        assert changed != batch
        assert text_model.predict(changed).tolist() == text_model.predict(batch).tolist()


@pytest.mark.mlts("model:inclusion")
@pytest.mark.parametrize("name", ("Anna", "Omar", "Li", "Maria", "Kwame", "Sofia", "Ivan", "Priya", "Zoe", "Bob"))
def test_text_every_name_gets_the_adjectives_label(text_model, name):
    """Whatever the name, '<name> found the <thing> <adj>.' gets the adjective's label."""
    for thing in service.THINGS:
        texts = [f"{name} found the {thing} {adj}." for adj in service.POSITIVE + service.NEGATIVE]
        labels = [1] * len(service.POSITIVE) + [0] * len(service.NEGATIVE)
        assert text_model.predict(texts).tolist() == labels
        texts = [f"{name} said the {thing} was {adj}." for adj in service.POSITIVE + service.NEGATIVE]
        assert text_model.predict(texts).tolist() == labels


@pytest.mark.mlts("model:capabilities")
@pytest.mark.parametrize("perturb", [str.upper, lambda t: t.replace(".", "!"), lambda t: t.rstrip(".") + " ..."],
                         ids=["upper", "exclaim", "ellipsis"])
def test_text_inv_case_and_punctuation(text_model, probe_texts, perturb):
    """INV: upper-casing or changing the final punctuation never changes a prediction."""
    texts, _ = probe_texts
    simple = [f"The {thing} was {adj}." for thing in service.THINGS for adj in service.POSITIVE + service.NEGATIVE]
    for batch in (list(texts), simple):
        changed = [perturb(t) for t in batch]
        assert text_model.predict(changed).tolist() == text_model.predict(batch).tolist()
        # case and punctuation never matter, so not even the probabilities move
        np.testing.assert_allclose(text_model.predict_proba(changed), text_model.predict_proba(batch),
                                   rtol=1e-12, atol=1e-12)


@pytest.mark.mlts("model:capabilities")
@pytest.mark.parametrize("perturb", [str.lower, str.title, lambda t: "  " + t.replace(" ", "   ") + "?!",
                                     lambda t: t + " xylophone quux"],
                         ids=["lower", "title", "spacing", "unknown_words"])
def test_text_inv_more_surface_changes(text_model, probe_texts, perturb):
    """INV: lower/title case, extra spaces and punctuation, and unknown words never move the probabilities."""
    texts, _ = probe_texts
    texts = list(texts[:300])
    np.testing.assert_allclose(text_model.predict_proba([perturb(t) for t in texts]),
                               text_model.predict_proba(texts), rtol=1e-12, atol=1e-12)


@pytest.mark.mlts("model:capabilities")
def test_text_dir_added_opinion_moves_the_score(text_model, probe_texts):
    """DIR: appending a negative sentence lowers P(positive); appending a positive one raises it."""
    texts, _ = probe_texts
    texts = list(texts[:400])

    def logit(batch):
        p = text_model.predict_proba(batch)
        return np.log(p[:, 1]) - np.log(p[:, 0])

    before = logit(texts)
    for adj in service.NEGATIVE:
        assert np.all(logit([f"{t} Also the room was {adj}." for t in texts]) < before), adj
    for adj in service.POSITIVE:
        assert np.all(logit([f"{t} Also the room was {adj}." for t in texts]) > before), adj
    # more of the same opinion moves the score further
    neg1 = logit([t + " Awful." for t in texts])
    neg2 = logit([t + " Awful. Awful." for t in texts])
    assert np.all(neg2 < neg1)


@pytest.mark.mlts("model:capabilities")
def test_text_probabilities_finite_for_long_and_empty(text_model):
    """Probabilities stay finite and sum to 1 for an empty text, unknown words only, and a 2,000-word review."""
    long_review = "The movie was amazing and the seat was great. " * 200
    long_bad = "Sofia found the room horrible, the staff terrible. " * 250
    proba = text_model.predict_proba(["", "qwerty", long_review, long_bad])
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(proba[:2], 0.5)
    assert text_model.predict([long_review, long_bad]).tolist() == [1, 0]


@pytest.mark.mlts("model:capabilities")
def test_text_naive_bayes_by_hand():
    """Add-one smoothed multinomial NB on a three-sentence corpus, compared with a hand computation."""
    m = service.TextModel().fit(["great great", "great bad", "bad"], np.array([1, 1, 0]))
    # vocab (bad, great); class 1 counts (1, 3) -> (2, 4)/6; class 0 counts (1, 0) -> (2, 1)/3; priors 2/3, 1/3
    log_odds = lambda n_bad, n_great: (np.log(2 / 3) + n_bad * np.log(2 / 6) + n_great * np.log(4 / 6)
                                       - np.log(1 / 3) - n_bad * np.log(2 / 3) - n_great * np.log(1 / 3))
    expected = 1 / (1 + np.exp(-np.array([log_odds(0, 1), log_odds(1, 0), log_odds(2, 1), log_odds(0, 0)])))
    got = m.predict_proba(["Great!", "bad", "Bad bad GREAT", "nope"])[:, 1]
    np.testing.assert_allclose(got, expected, rtol=1e-10)
