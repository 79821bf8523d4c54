r"""Several quantiles in one fit, their predictions never crossing on the training data.

Fitted one by one, linear quantile models at nearby levels cross: at some samples the
0.6 quantile is predicted below the 0.5 one. :class:`MultiQuantileRegressor` fits all
levels :math:`q_1 < \dots < q_K` in one problem,

.. math::

    \min_{w_k, b_k} \; \sum_{k=1}^K \left[ \frac{1}{\sum_i s_i} \sum_i s_i\,
    \rho_{q_k}(y_i - x_i \cdot w_k - b_k) + \alpha \sum_j f_j \lvert w_{kj} \rvert \right]
    \quad \text{s.t.} \quad x_i \cdot w_{k+1} + b_{k+1} \ge x_i \cdot w_k + b_k
    \;\; \text{for every training sample } i \text{ and } k < K,

with :math:`\rho_q(r) = \max(q r, (q - 1) r)` the pinball loss (:math:`f_j` the
``penalty_factor``, 1 by default): each level's objective is
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
from ._solvers import DEFAULT_OPTIONS
from ._solvers.data import column_statistics
from ._solvers.lp import band_size, kink_scale
from .linear_model import LossRegressor, check_dense_y, checked_sample_weight
from .losses import Quantile
from .metrics import multi_pinball_loss
from .penalties import checked_factor


# Rounds of the band LP before the whole joint LP is solved instead
_MAX_ROUNDS = 30


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
    quantiles kept in order on every training sample (``non_crossing=True``). The levels
    are first fitted independently (exact, and fast); where those fits do not cross on
    the training samples they are the joint optimum, otherwise the joint LP is solved.

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
    penalty_factor : array-like of shape (n_features,), dict or None, default=None
        Per-feature penalty factors (0: unpenalised), every level alike, as in
        :class:`~sklearn_losses.LossRegressor`.
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
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
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
        "penalty_factor": ["array-like", dict, None],
        "fit_intercept": ["boolean"],
        "non_crossing": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, quantiles=(0.1, 0.5, 0.9), *, penalty="l1", alpha=1e-4,
                 l1_ratio=0.5, penalty_factor=None, fit_intercept=True, non_crossing=True,
                 tol=1e-6, max_iter=10000):
        self.quantiles = quantiles
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.penalty_factor = penalty_factor
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
        # (a dict's feature names resolved here: the levels' fits see an array)
        self._factor = checked_factor(self.penalty_factor, X.shape[1],
                                      getattr(self, "feature_names_in_", None))
        self._fit_independently(X, y, sw)
        if self.non_crossing and self._crossings(X, y, sw):
            self._fit_jointly(X, y, sw)
        return self

    def _crossings(self, X, y, sw):
        """Whether the fitted levels' predictions cross at a weighted training sample
        (beyond rounding, 1e-9 of the targets' spread). Independent fits that do not
        cross minimise the joint objective without the constraint and satisfy it: they
        are its optimum, and the joint LP is not needed."""
        weighted = sw > 0
        pred = np.asarray(X[weighted] @ self.coef_.T) + self.intercept_
        tiny = 1e-9 * kink_scale(y[weighted][:, None], sw[weighted])
        return bool(np.any(np.diff(pred, axis=1) < -tiny))

    def _fit_independently(self, X, y, sw):
        models = [LossRegressor(Quantile(quantile=q), penalty=self.penalty, alpha=self.alpha,
                                l1_ratio=self.l1_ratio, penalty_factor=self._factor,
                                fit_intercept=self.fit_intercept, tol=self.tol,
                                max_iter=self.max_iter).fit(X, y, sw)
                  for q in self.quantiles_]
        self.coef_ = np.array([m.coef_ for m in models])
        self.intercept_ = np.array([m.intercept_ for m in models])
        self.n_iter_ = max(m.n_iter_ for m in models)
        self.converged_ = all(m.converged_ for m in models)

    def _fit_jointly(self, X, y, sw):
        """The joint LP from the independent fits, on the samples near their kinks.

        As :func:`~sklearn_losses._solvers.lp.band_lp` does for one level: a (sample,
        level) pair far from its kink at the independent fits is taken to stay on its
        side (its pinball loss a linear term, which is at most the loss), and only the
        samples whose predictions cross, or come to, carry the ordering constraint.
        Both are relaxations: a solution whose every pair lies on its assumed side and
        whose predictions keep their order at every sample is the joint optimum. Pairs
        and samples found otherwise join, and the LP is solved again (an unbounded one
        doubles the bands); after ``_MAX_ROUNDS`` such solves the whole LP is solved.

        The LP is posed in standardised units (HiGHS's tolerances are absolute):
        columns divided by their scale (far-offset columns shifted first, see
        :func:`~sklearn_losses._solvers.data.column_statistics`), y divided by the
        spread of the targets, costs multiplied by n so that a sample costs about 1.
        """
        weighted = sw > 0
        X, y, sw = X[weighted], y[weighted], sw[weighted]
        columns = column_statistics(X, sw, self.fit_intercept)
        Xs = sp.csr_matrix(columns.X) @ sp.diags(1.0 / columns.col_scale)
        n, K = X.shape[0], len(self.quantiles_)
        kappa = kink_scale(y[:, None], sw)
        factor = self._factor
        l1 = self.alpha * n / columns.col_scale * (1.0 if factor is None else factor)
        lp = _JointLP(Xs, y / kappa, sw / sw.sum() * n, self.quantiles_,
                      l1 if self.penalty == "l1" else None, self.fit_intercept, self.tol,
                      self.max_iter)
        # the independent fits' residuals in the LP's units: the bands, the crossings
        F = (np.asarray(X @ self.coef_.T) + self.intercept_) / kappa
        residual = (y / kappa)[:, None] - F
        side = np.where(residual > 0, 1, -1)
        bands = [min(n, band_size(self.coef_[k], self.fit_intercept)) for k in range(K)]
        order = np.argsort(np.abs(residual), axis=0, kind="stable")
        for k in range(K):
            side[order[: bands[k], k], k] = 0
        ordered = np.diff(F, axis=1) >= -lp.tiny
        constrained = ~ordered.all(axis=1)
        n_iter, result = 0, None
        for _ in range(_MAX_ROUNDS):
            result = lp.solve(side, constrained)
            n_iter += result.nit
            if result.status == 3:  # unbounded: too few pairs pin (w, b) down
                for k in range(K):
                    bands[k] = min(n, 2 * bands[k])
                    side[order[: bands[k], k], k] = 0
                continue
            if result.status != 0:
                result = None
                break
            F = lp.predictions(result.x)
            residual = (y / kappa)[:, None] - F
            wrong = ((side > 0) & (residual < -lp.tiny)) | ((side < 0) & (residual > lp.tiny))
            crossed = ~constrained & np.any(np.diff(F, axis=1) < -lp.tiny, axis=1)
            if not wrong.any() and not crossed.any():
                break
            side[wrong] = 0
            constrained |= crossed
        else:
            result = None
        if result is None:  # the whole LP: every pair in the band, every sample ordered
            result = lp.solve(np.zeros_like(side), np.ones(n, dtype=bool))
            n_iter += result.nit
        coef, intercept = lp.coefficients(result.x)
        coef = coef * kappa / columns.col_scale
        # the LP is written on the (shifted) X itself: back to the caller's columns
        self.coef_ = coef
        self.intercept_ = intercept * kappa - coef @ columns.shift
        self.n_iter_ = int(n_iter)
        self.converged_ = result.status == 0
        if not self.converged_:
            warnings.warn(f"HiGHS did not solve the multi-quantile LP: {result.message} "
                          "Try a larger max_iter.", ConvergenceWarning, stacklevel=3)

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


class _JointLP:
    """The joint multi-quantile LP on standardised columns ``Xs`` and targets ``t``,
    for given bands and constrained samples (:meth:`solve`).

    Per level ``k``: the coefficients ``v_k`` (split ``v+ - v-`` with an L1 cost
    ``l1``), the intercept ``b_k``, and for each (sample, level) pair in the band
    (``side == 0``) the residual's parts ``u, v >= 0`` with
    ``x_i v_k + b_k + u - v = t_i``; a pair off the band adds its side's linear piece of
    the pinball loss to the costs of ``v_k`` and ``b_k``. Each constrained sample gets
    ``x_i v_k + b_k <= x_i v_{k+1} + b_{k+1}`` for every adjacent pair of levels.
    """

    def __init__(self, Xs, t, share, levels, l1, fit_intercept, tol, max_iter):
        self.Xs, self.t, self.share, self.levels = Xs, t, share, levels
        self.p = Xs.shape[1]
        self.split = l1 is not None and np.any(l1 > 0)
        self.l1 = l1 if self.split else np.zeros(self.p)
        self.n_w = (2 if self.split else 1) * self.p
        self.n_b = int(fit_intercept)
        self.tol, self.max_iter = tol, max_iter
        self.tiny = 1e-9 * (1.0 + np.abs(t))[:, None]
        self.coef_block = sp.hstack([Xs, -Xs], format="csr") if self.split else Xs

    def _level_columns(self, rows):
        """The prediction's columns ``[v (split), b]`` for ``rows``."""
        block = self.coef_block[rows]
        if self.n_b:
            block = sp.hstack([block, sp.csr_matrix(np.ones((len(rows), 1)))], format="csr")
        return block

    def solve(self, side, constrained):
        n_w, n_b, K = self.n_w, self.n_b, len(self.levels)
        cost, bounds, eq_blocks, b_eq, starts = [], [], [], [], []
        start = 0
        for k, q in enumerate(self.levels):
            band = np.flatnonzero(side[:, k] == 0)
            m = len(band)
            # the fixed pairs' pinball pieces: q (t - f) right of the kink, (1 - q) (f - t)
            # left of it; their terms in f on v_k and b_k
            a = np.where(side[:, k] > 0, -q, np.where(side[:, k] < 0, 1 - q, 0.0)) * self.share
            c_w = np.asarray(self.Xs.T @ a).ravel()
            cost += [np.concatenate([c_w + self.l1, -c_w + self.l1]) if self.split else c_w,
                     [a.sum()] * n_b, q * self.share[band], (1 - q) * self.share[band]]
            bounds += ([(0, None)] * n_w if self.split else [(None, None)] * n_w)
            bounds += [(None, None)] * n_b + [(0, None)] * (2 * m)
            eye = sp.identity(m, format="csr")
            eq_blocks.append(sp.hstack([self._level_columns(band), eye, -eye], format="csr"))
            b_eq.append(self.t[band])
            starts.append(start)
            start += n_w + n_b + 2 * m
        size = start
        A_eq = sp.block_diag(eq_blocks, format="csr")
        rows = np.flatnonzero(constrained)
        A_ub = None
        if len(rows) and K > 1:
            pred = self._level_columns(rows).tocoo()
            r, c, v = [], [], []
            for k in range(K - 1):  # f_k - f_{k+1} <= 0 at each constrained sample
                offset = k * len(rows)
                r += [pred.row + offset, pred.row + offset]
                c += [pred.col + starts[k], pred.col + starts[k + 1]]
                v += [pred.data, -pred.data]
            A_ub = sp.csr_matrix((np.concatenate(v), (np.concatenate(r), np.concatenate(c))),
                                 shape=((K - 1) * len(rows), size))
        tolerance = float(np.clip(self.tol, 1e-10, 1e-7))
        # HiGHS's interior-point method (its crossover returns a vertex) from a few
        # hundred rows on: the dual simplex pivots through thousands of vertices here
        ipm = A_eq.shape[0] >= DEFAULT_OPTIONS.lp_ipm_min_rows
        self.starts = starts
        return linprog(np.concatenate([np.asarray(x, dtype=float) for x in cost]),
                       A_ub=A_ub, b_ub=None if A_ub is None else np.zeros(A_ub.shape[0]),
                       A_eq=A_eq, b_eq=np.concatenate(b_eq), bounds=bounds,
                       method="highs-ipm" if ipm else "highs",
                       options={"maxiter": max(self.max_iter, 10 * size),
                                "primal_feasibility_tolerance": tolerance,
                                "dual_feasibility_tolerance": tolerance,
                                **({"ipm_optimality_tolerance": tolerance} if ipm else {})})

    def coefficients(self, x):
        """``(v (K, p), b (K,))`` of the last solve's solution ``x``."""
        p, K = self.p, len(self.levels)
        v, b = np.zeros((K, p)), np.zeros(K)
        if x is None:
            return v, b
        for k, start in enumerate(self.starts):
            block = x[start: start + self.n_w + self.n_b]
            v[k] = block[:p] - block[p: 2 * p] if self.split else block[:p]
            b[k] = block[self.n_w] if self.n_b else 0.0
        return v, b

    def predictions(self, x):
        v, b = self.coefficients(x)
        return np.asarray(self.Xs @ v.T) + b
