"""Cross-validated estimators that walk a warm-started regularisation path.

``GridSearchCV`` refits from scratch for every alpha and fold. ``LossRegressorCV`` and
``LossClassifierCV`` instead fit each training fold along a *decreasing* alpha grid,
each fit starting from the previous solution, score every alpha on the held-out fold
with the loss's own scorer, and refit the best ``(alpha, l1_ratio)`` on all data.

Folds (and l1 ratios) run through ``joblib`` (:class:`sklearn.utils.parallel.Parallel`)
with ``n_jobs`` workers, so the work can go to a cluster through joblib's backends with
no change here, e.g.::

    from joblib import parallel_backend
    with parallel_backend("dask"):      # or "ray", after registering it
        LossRegressorCV(n_jobs=-1).fit(X, y)
"""

import time
from numbers import Integral, Real

import numpy as np
from sklearn import config_context
from sklearn.base import clone
from sklearn.model_selection import check_cv
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import column_or_1d, validate_data

from ._compat import Interval, StrOptions
from ._solvers import gradient_at_null, one_blas_thread
from .linear_model import (LossClassifier, LossRegressor, check_dense_y,
                           checked_sample_weight)
from .losses import LOSSES, Loss
from .penalties import checked_factor
from .scorers import fold_scorer, get_scorer

# Pure L2 has no alpha that zeroes the coefficients; its grid starts where an L1 share of
# 1% would (100 x the largest gradient entry at w = 0), where the coefficients are
# shrunk to about 1/100 of that gradient's size.
_L2_RHO = 0.01


def _alpha_grid(model, prepared, n_alphas, eps):
    """Geometric grid from alpha_max down to ``eps * alpha_max`` for ``model``'s penalty.

    ``alpha_max`` is the smallest alpha for which ``w = 0`` is optimal: the largest entry
    of the data term's gradient at ``w = 0`` (intercept at its intercept-only optimum,
    every output / class) divided by the L1 share ``rho``. It is exact where that
    gradient is unique, and an upper bound where many samples sit on a kink (hinge).
    With penalty factors, each entry is divided by its feature's factor, and with
    unpenalised features (a factor of 0) the gradient is taken where they and the
    intercept are fitted, the penalised coefficients 0 (the grid's top zeroes those;
    :func:`~sklearn_losses._solvers.gradient_at_null`).
    """
    penalty = model._penalty(prepared.X.shape[1])
    gradient = np.concatenate([gradient_at_null(problem, penalty, model.tol,
                                                model.max_iter).ravel()
                               for problem in prepared.problems])
    top = penalty.alpha_max(gradient, rho=max(penalty.rho, _L2_RHO)) or 1.0
    return np.geomspace(top, top * eps, n_alphas)


def _fold_path(model, X, y, sample_weight, train, test, alphas, scoring, verbose=0,
               name="", where=""):
    """Fit ``model`` along ``alphas`` on ``train``, each fit warm-started from the last;
    score each on ``test`` (:func:`~sklearn_losses.scorers.fold_scorer`, the held-out
    samples' weights included). Validation and label encoding are done once per fold,
    and the held-out part is not validated again for every alpha.

    ``verbose`` >= 1 prints a line when the path is done (``name``, the CV estimator's,
    and ``where``, the fold and l1_ratio), >= 2 a line per alpha (score, iterations,
    route, time), >= 3 the solvers' own messages too."""
    start = time.perf_counter()
    model = clone(model).set_params(warm_start=True, verbose=max(verbose - 2, 0))
    weights = (None, None) if sample_weight is None else (sample_weight[train],
                                                          sample_weight[test])
    with config_context(assume_finite=True):  # X was checked by the CV estimator
        prepared = model._prepare(X[train], y[train], weights[0])
    score = fold_scorer(scoring, model, prepared.loss, X[test], y[test], weights[1])
    scores = []
    # X_test is validated: the scorer's own checks (finite values, types) are skipped too
    with config_context(assume_finite=True, skip_parameter_validation=True):
        last = time.perf_counter()
        for fitted in _walk_path(model, prepared, alphas):
            scores.append(score(fitted))
            if verbose >= 2:
                now = time.perf_counter()
                print(f"[{name}] {where} alpha={fitted.alpha:.3g}: score {scores[-1]:.6g}, "
                      f"{fitted.n_iter_} iterations ({', '.join(sorted(set(fitted.routes_)))})"
                      f", {now - last:.3f} s", flush=True)
                last = now
    scores = np.array(scores)
    if verbose >= 1:
        best = int(np.argmax(scores))
        print(f"[{name}] {where} done: {len(alphas)} alphas from {alphas[0]:.3g} to "
              f"{alphas[-1]:.3g} in {time.perf_counter() - start:.3f} s, best alpha "
              f"{alphas[best]:.3g} (score {scores[best]:.6g})", flush=True)
    return scores


def _walk_path(model, prepared, alphas):
    """Fit ``model`` (with ``warm_start=True``) at each of the decreasing ``alphas``, each
    fit starting from the last; yield it after each. ``prepared`` is
    ``model._prepare(...)``: the data is validated and encoded once, and its problems
    keep their caches (scales, Gram columns) along the path. BLAS is limited to one
    thread once for the whole path (the callers' scoring included), not per fit."""
    with one_blas_thread():
        for alpha in alphas:
            model.alpha = alpha
            model._fit_problems(prepared)
            yield model


class _LossCVMixin:
    """Path-walking cross-validation shared by the two CV estimators."""

    _cv_constraints = {
        "penalty": [StrOptions({"l1", "l2", "elasticnet"})],
        "alphas": ["array-like", None],
        "n_alphas": [Interval(Integral, 1, None, closed="left")],
        "eps": [Interval(Real, 0, 1, closed="neither")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both"), "array-like"],
        "cv": ["cv_object"],
        "scoring": [str, callable, None],
        "n_jobs": [Integral, None],
    }

    def _path_model(self, l1_ratio, alpha, penalty_factor=None):
        """The base estimator with this one's parameters; ``penalty_factor`` as an
        array (a dict resolved against this estimator's feature names: the folds' data
        has none)."""
        names = set(self._base._get_param_names()) - {"l1_ratio", "alpha",
                                                      "penalty_factor"}
        params = {k: v for k, v in self.get_params(deep=False).items() if k in names}
        return self._base(**params, l1_ratio=l1_ratio, alpha=alpha,
                          penalty_factor=penalty_factor)

    def fit(self, X, y, sample_weight=None, groups=None):
        """Cross-validate alpha (and l1_ratio) along warm-started paths, then refit.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None
            Used in every fit and to weight each held-out fold's score (as ``LassoCV``
            and ``LogisticRegressionCV`` do), so that a weight counts as that many
            repeated samples.
        groups : array-like of shape (n_samples,), default=None
            Group labels for group-aware splitters.

        Returns
        -------
        self
        """
        self._validate_params()
        check_dense_y(self, y)
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"],
                             dtype=[np.float64, np.float32], multi_output=True,
                             y_numeric=not self._classifier)
        if self._classifier and y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if sample_weight is not None:
            sample_weight = checked_sample_weight(sample_weight, X)
        l1_ratios = np.atleast_1d(np.asarray(self.l1_ratio, dtype=float))
        if l1_ratios.size == 0 or not np.all((l1_ratios >= 0) & (l1_ratios <= 1)):
            raise ValueError("l1_ratio must be a float or a non-empty list of floats in "
                             f"[0, 1]; got {self.l1_ratio!r}.")
        if self.penalty != "elasticnet":
            l1_ratios = l1_ratios[:1]
        factor = checked_factor(self.penalty_factor, X.shape[1],  # before any fit
                                getattr(self, "feature_names_in_", None))
        # the final model's data, prepared once: it serves every l1_ratio's grid (one
        # gradient at w = 0) and the refit on all data
        final = self._path_model(l1_ratios[0], 1.0, factor)
        prepared = final._prepare(X, y, sample_weight)
        if self.alphas is None:
            grids = np.array([_alpha_grid(self._path_model(r, 1.0, factor), prepared,
                                          self.n_alphas, self.eps) for r in l1_ratios])
        else:
            grids = np.tile(_checked_alphas(self.alphas), (len(l1_ratios), 1))
        cv = check_cv(self.cv, y, classifier=self._classifier)
        splits = list(cv.split(X, y, groups))
        base = self._path_model(l1_ratios[0], grids[0, 0], factor)
        if self.scoring is not None:
            get_scorer(self.scoring)  # an unknown name fails here, before any fit
        jobs = [(j, k) for j in range(len(l1_ratios)) for k in range(len(splits))]
        name = type(self).__name__
        start = time.perf_counter()
        if self.verbose:
            print(f"[{name}] {len(splits)} folds x {len(l1_ratios)} l1_ratio(s) x "
                  f"{grids.shape[1]} alphas: {len(jobs)} warm-started paths", flush=True)
        results = Parallel(n_jobs=self.n_jobs, verbose=self.verbose)(
            delayed(_fold_path)(
                clone(base).set_params(l1_ratio=l1_ratios[j]), X, y, sample_weight,
                *splits[k], grids[j], self.scoring, verbose=self.verbose, name=name,
                where=f"fold {k + 1}/{len(splits)}" + (
                    f", l1_ratio={l1_ratios[j]:g}" if len(l1_ratios) > 1 else ""))
            for j, k in jobs
        )
        scores = np.empty((len(l1_ratios), len(splits), grids.shape[1]))
        for (j, k), fold_scores in zip(jobs, results):
            scores[j, k] = fold_scores
        mean = scores.mean(axis=1)
        j, i = np.unravel_index(np.argmax(mean), mean.shape)
        self.alpha_ = float(grids[j, i])
        self.l1_ratio_ = float(l1_ratios[j])
        self.alphas_ = grids[0] if len(l1_ratios) == 1 else grids
        self.best_score_ = float(mean[j, i])
        self.scores_ = scores
        self.cv_results_ = self._cv_results(scores, grids, l1_ratios)
        final.set_params(l1_ratio=self.l1_ratio_, alpha=self.alpha_,
                         verbose=max(self.verbose - 2, 0))
        refit = time.perf_counter()
        final._fit_problems(prepared)  # = final.fit(X, y, sample_weight)
        final.set_params(verbose=self.verbose)
        if self.verbose:
            print(f"[{name}] best alpha {self.alpha_:.3g}" + (
                f", l1_ratio {self.l1_ratio_:g}" if len(l1_ratios) > 1 else "")
                + f" (mean score {self.best_score_:.6g}); refit on all data in "
                f"{time.perf_counter() - refit:.3f} s; {time.perf_counter() - start:.2f} s "
                "in all", flush=True)
        for name, value in vars(final).items():
            if name.endswith("_") and not name.startswith("_"):
                setattr(self, name, value)
        self.best_estimator_ = final
        return self

    @staticmethod
    def _cv_results(scores, grids, l1_ratios):
        """``GridSearchCV``-style results, one row per (l1_ratio, alpha)."""
        n_l1, n_splits, n_alphas = scores.shape
        flat = scores.transpose(0, 2, 1).reshape(-1, n_splits)
        alphas = grids.ravel()
        ratios = np.repeat(l1_ratios, n_alphas)
        mean = flat.mean(axis=1)
        results = {
            "param_alpha": alphas,
            "param_l1_ratio": ratios,
            "params": [{"alpha": a, "l1_ratio": r} for a, r in zip(alphas, ratios)],
            "mean_test_score": mean,
            "std_test_score": flat.std(axis=1),
            "rank_test_score": (np.argsort(np.argsort(-mean, kind="stable")) + 1),
        }
        for k in range(n_splits):
            results[f"split{k}_test_score"] = flat[:, k]
        return results


_CV_DOC = """
    Parameters
    ----------
    loss, penalty, fit_intercept, tol, max_iter
        As in the base estimator (``class_weight`` too, for the classifier).
    verbose : int, default=0
        Progress, as scikit-learn's CV tools report it: 1 prints a line per fold path
        (its alphas, time and best alpha) and the choice with the refit's time, 2 a line
        per alpha and fold (score, solver iterations and route, time), 3 the solvers'
        own messages too. Folds in parallel print from their workers.
    alphas : array-like or None, default=None
        Penalty strengths to try (walked from largest to smallest). ``None``: a geometric
        grid of ``n_alphas`` values from ``alpha_max`` down to ``eps * alpha_max``, where
        for ``"l1"``/``"elasticnet"`` ``alpha_max`` is the smallest alpha that zeroes
        every coefficient (from the gradient at the intercept-only solution, for any
        loss); for ``"l2"`` it is the alpha at which an L1 share of 1% would zero them
        (100 times the largest gradient entry at ``w = 0``).
    n_alphas : int, default=30
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` of the automatic grid.
    l1_ratio : float or list of float, default=0.5
        For ``"elasticnet"``, the L1 share(s) to try; a path is walked for each.
    penalty_factor : array-like of shape (n_features,), dict or None, default=None
        Per-feature penalty factors (0: unpenalised), as in the base estimator; the
        automatic grid's ``alpha_max`` respects them (each gradient entry divided by its
        factor, taken where the unpenalised features are fitted).
    cv : int, cross-validation generator or iterable, default=5
        Anything :func:`sklearn.model_selection.check_cv` accepts.
    scoring : str, callable or None, default=None
        ``None`` scores with the loss the model minimises (:func:`loss_scorer`); any
        scikit-learn or sklearn-losses scorer name or callable is accepted. A name of
        ours for the model's own loss's metric takes the loss's parameters
        (``"neg_huber_loss"`` with ``loss=Huber(delta=20)`` scores with ``delta=20``);
        other names score with their metric's defaults.
    n_jobs : int or None, default=None
        Folds (and l1 ratios) in parallel through joblib.

    Attributes
    ----------
    alpha_, l1_ratio_ : float
        The chosen penalty strength and L1 share.
    alphas_ : ndarray of shape (n_alphas,) or (n_l1_ratio, n_alphas)
    best_score_ : float
        Mean cross-validated score of the chosen pair.
    cv_results_ : dict
        ``param_alpha``, ``param_l1_ratio``, ``params``, ``split{k}_test_score``,
        ``mean_test_score``, ``std_test_score``, ``rank_test_score``.
    best_estimator_ : estimator
        The model refitted on all data; its fitted attributes (``coef_``,
        ``intercept_``, ...) are also set here, so this object predicts directly.
"""


class LossRegressorCV(_LossCVMixin, LossRegressor):
    __doc__ = """:class:`LossRegressor` with alpha (and l1_ratio) chosen by cross-validation
    along warm-started regularisation paths.

    Other parameters are those of :class:`LossRegressor`.
    """ + _CV_DOC

    _base = LossRegressor
    _classifier = False
    _parameter_constraints = {
        k: v for k, v in {**LossRegressor._parameter_constraints,
                          **_LossCVMixin._cv_constraints}.items()
        if k not in ("alpha", "solver", "warm_start", "positive")
    }

    def __init__(self, loss="squared_error", *, penalty="l2", alphas=None, n_alphas=30,
                 eps=1e-3, l1_ratio=0.5, penalty_factor=None, cv=5, scoring=None,
                 n_jobs=None, fit_intercept=True, tol=1e-6, max_iter=1000, verbose=0):
        self.loss = loss
        self.penalty = penalty
        self.alphas = alphas
        self.n_alphas = n_alphas
        self.eps = eps
        self.l1_ratio = l1_ratio
        self.penalty_factor = penalty_factor
        self.cv = cv
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter
        self.verbose = verbose


class LossClassifierCV(_LossCVMixin, LossClassifier):
    __doc__ = """:class:`LossClassifier` with alpha (and l1_ratio) chosen by cross-validation
    along warm-started regularisation paths (stratified folds by default).

    Other parameters are those of :class:`LossClassifier`.
    """ + _CV_DOC

    _base = LossClassifier
    _classifier = True
    _parameter_constraints = {
        k: v for k, v in {**LossClassifier._parameter_constraints,
                          **_LossCVMixin._cv_constraints}.items()
        if k not in ("alpha", "solver", "warm_start")
    }

    def __init__(self, loss="log_loss", *, penalty="l2", alphas=None, n_alphas=30,
                 eps=1e-3, l1_ratio=0.5, penalty_factor=None, cv=5, scoring=None,
                 n_jobs=None, fit_intercept=True, class_weight=None, tol=1e-6,
                 max_iter=1000, verbose=0):
        self.loss = loss
        self.penalty = penalty
        self.alphas = alphas
        self.n_alphas = n_alphas
        self.eps = eps
        self.l1_ratio = l1_ratio
        self.penalty_factor = penalty_factor
        self.cv = cv
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.tol = tol
        self.max_iter = max_iter
        self.verbose = verbose


def loss_path(X, y, *, loss="squared_error", penalty="l1", alphas=None, n_alphas=30,
              eps=1e-3, l1_ratio=0.5, fit_intercept=True, sample_weight=None, tol=1e-6,
              max_iter=1000, **params):
    """Coefficients along a decreasing alpha path (warm-started), like ``enet_path``.

    Works for every loss: a classification loss fits :class:`LossClassifier` (labels
    of any type), a regression loss :class:`LossRegressor`. Extra ``params`` (e.g.
    ``class_weight``, ``positive``) go to that estimator.

    Returns
    -------
    alphas : ndarray of shape (n_alphas,)
        Decreasing.
    coefs : ndarray of shape (n_alphas, n_features) or (n_alphas, n_outputs, n_features)
        ``n_outputs`` for several classes or targets.
    intercepts : ndarray of shape (n_alphas,) or (n_alphas, n_outputs)

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn_losses import loss_path
    >>> X, y = load_diabetes(return_X_y=True)
    >>> alphas, coefs, _ = loss_path(X, y, loss="huber", penalty="l1", n_alphas=5)
    >>> coefs.shape
    (5, 10)
    """
    cls = LossClassifier if _is_classification(loss) else LossRegressor
    model = cls(loss=loss, penalty=penalty, alpha=1.0, l1_ratio=l1_ratio,
                fit_intercept=fit_intercept, tol=tol, max_iter=max_iter, warm_start=True,
                **params)
    model._validate_params()
    prepared = model._prepare(X, y, sample_weight)
    alphas = (_alpha_grid(model, prepared, n_alphas, eps) if alphas is None
              else _checked_alphas(alphas))
    coefs, intercepts = [], []
    for fitted in _walk_path(model, prepared, alphas):
        coefs.append(np.squeeze(np.copy(fitted.coef_)))
        intercepts.append(np.squeeze(np.copy(fitted.intercept_)))
    return alphas, np.array(coefs), np.array(intercepts)


def _checked_alphas(alphas):
    """User-given ``alphas``, sorted from largest to smallest; a ``ValueError`` naming
    ``alphas`` unless they are a non-empty list of finite values >= 0."""
    alphas = np.sort(np.ravel(np.asarray(alphas, dtype=float)))[::-1]
    if alphas.size == 0:
        raise ValueError("alphas must hold at least one value; got an empty list.")
    if not np.all(np.isfinite(alphas)) or alphas[-1] < 0:
        raise ValueError(f"alphas must be finite and >= 0; got {alphas.tolist()[:10]}.")
    return alphas


def _is_classification(loss):
    if isinstance(loss, Loss):
        return loss.is_classifier
    return loss in LOSSES and LOSSES[loss].is_classifier


