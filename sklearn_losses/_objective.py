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
    offset : ndarray of shape (n_features,)
        Column offsets subtracted implicitly: the weighted column means with an
        intercept, 0 without (as ``_solvers.data.column_statistics`` gives them).
    col_scale : ndarray of shape (n_features,)
        Column scales, which the solvers' preconditioning and tolerances are measured
        in (the weighted standard deviations around ``offset``).
    hessian : callable or None, default=None
        ``hessian(y, raw)``, the loss's second derivative per sample, for the solvers'
        Newton steps (``None``: not known).
    """

    def __init__(self, loss_gradient, X, y, sample_weight, fit_intercept, n_outputs=1,
                 normalizer=None, *, offset, col_scale, hessian=None):
        self.loss_gradient = loss_gradient
        self.hessian = hessian
        self.X = X
        self.y = y
        self.sample_weight = normalised_weights(sample_weight, normalizer)
        self.fit_intercept = fit_intercept
        self.n_outputs = n_outputs
        self.offset = offset
        self.col_scale = col_scale

    def raw(self, W, b):
        if self.n_outputs == 1:
            return self.X @ W[0] + (b[0] - np.dot(W[0], self.offset))
        return times_thin(self.X, W.T) + (b - W @ self.offset)

    def coef_gradient(self, sg):
        """``d/dW`` of ``sum_i sg_i raw_i``, shape ``(n_outputs, n_features)``."""
        if sg.ndim == 1 or sg.shape[1] == 1:  # one output: vectors (see centred_product)
            sg = sg.reshape(-1)
            return centred_product(np.asarray(self.X.T @ sg).ravel(), sg, self.offset)
        return centred_product(np.asarray(times_thin(self.X.T, sg)), sg, self.offset)

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


def times_thin(A, B):
    """``A @ B`` for a ``B`` with fewer columns than ``A`` (the outputs of a multinomial
    model, some columns of a Gram matrix). Dense: as ``(B^T A^T)^T``, the order in which
    OpenBLAS's product with a thin matrix is fastest."""
    if hasattr(A, "multiply"):
        return np.asarray(A @ B)
    return (B.T @ A.T).T


def normalised_weights(sample_weight, normalizer=None):
    """The weights of the data term: ``sample_weight`` divided by ``normalizer``
    (``sum(sample_weight)`` by default)."""
    return sample_weight / (normalizer or sample_weight.sum())


def centred_product(XtV, V, offset):
    """``(X - offset)^T V`` from ``X^T V`` (shape ``(n_features, k)``), transposed to
    ``(k, n_features)``: the implicit centring of a product with X. A 1-D ``V`` (and
    ``X^T V``) is one column, computed as vectors (cheaper than as an ``(n, 1)`` array,
    on every gradient of a single output)."""
    if V.ndim == 1:
        return (XtV - V.sum() * offset)[None, :]
    return XtV.T - np.outer(_column_sums(V), offset)


def _column_sums(A):
    """``A.sum(axis=0)`` of an ``(n, k)`` array as a product with ones: numpy's
    reductions across few columns are slow."""
    return np.ones(len(A)) @ A
