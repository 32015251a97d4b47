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

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.validation import check_is_fitted, validate_data


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
        eps = np.finfo(np.float64).eps
        d = X.shape[1]
        self.mean_ = np.empty(d, dtype=np.float64)
        self.scale_ = np.empty(d, dtype=np.float64)
        for j in range(d):
            vals = X[~np.isnan(X[:, j]), j]
            n = len(vals)
            if n == 0:
                self.mean_[j], self.scale_[j] = np.nan, np.nan
                continue
            m = float(np.mean(vals))
            var = np.sum((vals - m) ** 2) / n
            self.mean_[j] = m
            self.scale_[j] = 1.0 if var <= n * eps * var + (n * abs(m) * eps) ** 2 else np.sqrt(var)
        return self

    def transform(self, X) -> np.ndarray:
        X = self._check(X, reset=False)
        out = np.empty_like(X)
        for j in range(X.shape[1]):
            out[:, j] = (X[:, j] - self.mean_[j]) / self.scale_[j]
        return out

    def inverse_transform(self, Z) -> np.ndarray:
        check_is_fitted(self)
        Z = np.array(Z, dtype=np.float64, copy=True)
        if Z.ndim != 2 or Z.shape[1] != len(self.scale_):
            raise ValueError(f"expected a 2-D input with {len(self.scale_)} columns, got shape {Z.shape}")
        for j in range(Z.shape[1]):
            Z[:, j] = Z[:, j] * self.scale_[j] + self.mean_[j]
        return Z


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
        d = X.shape[1]
        self.lower_ = np.full(d, np.nan)
        self.upper_ = np.full(d, np.nan)
        for j in range(d):
            vals = X[~np.isnan(X[:, j]), j]
            if len(vals):
                self.lower_[j], self.upper_[j] = np.quantile(vals, [self.lower, self.upper])
        return self

    def transform(self, X) -> np.ndarray:
        X = self._check(X, reset=False)
        c = np.where(X < self.lower_, self.lower_, np.where(X > self.upper_, self.upper_, X))
        return np.copysign(np.log1p(np.abs(c)), c)

    def inverse_transform(self, Z) -> np.ndarray:
        check_is_fitted(self)
        Z = np.asarray(Z, dtype=np.float64)
        return np.copysign(np.expm1(np.abs(Z)), Z)


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
        levels = np.linspace(0, 100, self.n_bins + 1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            all_edges = np.nanpercentile(X, levels, axis=0)  # (n_bins + 1, d)
        self.bin_edges_ = []
        for j in range(X.shape[1]):
            e = all_edges[:, j]
            kept = [e[0]]
            for i in range(1, len(e)):
                if e[i] - e[i - 1] > 1e-8:
                    kept.append(e[i])
            self.bin_edges_.append(np.array(kept, dtype=np.float64))
        self.n_bins_ = np.array([len(e) - 1 for e in self.bin_edges_], dtype=np.int64)
        return self

    def transform(self, X) -> np.ndarray:
        X = self._check(X, reset=False)
        out = np.zeros_like(X)
        for j, e in enumerate(self.bin_edges_):
            inner = e[1:-1]
            out[:, j] = (X[:, j, None] >= inner[None, :]).sum(axis=1)
        out[np.isnan(X)] = np.nan
        return out


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
        X = validate_data(self, X, dtype=None, ensure_all_finite=False, reset=True)
        X = _categorical(X)
        self.categories_ = [np.array(_categories(X[:, j]), dtype=object) for j in range(X.shape[1])]
        return self

    def transform(self, X) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, dtype=None, ensure_all_finite=False, reset=False)
        X = _categorical(X)
        sizes = [len(c) for c in self.categories_]
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        out = np.zeros((X.shape[0], int(offsets[-1])), dtype=np.float64)
        for j, cats in enumerate(self.categories_):
            codes = _codes(X[:, j], list(cats))
            for i, code in enumerate(codes):
                if code < 0:
                    if self.handle_unknown == "error":
                        raise ValueError(f"unknown category {X[i, j]!r} in column {j}")
                    continue
                out[i, offsets[j] + code] = 1.0
        return out

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
        prior = float(np.sum(y) / len(y))
        categories, encodings = [], []
        for j in range(X.shape[1]):
            cats = _categories(X[:, j])
            codes = _codes(X[:, j], cats)
            sums = [0.0] * len(cats)
            counts = [0] * len(cats)
            for code, target in zip(codes, y):
                sums[code] += float(target)
                counts[code] += 1
            enc = np.array([(s + self.smoothing * prior) / (c + self.smoothing) for s, c in zip(sums, counts)],
                           dtype=np.float64)
            categories.append(np.array(cats, dtype=object))
            encodings.append(enc)
        return prior, categories, encodings

    @staticmethod
    def _apply(X: np.ndarray, prior: float, categories: list, encodings: list) -> np.ndarray:
        """Encode the rows X with learned encodings; unseen categories get the prior."""
        out = np.full(X.shape, prior, dtype=np.float64)
        for j in range(X.shape[1]):
            codes = _codes(X[:, j], list(categories[j]))
            known = codes >= 0
            out[known, j] = np.asarray(encodings[j], dtype=np.float64)[codes[known]]
        return out

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
        prior, categories, encodings = self._learn(X, y)
        self.prior_ = prior
        self.categories_ = categories
        self.encodings_ = encodings
        return self

    def transform(self, X) -> np.ndarray:
        check_is_fitted(self, "encodings_")
        X, _ = self._inputs(X, None, reset=False)
        return self._apply(X, self.prior_, self.categories_, self.encodings_)

    def fit_transform(self, X, y) -> np.ndarray:
        X, y = self._inputs(X, y, reset=True)
        splitter = KFold(n_splits=self.n_folds, shuffle=True, random_state=self.random_state)
        parts = []
        for train_idx, test_idx in splitter.split(X, y):
            learned = self._learn(X[train_idx], y[train_idx])
            parts.append((test_idx, self._apply(X[test_idx], *learned)))
        out = np.zeros(X.shape, dtype=np.float64)
        for test_idx, values in parts:
            out[test_idx] = values
        self.fit(X, y)
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
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"expected a 2-D X, got shape {X.shape}")
    _, y_codes = np.unique(np.asarray(y).ravel(), return_inverse=True)
    y_codes = y_codes.ravel()
    n = len(y_codes)
    scores = np.zeros(X.shape[1], dtype=np.float64)
    for j in range(X.shape[1]):
        col = X[:, j]
        if len(np.unique(col)) > n_bins:
            col = QuantileBinner(n_bins=n_bins).fit(col.reshape(-1, 1)).transform(col.reshape(-1, 1))[:, 0]
        _, x_codes = np.unique(col, return_inverse=True)
        x_codes = x_codes.ravel()
        joint, n_x, n_y = {}, {}, {}
        for a, b in zip(x_codes.tolist(), y_codes.tolist()):
            joint[(a, b)] = joint.get((a, b), 0) + 1
            n_x[a] = n_x.get(a, 0) + 1
            n_y[b] = n_y.get(b, 0) + 1
        mi = 0.0
        for (a, b), n_ab in joint.items():
            # p(a,b) log(p(a,b) / (p(a) p(b))) with counts: n_ab/n * log(n_ab * n / (n_a * n_b))
            mi += n_ab / n * np.log(n_ab * n / (n_x[a] * n_y[b]))
        scores[j] = max(mi, 0.0)
    order = np.array(sorted(range(X.shape[1]), key=lambda j: -scores[j]), dtype=np.int64)
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
    from scipy import linalg

    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"expected a 2-D X, got shape {X.shape}")
    if not 1 <= k <= min(X.shape):
        raise ValueError(f"k must be in [1, {min(X.shape)}], got {k}")
    Xc = X - X.mean(axis=0)
    U, S, Vt = linalg.svd(Xc, full_matrices=False)
    components = np.empty((k, X.shape[1]), dtype=np.float64)
    Z = np.empty((X.shape[0], k), dtype=np.float64)
    for i in range(k):
        v = Vt[i]
        sign = -1.0 if v[np.argmax(np.abs(v))] < 0 else 1.0
        components[i] = sign * v
        Z[:, i] = sign * U[:, i] * S[i]
    ratio = S[:k] ** 2 / np.sum(S ** 2)
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
    fresh = clone(transformer)
    fresh.fit(X_train)
    Xtr = fresh.transform(X_train)
    Xte = fresh.transform(X_test)
    return Xtr, Xte


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
    return ColumnTransformer([
        ("popul", make_pipeline(LogClip(0.01, 0.99), ZScore()), ["popul"]),
        ("proximity", make_pipeline(FunctionTransformer(_proximity), ZScore()), ["selfLR", "ClinLR", "DoleLR"]),
        ("scales", ZScore(), ["TVnews", "selfLR", "ClinLR", "DoleLR", "PID"]),
        ("demographics", make_pipeline(QuantileBinner(5), ZScore()), ["age", "educ", "income"]),
    ])
