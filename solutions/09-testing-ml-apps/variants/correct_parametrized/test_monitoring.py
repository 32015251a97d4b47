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


@pytest.mark.mlts("monitoring:training_serving_skew")
def test_training_serving_skew(trained):
    """Rows served one at a time get the features and scores the training job computed for them."""
    model, d = trained
    table, X = d["table"], d["X"]
    train_scores = model.predict_proba(X)[:, 1]
    rows = np.concatenate([d["test"][:60], d["train"][:20]])
    for i in rows:
        request = {name: np.array([float(table[name][i])]) for name in service.RAW_COLUMNS}
        x = service.features(request)
        np.testing.assert_allclose(x, X[i:i + 1], rtol=1e-12, atol=0)
        assert model.predict_proba(x)[0, 1] == pytest.approx(train_scores[i], rel=1e-10, abs=1e-13)
        assert model.predict(x)[0] == int(train_scores[i] >= model.threshold)


@pytest.mark.mlts("monitoring:data_invariants")
def test_drift_alert_names_the_shifted_feature(trained):
    """A held-out batch raises no alert; the same batch with educ shifted by 3 years raises one naming educ."""
    _, d = trained
    reference, batch = d["X"][d["train"]], d["X"][d["test"]]
    pager = FakeNotifier()
    monitor = service.DriftMonitor(reference, pager)
    assert len(monitor.check(batch)) == 0 and pager.messages == []
    j = list(service.FEATURES).index("educ")
    moved = batch.copy()
    moved[:, j] = moved[:, j] + 3
    assert list(monitor.check(moved)) == ["educ"]
    assert len(pager.messages) == 1 and "educ" in pager.messages[0]
    # lowering educ by three years drifts just as much
    moved[:, j] = batch[:, j] - 3
    assert list(monitor.check(moved)) == ["educ"]
    assert len(pager.messages) == 2


@pytest.mark.mlts("monitoring:data_invariants")
@pytest.mark.parametrize("feature", ["rate_marriage", "age", "yrs_married", "children", "religious", "educ",
                                     "occupation", "occupation_husb", "married_share"])
def test_drift_of_each_feature_against_the_threshold(trained, feature):
    """Shifting one feature by 0.45 reference sds stays quiet; by 0.55 sds it alerts once, naming only it."""
    _, d = trained
    reference = d["X"][d["train"]]
    j = list(service.FEATURES).index(feature)
    sd = reference[:, j].std()
    pager = FakeNotifier()
    monitor = service.DriftMonitor(reference, pager, threshold=0.5)
    batch = reference.copy()
    batch[:, j] += 0.45 * sd
    assert list(monitor.check(batch)) == []
    batch[:, j] = reference[:, j] - 0.55 * sd
    assert list(monitor.check(batch)) == [feature]
    assert len(pager.messages) == 1 and feature in pager.messages[0]
    # a looser monitor ignores the same drift
    quiet = FakeNotifier()
    assert list(service.DriftMonitor(reference, quiet, threshold=1.0).check(batch)) == [] and quiet.messages == []


@pytest.mark.mlts("monitoring:data_invariants")
def test_skew_scores_by_hand():
    """skew_scores divides the shift of the mean by the reference's population sd (1 where that sd is 0)."""
    ref = np.array([[1.0, 2.0], [3.0, 2.0], [5.0, 2.0]])
    sd = np.std([1.0, 3.0, 5.0])
    assert service.skew_scores(ref, np.array([[0.0, 2.5], [2.0, 2.5]])) == pytest.approx([2 / sd, 0.5])
    assert service.skew_scores(ref, np.array([[9.0, 0.0]])) == pytest.approx([6 / sd, 2.0])
    # batch spread plays no part
    assert service.skew_scores(ref, np.array([[-7.0, 2.0], [13.0, 2.0]])) == pytest.approx([0.0, 0.0])


@pytest.mark.mlts("monitoring:data_invariants")
@pytest.mark.parametrize("column", range(9))
def test_invalid_values_raise_an_alert(trained, column):
    """A batch with a missing value in one column raises an alert naming that column."""
    _, d = trained
    name = service.FEATURES[column]
    pager = FakeNotifier()
    monitor = service.DriftMonitor(d["X"][d["train"]], pager)
    batch = d["X"][d["test"]][:300].copy()
    batch[123, column] = np.nan
    assert list(monitor.check(batch)) == [name]
    batch[123, column] = np.inf
    assert list(monitor.check(batch)) == [name]
    assert len(pager.messages) == 2
    assert all(name in msg for msg in pager.messages)


@pytest.mark.mlts("monitoring:data_invariants")
def test_one_alert_per_bad_batch(trained):
    """Several bad features in one batch (two missing, one drifted) give a single notification naming all three."""
    _, d = trained
    pager = FakeNotifier()
    monitor = service.DriftMonitor(d["X"][d["train"]], pager)
    batch = d["X"][d["test"]].copy()
    batch[0, 0] = np.nan
    batch[9, 4] = -np.inf
    batch[:, 6] += 5.0
    assert sorted(monitor.check(batch)) == sorted(["rate_marriage", "religious", "occupation"])
    assert len(pager.messages) == 1
    assert all(name in pager.messages[0] for name in ("rate_marriage", "religious", "occupation"))


@pytest.mark.mlts("monitoring:numerical_stability")
def test_extreme_inputs_give_finite_probabilities(trained):
    """Absurd inputs (x1000, negative) still give finite probabilities in [0, 1], never NaN."""
    model, d = trained
    X = d["X"][:500]
    absurd = np.vstack([X * 1000, -X * 1000, -X, X * 1e8, -X * 1e8, np.full((2, 9), 1e200), np.full((2, 9), -1e200)])
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        P = model.predict_proba(absurd)
    assert not np.isnan(P).any()
    assert np.isfinite(P).all()
    assert P.min() >= 0 and P.max() <= 1
    assert np.abs(P.sum(axis=1) - 1).max() < 1e-12
    # both ends of the scale are reached: the inputs really were extreme
    assert P[:, 1].max() > 1 - 1e-9 and P[:, 1].min() < 1e-9


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
    model, d = trained
    few = d["X"][d["test"]][:40]
    many = np.tile(few, (100, 1))
    ratios = []
    for _ in range(5):
        t_few = _best_time(lambda: model.predict_proba(few), 10)
        t_many = _best_time(lambda: model.predict_proba(many), 3)
        ratios.append(t_many / t_few)
    assert min(ratios) < 25, ratios
