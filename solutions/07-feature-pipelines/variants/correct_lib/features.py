"""Lab 07 part A: tabular feature pipelines without leakage.

Every transformer follows scikit-learn's contract: __init__ only stores its parameters; fit learns
attributes ending in "_" from the rows it is given and returns self; transform uses those attributes
only, never statistics of the rows it transforms. That one rule gives you two properties for free:
a row transformed alone equals the same row transformed in a batch (train/serve parity), and nothing
you do to the test rows after fit can change what the training rows taught the transformer (no leakage).

Inputs are 2-D: (N, d) arrays or DataFrames. Numeric transformers work in float64, ignore NaN when
they fit and let NaN pass through transform (as scikit-learn's scalers do).
"""
from __future__ import annotations

import warnings

import torch

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.validation import check_array, check_is_fitted, validate_data


class _NumericTransformer(TransformerMixin, BaseEstimator):
    """Shared input handling: float64, NaN allowed (ignored in fit, kept in transform), inf rejected."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def _check(self, X, reset: bool) -> np.ndarray:
        if not reset:
            check_is_fitted(self)
        return validate_data(self, X, dtype=np.float64, ensure_all_finite="allow-nan", reset=reset)


class ZScore(_NumericTransformer):
    """Standardize each column: z = (x - mean_) / scale_, learned on the training rows.

    fit:  mean_ = nanmean(X, axis=0); scale_ = nanstd(X, axis=0) (ddof=0, as StandardScaler).
          A constant column has std 0 (or ~1e-17 from rounding): give it scale_ = 1 so that it maps
          to 0 instead of nan/inf. StandardScaler's rule, used here too: the column is constant when
          var <= n * eps * var + (n * |mean| * eps)**2, with n its number of non-NaN values, eps the
          float64 machine epsilon.
    transform: (X - mean_) / scale_ ; NaN stays NaN.   inverse_transform: Z * scale_ + mean_.
    Shapes: X (N, d) -> (N, d) float64.  Attributes: mean_ (d,), scale_ (d,), n_features_in_.
    """

    def fit(self, X, y=None) -> "ZScore":
        X = self._check(X, reset=True)
        frame = pd.DataFrame(X)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(X, axis=0)
            var = np.nanvar(X, axis=0)
        n = frame.count().to_numpy().astype(np.float64)
        eps = np.finfo(np.float64).eps
        is_constant = var <= n * eps * var + (n * np.abs(mean) * eps) ** 2
        self.mean_ = mean
        self.scale_ = np.where(is_constant, 1.0, np.sqrt(var))
        return self

    def transform(self, X) -> np.ndarray:
        X = self._check(X, reset=False)
        return np.subtract(X, self.mean_) / self.scale_

    def inverse_transform(self, Z) -> np.ndarray:
        check_is_fitted(self)
        Z = check_array(Z, dtype=np.float64, ensure_all_finite="allow-nan")
        return np.add(np.multiply(Z, self.scale_), self.mean_)


class LogClip(_NumericTransformer):
    """Clip each column to its training quantiles, then apply a signed log: z = sign(c) * log1p(|c|).

    For heavy-tailed, non-negative counts (population, income, areas) log1p compresses the tail; the
    signed version also accepts negative values. Clipping at quantiles learned in fit keeps a single
    absurd value at serving time from producing an absurd feature.

    fit:  lower_, upper_ = np.nanquantile(X, [lower, upper], axis=0)   (numpy's default 'linear' method)
    transform: c = clip(X, lower_, upper_); return sign(c) * log1p(|c|) ; NaN stays NaN.
    inverse_transform: sign(z) * expm1(|z|)  (gives back the clipped values, not the raw ones).
    Args: lower, upper: quantile levels in [0, 1], lower <= upper.
    """

    def __init__(self, lower: float = 0.01, upper: float = 0.99):
        self.lower = lower
        self.upper = upper

    def fit(self, X, y=None) -> "LogClip":
        if not (0.0 <= self.lower <= self.upper <= 1.0):
            raise ValueError(f"need 0 <= lower <= upper <= 1, got {self.lower}, {self.upper}")
        X = self._check(X, reset=True)
        q = pd.DataFrame(X).quantile([self.lower, self.upper], interpolation="linear").to_numpy(dtype=np.float64)
        self.lower_ = q[0].copy()
        self.upper_ = q[1].copy()
        return self

    def transform(self, X) -> np.ndarray:
        X = self._check(X, reset=False)
        c = np.minimum(np.maximum(X, self.lower_), self.upper_)
        return np.sign(c) * np.log1p(np.abs(c))

    def inverse_transform(self, Z) -> np.ndarray:
        check_is_fitted(self)
        Z = check_array(Z, dtype=np.float64, ensure_all_finite="allow-nan")
        return np.sign(Z) * np.expm1(np.abs(Z))


class QuantileBinner(_NumericTransformer):
    """Cut each column into n_bins bins holding about the same number of training rows.

    fit:  edges = np.nanpercentile(column, np.linspace(0, 100, n_bins + 1)) per column (what
          KBinsDiscretizer(strategy="quantile", quantile_method="linear") computes; use percentiles on
          0..100, not quantiles on 0..1: with tied values the two can differ in the last bit, and a
          value sitting exactly on an edge then changes bin). Repeated edges (ties in the data) are
          dropped: keep an edge only when it exceeds the previous one by more than 1e-8.
    transform: bin = np.searchsorted(edges[1:-1], x, side="right"), so values below the training
          range go to bin 0 and above it to the last bin; NaN stays NaN (missing is not a bin).
    Output: (N, d) float64 bin indices.  Attributes: bin_edges_ (list of d arrays), n_bins_ (d,) ints.
    """

    def __init__(self, n_bins: int = 5):
        self.n_bins = n_bins

    def fit(self, X, y=None) -> "QuantileBinner":
        X = self._check(X, reset=True)
        percentiles = np.linspace(0, 100, self.n_bins + 1)
        self.bin_edges_ = []
        for column in X.T:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                edges = np.nanpercentile(column, percentiles)
            gaps = np.diff(edges, prepend=-np.inf)
            self.bin_edges_.append(edges[gaps > 1e-8])
        self.n_bins_ = np.array([e.size - 1 for e in self.bin_edges_], dtype=np.int64)
        return self

    def transform(self, X) -> np.ndarray:
        X = self._check(X, reset=False)
        cols = [np.digitize(X[:, j], e[1:-1], right=False).astype(np.float64) for j, e in enumerate(self.bin_edges_)]
        out = np.column_stack(cols) if cols else np.zeros((X.shape[0], 0))
        return np.where(np.isnan(X), np.nan, out)


def _categorical(X) -> np.ndarray:
    """A 2-D object array of the values (numbers or strings), missing values as np.nan."""
    X = np.asarray(X, dtype=object)
    if X.ndim != 2:
        raise ValueError(f"expected a 2-D input, got shape {X.shape}")
    X = X.copy()
    X[pd.isna(X)] = np.nan
    return X


def _categories(column: np.ndarray) -> list:
    """Sorted distinct non-missing values of a column, then nan when the column has missing values."""
    missing = pd.isna(column)
    cats = sorted(set(column[~missing].tolist()))
    return cats + [np.nan] if missing.any() else cats


def _codes(column: np.ndarray, cats: list) -> np.ndarray:
    """Index of each value in cats; -1 for a value never seen in fit (nan matches a nan category)."""
    lookup = {c: i for i, c in enumerate(cats) if not (isinstance(c, float) and np.isnan(c))}
    nan_code = len(cats) - 1 if cats and isinstance(cats[-1], float) and np.isnan(cats[-1]) else -1
    return np.array([nan_code if pd.isna(v) else lookup.get(v, -1) for v in column], dtype=np.int64)


class OneHot(TransformerMixin, BaseEstimator):
    """One-hot encoding of categorical columns (numbers or strings), like OneHotEncoder(sparse_output=False).

    fit:  categories_[j] = the sorted distinct values of column j, with nan last when the column has
          missing values (missing is a category of its own, as in scikit-learn).
    transform: one 0/1 column per category, columns ordered by input column then category;
          a value not seen in fit gives all zeros for that column when handle_unknown="ignore", and
          raises ValueError when handle_unknown="error". Serving data always brings new categories:
          "ignore" is the default on purpose.
    Output: (N, sum of len(categories_)) float64.
    """

    def __init__(self, handle_unknown: str = "ignore"):
        self.handle_unknown = handle_unknown

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        return tags

    def fit(self, X, y=None) -> "OneHot":
        if self.handle_unknown not in ("ignore", "error"):
            raise ValueError(f"handle_unknown must be 'ignore' or 'error', got {self.handle_unknown!r}")
        X = _categorical(validate_data(self, X, dtype=None, ensure_all_finite=False, reset=True))
        self.categories_ = [_categories(col) for col in X.T]
        return self

    def transform(self, X) -> np.ndarray:
        check_is_fitted(self)
        X = _categorical(validate_data(self, X, dtype=None, ensure_all_finite=False, reset=False))
        pieces = []
        for j, cats in enumerate(self.categories_):
            codes = _codes(X[:, j], list(cats))
            if self.handle_unknown == "error" and np.any(codes == -1):
                raise ValueError(f"column {j} holds categories not seen in fit")
            eye = np.eye(len(cats) + 1, dtype=np.float64)  # row -1 (unknown) is the extra all-zero-after-slicing row
            pieces.append(eye[codes][:, : len(cats)])
        return np.concatenate(pieces, axis=1) if pieces else np.zeros((X.shape[0], 0), dtype=np.float64)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names like 'occupation_3.0', for DataFrame output and debugging."""
        check_is_fitted(self)
        names = getattr(self, "feature_names_in_", [f"x{j}" for j in range(len(self.categories_))])
        names = input_features if input_features is not None else names
        return np.array([f"{n}_{c}" for n, cats in zip(names, self.categories_) for c in cats], dtype=object)


class TargetEncoder(TransformerMixin, BaseEstimator):
    """Replace each category by a smoothed mean of the target in that category (binary or numeric y).

    encoding(c) = (sum of y over rows of category c + smoothing * prior) / (count(c) + smoothing),
    prior = mean(y) over the rows used to fit. A category not seen in fit (and a rare one, mostly)
    gets the prior. Missing values form one category, as in OneHot.

    fit(X, y): learns prior_, categories_ (list of d arrays) and encodings_ (list of d float arrays)
          from all rows; transform(X) then looks them up. Use this for validation and serving rows.
    fit_transform(X, y): OUT-OF-FOLD. Split the rows with
          KFold(n_splits=n_folds, shuffle=True, random_state=random_state); encode each held-out fold
          with encodings (and prior) learned on the other folds only; then fit on all rows as fit does,
          so that transform works afterwards. A row's own label never enters its own encoding: without
          this, a category seen once is encoded by its own label, and a model downstream learns to trust
          the encoding far more than it deserves. Note fit_transform(X, y) != fit(X, y).transform(X).
    Output: (N, d) float64.   Args: smoothing > 0, n_folds >= 2, random_state: int.
    """

    def __init__(self, smoothing: float = 10.0, n_folds: int = 5, random_state: int = 0):
        self.smoothing = smoothing
        self.n_folds = n_folds
        self.random_state = random_state

    def _learn(self, X: np.ndarray, y: np.ndarray):
        """(prior, categories, encodings) learned from the rows X, y."""
        prior = float(y.mean())
        categories, encodings = [], []
        for col in X.T:
            cats = _categories(col)
            codes = _codes(col, cats)
            sums = np.zeros(len(cats), dtype=np.float64)
            counts = np.zeros(len(cats), dtype=np.float64)
            np.add.at(sums, codes, y)
            np.add.at(counts, codes, 1.0)
            categories.append(np.asarray(cats, dtype=object))
            encodings.append((sums + self.smoothing * prior) / (counts + self.smoothing))
        return prior, categories, encodings

    @staticmethod
    def _apply(X: np.ndarray, prior: float, categories: list, encodings: list) -> np.ndarray:
        """Encode the rows X with learned encodings; unseen categories get the prior."""
        columns = []
        for col, cats, enc in zip(X.T, categories, encodings):
            codes = _codes(col, list(cats))
            columns.append(np.where(codes >= 0, np.asarray(enc, dtype=np.float64)[np.maximum(codes, 0)], prior))
        if not columns:
            return np.zeros((X.shape[0], 0), dtype=np.float64)
        return np.column_stack(columns).astype(np.float64)

    def _inputs(self, X, y, reset: bool):
        X = validate_data(self, X, dtype=None, ensure_all_finite=False, reset=reset)
        X = _categorical(X)
        if y is None:
            return X, None
        y = np.asarray(y, dtype=np.float64).ravel()
        if len(y) != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} rows but y has {len(y)}")
        if not self.smoothing > 0:
            raise ValueError(f"smoothing must be > 0, got {self.smoothing}")
        return X, y

    def fit(self, X, y) -> "TargetEncoder":
        X, y = self._inputs(X, y, reset=True)
        learned = self._learn(X, y)
        self.prior_, self.categories_, self.encodings_ = learned
        return self

    def transform(self, X) -> np.ndarray:
        check_is_fitted(self)
        X = self._inputs(X, None, reset=False)[0]
        return self._apply(X, self.prior_, self.categories_, self.encodings_)

    def fit_transform(self, X, y) -> np.ndarray:
        X, y = self._inputs(X, y, reset=True)
        out = np.full(X.shape, np.nan, dtype=np.float64)
        cv = KFold(n_splits=self.n_folds, shuffle=True, random_state=self.random_state)
        for fit_rows, held_out in cv.split(np.zeros((len(y), 1))):
            out[held_out] = self._apply(X[held_out], *self._learn(X[fit_rows], y[fit_rows]))
        self.prior_, self.categories_, self.encodings_ = self._learn(X, y)
        return out


def mutual_information_ranking(X, y, n_bins: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Rank the columns of X by their mutual information with the discrete label y.

    Each column is treated as discrete: a column with more than n_bins distinct values is first cut
    with QuantileBinner(n_bins) fitted on that column; otherwise its values are used as they are.
    X holds numbers without NaN. The plug-in estimate, in nats, from the joint frequencies p(a, b):

        MI(x; y) = sum over (a, b) of p(a, b) * log( p(a, b) / (p(a) * p(b)) )      (terms with p(a, b) = 0 add 0)

    which is what sklearn.metrics.mutual_info_score computes for two label vectors.
    Returns (order, scores): scores (d,) float64 in column order; order (d,) int64, the column indices
    from the highest score to the lowest, ties in the original column order (a stable sort of -scores).
    """
    from sklearn.metrics import mutual_info_score

    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"expected a 2-D X, got shape {X.shape}")
    labels = np.asarray(y).ravel()
    scores = []
    for column in X.T:
        if np.unique(column).size > n_bins:
            column = QuantileBinner(n_bins=n_bins).fit_transform(column[:, None])[:, 0]
        scores.append(mutual_info_score(column, labels))
    scores = np.asarray(scores, dtype=np.float64)
    order = np.lexsort((np.arange(scores.size), -scores)).astype(np.int64)
    return order, scores


def pca_fit_transform(X, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Principal component analysis through the SVD of the centered data.

        Xc = X - mean(X, axis=0);   Xc = U S Vt   (np.linalg.svd(Xc, full_matrices=False))
        components = Vt[:k]  (k, d), unit rows;   Z = Xc @ components.T  (N, k)
        explained_variance_ratio = S[:k]**2 / sum(S**2)  (k,)

    Forgetting to center gives a first "component" that points at the mean, not along the spread.
    A component's sign is arbitrary (v and -v explain the same variance); make it deterministic as
    scikit-learn does: flip each row of Vt (and the matching Z column) so that its entry of largest
    absolute value is positive.
    Returns (Z, components, explained_variance_ratio), all float64.
    """
    X64 = np.asarray(X, dtype=np.float64)
    if X64.ndim != 2:
        raise ValueError(f"expected a 2-D X, got shape {X64.shape}")
    if not 1 <= k <= min(X64.shape):
        raise ValueError(f"k must be in [1, {min(X64.shape)}], got {k}")
    Xc = torch.from_numpy(X64 - X64.mean(axis=0))
    _, S, Vt = torch.linalg.svd(Xc, full_matrices=False)
    pivot = Vt.abs().argmax(dim=1)
    signs = torch.sign(Vt.gather(1, pivot[:, None]))
    signs[signs == 0] = 1.0
    Vt = Vt * signs
    components = Vt[:k].numpy().copy()
    Z = (Xc @ Vt[:k].T).numpy().copy()
    S = S.numpy()
    ratio = (S[:k] ** 2) / (S ** 2).sum()
    return Z, components, ratio


def train_test_transform(transformer, X_train, X_test) -> tuple[np.ndarray, np.ndarray]:
    """The fit/transform discipline in one function: fit a fresh copy of `transformer` on the
    training rows only, then transform both sets with it.

    clone(transformer) gives an unfitted copy (the argument stays untouched). Fitting on training and
    test rows together is the classic leak: the test rows' mean, quantiles or categories shape the
    features, so the test score is optimistic, and a test row's features change when other test
    rows change.
    Returns (transformed X_train, transformed X_test).
    """
    model = clone(transformer)
    model = model.fit(X_train)
    return model.transform(X_train), model.transform(X_test)


ANES_COLUMNS = ["popul", "TVnews", "selfLR", "ClinLR", "DoleLR", "PID", "age", "educ", "income"]


def load_anes(return_frame: bool = True):
    """The anes96 survey (944 voters), predictors and the label vote (1 = Dole, 0 = Clinton).

    The derived column logpopul is dropped: turning popul into something useful is your job.
    """
    from statsmodels.datasets import anes96

    data = anes96.load_pandas().data
    return data[ANES_COLUMNS].copy(), data["vote"].to_numpy().astype(np.int64)


def _proximity(X) -> np.ndarray:
    """How much closer a voter sits to Clinton than to Dole on the 7-point left-right scale."""
    X = np.asarray(X, dtype=np.float64)
    self_lr, clinton, dole = X[:, 0], X[:, 1], X[:, 2]
    return (np.abs(self_lr - clinton) - np.abs(self_lr - dole))[:, None]


def build_features(df: pd.DataFrame):
    """An UNFITTED transformer that turns an anes96 frame (the columns of load_anes) into numbers.

    It is scored by a fixed downstream model, KNeighborsClassifier(n_neighbors=15), which measures
    closeness in the space your features define: on the raw columns, popul (0 to 7,300) decides every
    distance on its own. Build it from your transformers (ZScore, LogClip, QuantileBinner, OneHot, ...),
    with sklearn.compose.ColumnTransformer selecting columns by name and FunctionTransformer for
    row-wise crosses; `df` (training rows) is given so that you can look at the columns. The grader fits
    it on training rows only, so it must not hold statistics computed outside fit.
    Output of its transform: a 2-D float array, one row per input row.
    """
    scaled = ["TVnews", "selfLR", "ClinLR", "DoleLR", "PID", "age", "educ", "income"]
    return ColumnTransformer(
        [
            ("log_popul", make_pipeline(LogClip(lower=0.0, upper=0.995), ZScore()), ["popul"]),
            ("z", ZScore(), scaled),
            ("closer_to_clinton", make_pipeline(FunctionTransformer(_proximity), ZScore()), ["selfLR", "ClinLR", "DoleLR"]),
        ],
        remainder="drop",
    )
