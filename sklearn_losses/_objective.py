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
        if hasattr(X, "multiply"):
            second = np.asarray(X.multiply(X).T @ s).ravel()
        else:
            second = np.einsum("ij,ij,i->j", X, X, s)
        var = np.maximum(second - self.offset**2, 0.0)
        scale = np.sqrt(var)
        return np.where(scale > 1e-12 * (1 + np.abs(self.offset)), scale, 1.0)

    def raw(self, W, b):
        raw = np.asarray(self.X @ W.T) + (b - W @ self.offset)
        return raw[:, 0] if self.n_outputs == 1 else raw

    def coef_gradient(self, sg):
        """``d/dW`` of ``sum_i sg_i raw_i``, shape ``(n_outputs, n_features)``."""
        sg = sg.reshape(len(sg), -1)
        return np.asarray(self.X.T @ sg).T - np.outer(sg.sum(axis=0), self.offset)

    def value(self, W, b):
        value, _ = self.loss_gradient(self.y, self.raw(W, b))
        return float(np.dot(self.sample_weight, value))

    def use_gram(self, gram=None):
        """Switch to the Gram form of the half squared error (``loss.quadratic``).

        With ``s`` the weights, ``G = sum_i s_i (x_i - offset)(x_i - offset)^T`` and ``c``,
        ``q``, ``y_bar`` the matching moments of ``y``, the data term is
        ``(q - 2 w.c + w.G.w + S (y_bar - b)^2) / 2`` (centring removes the cross terms):
        each evaluation costs O(p^2) instead of two passes over X. Returns the moments,
        which a caller may keep and pass back for the same data.
        """
        if gram is None:
            gram = _gram_moments(self.X, self.y, self.sample_weight, self.offset,
                                 self.fit_intercept)
        self.gram = gram
        self.value_gradient = self._gram_value_gradient
        return gram

    def _gram_value_gradient(self, W, b):
        G, c, q, y_bar, S = self.gram
        w = W[0]
        Gw = G @ w
        r = y_bar - b[0]
        value = 0.5 * (q - 2 * np.dot(w, c) + np.dot(w, Gw) + S * r * r)
        db = np.array([-S * r]) if self.fit_intercept else np.zeros(1)
        return float(value), (Gw - c)[None, :], db

    def value_gradient(self, W, b):
        """Weighted mean loss and its gradients ``(value, dW, db)``: one X·w, one Xᵀ·g."""
        value, g = self.loss_gradient(self.y, self.raw(W, b))
        sg = g * (self.sample_weight if g.ndim == 1 else self.sample_weight[:, None])
        sg = sg.reshape(len(sg), -1)
        dW = self.coef_gradient(sg)
        db = sg.sum(axis=0) if self.fit_intercept else np.zeros(self.n_outputs)
        return float(np.dot(self.sample_weight, value)), dW, db


def _gram_moments(X, y, s, offset, fit_intercept, block=4096):
    """``(G, c, q, y_bar, S)`` of the Gram form; dense X is read in row blocks, so no
    n x p temporary is made."""
    S = float(np.sum(s))
    y_bar = float(np.dot(s, y) / S) if fit_intercept else 0.0
    yc = y - y_bar
    if hasattr(X, "multiply"):
        G = np.asarray((X.T @ X.multiply(s[:, None])).toarray())
        c = np.asarray(X.T @ (s * yc)).ravel()
    else:
        G = np.zeros((X.shape[1], X.shape[1]))
        for start in range(0, X.shape[0], block):
            rows = slice(start, start + block)
            G += X[rows].T @ (X[rows] * s[rows, None])
        c = X.T @ (s * yc)
    G -= S * np.outer(offset, offset)
    c -= offset * np.dot(s, yc)
    return G, c, float(np.dot(s, yc * yc)), y_bar, S
