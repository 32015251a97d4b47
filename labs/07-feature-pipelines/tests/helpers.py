"""Helpers shared by lab 07's public tests and the hidden tests of grading (both `import helpers`).

Nothing here is an answer: float conversion, the settings and random matrices of the property tests, serving
rows one at a time, scikit-learn's estimator checks, the anes96 column names and the pydoc corpus.
"""
import warnings

import numpy as np
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.utils.estimator_checks import check_estimator

ANES_COLUMNS = ["popul", "TVnews", "selfLR", "ClinLR", "DoleLR", "PID", "age", "educ", "income"]


def as_float(a) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def property_settings(examples: int):
    """Generated examples only (no shrinking, no database): with the kit's derandomized profile every run draws
    the same examples, so a run is reproducible and a hidden test's values can be compared with the reference's."""
    return settings(max_examples=examples, phases=[Phase.generate], suppress_health_check=list(HealthCheck))


def matrices(rows: tuple[int, int], cols: tuple[int, int], bound: float):
    """float64 matrices of rows x cols (ranges) with finite entries in [-bound, bound], no subnormals."""
    return arrays(np.float64, st.tuples(st.integers(*rows), st.integers(*cols)),
                  elements=st.floats(-bound, bound, allow_nan=False, allow_infinity=False, allow_subnormal=False))


def one_row_at_a_time(fitted, X) -> np.ndarray:
    """Each row of X transformed on its own (a serving request), stacked: compare with the batch transform."""
    rows = [X.iloc[[i]] if hasattr(X, "iloc") else X[i:i + 1] for i in range(len(X))]
    return np.vstack([as_float(fitted.transform(r)) for r in rows])


def conformance(estimator):
    """Names of the scikit-learn estimator checks that fail (structured results, no exception)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(estimator, on_fail=None)
    return sorted({r["check_name"] for r in results if r["status"] == "failed"})


def pydoc_corpus() -> str:
    """The standard library's pydoc topics in a stable order (sorted keys), as the lab's pydoc_corpus() builds it."""
    from pydoc_data.topics import topics

    return "\n\n".join(topics[key] for key in sorted(topics))
