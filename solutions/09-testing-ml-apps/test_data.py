"""Data tests for service.py (ML Test Score, section 'data').

Each test carries a marker naming the rubric item it automates: @pytest.mark.mlts("data:schema").
pytest warns that `mlts` is an unknown marker (there is no conftest to register it); that warning is harmless.
Run them with `pytest test_data.py` next to service.py. Graded by planting bugs in service.py: your tests must
pass on the correct service (twice) and fail on the buggy ones.
"""
import numpy as np
import pytest

import service


@pytest.fixture(scope="module")
def raw():
    return service.load_fair()


@pytest.mark.mlts("data:schema")
def test_raw_data_matches_schema(raw):
    """Every raw column is present, finite, inside its VALID_RANGES bounds; ages are exactly the AGE_GROUPS."""
    ### BEGIN SOLUTION
    assert set(raw) == set(service.RAW_COLUMNS)
    n = len(raw["age"])
    assert n > 6000  # the survey has 6,366 respondents
    for name, (low, high) in service.VALID_RANGES.items():
        col = raw[name]
        assert col.shape == (n,) and np.isfinite(col).all(), name
        assert low <= col.min() and col.max() <= high, name
    assert set(np.unique(raw["age"]).tolist()) == set(service.AGE_GROUPS)
    ### END SOLUTION


@pytest.mark.mlts("data:feature_code_tested")
def test_clean_keeps_valid_rows_and_drops_invalid(raw):
    """clean keeps every row of the raw survey (none is invalid), keeps rows on the bounds, drops planted bad rows."""
    ### BEGIN SOLUTION
    n = len(raw["age"])
    assert len(service.clean(raw)["age"]) == n
    planted = {name: col.copy() for name, col in raw.items()}
    bad = {"age": 15.0, "educ": np.nan, "rate_marriage": 6.0, "children": -1.0}
    for row, (name, value) in enumerate(bad.items()):
        planted[name][row] = value
    for name, (low, high) in service.VALID_RANGES.items():  # bounds are inclusive
        planted[name][10] = low
        planted[name][11] = high
    cleaned = service.clean(planted)
    assert len(cleaned["age"]) == n - len(bad)
    np.testing.assert_array_equal(cleaned["educ"], np.delete(planted["educ"], range(len(bad))))
    ### END SOLUTION


@pytest.mark.mlts("data:meta_requirements")
def test_every_age_group_survives_cleaning(raw):
    """Each age group (a slice the business reports on) keeps all its rows after cleaning."""
    ### BEGIN SOLUTION
    before = service.age_slices(raw)
    after = service.age_slices(service.clean(raw))
    assert set(after) == set(before) and len(before) == len(service.AGE_GROUPS)
    for name, mask in before.items():
        assert mask.sum() > 100 and after[name].sum() == mask.sum(), name
    ### END SOLUTION


@pytest.mark.mlts("data:feature_code_tested")
def test_features_of_a_known_row():
    """features gives the eight answers then yrs_married / (age - 16), clipped to [0, 1], for hand-made rows."""
    ### BEGIN SOLUTION
    table = {"rate_marriage": [4.0, 2.0], "age": [32.0, 17.5], "yrs_married": [8.0, 2.5], "children": [2.0, 0.0],
             "religious": [3.0, 1.0], "educ": [16.0, 12.0], "occupation": [4.0, 2.0], "occupation_husb": [5.0, 3.0],
             "affairs": [0.0, 1.5]}
    X = service.features({k: np.array(v) for k, v in table.items()})
    assert X.dtype == np.float64 and X.shape == (2, len(service.FEATURES))
    np.testing.assert_allclose(X[0], [4, 32, 8, 2, 3, 16, 4, 5, 0.5], rtol=1e-12)
    np.testing.assert_allclose(X[1], [2, 17.5, 2.5, 0, 1, 12, 2, 3, 1.0], rtol=1e-12)  # 2.5 / 1.5 clipped to 1
    ### END SOLUTION


@pytest.mark.mlts("data:meta_requirements")
def test_features_never_read_the_label(raw):
    """Leakage guard: shuffling or zeroing the `affairs` column leaves the feature matrix unchanged."""
    ### BEGIN SOLUTION
    X = service.features(raw)
    for affairs in (np.zeros_like(raw["affairs"]), np.random.default_rng(0).permutation(raw["affairs"])):
        np.testing.assert_array_equal(service.features({**raw, "affairs": affairs}), X)
    y = service.labels(raw)
    for j, name in enumerate(service.FEATURES):  # and no single feature nearly equals the label
        assert abs(np.corrcoef(X[:, j], y)[0, 1]) < 0.5, name
    ### END SOLUTION


@pytest.mark.mlts("data:feature_code_tested")
def test_split_is_reproducible_and_representative(raw):
    """split partitions the rows, repeats for a seed, and both parts have about the same positive rate."""
    ### BEGIN SOLUTION
    y = service.labels(raw)
    train, test = service.split(len(y), seed=0)
    again = service.split(len(y), seed=0)
    np.testing.assert_array_equal(train, again[0])
    np.testing.assert_array_equal(test, again[1])
    assert len(np.intersect1d(train, test)) == 0 and len(train) + len(test) == len(y)
    assert abs(len(test) / len(y) - 0.25) < 0.01
    # the CSV is sorted by label: a split without shuffling gives rates of ~0.43 and 0.0
    assert abs(y[train].mean() - y[test].mean()) < 0.05
    ### END SOLUTION
