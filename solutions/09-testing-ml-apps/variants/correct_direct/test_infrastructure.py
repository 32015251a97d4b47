"""Infrastructure tests for service.py (ML Test Score, section 'infrastructure').

Reproducible training, unit tests of the model's contract, the whole pipeline end to end, a quality gate and
single-example debugging. Tag every test: @pytest.mark.mlts("infrastructure:reproducible_training").
"""
import numpy as np
import pytest

import service


@pytest.fixture(scope="module")
def data():
    table = service.clean(service.load_fair())
    X, y = service.features(table), service.labels(table)
    train, test = service.split(len(y), seed=0)
    return X[train], y[train], X[test], y[test]


def _auc(y, score):
    """Probability that a random positive outscores a random negative (ties count one half)."""
    y, score = np.asarray(y), np.asarray(score, dtype=np.float64)
    pos, neg = score[y == 1], score[y == 0]
    greater = (pos[:, None] > neg[None, :]).sum()
    ties = (pos[:, None] == neg[None, :]).sum()
    return (greater + 0.5 * ties) / (len(pos) * len(neg))


@pytest.mark.mlts("infrastructure:reproducible_training")
def test_training_is_reproducible(data):
    """Two fits on the same data give the same coefficients and the same predictions."""
    X_train, y_train, X_test, _ = data
    first = service.RiskModel().fit(X_train, y_train)
    second = service.RiskModel().fit(X_train, y_train)
    np.testing.assert_allclose(first.coef_, second.coef_, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(first.intercept_, second.intercept_, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(first.predict_proba(X_test), second.predict_proba(X_test), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(first.predict(X_test), second.predict(X_test))
    # the whole training job too
    (m1, d1), (m2, d2) = service.train_service(seed=0), service.train_service(seed=0)
    np.testing.assert_array_equal(d1["train"], d2["train"])
    np.testing.assert_array_equal(d1["test"], d2["test"])
    np.testing.assert_allclose(m1.coef_, m2.coef_, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(m1.predict_proba(X_test), m2.predict_proba(X_test), rtol=1e-12, atol=1e-12)
    # and the seed is honoured
    _, d3 = service.train_service(seed=1)
    assert not np.array_equal(d1["test"], d3["test"])


@pytest.mark.mlts("infrastructure:model_spec_unit_tested")
def test_probabilities_are_valid(data):
    """predict_proba returns (n, 2) probabilities in [0, 1] whose rows sum to 1; predict returns 0/1."""
    X_train, y_train, X_test, _ = data
    model = service.RiskModel().fit(X_train, y_train)
    for X in (X_test, X_train[:7], X_test[:1]):
        proba = model.predict_proba(X)
        assert proba.shape == (len(X), 2)
        assert np.isfinite(proba).all()
        assert proba.min() >= 0.0 and proba.max() <= 1.0
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
        # column 1 is P(y=1) = sigmoid(decision_function)
        z = model.decision_function(X)
        np.testing.assert_allclose(proba[:, 1], 1.0 / (1.0 + np.exp(-z)), rtol=1e-10, atol=1e-12)
        pred = model.predict(X)
        assert pred.shape == (len(X),)
        assert set(np.unique(pred).tolist()) <= {0, 1}
    # standardisation: the training features come out with mean 0 and sd 1
    Z = model.transform(X_train)
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-9)
    np.testing.assert_allclose(Z.std(axis=0), 1.0, rtol=1e-9)
    # the fit is the penalised optimum: the intercept is not shrunk, so the mean training score is the base rate,
    # and every coefficient balances its gradient against the L2 penalty
    p_train = model.predict_proba(X_train)[:, 1]
    np.testing.assert_allclose(p_train.mean(), y_train.mean(), rtol=1e-7)
    grad = Z.T @ (p_train - y_train) + model.l2 * model.coef_
    assert np.max(np.abs(grad)) < 1e-6 * len(X_train)
    # the positive class is the one with the higher training rate among high scores
    proba = model.predict_proba(X_train)[:, 1]
    assert y_train[proba >= 0.5].mean() > y_train[proba < 0.5].mean()
    assert set(np.unique(model.predict(X_test)).tolist()) == {0, 1}


@pytest.mark.mlts("infrastructure:model_spec_unit_tested")
def test_threshold_boundary_is_flagged(data):
    """predict flags a row exactly when P(y=1) >= threshold: a score equal to the threshold is flagged."""
    X_train, y_train, X_test, _ = data
    model = service.RiskModel().fit(X_train, y_train)
    assert model.threshold == 0.35
    p = model.predict_proba(X_test)[:, 1]
    np.testing.assert_array_equal(model.predict(X_test), (p >= 0.35).astype(int))
    for k in (0, 17, 400, int(np.argmin(np.abs(p - 0.35)))):
        model.threshold = float(p[k])
        pred = model.predict(X_test)
        assert pred[k] == 1, k
        np.testing.assert_array_equal(pred, (p >= p[k]).astype(int))
    # a threshold given to the constructor is the one used
    other = service.RiskModel(threshold=0.6).fit(X_train, y_train)
    q = other.predict_proba(X_test)[:, 1]
    np.testing.assert_array_equal(other.predict(X_test), (q >= 0.6).astype(int))


@pytest.mark.mlts("infrastructure:debuggable")
def test_single_row_equals_its_batch_prediction(data):
    """A row scored alone gets the same probability as inside a batch (serving must not depend on the batch)."""
    X_train, y_train, X_test, _ = data
    model = service.RiskModel().fit(X_train, y_train)
    X_copy = X_test.copy()
    batch = model.predict_proba(X_test)
    np.testing.assert_array_equal(X_test, X_copy)  # scoring leaves its input alone
    np.testing.assert_allclose(model.predict_proba(X_test), batch, rtol=1e-12, atol=1e-15)
    for i in (0, 1, 5, 100, 999, len(X_test) - 1):
        alone = model.predict_proba(X_test[i:i + 1])
        np.testing.assert_allclose(alone[0], batch[i], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(model.decision_function(X_test[i:i + 1])[0],
                                   model.decision_function(X_test)[i], rtol=1e-10, atol=1e-12)
    # a small batch and a reordered batch agree too
    idx = np.array([10, 3, 250, 3])
    np.testing.assert_allclose(model.predict_proba(X_test[idx]), batch[idx], rtol=1e-10, atol=1e-12)
    rev = model.predict_proba(X_test[::-1])
    np.testing.assert_allclose(rev[::-1], batch, rtol=1e-10, atol=1e-12)


@pytest.mark.mlts("infrastructure:pipeline_integration")
def test_training_job_end_to_end():
    """train_service runs the whole pipeline; its held-out predictions are finite and beat the majority class."""
    model, data = service.train_service(seed=0)
    X, y, train, test = data["X"], data["y"], data["train"], data["test"]
    n = len(y)
    assert n == 6366
    assert X.shape == (n, 9)
    np.testing.assert_array_equal(np.sort(np.concatenate([train, test])), np.arange(n))
    assert abs(len(test) - 0.25 * n) <= 1
    np.testing.assert_array_equal(y, service.labels(data["table"]))
    np.testing.assert_allclose(X, service.features(data["table"]), rtol=1e-12)
    # the served model is the one fitted on the training rows only
    refit = service.RiskModel().fit(X[train], y[train])
    np.testing.assert_allclose(model.coef_, refit.coef_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(model.intercept_, refit.intercept_, rtol=1e-8, atol=1e-10)
    proba = model.predict_proba(X[test])
    assert np.isfinite(proba).all()
    accuracy = np.mean(model.predict(X[test]) == y[test])
    majority = max(y[test].mean(), 1 - y[test].mean())
    assert accuracy > majority


@pytest.mark.mlts("infrastructure:quality_gate")
def test_quality_gate_before_serving(data):
    """A freshly trained model must reach a held-out AUC of 0.70 before it may be served (measured 0.75)."""
    X_train, y_train, X_test, y_test = data
    model = service.RiskModel().fit(X_train, y_train)
    score = model.predict_proba(X_test)[:, 1]
    assert np.isfinite(score).all()
    assert _auc(y_test, score) >= 0.70
    served_model, served = service.train_service(seed=0)
    served_score = served_model.predict_proba(served["X"][served["test"]])[:, 1]
    assert _auc(served["y"][served["test"]], served_score) >= 0.70
