"""The estimators: validate, choose a solver, solve, store."""

from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils import assert_all_finite
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ._compat import Interval, StrOptions, _check_sample_weight
from ._solvers import SOLVERS, Problem, solve
from .losses import CLASSIFICATION_LOSSES, REGRESSION_LOSSES, Loss, resolve_loss
from .penalties import Penalty, checked_factor

_OBJECTIVE_DOC = r"""
    The objective, minimised over the coefficients ``w`` and intercept ``b``, is

    .. math::

        \frac{1}{\sum_i s_i} \sum_i s_i \, \mathrm{loss}(y_i, x_i \cdot w + b)
        + \alpha \sum_j f_j \left( \rho \lvert w_j \rvert + \tfrac12 (1 - \rho) w_j^2 \right)

    with :math:`s_i` the sample weights (1 by default), :math:`\rho` = ``l1_ratio`` for
    ``penalty="elasticnet"``, 1 for ``"l1"``, 0 for ``"l2"`` and no penalty for ``None``,
    and :math:`f_j` the ``penalty_factor`` of feature :math:`j` (1 by default; 0 leaves
    it unpenalised). The intercept is never penalised.
"""


def check_dense_y(estimator, y):
    """A ``ValueError`` naming ``y`` for a sparse target (scikit-learn's checks accept one
    for several outputs, which the solvers cannot use)."""
    if sp.issparse(y):
        raise ValueError(f"{type(estimator).__name__} needs a dense y; got a sparse "
                         f"{type(y).__name__}: pass y.toarray().")


def checked_sample_weight(sample_weight, X):
    """Validated ``sample_weight`` (finite, non-negative, not all 0), divided by its
    largest entry. The objective normalises weights by their sum, so rescaling them
    changes nothing, except that any positive finite weights (1e308 as well as 1e-300)
    then sum without overflow."""
    sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64,
                                         ensure_non_negative=True)
    return sample_weight / sample_weight.max()


class _LossLinearModel(BaseEstimator):
    """Shared parameter handling and fitting for the loss estimators."""

    _parameter_constraints = {
        "penalty": [StrOptions({"l1", "l2", "elasticnet"}), None],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "penalty_factor": ["array-like", dict, None],
        "fit_intercept": ["boolean"],
        "solver": [StrOptions(set(SOLVERS))],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
    }

    def set_params(self, **params):
        """Set the parameters, as :meth:`sklearn.base.BaseEstimator.set_params`.

        A loss given by name takes its own parameters too: ``loss="huber"`` with
        ``loss__delta=5.0`` becomes ``loss=Huber(delta=5.0)`` (the named loss's class,
        its other parameters at their defaults), so ``GridSearchCV`` can tune
        ``lossregressor__loss__delta`` whether the loss was given by name or as an object.

        Returns
        -------
        self
        """
        if any(key.startswith("loss__") for key in params):
            loss = params.get("loss", self.loss)
            if isinstance(loss, str):
                params["loss"] = resolve_loss(loss, classifier=isinstance(self, ClassifierMixin))
        return super().set_params(**params)

    def _validate_data_xy(self, X, y, **kwargs):
        check_dense_y(self, y)
        # X's finiteness is checked by the solver, on sums over X it computes anyway
        # (_objective.check_finite; the same ValueError), instead of a pass of its own
        return validate_data(
            self, X, y, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32],
            ensure_all_finite=False, **kwargs,
        )

    def _sample_weight(self, sample_weight, X):
        if sample_weight is None:  # scikit-learn's check would make these ones, slower
            return np.ones(X.shape[0])
        return checked_sample_weight(sample_weight, X)

    def _penalty(self, n_features):
        """The :class:`~sklearn_losses.penalties.Penalty` the parameters describe, for
        ``n_features`` features (``penalty_factor`` is checked against them, a dict's
        names against ``feature_names_in_``)."""
        factor = checked_factor(self.penalty_factor, n_features,
                                getattr(self, "feature_names_in_", None))
        return Penalty(self.penalty, self.alpha, self.l1_ratio,
                       positive=getattr(self, "positive", False), factor=factor)

    def _start(self, n_outputs, n_features, index):
        """Starting point of the problem whose outputs start at row ``index`` of
        ``coef_``: the previous solution with warm_start, else w = 0 and the
        intercept-only optimum (``None``: the solver computes it once, with its
        tolerance scales)."""
        if self.warm_start and hasattr(self, "coef_"):
            coef = np.atleast_2d(self.coef_).astype(np.float64)
            intercept = np.atleast_1d(self.intercept_).astype(np.float64)
            coef, intercept = coef[index: index + n_outputs], intercept[index: index + n_outputs]
            if coef.shape == (n_outputs, n_features):
                return coef, (intercept if self.fit_intercept else np.zeros(n_outputs))
        return np.zeros((n_outputs, n_features)), None

    def _fit_problems(self, prepared):
        """Solve each of ``prepared``'s problems (their caches keep what a refit on the
        same data can reuse, e.g. a Gram matrix); stack the results into ``coef_``
        (n_outputs_total, n_features) and ``intercept_`` (1-D, and a float for a single
        regression target)."""
        X = prepared.X
        penalty = self._penalty(X.shape[1])
        results, start = [], 0
        for problem in prepared.problems:
            W0, b0 = self._start(problem.n_outputs, X.shape[1], start)
            try:
                results.append(solve(
                    problem, penalty, solver=self.solver, tol=self.tol,
                    max_iter=self.max_iter, coef_init=W0, intercept_init=b0,
                    verbose=self.verbose,
                ))
            except ValueError as error:
                # the solver checks X's finiteness on its own sums (fit validates X
                # without that pass): scikit-learn's error again, with its advice for
                # this estimator
                try:
                    assert_all_finite(X, estimator_name=type(self).__name__, input_name="X")
                except ValueError as detailed:
                    raise detailed from None
                raise error
            start += problem.n_outputs
        self.coef_ = np.vstack([r.coef for r in results]).astype(prepared.dtype, copy=False)
        self.intercept_ = np.concatenate([r.intercept for r in results]).astype(
            prepared.dtype, copy=False)
        self.n_iter_ = int(max(r.n_iter for r in results))
        self.converged_ = all(r.converged for r in results)
        self.routes_ = [r.route for r in results]
        self.loss_ = prepared.loss
        if prepared.squeeze:
            self.coef_, self.intercept_ = self.coef_[0], self.intercept_[0]
            if prepared.dtype == np.float64:
                self.intercept_ = float(self.intercept_)

    def _raw(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=["csr", "csc"],
                          dtype=[np.float64, np.float32], reset=False)
        return raw_scores(self, X)


def raw_scores(model, X):
    """``X @ coef_.T + intercept_`` of a fitted model for validated ``X``: shape
    ``(n_samples, n_outputs)``, ``(n_samples,)`` for a single regression target."""
    return np.asarray(X @ np.transpose(model.coef_)) + model.intercept_


@dataclass
class Prepared:
    """A fit's validated input: ``X`` (float64), the independent
    :class:`~sklearn_losses._solvers.Problem` s it splits into (one per target column,
    one-vs-rest class or label; one joint multinomial problem), the resolved loss,
    ``squeeze``: a single regression target, returned 1-D, and ``dtype``: the input's
    (float32 input is solved in float64, its coefficients returned in float32, as
    scikit-learn's linear models return them)."""

    X: object
    problems: list
    loss: Loss
    squeeze: bool = False
    dtype: type = np.float64


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
    penalty_factor : array-like of shape (n_features,), dict or None, default=None
        Per-feature factors :math:`f_j \ge 0` multiplying both parts of the penalty
        (glmnet's ``penalty.factor``): 0 leaves a feature unpenalised (a known
        confounder), larger values shrink it more (the adaptive lasso's
        ``1 / |w_ridge|``). Used as given, not rescaled. A dict sets some features'
        factors by column position or feature name (``{"age": 0.0}``), the others
        keeping 1. ``None``: 1 for every feature.
    fit_intercept : bool, default=True
        Whether to fit an (unpenalised) intercept.
    positive : bool, default=False
        Constrain the coefficients to be >= 0.
    solver : {"auto", "lbfgs", "highs", "smoothing"}, default="auto"
        ``"auto"`` uses L-BFGS-B for smooth losses (on the Gram matrix for squared
        error) and smoothing continuation with an exact crossover for piecewise-linear
        losses; ``"highs"`` solves the exact linear programme of a piecewise-linear loss
        with ``penalty`` None or ``"l1"`` with HiGHS. See the user guide.
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
    routes_ : list of str
        How each target's problem was solved: the route's name (e.g.
        ``"normal-equations"``, ``"gram-working-set"``, ``"lbfgs"``, ``"smoothing"``),
        followed by the routes it fell back to or finished with after ``" > "``. See
        the user guide.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Defined when ``X`` has string feature names.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn_losses import LossRegressor, Huber
    >>> X, y = load_diabetes(return_X_y=True)
    >>> model = LossRegressor(loss=Huber(delta=20.0), penalty="l1", alpha=0.1).fit(X, y)
    >>> model.coef_.shape
    (10,)

    An adaptive lasso: an L1 penalty whose factors are ``1 / |w|`` of a first (ridge)
    fit, so that large effects are shrunk little and small ones are removed:

    >>> import numpy as np
    >>> ridge = LossRegressor(penalty="l2", alpha=1e-3).fit(X, y)
    >>> adaptive = LossRegressor(penalty="l1", alpha=30.0,
    ...                          penalty_factor=1 / np.abs(ridge.coef_)).fit(X, y)
    >>> np.flatnonzero(adaptive.coef_)
    array([1, 2, 3, 6, 8])
    """

    _parameter_constraints = {
        **_LossLinearModel._parameter_constraints,
        "loss": [StrOptions(set(REGRESSION_LOSSES)), Loss],
        "positive": ["boolean"],
    }

    def __init__(self, loss="squared_error", *, penalty="l2", alpha=1e-4, l1_ratio=0.5,
                 penalty_factor=None, fit_intercept=True, positive=False, solver="auto",
                 tol=1e-6, max_iter=1000, warm_start=False, verbose=0):
        self.loss = loss
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.penalty_factor = penalty_factor
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
        self._fit_problems(self._prepare(X, y, sample_weight))
        return self

    def _prepare(self, X, y, sample_weight):
        """The validated data as :class:`Prepared`: one problem per target column."""
        X, y = self._validate_data_xy(X, y, multi_output=True, y_numeric=True)
        dtype = X.dtype
        X = X.astype(np.float64, copy=False)  # float32 input: one float64 copy per fit
        loss = resolve_loss(self.loss)
        loss.check_target(y)
        sw = self._sample_weight(sample_weight, X)
        Y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        problems = [Problem(loss, X, Y[:, k], sw, self.fit_intercept)
                    for k in range(Y.shape[1])]
        return Prepared(X, problems, loss, squeeze=y.ndim == 1, dtype=dtype)

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


def _has_proba(estimator):
    """``available_if`` test: the loss (name or object) defines probabilities."""
    loss = estimator.loss
    cls = CLASSIFICATION_LOSSES.get(loss) if isinstance(loss, str) else type(loss)
    return bool(getattr(cls, "has_proba", False))


class LossClassifier(ClassifierMixin, _LossLinearModel):
    __doc__ = r"""Linear classifier with a selectable loss and an L1/L2/elastic-net penalty.
    """ + _OBJECTIVE_DOC + r"""
    Labels are encoded as :math:`y \in \{-1, +1\}` (binary), with the sample weights
    multiplied by the class weights; the normalising sum :math:`\sum_i s_i` stays the sum
    of ``sample_weight``. With ``loss="log_loss"`` and ``penalty="l2"`` this is
    ``LogisticRegression(C=1 / (n_samples * alpha))``.

    - More than two classes: one joint multinomial (softmax) problem for ``log_loss``;
      one-vs-rest binary problems, each solved to its optimum, for the margin losses.
    - Multi-label (a 2-D 0/1 indicator ``y``): one independent binary problem per label.

    Parameters
    ----------
    loss : str or Loss, default="log_loss"
        ``"log_loss"``, ``"hinge"``, ``"squared_hinge"``, ``"modified_huber"`` or a
        classification loss object.
    penalty : {"l1", "l2", "elasticnet"} or None, default="l2"
    alpha : float, default=1e-4
    l1_ratio : float, default=0.5
    penalty_factor : array-like of shape (n_features,), dict or None, default=None
        Per-feature penalty factors, as in :class:`LossRegressor` (one per feature, the
        same for every class).
    fit_intercept : bool, default=True
    class_weight : dict, "balanced" or None, default=None
        Weights per class, multiplied into the sample weights. ``"balanced"`` uses
        ``sum(sample_weight) / (n_classes * weighted class count)`` (per label, for 0/1,
        with multi-label targets).
    solver : {"auto", "lbfgs", "highs", "smoothing"}, default="auto"
    tol : float, default=1e-6
    max_iter : int, default=1000
    warm_start : bool, default=False
    verbose : int, default=0

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (label indices for multi-label targets).
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    n_iter_ : int
    converged_ : bool
    routes_ : list of str
        How each problem (the binary or joint multinomial one, each one-vs-rest class
        or label) was solved, as in :class:`LossRegressor`.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (``n_features_in_``,)

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_losses import LossClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = LossClassifier(penalty="l1", alpha=0.01).fit(X, y)
    >>> clf.coef_.shape
    (3, 4)
    """

    _parameter_constraints = {
        **_LossLinearModel._parameter_constraints,
        "loss": [StrOptions(set(CLASSIFICATION_LOSSES)), Loss],
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(self, loss="log_loss", *, penalty="l2", alpha=1e-4, l1_ratio=0.5,
                 penalty_factor=None, fit_intercept=True, class_weight=None, solver="auto",
                 tol=1e-6, max_iter=1000, warm_start=False, verbose=0):
        self.loss = loss
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.penalty_factor = penalty_factor
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.warm_start = warm_start
        self.verbose = verbose

    def fit(self, X, y, sample_weight=None):
        """Fit the classifier.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels of any type, or a 0/1 multi-label indicator matrix.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : LossClassifier
        """
        self._validate_params()
        self._fit_problems(self._prepare(X, y, sample_weight))
        return self

    def _prepare(self, X, y, sample_weight):
        """The validated data as :class:`Prepared`: the encoded binary, multinomial,
        one-vs-rest or per-label problems (see the class docstring), each normalised by
        the sum of the user's sample weights."""
        X, y = self._validate_data_xy(X, y, multi_output=True)
        dtype = X.dtype
        X = X.astype(np.float64, copy=False)  # float32 input: one float64 copy per fit
        loss = resolve_loss(self.loss, classifier=True)
        check_classification_targets(y)
        sw = self._sample_weight(sample_weight, X)
        target = type_of_target(y, input_name="y")
        if target.endswith("multioutput"):
            raise ValueError(
                "LossClassifier supports binary, multiclass or multi-label targets; got "
                f"{target} y. A 2-D y must be a multi-label indicator matrix of 0 and 1."
            )
        self.multilabel_ = target == "multilabel-indicator"
        if self.multilabel_:
            encoded = self._multilabel_problems(y, sw)
        else:
            encoded = self._label_problems(loss, column_or_1d(y, warn=True), sw)
        normalizer = float(np.sum(sw))
        problems = [Problem(loss, X, y_enc, weights, self.fit_intercept, n_outputs=n_out,
                            normalizer=normalizer) for y_enc, weights, n_out in encoded]
        return Prepared(X, problems, loss, dtype=dtype)

    def _label_problems(self, loss, y, sw):
        """``(y_encoded, weights, n_outputs)`` of each problem. Binary: one ±1 problem.
        Multi-class: one joint multinomial problem for a loss that supports it, else
        one-vs-rest ±1 problems."""
        self.classes_, y_index = np.unique(y, return_inverse=True)
        n_classes = len(self.classes_)
        if n_classes < 2:
            raise ValueError(
                "LossClassifier needs samples of at least 2 classes in the data, but the "
                f"data contain only one class: {self.classes_[0].tolist()!r}."
            )
        # before class weighting ("balanced" divides by each class's weight) and after
        # (a class_weight of 0)
        self._check_two_weighted_classes(y_index, sw)
        sw = sw * self._class_weights(self.classes_, y, sw)
        self._check_two_weighted_classes(y_index, sw)
        if n_classes == 2:
            return [(2.0 * y_index - 1.0, sw, 1)]
        if loss.multinomial:
            return [(np.eye(n_classes)[y_index], sw, n_classes)]
        return [(np.where(y_index == k, 1.0, -1.0), sw, 1) for k in range(n_classes)]

    def _check_two_weighted_classes(self, y_index, weights):
        weighted = np.unique(y_index[weights > 0])
        if len(weighted) < 2:
            raise ValueError(
                "LossClassifier needs samples of at least 2 classes with positive "
                "sample_weight (times class_weight); only class "
                f"{self.classes_[weighted[0]].tolist()!r} has any."
            )

    def _multilabel_problems(self, Y, sw):
        if not np.all(np.isin(Y, (0, 1))):
            raise ValueError("A 2-D y must be a multi-label indicator matrix of 0 and 1.")
        if isinstance(self.class_weight, dict):
            raise ValueError(
                "class_weight as a dict is not supported for multi-label targets; "
                "use None or 'balanced'."
            )
        self.classes_ = np.arange(Y.shape[1])
        problems = []
        for k in range(Y.shape[1]):
            column = Y[:, k]
            if len(np.unique(column)) < 2:
                raise ValueError(f"Label {k} of the multi-label y has a single value; "
                                 "each label needs both 0 and 1.")
            weights = sw * self._class_weights(np.array([0, 1]), column, sw)
            problems.append((2.0 * column - 1.0, weights, 1))
        return problems

    def _class_weights(self, classes, y, sample_weight):
        if self.class_weight is None:
            return 1.0
        if isinstance(self.class_weight, dict):
            unknown = set(self.class_weight) - set(classes.tolist())
            if unknown:
                raise ValueError(
                    f"class_weight names classes not in y: {sorted(unknown, key=str)}; "
                    f"the classes are {classes.tolist()}."
                )
            values = np.array(list(self.class_weight.values()), dtype=float)
            if not (np.all(np.isfinite(values)) and np.all(values >= 0)):
                raise ValueError("class_weight values must be finite and non-negative; got "
                                 f"{self.class_weight}.")
        weights = compute_class_weight(self.class_weight, classes=classes, y=y,
                                       sample_weight=sample_weight)
        return weights[np.searchsorted(classes, y)]

    def decision_function(self, X):
        """Raw scores ``X @ coef_.T + intercept_``.

        Returns
        -------
        scores : ndarray of shape (n_samples,) for binary problems, else
            (n_samples, n_classes) (or n_labels)
        """
        raw = self._raw(X)
        return raw[:, 0] if raw.shape[1] == 1 else raw

    def predict(self, X):
        """Predicted class labels (or a 0/1 indicator matrix for multi-label fits)."""
        scores = self.decision_function(X)
        if self.multilabel_:
            return (scores > 0).astype(int)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]

    @available_if(_has_proba)
    def predict_proba(self, X):
        """Class probabilities (per-label probabilities for multi-label fits).

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes) or (n_samples, n_labels)
        """
        check_is_fitted(self)
        scores = self._raw(X)
        if self._joint_multinomial():
            return self.loss_.predict_proba(scores)
        proba = np.column_stack([self.loss_.predict_proba(col) for col in scores.T])
        if self.multilabel_:
            return proba
        if proba.shape[1] == 1:
            return np.column_stack([1.0 - proba[:, 0], proba[:, 0]])
        # One-vs-rest: normalise the per-class probabilities (uniform where all are 0).
        total = proba.sum(axis=1, keepdims=True)
        return np.divide(proba, total, out=np.full_like(proba, 1.0 / proba.shape[1]),
                         where=total > 0)

    def _joint_multinomial(self):
        return not self.multilabel_ and len(self.classes_) > 2 and self.loss_.multinomial

    @available_if(_has_proba)
    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`, computed stably where the loss can."""
        check_is_fitted(self)
        log_proba = getattr(self.loss_, "predict_log_proba", None)
        scores = self._raw(X)
        if log_proba is not None and not self.multilabel_ and (
                scores.shape[1] == 1 or self._joint_multinomial()):
            return log_proba(scores[:, 0] if scores.shape[1] == 1 else scores)
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.classifier_tags.multi_label = True
        return tags
