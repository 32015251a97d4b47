"""Data tests for service.py (ML Test Score, section 'data').

Each test carries a marker naming the rubric item it automates: @pytest.mark.mlts("data:schema").
pytest warns that `mlts` is an unknown marker (there is no conftest to register it); that warning is harmless.
Run them with `pytest test_data.py` next to service.py. Graded by planting bugs in service.py: your tests must
pass on the correct service (twice) and fail on the buggy ones.
"""
import numpy as np
import pytest

import service

N_ROWS = 6366


@pytest.fixture(scope="module")
def raw():
    return service.load_fair()


def _copy(table):
    return {name: np.array(col, dtype=np.float64, copy=True) for name, col in table.items()}


def _rows(table, index):
    return {name: np.asarray(col)[index] for name, col in table.items()}


@pytest.mark.mlts("data:schema")
def test_raw_data_matches_schema(raw):
    """Every raw column is present, finite, inside its VALID_RANGES bounds; ages are exactly the AGE_GROUPS."""
    for name in service.RAW_COLUMNS:
        assert name in raw, name
        col = np.asarray(raw[name])
        assert col.dtype == np.float64, name
        assert col.shape == (N_ROWS,), name
        assert np.isfinite(col).all(), name
        low, high = service.VALID_RANGES[name]
        assert col.min() >= low and col.max() <= high, name
    assert np.array_equal(np.unique(raw["age"]), np.array(service.AGE_GROUPS, dtype=np.float64))
    assert set(service.VALID_RANGES) == set(service.RAW_COLUMNS)


@pytest.mark.mlts("data:feature_code_tested")
def test_clean_keeps_valid_rows_and_drops_invalid(raw):
    """clean keeps every row of the raw survey (none is invalid), keeps rows on the bounds, drops planted bad rows."""
    cleaned = service.clean(_copy(raw))
    for name in service.RAW_COLUMNS:
        assert np.array_equal(cleaned[name], raw[name]), name

    # rows exactly on the bounds (all low, all high, mixed) are valid
    lows = {name: service.VALID_RANGES[name][0] for name in service.RAW_COLUMNS}
    highs = {name: service.VALID_RANGES[name][1] for name in service.RAW_COLUMNS}
    bounds = {name: np.array([lows[name], highs[name], lows[name] if i % 2 else highs[name]], dtype=np.float64)
              for i, name in enumerate(service.RAW_COLUMNS)}
    kept = service.clean(_copy(bounds))
    for name in service.RAW_COLUMNS:
        assert np.array_equal(kept[name], bounds[name]), name

    # plant one bad value per row, in every column, of every kind
    base = _rows(raw, np.arange(200))
    table = _copy(base)
    bad_rows = []
    row = 0
    for name in service.RAW_COLUMNS:
        low, high = service.VALID_RANGES[name]
        for value in (low - 0.5, high + 0.5, low - 100.0, high + 100.0, np.nan, np.inf, -np.inf):
            table[name][row] = value
            bad_rows.append(row)
            row += 3  # leave valid rows in between
    good = np.setdiff1d(np.arange(200), bad_rows)
    out = service.clean(table)
    for name in service.RAW_COLUMNS:
        assert np.array_equal(out[name], base[name][good]), name


@pytest.mark.mlts("data:meta_requirements")
def test_every_age_group_survives_cleaning(raw):
    """Each age group (a slice the business reports on) keeps all its rows after cleaning."""
    cleaned = service.clean(_copy(raw))
    for age in service.AGE_GROUPS:
        before = int(np.sum(raw["age"] == age))
        after = int(np.sum(cleaned["age"] == age))
        assert before > 0, age
        assert after == before, age
    # the slices reported on cover every cleaned row exactly once, one age per slice
    masks = list(service.age_slices(cleaned).values())
    assert len(masks) == len(service.AGE_GROUPS)
    stacked = np.array([np.asarray(m, dtype=bool) for m in masks])
    assert np.array_equal(stacked.sum(axis=0), np.ones(len(cleaned["age"]), dtype=int))
    ages = sorted(float(np.unique(cleaned["age"][m])[0]) for m in stacked)
    assert all(len(np.unique(cleaned["age"][m])) == 1 for m in stacked)
    assert ages == [float(a) for a in service.AGE_GROUPS]


@pytest.mark.mlts("data:feature_code_tested")
def test_features_of_a_known_row():
    """features gives the eight answers then yrs_married / (age - 16), clipped to [0, 1], for hand-made rows."""
    table = {
        "rate_marriage": np.array([3.0, 5.0, 1.0, 4.0]),
        "age": np.array([27.0, 17.5, 42.0, 22.0]),
        "yrs_married": np.array([5.5, 2.5, 0.5, 6.0]),
        "children": np.array([2.0, 0.0, 5.5, 1.0]),
        "religious": np.array([3.0, 1.0, 4.0, 2.0]),
        "educ": np.array([14.0, 12.0, 20.0, 9.0]),
        "occupation": np.array([4.0, 2.0, 6.0, 1.0]),
        "occupation_husb": np.array([5.0, 3.0, 1.0, 6.0]),
        "affairs": np.array([0.0, 1.5, 0.0, 7.0]),
    }
    X = service.features(table)
    assert X.shape == (4, 9)
    assert X.dtype == np.float64
    expected_answers = np.column_stack([table[name] for name in service.FEATURES[:8]])
    np.testing.assert_array_equal(X[:, :8], expected_answers)
    np.testing.assert_allclose(X[:, 8], [5.5 / 11.0, 1.0, 0.5 / 26.0, 1.0], rtol=1e-12, atol=0)
    assert list(service.FEATURES[:8]) == ["rate_marriage", "age", "yrs_married", "children", "religious", "educ",
                                          "occupation", "occupation_husb"]


@pytest.mark.mlts("data:meta_requirements")
def test_features_never_read_the_label(raw):
    """Leakage guard: shuffling or zeroing the `affairs` column leaves the feature matrix unchanged."""
    X = service.features(_copy(raw))
    rng = np.random.default_rng(0)
    for affairs in (np.zeros(N_ROWS), rng.permutation(raw["affairs"]), np.full(N_ROWS, 60.0),
                    rng.uniform(0, 60, N_ROWS)):
        table = _copy(raw)
        table["affairs"] = affairs
        np.testing.assert_array_equal(service.features(table), X)


@pytest.mark.mlts("data:feature_code_tested")
def test_split_is_reproducible_and_representative(raw):
    """split partitions the rows, repeats for a seed, and both parts have about the same positive rate."""
    y = service.labels(service.clean(_copy(raw)))
    n = len(y)
    for seed in (0, 1, 2):
        train, test = service.split(n, seed=seed)
        assert np.array_equal(np.sort(np.concatenate([train, test])), np.arange(n))
        assert abs(len(test) - 0.25 * n) <= 1
        again_train, again_test = service.split(n, seed=seed)
        assert np.array_equal(again_train, train) and np.array_equal(again_test, test)
        assert abs(y[train].mean() - y[test].mean()) < 0.05
    # different seeds give different splits
    assert not np.array_equal(service.split(n, seed=0)[1], service.split(n, seed=1)[1])
    # a small split also partitions
    train, test = service.split(10, seed=3, test_size=0.5)
    assert np.array_equal(np.sort(np.concatenate([train, test])), np.arange(10)) and len(test) == 5


@pytest.mark.mlts("data:feature_code_tested")
def test_labels_flag_any_affair(raw):
    """labels is 1 exactly where `affairs` > 0, as integers; about a third of the survey."""
    table = {name: np.ones(4) for name in service.RAW_COLUMNS}
    table["affairs"] = np.array([0.0, 0.1, 5.0, 0.0])
    np.testing.assert_array_equal(service.labels(table), [0, 1, 1, 0])
    y = service.labels(raw)
    assert np.issubdtype(np.asarray(y).dtype, np.integer)
    np.testing.assert_array_equal(y, (raw["affairs"] > 0).astype(int))
    assert 0.3 < y.mean() < 0.35
