"""Infrastructure tests for service.py (ML Test Score, section 'infrastructure').

Reproducible training, unit tests of the model's contract, the whole pipeline end to end, a quality gate and
single-example debugging. Tag every test: @pytest.mark.mlts("infrastructure:reproducible_training").
"""
import numpy as np
import pytest
from scipy.special import expit
from scipy.stats import rankdata

import service


@pytest.fixture(scope="module")
def data():
    table = service.clean(service.load_fair())
    X, y = service.features(table), service.labels(table)
    train, test = service.split(len(y), seed=0)
    return X[train], y[train], X[test], y[test]


def _auc(y, s):
    r = rankdata(s)
    n1 = int(np.sum(y == 1))
    return (r[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * (len(y) - n1))


def _fit(data, **kwargs):
    X_train, y_train, _, _ = data
    return service.RiskModel(**kwargs).fit(X_train.copy(), y_train.copy())


@pytest.mark.mlts("infrastructure:reproducible_training")
def test_training_is_reproducible(data):
    """Two fits on the same data give the same coefficients and the same predictions."""
    _, _, X_test, _ = data
    models = [_fit(data) for _ in range(3)]
    for m in models[1:]:
        assert np.array_equal(m.coef_, models[0].coef_)
        assert m.intercept_ == models[0].intercept_
        assert np.array_equal(m.predict_proba(X_test), models[0].predict_proba(X_test))
    runs = [service.train_service(seed=3) for _ in range(2)]
    assert np.array_equal(runs[0][1]["test"], runs[1][1]["test"])
    assert np.array_equal(runs[0][0].coef_, runs[1][0].coef_)
    assert not np.array_equal(runs[0][1]["test"], service.train_service(seed=4)[1]["test"])


@pytest.mark.mlts("infrastructure:model_spec_unit_tested")
def test_probabilities_are_valid(data):
    """predict_proba returns (n, 2) probabilities in [0, 1] whose rows sum to 1; predict returns 0/1."""
    model = _fit(data)
    X_train, y_train, X_test, _ = data
    rng = np.random.default_rng(1)
    for size in (1, 2, 33, len(X_test)):
        X = X_test[rng.choice(len(X_test), size, replace=False)]
        P = model.predict_proba(X)
        assert P.shape == (size, 2)
        assert ((P >= 0) & (P <= 1)).all()
        assert np.abs(P.sum(axis=1) - 1).max() < 1e-12
        np.testing.assert_allclose(P[:, 1], expit(model.decision_function(X)), rtol=1e-10, atol=1e-14)
        labels = model.predict(X)
        assert labels.shape == (size,)
        assert np.isin(labels, [0, 1]).all()
    # higher P(y=1) goes with more positives: the columns are the right way round
    P = model.predict_proba(X_train)
    top = P[:, 1] >= np.quantile(P[:, 1], 0.8)
    assert y_train[top].mean() > 2 * y_train[~top].mean() * 0.8
    assert y_train[top].mean() > y_train.mean()


@pytest.mark.mlts("infrastructure:model_spec_unit_tested")
def test_standardisation_is_learned_in_fit(data):
    """transform uses the training mean and sd: training features come out centred with unit sd, at any batch size."""
    model = _fit(data)
    X_train, _, X_test, _ = data
    Z = model.transform(X_train)
    assert np.abs(Z.mean(axis=0)).max() < 1e-9
    assert np.abs(Z.std(axis=0) - 1).max() < 1e-9
    mu, sd = X_train.mean(axis=0), X_train.std(axis=0)
    np.testing.assert_allclose(model.transform(X_test[:1]), (X_test[:1] - mu) / sd, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(model.transform(X_test), (X_test - mu) / sd, rtol=1e-9, atol=1e-12)
    # the unpenalised intercept makes the mean training score equal the base rate
    assert model.predict_proba(X_train)[:, 1].mean() == pytest.approx(data[1].mean(), rel=1e-8)


@pytest.mark.mlts("infrastructure:model_spec_unit_tested")
def test_threshold_boundary_is_flagged(data):
    """predict flags a row exactly when P(y=1) >= threshold: a score equal to the threshold is flagged."""
    _, _, X_test, _ = data
    p = _fit(data).predict_proba(X_test)[:, 1]
    assert np.array_equal(_fit(data).predict(X_test), (p >= 0.35).astype(int))
    for k in (2, 50, 700):
        model = _fit(data, threshold=float(p[k]))
        q = model.predict_proba(X_test)[:, 1]
        assert q[k] == p[k]
        pred = model.predict(X_test)
        assert pred[k] == 1
        assert np.array_equal(pred, (q >= p[k]).astype(int))
        assert pred.sum() == np.sum(p >= p[k])
    for t in (0.0, 0.2, 0.5, 0.8):
        model = _fit(data, threshold=t)
        assert np.array_equal(model.predict(X_test), (p >= t).astype(int))


@pytest.mark.mlts("infrastructure:debuggable")
def test_single_row_equals_its_batch_prediction(data):
    """A row scored alone gets the same probability as inside a batch (serving must not depend on the batch)."""
    model = _fit(data)
    _, _, X_test, _ = data
    before = X_test.copy()
    full = model.predict_proba(X_test)[:, 1]
    assert np.array_equal(X_test, before)
    singles = np.array([model.predict_proba(X_test[i][None, :])[0, 1] for i in range(0, len(X_test), 16)])
    np.testing.assert_allclose(singles, full[::16], rtol=1e-10, atol=1e-13)
    pairs = np.concatenate([model.predict_proba(X_test[i:i + 2])[:, 1] for i in range(0, 200, 2)])
    np.testing.assert_allclose(pairs, full[:200], rtol=1e-10, atol=1e-13)
    shuffled = np.random.default_rng(0).permutation(len(X_test))
    np.testing.assert_allclose(model.predict_proba(X_test[shuffled])[:, 1], full[shuffled], rtol=1e-10, atol=1e-13)
    assert np.array_equal(model.predict(X_test[5:6]), model.predict(X_test)[5:6])


@pytest.mark.mlts("infrastructure:pipeline_integration")
def test_training_job_end_to_end():
    """train_service runs the whole pipeline; its held-out predictions are finite and beat the majority class."""
    model, d = service.train_service(seed=0)
    table = service.clean(service.load_fair())
    X, y = service.features(table), service.labels(table)
    train, test = service.split(len(y), seed=0)
    np.testing.assert_array_equal(d["train"], train)
    np.testing.assert_array_equal(d["test"], test)
    np.testing.assert_array_equal(d["y"], y)
    np.testing.assert_allclose(d["X"], X, rtol=1e-12)
    for name in service.RAW_COLUMNS:
        np.testing.assert_array_equal(d["table"][name], table[name])
    manual = service.RiskModel().fit(X[train], y[train])
    np.testing.assert_allclose(model.predict_proba(X), manual.predict_proba(X), rtol=1e-9, atol=1e-12)
    p = model.predict_proba(d["X"][d["test"]])
    assert np.isfinite(p).all()
    y_test = d["y"][d["test"]]
    majority = np.bincount(y_test).max() / len(y_test)
    assert (model.predict(d["X"][d["test"]]) == y_test).mean() > majority


@pytest.mark.mlts("infrastructure:quality_gate")
def test_quality_gate_before_serving(data):
    """A freshly trained model must reach a held-out AUC of 0.70 before it may be served (measured 0.75)."""
    _, _, X_test, y_test = data
    model = _fit(data)
    assert _auc(y_test, model.predict_proba(X_test)[:, 1]) >= 0.70
    served, d = service.train_service(seed=0)
    assert _auc(d["y"][d["test"]], served.predict_proba(d["X"][d["test"]])[:, 1]) >= 0.70
