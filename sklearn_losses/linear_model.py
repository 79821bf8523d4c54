"""The estimators: validate, choose a solver, solve, store."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ._compat import Interval, StrOptions, _check_sample_weight
from ._solvers import SOLVERS, solve
from .losses import REGRESSION_LOSSES, Loss, resolve_loss
from .penalties import penalty_strengths

_OBJECTIVE_DOC = r"""
    The objective, minimised over the coefficients ``w`` and intercept ``b``, is

    .. math::

        \frac{1}{\sum_i s_i} \sum_i s_i \, \mathrm{loss}(y_i, x_i \cdot w + b)
        + \alpha \left( \rho \lVert w \rVert_1 + \tfrac12 (1 - \rho) \lVert w \rVert_2^2 \right)

    with :math:`s_i` the sample weights (1 by default), :math:`\rho` = ``l1_ratio`` for
    ``penalty="elasticnet"``, 1 for ``"l1"``, 0 for ``"l2"`` and no penalty for ``None``.
    The intercept is never penalised.
"""


class _LossLinearModel(BaseEstimator):
    """Shared parameter handling and fitting for the loss estimators."""

    _parameter_constraints = {
        "penalty": [StrOptions({"l1", "l2", "elasticnet"}), None],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "fit_intercept": ["boolean"],
        "solver": [StrOptions(set(SOLVERS))],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
    }

    def _validate_data_xy(self, X, y, **kwargs):
        return validate_data(
            self, X, y, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32],
            **kwargs,
        )

    def _sample_weight(self, sample_weight, X):
        return _check_sample_weight(sample_weight, X, dtype=np.float64,
                                    ensure_non_negative=True)

    def _solve(self, loss, X, y, sw, W0, b0, n_outputs=1, positive=False):
        l1, l2 = penalty_strengths(self.penalty, self.alpha, self.l1_ratio)
        return solve(
            loss, X, y, sw, l1=l1, l2=l2, fit_intercept=self.fit_intercept,
            positive=positive, solver=self.solver, tol=self.tol, max_iter=self.max_iter,
            coef_init=W0, intercept_init=b0, n_outputs=n_outputs, verbose=self.verbose,
        )

    def _start(self, loss, y, sw, n_features, n_outputs, index=None):
        """Starting point: the previous solution with warm_start, else w = 0 and the
        intercept-only optimum."""
        if self.warm_start and hasattr(self, "coef_"):
            coef = np.atleast_2d(self.coef_).astype(np.float64)
            intercept = np.atleast_1d(self.intercept_).astype(np.float64)
            if index is not None:
                coef, intercept = coef[index: index + n_outputs], intercept[index: index + n_outputs]
            if coef.shape == (n_outputs, n_features):
                return coef, (intercept if self.fit_intercept else np.zeros(n_outputs))
        b0 = np.zeros(n_outputs)
        if self.fit_intercept:
            b0[:] = loss.intercept_only(y, sw)
        return np.zeros((n_outputs, n_features)), b0


class LossRegressor(RegressorMixin, _LossLinearModel):
    __doc__ = r"""Linear regression with a selectable loss and an L1/L2/elastic-net penalty.
    """ + _OBJECTIVE_DOC + r"""
    With ``loss="squared_error"`` this is scikit-learn's ``ElasticNet``/``Lasso`` objective
    (and ``Ridge`` with ``alpha_ridge = n_samples * alpha``); with ``loss="quantile"`` and
    ``penalty="l1"`` it is ``QuantileRegressor``'s, with the same ``alpha``.

    Parameters
    ----------
    loss : str or Loss, default="squared_error"
        One of ``"squared_error"``, ``"absolute_error"``, ``"huber"``, ``"quantile"``,
        ``"epsilon_insensitive"``, ``"squared_epsilon_insensitive"``, ``"poisson"``, or a
        loss object such as ``Huber(delta=2.0)`` (its parameters are tunable as
        ``loss__delta``).
    penalty : {"l1", "l2", "elasticnet"} or None, default="l2"
        The penalty on the coefficients.
    alpha : float, default=1e-4
        Penalty strength (>= 0).
    l1_ratio : float, default=0.5
        The L1 share :math:`\rho` of ``penalty="elasticnet"``, in [0, 1].
    fit_intercept : bool, default=True
        Whether to fit an (unpenalised) intercept.
    positive : bool, default=False
        Constrain the coefficients to be >= 0.
    solver : {"auto", "lbfgs", "highs", "smoothing"}, default="auto"
        ``"auto"`` uses L-BFGS-B for smooth losses, the exact HiGHS linear programme for
        piecewise-linear losses with ``penalty`` None or ``"l1"``, and smoothing
        continuation with an exact crossover for piecewise-linear losses with an L2 part.
    tol : float, default=1e-6
        Optimality tolerance, relative to the largest gradient entry at ``w = 0``.
    max_iter : int, default=1000
        Maximum number of solver iterations.
    warm_start : bool, default=False
        Start from the previous solution when refitting.
    verbose : int, default=0
        Print solver progress when > 0.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
    intercept_ : float or ndarray of shape (n_targets,)
    n_iter_ : int
        Solver iterations (the largest over targets).
    converged_ : bool
        Whether the optimality conditions held to ``tol`` (for every target).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when ``X`` has string feature names.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn_losses import LossRegressor, Huber
    >>> X, y = load_diabetes(return_X_y=True)
    >>> model = LossRegressor(loss=Huber(delta=20.0), penalty="l1", alpha=0.1).fit(X, y)
    >>> model.coef_.shape
    (10,)
    """

    _parameter_constraints = {
        **_LossLinearModel._parameter_constraints,
        "loss": [StrOptions(set(REGRESSION_LOSSES)), Loss],
        "positive": ["boolean"],
    }

    def __init__(self, loss="squared_error", *, penalty="l2", alpha=1e-4, l1_ratio=0.5,
                 fit_intercept=True, positive=False, solver="auto", tol=1e-6,
                 max_iter=1000, warm_start=False, verbose=0):
        self.loss = loss
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.positive = positive
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.warm_start = warm_start
        self.verbose = verbose

    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            One independent model is fitted per target column.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : LossRegressor
        """
        self._validate_params()
        loss = resolve_loss(self.loss)
        X, y = self._validate_data_xy(X, y, multi_output=True, y_numeric=True)
        loss.check_target(y)
        sw = self._sample_weight(sample_weight, X)
        X = X.astype(np.float64, copy=False)
        Y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        coefs, intercepts, n_iters, converged = [], [], [], []
        for k in range(Y.shape[1]):
            W0, b0 = self._start(loss, Y[:, k], sw, X.shape[1], 1, index=k)
            res = self._solve(loss, X, Y[:, k], sw, W0, b0, positive=self.positive)
            coefs.append(res.coef[0])
            intercepts.append(res.intercept[0])
            n_iters.append(res.n_iter)
            converged.append(res.converged)
        coef, intercept = np.array(coefs), np.array(intercepts)
        if y.ndim == 1:
            coef, intercept = coef[0], float(intercept[0])
        self.coef_ = coef
        self.intercept_ = intercept
        self.n_iter_ = int(max(n_iters))
        self.converged_ = bool(all(converged))
        self.loss_ = loss
        return self

    def _raw(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=["csr", "csc"],
                          dtype=[np.float64, np.float32], reset=False)
        return np.asarray(X @ np.transpose(self.coef_)) + self.intercept_

    def predict(self, X):
        """Predict targets: the inverse link of ``X @ coef_ + intercept_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
        """
        raw = self._raw(X)
        return self.loss_.inverse_link(raw)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.multi_output = True
        loss = self.loss
        cls = REGRESSION_LOSSES.get(loss) if isinstance(loss, str) else type(loss)
        if cls is not None and getattr(cls, "target_min", -np.inf) >= 0:
            tags.target_tags.positive_only = True
        return tags
