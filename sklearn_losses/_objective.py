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

import numpy as np


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
        Column scales for the solvers' preconditioning; ``None`` computes them.
    """

    def __init__(self, loss_gradient, X, y, sample_weight, fit_intercept, n_outputs=1,
                 normalizer=None, offset=None, col_scale=None):
        self.loss_gradient = loss_gradient
        self.X = X
        self.y = y
        self.sample_weight = sample_weight / (normalizer or np.sum(sample_weight))
        self.fit_intercept = fit_intercept
        self.n_outputs = n_outputs
        if offset is None:
            offset = np.zeros(X.shape[1])
            if fit_intercept:
                offset = np.asarray(X.T @ sample_weight).ravel() / np.sum(sample_weight)
        self.offset = offset
        self.col_scale = self._column_scale() if col_scale is None else col_scale

    def _column_scale(self):
        """Weighted standard deviation of each column (around ``offset``), 1 where it is
        0: the solvers' diagonal preconditioner. No temporary copy of X."""
        s = self.sample_weight / np.sum(self.sample_weight)
        X = self.X
        if hasattr(X, "multiply") and X.has_canonical_format:
            # squared entries on X's own index arrays (X.multiply(X) builds a new
            # matrix, and its temporaries reach twice the size of X)
            squared = type(X)((X.data ** 2, X.indices, X.indptr), shape=X.shape, copy=False)
            second = np.asarray(squared.T @ s).ravel()
        elif hasattr(X, "multiply"):  # duplicate entries: square their sums
            second = np.asarray(X.multiply(X).T @ s).ravel()
        else:
            second = np.einsum("ij,ij,i->j", X, X, s)
        var = np.maximum(second - self.offset**2, 0.0)
        scale = np.sqrt(var)
        return np.where(scale > 1e-12 * (1 + np.abs(self.offset)), scale, 1.0)

    def raw(self, W, b):
        # a contiguous W^T: numpy's product with the strided view is 2.5x slower
        raw = np.asarray(self.X @ np.ascontiguousarray(W.T)) + (b - W @ self.offset)
        return raw[:, 0] if self.n_outputs == 1 else raw

    def coef_gradient(self, sg):
        """``d/dW`` of ``sum_i sg_i raw_i``, shape ``(n_outputs, n_features)``."""
        sg = sg.reshape(len(sg), -1)
        return np.asarray(self.X.T @ sg).T - np.outer(_column_sums(sg), self.offset)

    def value(self, W, b):
        value, _ = self.loss_gradient(self.y, self.raw(W, b))
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


def _column_sums(A):
    """``A.sum(axis=0)`` of an ``(n, k)`` array as a product with ones: 10x faster for
    few columns (measured here)."""
    return np.ones(len(A)) @ A


class Gram:
    r"""The half squared error in Gram form, its matrix built column by column on demand.

    With ``s`` the weights, ``G = sum_i s_i (x_i - offset)(x_i - offset)^T`` and ``c``,
    ``q``, ``y_bar``, ``S`` the matching moments of ``y`` (``S = sum_i s_i``), the data
    term of a squared-error model is

    .. math:: \tfrac12 \left(q - 2 w \cdot c + w^T G w + S (\bar y - b)^2\right)

    (centring removes the cross terms, so the intercept's optimum is ``y_bar`` whatever
    ``w`` is). Each evaluation costs O(p^2) instead of two passes over X. Only the columns
    a solver asks for are computed (``n * p`` each, in row blocks, no n x p temporary):
    an L1 solution only ever touches its working set.
    """

    def __init__(self, X, y, s, offset, fit_intercept, c=None):
        self.X, self.s, self.offset = X, s, offset
        self.S = float(np.sum(s))
        self.y_bar = float(np.dot(s, y) / self.S) if fit_intercept else 0.0
        yc = y - self.y_bar
        # c is minus the data term's gradient at w = 0, which a caller may already have
        # (then no pass over X is needed here)
        self.c = (np.asarray(X.T @ (s * yc)).ravel() - offset * np.dot(s, yc)
                  if c is None else c)
        self.q = float(np.dot(s, yc * yc))
        p = X.shape[1]
        self._G = np.empty((p, p))
        self._known = np.zeros(p, dtype=bool)

    def columns(self, idx):
        """``G[:, idx]``, computing the columns not known yet."""
        idx = np.asarray(idx, dtype=np.intp)
        new = idx[~self._known[idx]]
        if 2 * new.size > len(self.c):  # the symmetric product of all columns costs less
            new = np.arange(len(self.c))
        if new.size:
            self._G[:, new] = self._compute(new)
            self._known[new] = True
        return self._G[:, idx]

    def matrix(self):
        """The whole ``G``."""
        return self.columns(np.arange(len(self.c)))

    def complete(self):
        """Compute every column not known yet (nothing once all are)."""
        self.columns(np.flatnonzero(~self._known))

    def _compute(self, cols):
        # the offset is the s-weighted mean here (or 0): sum_i s_i x_i = S * offset
        return centred_gram(self.X, self.s, self.offset, cols, total=self.S * self.offset)

    def restricted(self, idx, col_scale):
        """The Gram form on the coefficients ``idx`` (the others 0) with the intercept at
        its optimum, as an objective for the L-BFGS-B driver."""
        return _GramRestriction(self.columns(idx)[idx], self.c[idx], self.q, col_scale[idx])


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
    BLAS's symmetric product ``B^T B``, half the work. ``offset`` ``o`` need not be the
    ``s``-weighted mean; ``total``, :math:`\sum_i s_i x_i`, saves a pass over ``X`` where
    the caller knows it.
    """
    p = X.shape[1]
    cols = np.arange(p) if cols is None else np.asarray(cols, dtype=np.intp)
    n_rows = X.shape[0] if rows is None else len(rows)
    every = len(cols) == p and np.array_equal(cols, np.arange(p))
    if hasattr(X, "multiply"):
        block = n_rows  # sparse products make no dense temporaries: one block
    G = np.zeros((p, len(cols)))
    for start in range(0, n_rows, max(block, 1)):
        # all rows: slices, i.e. views of X; some rows: a copy of each block of them
        r = slice(start, start + block) if rows is None else rows[start: start + block]
        XB, sB = (X, s) if block >= X.shape[0] and rows is None else (X[r], s[r])
        if hasattr(XB, "multiply"):
            G += np.asarray((XB.T @ XB[:, cols].multiply(sB[:, None]).tocsc()).toarray())
        elif every:
            B = XB * np.sqrt(sB[:, None])
            G += B.T @ B
        else:
            G += XB.T @ (XB[:, cols] * sB[:, None])
    m = np.asarray(X.T @ s).ravel() if total is None else total
    S = float(np.sum(s))
    return (G - np.outer(offset, m[cols]) - np.outer(m, offset[cols])
            + S * np.outer(offset, offset[cols]))
