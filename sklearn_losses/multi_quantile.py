r"""Several quantiles in one fit, their predictions never crossing on the training data.

Fitted one by one, linear quantile models at nearby levels cross: at some samples the
0.6 quantile is predicted below the 0.5 one. :class:`MultiQuantileRegressor` fits all
levels :math:`q_1 < \dots < q_K` in one problem,

.. math::

    \min_{w_k, b_k} \; \sum_{k=1}^K \left[ \frac{1}{\sum_i s_i} \sum_i s_i\,
    \rho_{q_k}(y_i - x_i \cdot w_k - b_k) + \alpha \lVert w_k \rVert_1 \right]
    \quad \text{s.t.} \quad x_i \cdot w_{k+1} + b_{k+1} \ge x_i \cdot w_k + b_k
    \;\; \text{for every training sample } i \text{ and } k < K,

with :math:`\rho_q(r) = \max(q r, (q - 1) r)` the pinball loss: each level's objective is
:class:`~sklearn_losses.LossRegressor`'s with ``Quantile(q_k)`` and ``penalty="l1"`` (or
none), and the constraint keeps the predicted quantiles in order. It is one linear
programme, solved exactly by HiGHS (``scipy.optimize.linprog``); without the constraint
(``non_crossing=False``) the levels are independent fits, with any penalty.
"""

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted, validate_data

from ._compat import Interval, StrOptions
from ._solvers.data import column_statistics
from ._solvers.lp import kink_scale
from .linear_model import LossRegressor, check_dense_y, checked_sample_weight
from .losses import Quantile
from .metrics import multi_pinball_loss


def _checked_quantiles(quantiles):
    """The levels as a sorted float array, or a ValueError naming the problem."""
    levels = np.asarray(quantiles, dtype=float).ravel()
    if levels.size == 0 or not np.all((levels > 0) & (levels < 1)):
        raise ValueError("quantiles must be a non-empty list of levels strictly between 0 "
                         f"and 1; got {quantiles!r}.")
    if np.unique(levels).size != levels.size:
        raise ValueError(f"quantiles must be distinct; got {quantiles!r}.")
    return np.sort(levels)


class MultiQuantileRegressor(RegressorMixin, BaseEstimator):
    r"""Linear quantile regression at several levels at once, without crossing.

    See :mod:`sklearn_losses.multi_quantile` for the objective: the sum over the levels
    of each level's pinball-loss objective with an L1 penalty, with the predicted
    quantiles kept in order on every training sample (``non_crossing=True``). The
    constraint binds only where independent fits would cross; elsewhere the fit is the
    independent one.

    Parameters
    ----------
    quantiles : array-like of float, default=(0.1, 0.5, 0.9)
        The levels, each strictly between 0 and 1, distinct; they are sorted
        (``quantiles_``), and ``predict``'s columns follow that order.
    penalty : {"l1", "l2", "elasticnet"} or None, default="l1"
        The penalty of each level. With ``non_crossing=True`` the problem is a linear
        programme: ``"l1"`` or ``None`` only.
    alpha : float, default=1e-4
        Penalty strength (per level, as in :class:`~sklearn_losses.LossRegressor`).
    l1_ratio : float, default=0.5
        The L1 share of ``"elasticnet"`` (``non_crossing=False``).
    fit_intercept : bool, default=True
    non_crossing : bool, default=True
        Keep the predictions in the order of the levels on the training samples (one
        joint linear programme); ``False`` fits each level on its own (any penalty; the
        predictions may cross).
    tol : float, default=1e-6
        HiGHS's feasibility tolerances (in standardised units), or the independent
        fits' tolerance.
    max_iter : int, default=10000
        HiGHS's iteration limit, or the independent fits' ``max_iter``.

    Attributes
    ----------
    quantiles_ : ndarray of shape (n_quantiles,)
        The sorted levels.
    coef_ : ndarray of shape (n_quantiles, n_features)
    intercept_ : ndarray of shape (n_quantiles,)
    n_iter_ : int
        HiGHS's iterations (the largest of the independent fits' otherwise).
    converged_ : bool
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when X has feature names that are all strings.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_losses import MultiQuantileRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(0, 1, (200, 1))
    >>> y = X[:, 0] + (0.1 + X[:, 0]) * rng.standard_normal(200)
    >>> model = MultiQuantileRegressor(quantiles=[0.1, 0.5, 0.9]).fit(X, y)
    >>> pred = model.predict(X)
    >>> pred.shape, bool(np.all(np.diff(pred, axis=1) >= -1e-9))
    ((200, 3), True)
    """

    _parameter_constraints = {
        "quantiles": ["array-like"],
        "penalty": [StrOptions({"l1", "l2", "elasticnet"}), None],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "fit_intercept": ["boolean"],
        "non_crossing": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, quantiles=(0.1, 0.5, 0.9), *, penalty="l1", alpha=1e-4,
                 l1_ratio=0.5, fit_intercept=True, non_crossing=True, tol=1e-6,
                 max_iter=10000):
        self.quantiles = quantiles
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.non_crossing = non_crossing
        self.tol = tol
        self.max_iter = max_iter

    def fit(self, X, y, sample_weight=None):
        """Fit every level (jointly, with ``non_crossing=True``).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self
        """
        self._validate_params()
        levels = _checked_quantiles(self.quantiles)
        if self.non_crossing and self.penalty not in ("l1", None):
            raise ValueError(
                f"non_crossing=True solves one linear programme, which cannot hold an L2 "
                f"part (penalty={self.penalty!r}): use penalty='l1' or None, or "
                "non_crossing=False to fit the levels independently with this penalty.")
        check_dense_y(self, y)
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"],
                             dtype=[np.float64, np.float32], y_numeric=True)
        X = X.astype(np.float64, copy=False)
        y = np.asarray(y, dtype=np.float64)
        sw = (np.ones(len(y)) if sample_weight is None
              else checked_sample_weight(sample_weight, X))
        self.quantiles_ = levels
        if self.non_crossing:
            self._fit_jointly(X, y, sw)
        else:
            self._fit_independently(X, y, sw)
        return self

    def _fit_independently(self, X, y, sw):
        models = [LossRegressor(Quantile(quantile=q), penalty=self.penalty, alpha=self.alpha,
                                l1_ratio=self.l1_ratio, fit_intercept=self.fit_intercept,
                                tol=self.tol, max_iter=self.max_iter).fit(X, y, sw)
                  for q in self.quantiles_]
        self.coef_ = np.array([m.coef_ for m in models])
        self.intercept_ = np.array([m.intercept_ for m in models])
        self.n_iter_ = max(m.n_iter_ for m in models)
        self.converged_ = all(m.converged_ for m in models)

    def _fit_jointly(self, X, y, sw):
        """The joint LP, posed in standardised units (HiGHS's tolerances are absolute):
        columns divided by their scale (far-offset columns shifted first, see
        :func:`~sklearn_losses._solvers.data.column_statistics`), y divided by its
        spread, costs multiplied by n so that a sample costs about 1."""
        weighted = sw > 0
        X, y, sw = X[weighted], y[weighted], sw[weighted]
        columns = column_statistics(X, sw, self.fit_intercept)
        Xs = sp.csr_matrix(columns.X) @ sp.diags(1.0 / columns.col_scale)
        n, p = Xs.shape
        levels, K = self.quantiles_, len(self.quantiles_)
        kappa = kink_scale(y[:, None], sw)
        share = sw / sw.sum() * n  # a sample's cost, about 1
        split = self.penalty == "l1" and self.alpha > 0
        n_w = (2 if split else 1) * p
        n_b = int(self.fit_intercept)
        size = n_w + n_b + 2 * n  # one level's block: w (split), b, residual parts u, v
        # alpha |w_j| = kappa alpha |v_j| / col_scale_j for v = w col_scale / kappa, and
        # the whole objective is divided by kappa / n
        l1 = self.alpha * n / columns.col_scale if split else np.zeros(p)
        cost, bounds, rows = [], [], []
        coef_block = sp.hstack([Xs, -Xs]) if split else Xs
        eye = sp.identity(n, format="csr")
        ones = sp.csr_matrix(np.ones((n, 1)))
        for k, q in enumerate(levels):
            cost += [np.tile(l1, 2) if split else l1, np.zeros(n_b), q * share,
                     (1 - q) * share]
            bounds += ([(0, None)] * n_w if split else [(None, None)] * n_w)
            bounds += [(None, None)] * n_b + [(0, None)] * (2 * n)
            # x_i w_k + b_k + u_ik - v_ik = y_i (u, v: the residual's parts)
            block = [coef_block] + ([ones] if n_b else []) + [eye, -eye]
            rows.append(sp.hstack(block, format="csr"))
        A_eq = sp.block_diag(rows, format="csr")
        # the predictions of level k + 1 minus those of level k at every sample: >= 0
        prediction = sp.hstack([coef_block] + ([ones] if n_b else [])
                               + [sp.csr_matrix((n, 2 * n))], format="csr")
        crossing = [sp.hstack([sp.csr_matrix((n, size * k)), prediction, -prediction,
                               sp.csr_matrix((n, size * (K - k - 2)))], format="csr")
                    for k in range(K - 1)]
        A_ub = sp.vstack(crossing, format="csr") if crossing else None
        tolerance = float(np.clip(self.tol, 1e-10, 1e-7))
        res = linprog(np.concatenate([np.asarray(c, dtype=float) for c in cost]),
                      A_ub=A_ub, b_ub=np.zeros(n * (K - 1)) if crossing else None,
                      A_eq=A_eq, b_eq=np.tile(y / kappa, K), bounds=bounds,
                      method="highs",
                      options={"maxiter": self.max_iter,
                               "primal_feasibility_tolerance": tolerance,
                               "dual_feasibility_tolerance": tolerance})
        x = res.x if res.x is not None else np.zeros(size * K)
        coef, intercept = np.zeros((K, p)), np.zeros(K)
        for k in range(K):
            block = x[k * size: (k + 1) * size]
            v = block[:p] - block[p: 2 * p] if split else block[:p]
            coef[k] = v * kappa / columns.col_scale
            intercept[k] = block[n_w] * kappa if n_b else 0.0
        # the LP is written on the (shifted) X itself: back to the caller's columns
        self.coef_ = coef
        self.intercept_ = intercept - coef @ columns.shift
        self.n_iter_ = int(res.nit)
        self.converged_ = res.status == 0
        if not self.converged_:
            warnings.warn(f"HiGHS did not solve the multi-quantile LP: {res.message} Try a "
                          "larger max_iter.", ConvergenceWarning, stacklevel=3)

    def predict(self, X):
        """The predicted quantiles, one column per level of ``quantiles_``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples, n_quantiles)
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=["csr", "csc"],
                          dtype=[np.float64, np.float32], reset=False)
        return np.asarray(X @ self.coef_.T) + self.intercept_

    def score(self, X, y, sample_weight=None):
        """Minus the mean pinball loss over the levels (greater is better), the
        measure the fit minimises (its penalty aside).

        Returns
        -------
        score : float
        """
        return -multi_pinball_loss(y, self.predict(X), sample_weight=sample_weight,
                                   quantiles=self.quantiles_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
