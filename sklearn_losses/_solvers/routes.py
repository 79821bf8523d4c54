"""Which route solves a problem, and :func:`solve`, which runs it.

The routes are a table (:data:`ROUTES`), tried in order: each names the loss's and the
penalty's capabilities it needs (the loss's flags ``smooth``, ``quadratic``,
``piecewise_linear``; the penalty's ``has_l1``, ``has_l2``, ``bounded``) and the data
shapes where it pays, and the first that applies runs. A route that falls back to
another, or finishes with one, says so in its result's ``route``
(``"column-working-set > lbfgs"``); ``verbose`` prints it.

======================  ==========================================================
route                   when
======================  ==========================================================
``normal-equations``    half squared error, no L1 part or bounds, p x p pays
``zero``                ``w = 0`` satisfies the optimality conditions (a constant
                        target, ``alpha >= alpha_max``; with unpenalised features,
                        their own fit, cached by :func:`gradient_at_null`)
``gram-working-set``    half squared error with an L1 part or bounds, the whole Gram
                        matrix pays (or a path keeps it)
``column-working-set``  half squared error with an L1 part or bounds otherwise
``lbfgs-columns``       other smooth losses with an L1 part or bounds, many features
``lbfgs``               other smooth losses (the curvature preconditioner where p x p
                        pays and there are no bounds)
``highs``               piecewise-linear losses, ``solver="highs"`` (no L2 part)
``smoothing``           piecewise-linear losses; a smoothing that finds no exact
                        solution without an L2 part falls back to ``highs``
======================  ==========================================================
"""

import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import ThreadpoolController  # a dependency of scikit-learn

from .._objective import LinearObjective, centred_product, normalised_weights
from ..penalties import Penalty
from .data import check_finite, far_offset
from .gram import Gram, normal_equations
from .lbfgs import curvature, lbfgs
from .lp import highs, smallest_subgradient
from .options import DEFAULT_OPTIONS
from .problem import NullFit, Problem
from .result import FitResult
from .smoothing import Smoothing
from .working_sets import ColumnWorkingSet, gram_working_set, lbfgs_columns, whole_gram

#: The values of the estimators' ``solver`` parameter.
SOLVERS = ("auto", "lbfgs", "highs", "smoothing")


def choose_solver(loss, penalty, solver):
    """The solver family to use (``"lbfgs"``, ``"smoothing"`` or ``"highs"``), refusing
    explicit choices that cannot handle the problem."""
    name = loss.name or type(loss).__name__
    if solver == "auto":
        if loss.smooth:
            return "lbfgs"
        if loss.piecewise_linear:
            return "smoothing"
        raise ValueError(
            f"Loss {name!r} is not smooth and not piecewise linear: no solver can reach its "
            "optimum. Set smooth=True on the class if its gradient is continuous."
        )
    if solver == "lbfgs" and not loss.smooth:
        raise ValueError(
            f"solver='lbfgs' needs a smooth loss, but {name!r} has kinks; "
            "use solver='smoothing', 'highs' (no L2 part) or 'auto'."
        )
    if solver in ("highs", "smoothing") and not loss.piecewise_linear:
        raise ValueError(
            f"solver={solver!r} is for piecewise-linear losses, and {name!r} is not one; "
            "use solver='lbfgs' or 'auto'."
        )
    if solver == "highs" and penalty.has_l2:
        raise ValueError(
            "solver='highs' solves linear programmes and cannot handle an L2 part "
            "(penalty='l2' or 'elasticnet'); use solver='smoothing' or 'auto'."
        )
    return solver


class Fit:
    """One solve's state, shared by the routes: the problem, the penalty, the start and
    the tolerances. What needs the problem's :class:`~.problem.Scales` (a pass over X)
    is set by :meth:`begin`, when the first route that needs it is considered."""

    def __init__(self, problem, penalty, solver, tol, max_iter, coef_init, intercept_init,
                 verbose, options):
        self.problem, self.penalty, self.loss = problem, penalty, problem.loss
        self.solver, self.tol, self.max_iter, self.verbose = solver, tol, max_iter, verbose
        self.coef_init, self.intercept_init, self.options = coef_init, intercept_init, options
        cache = problem.cache
        # A first L1 fit on new data works on the Gram matrix of a working set of X's
        # columns (n k^2 for k columns, against n p k for the same columns of the whole
        # matrix); refits on the same data (a path) keep the whole matrix's columns in
        # the cache and reuse them.
        self.whole_gram = not penalty.bounded or cache.gram is not None or cache.refit
        self.offset = None
        self.scales = self.obj = None

    def begin(self):
        """The scales, the objective on the data the solvers work on, the start."""
        if self.scales is not None:
            return
        problem = self.problem
        problem.cache.refit = True
        self.scales = scales = problem.scales()
        columns = scales.columns
        self.obj = LinearObjective(self.loss.loss_gradient, columns.X, problem.y,
                                   problem.sample_weight, problem.fit_intercept,
                                   problem.n_outputs, problem.normalizer,
                                   offset=columns.offset, col_scale=columns.col_scale,
                                   hessian=self.loss.hessian)
        # The solvers work with the intercept of implicitly centred (and shifted) data
        # (see LinearObjective and column_statistics).
        self.offset = columns.total_offset
        self.b_init = ((scales.b0 if self.intercept_init is None else self.intercept_init)
                       + self.coef_init @ self.offset)
        self.gtol = scales.gtol(self.tol)

    def gram_form(self, bounded):
        """Whether the problem is solved in Gram form: half squared error, one output,
        and p x p matrices that pay. Without bounds the normal equations are worth it
        with fewer samples too, as long as the p x p matrix is at most twice the size of
        X (p <= 2 n): they are exact, where L-BFGS-B without the curvature
        preconditioner crawls on such ill-conditioned problems."""
        if not (self.solver == "lbfgs" and self.loss.quadratic
                and self.problem.n_outputs == 1):
            return False
        n, p = self.problem.X.shape
        options = self.options
        return options.p_by_p_pays(n, p) or (
            not bounded and p <= min(options.gram_max_features, 2 * n))


@dataclass(frozen=True)
class Route:
    """A named way to solve: ``applies(fit)`` from the loss's and penalty's capabilities
    and the data's shape; ``run(fit)``, a :class:`~.result.FitResult` or ``None`` to let
    the next route try; ``needs_scales``: :meth:`Fit.begin` runs first."""

    name: str
    applies: object
    run: object
    needs_scales: bool = True


def _first_normal_equations(fit):
    """The normal equations on data seen for the first time, without the tolerance
    scales (their pass over X is a noticeable part of a ridge fit): only the offset and
    the Gram matrix are computed (the latter kept in the cache for refits), the
    columns' spread read off the Gram matrix's diagonal. ``None`` when X has far-offset
    columns (the next routes shift them first)."""
    problem = fit.problem
    X, fit_intercept = problem.X, problem.fit_intercept
    s = normalised_weights(problem.sample_weight, problem.normalizer)
    with np.errstate(invalid="ignore"):  # X's finiteness, as in column_statistics
        offset = (np.asarray(X.T @ s).ravel() / np.sum(s) if fit_intercept
                  else np.zeros(X.shape[1]))
        gram = Gram(X, problem.y, s, offset, fit_intercept)
        check_finite(X, offset, gram.c)  # (without an intercept, only c sums over X)
    if fit_intercept and far_offset(offset, gram.matrix().diagonal() / gram.S).any():
        return None
    problem.cache.gram = gram
    fit.offset = offset
    return normal_equations(gram, fit.penalty.l2)


def _zero(fit):
    scales, null = fit.scales, _null_fit(fit)
    if null is not None and not scales.constant_target:
        # the solvers' intercept is that of the centred data (see Fit.begin)
        return FitResult(null.coef.copy(), null.intercept + null.coef @ fit.offset, 0, True,
                         "the penalised coefficients at 0 (the unpenalised features' own "
                         "fit) satisfy the optimality conditions.", route="zero")
    return FitResult(np.zeros_like(fit.coef_init, dtype=float), scales.b0.copy(), 0, True,
                     "w = 0 satisfies the optimality conditions.", route="zero")


def _null_fit(fit):
    """The cached fit of the unpenalised features alone (:func:`gradient_at_null`), when
    this penalty has them and it is theirs; else ``None``."""
    unpenalised, null = fit.penalty.unpenalised, fit.problem.cache.null
    if unpenalised is None or null is None or not np.array_equal(null.unpenalised,
                                                                 unpenalised):
        return None
    return null


def _zero_applies(fit):
    # A constant target is fitted by the intercept alone: every sample's gradient is the
    # same, so the centred columns' gradient is 0 at any intercept (numerically only to
    # the rounding of the intercept-only optimum, which can be all of a tolerance
    # measured on that gradient). Without an L1 part or bounds, w = 0 passes otherwise
    # only when its gradient vanishes to rounding (one sample). With unpenalised
    # features, their own fit (known along a path, from its alpha_max) is tested.
    scales, penalty = fit.scales, fit.penalty
    if scales.constant_target:
        return True
    if penalty.unpenalised is not None:
        null = _null_fit(fit)
        return null is not None and penalty.zero_is_optimal(
            null.g, null.db, fit.obj.col_scale, fit.gtol, coef=null.coef)
    return penalty.zero_is_optimal(scales.g0, scales.db0, fit.obj.col_scale, fit.gtol)


def _whole_gram(fit):
    cache, p = fit.problem.cache, fit.obj.X.shape[1]
    if cache.gram is not None and p <= fit.options.gram_complete:
        # A refit on the same data (a path, a warm start): the columns its working sets
        # will add, one pass over X each, cost more than the rest of a small matrix at
        # once (single fits keep computing only the columns they need)
        cache.gram.complete()
    return whole_gram(fit.obj, -fit.scales.g0[0], cache)


def _gram_working_set(fit):
    res = gram_working_set(_whole_gram(fit), fit.obj.col_scale, fit.penalty,
                           fit.coef_init[0], fit.gtol, fit.max_iter, fit.verbose,
                           fit.scales.floor, options=fit.options)
    return res.then("gram-working-set")


def _column_working_set(fit):
    return ColumnWorkingSet(fit.obj, -fit.scales.g0[0], fit.penalty, fit.coef_init[0],
                            fit.gtol, fit.max_iter, fit.verbose, fit.scales.floor,
                            fit.problem.cache, options=fit.options).run()


def _many_columns(fit):
    n, p = fit.obj.X.shape
    return p >= fit.options.columns_min_features or n * p >= fit.options.columns_min_size


def _lbfgs_columns(fit):
    # a cold start's gradient is the one at w = 0 the scales computed
    return lbfgs_columns(fit.obj, fit.penalty, fit.coef_init, fit.b_init, fit.gtol,
                         fit.max_iter, fit.verbose, floor=fit.scales.floor,
                         g=None if np.any(fit.coef_init) else fit.scales.g0,
                         options=fit.options)


def _lbfgs(fit):
    """L-BFGS-B on X, preconditioned by the data term's curvature at the start where the
    p x p matrix pays and there are no bounds: without an L2 part in standardised units
    (exact, and free of the columns' units), with one in the units where it is isotropic
    (X's own, or ``sqrt(factor)`` with penalty factors, see :class:`~.lbfgs.Rotation`;
    none with a factor of 0). The decompositions are cached by their units."""
    penalty, cache = fit.penalty, fit.problem.cache
    n, p = fit.obj.X.shape
    preconditioner, isotropic = None, penalty.isotropic
    if not penalty.bounded and isotropic is not None and fit.options.p_by_p_pays(n, p):
        units = isotropic[0]
        if not penalty.has_l2:
            key, units = "standardised", fit.obj.col_scale
        else:
            key = "own" if units is None else units.tobytes()
        if key not in cache.curvature:
            cache.curvature[key] = curvature(fit.loss, fit.obj, fit.scales.b0, units=units)
        preconditioner = cache.curvature[key]
    return lbfgs(fit.obj, penalty, fit.coef_init, fit.b_init, fit.gtol, fit.max_iter,
                 fit.verbose, floor=fit.scales.floor, curvature=preconditioner,
                 options=fit.options)


def _highs(fit):
    return highs(fit.loss, fit.obj, fit.penalty, fit.tol, fit.max_iter, fit.options)


def _smoothing(fit):
    result = Smoothing(fit.loss, fit.obj, fit.penalty, fit.coef_init, fit.b_init, fit.gtol,
                       fit.tol, fit.max_iter, fit.verbose, scale=fit.scales.scale,
                       options=fit.options).run()
    if result.converged or fit.penalty.has_l2:
        return result
    # A degenerate LP can defeat the crossover: HiGHS solves it exactly, where the whole
    # LP is not too large (else the smoothing's result, with a ConvergenceWarning)
    rows = (np.count_nonzero(fit.obj.sample_weight > 0)
            * fit.loss.kinks(fit.obj.y[:1])[0].shape[1])  # a row per sample and kink
    p = fit.obj.X.shape[1]
    if fit.options.lp_pays(rows, p):
        return highs(fit.loss, fit.obj, fit.penalty, fit.tol, fit.max_iter,
                     fit.options).then("smoothing", result.steps)
    result.message += (f" The whole LP ({rows} rows, {p} features) is past "
                       f"lp_max_size={fit.options.lp_max_size} and was not attempted.")
    result.advice = ("solver='highs' solves it exactly (its time grows fast with both "
                     "sizes); or try a larger max_iter or tol.")
    return result


def _smooth_solver(fit):
    return fit.solver == "lbfgs"


#: The routes, in the order they are tried (see the module docstring).
ROUTES = (
    Route("normal-equations",
          lambda fit: (not fit.penalty.bounded and fit.problem.cache.scales is None
                       and fit.gram_form(bounded=False)),
          _first_normal_equations, needs_scales=False),
    Route("zero", _zero_applies, _zero),
    Route("normal-equations",
          lambda fit: (fit.whole_gram and not fit.penalty.bounded
                       and fit.gram_form(bounded=False)),
          lambda fit: normal_equations(_whole_gram(fit), fit.penalty.l2)),
    Route("gram-working-set",
          lambda fit: fit.whole_gram and fit.penalty.bounded and fit.gram_form(bounded=True),
          _gram_working_set),
    Route("column-working-set",
          lambda fit: (_smooth_solver(fit) and fit.loss.quadratic
                       and fit.obj.n_outputs == 1 and fit.penalty.bounded),
          _column_working_set),
    Route("lbfgs-columns",
          lambda fit: _smooth_solver(fit) and fit.penalty.bounded and _many_columns(fit),
          _lbfgs_columns),
    Route("lbfgs", _smooth_solver, _lbfgs),
    Route("highs", lambda fit: fit.solver == "highs", _highs),
    Route("smoothing", lambda fit: fit.solver == "smoothing", _smoothing),
)


def solve(problem, penalty, *, solver="auto", tol=1e-6, max_iter=1000, coef_init=None,
          intercept_init=None, verbose=0, options=DEFAULT_OPTIONS):
    """Minimise the penalised objective of ``problem`` (a :class:`~.problem.Problem`);
    return a :class:`~.result.FitResult` whose ``route`` names how.

    ``coef_init``/``intercept_init`` (shapes ``(n_outputs, n_features)``, ``(n_outputs,)``)
    give the starting point (``None``: ``w = 0`` and the intercept-only optimum,
    computed once with the tolerance scales). A ``ConvergenceWarning`` is raised when
    the optimality conditions do not hold to ``tol`` within ``max_iter``. The problem's
    cache keeps what refits on the same data reuse. ``options`` are the routes' limits.
    """
    loss = problem.loss
    solver = choose_solver(loss, penalty, solver)
    if coef_init is None:
        coef_init = np.zeros((problem.n_outputs, problem.X.shape[1]))
    with one_blas_thread():
        fit = Fit(problem, penalty, solver, tol, max_iter, coef_init, intercept_init,
                  verbose, options)
        result = None
        for route in ROUTES:
            if route.needs_scales:
                fit.begin()
            if route.applies(fit):
                result = route.run(fit)
                if result is not None:
                    break
        if verbose:
            print(f"[route] {result.route}")
        if fit.scales is not None and not penalty.has_l1 and not penalty.has_l2 \
                and getattr(loss, "infimum_at_infinity", False) \
                and separated(fit.obj.y, fit.obj.raw(result.coef, result.intercept),
                              fit.obj.sample_weight):
            result.converged = False
            result.message = (
                "the classes are separable, so without a penalty the loss has no "
                "minimum: it falls towards 0 as the coefficients grow, and the fit "
                "stopped where its gradient met the tolerance (probabilities of 0 and "
                "1).")
            result.advice = "Add a penalty (penalty='l2') for a finite optimum."
    result.intercept = result.intercept - result.coef @ fit.offset
    if problem.n_outputs > 1 and not penalty.has_l1 and not penalty.has_l2:
        # the softmax's scores are only defined up to a common shift per sample: without
        # a penalty, the optimum is a line; the one whose coefficients and intercepts
        # sum to 0 over the classes (an L2 part picks it too) is returned
        result.coef = result.coef - result.coef.mean(axis=0)
        result.intercept = result.intercept - result.intercept.mean()
    if not result.converged:
        warnings.warn(
            f"The {solver!r} solver did not converge: {result.message} {result.advice}",
            ConvergenceWarning,
            stacklevel=3,
        )
    return result


def gradient_at_null(problem, penalty, tol=1e-6, max_iter=1000):
    """The data term's coefficient gradient (shape ``(n_outputs, n_features)``) at the
    optimum of the model whose penalised coefficients are 0: ``w = 0`` and the
    intercept-only intercept (:meth:`~.problem.Problem.gradient_at_zero`), or, with
    unpenalised features (a factor of 0), those features and the intercept fitted
    without a penalty. ``penalty.alpha_max`` reads it. Where samples sit on a kink of a
    piecewise-linear loss there, it is the subgradient that makes alpha_max smallest
    (:func:`~.lp.smallest_subgradient`).

    The fit is kept in the problem's cache (:class:`~.problem.NullFit`): along a path,
    the ``zero`` route returns it at every alpha where it is the optimum. Products with
    X are taken on the problem's implicitly centred (and shifted) columns, as the
    solvers take them: with a column around 1e9 (a timestamp), X's own products would
    lose the gradient to the rounding of terms 1e9 times its size."""
    unpenalised = penalty.unpenalised
    if unpenalised is None:
        return problem.gradient_at_zero()
    loss, k = problem.loss, problem.n_outputs
    stats = problem.scales().columns
    X, offset = stats.X, stats.offset
    columns = np.flatnonzero(unpenalised)
    null = Problem(loss, problem.X[:, columns], problem.y, problem.sample_weight,
                   problem.fit_intercept, k, problem.normalizer)
    fitted = solve(null, Penalty(None), tol=tol, max_iter=max_iter)
    coef = np.zeros((k, X.shape[1]))
    coef[:, columns] = fitted.coef
    # the intercept of the centred (shifted) columns, and the predictions from them
    centred_b = fitted.intercept + coef @ stats.total_offset
    raw = np.asarray(X[:, columns] @ fitted.coef.T) - coef @ offset + centred_b
    raw = raw[:, 0] if k == 1 else raw
    _, g = loss.loss_gradient(problem.y, raw)
    s = normalised_weights(problem.sample_weight, problem.normalizer)
    weighted = s * g if g.ndim == 1 else s[:, None] * g
    gradient = centred_product(np.asarray(X.T @ weighted), weighted, offset)
    db = weighted.sum(axis=0).reshape(-1) if problem.fit_intercept else np.zeros(k)
    if loss.piecewise_linear:
        # samples on kinks: the subgradient that proves the optimum for the smallest
        # alpha (the loss's own slopes there may not even be one). A prediction is
        # known to the rounding of its terms (the intercept on X's own columns: with a
        # timestamp column, eps times 1e9 |w|), which decides which samples are on kinks
        rounding = 64 * np.finfo(float).eps * (
            np.asarray(abs(problem.X[:, columns]) @ np.abs(fitted.coef[0])).ravel()
            + np.abs(fitted.intercept[0]))
        exact = smallest_subgradient(loss, X, offset, stats.col_scale, problem.y, s, raw,
                                     problem.fit_intercept, unpenalised,
                                     np.asarray(penalty.factor, dtype=float), rounding)
        if exact is not None:
            gradient, db = exact[None, :], np.zeros(k)
    # kept for the fits on this data (a path): the zero route returns it where it is the
    # optimum (alpha >= alpha_max), with exact zeros
    problem.cache.null = NullFit(unpenalised, coef, np.asarray(fitted.intercept, float),
                                 gradient, db)
    return gradient


def separated(y, raw, sample_weight):
    """Whether the raw scores classify every weighted sample correctly with a positive
    margin (labels -1 / +1, or one-hot rows against one column of scores per class)."""
    weighted = sample_weight > 0
    if raw.ndim == 1:
        return bool(np.all(y[weighted] * raw[weighted] > 0))
    true = np.einsum("ij,ij->i", y, raw)
    other = np.where(y > 0, -np.inf, raw).max(axis=1)
    return bool(np.all(true[weighted] > other[weighted]))


_blas_limit = {"controller": None, "active": False}


@contextmanager
def one_blas_thread():
    """Context: BLAS limited to one thread while solving.

    numpy and scipy each load their own OpenBLAS; alternating between them (X @ w in
    numpy, L-BFGS-B's update in scipy) makes their idle threads spin against each other
    on few cores. The iterations are matrix-vector products, which are memory-bound, so
    one thread loses little; the compute-bound Gram columns would gain from two, but the
    pools' spinning afterwards costs more than that.

    Nested uses (a regularisation path around its fits) limit once: setting and
    restoring the limit costs about a tenth of a warm-started fit on a path. The
    controller holds only the BLAS libraries (selected once): the whole process's
    controller also holds OpenMP, slower to limit.
    """
    if _blas_limit["active"]:
        yield
        return
    if _blas_limit["controller"] is None:
        _blas_limit["controller"] = ThreadpoolController().select(user_api="blas")
    with _blas_limit["controller"].limit(limits=1):
        _blas_limit["active"] = True
        try:
            yield
        finally:
            _blas_limit["active"] = False
