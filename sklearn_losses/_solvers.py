"""scipy.optimize drivers: which solver for which loss and penalty, and how each is run.

=============  ===================================  ==========================================
solver         losses and penalties                 method
=============  ===================================  ==========================================
``lbfgs``      smooth losses, any penalty           L-BFGS-B with the analytic gradient; an L1
                                                    part is made smooth by ``w = w+ - w-``,
                                                    ``w+, w- >= 0``, so removed coefficients
                                                    are exactly 0. Half squared error works
                                                    on Gram matrices: normal equations
                                                    without L1, else a working set with
                                                    exact steps (:func:`_working_set`, on
                                                    the working set's columns of X first:
                                                    :func:`_column_working_set`).
``smoothing``  piecewise-linear losses, any penalty smoothing continuation (kinks replaced by
                                                    quadratics of shrinking width, L-BFGS-B
                                                    warm-started) with an exact crossover
                                                    step once the samples on kinks are known
                                                    (without L2: HiGHS on the LP of the
                                                    samples near kinks, :func:`_band_lp`).
``highs``      piecewise-linear losses, ``None`` or  the exact linear programme,
               ``"l1"`` (only when asked for)       ``scipy.optimize.linprog`` (HiGHS).
=============  ===================================  ==========================================

Why smoothing by default for piecewise-linear losses, even where the LP is exact:
measured here on quantile + L1 (n = 2 400, p = 60 and n = 5 000, p = 50), smoothing with
crossover took 0.03-0.3x the time of ``QuantileRegressor(solver="highs")`` and 0.05-0.25x
our own HiGHS LP, reaching the same objective (relative gaps below 1e-7); it also warm
starts along a regularisation path, which HiGHS cannot.

The choice is made from the loss's flags (``smooth``, ``piecewise_linear``) and the
penalty, never from the loss's class.
"""

import functools
import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy import linalg
from scipy.linalg import lapack
from scipy.optimize import Bounds, linprog, lsq_linear, minimize, nnls
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import ThreadpoolController  # a dependency of scikit-learn

from ._objective import (_OFFSET_RATIO, Gram, LinearObjective, SampleSpace, centred_gram,
                         centred_product, check_finite, column_extremes, column_statistics,
                         far_offset, gather_columns, normalised_weights)
from .penalties import penalty_value

SOLVERS = ("auto", "lbfgs", "highs", "smoothing")

# A line search needs the objective to decrease by more than its rounding error, so a
# KKT violation v is only reducible while v**2 / curvature exceeds eps * |objective|.
# Below that L-BFGS-B stalls: a fresh restart cannot move. A stalled run whose violation
# is under this fraction of the gradient scale has converged as far as float64 allows
# (tol=1e-10 can ask for more than that on badly scaled problems).
_PRECISION = 1e-5
_EPS = np.finfo(np.float64).eps
_TINY = np.finfo(np.float64).tiny


@dataclass
class FitResult:
    coef: np.ndarray  # (n_outputs, n_features)
    intercept: np.ndarray  # (n_outputs,)
    n_iter: int
    converged: bool
    message: str
    # what the ConvergenceWarning advises when not converged
    advice: str = "Try a larger max_iter, standardised features, or a larger tol."


def choose_solver(loss, l2, solver):
    """The solver to use, refusing explicit choices that cannot handle the problem."""
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
    if solver == "highs" and l2 > 0:
        raise ValueError(
            "solver='highs' solves linear programmes and cannot handle an L2 part "
            "(penalty='l2' or 'elasticnet'); use solver='smoothing' or 'auto'."
        )
    return solver


# Half squared error works on the p x p Gram matrix (an exact linear solve for L2 / no
# penalty, a working set with exact steps for L1) up to this many features, and with at
# least _GRAM_MIN_RATIO samples per feature. Building it costs about n p^2 / 2, against
# 2 n p per L-BFGS-B evaluation on X: measured here, single fits were faster on X from
# p ~ 300-500 on (20 000 x 500: Lasso 0.17 s on X, 0.24 s by Gram; 2 000 x 1 000: 0.04 s
# and 0.10 s), and the p x p arrays would exceed the memory budget (2 x X) for n < 4 p.
_GRAM_MAX_FEATURES = 300
_GRAM_MIN_RATIO = 4
# A refit on the same data (a path) completes a Gram matrix of up to this many features
# at once (see _dispatch).
_GRAM_COMPLETE = 64


def _p_by_p_pays(n, p):
    """Whether p x p matrices (the Gram form, the curvature preconditioner, Newton's
    Hessian) are worth their cost and memory for an n x p problem."""
    return p <= _GRAM_MAX_FEATURES and n >= _GRAM_MIN_RATIO * p

_blas_limit = {"controller": None, "active": False}


@dataclass
class Scales:
    """What a problem's tolerances are measured against; the same for every refit on the
    same data (a path, warm starts), so they are computed once and cached (:func:`_scales`).

    ``scale`` is the largest entry of the data term's gradient at ``w = 0`` (intercept at
    its intercept-only optimum ``b0``) for standardised features: alpha_max for an L1
    penalty, so ``tol`` is relative and free of the data's units. ``rounding`` is how
    far rounding alone can move that gradient; no tolerance is finer. ``g0`` and ``db0``
    are the coefficient and intercept gradients at ``(0, b0)`` (they decide whether
    ``w = 0`` is optimal; ``b0`` may be a numerical minimiser, so ``db0`` is checked
    too). ``terms()`` is the size of the terms that make up the gradient, a guard
    against a gradient that cancels to ~0 by symmetry and a bound on how small a
    violation a line search can still reduce; it needs the column extremes, a pass over
    X, and is computed once, only when it matters.
    """

    columns: object  # ColumnStatistics: the data the solvers work on
    constant_target: bool  # every weighted sample has the same y: w = 0 is the optimum
    scale: float
    rounding: float
    terms: object
    g0: np.ndarray
    db0: np.ndarray
    b0: np.ndarray

    def gtol(self, tol):
        """The tolerance on standardised KKT violations for a relative ``tol``."""
        return max(tol * self.scale, self.rounding)

    def floor(self):
        """The smallest violation a stalled line search is held to (see ``_PRECISION``)."""
        return _PRECISION * max(self.scale, self.terms())


def _scales(loss, X, y, sample_weight, fit_intercept, n_outputs, normalizer):
    """The :class:`Scales` of a problem, and X's column statistics with them."""
    b0 = intercept_only(loss, y, sample_weight, fit_intercept, n_outputs)
    s = normalised_weights(sample_weight, normalizer)
    sg0, magnitude = _weighted_gradient_at_zero(loss, y, s, fit_intercept, n_outputs, b0)
    columns = column_statistics(X, sample_weight, fit_intercept, sg0)
    offset, col_scale = columns.offset, columns.col_scale
    total = float(np.abs(sg0).sum())

    @functools.cache
    def terms():
        high, low = column_extremes(columns.X)
        spread = np.maximum(np.abs(high - offset), np.abs(low - offset)) / col_scale
        return total * float(np.max(spread, initial=1.0))

    # LinearObjective.coef_gradient(sg0); one output as vectors (see centred_product)
    g0 = (centred_product(columns.XtV[:, 0], sg0, offset) if sg0.ndim == 1
          else centred_product(columns.XtV, sg0, offset))
    largest = float(np.abs(g0 / col_scale).max(initial=0.0))
    # With all weights w_i (normalised) positive, |x_ij - offset_j| is at most the
    # column's standard deviation over sqrt(min w): terms() is at most ``bound`` (a
    # constant column's deviation is below |offset_j| / _OFFSET_RATIO, its col_scale 1),
    # and when 1e-3 * bound <= largest, the guard below is not needed.
    w_min = float(sample_weight.min() / sample_weight.sum())  # normalised; they are >= 0
    bound = (total * max(1.0, np.abs(offset).max(initial=0.0) / _OFFSET_RATIO)
             / np.sqrt(w_min)) if w_min > 0 else np.inf
    bounded = largest >= 1e-3 * bound
    # Each g_i is rounded by about eps times the magnitude of what it is computed from
    # (y, the prediction, g itself); with standardised columns, Cauchy-Schwarz bounds the
    # rounding of a coefficient's gradient by eps * sqrt(sum_i s_i m_i^2), and the sum
    # over the samples adds a factor of sqrt(n) at most in practice.
    rounding = 16 * _EPS * np.sqrt(len(y) * float(np.dot(s, magnitude**2)))
    scale = (largest if bounded else max(largest, 1e-3 * terms())) or 1.0
    db0 = sg0.sum(axis=0).reshape(-1) if fit_intercept else np.zeros(n_outputs)
    weighted = y if sample_weight.all() else y[sample_weight > 0]
    constant = fit_intercept and y.ndim == 1 and float(np.ptp(weighted)) == 0.0
    return Scales(columns, constant, scale, rounding, terms, g0, db0, b0)


def problem_scales(loss, X, y, sample_weight, fit_intercept, n_outputs=1, normalizer=None,
                   cache=None):
    """:func:`_scales` of a problem, computed once and kept in its ``cache`` (the dict
    :func:`solve` reuses across refits on the same data)."""
    cache = {} if cache is None else cache
    if "scales" not in cache:
        cache["scales"] = _scales(loss, X, y, sample_weight, fit_intercept, n_outputs,
                                  normalizer)
    return cache["scales"]


def gradient_at_zero(loss, X, y, sample_weight, fit_intercept, n_outputs=1, normalizer=None,
                     cache=None):
    """The data term's coefficient gradient at ``w = 0`` (intercept at its intercept-only
    optimum), shape ``(n_outputs, n_features)``: alpha_max is read from it, and
    :func:`solve` returns ``w = 0`` when it satisfies the optimality conditions. The same
    cached value serves both."""
    return problem_scales(loss, X, y, sample_weight, fit_intercept, n_outputs, normalizer,
                          cache).g0


def intercept_only(loss, y, sample_weight, fit_intercept, n_outputs):
    """The intercept of the ``w = 0`` model (0 without an intercept), shape
    ``(n_outputs,)``: the solvers' cold start."""
    b0 = np.zeros(n_outputs)
    if fit_intercept:
        b0[:] = loss.intercept_only(y, sample_weight)
    return b0


def _weighted_gradient_at_zero(loss, y, s, fit_intercept, n_outputs, b0):
    """``(s_i * dloss/df_i, m_i)`` at ``w = 0`` with the intercept ``b0`` (``s`` the
    normalised sample weights); ``LinearObjective.coef_gradient`` of the first is the
    data term's gradient there. ``m_i`` is the magnitude of what the gradient of sample
    ``i`` is computed from (its target, prediction and gradient), which its rounding
    is relative to.

    Samples sitting on a kink at that point (the median, for absolute error) may take
    any slope in their jump: one common share is chosen so that the intercept is optimal
    (``sum_i s_i g_i = 0``). Any such subgradient gives an upper bound on alpha_max,
    exact when it is unique.
    """
    n = len(y)
    raw = np.full(n, b0[0]) if n_outputs == 1 else np.tile(b0, (n, 1))
    _, g = loss.loss_gradient(y, raw)
    if loss.piecewise_linear and fit_intercept:
        beta, jump = loss.kinks(y)
        at = np.isclose(raw[:, None], beta, rtol=1e-12, atol=0.0)
        room = np.sum(s[:, None] * jump * at)
        if room > 0:
            g = g + np.sum(jump * at, axis=1) * np.clip(-np.dot(s, g) / room, 0.0, 1.0)
    magnitude = _gradient_magnitude(loss, y, raw, g).reshape(n, -1).sum(axis=1)
    return g * (s if g.ndim == 1 else s[:, None]), magnitude


def _gradient_magnitude(loss, y, raw, g):
    """What the rounding of each sample's gradient ``g`` is relative to: ``|g|``, the
    rounding of ``raw`` carried through the loss's curvature ``h`` (``h |raw|``), and the
    target it is compared with (``|y|``). A piecewise-linear loss's slopes are exact
    (``h = 0`` off its kinks, and ``y`` only decides which slope); a loss that gives no
    curvature counts ``|raw|`` whole."""
    if loss.piecewise_linear:
        return np.abs(g)
    h = loss.hessian(y, raw)
    if h is None or np.ndim(h) != np.ndim(raw):  # unknown, or per-sample matrices
        h = 1.0
    return np.abs(g) + np.abs(h) * np.abs(raw) + np.abs(y)


@contextmanager
def _one_blas_thread():
    """Context: BLAS limited to one thread while solving.

    numpy and scipy each load their own OpenBLAS; alternating between them (X @ w in
    numpy, L-BFGS-B's update in scipy) makes their idle threads spin against each other
    on 2 cores. Measured here: hinge + L2 at 5 000 x 200 took 7.9 s with both pools and
    0.5 s with one thread; at 50 000 x 500, 0.49 s and 0.38 s. The iterations are
    matrix-vector products, which are memory-bound, so one thread loses little; the
    compute-bound Gram columns would gain from two, but the pools' spinning afterwards
    cost more than that in measurements here (Lasso, 20 000 x 200).

    Nested uses (a regularisation path around its fits) limit once: setting and
    restoring the limit costs 15 us alone and 60-90 us between fits (measured here), a
    tenth of a warm-started fit on a path. The controller holds only the BLAS libraries
    (selected once): limiting through the whole process's controller, which also holds
    OpenMP, took 90 us a fit against 60 us (Lasso 2 000 x 50, ~1.5 ms a fit).
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


def solve(loss, X, y, sample_weight, *, l1, l2, fit_intercept, positive, solver, tol,
          max_iter, coef_init, intercept_init, n_outputs=1, normalizer=None, verbose=0,
          cache=None):
    """Minimise the penalised objective; return a :class:`FitResult`.

    ``coef_init``/``intercept_init`` (shapes ``(n_outputs, n_features)``, ``(n_outputs,)``)
    give the starting point; ``intercept_init=None`` starts from the intercept-only
    optimum (computed once, with the tolerance scales: for losses without a closed form
    it is a scalar minimisation over all samples). A ``ConvergenceWarning`` is raised
    when the optimality conditions do not hold to ``tol`` within ``max_iter``. ``cache``
    (a dict) keeps what refits on the same data reuse: tolerance scales, Gram columns.
    """
    solver = choose_solver(loss, l2, solver)
    cache = {} if cache is None else cache
    with _one_blas_thread():
        first = None
        if (l1 == 0 and not positive and "scales" not in cache
                and _gram_form(loss, X, n_outputs, solver, bounded=False)):
            first = _first_normal_equations(X, y, sample_weight, fit_intercept, normalizer,
                                            l2, cache)
        if first is not None:
            offset, result = first
        else:
            scales = problem_scales(loss, X, y, sample_weight, fit_intercept, n_outputs,
                                    normalizer, cache)
            columns = scales.columns
            obj = LinearObjective(loss.loss_gradient, columns.X, y, sample_weight,
                                  fit_intercept, n_outputs, normalizer,
                                  offset=columns.offset, col_scale=columns.col_scale,
                                  hessian=loss.hessian)
            # The solvers work with the intercept of implicitly centred (and shifted)
            # data (see LinearObjective and column_statistics).
            offset = columns.total_offset
            b_init = ((scales.b0 if intercept_init is None else intercept_init)
                      + coef_init @ offset)
            result = _dispatch(loss, obj, cache, solver, l1, l2, positive, coef_init, b_init,
                               scales.gtol(tol), tol, scales.floor, max_iter, verbose)
            if (l1 == 0 and l2 == 0 and getattr(loss, "infimum_at_infinity", False)
                    and _separated(obj.y, obj.raw(result.coef, result.intercept),
                                   obj.sample_weight)):
                result.converged = False
                result.message = (
                    "the classes are separable, so without a penalty the loss has no "
                    "minimum: it falls towards 0 as the coefficients grow, and the fit "
                    "stopped where its gradient met the tolerance (probabilities of 0 and "
                    "1).")
                result.advice = "Add a penalty (penalty='l2') for a finite optimum."
    result.intercept = result.intercept - result.coef @ offset
    if n_outputs > 1 and l1 == 0 and l2 == 0:
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


def _separated(y, raw, sample_weight):
    """Whether the raw scores classify every weighted sample correctly with a positive
    margin (labels -1 / +1, or one-hot rows against one column of scores per class)."""
    weighted = sample_weight > 0
    if raw.ndim == 1:
        return bool(np.all(y[weighted] * raw[weighted] > 0))
    true = np.einsum("ij,ij->i", y, raw)
    other = np.where(y > 0, -np.inf, raw).max(axis=1)
    return bool(np.all(true[weighted] > other[weighted]))


def _dispatch(loss, obj, cache, solver, l1, l2, positive, coef_init, b_init, gtol, tol,
              floor, max_iter, verbose):
    """Run the solver that fits the problem (see the module docstring)."""
    scales = cache["scales"]
    col_scale, g0, db0, b_zero = obj.col_scale, scales.g0, scales.db0, scales.b0
    n, p = obj.X.shape
    bounded = l1 > 0 or positive
    # A first L1 fit on new data works on the Gram matrix of a working set of X's columns
    # (n k^2 for k columns, against n p k for the same columns of the whole matrix;
    # measured: Lasso 2 000 x 200, 1.6-1.8x -> 1.4x scikit-learn's time, 20 000 x 200
    # 0.9-1.1x -> 0.5-0.8x); refits on the same data (a path) keep the whole matrix's
    # columns in the cache and reuse them.
    whole_gram = not bounded or "gram" in cache or cache.get("refit", False)
    cache["refit"] = True
    # A constant target is fitted by the intercept alone: every sample's gradient is the
    # same, so the centred columns' gradient is 0 at any intercept (numerically only to
    # the rounding of the intercept-only optimum, which can be all of a tolerance
    # measured on that gradient). Without an L1 part or bounds, w = 0 passes otherwise
    # only when its gradient vanishes to rounding (one sample).
    if scales.constant_target or _zero_is_optimal(g0, db0, l1, positive, col_scale, gtol):
        result = FitResult(np.zeros_like(coef_init, dtype=float), b_zero.copy(), 0, True,
                           "w = 0 satisfies the optimality conditions.")
    elif whole_gram and _gram_form(loss, obj.X, obj.n_outputs, solver, bounded=bounded):
        if "gram" in cache and p <= _GRAM_COMPLETE:
            # A refit on the same data (a path, a warm start): the columns its working
            # sets will add, one pass over X each, cost more than the rest of a small
            # matrix at once (measured: elastic-net CV, 5 folds x 20 alphas at 3 000 x 60,
            # 48 -> 41 ms; single fits keep computing only the columns they need)
            cache["gram"].complete()
        gram = _whole_gram(obj, -g0[0], cache)
        if l1 == 0 and not positive:
            result = _normal_equations(gram, l2)
        else:
            result = _working_set(gram, col_scale, l1, l2, positive, coef_init[0], gtol,
                                  max_iter, verbose, floor)
    elif solver == "lbfgs" and loss.quadratic and obj.n_outputs == 1 and bounded:
        result = _column_working_set(obj, -g0[0], l1, l2, positive, coef_init[0], gtol,
                                     max_iter, verbose, floor, cache)
    elif solver == "lbfgs":
        curvature = None
        if l1 == 0 and not positive and _p_by_p_pays(n, p):
            # without an L2 part, in standardised units (exact, and free of the columns'
            # units); with one, in X's own (where an L2 part is isotropic, see _Rotation)
            key = ("curvature", l2 == 0)
            if key not in cache:
                cache[key] = _curvature(loss, obj, b_zero, standardised=l2 == 0)
            curvature = cache[key]
        if bounded and (p >= _COLUMNS_MIN_FEATURES or n * p >= _COLUMNS_MIN_SIZE):
            # a cold start's gradient is the one at w = 0 the scales computed
            result = _lbfgs_columns(obj, l1, l2, positive, coef_init, b_init, gtol, max_iter,
                                    verbose, floor=floor,
                                    g=None if np.any(coef_init) else g0)
        else:
            result = _lbfgs(obj, l1, l2, positive, coef_init, b_init, gtol, max_iter,
                            verbose, floor=floor, curvature=curvature)
    elif solver == "highs":
        result = _highs(loss, obj, l1, positive, tol, max_iter)
    else:
        result = _smoothing(loss, obj, l1, l2, positive, coef_init, b_init, gtol, tol,
                            max_iter, verbose, scale=scales.scale)
        if not result.converged and l2 == 0:
            # A degenerate LP can defeat the crossover: HiGHS solves it exactly.
            result = _highs(loss, obj, l1, positive, tol, max_iter)
    return result


def _whole_gram(obj, c, cache):
    """The Gram matrix of all of ``obj``'s X (columns computed on demand), kept in
    ``cache`` for refits on the same data; ``c`` as in :class:`Gram`."""
    if "gram" not in cache:
        cache["gram"] = Gram(obj.X, obj.y, obj.sample_weight, obj.offset, obj.fit_intercept,
                             c=c)
    return cache["gram"]


def _kkt_violations(g, w, l1, positive, col_scale):
    """Per-coefficient violation of the optimality conditions of ``f(w) + l1 |w|_1``
    (``w >= 0`` with ``positive``) given the smooth part's gradient ``g``, for
    standardised features (the unit of ``gtol``); ``w=None`` for ``w = 0``."""
    zero = np.maximum(-g - l1, 0.0) if positive else np.maximum(np.abs(g) - l1, 0.0)
    if w is None:
        return zero / col_scale
    return np.where(w != 0, np.abs(g + l1 * np.sign(w)), zero) / col_scale


def _zero_is_optimal(g0, db0, l1, positive, col_scale, gtol):
    """Whether ``w = 0`` with the intercept-only intercept is the optimum: the data
    term's (sub)gradient there lies within the L1 penalty's, and the intercept's is 0."""
    violation = _kkt_violations(g0, None, l1, positive, col_scale).max(initial=0.0)
    return max(float(violation), float(np.abs(db0).max(initial=0.0))) <= gtol


# ----------------------------------------------------------------------------- L-BFGS-B


def _curvature(loss, obj, b0, standardised=False):
    """The data term's Hessian in ``W`` at the cold start ``(0, b0)``, for L-BFGS-B's
    preconditioner, as the eigendecompositions ``(U, mu, Q, lam)`` of a Kronecker
    product ``A (x) C`` (outputs x features), the intercepts' curvature (of one
    output; the mean of the diagonal of their Hessian for several), and the units of
    ``C``: with ``standardised``, ``C`` is the Hessian in the coefficients of
    standardised columns (``W * col_scale``) and the units are ``col_scale``, else 1.
    Standardised, the eigendecomposition resolves columns of any units (in X's own, a
    column in units of 1e-12 has eigenvalues of 1e-24 next to 1, below what it can
    resolve).

    One output: ``A = 1`` and ``C = sum_i s_i l''(y_i, b0) (x_i - offset)(x_i -
    offset)^T``. Several (multinomial): the raw prediction is the same for every sample at
    the start, so each sample's Hessian in the raw outputs is (for the softmax, exactly)
    the same ``A``, their weighted mean, and ``C`` is the weighted centred Gram matrix.

    ``None`` when the loss gives no second derivative or some sample has none there (a
    Huber outlier: the start then says little about the curvature at the optimum).
    Eigenvalues are floored at 1e-10 of the largest (collinear columns; the softmax's
    flat direction), so the preconditioner is definite for every alpha; one
    decomposition serves a whole path.
    """
    units = obj.col_scale if standardised else np.ones(obj.X.shape[1])
    n, k = obj.X.shape[0], obj.n_outputs
    s = obj.sample_weight
    if k == 1:
        d = loss.hessian(obj.y, np.full(n, float(b0[0])))
        if d is None or not np.all(d > 0):
            return None
        A, C = np.ones((1, 1)), centred_gram(obj.X, s * d, obj.offset)
        intercept = np.array([np.dot(s, d)])
    else:
        A = np.zeros((k, k))
        for start in range(0, n, 1024):  # (rows, k, k) blocks, no n x k x k array
            rows = slice(start, start + 1024)
            h = loss.hessian(obj.y[rows], np.tile(b0, (len(s[rows]), 1)))
            if h is None or np.ndim(h) != 3:  # a loss of one's own may know only 1-D raw
                return None
            A += np.einsum("i,ijk->jk", s[rows], h)
        # one scale for all the intercepts: the softmax's are only defined up to a common
        # constant, and a step along their gradient keeps their sum only if it is scaled
        # alike in every class
        intercept = np.full(k, np.trace(A) / k)
        A, C = A / np.sum(s), centred_gram(obj.X, s, obj.offset)
    C /= np.outer(units, units)
    parts = []
    for M in (A, C):
        eig, vectors = linalg.eigh(M, check_finite=False)
        top = np.max(eig, initial=0.0)
        if not top > 0:
            return None  # constant columns
        parts += [vectors, np.maximum(eig, 1e-10 * top)]
    return tuple(parts) + (np.maximum(intercept, 1e-10 * intercept.max()), units)


class _Rotation:
    """The change of variables ``W * units = U (V / R) Q^T``, ``R = sqrt(mu lam^T + l2)``,
    in which the curvature ``A (x) C`` of :func:`_curvature` (in the coefficients of
    columns in ``units``) plus ``l2 I`` is the identity (an L2 part is isotropic only in
    X's own units, so standardised ``units`` come with ``l2 = 0``), and ``b = c /
    intercept_scale`` with the square root of the intercept's curvature (its diagonal),
    so that the intercept is in the same units (a Poisson model of large counts has a
    curvature of their size: unscaled, the intercept's direction dominated L-BFGS-B's
    steps and its line search failed)."""

    def __init__(self, curvature, l2, col_scale):
        self.U, mu, self.Q, lam, intercept, self.units = curvature
        self.R = np.sqrt(np.outer(mu, lam) + l2)
        self.intercept_scale = np.sqrt(intercept)
        # dW = U (R * dV) Q^T / units: |dW / col_scale| is at most (|U| R |Q|^T) / (units
        # col_scale) times the largest |dV|, L-BFGS-B's measure
        self.unit = ((np.abs(self.U) @ self.R @ np.abs(self.Q).T)
                     / (self.units * col_scale)).ravel()

    def to_v(self, W):
        return (self.U.T @ (W * self.units) @ self.Q * self.R).ravel()

    def to_w(self, v):
        return self.U @ (v.reshape(self.R.shape) / self.R) @ self.Q.T / self.units

    def gradient_v(self, dW):
        return (self.U.T @ (dW / self.units) @ self.Q / self.R).ravel()

    def gradient_w(self, dv):
        return (self.U @ (dv.reshape(self.R.shape) * self.R) @ self.Q.T * self.units).ravel()


class _Packing:
    """L-BFGS-B variables ``z = [V+, V-, b]`` and the penalised objective on ``z``.

    ``V = W * scale`` with ``scale = sqrt(col_scale**2 + l2 / loss_curvature)``: a
    diagonal preconditioner, about the square root of each coefficient's curvature (up to
    a common factor): the data term's (``col_scale`` = the columns' weighted standard
    deviations, see ``LinearObjective``, times the loss's typical second derivative,
    ``loss_curvature``: 1 for squared error in any units, about 1 / kappa for the smoothed
    kinks of a piecewise-linear loss in the units kappa of y) plus the L2 term's. Features in very
    different units (1e-6 next to 1e6) converge together, and so do strongly penalised
    ones (measured: log loss + L2 at 100 x alpha_max, 37 iterations with the column
    scales alone, 10 with the L2 term). ``V-`` exists only for an L1 part without
    ``positive``; ``V+`` is free when there is neither.

    With ``curvature`` (the data term's Hessian in ``W`` at the start, see
    :func:`_curvature`) and no bounds (no L1 part, no ``positive``), the preconditioner
    is that whole matrix instead (:class:`_Rotation`): ``V`` are the coordinates in which
    ``curvature + l2 I`` is the identity. The problem in ``V`` then has a Hessian near
    the identity, and L-BFGS-B needs far fewer iterations (measured: log loss + L2, the
    5-fold, 20-alpha cross-validation at 3 000 x 60 took 1 716 evaluations with the
    diagonal preconditioner and 1 036 with this one; a single fit at 20 000 x 200,
    0.24 s and 0.09 s).

    ``gtol`` is a tolerance on the gradient for *standardised* features (divided by
    ``col_scale``), whatever the preconditioner: ``unit`` converts L-BFGS-B's gradient
    entries to that measure.
    """

    def __init__(self, obj, l1, l2, positive, n_features, curvature=None, loss_curvature=1.0):
        self.obj, self.l1, self.l2 = obj, l1, l2
        self.shape = (obj.n_outputs, n_features)
        self.m = obj.n_outputs * n_features
        col_scale = np.tile(obj.col_scale, obj.n_outputs)
        self.scale = np.sqrt(col_scale**2 + l2 / loss_curvature)
        self.bounded = l1 > 0 or positive
        self.split = l1 > 0 and not positive
        self.n_blocks = 2 if self.split else 1
        # The L1 cost of V+ and V- per unit: l1 |w| = (l1 / scale) |v|.
        self.l1_cost = np.tile(l1 / self.scale, self.n_blocks)
        n_b = obj.n_outputs if obj.fit_intercept else 0
        self.unit = np.concatenate([np.tile(self.scale / col_scale, self.n_blocks),
                                    np.ones(n_b)])
        # None when unbounded: scipy's handling of infinite bounds costs 0.15 ms a call
        self.bounds = None
        if self.bounded:
            size = self.n_blocks * self.m + n_b
            lower = np.full(size, -np.inf)
            lower[: self.n_blocks * self.m] = 0.0
            self.bounds = Bounds(lower, np.full(size, np.inf))
        self.rotation = None
        if curvature is not None and not self.bounded:
            self.rotation = _Rotation(curvature, l2, obj.col_scale)
            self.unit = np.concatenate([self.rotation.unit,
                                        self.rotation.intercept_scale[:n_b]])

    def pack(self, W, b):
        if self.rotation is not None:
            v = self.rotation.to_v(W)
            c = b * self.rotation.intercept_scale
            return np.concatenate([v, c] if self.obj.fit_intercept else [v])
        v = W.ravel() * self.scale
        parts = [np.maximum(v, 0), np.maximum(-v, 0)] if self.split else [
            np.maximum(v, 0) if self.bounded else v]
        if self.obj.fit_intercept:
            parts.append(b)
        return np.concatenate(parts).astype(np.float64)

    def unpack(self, z):
        m = self.m
        v = z[:m] - z[m: 2 * m] if self.split else z[:m]
        b = z[self.n_blocks * m:] if self.obj.fit_intercept else np.zeros(self.obj.n_outputs)
        if self.rotation is not None:
            if self.obj.fit_intercept:
                b = b / self.rotation.intercept_scale
            return self.rotation.to_w(v), b
        return (v / self.scale).reshape(self.shape), b

    def fun(self, z):
        W, b = self.unpack(z)
        w = W.ravel()
        value, dW, db = self.obj.value_gradient(W, b)
        gw = dW + self.l2 * W
        gv = (self.rotation.gradient_v(gw) if self.rotation is not None
              else gw.ravel() / self.scale)
        value += 0.5 * self.l2 * np.dot(w, w)
        k = self.n_blocks * self.m
        if self.bounded:
            value += np.dot(self.l1_cost, z[:k])
        parts = [gv, -gv] if self.split else [gv]
        if self.rotation is not None:
            db = db / self.rotation.intercept_scale
        grad = np.concatenate(parts + ([db] if self.obj.fit_intercept else []))
        if self.bounded:
            grad[:k] += self.l1_cost
        return value, grad

    def projected_gradient(self, z, grad):
        """Largest violation of the first-order (KKT) conditions at ``z``."""
        if self.rotation is not None:  # back to the gradient in W (unbounded)
            m = self.m
            gw = (self.rotation.gradient_w(grad[:m]).reshape(self.shape)
                  / self.obj.col_scale).ravel()
            db = grad[m:] * self.rotation.intercept_scale[: len(grad) - m]
            return float(np.max(np.abs(np.concatenate([gw, db])), initial=0.0))
        pg = grad.copy()
        if self.bounded:
            k = self.n_blocks * self.m
            at_bound = z[:k] <= 0
            pg[:k][at_bound] = np.minimum(grad[:k][at_bound], 0.0)
        return float(np.max(np.abs(pg) * self.unit, initial=0.0))


def _lbfgs(obj, l1, l2, positive, W0, b0, gtol, max_iter, verbose, floor=None,
           max_restarts=5, curvature=None, loss_curvature=1.0, unit=1.0):
    """L-BFGS-B until the projected gradient is below ``gtol``.

    ``ftol=0`` disables the relative-reduction stop, which ends split-L1 problems early
    (steps cut short by the bounds look like no progress). A line-search failure is
    followed by a restart from the current point (fresh curvature memory); a restart that
    cannot move at all has hit rounding, and counts as converged if the violation is
    below ``floor()`` (a function: computed only then).

    L-BFGS-B's first trial step has unit length, too long for a warm start near the
    optimum. With the rotation preconditioner the Hessian is near the identity, so the
    right first step is the gradient itself: a warm start measures the variables in units
    of the first gradient's norm, which makes the unit step that step (measured: log
    loss + L2, a 20-alpha path at 2 400 x 60, 216 -> 192 evaluations; the first
    evaluation is reused, not repeated). A cold start (``W0 = 0``) keeps unit variables
    unless its gradient is shorter than 1 (then the gradient step, as a warm start): a
    unit step moves the prediction further than the curvature there allows (a Poisson
    model of tiny counts overflows). A gradient of rounding size never comes here: the
    caller returns ``w = 0`` for it (:class:`Scales`). Without the rotation, the
    variables are measured in ``unit`` (the scale of the predictions, when the loss makes
    it the coefficients' scale: a piecewise-linear loss's kinks in y's units), so that
    the first trial step is neither 1e12 times too long nor too short.
    """
    pk = _Packing(obj, l1, l2, positive, W0.shape[1], curvature, loss_curvature)
    z = pk.pack(W0, b0)
    step, first = unit, None
    if pk.rotation is not None:
        value, grad = pk.fun(z)
        norm = float(np.linalg.norm(grad))
        step = (norm if np.any(W0) else min(norm, 1.0)) or 1.0
        first = (z / step, value / step, grad)

    # L-BFGS-B's variables u = z / step and objective F / step: its gradient in u is
    # F's in z. (L-BFGS-B caps a bounded variable's projected gradient at its distance
    # to the bound; with the objective unscaled, a problem in units of 1e12 compared
    # distances of 1 with gradients of 1e12 and stopped at once.)
    def fun(u):
        nonlocal first
        if first is not None:  # only L-BFGS-B's first call can be at the start
            start, first = first, None
            if np.array_equal(u, start[0]):
                return start[1], start[2]
        value, grad = pk.fun(u * step)
        return value / step, grad

    n_iter, previous = 0, np.inf
    for _ in range(max_restarts + 1):
        res = minimize(
            fun, z / step, jac=True, method="L-BFGS-B", bounds=pk.bounds,
            options={"maxiter": max_iter - n_iter, "maxfun": 2 * max_iter + 20,
                     "ftol": 0.0, "gtol": gtol / np.max(pk.unit, initial=1.0),
                     "maxcor": 20, "maxls": 40},
        )
        n_iter += res.nit
        # A whole run that cannot lower the objective beyond rounding has stalled.
        stalled = bool(np.isfinite(previous)
                       and res.fun >= previous - 10 * np.finfo(float).eps * abs(previous))
        previous, z = res.fun, res.x * step
        violation = pk.projected_gradient(z, res.jac)
        message = (f"{res.message} (largest KKT violation {violation:.3g}, "
                   f"tolerance {gtol:.3g}, {n_iter} iterations).")
        if verbose:
            print(f"[lbfgs] {message}")
        if violation <= gtol or n_iter >= max_iter or stalled:
            break
    W, b = pk.unpack(z)
    if violation <= gtol:
        return FitResult(W, b, n_iter, True, message)
    if n_iter < max_iter:
        # the line search stalled on the rounding of the objective's values: Newton steps
        # on the active pieces need only gradients, which resolve far finer
        polished = _newton_polish(obj, l1, l2, positive, W, b, gtol)
        if polished is not None:
            W, b, violation = polished
            message = (f"{message} Newton steps on the nonzero coefficients: largest KKT "
                       f"violation {violation:.3g}.")
            if verbose:
                print(f"[lbfgs] Newton steps: largest KKT violation {violation:.3g}.")
            if violation <= gtol:
                return FitResult(W, b, n_iter + 1, True, message)
    if stalled and floor is not None and violation <= floor():
        return FitResult(W, b, n_iter, True,
                         message + " Stopped at the limit of floating-point precision.")
    return FitResult(W, b, n_iter, False, message)


# Newton steps that finish a stalled L-BFGS-B run (_newton_polish) build the Hessian on
# the nonzero coefficients (n k^2): up to this many of them
_POLISH_MAX_FEATURES = 500


def _newton_polish(obj, l1, l2, positive, W, b, gtol, max_steps=4):
    """``(W, b, violation)`` after Newton steps on the nonzero coefficients (all of them
    without an L1 part or bounds) and the intercepts, from where L-BFGS-B stalled;
    ``None`` when the loss gives no second derivative or there are more than
    ``_POLISH_MAX_FEATURES`` such coefficients.

    L-BFGS-B's line search compares objective values, whose rounding (eps times the
    objective) hides decreases below it: it stalls at a KKT violation of about
    ``sqrt(eps |f| curvature)``. A Newton step needs gradients only, accurate to eps
    times their terms, so near the optimum it goes on to machine precision (for a
    piecewise-quadratic loss, Huber or squared hinge, one step is exact once the samples'
    pieces are right). Each step is kept only if it keeps the signs of the coefficients
    and lowers the largest KKT violation on every feature. A singular Hessian (collinear
    columns) takes the minimum-norm step.
    """
    hessian = getattr(obj, "hessian", None)
    if hessian is None:
        return None
    X, y, s, k = obj.X, obj.y, obj.sample_weight, obj.n_outputs
    W, b = np.array(W, dtype=float), np.array(b, dtype=float)
    bounded = l1 > 0 or positive
    free = W != 0 if bounded else np.ones(W.shape, dtype=bool)
    if np.count_nonzero(free) > _POLISH_MAX_FEATURES:
        return None
    U = np.flatnonzero(free.any(axis=0))
    XU = gather_columns(X, U)
    # standardised columns: the steps are taken for W * col_scale, so that columns in
    # any units make a well-scaled Hessian
    XU = ((XU.toarray() if hasattr(XU, "multiply") else XU) - obj.offset[U]) / obj.col_scale[U]
    # each output's free coefficients as columns of XU, and the intercepts last
    blocks = [np.flatnonzero(free[c, U]) for c in range(k)]
    unit = np.concatenate([obj.col_scale[U][a] for a in blocks])
    size = sum(len(a) for a in blocks)
    n_b = k if obj.fit_intercept else 0
    starts = np.cumsum([0] + [len(a) for a in blocks])
    sigma = np.sign(W[free])

    def state(W, b):
        raw = obj.raw(W, b)
        _, dW, db = obj.value_gradient(W, b, raw=raw)
        G = dW + l2 * W
        v = _kkt_violations(G, W, l1, positive, np.tile(obj.col_scale, (k, 1))).max(initial=0.0)
        return raw, G, max(float(v), float(np.abs(db[:n_b]).max(initial=0.0))), db

    raw, G, violation, db = state(W, b)
    for _ in range(max_steps):
        h = hessian(y, raw)
        if h is None or not np.all(np.isfinite(h)):
            return None
        sh = (s * h if k == 1 else s[:, None, None] * h).reshape(len(s), k, k)
        H = np.zeros((size + n_b, size + n_b))
        for c in range(k):
            rows = slice(starts[c], starts[c + 1])
            for d in range(k):
                cols = slice(starts[d], starts[d + 1])
                weighted = XU[:, blocks[d]] * sh[:, c, d][:, None]
                H[rows, cols] = XU[:, blocks[c]].T @ weighted
                if n_b:
                    H[size + c, cols] = H[cols, size + c] = weighted.sum(axis=0)
                    H[size + c, size + d] = sh[:, c, d].sum()
        H[np.arange(size), np.arange(size)] += l2 / unit**2
        if n_b > 1:
            # the softmax's intercepts are only defined up to a common shift, whose
            # curvature is 0 to rounding: give it some, so that the step keeps their sum
            # (their gradient sums to 0) instead of dividing rounding by rounding
            H[size:, size:] += np.trace(H[size:, size:]) / n_b
        rhs = np.concatenate([(G[free] + l1 * sigma) / unit, db[:n_b]])
        step = _solve_spd(H, -rhs)
        if step is None:
            step = linalg.lstsq(H, -rhs)[0]
        W_new, b_new = W.copy(), b.copy()
        W_new[free] += step[:size] / unit
        b_new[:n_b] += step[size:]
        if bounded and np.any(np.sign(W_new[free]) != sigma):
            break
        raw_new, G_new, v_new, db_new = state(W_new, b_new)
        if not v_new < violation:
            break
        W, b, raw, G, violation, db = W_new, b_new, raw_new, G_new, v_new, db_new
        if violation <= gtol:
            break
    return W, b, violation


# An L1 part (or positive) of a smooth loss other than squared error is solved by
# L-BFGS-B on a working set of X's columns (_lbfgs_columns) from this many features or
# entries of X on. Measured here (interleaved, against L-BFGS-B on all of X): L1 log
# loss 20 000 x 200 0.28x, 2 000 x 1 000 0.53x, 100 000 x 200 0.55x, multinomial
# 20 000 x 200 0.28x, 2 000 x 1 000 0.58x, Huber 20 000 x 200 0.63x, 200 x 2 000
# 0.4x, 100 x 5 000 0.13-0.18x; but 2 000 x 200 (X in cache, where an evaluation's
# cost is mostly L-BFGS-B's own and the rounds add evaluations) 1.2-1.4x.
_COLUMNS_MIN_FEATURES = 1000
_COLUMNS_MIN_SIZE = 2_000_000


def _lbfgs_columns(obj, l1, l2, positive, W0, b0, gtol, max_iter, verbose, floor=None,
                   g=None):
    """:func:`_lbfgs` for an L1 part (or ``positive``) on a working set of X's columns:
    the nonzero coefficients and the features that violate their optimality condition
    most (geometric growth, :func:`_growth_limit`), the restricted problem solved by
    L-BFGS-B on those columns (``n k`` an evaluation instead of ``n p``) and checked on
    every feature with one ``X w`` and one ``X^T r``; violators join and the restricted
    problem is solved again, warm-started. A working set that would pass half of the
    features is finished by L-BFGS-B on all of X. ``g``: the data term's coefficient
    gradient at the start, when the caller has it."""
    X, n_iter = obj.X, 0
    p = X.shape[1]
    W, b = np.array(W0, dtype=float), np.array(b0, dtype=float)
    order = np.flatnonzero(np.any(W != 0, axis=0))
    message, converged = "", False
    dW = obj.value_gradient(W, b)[1] if g is None else g
    while True:
        v = _kkt_violations(dW + l2 * W, W, l1, positive, obj.col_scale).max(axis=0)
        violation = float(v.max(initial=0.0))
        if n_iter > 0 and (violation <= gtol or n_iter >= max_iter):
            return FitResult(W, b, n_iter, violation <= gtol, message)
        v[order] = 0.0
        grow = np.flatnonzero(_joining(v, v > gtol, _growth_limit(np.any(W != 0, axis=0))))
        if n_iter > 0 and not grow.size:  # the restricted solve stopped short of gtol
            return FitResult(W, b, n_iter, converged, message)
        if 2 * (order.size + grow.size) > p:
            break
        order = np.concatenate([order, grow])
        if verbose:
            print(f"[lbfgs columns] {order.size} of {p} features, largest KKT violation "
                  f"{violation:.3g}")
        sub = LinearObjective(obj.loss_gradient, gather_columns(X, order), obj.y,
                              obj.sample_weight, obj.fit_intercept, obj.n_outputs,
                              normalizer=1.0, offset=obj.offset[order],
                              col_scale=obj.col_scale[order], hessian=obj.hessian)
        res = _lbfgs(sub, l1, l2, positive, W[:, order], b, gtol, max_iter - n_iter,
                     verbose, floor=floor)
        n_iter += max(res.n_iter, 1)
        W = np.zeros_like(W)
        W[:, order], b = res.coef, res.intercept
        message, converged = res.message, res.converged
        dW = obj.value_gradient(W, b)[1]
    res = _lbfgs(obj, l1, l2, positive, W, b, gtol, max_iter - n_iter, verbose, floor=floor)
    res.n_iter += n_iter
    return res


def _newton(obj, curvature, l2, W0, b0, gtol, max_iter, unit=1.0):
    """Minimise ``obj`` (one output) ``+ l2 |w|^2 / 2`` by ``scipy.optimize.minimize``'s
    Newton-CG with the exact Hessian; ``curvature(raw)`` is the loss's second derivative
    per sample, and only the samples where it is nonzero enter the Hessian.

    The variables are the coefficients of standardised features (``w * col_scale``) and
    the intercept, so the gradient is in the units of ``gtol``; the run stops (through
    the callback) once its largest entry is below ``gtol``. ``unit`` is the scale of
    those variables (of the predictions: the units of y), which Newton-CG's step
    tolerance is relative to.
    """
    X, offset, scale = obj.X, obj.offset, obj.col_scale
    p, n_b = X.shape[1], int(obj.fit_intercept)
    last = {"x": None, "gx": None}

    def split(x):
        return (x[:p] / scale)[None, :], (x[p:] if n_b else np.zeros(1))

    def raw_at(x):  # one X w per point, shared by the value and the Hessian
        if not np.array_equal(last["x"], x):
            last["x"], last["raw"] = x.copy(), obj.raw(*split(x))
        return last["raw"]

    def fun(x):
        W, b = split(x)
        value, dW, db = obj.value_gradient(W, b, raw=raw_at(x))
        w = W[0]
        grad = np.concatenate([(dW[0] + l2 * w) / scale, db[:n_b]])
        last["gx"], last["grad"] = x.copy(), grad
        return value + 0.5 * l2 * np.dot(w, w), grad

    def hess(x):
        d = obj.sample_weight * curvature(raw_at(x))
        band = np.flatnonzero(d)  # the samples near a kink: few, in the Newton stages
        H = np.zeros((p + n_b, p + n_b))
        total = np.asarray(X[band].T @ d[band]).ravel()  # no pass over all of X
        H[:p, :p] = centred_gram(X, d, offset, total=total, rows=band, block=256)
        if n_b:
            H[:p, p] = H[p, :p] = total - offset * np.sum(d)
            H[p, p] = np.sum(d)
        H[:p, :p] /= np.outer(scale, scale)
        H[:p, p:] /= scale[:, None]
        H[p:, :p] /= scale[None, :]
        H[np.arange(p), np.arange(p)] += l2 / scale**2
        if n_b:  # with no sample near a kink the intercept has no curvature: bound its step
            H[p, p] = max(H[p, p], float(np.min(l2 / scale**2)))
        return H

    def gradient_at(x):
        return last["grad"] if np.array_equal(last["gx"], x) else fun(x)[1]

    def optimal(intermediate_result):
        if np.max(np.abs(gradient_at(intermediate_result.x)), initial=0.0) <= gtol:
            raise StopIteration

    x0 = np.concatenate([W0[0] * scale, b0[:n_b]])
    res = minimize(fun, x0, jac=True, hess=hess, method="Newton-CG", callback=optimal,
                   options={"xtol": 1e-12 * unit, "maxiter": max_iter})
    W, b = split(res.x)
    violation = float(np.max(np.abs(gradient_at(res.x)), initial=0.0))
    message = (f"{res.message} (largest KKT violation {violation:.3g}, tolerance "
               f"{gtol:.3g}, {res.nit} iterations).")
    return FitResult(W, b.copy(), max(res.nit, 1), violation <= gtol, message)


def _normal_equations(gram, l2):
    """Exact minimiser of the Gram form with an L2 (or no) penalty: ``(G + l2 I) w = c``.

    A singular system (no penalty, collinear features) gets the minimum-norm solution,
    one of the optima.
    """
    A = gram.matrix() + l2 * np.eye(len(gram.c))
    w = _solve_spd(A, gram.c)
    if w is None:  # the minimum norm for standardised columns: free of their units
        d = _unit_diagonal(A)
        w = linalg.lstsq(A / np.outer(d, d), gram.c / d)[0] / d
    return FitResult(w[None, :], np.array([gram.y_bar]), 1, True,
                     "solved the normal equations.")


def _gram_form(loss, X, n_outputs, solver, bounded):
    """Whether the problem is solved in Gram form: half squared error, one output, and
    p x p matrices that pay (:func:`_p_by_p_pays`). Without bounds (no L1 part, not
    ``positive``) the normal equations are worth it with fewer samples too, as long as
    the p x p matrix is at most twice the size of X (p <= 2 n): they are exact, where
    L-BFGS-B without the curvature preconditioner (which needs n >= 4 p) crawls on such
    ill-conditioned problems (measured: 185 iterations on 15 x 30, ridge, tol=1e-10)."""
    if not (solver == "lbfgs" and loss.quadratic and n_outputs == 1):
        return False
    n, p = X.shape
    return _p_by_p_pays(n, p) or (not bounded and p <= min(_GRAM_MAX_FEATURES, 2 * n))


def _first_normal_equations(X, y, sample_weight, fit_intercept, normalizer, l2, cache):
    """``(offset, result)`` of :func:`_normal_equations` on data seen for the first time,
    or ``None`` when X has far-offset columns (see :func:`column_statistics`: the general
    route shifts them first).

    An exact solve needs none of the tolerance scales (:func:`_scales`), whose pass over X
    costs a noticeable part of a ridge fit: only the offset and the Gram matrix are
    computed (the latter kept in ``cache`` for refits), and the columns' spread is read
    off the Gram matrix's diagonal.
    """
    s = normalised_weights(sample_weight, normalizer)
    with np.errstate(invalid="ignore"):  # X's finiteness, as in column_statistics
        offset = (np.asarray(X.T @ s).ravel() / np.sum(s) if fit_intercept
                  else np.zeros(X.shape[1]))
        gram = Gram(X, y, s, offset, fit_intercept)
        check_finite(X, offset, gram.c)  # (without an intercept, only c sums over X)
    if fit_intercept and far_offset(offset, gram.matrix().diagonal() / gram.S).any():
        return None
    cache["gram"] = gram
    return offset, _normal_equations(gram, l2)


def _solve_spd(A, rhs):
    """``A^{-1} rhs`` for a symmetric positive definite ``A`` by Cholesky; ``None`` if it
    is singular to working precision (the factor's diagonal spans more than 1e7, i.e. a
    condition number beyond about 1e14). The system is first scaled to a unit diagonal
    (:func:`_unit_diagonal`), so that variables in different units (a column in units of
    1e-12 next to one in units of 1) are not taken for collinear ones. LAPACK's
    ``potrf``/``potrs`` directly: the small systems of a regularisation path would pay
    ``cho_factor``'s wrappers several times the arithmetic."""
    if len(A) == 0:
        return np.zeros_like(rhs, dtype=float)
    d = _unit_diagonal(A)
    factor = _cholesky(A / np.outer(d, d))
    return None if factor is None else lapack.dpotrs(factor, rhs / d)[0] / d


def _unit_diagonal(A):
    """``d`` with ``A / (d d^T)`` of unit diagonal (1 where the diagonal is 0)."""
    d = np.sqrt(np.maximum(A.diagonal(), 0.0))
    d[d == 0] = 1.0
    return d


def _cholesky(A):
    """The upper Cholesky factor of ``A``; ``None`` if ``A`` is singular to working
    precision (see :func:`_solve_spd`)."""
    factor, info = lapack.dpotrf(A, lower=False, clean=True)
    if info != 0:
        return None
    diagonal = factor.diagonal()  # a Cholesky factor's diagonal is positive
    return None if diagonal.min() <= 1e-7 * diagonal.max() else factor


_LOOSE = 100.0
_EXACT = "exact solution for the signs of the coefficients."
_NNLS = "non-negative least squares."


def _working_set(gram, col_scale, l1, l2, positive, w0, gtol, max_iter, verbose, floor,
                 solved=False, check=True):
    """Half squared error with an L1 part (or ``positive``) in Gram form.

    L-BFGS-B (:func:`_lbfgs`) solves the problem restricted to a *working set* of
    features: the nonzero coefficients of the start and the features whose optimality
    condition fails there. Every solution is checked on all features (the gradient
    ``G w - c`` needs only the Gram columns of the nonzero coefficients); violators join
    the working set and the restricted problem is solved again, warm-started. Only the
    working set's Gram columns are ever computed, so a sparse solution costs ``n p k``
    for ``k`` nonzero features instead of ``n p^2``.

    Before each L-BFGS-B run, the exact solution for the current signs is tried
    (:func:`_exact_steps`): along a regularisation path the signs change little from one
    alpha to the next, and then one or a few ``k x k`` solves give the exact optimum.
    So the first L-BFGS-B run stops at ``_LOOSE * gtol``: it only has to find the signs;
    the later runs (if the exact step fails) go to ``gtol``. A working set of up to
    ``_NNLS_MAX_FEATURES`` features is solved by non-negative least squares instead
    (:func:`_split_nnls`), whose solution the exact step then makes exact (unless it is
    exact already).

    ``solved``: ``w0`` is already the exact solution for its own signs (a column working
    set's previous, smaller problem), so the first exact step starts from it instead of
    solving for it again (so does the step after an exact NNLS solution).

    ``check=False``: the caller checks the solution on every feature itself (a column
    working set does, with one ``X^T r``), so an exact NNLS solution is returned as it
    is, unchecked here: a feature left at 0 that wants the other sign is found by the
    caller's check, which then solves again with ``check=True`` (at 2 000 x 50, the
    working set's own check took 50 of a fit's 890 us, measured here).
    """
    p = len(gram.c)
    w, n_iter = np.array(w0, dtype=float), 0
    working = np.zeros(p, dtype=bool)
    message, converged = "", False
    # The first run only has to find the signs for an exact step, not the optimum.
    run_gtol = _LOOSE * gtol

    def gradient(v):
        return gram.gradient(v, l2)

    while True:
        zero = not w.any()  # (no signs to step from, and the gradient is -c)
        exact = None if zero else _exact_steps(gram, l1, l2, positive, w, gradient, col_scale,
                                               gtol, solved=solved)
        if exact is not None:
            return FitResult(exact[None, :], np.array([gram.y_bar]), n_iter, True, _EXACT)
        g = -gram.c if zero else gradient(w)
        v = _kkt_violations(g, None if zero else w, l1, positive, col_scale)
        violation = float(v.max(initial=0.0))
        if violation <= gtol and n_iter > 0:
            return FitResult(w[None, :], np.array([gram.y_bar]), n_iter, True, message)
        grow = _joining(v, (v > gtol) & ~working, _growth_limit(w))
        if not grow.any() and n_iter > 0 and run_gtol == gtol:
            # The restricted solve stopped inside the working set: at max_iter, or at the
            # limit of floating-point precision (then it counts as converged).
            return FitResult(w[None, :], np.array([gram.y_bar]), n_iter, converged, message)
        if n_iter > 0:
            run_gtol = gtol
        working |= grow | (w != 0)
        idx = np.flatnonzero(working)
        if verbose:
            print(f"[working set] {len(idx)} features, largest KKT violation {violation:.3g}")
        sub = gram.restricted(idx, col_scale)
        res = None
        if len(idx) <= _NNLS_MAX_FEATURES:
            if not positive:
                # the sign each coefficient will take: its own, or the one its gradient
                # asks for (a zero coefficient entering)
                signs = np.where(w[idx] != 0, np.sign(w[idx]), np.where(g[idx] > 0, -1.0, 1.0))
                res = _split_nnls(sub, l1, l2, False, signs, run_gtol if check else None)
            res = res or _split_nnls(sub, l1, l2, positive)
        if res is None:
            # too many features for NNLS: exact steps from the signs the new ones ask for
            # (their columns are known now), before L-BFGS-B
            exact = _exact_steps(gram, l1, l2, positive, _entering(w, g, grow), gradient,
                                 col_scale, gtol)
            if exact is not None:
                return FitResult(exact[None, :], np.array([gram.y_bar]), n_iter + 1, True,
                                 _EXACT)
            res = _lbfgs(sub, l1, l2, positive, w[idx][None, :], np.zeros(1), run_gtol,
                         max_iter - n_iter, 0, floor=floor)
        n_iter += max(res.n_iter, 1)
        w = np.zeros(p)
        w[idx] = res.coef[0]
        message, converged = res.message, res.converged
        solved = message == _EXACT
        if solved and not check:  # an exact NNLS solution, checked by the caller
            return FitResult(w[None, :], np.array([gram.y_bar]), n_iter, True, _EXACT)
        if n_iter >= max_iter and not converged:
            return FitResult(w[None, :], np.array([gram.y_bar]), n_iter, False, message)


def _column_working_set(obj, c, l1, l2, positive, w0, gtol, max_iter, verbose, floor,
                        cache):
    """Half squared error with an L1 part (or ``positive``) when the whole Gram matrix
    does not pay (many features, or few samples per feature): :func:`_working_set` on
    the Gram matrix of a working set of X's columns.

    The working set starts as the nonzero coefficients of ``w0`` and the features that
    violate their optimality condition most (geometric growth, :func:`_growth_limit`,
    faster while it is small: ``_FAST_GROWTH``); it grows by half as many, at most to
    the cap (below), when that would pass the cap, and once full, its zero coefficients
    leave to make room, their Gram columns with them (:meth:`Gram.kept`; computing the
    rest again cost Lasso with an unscaled y at 2 000 x 1 000, alpha 0.1, 13-17 % of its
    fit), as long as its problem was solved exactly (by NNLS or an exact step; L-BFGS-B's
    inexact solutions could make the rounds cycle). The cap is 300 features. Without an
    L2 part it is twice as many as samples, at most what NNLS solves (but at least n): a
    Lasso solution has fewer nonzero coefficients than samples, and with n << p the set
    fills and empties many times, each time with room for a few violators; from a warm
    start (a path's next alpha, its set near the solution already) as many as samples,
    whose solves cost less (Lasso CV 200 x 2 000, 20 alphas: 0.55 -> 0.28 s; 100 x 1 000
    0.23 -> 0.18 s). With one
    (an elastic-net solution may have more nonzero coefficients than samples, and its
    restricted system stays definite) and n <= ``_SAMPLE_SPACE_MAX``, it is what NNLS
    solves, and a denser solution takes the samples' space (elastic net 200 x 2 000, 212
    nonzero: 239 -> 10 iterations, the rounds' L-BFGS-B runs gone, -5..-14 %). At a cap
    of n / 4, those problems went to L-BFGS-B on X: Lasso 100 x 5 000, 96 nonzero
    coefficients, 1 000 iterations unconverged in 1.0 s against 14-18 rounds in 30-40
    ms, 0.4-0.55x ``Lasso``; elastic net 100 x 5 000, 119 nonzero, 840 -> 51 ms, 0.6x
    ``ElasticNet``. A cap of 2n instead of n: Lasso with an unscaled y, 50 x 350 32 ->
    13 ms, 100 x 1 000 98 -> 64 ms, 200 x 2 000 625 -> 407 ms, 107 -> 41 rounds;
    positive Lasso 200 x 2 000, 188 nonzero, 22 -> 30 ms. Elastic net at
    2 000 x 1 000, 197 nonzero coefficients, grew 16, 48, 144 and then to 432, past the
    cap (every feature in a restricted elastic-net solution is nonzero), and L-BFGS-B on
    X finished (57 ms, 2.9x ``ElasticNet``); by half near the cap, 16, 48, 144, 286, 293
    (30 ms; with the faster early growth, 16, 64, 192, 260). Each working set's problem
    is solved exactly in Gram form (``n k^2`` to build for ``k`` columns, against
    ``n p k`` for the same columns of the whole matrix), and the solution is checked on
    every feature with one ``X w`` and one ``X^T r`` (``c`` is minus the data term's
    gradient at ``w = 0``, from :func:`_scales`): an exact NNLS solution is not checked
    again inside the working set (``check=False``); a violation found there with none
    outside solves the same working set again, checked. The working set's columns are
    gathered from X once (:func:`gather_columns`), in the order they join (a gather of
    dense X's columns costs about what a product with them does; the columns gathered
    before are copied on as one block), and each Gram matrix carries over the columns of
    the one before, so none is computed twice. When the working set outgrows what its
    Gram matrix pays for, L-BFGS-B on all of X finishes, warm-started.

    A dense solution ahead (nine in ten features violate at ``w = 0``, or the working
    set would pass half of them by new columns that are at least half of the whole
    matrix: a few more columns cost less than all of them, e.g. elastic net with an
    unscaled y at 20 000 x 50, 25 -> 26 columns, -19 %) goes to the whole Gram matrix
    where it pays
    (:func:`_p_by_p_pays`; kept in ``cache`` for refits): its one symmetric product costs
    about what the working sets' columns would, without their passes over X (Lasso with
    an unscaled y, 192 of 200 coefficients nonzero: 2 000 x 200, 16-20 -> 7-9 ms, 3.8x
    -> 2x ``Lasso``; 20 000 x 200, 90-130 -> 40-70 ms, 2.5-4x -> 0.7-1.4x).
    """
    X, s, offset, col_scale = obj.X, obj.sample_weight, obj.offset, obj.col_scale
    n, p = X.shape
    b = np.array([np.dot(s, obj.y) / s.sum() if obj.fit_intercept else 0.0])
    w, n_iter = np.array(w0, dtype=float), 0
    order = np.flatnonzero(w)  # the working set, in the order its features joined
    # (without an L2 part: see the docstring)
    largest = min(p, _GRAM_MAX_FEATURES,
                  (n if w.any() else max(n, min(2 * n, _NNLS_MAX_FEATURES))) if l2 == 0
                  else _NNLS_MAX_FEATURES if n <= _SAMPLE_SPACE_MAX else p)
    message, converged, gram, checked, sampled = "", False, None, True, False
    zero = not w.any()
    g = -c if zero else obj.value_gradient(w[None, :], b)[1][0]
    while True:
        v = _kkt_violations(g if zero else g + l2 * w, None if zero else w, l1, positive,
                            col_scale)
        violation = float(v.max(initial=0.0))
        if n_iter > 0 and (violation <= gtol or n_iter >= max_iter):
            return FitResult(w[None, :], b, n_iter, violation <= gtol, message)
        # an unchecked solve (see _working_set) may leave a violation inside the working
        # set: it is solved again, checked, with whatever joins
        inside = not checked and bool((v[order] > gtol).any())
        v[order] = 0.0
        violating = v > gtol
        # small working sets grow faster (see _FAST_GROWTH)
        nonzero = np.count_nonzero(w)
        fast = nonzero <= _FAST_GROWTH
        grow = np.flatnonzero(_joining(v, violating, _growth_limit(w, 3 if fast else 2)))
        if l2 > 0 and nonzero > n and n <= _SAMPLE_SPACE_MAX and not sampled:
            # more nonzero coefficients than samples (an elastic net with n << p): exact
            # steps in the samples' space (see _SAMPLE_SPACE_MAX), once, from the signs
            # here and those the joining features' gradients ask for
            sampled = True
            space = SampleSpace(obj, c, cache.setdefault("sample space", {}))
            exact = _exact_steps(space, l1, l2, positive, _entering(w, g, grow), None,
                                 col_scale, gtol, step=_sample_space_step)
            if exact is not None:
                return FitResult(exact[None, :], b, n_iter + 1, True, _EXACT)
        if order.size + grow.size > largest:
            if order.size >= largest:
                if message not in (_EXACT, _NNLS):
                    # full, and its own problem was not solved exactly (L-BFGS-B):
                    # dropping zeros and adding violators could cycle; L-BFGS-B on X
                    # finishes (below)
                    break
                # full: its zero coefficients leave (their Gram columns with them); none
                # (a dense elastic net): L-BFGS-B on X finishes
                keep = w[order] != 0
                if keep.all():
                    break
                order, gram = order[keep], gram.kept(keep)
            room = largest - order.size
            if room > 0:  # near the cap: grow by half as many, at most to the cap
                grow = np.flatnonzero(_joining(v, violating, min(_growth_limit(w, 1), room)))
        if n_iter > 0 and not grow.size and not inside:
            # the working set's solve stopped short of its tolerance (max_iter, rounding)
            return FitResult(w[None, :], b, n_iter, converged, message)
        if order.size + grow.size > largest:
            break
        # a dense solution ahead (see the docstring): nine in ten features violate at the
        # start, or the working set would pass half of them with new columns that are
        # half the whole matrix's (a few more columns cost less than all of them)
        total = order.size + grow.size
        dense = (2 * total > p and 4 * grow.size * total >= p * p if order.size
                 else 10 * np.count_nonzero(violating) > 9 * p)
        if dense and _p_by_p_pays(n, p):
            whole = _whole_gram(obj, c, cache)
            whole.complete()
            res = _working_set(whole, col_scale, l1, l2, positive, w, gtol,
                               max_iter - n_iter, verbose, floor)
            res.n_iter += n_iter
            return res
        order = np.concatenate([order, grow])
        if verbose:
            print(f"[column working set] {order.size} of {p} features, largest KKT "
                  f"violation {violation:.3g}")
        if gram is None or grow.size:
            if hasattr(X, "multiply") or gram is None:
                X_ws = gather_columns(X, order)
            else:  # the columns copied before are copied on as one block, not gathered again
                X_ws = np.empty((n, order.size), order="F")
                X_ws[:, : len(gram.c)] = gram.X
                gather_columns(X, order[len(gram.c):], out=X_ws[:, len(gram.c):])
            # the columns computed so far are not computed again
            gram = (Gram(X_ws, obj.y, s, offset[order], obj.fit_intercept, c=c[order])
                    if gram is None else gram.grown(X_ws, offset[order], c[order]))
        # a previous round that ended on an exact step left the exact solution for its
        # signs: the new columns' coefficients are 0, so it is one for the grown set too.
        # This round's solution is checked below on every feature; only a solve again on
        # the same working set checks itself.
        checked = not grow.size
        res = _working_set(gram, col_scale[order], l1, l2, positive, w[order], gtol,
                           max_iter - n_iter, verbose, floor, solved=message == _EXACT,
                           check=checked)
        n_iter += max(res.n_iter, 1)
        w, zero = np.zeros(p), False
        w[order] = w_ws = res.coef[0]
        message, converged = res.message, res.converged
        # the data term's gradient on every feature: X w from the working set's columns
        residual = X_ws @ w_ws + (b[0] - np.dot(offset[order], w_ws)) - obj.y
        g = obj.coef_gradient(s * residual)[0]
    res = _lbfgs(obj, l1, l2, positive, w[None, :], b, gtol, max_iter - n_iter, verbose,
                 floor=floor)
    res.n_iter += n_iter
    return res


# Working sets up to this size are solved by scipy's NNLS (an active-set method, cost
# about k^3 for k features): measured here, 0.13 ms at k = 35 and 1.9 ms at k = 100,
# against about 1 ms of L-BFGS-B iterations at k = 35; 28 ms at k = 300. With few
# samples (n << p, a column working set capped at n), the rounds near the cap are many
# and each L-BFGS-B solve there took tens of iterations, its inexact solutions making
# the rounds more: 64 -> 128, Lasso 100 x 1 000 with 91 nonzero coefficients, 35 -> 11
# ms; 128 -> 256, Lasso 200 x 2 000 (188 nonzero), 457 -> 13 iterations, 149 -> 80 ms,
# and with an unscaled y, 1 000 iterations unconverged (the result 19 % above the
# optimum) -> converged in 107.
_NNLS_MAX_FEATURES = 256
# An elastic net with more nonzero coefficients than samples takes its exact steps in the
# samples' space (n x n systems, Woodbury: SampleSpace) for up to this many samples;
# such a solution grew a column working set to its cap, 300 features, and L-BFGS-B on X
# finished. Measured here (unscaled y): 50 x 350, 304 nonzero, 24 -> 2 ms; 100 x 1 000,
# 834 nonzero, 129 -> 10 ms; 100 x 5 000, 3 539 nonzero, 225 -> 24 ms (0.1x ElasticNet);
# 200 x 2 000, 1 680 nonzero, 218 -> 52 ms. At 500 x 2 000 its steps cost more than
# L-BFGS-B on X (n^2 k each).
_SAMPLE_SPACE_MAX = 256
_GROW_MIN = 16
# A column working set with at most this many nonzero coefficients grows by 3x instead of
# 2x: the Gram columns of so few features cost little next to a round's passes over X
# (the check's X^T r, the gathers) and its fixed costs. Measured here (interleaved):
# Lasso / elastic net 2 000 x 200 in two rounds instead of three, -8 to -9 %; elastic net
# 2 000 x 1 000 -14 %, 20 000 x 1 000 -7 to -11 %; 20 000 x 200 elastic net +7 % (58
# instead of 48 columns in its second round).
_FAST_GROWTH = 32


def _growth_limit(w, factor=2):
    """How many features may join a working set around ``w`` at once: geometric growth
    (``factor`` times the nonzero coefficients), so that a sparse solution never pays for
    the Gram columns of the whole problem."""
    return max(_GROW_MIN, factor * int(np.count_nonzero(w)))


def _joining(v, candidates, limit):
    """The ``candidates`` (a mask) that join a working set: all of them, or the ``limit``
    largest violations ``v`` (see :func:`_growth_limit`)."""
    if np.count_nonzero(candidates) > limit:
        candidates = candidates & (v >= np.sort(v[candidates])[-limit])
    return candidates


def _split_nnls(sub, l1, l2, positive, signs=None, gtol=None):
    r"""The Gram-form problem ``sub`` (:class:`_GramRestriction`) as non-negative least
    squares, solved by ``scipy.optimize.nnls``; ``None`` if that fails.

    With ``x = [w+, w-] >= 0`` (only ``w+`` with ``positive``) the objective is
    :math:`\tfrac12 x^T H x - x^T (\pm c - l_1)` with ``H = [[G, -G], [-G, G]] + l2 I``,
    i.e. :math:`\tfrac12 \lVert R x - d\rVert^2` + const with ``H = R^T R`` and
    ``R^T d = \pm c - l1``. Without ``l2``, ``H`` is singular along ``w+ = w-``: a ridge
    of 1e-10 of its diagonal makes it definite (the exact step that follows removes it).

    With ``signs`` (``sigma``) each coefficient has one variable, ``w = sigma x``: half as
    many as the split, about an eighth of NNLS's cubic work. The result is the optimum
    only if no coefficient left at 0 asks for the other sign (its KKT violation, in
    ``sub``'s standardised units, above ``gtol``); otherwise ``None`` (then the split).
    ``gtol=None`` skips that check (the caller checks the result on every feature).

    With one variable per coefficient (``signs``, or ``positive``) and a well-conditioned
    ``H`` (no ridge needed), NNLS's solution solves ``H`` exactly on its nonzero
    variables: the exact solution for its signs, returned with the message ``_EXACT``
    (the exact step would only solve the same system again).
    """
    G, c = sub.G, sub.c
    k = len(c)
    if signs is not None:
        H, rhs = G * np.outer(signs, signs), signs * c - l1
    elif positive:
        H, rhs = G.copy(), c - l1
    else:
        H, rhs = np.block([[G, -G], [-G, G]]), np.concatenate([c - l1, -c - l1])
    H.flat[:: len(H) + 1] += l2
    # variables scaled to a unit diagonal (x >= 0 stays x >= 0): free of the columns'
    # units (see _solve_spd)
    unit = _unit_diagonal(H)
    H /= np.outer(unit, unit)
    rhs = rhs / unit
    # LAPACK directly: scipy.linalg's wrappers cost more than these small factorisations
    R = _cholesky(H) if signs is not None or positive else None  # (split: singular)
    exact = R is not None
    if not exact:
        H.flat[:: len(H) + 1] += 1e-10
        R, info = lapack.dpotrf(H, lower=False, clean=True)
        if info != 0:
            return None
    d, info = lapack.dtrtrs(R, rhs, lower=False, trans=1)
    try:
        x, _ = nnls(R, d)
    except (RuntimeError, ValueError):
        return None
    x = x / unit
    if signs is not None:
        w = signs * x
        if gtol is not None:
            v = _kkt_violations(G @ w - c + l2 * w, w, l1, False, sub.col_scale)
            if v[w == 0].max(initial=0.0) > gtol:
                return None
    else:
        w = x if positive else x[:k] - x[k:]
    return FitResult(w[None, :], np.zeros(1), 1, True,
                     _EXACT if exact else _NNLS)


def _exact_steps(gram, l1, l2, positive, w, gradient, col_scale, gtol, max_steps=8,
                 solved=False, step=None):
    """The exact optimum reached from the signs of ``w`` by a few exact steps, or ``None``.

    After each step (:func:`_exact_step`) the coefficients whose sign the step changed
    leave (they are set to 0), the zero coefficients that violate their optimality
    condition join with the sign their gradient asks for (what a coefficient entering
    along a path does), and the step is repeated; the result counts only if it
    satisfies the optimality conditions on every feature. A singular system,
    ``max_steps`` steps, or more violators than the working set's growth would admit
    whose Gram columns are not known yet (a cold start far from the optimum: they would
    be computed for a step that is likely to fail) end the attempt. With ``solved``, ``w``
    is the first step's result already (the exact solution for its signs). ``step`` is
    :func:`_exact_step` by default (:func:`_sample_space_step` for a
    :class:`SampleSpace`).
    """
    step = step or _exact_step
    for k in range(max_steps):
        stepped = ((w.copy(), gradient(w)) if solved and k == 0
                   else step(gram, l1, l2, positive, w))
        if stepped is None:
            return None
        exact, g = stepped
        v = _kkt_violations(g, exact, l1, positive, col_scale)
        flipped = (exact != 0) & (np.sign(exact) != np.sign(w))
        if not flipped.any() and v.max(initial=0.0) <= gtol:
            return exact
        join = (exact == 0) & (v > gtol) & ~flipped
        if not (join.any() or flipped.any()):  # rounding: the same step again
            return None
        if np.sum(join) > _growth_limit(exact) and not gram.known(join):
            return None
        w = _entering(exact, g, join)
        w[flipped] = 0.0
        if not np.any(w):
            return None
    return None


def _exact_step(gram, l1, l2, positive, w):
    """The optimum if the nonzero coefficients of ``w`` and their signs are right:
    ``(G_FF + l2 I) w_F = c_F - l1 sign(w_F)``; ``None`` when that system is singular.
    Its solution may change signs (then it is not the optimum: the caller checks).

    Returns ``(exact, g)``, ``g`` the smooth part's gradient there (:meth:`Gram.gradient`)
    from the same rows ``G[F]`` (one gather of them a step)."""
    F = np.flatnonzero(w)
    if F.size == 0:
        return None
    G_F = gram.rows(F)
    A = G_F[:, F]  # a copy
    if l2:
        A.flat[:: F.size + 1] += l2
    w_F = _solve_spd(A, gram.c[F] - l1 * np.sign(w[F]))
    if w_F is None:
        return None
    exact = np.zeros_like(w)
    exact[F] = w_F
    return exact, gram.gradient(exact, l2, F, G_F)


def _entering(w, g, idx):
    """A copy of ``w`` with the features ``idx`` (zero in ``w``; indices or a mask)
    entering with the sign their gradient ``g`` asks for, as a coefficient entering
    along a path does: the signs an exact step starts from."""
    w = w.copy()
    w[idx] = -np.sign(g[idx])
    return w


def _sample_space_step(space, l1, l2, positive, w):
    """:func:`_exact_step` in the samples' space (:class:`SampleSpace`, ``l2 > 0``):
    ``w_F = (r - A^T z) / l2`` with ``(A A^T + l2 I) z = A r``, ``r = c_F - l1 sign(w_F)``,
    an ``n x n`` system for ``k > n`` nonzero coefficients; its kernel ``A A^T`` updated
    from the last step's (:meth:`SampleSpace.kernel`), the products with ``A`` taken
    with X (two passes over it: ``A r``, then ``A^T z`` with the gradient)."""
    F = np.flatnonzero(w)
    if F.size == 0:
        return None
    rhs = np.zeros_like(w)
    rhs[F] = space.c[F] - l1 * np.sign(w[F])
    Ar, K = space.times(rhs), space.kernel(F)
    M = K.copy()
    M.flat[:: len(M) + 1] += l2
    z = _solve_spd(M, Ar)
    if z is None:
        return None
    # A w_F = (A r - A A^T z) / l2 from the kernel; then A^T z and the gradient
    # A^T (A w_F) - c + l2 w in one pass over X
    Atz, AtAw = space.transposed_times(np.column_stack([z, (Ar - K @ z) / l2]))
    exact = np.zeros_like(w)
    exact[F] = (rhs[F] - Atz[F]) / l2
    return exact, AtAw - space.c + l2 * exact


# ----------------------------------------------------------------------------- HiGHS LP


def _highs(loss, obj, l1, positive, tol, max_iter):
    r"""The exact LP of a piecewise-linear loss with an L1 (or no) penalty.

    With the loss written ``c + a_0 f + sum_k j_k max(0, f - beta_k)`` (see
    :class:`~sklearn_losses.losses.PiecewiseLinearLoss`), one slack ``t_ik >= 0`` per sample
    and kink gives::

        minimise    (X^T s a_0) . w + (s . a_0) b + sum_ik s_i j_ik t_ik + l1 (1.w+ + 1.w-)
        subject to  x_i . (w+ - w-) + b - t_ik <= beta_ik,   w+, w-, t >= 0,  b free

    (``w`` free and unsplit without an L1 part; ``w- `` absent with ``positive``). One
    constraint row per sample and kink, stored sparse: memory is linear in n. Samples of
    zero weight are left out. The intercept is not in the L1 cost.
    """
    return _band_lp(loss, obj, l1, positive, tol, max_iter)


def _band_size(W, fit_intercept):
    """How many samples near their kinks make the LP of :func:`_band_lp` worth solving
    around ``W``: three times the unknowns of a vertex, and 24 more (measured on
    quantile + L1 paths and single fits, 2 or 3 times were best, 4 took 20 % longer
    and 6 50 %: a larger band costs HiGHS more than the smoothing it saves)."""
    return 3 * (np.count_nonzero(W) + int(fit_intercept)) + 24


def _band_lp(loss, obj, l1, positive, tol, max_iter, raw=None, band=None, max_rounds=30):
    r"""The LP of :func:`_highs` with slacks only for the ``band`` (sample, kink) pairs
    nearest their kinks at the predictions ``raw`` (every pair without ``raw``); each
    other pair is taken to stay on the side of its kink ``raw`` puts it: right
    (``t_ik = f_i - beta_ik``, a linear term added to the costs of ``w`` and ``b``) or
    left (``t_ik = 0``).

    Each assumed term is at most the loss's own (``max(0, .) >= .`` and ``>= 0``), so the
    reduced LP's objective is a lower bound of the true one, equal to it wherever every
    pair lies on its assumed side: a solution where they all do is the exact optimum.
    Pairs found on the wrong side join the band and the LP is solved again; an
    unbounded LP (too few pairs to pin ``(w, b)`` down) doubles the band. HiGHS then
    works on a few rows per band sample: along a regularisation path, or after a little
    smoothing, the band is small and a solve takes milliseconds, where the whole LP of
    2 400 samples took about a second here. ``None`` when HiGHS fails or after
    ``max_rounds`` solves.
    """
    weighted = obj.sample_weight > 0
    X, y, s = obj.X[weighted] if not weighted.all() else obj.X, obj.y[weighted], \
        obj.sample_weight[weighted]
    n, p = X.shape
    beta, jump = loss.kinks(y)
    if raw is None:
        side = np.zeros(beta.shape, dtype=int)
    else:
        d = raw[weighted][:, None] - beta
        order = np.argsort(np.abs(d), axis=None)
        side = np.where(d > 0, 1, -1)
        side.flat[order[:band]] = 0
    # HiGHS's tolerances are absolute (and it drops matrix entries below 1e-9), so the LP
    # is posed in standardised units: coefficients of columns divided by col_scale, and
    # every quantity in the units of y divided by the kinks' scale; the costs are
    # multiplied by n, so that a sample's cost is about 1, not 1 / n.
    kappa = _kink_scale(beta, s)
    col_scale = obj.col_scale
    cost_unit = len(s) / kappa
    tiny = 1e-9 * (kappa + np.abs(beta))
    split = l1 > 0 and not positive
    n_w = (2 if split else 1) * p
    w_bounds = [(0, None)] * n_w if (l1 > 0 or positive) else [(None, None)] * n_w
    n_iter = 0
    for _ in range(max_rounds):
        rows, kinks = np.nonzero(side == 0)
        m = len(rows)
        a = s * (loss.left_slope(y) + np.sum(jump * (side > 0), axis=1))
        # costs per standardised coefficient v = w * col_scale / kappa
        c_w = np.asarray(X.T @ a).ravel() / col_scale * kappa * cost_unit
        l1_cost = l1 / col_scale * kappa * cost_unit
        Xb = sp.csr_matrix(X[rows]) @ sp.diags(1.0 / col_scale)
        cols = [sp.hstack([Xb, -Xb]) if split else Xb]
        cost = [c_w + l1_cost, -c_w + l1_cost] if split else [c_w + l1_cost]
        bounds = list(w_bounds)
        if obj.fit_intercept:
            cols.append(sp.csr_matrix(np.ones((m, 1))))
            cost.append([a.sum() * kappa * cost_unit])
            bounds.append((None, None))
        cols.append(-sp.identity(m, format="csr"))
        cost.append(s[rows] * jump[rows, kinks] * kappa * cost_unit)
        bounds += [(0, None)] * m
        res = linprog(
            np.concatenate(cost), A_ub=sp.hstack(cols, format="csc"),
            b_ub=beta[rows, kinks] / kappa, bounds=bounds, method="highs",
            options={"maxiter": max(max_iter, 10 * (m + p)),
                     # HiGHS refuses tolerances below 1e-10
                     "primal_feasibility_tolerance": float(np.clip(tol, 1e-10, 1e-7)),
                     "dual_feasibility_tolerance": float(np.clip(tol, 1e-10, 1e-7))},
        )
        n_iter += int(res.nit)
        whole = not side.any()
        if res.status == 3 and not whole:  # unbounded: twice the band
            band = 2 * m
            side.flat[order[:band]] = 0
            continue
        if (res.status != 0 or res.x is None) and not whole:
            return None
        x = res.x if res.x is not None else np.zeros(len(bounds))
        w = (x[:p] - x[p: 2 * p] if split else x[:p]) * kappa / col_scale
        b = x[n_w: n_w + 1] * kappa if obj.fit_intercept else np.zeros(1)
        # The LP is written on X itself; report the intercept of centred data.
        result = FitResult(w[None, :], b + w @ obj.offset, n_iter, res.status == 0,
                           f"HiGHS: {res.message}")
        if whole:  # the whole LP: what HiGHS says
            return result
        d = (np.asarray(X @ w).ravel() + b[0])[:, None] - beta
        wrong = ((side > 0) & (d < -tiny)) | ((side < 0) & (d > tiny))
        if not wrong.any():
            return result
        side[wrong] = 0
    return None


def _kink_scale(beta, s):
    """The scale of a piecewise-linear loss's kinks ``beta`` (the units of ``y``): their
    ``s``-weighted mean absolute deviation, else their largest magnitude (all kinks at
    one place), else 1 (all at 0). Tolerances on predictions are relative to it."""
    flat = beta.reshape(len(beta), -1)
    weights = np.repeat(s, flat.shape[1]) / (flat.shape[1] * max(s.sum(), _TINY))
    values = flat.ravel()
    centre = np.dot(weights, values)
    return float(np.dot(weights, np.abs(values - centre))) or float(
        np.abs(values).max(initial=0.0)) or 1.0


# -------------------------------------------------------------------- smoothing + crossover


def _smoothing(loss, obj, l1, l2, positive, W0, b0, gtol, tol, max_iter, verbose,
               scale=None, shrink=10.0, max_stages=14):
    """Smoothing continuation for a piecewise-linear loss, finished by a crossover.

    Each stage replaces every kink by a quadratic of half-width ``width`` (the smoothed
    loss is an upper bound that equals the loss away from kinks), solves that smooth
    problem with L-BFGS-B from the last solution and shrinks ``width``. After each stage
    the samples within ``width`` of a kink are taken as the ones sitting on it, and the
    exact optimality system for that guess is solved (:func:`_crossover`; without an L2
    part, once few samples are that near, the LP on them by HiGHS, :func:`_band_lp`). A
    guess that passes every optimality check is the exact optimum; otherwise smoothing
    goes on.
    Smoothing also stops once ``width`` is small enough that the smoothed objective (an
    upper bound exceeding the true one by at most ``width * sum_i s_i sum_k j_ik / 4``)
    certifies a relative gap below ``tol``, or when a stage moves the true objective by
    less than ``tol / 10`` (relative). ``max_iter`` bounds each stage's L-BFGS-B run.
    ``scale`` is the gradient scale ``gtol`` is relative to (:class:`Scales`; ``gtol /
    tol`` by default): early stages stop at a share of it.
    """
    scale = gtol / tol if scale is None else scale
    W, b = W0.astype(float), b0.astype(float)
    raw = obj.raw(W, b)
    beta, jump = loss.kinks(obj.y)
    # With an L2 part (the Hessian is then definite), no bounds (no L1 part, no
    # positive) and at least 4 samples per feature (the p x p Hessian is at most a quarter
    # of X), each stage is solved by Newton's method (Newton-CG) with the smoothed loss's
    # exact Hessian (only the samples within width of a kink contribute, so it is cheap),
    # where that pays (below). Measured here on hinge + L2, the narrow stages took 10-31
    # iterations against 93-493 for L-BFGS-B, and the fit 0.49 s instead of 1.27 s at
    # 20 000 x 50, 2.1 s instead of 5.4 s at 20 000 x 200.
    n, p = obj.X.shape
    newton = (l1 == 0 and l2 > 0 and not positive and obj.n_outputs == 1
              and n >= _GRAM_MIN_RATIO * p)
    # Start about as wide as the typical distance to a kink; from w = 0, at least as wide
    # as the spread of the kinks (the intercept-only start can sit on many kinks at once,
    # as with the hinge loss).
    active = obj.sample_weight > 0
    kappa = _kink_scale(beta[active], obj.sample_weight[active])
    distance = np.min(np.abs(raw[:, None] - beta), axis=1)[active]
    width = float(np.median(distance))
    if not np.any(W):
        width = max(width, float(np.mean(np.abs(beta[active] - np.mean(beta[active])))))
    elif newton:
        # A warm start (a path, warm_start=True) is near the optimum already, and narrow
        # stages are cheap for Newton: as wide as leaves as many samples near a kink as
        # the crossover has unknowns (measured: hinge + L2, a 20-alpha path at 2 400 x 60,
        # 0.41 -> 0.29 s; L-BFGS-B's narrow stages are slow: quantile + L1, 2.6 -> 20 s)
        q = min(np.count_nonzero(W) + int(obj.fit_intercept), len(distance)) - 1
        width = min(width, float(np.partition(distance, q)[q]))
    elif l2 == 0:
        # Without an L2 part the smoothing ends by the LP on the samples near their kinks
        # (below): a warm start begins as narrow as leaves that many near them (quantile
        # + L1 path at 2 400 x 60: 1.3 -> 1.0 s)
        q = min(_band_size(W, obj.fit_intercept), len(distance)) - 1
        width = min(width, float(np.partition(distance, q)[q]))
    width = width or kappa
    excess = float(np.dot(obj.sample_weight, jump.sum(axis=1))) / 4
    n_iter, previous, message = 0, np.inf, ""
    for _ in range(max_stages):
        smoothed = LinearObjective(
            lambda y, r, h=width: loss.smoothed_loss_gradient(y, r, h),
            obj.X, obj.y, obj.sample_weight, obj.fit_intercept, normalizer=1.0,
            offset=obj.offset, col_scale=obj.col_scale,
        )
        # Early stages only need to find the samples near kinks, not a precise optimum.
        stage_gtol = max(gtol, 1e-2 * (width / kappa) * scale)
        res = None
        # Newton pays when its Hessian (p^2 per sample near a kink) costs less than the
        # L-BFGS-B evaluations it saves: it needs a tenth of their iterations or fewer in
        # the narrow stages, so up to about 30 evaluations (2 n p each) per Hessian. (With
        # a limit of one evaluation, hinge + L2 at 2 000 x 200 ran L-BFGS-B for over 1 000
        # iterations at width 1e-3 and stopped unconverged, now 0.56 s, exact; with ten,
        # and p <= 300 only, hinge + L2 at 20 000 x 1 000 did the same: L-BFGS-B needed
        # about 1 200 iterations at width 1e-3, Newton 79.)
        def curvature(r, h=width):
            return loss.smoothed_hessian(obj.y, r, h)

        # (raw is X w at the stage's start: computed after the last stage, or at the top)
        if newton and np.count_nonzero(curvature(raw)) * p <= 60 * n:
            res = _newton(smoothed, curvature, l2, W, b, stage_gtol, max_iter, kappa)
        if res is None or not res.converged:  # Newton's line search can stall on kinks
            if res is not None and np.all(np.isfinite(res.coef)):
                n_iter += res.n_iter
                W, b = res.coef, res.intercept  # L-BFGS-B goes on from where it stopped
            res = _lbfgs(smoothed, l1, l2, positive, W, b, stage_gtol, max_iter, 0,
                         loss_curvature=1.0 / kappa, unit=kappa)
        n_iter += res.n_iter
        W, b = res.coef, res.intercept
        raw = obj.raw(W, b)  # one X w per stage: the objective and the band LP's test
        current = obj.value(W, b, raw=raw) + penalty_value(W, l1, l2)
        # Without an L2 part the problem is a linear programme: once few samples are near
        # their kinks, HiGHS solves it exactly on those (:func:`_band_lp`), which handles
        # the degenerate vertices the crossover cannot (measured: quantile + L1 along a
        # 20-alpha path at 2 400 x 60, 3.4 -> 1.3 s; the same alphas cold, 4.3 -> 1.8 s;
        # tried from a warm start before any smoothing, with the band the last alpha's
        # solution gives, HiGHS took up to 30 rounds of joining pairs: 3.9 s).
        lp = False
        if l2 == 0 and obj.n_outputs == 1:
            near = int(np.sum(np.abs(raw[:, None] - beta)[active] <= width))
            lp = near <= _band_size(W, obj.fit_intercept)
        if lp:
            exact = _band_lp(loss, obj, l1, positive, tol, max_iter, raw=raw, band=near)
            exact = exact and (exact.coef, exact.intercept)
        else:
            exact = _crossover(loss, obj, l1, l2, positive, W, b, width, gtol, raw=raw)
        if exact is not None:
            message = (f"{'LP on the samples near their kinks' if lp else 'crossover'} at "
                       f"smoothing width {width:.3g}.")
            if verbose:
                print(f"[smoothing] {message}")
            return FitResult(*exact, n_iter, True, message)
        if verbose:
            print(f"[smoothing] width {width:.3g}: objective {current:.12g}, {n_iter} iterations")
        # The smoothed objective exceeds the true one by at most width * excess, so a
        # solved smoothed problem is within that of the true optimum.
        if res.converged and stage_gtol == gtol and width * excess <= tol * abs(current):
            return FitResult(W, b, n_iter, True,
                             f"within the smoothing bound at width {width:.3g}.")
        # The error of a smoothed solution shrinks about in proportion to the width, so
        # a stage that changes the true objective by less than tol / 10 leaves it within
        # about tol of the optimum (this ends degenerate problems whose guessed kinks
        # never settle).
        if stage_gtol == gtol and abs(previous - current) <= 0.1 * tol * abs(current):
            return FitResult(W, b, n_iter, True, "objective stopped moving.")
        if res.n_iter >= max_iter:
            message = f"max_iter={max_iter} reached in the stage at width {width:.3g}."
            break
        previous = current
        width /= shrink
    else:
        message = f"no exact solution found down to smoothing width {width:.3g}."
    return FitResult(W, b, n_iter, False, message)


def _crossover(loss, obj, l1, l2, positive, W, b, width, gtol, max_rounds=8,
               max_size=3000, raw=None):
    """Exact optimum from a smoothed solution: an active-set (crossover) step.

    Every sample and kink gets a side: left of the kink, right of it, or *on* it (those
    within ``width`` of it at the smoothed solution), where its share ``theta`` in
    [0, 1] of the slope jump is unknown. With ``F`` the nonzero coefficients (signs
    ``sigma``), the optimality conditions for that guess are linear::

        l2 w_F + l1 sigma + X_F^T s (g_fixed + jump theta) = 0     (stationarity in w_F)
        sum_i s_i (g_fixed + jump theta)_i               = 0     (intercept)
        x_i,F . w_F + b                                  = beta  (samples on kinks)

    After each solve, samples whose ``theta`` leaves [0, 1] move to that side, samples
    that cross their kink move onto it, and coefficients that flip sign or whose KKT
    inequality fails leave or join ``F``. A guess that needs no move satisfies every
    optimality condition of the original problem: it is the exact optimum. Returns
    ``(W, b)``, or ``None`` when the guess does not settle within ``max_rounds`` (over
    the test suite and benchmarks, the guesses that settled did so within 7 rounds; one
    from too wide a smoothing wanders, and smoothing should go on instead).

    The systems are solved for the coefficients of standardised features and the
    intercept in the kinks' scale (``(w_F * col_scale, b) / kappa``, the units of y), so
    that ranks, residuals and tolerances are free of the columns' and the target's
    units.
    """
    X, y, s = obj.X, obj.y, obj.sample_weight
    n_features = X.shape[1]
    beta, jump = loss.kinks(y)
    left = loss.left_slope(y)
    d = (obj.raw(W, b) if raw is None else raw)[:, None] - beta  # raw: X w, if known
    weighted = s[:, None] > 0
    side = np.where((np.abs(d) < width) & weighted, 0, np.where(d > 0, 1, -1))
    w = W[0]
    free = w != 0 if (l1 > 0 or positive) else np.ones(n_features, dtype=bool)
    sigma = np.sign(w)
    kappa = _kink_scale(beta[s > 0], s[s > 0])
    tiny = 1e-10 * (kappa + np.abs(beta))
    n_b = int(obj.fit_intercept)
    stored = X.nnz if sp.issparse(X) else X.size
    for _ in range(max_rounds):
        rows, kinks = np.nonzero(side == 0)
        cols = np.flatnonzero(free)
        m, k = len(rows), len(cols)
        # the systems solved: (w_F, b) from the on-kink rows (k + 1 unknowns) when they
        # can fix it, else the SVM dual's m + 1 with an L2 part; the on-kink rows of X_F
        # (m x k, dense) are held in either case, at most twice the entries X stores
        dual = l2 > 0 and m < k + n_b
        if (not dual and 2 * (k + n_b) > max_size) or m * (k + n_b) > 2 * stored + 10**6:
            return None
        g_fixed = left + np.sum(jump * (side > 0), axis=1)
        D = s[rows] * jump[rows, kinks]
        # The on-kink rows of centred X_F (and a column of ones for the intercept):
        # B (w_F, b) = beta, built in one array (memory: a few m x k arrays in all)
        B = np.ones((m, k + n_b))
        for start in range(0, m, 256):  # by blocks: no second m x k array
            part = rows[start: start + 256]
            B[start: start + 256, :k] = (X[part][:, cols].toarray() if sp.issparse(X)
                                         else X[np.ix_(part, cols)])
        # standardised features: (w_F * col_scale, b) / kappa are the unknowns, the L2
        # part on them is l2 kappa / col_scale**2 and the on-kink targets beta / kappa
        unit = np.concatenate([obj.col_scale[cols], np.ones(n_b)])
        l2_F = l2 * kappa / unit[:k] ** 2 if l2 > 0 else None
        target = beta[rows, kinks] / kappa
        B[:, :k] -= obj.offset[cols]
        B /= unit
        r_fixed = obj.coef_gradient(s * g_fixed)[0]
        # Stationarity in (w_F, b): S_w w_F + S_theta theta = rhs_s
        rhs_s = np.concatenate([-l1 * sigma[cols] - r_fixed[cols], [-np.dot(s, g_fixed)]]
                               if n_b else [-l1 * sigma[cols] - r_fixed[cols]]) / unit
        wb, rank, determined = None, 0, False
        if m >= k + n_b and m > 0:
            wb, rank, determined = _on_kink_solution(B, target, l2_F, k, rhs_s)
        if determined and not np.allclose(B @ wb, target, rtol=1e-9, atol=1e-10):
            # More samples on kinks than (w_F, b) can pass through (the first guesses of
            # wide smoothing): keep the closest ones on their kinks, as many as the rows'
            # rank.
            far = np.argsort(np.abs(d[rows, kinks]), kind="stable")[rank:]
            side[rows[far], kinks[far]] = np.where(d[rows[far], kinks[far]] > 0, 1, -1)
            continue
        if determined:
            # At least as many independent samples on kinks as unknowns in (w_F, b): they
            # fix it (an LP vertex, or w = 0 with many samples on one kink), with the help
            # of stationarity where the on-kink rows are dependent; theta follows.
            rhs_theta = rhs_s - np.concatenate([l2 * kappa / unit[:k] ** 2 * wb[:k],
                                                [0.0] * n_b])
            theta = _theta((B * D[:, None]).T, rhs_theta, gtol)
            if theta is None:
                return None
            w_free, b_new = wb[:k], (wb[k:] if n_b else np.zeros(1))
        else:
            # Fewer: solve stationarity and the on-kink rows together.
            if (m + n_b if l2 > 0 else k + n_b + m) > max_size:  # see the helper
                return None
            # (the intercept's: where the rows leave it free, the smoothed one; the
            # coefficients' minimum norm, as the rows ask of them)
            current = np.concatenate([np.zeros(k), b[:n_b] / kappa])
            sol = _stationary_on_kinks(B, D, rhs_s, target, l2_F, k, current,
                                       atol=(1e-3 * gtol, 1e-12))
            if sol is None:
                # More samples on kinks than their rows' rank (redundant features):
                # the closest stay on their kinks, as many as that rank
                keep = _closest_independent(B, target, np.abs(d[rows, kinks]))
                if keep is None:
                    return None
                off = ~keep
                side[rows[off], kinks[off]] = np.where(d[rows[off], kinks[off]] > 0, 1, -1)
                continue
            w_free, b_new, theta = sol
        w_new = np.zeros(n_features)
        w_new[cols] = w_free * kappa / unit[:k]
        b_new = b_new * kappa
        low, high = theta < -1e-12, theta > 1 + 1e-12
        side[rows[low], kinks[low]] = -1
        side[rows[high], kinks[high]] = 1
        changed = bool(low.any() or high.any())
        d = obj.raw(w_new[None, :], b_new)[:, None] - beta
        crossed = weighted & (((side < 0) & (d > tiny)) | ((side > 0) & (d < -tiny)))
        if crossed.any():
            side[crossed] = 0
            changed = True
        if l1 > 0 or positive:
            g = g_fixed.copy()
            np.add.at(g, rows, jump[rows, kinks] * np.clip(theta, 0.0, 1.0))
            grad = obj.coef_gradient(s * g)[0] + l2 * w_new
            flipped = free & ((np.sign(w_new) != sigma) if l1 > 0 else (w_new < 0))
            # KKT violations of the features at 0, standardised (gtol's unit)
            join = ~free & (_kkt_violations(grad, None, l1, positive, obj.col_scale) > gtol)
            if flipped.any() or join.any():
                free[flipped] = False
                free[join] = True
                sigma = np.where(join, -np.sign(grad), np.where(flipped, 0.0, sigma))
                changed = True
        if not changed:
            return w_new[None, :], b_new
    return None


def _stationary_on_kinks(B, D, rhs_s, target, l2, k, current=None, atol=(0.0, 0.0)):
    r"""``(w_F, b, theta)`` solving stationarity and the on-kink rows together (fewer
    samples on kinks than unknowns in ``(w_F, b)``), or ``None`` when no solution
    satisfies them (:func:`_solve_consistent`).

    The equations (see :func:`_crossover`), with ``u = D theta`` and ``B = [B_w, 1]``::

        l2 w_F + B_w^T u = r_w,    1^T u = r_b,    B_w w_F + b 1 = target.

    ``l2`` holds one L2 strength per feature of ``F`` (``None`` without an L2 part). With
    one, the first gives ``w_F = (r_w - B_w^T u) / l2``, and what remains is the system
    of the SVM dual on the ``m`` on-kink samples (``L = diag(l2)``),

    .. math:: \begin{pmatrix} B_w L^{-1} B_w^T & -1 \\ -1^T & 0 \end{pmatrix}
              \begin{pmatrix} u \\ b \end{pmatrix} =
              \begin{pmatrix} B_w L^{-1} r_w - \text{target} \\ -r_b \end{pmatrix},

    of size ``m + 1`` instead of ``k + 1 + m`` (measured: hinge + L2 at 2 000 x 1 000,
    about 1 000 instead of 2 000 unknowns per round; the whole system and its LU copy
    had taken the fit's peak memory to 4.2x the size of X). Without one, the whole
    system is solved.

    Where the equations leave ``(w_F, b)`` undetermined (a flat stretch of the objective:
    an even number of samples balancing the intercept between two kinks), the solution
    nearest ``current`` (the smoothed solution) is taken. ``atol`` is what each kind of
    row may miss by (rounding of sums that cancel): stationarity rows (gradient units)
    and on-kink rows (the units of y).
    """
    m, n_b = len(target), B.shape[1] - k
    current = np.zeros(k + n_b) if current is None else current
    if l2 is not None:
        B_w = B[:, :k]
        A = np.zeros((m + n_b, m + n_b))
        BL = B_w / l2
        A[:m, :m] = BL @ B_w.T
        A[:m, m:] = -1.0
        A[m:, :m] = -1.0
        rhs = np.concatenate([BL @ rhs_s[:k] - target, -rhs_s[k:]])
        sol = _solve_consistent(A, rhs, np.concatenate([np.zeros(m), current[k:]]),
                                np.repeat([atol[1], atol[0]], [m, n_b]))
        if sol is None:
            return None
        u = sol[:m]
        return (rhs_s[:k] - B_w.T @ u) / l2, (sol[m:] if n_b else np.zeros(1)), u / D
    A = np.zeros((k + n_b + m, k + n_b + m))
    A[:k + n_b, k + n_b:] = (B * D[:, None]).T
    A[k + n_b:, :k + n_b] = B
    sol = _solve_consistent(A, np.concatenate([rhs_s, target]),
                            np.concatenate([current, np.zeros(m)]),
                            np.repeat(atol, [k + n_b, m]))
    if sol is None:
        return None
    return sol[:k], (sol[k:k + 1] if n_b else np.zeros(1)), sol[k + n_b:]


def _on_kink_solution(B, target, l2, k, rhs_s, block=256):
    """``(w_F, b)`` from the on-kink rows ``B (w_F, b) = target`` (least squares), the
    rank of ``B``, and whether ``(w_F, b)`` is determined.

    Dependent columns (redundant features) leave directions ``N`` that the rows do not
    fix; with an L2 part (``l2``, one strength per feature; ``None`` without), stationarity
    fixes them: its projection on ``N``, ``N^T L (x0 + N t) = N^T rhs`` with
    ``L = diag(l2, 0)``, is a small solve.

    The QR factorisation of ``[B, target]`` is built by row blocks of at least ``k``
    rows, each block's rows stacked under the ``R`` so far (LAPACK ``tpqrt``, which works
    on the triangle, 2 rows k^2 a block), so no copy of the tall ``B`` is made; its ``R``
    is then factorised again with column pivoting (``geqp3``), which reveals the rank
    and gives a basis of ``N``. (The SVD of ``R`` had held three more ``k x k`` arrays:
    with them and a whole QR copy, hinge + L2 at 2 000 x 1 000 peaked at 2.6x the size of
    X; a general QR of each block under ``R``, 256 rows at a time, cost ``k^3`` a block:
    1.5 s a call at 9 000 x 1 000.)
    """
    m, n_cols = B.shape  # m >= n_cols here
    size = n_cols + 1
    R = np.zeros((size, size), order="F")
    rows = max(block, size)
    part = np.empty((rows, size), order="F")
    for start in range(0, m, rows):
        block_rows = slice(start, start + rows)
        count = len(target[block_rows])
        part[:count, :-1], part[:count, -1] = B[block_rows], target[block_rows]
        # R of [R; part]: the triangular-pentagonal QR (tpqrt) uses R's zeros
        R = lapack.dtpqrt(0, min(32, size), R, part[:count], overwrite_a=1,
                          overwrite_b=1)[0]
    del part
    qr = np.array(R[:n_cols, :n_cols], order="F")
    qtc = R[:n_cols, -1:].copy()  # Q^T target
    del R
    lwork = 64 * size
    qr, pivots, tau = lapack.dgeqp3(qr, lwork=lwork, overwrite_a=1)[:3]
    pivots = pivots - 1  # LAPACK counts from 1
    rank = _rank(np.abs(np.diag(qr)), B.shape)
    qtc = lapack.dormqr("L", "T", qr, tau, qtc, lwork=lwork, overwrite_c=1)[0][:, 0]
    R11 = qr[:rank, :rank]
    x0 = np.zeros(n_cols)
    x0[pivots[:rank]] = linalg.solve_triangular(R11, qtc[:rank])
    if rank == n_cols or l2 is None or rank == 0:
        return x0, rank, rank == n_cols
    N = np.zeros((n_cols, n_cols - rank))
    N[pivots[:rank]] = -linalg.solve_triangular(R11, qr[:rank, rank:])
    N[pivots[rank:]] = np.eye(n_cols - rank)
    NL = N[:k] * l2[:, None]
    t = _solve_spd(NL.T @ N[:k], N.T @ rhs_s - NL.T @ x0[:k])
    if t is None:
        return x0, rank, False
    return x0 + N @ t, rank, True


def _rank(sv, shape):
    """Numerical rank from the singular values ``sv`` of a matrix of ``shape`` (LAPACK's
    and numpy's default cut-off: ``max(shape) * eps`` of the largest), or from the
    diagonal of a column-pivoted ``R`` (largest first) in their place."""
    return int(np.sum(sv > sv[0] * max(shape) * np.finfo(float).eps)) if sv.size else 0


def _closest_independent(B, target, distance):
    """Which on-kink rows keep their place when ``B x = target`` has no solution because
    there are more distinct rows than ``B``'s rank: the ``rank`` closest distinct rows
    (``distance`` to the kink), every copy of a repeated sample alike (repeating a
    sample must act as its weight does). ``None`` when the rows are independent (the
    inconsistency is elsewhere)."""
    _, first, group = np.unique(np.column_stack([B, target]), axis=0, return_index=True,
                                return_inverse=True)
    group = group.ravel()
    rank = _rank(np.linalg.svd(B[first], compute_uv=False), B.shape)
    if rank >= len(first):
        return None
    closest = np.argsort(distance[first], kind="stable")[:rank]
    return np.isin(group, closest)


def _solve_consistent(A, rhs, x0=None, atol=0.0):
    """A solution of ``A x = rhs`` that satisfies it, or ``None``.

    The system is singular when samples on a kink repeat or all share one (then any
    exact solution will do), so a failed LU solve is retried by least squares, for the
    solution nearest ``x0``. It satisfies the system when each row's residual is within
    1e-9 of its right-hand side plus that row's ``atol`` (not relative to the solution:
    a near-singular inconsistent system has a huge least-squares solution, whose
    residual is small next to it).
    """
    x0 = np.zeros(len(rhs)) if x0 is None else x0
    try:
        candidates = [np.linalg.solve(A, rhs)]
    except np.linalg.LinAlgError:
        candidates = []
    for sol in candidates + [None]:
        if sol is None:
            sol = x0 + np.linalg.lstsq(A, rhs - A @ x0, rcond=None)[0]
        if np.all(np.isfinite(sol)) and np.all(
                np.abs(A @ sol - rhs) <= 1e-9 * np.abs(rhs) + atol):
            return sol
    return None


def _theta(S, rhs, gtol):
    """Subgradient shares ``theta`` with ``S theta = rhs``: the least-squares one, or
    (repeated samples make it non-unique) one inside [0, 1] if that one is not. Returns
    ``None`` when no ``theta`` satisfies the equations."""
    theta = np.linalg.lstsq(S, rhs, rcond=None)[0]
    if not np.allclose(S @ theta, rhs, rtol=1e-9, atol=gtol):
        return None
    if np.any((theta < -1e-12) | (theta > 1 + 1e-12)):
        fit = lsq_linear(S, rhs, bounds=(0.0, 1.0))
        if np.allclose(S @ fit.x, rhs, rtol=1e-9, atol=gtol):
            return fit.x
    return theta
