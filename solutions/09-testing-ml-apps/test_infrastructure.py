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


@pytest.mark.mlts("infrastructure:reproducible_training")
def test_training_is_reproducible(data):
    """Two fits on the same data give the same coefficients and the same predictions."""
    ### BEGIN SOLUTION
    X, y, X_test, _ = data
    a, b = service.RiskModel().fit(X, y), service.RiskModel().fit(X, y)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-10, atol=1e-12)  # same code, same data: bit-level
    np.testing.assert_allclose(a.intercept_, b.intercept_, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(a.predict(X_test), b.predict(X_test))
    ### END SOLUTION


@pytest.mark.mlts("infrastructure:model_spec_unit_tested")
def test_probabilities_are_valid(data):
    """predict_proba returns (n, 2) probabilities in [0, 1] whose rows sum to 1; predict returns 0/1."""
    ### BEGIN SOLUTION
    X, y, X_test, _ = data
    model = service.RiskModel().fit(X, y)
    proba = model.predict_proba(X_test)
    assert proba.shape == (len(X_test), 2)
    assert np.isfinite(proba).all() and (proba >= 0).all() and (proba <= 1).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert set(np.unique(model.predict(X_test)).tolist()) <= {0, 1}
    ### END SOLUTION


@pytest.mark.mlts("infrastructure:model_spec_unit_tested")
def test_threshold_boundary_is_flagged(data):
    """predict flags a row exactly when P(y=1) >= threshold: a score equal to the threshold is flagged."""
    ### BEGIN SOLUTION
    X, y, X_test, _ = data
    model = service.RiskModel().fit(X, y)
    batch = X_test[:50]
    p = model.predict_proba(batch)[:, 1]
    np.testing.assert_array_equal(model.predict(batch), (p >= model.threshold).astype(int))
    # thresholds that rows hit exactly. predict and predict_proba see the same rows in the same batch, so the
    # scores are the same numbers; a row scored alone may differ from its batch score in the last bit (BLAS
    # summation order), so the boundary is never set from one batch and tested on another
    for k in (7, int(np.argmin(np.abs(p - 0.35)))):
        model.threshold = float(p[k])
        flagged = model.predict(batch)
        assert flagged[k] == 1, k
        np.testing.assert_array_equal(flagged, (p >= p[k]).astype(int))
    ### END SOLUTION


@pytest.mark.mlts("infrastructure:debuggable")
def test_single_row_equals_its_batch_prediction(data):
    """A row scored alone gets the same probability as inside a batch (serving must not depend on the batch)."""
    ### BEGIN SOLUTION
    X, y, X_test, _ = data
    model = service.RiskModel().fit(X, y)
    batch = model.predict_proba(X_test[:20])[:, 1]
    alone = np.array([model.predict_proba(X_test[i:i + 1])[0, 1] for i in range(20)])
    np.testing.assert_allclose(alone, batch, rtol=1e-9)  # only float summation order may differ
    ### END SOLUTION


@pytest.mark.mlts("infrastructure:pipeline_integration")
def test_training_job_end_to_end():
    """train_service runs the whole pipeline: the model it returns is the one fitted on its training rows only
    (never the held-out ones), and its held-out predictions are finite and beat the majority class."""
    ### BEGIN SOLUTION
    model, d = service.train_service(seed=1)
    X, y, train, test = d["X"], d["y"], d["train"], d["test"]
    assert len(np.intersect1d(train, test)) == 0
    refit = service.RiskModel().fit(X[train], y[train])
    # the same Newton fit on the same rows scores the held-out rows alike up to rounding (measured: equal);
    # a fit that also saw the 1,592 held-out rows moves their probabilities by up to ~1e-2
    np.testing.assert_allclose(model.predict_proba(X[test]), refit.predict_proba(X[test]), rtol=1e-9, atol=1e-12)
    proba = model.predict_proba(X[test])[:, 1]
    assert np.isfinite(proba).all()
    # mean predicted risk matches the base rate (a calibrated logistic model; measured gap < 0.01)
    assert abs(proba.mean() - y[test].mean()) < 0.03
    majority = max(y[test].mean(), 1 - y[test].mean())
    # with threshold 0.5 the model must beat always-predict-majority (measured 0.72 vs 0.69)
    assert np.mean((proba >= 0.5) == y[test]) > majority
    ### END SOLUTION


@pytest.mark.mlts("infrastructure:quality_gate")
def test_quality_gate_before_serving(data):
    """A freshly trained model must reach a held-out AUC of 0.70 before it may be served (measured 0.75)."""
    ### BEGIN SOLUTION
    X, y, X_test, y_test = data
    p = service.RiskModel().fit(X, y).predict_proba(X_test)[:, 1]
    pos, neg = p[y_test == 1], p[y_test == 0]
    auc = np.mean(pos[:, None] > neg[None, :]) + 0.5 * np.mean(pos[:, None] == neg[None, :])
    assert auc >= 0.70, auc
    ### END SOLUTION
