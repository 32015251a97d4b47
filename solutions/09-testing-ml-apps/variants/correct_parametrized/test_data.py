"""Data tests for service.py (ML Test Score, section 'data').

Each test carries a marker naming the rubric item it automates: @pytest.mark.mlts("data:schema").
pytest warns that `mlts` is an unknown marker (there is no conftest to register it); that warning is harmless.
Run them with `pytest test_data.py` next to service.py. Graded by planting bugs in service.py: your tests must
pass on the correct service (twice) and fail on the buggy ones.
"""
import numpy as np
import pytest

import service

# the survey's codebook, written down independently of the service's constants
CODEBOOK = {"rate_marriage": (1, 5), "age": (17.5, 42), "yrs_married": (0.5, 23), "children": (0, 5.5),
            "religious": (1, 4), "educ": (9, 20), "occupation": (1, 6), "occupation_husb": (1, 6),
            "affairs": (0, 60)}
AGES = (17.5, 22.0, 27.0, 32.0, 37.0, 42.0)


@pytest.fixture(scope="module")
def raw():
    return service.load_fair()


def _fresh(raw):
    return {k: v.copy() for k, v in raw.items()}


def _append(table, rows):
    """table plus extra rows given as dicts (missing columns take a valid middle value)."""
    out = {}
    for name in service.RAW_COLUMNS:
        low, high = CODEBOOK[name]
        extra = [r.get(name, (low + high) / 2) for r in rows]
        out[name] = np.concatenate([table[name], np.array(extra, dtype=np.float64)])
    return out


@pytest.mark.mlts("data:schema")
def test_raw_data_matches_schema(raw):
    """Every raw column is present, finite, inside its VALID_RANGES bounds; ages are exactly the AGE_GROUPS."""
    assert set(raw) >= set(service.RAW_COLUMNS)
    lengths = {len(raw[name]) for name in service.RAW_COLUMNS}
    assert lengths == {6366}
    for name, (low, high) in CODEBOOK.items():
        col = raw[name]
        assert col.dtype == np.float64
        assert not np.isnan(col).any() and not np.isinf(col).any()
        assert np.all((col >= low) & (col <= high)), name
        assert tuple(service.VALID_RANGES[name]) == (low, high)
    assert set(np.unique(raw["age"]).tolist()) == set(AGES)
    assert tuple(service.AGE_GROUPS) == AGES


@pytest.mark.mlts("data:feature_code_tested")
def test_clean_keeps_valid_rows_and_drops_invalid(raw):
    """clean keeps every row of the raw survey (none is invalid), keeps rows on the bounds, drops planted bad rows."""
    n = len(raw["age"])
    on_bounds = [{name: CODEBOOK[name][0] for name in CODEBOOK}, {name: CODEBOOK[name][1] for name in CODEBOOK}]
    on_bounds += [{name: CODEBOOK[name][j % 2]} for j, name in enumerate(CODEBOOK)]
    on_bounds += [{name: CODEBOOK[name][(j + 1) % 2]} for j, name in enumerate(CODEBOOK)]
    bad = []
    for name, (low, high) in CODEBOOK.items():
        bad += [{name: low - 1e-6}, {name: high + 1e-6}, {name: low - 7.0}, {name: high * 3 + 1}, {name: np.nan},
                {name: np.inf}, {name: -np.inf}]
    table = _append(_fresh(raw), bad + on_bounds)
    out = service.clean(table)
    expected = _append(_fresh(raw), on_bounds)
    assert set(out) >= set(service.RAW_COLUMNS)
    for name in service.RAW_COLUMNS:
        assert len(out[name]) == n + len(on_bounds), name
        np.testing.assert_array_equal(out[name], expected[name])


@pytest.mark.mlts("data:feature_code_tested")
@pytest.mark.parametrize("column", list(CODEBOOK))
def test_clean_checks_each_column(raw, column):
    """A single out-of-range or missing value in any one column removes exactly that row."""
    low, high = CODEBOOK[column]
    for value in (low - 0.5, high + 0.5, np.nan):
        table = {k: v[:50].copy() for k, v in raw.items()}
        table[column][10] = value
        out = service.clean(table)
        keep = np.arange(50) != 10
        for name in service.RAW_COLUMNS:
            np.testing.assert_array_equal(out[name], raw[name][:50][keep])


@pytest.mark.mlts("data:meta_requirements")
def test_every_age_group_survives_cleaning(raw):
    """Each age group (a slice the business reports on) keeps all its rows after cleaning."""
    ages_before, counts_before = np.unique(raw["age"], return_counts=True)
    cleaned = service.clean(_fresh(raw))
    ages_after, counts_after = np.unique(cleaned["age"], return_counts=True)
    np.testing.assert_array_equal(ages_after, ages_before)
    np.testing.assert_array_equal(counts_after, counts_before)
    assert np.all(counts_after >= 100)


@pytest.mark.mlts("data:meta_requirements")
@pytest.mark.parametrize("age", AGES)
def test_age_slice_is_exactly_its_age_group(raw, age):
    """age_slices gives, for every age group, the mask of exactly the rows of that age; masks do not overlap."""
    cleaned = service.clean(_fresh(raw))
    slices = service.age_slices(cleaned)
    matching = [m for m in slices.values() if np.array_equal(np.asarray(m, dtype=bool), cleaned["age"] == age)]
    assert len(matching) == 1
    total = sum(np.asarray(m, dtype=int) for m in slices.values())
    assert np.all(total == 1)


@pytest.mark.mlts("data:feature_code_tested")
def test_features_of_a_known_row():
    """features gives the eight answers then yrs_married / (age - 16), clipped to [0, 1], for hand-made rows."""
    rows = [  # rate, age, yrs, children, religious, educ, occ, occ_h, affairs -> share
        ((2, 32, 8, 3, 4, 16, 5, 2, 0.0), 0.5),
        ((4, 22, 9, 1, 2, 12, 3, 4, 2.0), 1.0),   # married 9 of 6 adult years: clipped
        ((1, 37, 0.5, 0, 1, 20, 1, 6, 0.0), 0.5 / 21),
        ((5, 17.5, 0.5, 0, 3, 9, 2, 1, 60.0), 1 / 3),
    ]
    for values, share in rows:
        table = {name: np.array([v], dtype=np.float64) for name, v in zip(service.RAW_COLUMNS, values)}
        X = service.features(table)
        assert X.shape == (1, 9) and X.dtype == np.float64
        assert X[0, :8].tolist() == [float(v) for v in values[:8]]
        assert X[0, 8] == pytest.approx(share, rel=1e-12)


@pytest.mark.mlts("data:feature_code_tested")
def test_married_share_on_the_whole_survey(raw):
    """The last feature equals min(1, max(0, yrs_married / (age - 16))) row by row, and lies in [0, 1]."""
    X = service.features(_fresh(raw))
    expected = [min(1.0, max(0.0, y / (a - 16.0))) for y, a in zip(raw["yrs_married"], raw["age"])]
    np.testing.assert_allclose(X[:, -1], expected, rtol=1e-12)
    assert X[:, -1].min() >= 0 and X[:, -1].max() == 1.0
    for j, name in enumerate(service.FEATURES[:-1]):
        np.testing.assert_array_equal(X[:, j], raw[name])


@pytest.mark.mlts("data:meta_requirements")
def test_features_never_read_the_label(raw):
    """Leakage guard: shuffling or zeroing the `affairs` column leaves the feature matrix unchanged."""
    reference = service.features(_fresh(raw))
    rng = np.random.default_rng(123)
    variants = [np.zeros_like(raw["affairs"]), raw["affairs"][::-1].copy(), rng.permutation(raw["affairs"]),
                np.full_like(raw["affairs"], np.nan), raw["affairs"] * 10 + 1]
    for affairs in variants:
        table = _fresh(raw)
        table["affairs"] = affairs
        assert np.array_equal(service.features(table), reference)


@pytest.mark.mlts("data:feature_code_tested")
def test_split_is_reproducible_and_representative(raw):
    """split partitions the rows, repeats for a seed, and both parts have about the same positive rate."""
    y = service.labels(_fresh(raw))
    n = len(y)
    train, test = service.split(n, seed=0)
    assert len(np.intersect1d(train, test)) == 0
    assert len(train) + len(test) == n
    assert set(train.tolist()) | set(test.tolist()) == set(range(n))
    assert 0.24 * n < len(test) < 0.26 * n
    for _ in range(2):
        t2, s2 = service.split(n, seed=0)
        assert train.tolist() == t2.tolist() and test.tolist() == s2.tolist()
    assert y[train].mean() == pytest.approx(y[test].mean(), abs=0.04)
    assert y[test].mean() == pytest.approx(y.mean(), abs=0.04)
    others = [service.split(n, seed=s)[1] for s in (1, 2, 3)]
    assert all(not np.array_equal(o, test) for o in others)
    for m in (4, 9, 101):
        a, b = service.split(m, seed=5)
        assert sorted(a.tolist() + b.tolist()) == list(range(m))


@pytest.mark.mlts("data:feature_code_tested")
def test_labels_flag_any_affair(raw):
    """labels(table) is 1 exactly where affairs > 0 (even tiny), else 0."""
    y = service.labels(_fresh(raw))
    assert y.tolist() == [1 if a > 0 else 0 for a in raw["affairs"]]
    tiny = {name: np.array([1.0, 1.0, 1.0]) for name in service.RAW_COLUMNS}
    tiny["affairs"] = np.array([0.0, 0.05, 0.5])
    assert service.labels(tiny).tolist() == [0, 1, 1]
