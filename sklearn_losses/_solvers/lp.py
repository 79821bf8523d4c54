r"""The linear programme of a piecewise-linear loss with an L1 (or no) penalty, solved by
HiGHS (``scipy.optimize.linprog``), whole (route ``"highs"``) or on the samples near their
kinks only (:func:`band_lp`, the smoothing's finish without an L2 part).

With the loss written ``c + a_0 f + sum_k j_k max(0, f - beta_k)`` (see
:class:`~sklearn_losses.losses.PiecewiseLinearLoss`), one slack ``t_ik >= 0`` per sample
and kink gives::

    minimise    (X^T s a_0) . w + (s . a_0) b + sum_ik s_i j_ik t_ik + l1 . (w+ + w-)
    subject to  x_i . (w+ - w-) + b - t_ik <= beta_ik,   w+, w-, t >= 0,  b free

(``l1`` one strength per feature with penalty factors; ``w`` free and unsplit without
an L1 part; ``w-`` absent with ``positive``). One
constraint row per sample and kink, stored sparse: memory is linear in n. Samples of
zero weight are left out. The intercept is not in the L1 cost.
"""

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from .options import DEFAULT_OPTIONS
from .result import FitResult

_TINY = np.finfo(np.float64).tiny


def highs(loss, obj, penalty, tol, max_iter, options=DEFAULT_OPTIONS):
    """The whole LP (route ``"highs"``)."""
    return band_lp(loss, obj, penalty, tol, max_iter, options=options)


def band_size(W, fit_intercept):
    """How many samples near their kinks make the LP of :func:`band_lp` worth solving
    around ``W``: three times the unknowns of a vertex, and 24 more (a larger band costs
    HiGHS more than the smoothing it saves)."""
    return 3 * (np.count_nonzero(W) + int(fit_intercept)) + 24


def band_lp(loss, obj, penalty, tol, max_iter, raw=None, band=None, max_rounds=30,
            options=DEFAULT_OPTIONS):
    r"""The LP with slacks only for the ``band`` (sample, kink) pairs nearest their kinks
    at the predictions ``raw`` (every pair without ``raw``: the whole LP); each other
    pair is taken to stay on the side of its kink ``raw`` puts it: right
    (``t_ik = f_i - beta_ik``, a linear term added to the costs of ``w`` and ``b``) or
    left (``t_ik = 0``).

    Each assumed term is at most the loss's own (``max(0, .) >= .`` and ``>= 0``), so the
    reduced LP's objective is a lower bound of the true one, equal to it wherever every
    pair lies on its assumed side: a solution where they all do is the exact optimum.
    Pairs found on the wrong side join the band and the LP is solved again; an
    unbounded LP (too few pairs to pin ``(w, b)`` down) doubles the band. HiGHS then
    works on a few rows per band sample: along a regularisation path, or after a little
    smoothing, the band is small and a solve is quick. ``None`` when HiGHS fails or
    after ``max_rounds`` solves.

    HiGHS's tolerances are absolute (and it drops matrix entries below 1e-9), so the LP
    is posed in standardised units: coefficients of columns divided by ``col_scale``,
    and every quantity in the units of y divided by the kinks' scale
    (:func:`kink_scale`); the costs are multiplied by n, so that a sample's cost is about
    1, not 1 / n. An LP of at least ``options.lp_ipm_min_rows`` rows goes to HiGHS's
    interior-point method (its crossover returns a vertex): a few tens of iterations,
    where the dual simplex pivots through thousands of vertices.
    """
    l1, positive = penalty.l1, penalty.positive
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
    kappa = kink_scale(beta, s)
    col_scale = obj.col_scale
    cost_unit = len(s) / kappa
    tiny = 1e-9 * (kappa + np.abs(beta))
    split = penalty.has_l1 and not positive
    n_w = (2 if split else 1) * p
    w_bounds = [(0, None)] * n_w if penalty.bounded else [(None, None)] * n_w
    n_iter = 0
    for rounds in range(1, max_rounds + 1):
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
        tolerance = float(np.clip(tol, 1e-10, 1e-7))  # HiGHS refuses less than 1e-10
        ipm = m >= options.lp_ipm_min_rows
        res = linprog(
            np.concatenate(cost), A_ub=sp.hstack(cols, format="csc"),
            b_ub=beta[rows, kinks] / kappa, bounds=bounds,
            method="highs-ipm" if ipm else "highs",
            options={"maxiter": max(max_iter, 10 * (m + p)),
                     "primal_feasibility_tolerance": tolerance,
                     "dual_feasibility_tolerance": tolerance,
                     **({"ipm_optimality_tolerance": tolerance} if ipm else {})},
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
                           f"HiGHS: {res.message}", route="highs" if whole else "band-lp",
                           exact=res.status == 0)
        result.steps["lp-solves"] = rounds
        if whole:  # the whole LP: what HiGHS says
            return result
        d = (np.asarray(X @ w).ravel() + b[0])[:, None] - beta
        wrong = ((side > 0) & (d < -tiny)) | ((side < 0) & (d > tiny))
        if not wrong.any():
            return result
        side[wrong] = 0
    return None


def kink_scale(beta, s):
    """The scale of a piecewise-linear loss's kinks ``beta`` (the units of ``y``): their
    ``s``-weighted mean absolute deviation, else their largest magnitude (all kinks at
    one place), else 1 (all at 0). Tolerances on predictions are relative to it."""
    flat = beta.reshape(len(beta), -1)
    weights = np.repeat(s, flat.shape[1]) / (flat.shape[1] * max(s.sum(), _TINY))
    values = flat.ravel()
    centre = np.dot(weights, values)
    return float(np.dot(weights, np.abs(values - centre))) or float(
        np.abs(values).max(initial=0.0)) or 1.0


def smallest_subgradient(loss, X, offset, col_scale, y, s, raw, fit_intercept,
                         unpenalised, factor, rounding=0.0):
    """The data term's coefficient gradient at the predictions ``raw`` of a piecewise-
    linear loss that is a subgradient of the model's optimum there (zero on the
    ``unpenalised`` features, a mask, and for the intercept), with the smallest
    ``max_j |g_j| / factor_j`` over the penalised features: ``alpha_max`` exactly.

    Samples on a kink may take any share ``theta`` in [0, 1] of its slope jump; the
    shares are the variables of a small LP (one per sample on a kink, a few at a
    vertex) that minimises ``t`` with ``|g_j| <= t factor_j``, posed in standardised
    units (the columns of X centred by ``offset`` and divided by ``col_scale``, ``t`` by
    the loss's own choice's value). ``s`` are the normalised weights; a sample is on a
    kink within ``rounding`` of its prediction (and 1e-9 of the kinks' scale). ``None``
    when HiGHS finds no such shares (the samples on kinks not found to rounding): the
    caller keeps the loss's own slopes."""
    beta, jump = loss.kinks(y)
    d = raw[:, None] - beta
    tiny = 1e-9 * (kink_scale(beta, s) + np.abs(beta)) + np.reshape(rounding, (-1, 1))
    on = (np.abs(d) <= tiny) & (s > 0)[:, None]
    # the slopes off the kinks (a sample on a kink starts at its left slope there)
    g_fixed = loss.left_slope(y) + np.sum(jump * (d > tiny), axis=1)
    fixed = s * g_fixed
    base = np.asarray(X.T @ fixed).ravel() - fixed.sum() * offset
    rows, kinks = np.nonzero(on)
    if len(rows) == 0:
        return base
    share = s[rows] * jump[rows, kinks]
    X_on = X[rows]
    spread = col_scale
    A = ((X_on.toarray() if sp.issparse(X_on) else np.asarray(X_on)) - offset).T * share
    A, base_s = A / spread[:, None], base / spread
    penalised = ~unpenalised
    scale = float(np.max(np.abs(base_s[penalised]) / factor[penalised], initial=0.0)) or 1.0
    f = factor[penalised] / spread[penalised] * scale
    m = len(rows)
    A_eq, b_eq = A[unpenalised], -base_s[unpenalised]
    if fit_intercept:
        A_eq = np.vstack([A_eq, share / np.max(share)])
        b_eq = np.append(b_eq, -np.dot(s, g_fixed) / np.max(share))
    A_P = A[penalised]
    A_ub = np.block([[A_P, -f[:, None]], [-A_P, -f[:, None]]])
    b_ub = np.concatenate([-base_s[penalised], base_s[penalised]])
    res = linprog(np.append(np.zeros(m), 1.0), A_ub=A_ub, b_ub=b_ub,
                  A_eq=np.hstack([A_eq, np.zeros((len(A_eq), 1))]), b_eq=b_eq,
                  bounds=[(0.0, 1.0)] * m + [(0.0, None)], method="highs")
    if res.status != 0:
        return None
    return base + (A * spread[:, None]) @ res.x[:m]

