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
    """

    def __init__(self, loss_gradient, X, y, sample_weight, fit_intercept, n_outputs=1,
                 normalizer=None):
        self.loss_gradient = loss_gradient
        self.X = X
        self.y = y
        self.sample_weight = sample_weight / (normalizer or np.sum(sample_weight))
        self.fit_intercept = fit_intercept
        self.n_outputs = n_outputs

    def raw(self, W, b):
        raw = self.X @ W.T
        raw = np.asarray(raw) + b
        return raw[:, 0] if self.n_outputs == 1 else raw

    def value(self, W, b):
        value, _ = self.loss_gradient(self.y, self.raw(W, b))
        return float(np.dot(self.sample_weight, value))

    def value_gradient(self, W, b):
        """Weighted mean loss and its gradients ``(value, dW, db)``: one X·w, one Xᵀ·g."""
        value, g = self.loss_gradient(self.y, self.raw(W, b))
        sg = g * (self.sample_weight if g.ndim == 1 else self.sample_weight[:, None])
        sg = sg.reshape(len(sg), -1)
        dW = np.asarray(self.X.T @ sg).T
        db = sg.sum(axis=0) if self.fit_intercept else np.zeros(self.n_outputs)
        return float(np.dot(self.sample_weight, value)), dW, db
