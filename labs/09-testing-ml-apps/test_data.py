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
    # YOUR CODE HERE
    raise NotImplementedError()


@pytest.mark.mlts("data:feature_code_tested")
def test_clean_keeps_valid_rows_and_drops_invalid(raw):
    """clean keeps every row of the raw survey (none is invalid), keeps rows on the bounds, drops planted bad rows."""
    # YOUR CODE HERE
    raise NotImplementedError()


@pytest.mark.mlts("data:meta_requirements")
def test_every_age_group_survives_cleaning(raw):
    """Each age group (a slice the business reports on) keeps all its rows after cleaning."""
    # YOUR CODE HERE
    raise NotImplementedError()


@pytest.mark.mlts("data:feature_code_tested")
def test_features_of_a_known_row():
    """features gives the eight answers then yrs_married / (age - 16), clipped to [0, 1], for hand-made rows."""
    # YOUR CODE HERE
    raise NotImplementedError()


@pytest.mark.mlts("data:meta_requirements")
def test_features_never_read_the_label(raw):
    """Leakage guard: shuffling or zeroing the `affairs` column leaves the feature matrix unchanged."""
    # YOUR CODE HERE
    raise NotImplementedError()


@pytest.mark.mlts("data:feature_code_tested")
def test_split_is_reproducible_and_representative(raw):
    """split partitions the rows, repeats for a seed, and both parts have about the same positive rate."""
    # YOUR CODE HERE
    raise NotImplementedError()
