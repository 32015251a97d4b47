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


def _oracle_skew(reference, batch):
    out = []
    for j in range(reference.shape[1]):
        ref = [float(v) for v in reference[:, j]]
        mean = sum(ref) / len(ref)
        sd = (sum((v - mean) ** 2 for v in ref) / len(ref)) ** 0.5
        out.append(abs(sum(float(v) for v in batch[:, j]) / len(batch) - mean) / (sd if sd > 0 else 1.0))
    return np.array(out)


@pytest.mark.mlts("monitoring:training_serving_skew")
def test_training_serving_skew(trained):
    """Rows served one at a time get the features and scores the training job computed for them."""
    model, d = trained
    table = d["table"]
    test = d["test"]
    offline = model.predict_proba(d["X"][test])[:, 1]
    rng = np.random.default_rng(5)
    for k in rng.choice(len(test), 60, replace=False):
        i = test[k]
        request = {name: np.asarray(table[name][[i]], dtype=np.float64) for name in service.RAW_COLUMNS}
        online_x = service.features(request)
        assert np.allclose(online_x[0], d["X"][i], rtol=1e-12, atol=0)
        online = model.predict_proba(online_x)[0, 1]
        assert abs(online - offline[k]) <= 1e-10 * max(1.0, offline[k])
    # serving a mini-batch of youngest respondents (little spread) agrees too
    young = test[d["table"]["age"][test] == 17.5][:5]
    request = {name: table[name][young] for name in service.RAW_COLUMNS}
    np.testing.assert_allclose(service.features(request), d["X"][young], rtol=1e-12)
    np.testing.assert_allclose(model.predict_proba(service.features(request))[:, 1],
                               model.predict_proba(d["X"][young])[:, 1], rtol=1e-10)


@pytest.mark.mlts("monitoring:data_invariants")
def test_drift_alert_names_the_shifted_feature(trained):
    """A held-out batch raises no alert; the same batch with educ shifted by 3 years raises one naming educ."""
    _, d = trained
    ref, batch = d["X"][d["train"]], d["X"][d["test"]]
    notes = FakeNotifier()
    mon = service.DriftMonitor(ref, notes)
    assert not mon.check(batch)
    assert not notes.messages
    shifted = batch + np.where(np.array(service.FEATURES) == "educ", 3.0, 0.0)
    flagged = mon.check(shifted)
    assert list(flagged) == ["educ"]
    assert len(notes.messages) == 1 and "educ" in notes.messages[0]


@pytest.mark.mlts("monitoring:data_invariants")
def test_skew_scores_match_an_oracle(trained):
    """skew_scores equals |mean shift| / reference population sd per feature, on real and on constant columns."""
    _, d = trained
    ref, batch = d["X"][d["train"]][:400], d["X"][d["test"]][:50] * 1.1 + 0.2
    np.testing.assert_allclose(service.skew_scores(ref, batch), _oracle_skew(ref, batch), rtol=1e-9)
    const = np.column_stack([np.full(10, 3.0), np.arange(10.0)])
    b = np.array([[5.0, 1.0], [4.0, 2.0]])
    np.testing.assert_allclose(service.skew_scores(const, b), _oracle_skew(const, b), rtol=1e-12)


@pytest.mark.mlts("monitoring:data_invariants")
def test_monitor_flags_exactly_the_features_over_threshold(trained):
    """The monitor flags the features whose skew exceeds the threshold, in FEATURES order, with one message."""
    _, d = trained
    ref = d["X"][d["train"]]
    rng = np.random.default_rng(8)
    sd = ref.std(axis=0)
    for trial in range(6):
        shift = rng.choice([0.0, 0.2, 0.45, 0.55, 0.9, -0.7], size=9)
        batch = ref + shift * sd
        skew = np.abs(batch.mean(axis=0) - ref.mean(axis=0)) / np.sqrt(((ref - ref.mean(axis=0)) ** 2).mean(axis=0))
        expected = [n for n, s in zip(service.FEATURES, skew) if s > 0.5]
        notes = FakeNotifier()
        got = service.DriftMonitor(ref, notes).check(batch)
        assert sorted(got) == sorted(expected)
        assert len(notes.messages) == (1 if expected else 0)
        for name in expected:
            assert name in notes.messages[0]
    loud = FakeNotifier()
    assert sorted(service.DriftMonitor(ref, loud, threshold=0.1).check(ref + 0.2 * sd)) == sorted(service.FEATURES)
    assert len(loud.messages) == 1


@pytest.mark.mlts("monitoring:data_invariants")
def test_invalid_values_raise_an_alert(trained):
    """A batch with a missing value in one column raises an alert naming that column."""
    _, d = trained
    ref, batch = d["X"][d["train"]], d["X"][d["test"]]
    rng = np.random.default_rng(4)
    for j in range(9):
        for bad in (np.nan, np.inf, -np.inf):
            notes = FakeNotifier()
            b = batch.copy()
            b[rng.integers(len(b)), j] = bad
            assert list(service.DriftMonitor(ref, notes).check(b)) == [service.FEATURES[j]]
            assert len(notes.messages) == 1 and service.FEATURES[j] in notes.messages[0]
    # two broken columns: one message naming both
    notes = FakeNotifier()
    b = batch.copy()
    b[0, 1], b[1, 7] = np.nan, np.nan
    assert sorted(service.DriftMonitor(ref, notes).check(b)) == sorted([service.FEATURES[1], service.FEATURES[7]])
    assert len(notes.messages) == 1


@pytest.mark.mlts("monitoring:numerical_stability")
def test_extreme_inputs_give_finite_probabilities(trained):
    """Absurd inputs (x1000, negative) still give finite probabilities in [0, 1], never NaN."""
    model, d = trained
    X = d["X"][d["test"]][:300]
    for factor in (1e3, -1e3, -1.0, 1e9, -1e9):
        with np.errstate(all="ignore"):
            P = model.predict_proba(X * factor)
            z = model.decision_function(X * factor)
        assert np.isfinite(P).all(), factor
        assert ((P >= 0) & (P <= 1)).all(), factor
        np.testing.assert_allclose(P.sum(axis=1), 1.0, atol=1e-12)
        # saturation follows the sign of the score
        big = np.abs(z) > 40
        assert np.all((P[big, 1] > 0.5) == (z[big] > 0))
    with np.errstate(all="ignore"):
        P = model.predict_proba(np.vstack([np.full(9, 1e250), np.full(9, -1e250)]))
    assert np.isfinite(P).all()


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
    X = d["X"]
    small, big = X[100:140], X[100:4100]
    small_times, big_times = [], []
    for r in range(6):  # interleave, alternating which goes first
        pair = [(small_times, small, 8), (big_times, big, 2)]
        for times, rows, rep in (pair if r % 2 == 0 else pair[::-1]):
            times.append(_best_time(lambda: model.predict_proba(rows), rep))
    ratio = min(big_times) / min(small_times)
    assert ratio < 35, ratio
    # and the batch answer is the same as the sum of its parts
    np.testing.assert_allclose(model.predict_proba(big)[:40], model.predict_proba(small), rtol=1e-12)
