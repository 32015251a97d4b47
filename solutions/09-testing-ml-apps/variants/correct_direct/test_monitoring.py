"""Monitoring tests for service.py (ML Test Score, section 'monitoring').

Production alerts go through a notifier; tests pass a FakeNotifier that records the messages instead.
Tag every test: @pytest.mark.mlts("monitoring:training_serving_skew").
"""
import time

import numpy as np
import pytest

import service


class FakeNotifier:
    """Records notifications instead of paging anyone."""

    def __init__(self):
        self.messages = []

    def notify(self, message):
        self.messages.append(message)


@pytest.fixture(scope="module")
def trained():
    return service.train_service(seed=0)


def _row_table(table, i):
    return {name: np.asarray(col)[i:i + 1].copy() for name, col in table.items()}


@pytest.mark.mlts("monitoring:training_serving_skew")
def test_training_serving_skew(trained):
    """Rows served one at a time get the features and scores the training job computed for them."""
    model, data = trained
    table, X, test = data["table"], data["X"], data["test"]
    batch_scores = model.predict_proba(X[test])[:, 1]
    for j, i in enumerate(test[::40]):
        served = service.features(_row_table(table, i))
        assert served.shape == (1, 9)
        np.testing.assert_allclose(served[0], X[i], rtol=1e-12, atol=1e-15)
        score = model.predict_proba(served)[0, 1]
        np.testing.assert_allclose(score, batch_scores[40 * j], rtol=1e-10, atol=1e-12)
    # a serving batch of a few rows computes the same features as the training job
    few = test[[3, 1, 2]]
    few_table = {name: np.asarray(col)[few] for name, col in table.items()}
    np.testing.assert_allclose(service.features(few_table), X[few], rtol=1e-12, atol=1e-15)


@pytest.mark.mlts("monitoring:data_invariants")
def test_drift_alert_names_the_shifted_feature(trained):
    """A held-out batch raises no alert; the same batch with educ shifted by 3 years raises one naming educ."""
    _, data = trained
    X, train, test = data["X"], data["train"], data["test"]
    notifier = FakeNotifier()
    monitor = service.DriftMonitor(X[train], notifier)
    assert list(monitor.check(X[test])) == []
    assert notifier.messages == []
    shifted = X[test].copy()
    educ = service.FEATURES.index("educ")
    shifted[:, educ] += 3.0
    flagged = monitor.check(shifted)
    assert list(flagged) == ["educ"]
    assert len(notifier.messages) == 1
    assert "educ" in notifier.messages[0]
    # the monitor keeps working for later batches: a clean one is quiet again
    assert list(monitor.check(X[test])) == []
    assert len(notifier.messages) == 1


@pytest.mark.mlts("monitoring:data_invariants")
def test_drift_threshold_and_several_features(trained):
    """A shift of 0.4 reference sds stays quiet, 0.6 sds alerts; two drifted features give one alert naming both."""
    _, data = trained
    reference = data["X"][data["train"]]
    sd = reference.std(axis=0)
    notifier = FakeNotifier()
    monitor = service.DriftMonitor(reference, notifier)
    for j, name in enumerate(service.FEATURES):
        quiet = reference.copy()
        quiet[:, j] += 0.4 * sd[j]
        assert list(monitor.check(quiet)) == [], name
        loud = reference.copy()
        loud[:, j] -= 0.6 * sd[j]
        assert list(monitor.check(loud)) == [name], name
    assert len(notifier.messages) == len(service.FEATURES)
    both = reference.copy()
    age, children = service.FEATURES.index("age"), service.FEATURES.index("children")
    both[:, age] += 2 * sd[age]
    both[:, children] += 2 * sd[children]
    assert sorted(monitor.check(both)) == ["age", "children"]
    assert len(notifier.messages) == len(service.FEATURES) + 1
    assert "age" in notifier.messages[-1] and "children" in notifier.messages[-1]
    # a stricter monitor pages on a smaller drift
    strict = FakeNotifier()
    assert list(service.DriftMonitor(reference, strict, threshold=0.3).check(quiet)) == [service.FEATURES[-1]]
    assert len(strict.messages) == 1


@pytest.mark.mlts("monitoring:data_invariants")
def test_skew_scores_of_known_batches():
    """skew_scores is |mean(batch) - mean(reference)| / std(reference), per feature; a constant feature divides by 1."""
    reference = np.array([[0.0, 5.0, 1.0], [2.0, 5.0, 3.0], [4.0, 5.0, 5.0], [6.0, 5.0, 7.0]])
    batch = np.array([[10.0, 7.0, 0.0], [12.0, 8.0, 0.0]])
    sd = np.sqrt(5.0)  # population sd of 0, 2, 4, 6
    expected = [abs(11.0 - 3.0) / sd, abs(7.5 - 5.0) / 1.0, abs(0.0 - 4.0) / sd]
    np.testing.assert_allclose(service.skew_scores(reference, batch), expected, rtol=1e-12)
    np.testing.assert_allclose(service.skew_scores(reference, reference), 0.0, atol=1e-12)


@pytest.mark.mlts("monitoring:data_invariants")
def test_invalid_values_raise_an_alert(trained):
    """A batch with a missing value in one column raises an alert naming that column."""
    _, data = trained
    X, train, test = data["X"], data["train"], data["test"]
    for j, name in enumerate(service.FEATURES):
        for bad in (np.nan, np.inf, -np.inf):
            notifier = FakeNotifier()
            monitor = service.DriftMonitor(X[train], notifier)
            batch = X[test].copy()
            batch[7, j] = bad
            assert list(monitor.check(batch)) == [name], (name, bad)
            assert len(notifier.messages) == 1, (name, bad)
            assert name in notifier.messages[0]


@pytest.mark.mlts("monitoring:numerical_stability")
def test_extreme_inputs_give_finite_probabilities(trained):
    """Absurd inputs (x1000, negative) still give finite probabilities in [0, 1], never NaN."""
    model, data = trained
    X = data["X"][data["test"]][:200]
    for extreme in (X * 1000, -X, -X * 1000, X * 1e6, -X * 1e6, np.full((3, 9), 1e300), np.full((3, 9), -1e300)):
        with np.errstate(all="ignore"):
            proba = model.predict_proba(extreme)
        assert proba.shape == (len(extreme), 2)
        assert np.isfinite(proba).all()
        assert proba.min() >= 0.0 and proba.max() <= 1.0
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    with np.errstate(all="ignore"):
        z = model.decision_function(X * 1e6)
        p = model.predict_proba(X * 1e6)[:, 1]
    # saturated scores go to the right end
    assert np.all(p[z > 50] > 0.999) and np.all(p[z < -50] < 0.001)
    assert (z > 50).any() and (z < -50).any()


def _best_time(f, repeat):
    best = []
    for _ in range(repeat):
        start = time.perf_counter()
        f()
        best.append(time.perf_counter() - start)
    return min(best)


@pytest.mark.mlts("monitoring:computing_performance")
def test_prediction_cost_is_vectorised(trained):
    """Scoring 100x more rows costs far less than 100x the time: no per-row Python path in predict_proba."""
    model, data = trained
    X = data["X"]
    small, large = X[:40], X[:4000]
    model.predict_proba(small), model.predict_proba(large)  # warm up
    t_small, t_large = [], []
    for _ in range(7):  # interleaved, so a busy machine slows both alike
        t_small.append(_best_time(lambda: model.predict_proba(small), 5))
        t_large.append(_best_time(lambda: model.predict_proba(large), 3))
    ratio = min(t_large) / min(t_small)
    assert ratio < 30, ratio
