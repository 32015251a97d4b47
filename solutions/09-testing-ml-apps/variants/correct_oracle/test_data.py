"""Data tests for service.py (ML Test Score, section 'data').

Each test carries a marker naming the rubric item it automates: @pytest.mark.mlts("data:schema").
pytest warns that `mlts` is an unknown marker (there is no conftest to register it); that warning is harmless.
Run them with `pytest test_data.py` next to service.py. Graded by planting bugs in service.py: your tests must
pass on the correct service (twice) and fail on the buggy ones.

Style of this suite: every function is compared with a slow, obviously-correct pure-Python oracle.
"""
import math

import numpy as np
import pytest

import service

RANGES = {"rate_marriage": (1, 5), "age": (17.5, 42), "yrs_married": (0.5, 23), "children": (0, 5.5),
          "religious": (1, 4), "educ": (9, 20), "occupation": (1, 6), "occupation_husb": (1, 6),
          "affairs": (0, 60)}
AGE_COUNTS = {17.5: 139, 22.0: 1800, 27.0: 1931, 32.0: 1069, 37.0: 634, 42.0: 793}  # the survey's age groups


@pytest.fixture(scope="module")
def raw():
    return service.load_fair()


def _oracle_keep(table):
    """Row-by-row: a row is valid when every value is a finite number within its inclusive bounds."""
    n = len(table["age"])
    keep = []
    for i in range(n):
        ok = True
        for name, (low, high) in RANGES.items():
            v = float(table[name][i])
            if not (math.isfinite(v) and low <= v <= high):
                ok = False
        keep.append(ok)
    return np.array(keep)


def _oracle_share(yrs, age):
    return min(1.0, max(0.0, yrs / (age - 16.0)))


@pytest.mark.mlts("data:schema")
def test_raw_data_matches_schema(raw):
    """Every raw column is present, finite, inside its VALID_RANGES bounds; ages are exactly the AGE_GROUPS."""
    assert all(name in raw for name in service.RAW_COLUMNS)
    assert len(service.RAW_COLUMNS) == 9 and service.RAW_COLUMNS[-1] == "affairs"
    for name in service.RAW_COLUMNS:
        assert isinstance(raw[name], np.ndarray) and raw[name].dtype == np.float64 and raw[name].ndim == 1
        assert len(raw[name]) == 6366
    assert _oracle_keep(raw).all()
    for name, (low, high) in service.VALID_RANGES.items():
        assert np.isfinite(raw[name]).all() and raw[name].min() >= low and raw[name].max() <= high
    ages, counts = np.unique(raw["age"], return_counts=True)
    assert dict(zip(ages.tolist(), counts.tolist())) == AGE_COUNTS
    assert sorted(AGE_COUNTS) == list(service.AGE_GROUPS)
    # columns are not mixed up: a few codebook facts
    assert raw["rate_marriage"].mean() > 3.5  # most marriages are rated good
    assert raw["educ"].min() == 9 and raw["age"].max() == 42


@pytest.mark.mlts("data:feature_code_tested")
def test_clean_keeps_valid_rows_and_drops_invalid(raw):
    """clean keeps every row of the raw survey (none is invalid), keeps rows on the bounds, drops planted bad rows."""
    full = service.clean({k: v.copy() for k, v in raw.items()})
    assert all(np.array_equal(full[k], raw[k]) for k in service.RAW_COLUMNS)

    rng = np.random.default_rng(2024)
    idx = rng.choice(len(raw["age"]), 400, replace=False)
    table = {k: raw[k][idx].copy() for k in service.RAW_COLUMNS}
    names = list(RANGES)
    for i in range(400):
        name = names[rng.integers(len(names))]
        low, high = RANGES[name]
        kind = rng.integers(8)
        table[name][i] = [low, high, low - 0.25, high + 0.25, np.nan, np.inf, -np.inf, table[name][i]][kind]
    keep = _oracle_keep(table)
    assert 100 < keep.sum() < 350  # both kinds of rows are present
    out = service.clean({k: v.copy() for k, v in table.items()})
    for k in service.RAW_COLUMNS:
        np.testing.assert_array_equal(out[k], table[k][keep])


@pytest.mark.mlts("data:meta_requirements")
def test_every_age_group_survives_cleaning(raw):
    """Each age group (a slice the business reports on) keeps all its rows after cleaning."""
    cleaned = service.clean({k: v.copy() for k, v in raw.items()})
    for age, count in AGE_COUNTS.items():
        assert int((cleaned["age"] == age).sum()) == count, age
    masks = service.age_slices(cleaned)
    sizes = sorted(int(np.sum(m)) for m in masks.values())
    assert sizes == sorted(AGE_COUNTS.values())
    for m in masks.values():
        m = np.asarray(m, dtype=bool)
        assert len(set(cleaned["age"][m].tolist())) == 1


@pytest.mark.mlts("data:feature_code_tested")
def test_features_of_a_known_row():
    """features gives the eight answers then yrs_married / (age - 16), clipped to [0, 1], for hand-made rows."""
    row = dict(rate_marriage=4.0, age=32.0, yrs_married=13.0, children=3.0, religious=2.0, educ=16.0,
               occupation=5.0, occupation_husb=3.0, affairs=0.4)
    table = {k: np.array([v, v]) for k, v in row.items()}
    table["yrs_married"] = np.array([13.0, 23.0])  # 13 / 16, then 23 / 16 clipped to 1
    X = service.features(table)
    np.testing.assert_allclose(X, [[4, 32, 13, 3, 2, 16, 5, 3, 13 / 16], [4, 32, 23, 3, 2, 16, 5, 3, 1.0]],
                               rtol=1e-13, atol=0)
    assert X.dtype == np.float64
    young = {k: np.array([v]) for k, v in row.items()}
    young["age"], young["yrs_married"] = np.array([17.5]), np.array([0.5])
    assert service.features(young)[0, 8] == pytest.approx(0.5 / 1.5, rel=1e-13)


@pytest.mark.mlts("data:feature_code_tested")
def test_features_match_the_oracle_on_the_survey(raw):
    """Row by row over the whole survey, the feature matrix equals the documented formula."""
    X = service.features({k: v.copy() for k, v in raw.items()})
    assert X.shape == (6366, 9)
    rows = range(0, 6366, 3)
    expected = [[raw[name][i] for name in service.FEATURES[:-1]] + [_oracle_share(raw["yrs_married"][i], raw["age"][i])]
                for i in rows]
    np.testing.assert_allclose(X[list(rows)], expected, rtol=1e-13, atol=0)


@pytest.mark.mlts("data:meta_requirements")
def test_features_never_read_the_label(raw):
    """Leakage guard: shuffling or zeroing the `affairs` column leaves the feature matrix unchanged."""
    base = service.features({k: v.copy() for k, v in raw.items()})
    for seed in range(3):
        table = {k: v.copy() for k, v in raw.items()}
        table["affairs"] = np.random.default_rng(seed).permutation(table["affairs"])
        assert np.array_equal(service.features(table), base)
    table = {k: v.copy() for k, v in raw.items()}
    table["affairs"][:] = 0.0
    assert np.array_equal(service.features(table), base)
    # no feature column is (a rescaling of) the label either
    y = service.labels(raw)
    for j in range(base.shape[1]):
        assert abs(np.corrcoef(base[:, j], y)[0, 1]) < 0.5


@pytest.mark.mlts("data:feature_code_tested")
def test_split_is_reproducible_and_representative(raw):
    """split partitions the rows, repeats for a seed, and both parts have about the same positive rate."""
    y = service.labels(raw)
    n = len(y)
    seen_tests = []
    for seed in (0, 1, 7, 42):
        train, test = service.split(n, seed)
        assert len(set(train.tolist()) & set(test.tolist())) == 0
        assert len(set(train.tolist()) | set(test.tolist())) == n == len(train) + len(test)
        assert min(train.min(), test.min()) == 0 and max(train.max(), test.max()) == n - 1
        assert len(test) in (n // 4, n // 4 + 1)
        t2, s2 = service.split(n, seed)
        assert np.array_equal(train, t2) and np.array_equal(test, s2)
        assert abs(y[train].mean() - y[test].mean()) < 0.05
        # shuffled: the test rows are spread over the whole file, not a block
        assert test.min() < n // 10 and test.max() > n - n // 10
        seen_tests.append(tuple(np.sort(test)[:20].tolist()))
    assert len(set(seen_tests)) == 4


@pytest.mark.mlts("data:feature_code_tested")
def test_labels_flag_any_affair(raw):
    """labels: 1 when affairs > 0, 0 when affairs == 0, integer dtype."""
    y = service.labels(raw)
    assert y.dtype.kind in "iu"
    assert [int(v) for v in y[:50]] == [int(a > 0) for a in raw["affairs"][:50]]
    assert int(y.sum()) == int(np.count_nonzero(raw["affairs"]))
    table = {name: np.full(3, 2.0) for name in service.RAW_COLUMNS}
    table["affairs"] = np.array([0.0, 0.01, 60.0])
    assert service.labels(table).tolist() == [0, 1, 1]
