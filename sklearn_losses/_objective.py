r"""A pointwise loss lifted to an objective over the coefficients and intercept.

Conventions
-----------
- ``X`` is ``(n_samples, n_features)``, dense or scipy.sparse, float64.
- ``W`` is ``(n_outputs, n_features)`` and ``b`` is ``(n_outputs,)``; ``n_outputs`` is 1
  except for a joint multinomial problem. The raw prediction is ``X @ W.T + b``, squeezed
  to ``(n_samples,)`` when ``n_outputs == 1``.
- Sample weights are normalised to sum to one, so the data term is the weighted *mean*
  loss :math:`\sum_i s_i \ell(y_i, f_i) / \sum_i s_i`.
- The penalty is not part of this object; the solvers add it.
- With an intercept, ``X`` is centred *implicitly*: the raw prediction is
  ``(X - offset) @ W.T + b`` with ``offset`` the weighted column means, so ``b`` here is
  the intercept of centred data. Uncentred features (a column around 100, say) otherwise
  couple the intercept and the coefficients and stall L-BFGS-B. No centred copy of
  ``X`` is made, sparse stays sparse. The true intercept is ``b - W @ offset``.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.utils import assert_all_finite


class LinearObjective:
    """Data term of the objective and its gradient with respect to ``(W, b)``.

    Parameters
    ----------
    loss_gradient : callable
        ``loss_gradient(y, raw) -> (per-sample loss, gradient wrt raw)``.
    X, y : arrays
    sample_weight : ndarray of shape (n_samples,)
        Non-negative weights; divided by ``normalizer`` here.
    fit_intercept : bool
    n_outputs : int
    normalizer : float, default=None
        The weight sum the data term is divided by; ``sum(sample_weight)`` by default (a
        classifier passes the sum of the user's weights before class weighting).
    offset : ndarray of shape (n_features,) or None, default=None
        Column offsets subtracted implicitly; ``None`` computes the weighted means when
        ``fit_intercept`` (no offset without an intercept).
    col_scale : ndarray of shape (n_features,) or None, default=None
        Column scales for the solvers' preconditioning; ``None`` computes them (the
        weighted standard deviations, around the weighted means: give ``offset`` and
        ``col_scale`` together, as :func:`column_statistics` returns them).
    hessian : callable or None, default=None
        ``hessian(y, raw)``, the loss's second derivative per sample, for the solvers'
        Newton steps (``None``: not known).
    """

    def __init__(self, loss_gradient, X, y, sample_weight, fit_intercept, n_outputs=1,
                 normalizer=None, offset=None, col_scale=None, hessian=None):
        self.loss_gradient = loss_gradient
        self.hessian = hessian
        self.X = X
        self.y = y
        self.sample_weight = normalised_weights(sample_weight, normalizer)
        self.fit_intercept = fit_intercept
        self.n_outputs = n_outputs
        if offset is None or col_scale is None:
            stats = column_statistics(X, sample_weight, fit_intercept, shift=False)
            offset = stats.offset if offset is None else offset
            col_scale = stats.col_scale if col_scale is None else col_scale
        self.offset = offset
        self.col_scale = col_scale

    def raw(self, W, b):
        if self.n_outputs == 1:
            return self.X @ W[0] + (b[0] - np.dot(W[0], self.offset))
        return _times_thin(self.X, W.T) + (b - W @ self.offset)

    def coef_gradient(self, sg):
        """``d/dW`` of ``sum_i sg_i raw_i``, shape ``(n_outputs, n_features)``."""
        if sg.ndim == 1 or sg.shape[1] == 1:  # one output: vectors (see centred_product)
            sg = sg.reshape(-1)
            return centred_product(np.asarray(self.X.T @ sg).ravel(), sg, self.offset)
        return centred_product(np.asarray(_times_thin(self.X.T, sg)), sg, self.offset)

    def value(self, W, b, raw=None):
        """Weighted mean loss (``raw``, ``self.raw(W, b)``, may be given)."""
        value, _ = self.loss_gradient(self.y, self.raw(W, b) if raw is None else raw)
        return float(np.dot(self.sample_weight, value))

    def value_gradient(self, W, b, raw=None):
        """Weighted mean loss and its gradients ``(value, dW, db)``: one X·w, one Xᵀ·g
        (``raw``, ``self.raw(W, b)``, may be given)."""
        value, g = self.loss_gradient(self.y, self.raw(W, b) if raw is None else raw)
        sg = g * (self.sample_weight if g.ndim == 1 else self.sample_weight[:, None])
        sg = sg.reshape(len(sg), -1)
        dW = self.coef_gradient(sg)
        db = _column_sums(sg) if self.fit_intercept else np.zeros(self.n_outputs)
        return float(np.dot(self.sample_weight, value)), dW, db


def _times_thin(A, B):
    """``A @ B`` for a ``B`` with fewer columns than ``A`` (the outputs of a multinomial
    model, some columns of a Gram matrix). Dense: as ``(B^T A^T)^T``, which OpenBLAS ran
    1.5-2x faster here for 3 columns (2 000 x 200: 0.18 against 0.38 ms; 20 000 x 1 000:
    17 against 31 ms), 1.7x for a few of a Gram matrix's columns."""
    if hasattr(A, "multiply"):
        return np.asarray(A @ B)
    return (B.T @ A.T).T


# Gathers of dense columns larger than this go by row blocks of X this large (see
# gather_columns)
_GATHER_BLOCK_BYTES = 1 << 20


def gather_columns(X, idx, out=None):
    """``X[:, idx]``: sparse as scipy returns it, dense into ``out`` (or a new array),
    Fortran-ordered, as the Gram products and the working sets' ``X w`` want it.

    Fancy indexing of a C-ordered X gathers a C-ordered copy, then transposes it; when
    that copy does not stay in cache (more than ``_GATHER_BLOCK_BYTES``), the gather goes
    by row blocks of X of that size, each transposed while in cache: by ``np.take``
    when at least a fifth of the columns are gathered, else by fancy indexing (``take``
    copies element by element, slower for a few columns). Measured here, X out of cache:
    100 000 x 200, 60 columns, 43 -> 18 ms; 20 000 x 1 000, 200 columns, 29 -> 16 ms,
    48 columns 8.6 -> 7.9 ms; 20 000 x 200, 129 columns, 8.9 -> 6.0 ms; 2 000 x 1 000,
    220 columns, 2.1 -> 1.5 ms.
    """
    if hasattr(X, "multiply"):
        return X[:, idx]
    n, p = X.shape
    if out is None:
        out = np.empty((n, len(idx)), dtype=X.dtype, order="F")
    if (X.flags.f_contiguous or not X.flags.c_contiguous
            or n * len(idx) * X.itemsize <= _GATHER_BLOCK_BYTES):
        out[...] = X[:, idx]
        return out
    rows = max(_GATHER_BLOCK_BYTES // (X.itemsize * p), 1)
    take = 5 * len(idx) >= p
    for start in range(0, n, rows):
        block = X[start: start + rows]
        out[start: start + rows] = np.take(block, idx, axis=1) if take else block[:, idx]
    return out


def normalised_weights(sample_weight, normalizer=None):
    """The weights of the data term: ``sample_weight`` divided by ``normalizer``
    (``sum(sample_weight)`` by default)."""
    return sample_weight / (normalizer or sample_weight.sum())


def centred_product(XtV, V, offset):
    """``(X - offset)^T V`` from ``X^T V`` (shape ``(n_features, k)``), transposed to
    ``(k, n_features)``: the implicit centring of a product with X. A 1-D ``V`` (and
    ``X^T V``) is one column, computed as vectors (the ``(n, k)`` route took 25 against
    20 us for a single output's gradient at 2 000 x 50, measured here)."""
    if V.ndim == 1:
        return (XtV - V.sum() * offset)[None, :]
    return XtV.T - np.outer(_column_sums(V), offset)


# A column whose weighted mean lies more than this many weighted standard deviations
# from 0 is centred explicitly (a shifted copy, see column_statistics): the implicit
# centring subtracts offset terms from sums over X, and loses about eps * ratio of X w
# and eps * ratio**2 of a Gram entry to cancellation (a timestamp column, 1.7e9 give or
# take 600, has a ratio of 1e7: every digit of its Gram entries). Below 16 the loss is
# at most 256 eps, and ordinary positive features (counts, measurements) stay uncopied.
_OFFSET_RATIO = 16.0


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
    (``_OFFSET_RATIO``) are shifted by their mean in a copy of X (dense; sparse: those
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
    """Which columns' means lie more than ``_OFFSET_RATIO`` standard deviations from 0
    (a constant nonzero column among them)."""
    return (mean != 0) & (np.maximum(variance, 0.0) * _OFFSET_RATIO**2 < mean**2)


def column_scales(scale, offset):
    """The solvers' column scales: the standard deviations ``scale``, and 1 for a column
    that is constant to rounding (its deviation from a mean ``offset`` is below that
    mean's ``_OFFSET_RATIO``-th part even after :func:`shifted_columns`: only rounding
    is left of it), so that no unit is read off rounding noise. Relative only: a column
    in units of 1e-12 keeps its scale of 1e-12."""
    constant = (scale == 0) | (scale * _OFFSET_RATIO < np.abs(offset))
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
    is not finite: X's finiteness check fused into a pass the solver makes (scikit-learn's
    own is a sum over X, 3-5 % of a Lasso fit at 2 000 rows, measured here)."""
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


def _column_sums(A):
    """``A.sum(axis=0)`` of an ``(n, k)`` array as a product with ones: 10x faster for
    few columns (measured here)."""
    return np.ones(len(A)) @ A


# Once the columns asked for reach 1 / _ALL_COLUMNS_AT of them, a Gram matrix computes all
# its columns by one symmetric product (B^T B): measured here at 20 000 x 200, all 200 took
# 26 ms, about as long as general products on 50 of them (10-12 ms for 16-32 columns,
# 28 ms for 94). Working sets that grow to a dense solution then pay for one product
# instead of several that add up to more.
_ALL_COLUMNS_AT = 4


class Gram:
    r"""The half squared error in Gram form, its matrix built column by column on demand.

    With ``s`` the weights, ``G = sum_i s_i (x_i - offset)(x_i - offset)^T`` and ``c``,
    ``q``, ``y_bar``, ``S`` the matching moments of ``y`` (``S = sum_i s_i``), the data
    term of a squared-error model is

    .. math:: \tfrac12 \left(q - 2 w \cdot c + w^T G w + S (\bar y - b)^2\right)

    (centring removes the cross terms, so the intercept's optimum is ``y_bar`` whatever
    ``w`` is). Each evaluation costs O(p^2) instead of two passes over X. Only the columns
    a solver asks for are computed (``n * p`` each, in row blocks, no n x p temporary):
    an L1 solution only ever touches its working set. A computed column is stored as a
    row (``G`` is symmetric): gathering rows of a C-ordered array copies contiguous
    memory, and the solvers' ``G[F][:, F]`` and ``v_F^T G[F]`` took 0.6-0.7x the time of
    the same gathers of columns (measured here, 40 of 200 and 184 of 300 features).
    """

    def __init__(self, X, y, s, offset, fit_intercept, c=None, moments=None):
        self.X, self.s, self.offset = X, s, offset
        if moments is None:  # (S, y_bar, q); grown() passes its own (same samples, y)
            S = float(s.sum())
            y_bar = float(np.dot(s, y) / S) if fit_intercept else 0.0
            yc = y - y_bar
            moments = S, y_bar, float(np.dot(s, yc * yc))
        self.S, self.y_bar, self.q = moments
        if c is None:  # minus the data term's gradient at w = 0 (a caller may have it)
            yc = y - self.y_bar
            c = np.asarray(X.T @ (s * yc)).ravel() - offset * np.dot(s, yc)
        self.c = c
        p = X.shape[1]
        self._G = np.empty((p, p))
        self._known = np.zeros(p, dtype=bool)

    def rows(self, idx):
        """``G[idx]`` (``G[:, idx]`` transposed), computing the columns not known yet."""
        idx = np.asarray(idx, dtype=np.intp)
        known = self._known[idx]
        if known.all():
            return self._G[idx]
        new = idx[~known]
        asked = new.size + np.count_nonzero(self._known)
        if new.size and _ALL_COLUMNS_AT * asked > len(self.c):
            new = np.arange(len(self.c))
        if new.size:
            self._G[new] = self._compute(new).T
            self._known[new] = True
        return self._G[idx]

    def gradient(self, v, l2, F=None, G_F=None):
        """The smooth part's gradient ``G v - c + l2 v``, from the rows ``G_F = G[F]`` of
        ``v``'s nonzero coefficients (a caller that has them passes ``F`` and ``G_F``;
        ``F`` may hold zeros of ``v`` too)."""
        if F is None:
            F = np.flatnonzero(v)
            G_F = self.rows(F)
        return v[F] @ G_F - self.c + l2 * v  # G symmetric: G v = v_F^T G[F]

    def known(self, mask):
        """Whether the columns where ``mask`` is True are computed already."""
        return bool(np.all(self._known[mask]))

    def matrix(self):
        """The whole ``G``."""
        return self.rows(np.arange(len(self.c)))  # symmetric

    def complete(self):
        """Compute every column not known yet (nothing once all are)."""
        self.rows(np.flatnonzero(~self._known))

    def grown(self, X, offset, c):
        """The Gram matrix of more features of the same samples (``X``'s first columns
        are this one's, ``offset`` and ``c`` theirs): the moments of ``y`` are shared and
        the columns computed here are carried over (:meth:`carry`)."""
        gram = Gram(X, None, self.s, offset, None, c=c, moments=(self.S, self.y_bar, self.q))
        gram.carry(self)
        return gram

    def kept(self, keep):
        """The Gram matrix of the features where ``keep`` (a mask) is True: their columns
        of X (a copy), the moments of ``y`` shared, the entries computed here carried."""
        idx = np.flatnonzero(keep)
        gram = Gram(self.X[:, idx], None, self.s, self.offset[idx], None, c=self.c[idx],
                    moments=(self.S, self.y_bar, self.q))
        known = self._known[idx]
        gram._G[known] = self._G[idx[known]][:, idx]
        gram._known[:] = known
        return gram

    def carry(self, previous):
        """Take over the columns ``previous`` has computed: a Gram matrix of the same data
        on this one's first features. The columns of the features new here are computed
        at once (their rows against the previous features complete the carried
        columns); the rest stay on demand."""
        k = len(previous.c)
        new = np.arange(k, len(self.c))
        G_new = self._compute(new)
        carried = np.flatnonzero(previous._known)
        self._G[carried, :k] = previous._G[carried]
        self._G[carried, k:] = G_new[carried]
        self._G[new] = G_new.T
        self._known[carried] = self._known[new] = True

    def _compute(self, cols):
        # the offset is the s-weighted mean here (or 0): sum_i s_i x_i = S * offset
        return centred_gram(self.X, self.s, self.offset, cols, total=self.S * self.offset)

    def restricted(self, idx, col_scale):
        """The Gram form on the coefficients ``idx`` (the others 0) with the intercept at
        its optimum, as an objective for the L-BFGS-B driver."""
        return _GramRestriction(self.rows(idx)[:, idx], self.c[idx], self.q, col_scale[idx])


class SampleSpace:
    r"""The half squared error with an L2 part (``l2 > 0``) in the samples' space, for more
    nonzero coefficients than samples (an elastic net with n << p), in the terms of
    :class:`Gram` (``c``, the implicit centring) without a ``k x k`` matrix: with
    :math:`A = S^{1/2} (X_F - o_F)` for the ``k`` features ``F``, the Gram block is
    :math:`A^T A`, and :math:`(A^T A + l_2 I)^{-1} = (I - A^T (A A^T + l_2 I)^{-1} A) / l_2`
    (Woodbury) needs an ``n x n`` system only.

    ``state`` (a dict, kept by the caller for refits on the same data: a path's alphas)
    holds the last kernel :math:`A A^T` and its features, which :meth:`kernel` updates
    by the columns that joined or left.
    """

    def __init__(self, obj, c, state=None):
        self.obj, self.c = obj, c
        self.root = np.sqrt(obj.sample_weight)
        self.state = {} if state is None else state

    def known(self, mask):
        """Every column is at hand (X's own)."""
        return True

    def columns(self, F):
        """:math:`A = S^{1/2} (X_F - o_F)`, dense ``(n, len(F))``."""
        X = self.obj.X
        A = X[:, F].toarray() if hasattr(X, "multiply") else np.take(X, F, axis=1)
        A -= self.obj.offset[F]
        A *= self.root[:, None]
        return A

    def kernel(self, F):
        """:math:`A A^T` (``n x n``) for the features ``F``: the last kernel (``state``)
        plus the products of the columns that joined, minus those of the columns that
        left (``n^2`` per column, against ``n^2 k`` afresh), as long as they are at most
        a quarter of ``F``; afresh otherwise, and after ``_KERNEL_UPDATES`` updates (their
        rounding adds up). Elastic-net CV at 200 x 2 000, 20 alphas: 0.78 -> 0.28 s (a
        step took 2.2 ms with its kernel and columns afresh)."""
        mask = np.zeros(len(self.c), dtype=bool)
        mask[F] = True
        state = self.state
        last = state.get("mask")
        if last is not None and state["updates"] < _KERNEL_UPDATES:
            joined, left = np.flatnonzero(mask & ~last), np.flatnonzero(last & ~mask)
            if 4 * (joined.size + left.size) <= F.size:
                K = state["K"]
                for cols, sign in ((joined, 1.0), (left, -1.0)):
                    if cols.size:
                        B = self.columns(cols)
                        K += sign * (B @ B.T)
                state.update(mask=mask, updates=state["updates"] + 1)
                return K
        A = self.columns(F)
        state.update(mask=mask, K=A @ A.T, updates=0)
        return state["K"]

    def times(self, v):
        """:math:`S^{1/2} (X - o) v` for a ``v`` on every feature (0 outside ``F``, so
        :math:`A v_F`): the objective's raw prediction, a product with X instead of a
        gather of its columns."""
        return self.root * self.obj.raw(v[None, :], np.zeros(1))

    def transposed_times(self, Z):
        """:math:`(X - o)^T S^{1/2} Z` on every feature (``A^T Z`` on ``F``) for the
        ``k`` columns of ``Z`` (``(n, k)``), as ``(k, p)``: the objective's coefficient
        gradient, one pass over X."""
        return self.obj.coef_gradient(self.root[:, None] * Z)


# SampleSpace.kernel computes its kernel afresh after this many updates
_KERNEL_UPDATES = 32


class _GramRestriction:
    n_outputs, fit_intercept = 1, False

    def __init__(self, G, c, q, col_scale):
        self.G, self.c, self.q, self.col_scale = G, c, q, col_scale

    def value_gradient(self, W, b):
        w = W[0]
        Gw = self.G @ w
        value = 0.5 * (self.q - 2 * np.dot(w, self.c) + np.dot(w, Gw))
        return float(value), (Gw - self.c)[None, :], np.zeros(1)


def centred_gram(X, s, offset, cols=None, total=None, rows=None, block=1024):
    r"""Columns ``cols`` (all by default) of :math:`\sum_i s_i (x_i - o)(x_i - o)^T`, the
    sum over ``rows`` only if given (the other ``s_i`` must then be 0).

    Dense ``X`` is read in row blocks (no ``n x p`` temporary); all columns at once use
    BLAS's symmetric product ``B^T B``, half the work (on X itself, unblocked, when the
    weights are all equal). ``offset`` ``o`` need not be the ``s``-weighted mean;
    ``total``, :math:`\sum_i s_i x_i`, saves a pass over ``X`` where the caller knows it.
    """
    p = X.shape[1]
    cols = np.arange(p) if cols is None else np.asarray(cols, dtype=np.intp)
    n_rows = X.shape[0] if rows is None else len(rows)
    # a range of columns (a view of dense X, no copy), or all of them
    span = cols.size > 0 and cols[-1] - cols[0] == cols.size - 1 and (
        cols.size < 3 or bool((cols[1:] - cols[:-1] == 1).all()))
    every = span and cols.size == p
    sparse = hasattr(X, "multiply")
    if sparse:
        block = n_rows  # sparse products make no dense temporaries: one block
    if span and rows is None and not sparse and s.min() == s.max():
        # equal weights: s_0 X^T Z with Z = X[:, cols], products on X itself and no copy
        # (twice as fast as by blocks at 2 000 x 200, measured here; the new columns of a
        # column working set's Gram matrix, 2 000 x 290: 8.6 -> 5 ms a fit). The rows of
        # the columns themselves are Z^T Z, BLAS's symmetric product at half the work
        # (all columns: X^T X); the new half of a column working set's 286 columns,
        # 2 000 rows: 3.9 -> 3.2 ms.
        a, b = cols[0], cols[-1] + 1
        Z = X[:, a:b]
        G = np.empty((p, b - a))
        G[a:b] = Z.T @ Z
        if a:
            G[:a] = _times_thin(X[:, :a].T, Z)
        if b < p:
            G[b:] = _times_thin(X[:, b:].T, Z)
        G *= s[0]
    else:
        G = np.zeros((p, len(cols)))
        for start in range(0, n_rows, max(block, 1)):
            # all rows: slices, i.e. views of X; some rows: a copy of each block of them
            r = slice(start, start + block) if rows is None else rows[start: start + block]
            XB, sB = (X, s) if block >= X.shape[0] and rows is None else (X[r], s[r])
            if sparse:
                G += np.asarray((XB.T @ XB[:, cols].multiply(sB[:, None]).tocsc()).toarray())
            elif every:
                B = XB * np.sqrt(sB[:, None])
                G += B.T @ B
            else:
                G += _times_thin(XB.T, XB[:, cols] * sB[:, None])
    m = np.asarray(X.T @ s).ravel() if total is None else total
    # sum_i s_i (x_i - o)(x_i - o)^T = sum_i s_i x_i x_i^T - o (m - S o)^T - m o^T; the
    # middle term is 0 when o is the s-weighted mean (a Gram matrix's columns)
    d = m[cols] - float(s.sum()) * offset[cols]
    if d.any():
        G -= np.outer(offset, d)
    G -= np.outer(m, offset[cols])
    return G
