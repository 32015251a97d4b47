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


TEMPLATES = ("The {thing} was {adj}.", "I thought the {thing} was {adj}.", "{name} said the {thing} was {adj}.",
             "Honestly, the {thing} was {adj}.", "{name} found the {thing} {adj}.")


def _all_sentences():
    """Every template filled with every name, thing and adjective (the whole templated language)."""
    texts, y = [], []
    for template in TEMPLATES:
        for name in (service.NAMES if "{name}" in template else service.NAMES[:1]):
            for thing in service.THINGS:
                for label, adjectives in ((1, service.POSITIVE), (0, service.NEGATIVE)):
                    for adj in adjectives:
                        texts.append(template.format(name=name, thing=thing, adj=adj))
                        y.append(label)
    return texts, np.array(y)


@pytest.mark.mlts("model:simple_baseline")
def test_beats_a_two_feature_baseline(trained):
    """On the held-out rows the model's AUC beats a RiskModel fitted on rate_marriage and married_share only."""
    model, data = trained
    X, y, train, test = data["X"], data["y"], data["train"], data["test"]
    cols = [service.FEATURES.index("rate_marriage"), service.FEATURES.index("married_share")]
    baseline = service.RiskModel().fit(X[train][:, cols], y[train])
    model_auc = auc(y[test], model.predict_proba(X[test])[:, 1])
    baseline_auc = auc(y[test], baseline.predict_proba(X[test][:, cols])[:, 1])
    assert np.isfinite(model_auc) and np.isfinite(baseline_auc)
    assert baseline_auc > 0.6  # the baseline itself is sensible
    assert model_auc > baseline_auc
    # and at the serving threshold it beats always predicting the majority class
    accuracy = np.mean(model.predict(X[test]) == y[test])
    assert accuracy > max(y[test].mean(), 1 - y[test].mean())


def _penalised_gradient(model, X, y):
    """Gradient of sum(log-loss) + l2/2 * |coef|^2 (intercept not shrunk) at the fitted weights."""
    Z = np.column_stack([np.ones(len(X)), model.transform(X)])
    p = model.predict_proba(X)[:, 1]
    w = np.concatenate([[model.intercept_], model.coef_])
    penalty = np.full(len(w), float(model.l2))
    penalty[0] = 0.0
    return Z.T @ (p - y) + penalty * w


@pytest.mark.mlts("model:hyperparameters")
def test_hyperparameters_are_tuned_and_fit_converges(trained):
    """The default n_iter reaches the penalised optimum, and the default l2 is as good as any in a sweep."""
    model, data = trained
    X, y, train, test = data["X"], data["y"], data["train"], data["test"]
    grad = _penalised_gradient(model, X[train], y[train])
    assert np.max(np.abs(grad)) < 1e-6 * len(train)
    longer = service.RiskModel(n_iter=60).fit(X[train], y[train])
    np.testing.assert_allclose(longer.coef_, model.coef_, rtol=1e-6, atol=1e-8)
    aucs = {l2: auc(y[test], service.RiskModel(l2=l2).fit(X[train], y[train]).predict_proba(X[test])[:, 1])
            for l2 in (0.01, 0.1, 10.0, 100.0)}
    default_auc = auc(y[test], model.predict_proba(X[test])[:, 1])
    assert default_auc >= max(aucs.values()) - 0.005
    # a stronger penalty shrinks the coefficients
    strong = service.RiskModel(l2=1000.0).fit(X[train], y[train])
    assert np.linalg.norm(strong.coef_) < np.linalg.norm(model.coef_)
    np.testing.assert_allclose(_penalised_gradient(strong, X[train], y[train]), 0.0, atol=1e-6 * len(train))


@pytest.mark.mlts("model:slices")
def test_quality_on_every_age_group(trained):
    """Every age group has enough held-out rows to judge, and the model ranks well (AUC >= 0.65) inside each."""
    model, data = trained
    y_test = data["y"][data["test"]]
    score = model.predict_proba(data["X"][data["test"]])[:, 1]
    test_age = data["table"]["age"][data["test"]]
    slices = service.age_slices(data["table"])
    assert len(slices) == len(service.AGE_GROUPS)
    for age in service.AGE_GROUPS:
        in_slice = test_age == age
        assert in_slice.sum() >= 30, age
        assert 0 < y_test[in_slice].sum() < in_slice.sum(), age
        assert auc(y_test[in_slice], score[in_slice]) >= 0.65, age
    covered = np.zeros(len(y_test), dtype=int)
    for name, mask in slices.items():
        in_slice = np.asarray(mask, dtype=bool)[data["test"]]
        covered += in_slice
        assert len(np.unique(test_age[in_slice])) == 1, name  # one age group per slice
        assert in_slice.sum() >= 30, name
        assert auc(y_test[in_slice], score[in_slice]) >= 0.65, name
    assert np.all(covered == 1)  # the slices partition the held-out rows


@pytest.mark.mlts("model:capabilities")
def test_text_mft_simple_reviews(text_model):
    """MFT: 'The <thing> was <adjective>.' is classified by the adjective's polarity, for every thing and adjective."""
    texts, y = [], []
    for thing in service.THINGS:
        for label, adjectives in ((1, service.POSITIVE), (0, service.NEGATIVE)):
            for adj in adjectives:
                texts.append(f"The {thing} was {adj}.")
                y.append(label)
    proba = text_model.predict_proba(texts)
    assert proba.shape == (len(texts), 2)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-9)
    np.testing.assert_array_equal(text_model.predict(texts), y)
    np.testing.assert_array_equal(proba[:, 1] > 0.5, np.array(y) == 1)


@pytest.mark.mlts("model:capabilities")
def test_text_mft_every_templated_sentence(text_model):
    """MFT: every sentence of the templated language (all templates, names, things, adjectives) is right."""
    texts, y = _all_sentences()
    np.testing.assert_array_equal(text_model.predict(texts), y)
    train_texts, train_y = service.make_sentences(600, seed=0)
    np.testing.assert_array_equal(text_model.predict(train_texts), train_y)


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
    texts, _ = _all_sentences()
    generated, _ = service.make_sentences(300, seed=11)
    texts = texts + generated
    perturbed = [perturb(t) for t in texts]
    assert sum(p != t for p, t in zip(perturbed, texts)) > 50  # the perturbation really applies
    np.testing.assert_array_equal(text_model.predict(perturbed), text_model.predict(texts))


@pytest.mark.mlts("model:inclusion")
def test_text_inv_names_everywhere(text_model):
    """INV: every name (and a few unseen ones) in every named template gives the same prediction."""
    for template in [t for t in TEMPLATES if "{name}" in t]:
        for thing in service.THINGS:
            for adj in service.POSITIVE + service.NEGATIVE:
                texts = [template.format(name=n, thing=thing, adj=adj)
                         for n in service.NAMES + ("Zoe", "Tom", "Mei", "Jamal")]
                pred = text_model.predict(texts)
                assert len(set(pred.tolist())) == 1, (template, thing, adj)


@pytest.mark.mlts("model:capabilities")
@pytest.mark.parametrize("perturb", [str.upper, lambda t: t.replace(".", "!"), lambda t: t.rstrip(".") + " ..."],
                         ids=["upper", "exclaim", "ellipsis"])
def test_text_inv_case_and_punctuation(text_model, perturb):
    """INV: upper-casing or changing the final punctuation never changes a prediction."""
    texts, _ = _all_sentences()
    generated, _ = service.make_sentences(300, seed=12)
    texts = texts + generated
    perturbed = [perturb(t) for t in texts]
    assert all(p != t for p, t in zip(perturbed, texts))
    np.testing.assert_array_equal(text_model.predict(perturbed), text_model.predict(texts))


@pytest.mark.mlts("model:capabilities")
def test_text_inv_unknown_words_are_ignored(text_model):
    """INV: words the model never saw leave the probabilities unchanged (and finite)."""
    texts, _ = service.make_sentences(200, seed=13)
    padded = [t + " Zyx qwop blorf!" for t in texts]
    base = text_model.predict_proba(texts)
    np.testing.assert_allclose(text_model.predict_proba(padded), base, rtol=1e-9, atol=1e-12)
    empty = text_model.predict_proba(["", "zyx qwop"])
    assert np.isfinite(empty).all()
    np.testing.assert_allclose(empty, 0.5, atol=1e-9)  # balanced training data: the prior


@pytest.mark.mlts("model:capabilities")
def test_text_dir_added_opinion_moves_the_score(text_model):
    """DIR: appending a negative sentence lowers P(positive); appending a positive one raises it."""
    texts, _ = service.make_sentences(200, seed=14)
    texts = texts + [f"The {thing} was {adj}." for thing in service.THINGS
                     for adj in service.POSITIVE + service.NEGATIVE]
    base = text_model.predict_proba(texts)[:, 1]
    for neg in service.NEGATIVE:
        lower = text_model.predict_proba([t + f" It was {neg}." for t in texts])[:, 1]
        assert np.all(lower < base), neg
    for pos in service.POSITIVE:
        higher = text_model.predict_proba([t + f" It was {pos}." for t in texts])[:, 1]
        assert np.all(higher > base), pos


@pytest.mark.mlts("model:capabilities")
def test_text_model_matches_hand_computed_naive_bayes():
    """Multinomial naive Bayes with add-one smoothing, on a two-sentence corpus worked out by hand."""
    model = service.TextModel().fit(["Good good food.", "Bad food!"], [1, 0])
    # vocabulary bad, food, good; positive counts 0, 1, 2 -> (1, 2, 3) / 6; negative 1, 1, 0 -> (2, 2, 1) / 5
    p_good = (3 / 6) / (3 / 6 + 1 / 5)
    p_bad = (1 / 6) / (1 / 6 + 2 / 5)
    p_food_good = (2 / 6 * 3 / 6) / (2 / 6 * 3 / 6 + 2 / 5 * 1 / 5)
    proba = model.predict_proba(["good", "BAD", "food, good", "nothing known"])
    np.testing.assert_allclose(proba[:, 1], [p_good, p_bad, p_food_good, 0.5], rtol=1e-9)
    np.testing.assert_allclose(proba[:, 0], 1 - proba[:, 1], rtol=1e-9)
    np.testing.assert_array_equal(model.predict(["good", "BAD"]), [1, 0])
    # an unbalanced corpus: the prior counts
    skewed = service.TextModel().fit(["good", "good", "good", "bad"], [1, 1, 1, 0])
    np.testing.assert_allclose(skewed.predict_proba(["unseen"])[0], [0.25, 0.75], rtol=1e-9)


@pytest.mark.mlts("model:capabilities")
def test_text_long_reviews_stay_finite(text_model):
    """A very long review (hundreds of words) still gets finite probabilities and the right label."""
    long_pos = " ".join(["Maria said the coffee was lovely."] * 300)
    long_neg = " ".join(["The flight was awful."] * 300)
    proba = text_model.predict_proba([long_pos, long_neg])
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-9)
    np.testing.assert_array_equal(text_model.predict([long_pos, long_neg]), [1, 0])
