"""A problem to solve: the loss, the data and its weights, and what refits on the same
data (a regularisation path, warm starts) reuse: the tolerance scales and column
statistics (:class:`Scales`), Gram columns, preconditioners (:class:`FitCache`)."""

import functools
from dataclasses import dataclass, field

import numpy as np

from .._objective import centred_product, normalised_weights
from .data import OFFSET_RATIO, column_extremes, column_statistics

# A line search needs the objective to decrease by more than its rounding error, so a
# KKT violation v is only reducible while v**2 / curvature exceeds eps * |objective|.
# Below that L-BFGS-B stalls: a fresh restart cannot move. A stalled run whose violation
# is under this fraction of the gradient scale has converged as far as float64 allows
# (tol=1e-10 can ask for more than that on badly scaled problems).
PRECISION = 1e-5
EPS = np.finfo(np.float64).eps


@dataclass
class FitCache:
    """What refits on the same data reuse (one per problem: a path's alphas share it).

    ``scales``: the :class:`Scales`; ``gram``: the whole Gram matrix's columns computed
    so far; ``refit``: a fit ran on this data before (a path: its working sets use the
    whole Gram matrix); ``curvature``: the preconditioner's eigendecompositions, by
    their units (standardised, X's own, or those of penalty factors); ``sample_space``:
    the samples' space's kernel (:class:`~.gram.KernelState`); ``null``: the fit of the
    unpenalised features alone (:class:`NullFit`, from
    :func:`~.routes.gradient_at_null`), which the ``zero`` route returns where it is the
    optimum.
    """

    scales: object = None
    gram: object = None
    refit: bool = False
    curvature: dict = field(default_factory=dict)
    sample_space: object = None
    null: object = None


@dataclass
class NullFit:
    """The optimum with every penalised coefficient at 0: the ``unpenalised`` features'
    (a mask) coefficients ``coef`` (``(n_outputs, n_features)``, 0 elsewhere), the
    ``intercept`` (of X itself), and the data term's coefficient and intercept
    gradients there, ``g`` and ``db``."""

    unpenalised: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    g: np.ndarray
    db: np.ndarray


@dataclass
class Problem:
    """A loss on data: ``y`` encoded for the loss (-1/+1 labels, one-hot rows for a joint
    multinomial problem with ``n_outputs`` columns), ``sample_weight`` (class weights
    included), and ``normalizer``, the sum the data term is divided by (``None``: the
    weights' own sum; a classifier passes the sum of the user's weights)."""

    loss: object
    X: object
    y: np.ndarray
    sample_weight: np.ndarray
    fit_intercept: bool = True
    n_outputs: int = 1
    normalizer: float = None
    cache: FitCache = field(default_factory=FitCache)

    def scales(self):
        """The problem's :class:`Scales`, computed once (a pass over X) and cached."""
        if self.cache.scales is None:
            self.cache.scales = _scales(self)
        return self.cache.scales

    def gradient_at_zero(self):
        """The data term's coefficient gradient at ``w = 0`` (intercept at its
        intercept-only optimum), shape ``(n_outputs, n_features)``: alpha_max is read
        from it, and ``w = 0`` is returned when it satisfies the optimality conditions."""
        return self.scales().g0


@dataclass
class Scales:
    """What a problem's tolerances are measured against; the same for every refit on the
    same data (a path, warm starts), so they are computed once and cached.

    ``columns`` are X's :class:`~.data.ColumnStatistics` (the data the solvers work on).
    ``scale`` is the largest entry of the data term's gradient at ``w = 0`` (intercept at
    its intercept-only optimum ``b0``) for standardised features: alpha_max for an L1
    penalty, so ``tol`` is relative and free of the data's units. ``rounding`` is how
    far rounding alone can move that gradient; no tolerance is finer. ``g0`` and ``db0``
    are the coefficient and intercept gradients at ``(0, b0)`` (they decide whether
    ``w = 0`` is optimal; ``b0`` may be a numerical minimiser, so ``db0`` is checked
    too). ``constant_target``: every weighted sample has the same y (``w = 0`` is then
    the optimum). ``terms()`` is the size of the terms that make up the gradient, a
    guard against a gradient that cancels to ~0 by symmetry and a bound on how small a
    violation a line search can still reduce; it needs the column extremes, a pass over
    X, and is computed once, only when it matters.
    """

    columns: object
    constant_target: bool
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
        """The smallest violation a stalled line search is held to (see ``PRECISION``)."""
        return PRECISION * max(self.scale, self.terms())


def _scales(problem):
    """The :class:`Scales` of a problem, and X's column statistics with them."""
    loss, y, sample_weight = problem.loss, problem.y, problem.sample_weight
    fit_intercept, n_outputs = problem.fit_intercept, problem.n_outputs
    b0 = intercept_only(loss, y, sample_weight, fit_intercept, n_outputs)
    s = normalised_weights(sample_weight, problem.normalizer)
    sg0, magnitude = _weighted_gradient_at_zero(loss, y, s, fit_intercept, n_outputs, b0)
    columns = column_statistics(problem.X, sample_weight, fit_intercept, sg0)
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
    # constant column's deviation is below |offset_j| / OFFSET_RATIO, its col_scale 1),
    # and when 1e-3 * bound <= largest, the guard below is not needed.
    w_min = float(sample_weight.min() / sample_weight.sum())  # normalised; they are >= 0
    bound = (total * max(1.0, np.abs(offset).max(initial=0.0) / OFFSET_RATIO)
             / np.sqrt(w_min)) if w_min > 0 else np.inf
    bounded = largest >= 1e-3 * bound
    # Each g_i is rounded by about eps times the magnitude of what it is computed from
    # (y, the prediction, g itself); with standardised columns, Cauchy-Schwarz bounds the
    # rounding of a coefficient's gradient by eps * sqrt(sum_i s_i m_i^2), and the sum
    # over the samples adds a factor of sqrt(n) at most in practice.
    rounding = 16 * EPS * np.sqrt(len(y) * float(np.dot(s, magnitude**2)))
    scale = (largest if bounded else max(largest, 1e-3 * terms())) or 1.0
    db0 = sg0.sum(axis=0).reshape(-1) if fit_intercept else np.zeros(n_outputs)
    weighted = y if sample_weight.all() else y[sample_weight > 0]
    constant = fit_intercept and y.ndim == 1 and float(np.ptp(weighted)) == 0.0
    return Scales(columns, constant, scale, rounding, terms, g0, db0, b0)


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
    quantities it is the difference of (``Loss.gradient_terms``: ``|y|``, the target
    it is compared with, unless the loss says otherwise). A piecewise-linear loss's slopes are exact
    (``h = 0`` off its kinks, and ``y`` only decides which slope); a loss that gives no
    curvature counts ``|raw|`` whole."""
    if loss.piecewise_linear:
        return np.abs(g)
    h = loss.hessian(y, raw)
    if h is None or np.ndim(h) != np.ndim(raw):  # unknown, or per-sample matrices
        h = 1.0
    return np.abs(g) + np.abs(h) * np.abs(raw) + loss.gradient_terms(y, raw)
