r"""Half squared error in Gram form, and the small linear systems its routes solve.

:class:`Gram` holds :math:`G = \sum_i s_i (x_i - o)(x_i - o)^T` column by column, computed
only as a solver asks for them; :class:`SampleSpace` works in the samples' space instead
(an elastic net with more nonzero coefficients than samples); :func:`normal_equations`
is the exact solve without an L1 part. The systems are scaled to a unit diagonal before
they are factorised (:func:`solve_spd`), so that columns in different units are not taken
for collinear ones.
"""

from dataclasses import dataclass

import numpy as np
from scipy import linalg
from scipy.linalg import lapack

from .._objective import times_thin
from .result import FitResult

# Once the columns asked for reach 1 / ALL_COLUMNS_AT of them, a Gram matrix computes all
# its columns by one symmetric product (B^T B): its cost is about that of general
# products on a fraction of them, and working sets that grow to a dense solution then
# pay for one product instead of several that add up to more.
ALL_COLUMNS_AT = 4
# SampleSpace.kernel computes its kernel afresh after this many updates (their rounding
# adds up)
KERNEL_UPDATES = 32


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
    memory, faster than the same gathers of columns.
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
        if new.size and ALL_COLUMNS_AT * asked > len(self.c):
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
        return GramRestriction(self.rows(idx)[:, idx], self.c[idx], self.q, col_scale[idx])


@dataclass
class KernelState:
    """What :class:`SampleSpace` keeps between its steps and along a path (in the fit's
    cache): the last kernel ``K`` (:math:`A A^T`), the features it was built for
    (``mask``), and how many updates it has had since it was computed afresh."""

    mask: np.ndarray = None
    K: np.ndarray = None
    updates: int = 0


class SampleSpace:
    r"""The half squared error with an L2 part (``l2 > 0``) in the samples' space, for more
    nonzero coefficients than samples (an elastic net with n << p), in the terms of
    :class:`Gram` (``c``, the implicit centring) without a ``k x k`` matrix: with
    :math:`A = S^{1/2} (X_F - o_F)` for the ``k`` features ``F``, the Gram block is
    :math:`A^T A`, and :math:`(A^T A + l_2 I)^{-1} = (I - A^T (A A^T + l_2 I)^{-1} A) / l_2`
    (Woodbury) needs an ``n x n`` system only.

    ``state`` (a :class:`KernelState`, kept by the caller for refits on the same data: a
    path's alphas) holds the last kernel, which :meth:`kernel` updates by the columns
    that joined or left.
    """

    def __init__(self, obj, c, state=None):
        self.obj, self.c = obj, c
        self.root = np.sqrt(obj.sample_weight)
        self.state = KernelState() if state is None else state

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
        """:math:`A A^T` (``n x n``) for the features ``F``: the last kernel plus the
        products of the columns that joined, minus those of the columns that left
        (``n^2`` per column, against ``n^2 k`` afresh), as long as they are at most a
        quarter of ``F``; afresh otherwise, and after ``KERNEL_UPDATES`` updates."""
        mask = np.zeros(len(self.c), dtype=bool)
        mask[F] = True
        state = self.state
        if state.mask is not None and state.updates < KERNEL_UPDATES:
            joined = np.flatnonzero(mask & ~state.mask)
            left = np.flatnonzero(state.mask & ~mask)
            if 4 * (joined.size + left.size) <= F.size:
                K = state.K
                for cols, sign in ((joined, 1.0), (left, -1.0)):
                    if cols.size:
                        B = self.columns(cols)
                        K += sign * (B @ B.T)
                state.mask, state.updates = mask, state.updates + 1
                return K
        A = self.columns(F)
        state.mask, state.K, state.updates = mask, A @ A.T, 0
        return state.K

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


class GramRestriction:
    """The Gram form on some coefficients (the others 0, the intercept at its optimum):
    an objective with ``value_gradient`` for the L-BFGS-B driver, and ``G``, ``c`` for
    NNLS."""

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
        # (no weighted copy of each block); the rows of the columns themselves are
        # Z^T Z, BLAS's symmetric product at half the work (all columns: X^T X)
        a, b = cols[0], cols[-1] + 1
        Z = X[:, a:b]
        G = np.empty((p, b - a))
        G[a:b] = Z.T @ Z
        if a:
            G[:a] = times_thin(X[:, :a].T, Z)
        if b < p:
            G[b:] = times_thin(X[:, b:].T, Z)
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
                G += times_thin(XB.T, XB[:, cols] * sB[:, None])
    m = np.asarray(X.T @ s).ravel() if total is None else total
    # sum_i s_i (x_i - o)(x_i - o)^T = sum_i s_i x_i x_i^T - o (m - S o)^T - m o^T; the
    # middle term is 0 when o is the s-weighted mean (a Gram matrix's columns)
    d = m[cols] - float(s.sum()) * offset[cols]
    if d.any():
        G -= np.outer(offset, d)
    G -= np.outer(m, offset[cols])
    return G


def normal_equations(gram, l2):
    """Exact minimiser of the Gram form with an L2 (or no) penalty: ``(G + diag(l2)) w =
    c`` (``l2`` a number, or one per feature).

    A singular system (no penalty, collinear features) gets the minimum-norm solution
    for standardised columns, one of the optima (and free of the columns' units).
    """
    A = gram.matrix() + np.diag(np.broadcast_to(l2, len(gram.c)))
    w = solve_spd(A, gram.c)
    if w is None:
        d = unit_diagonal(A)
        w = linalg.lstsq(A / np.outer(d, d), gram.c / d)[0] / d
    return FitResult(w[None, :], np.array([gram.y_bar]), 1, True,
                     "solved the normal equations.", route="normal-equations", exact=True)


def solve_spd(A, rhs):
    """``A^{-1} rhs`` for a symmetric positive definite ``A`` by Cholesky; ``None`` if it
    is singular to working precision (the factor's diagonal spans more than 1e7, i.e. a
    condition number beyond about 1e14). The system is first scaled to a unit diagonal
    (:func:`unit_diagonal`), so that variables in different units (a column in units of
    1e-12 next to one in units of 1) are not taken for collinear ones. LAPACK's
    ``potrf``/``potrs`` directly: the small systems of a regularisation path would pay
    ``cho_factor``'s wrappers several times the arithmetic."""
    if len(A) == 0:
        return np.zeros_like(rhs, dtype=float)
    d = unit_diagonal(A)
    factor = cholesky(A / np.outer(d, d))
    return None if factor is None else lapack.dpotrs(factor, rhs / d)[0] / d


def unit_diagonal(A):
    """``d`` with ``A / (d d^T)`` of unit diagonal (1 where the diagonal is 0)."""
    d = np.sqrt(np.maximum(A.diagonal(), 0.0))
    d[d == 0] = 1.0
    return d


def cholesky(A):
    """The upper Cholesky factor of ``A``; ``None`` if ``A`` is singular to working
    precision (see :func:`solve_spd`)."""
    factor, info = lapack.dpotrf(A, lower=False, clean=True)
    if info != 0:
        return None
    diagonal = factor.diagonal()  # a Cholesky factor's diagonal is positive
    return None if diagonal.min() <= 1e-7 * diagonal.max() else factor
