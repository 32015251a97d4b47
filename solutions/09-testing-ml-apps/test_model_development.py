"""Model-development tests for service.py (ML Test Score, section 'model'), with CheckList behavioural tests.

MFT (minimum functionality): simple cases the text model must get right. INV (invariance): perturbations
that must not change a prediction. DIR (directional): edits that must move the score the expected way.
Tag every test with the rubric item it automates: @pytest.mark.mlts("model:slices").
"""
import numpy as np
import pytest

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


@pytest.mark.mlts("model:simple_baseline")
def test_beats_a_two_feature_baseline(trained):
    """On the held-out rows the model's AUC beats a RiskModel fitted on rate_marriage and married_share only."""
    ### BEGIN SOLUTION
    model, d = trained
    X, y, train, test = d["X"], d["y"], d["train"], d["test"]
    cols = [service.FEATURES.index("rate_marriage"), service.FEATURES.index("married_share")]
    baseline = service.RiskModel().fit(X[train][:, cols], y[train])
    full = auc(y[test], model.predict_proba(X[test])[:, 1])
    simple = auc(y[test], baseline.predict_proba(X[test][:, cols])[:, 1])
    # measured 0.751 against 0.736 at seed 0; a model no better than two features is not worth serving
    assert full > simple + 0.005, (full, simple)
    ### END SOLUTION


@pytest.mark.mlts("model:slices")
def test_quality_on_every_age_group(trained):
    """Every age group has enough held-out rows to judge, and the model ranks well (AUC >= 0.65) inside each."""
    ### BEGIN SOLUTION
    model, d = trained
    slices = service.age_slices(d["table"])
    assert len(slices) == len(service.AGE_GROUPS)
    p = model.predict_proba(d["X"][d["test"]])[:, 1]
    y = d["y"][d["test"]]
    for name, mask in slices.items():
        m = mask[d["test"]]
        assert m.sum() >= 20, f"slice {name} has only {m.sum()} held-out rows"  # smallest measured: 33
        assert 0 < y[m].sum() < m.sum(), name
        assert auc(y[m], p[m]) >= 0.65, name  # measured 0.71 to 0.95; 0.5 is chance
    ### END SOLUTION


@pytest.mark.mlts("model:capabilities")
def test_text_mft_simple_reviews(text_model):
    """MFT: 'The <thing> was <adjective>.' is classified by the adjective's polarity, for every thing and adjective."""
    ### BEGIN SOLUTION
    texts, y = [], []
    for thing in service.THINGS:
        for label, words in ((1, service.POSITIVE), (0, service.NEGATIVE)):
            texts += [f"The {thing} was {adj}." for adj in words]
            y += [label] * len(words)
    np.testing.assert_array_equal(text_model.predict(texts), y)
    ### END SOLUTION


def _swap_names(text):
    for a, b in zip(service.NAMES, service.NAMES[1:] + service.NAMES[:1]):
        if a in text:
            return text.replace(a, b)
    return text


@pytest.mark.mlts("model:inclusion")
@pytest.mark.parametrize("perturb", [_swap_names, lambda t: t.replace("Anna", "Zoe").replace("Omar", "Tom")],
                         ids=["rotate_names", "unseen_names"])
def test_text_inv_names(text_model, perturb):
    """INV: replacing the person's name never changes a prediction."""
    ### BEGIN SOLUTION
    texts, _ = service.make_sentences(300, seed=1)
    changed = [perturb(t) for t in texts]
    assert sum(a != b for a, b in zip(texts, changed)) > 20  # the perturbation really touched many sentences
    np.testing.assert_array_equal(text_model.predict(changed), text_model.predict(texts))
    ### END SOLUTION


@pytest.mark.mlts("model:capabilities")
@pytest.mark.parametrize("perturb", [str.upper, lambda t: t.replace(".", "!"), lambda t: t.rstrip(".") + " ..."],
                         ids=["upper", "exclaim", "ellipsis"])
def test_text_inv_case_and_punctuation(text_model, perturb):
    """INV: upper-casing or changing the final punctuation never changes a prediction."""
    ### BEGIN SOLUTION
    texts, _ = service.make_sentences(300, seed=2)
    np.testing.assert_array_equal(text_model.predict([perturb(t) for t in texts]), text_model.predict(texts))
    ### END SOLUTION


@pytest.mark.mlts("model:capabilities")
def test_text_dir_added_opinion_moves_the_score(text_model):
    """DIR: appending a negative sentence lowers P(positive); appending a positive one raises it."""
    ### BEGIN SOLUTION
    texts, y = service.make_sentences(200, seed=3)
    p = text_model.predict_proba(texts)[:, 1]
    worse = text_model.predict_proba([t + " The seat was terrible." for t in texts])[:, 1]
    better = text_model.predict_proba([t + " The seat was wonderful." for t in texts])[:, 1]
    assert np.isfinite(p).all() and np.isfinite(worse).all() and np.isfinite(better).all()
    assert (worse < p).all() and (better > p).all()
    ### END SOLUTION


@pytest.mark.mlts("model:capabilities")
def test_text_long_review_stays_finite(text_model):
    """A review hundreds of sentences long still gets finite probabilities and its sentences' label."""
    ### BEGIN SOLUTION
    long_good = " ".join(["The coffee was lovely."] * 300)  # joint log-probabilities near -1e3: exp underflows
    long_bad = " ".join(["The flight was awful."] * 300)
    p = text_model.predict_proba([long_good, long_bad])
    assert np.isfinite(p).all()
    np.testing.assert_array_equal(text_model.predict([long_good, long_bad]), [1, 0])
    ### END SOLUTION
