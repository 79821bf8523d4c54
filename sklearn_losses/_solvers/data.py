"""The data a fit works on: X's column statistics (the implicit centring and its
offsets, the column scales every tolerance is measured in), the explicit shift of
far-offset columns, and the passes over X that gather them."""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.utils import assert_all_finite

from .._objective import normalised_weights

# A column whose weighted mean lies more than this many weighted standard deviations
# from 0 is centred explicitly (a shifted copy, see column_statistics): the implicit
# centring subtracts offset terms from sums over X, and loses about eps * ratio of X w
# and eps * ratio**2 of a Gram entry to cancellation (a timestamp column, 1.7e9 give or
# take 600, has a ratio of 1e7: every digit of its Gram entries). Below 16 the loss is
# at most 256 eps, and ordinary positive features (counts, measurements) stay uncopied.
OFFSET_RATIO = 16.0

# Gathers of dense columns larger than this go by row blocks of X this large (see
# gather_columns)
GATHER_BLOCK_BYTES = 1 << 20


@dataclass
class ColumnStatistics:
    """What the solvers read off X's columns before a fit (see :func:`column_statistics`).

    ``X`` is the data the solvers work on: the caller's X, or a copy whose far-offset
    columns were shifted by ``shift`` (0 on the others); ``offset`` is what is left of
    the weighted column means of that ``X``, centred implicitly. The model's intercept
    on the caller's X is ``b - w @ (shift + offset)``.
    """

    X: object
    shift: np.ndarray
    offset: np.ndarray
    col_scale: np.ndarray
    XtV: np.ndarray

    @property
    def total_offset(self):
        """The offsets of the caller's X: ``shift + offset``."""
        return self.shift + self.offset


def column_statistics(X, sample_weight, fit_intercept, V=None, block=65536, shift=True):
    """What the solvers read off X's columns before a fit, as :class:`ColumnStatistics`:
    the weighted column means (the offsets of the implicit centring, 0 without an
    intercept), the weighted standard deviation of each column around them (1 for a
    constant column: the solvers' diagonal preconditioner), and ``X.T @ V`` of shape
    ``(n_features, k)`` for an ``(n_samples, k)`` ``V`` (``k = 0`` by default).

    With an intercept (and ``shift``), columns whose mean dwarfs their spread
    (``OFFSET_RATIO``) are shifted by their mean in a copy of X (dense; sparse: those
    columns stored in full, as they nearly are already), and the statistics are taken
    again on the copy, so every solver sees columns it can centre without cancellation.

    A fit validates X without scikit-learn's finiteness check (a pass over X of its
    own): a NaN or an infinity in X makes these sums non-finite, and then
    :func:`check_finite` raises scikit-learn's error.
    """
    p = X.shape[1]
    w = normalised_weights(sample_weight)
    mean, mean_square, XtV = _column_moments(X, w, V, block)
    check_finite(X, mean, mean_square)
    shifts = np.zeros(p)
    if fit_intercept and shift:
        far = far_offset(mean, mean_square - mean**2)
        if far.any():
            shifts[far] = mean[far]
            X = shifted_columns(X, shifts)
            mean, mean_square, XtV = _column_moments(X, w, V, block)
    offset = mean if fit_intercept else np.zeros(p)
    scale = np.sqrt(np.maximum(mean_square - offset**2, 0.0))
    return ColumnStatistics(X, shifts, offset, column_scales(scale, offset), XtV)


def far_offset(mean, variance):
    """Which columns' means lie more than ``OFFSET_RATIO`` standard deviations from 0
    (a constant nonzero column among them)."""
    return (mean != 0) & (np.maximum(variance, 0.0) * OFFSET_RATIO**2 < mean**2)


def column_scales(scale, offset):
    """The solvers' column scales: the standard deviations ``scale``, and 1 for a column
    that is constant to rounding (its deviation from a mean ``offset`` is below that
    mean's ``OFFSET_RATIO``-th part even after :func:`shifted_columns`: only rounding
    is left of it), so that no unit is read off rounding noise. Relative only: a column
    in units of 1e-12 keeps its scale of 1e-12."""
    constant = (scale == 0) | (scale * OFFSET_RATIO < np.abs(offset))
    return np.where(constant, 1.0, scale)


def shifted_columns(X, shift):
    """A copy of ``X`` with ``shift`` subtracted from each column (``shift`` is 0 on most).
    Dense X keeps its memory order; a sparse X keeps its format, the shifted columns
    stored in full (their implicit zeros become ``-shift``)."""
    cols = np.flatnonzero(shift)
    if not hasattr(X, "multiply"):
        out = np.array(X, dtype=np.float64, order="K", copy=True)
        out[:, cols] -= shift[cols]
        return out
    n, p = X.shape
    stored = np.zeros(p, dtype=np.intp)
    stored[cols] = n
    indptr = np.concatenate([[0], np.cumsum(stored)])
    full = sp.csc_matrix((np.repeat(shift[cols], n), np.tile(np.arange(n), cols.size),
                          indptr), shape=X.shape)
    return (X - full).asformat(X.format)


def _column_moments(X, w, V, block):
    """``(X^T w, (X * X)^T w, X^T V)`` in one pass over dense X (row blocks of about
    ``block`` entries, which stay in cache), without a temporary copy of X, dense or
    sparse. Each block's squares are taken before its product (their ufunc streams the
    block in from memory faster than BLAS's packing does), and the products as
    ``A_B^T X_B`` with ``A = [w, V]`` (OpenBLAS's ``X_B^T A_B`` with few columns in A
    is slower)."""
    n, p = X.shape
    V = np.zeros((n, 0)) if V is None else V.reshape(n, -1)
    # a NaN or an infinity in X (0 * inf, inf - inf) makes them NaN without a warning:
    # check_finite then raises
    with np.errstate(invalid="ignore"):
        if hasattr(X, "multiply"):
            first, XtV = np.asarray(X.T @ w).ravel(), np.asarray(X.T @ V).reshape(p, -1)
            if X.has_canonical_format:
                # squared entries on X's own index arrays (X.multiply(X) builds a new
                # matrix, and its temporaries reach twice the size of X)
                squared = type(X)((X.data ** 2, X.indices, X.indptr), shape=X.shape,
                                  copy=False)
            else:  # duplicate entries: square their sums
                squared = X.multiply(X)
            second = np.asarray(squared.T @ w).ravel()
            return first, second, XtV
        A = np.empty((n, 1 + V.shape[1]))
        A[:, 0], A[:, 1:] = w, V
        sums, second = np.zeros((A.shape[1], p)), np.zeros(p)
        rows = -(-n // -(-n * p // max(block, 1)))  # equal blocks of at most ``block``
        squares = np.empty((min(rows, n), p))
        for start in range(0, n, rows):
            B, AB = X[start: start + rows], A[start: start + rows]
            B2 = np.multiply(B, B, out=squares[: len(B)])
            sums += AB.T @ B
            second += AB[:, 0] @ B2
    return sums[0], second, sums[1:].T


def check_finite(X, *sums):
    """Raise scikit-learn's ``ValueError`` for a NaN or an infinity in ``X`` when one of
    ``sums`` (products of X's entries with finite weights, computed by a solver anyway)
    is not finite: X's finiteness check fused into a pass the solver makes, instead of
    scikit-learn's own pass over X."""
    if not all(np.isfinite(v).all() for v in sums):
        assert_all_finite(X, input_name="X")


def column_extremes(X):
    """Column maxima and minima of dense or sparse X, without a temporary copy (scipy
    converts CSR to CSC for a column reduction: a whole copy of X)."""
    if not hasattr(X, "multiply"):
        return X.max(axis=0), X.min(axis=0)
    return _sparse_column_extreme(X, np.maximum), _sparse_column_extreme(X, np.minimum)


def _sparse_column_extreme(X, ufunc):
    if X.format != "csr" or not X.has_canonical_format:
        reduce = X.max if ufunc is np.maximum else X.min
        return np.asarray(reduce(axis=0).toarray()).ravel()
    out = np.full(X.shape[1], -np.inf if ufunc is np.maximum else np.inf)
    ufunc.at(out, X.indices, X.data)
    # a column with fewer stored entries than rows also holds zeros
    implicit = np.bincount(X.indices, minlength=X.shape[1]) < X.shape[0]
    return np.where(implicit, ufunc(out, 0.0), out)


def gather_columns(X, idx, out=None, block_bytes=GATHER_BLOCK_BYTES):
    """``X[:, idx]``: sparse as scipy returns it, dense into ``out`` (or a new array),
    Fortran-ordered, as the Gram products and the working sets' ``X w`` want it.

    Fancy indexing of a C-ordered X gathers a C-ordered copy, then transposes it; when
    that copy does not stay in cache (more than ``block_bytes``), the gather goes by
    row blocks of X of that size, each transposed while in cache: by ``np.take`` when at
    least a fifth of the columns are gathered, else by fancy indexing (``take`` copies
    element by element, slower for a few columns).
    """
    if hasattr(X, "multiply"):
        return X[:, idx]
    n, p = X.shape
    if out is None:
        out = np.empty((n, len(idx)), dtype=X.dtype, order="F")
    if (X.flags.f_contiguous or not X.flags.c_contiguous
            or n * len(idx) * X.itemsize <= block_bytes):
        out[...] = X[:, idx]
        return out
    rows = max(block_bytes // (X.itemsize * p), 1)
    take = 5 * len(idx) >= p
    for start in range(0, n, rows):
        block = X[start: start + rows]
        out[start: start + rows] = np.take(block, idx, axis=1) if take else block[:, idx]
    return out
