r"""The exact optimum of a piecewise-linear loss from a smoothed solution: an active-set
(crossover) step.

Every sample and kink gets a side: left of the kink, right of it, or *on* it (those
within ``width`` of it at the smoothed solution), where its share ``theta`` in [0, 1] of
the slope jump is unknown. With ``F`` the nonzero coefficients (signs ``sigma``), the
optimality conditions for that guess are linear::

    l2 w_F + l1 sigma + X_F^T s (g_fixed + jump theta) = 0     (stationarity in w_F)
    sum_i s_i (g_fixed + jump theta)_i               = 0     (intercept)
    x_i,F . w_F + b                                  = beta  (samples on kinks)

A guess that needs no move (every ``theta`` in [0, 1], no sample across its kink, no
coefficient flipping its sign or violating its condition) satisfies every optimality
condition of the original problem: it is the exact optimum.
"""

import numpy as np
import scipy.sparse as sp
from scipy import linalg
from scipy.linalg import lapack
from scipy.optimize import lsq_linear
from scipy.sparse.linalg import LinearOperator, minres

from .gram import solve_spd
from .lp import kink_scale


class Crossover:
    """One crossover attempt (:meth:`run`): rounds of :meth:`rows_on_kinks` (the guess's
    system), :meth:`solve` (its solution), and :meth:`move` (samples whose ``theta``
    leaves [0, 1] move to that side, samples that cross their kink move onto it,
    coefficients that flip sign or whose KKT inequality fails leave or join ``F``),
    until a guess needs no move (the exact optimum) or ``max_rounds`` pass (``None``: a
    guess from too wide a smoothing wanders, and smoothing should go on instead).

    The systems are solved for the coefficients of standardised features and the
    intercept in the kinks' scale (``(w_F * col_scale, b) / kappa``, the units of y), so
    that ranks, residuals and tolerances are free of the columns' and the target's
    units.

    With an L2 part, a system too large to hold densely (many samples on kinks and many
    features: sparse or wide X) is the SVM dual's on the on-kink samples, solved by
    MINRES with products by their rows of X (:func:`dual_by_minres`): it costs a few
    hundred passes over those rows, not over X, and starts from the shares the smoothed
    solution gives (``theta`` of the last round for the samples still on kinks).
    ``minres_iterations`` counts its iterations.
    """

    def __init__(self, loss, obj, penalty, W, b, width, gtol, max_rounds=8, max_size=3000,
                 raw=None):
        self.obj, self.penalty, self.gtol = obj, penalty, gtol
        self.max_rounds, self.max_size = max_rounds, max_size
        X, y, s = obj.X, obj.y, obj.sample_weight
        self.beta, self.jump = loss.kinks(y)
        self.left = loss.left_slope(y)
        # raw: X w, if known
        self.d = (obj.raw(W, b) if raw is None else raw)[:, None] - self.beta
        self.weighted = s[:, None] > 0
        self.side = np.where((np.abs(self.d) < width) & self.weighted, 0,
                             np.where(self.d > 0, 1, -1))
        self.w0 = w = W[0]
        self.free = w != 0 if penalty.bounded else np.ones(X.shape[1], dtype=bool)
        self.sigma = np.sign(w)
        self.b = b
        self.kappa = kink_scale(self.beta[s > 0], s[s > 0])
        self.tiny = 1e-10 * (self.kappa + np.abs(self.beta))
        self.n_b = int(obj.fit_intercept)
        self.stored = X.nnz if sp.issparse(X) else X.size
        self.rounds = self.minres_iterations = 0
        # the smoothed loss's share of each jump: where the iterative solve starts
        self.theta = np.clip((self.d + width) / (2 * width), 0.0, 1.0)

    def run(self):
        """``(W, b)``, the exact optimum, or ``None``."""
        for _ in range(self.max_rounds):
            self.rounds += 1
            system = self.rows_on_kinks()
            if system is None:
                return None
            solution = self.solve(system)
            if solution is None:
                return None
            if solution is RETRY:
                continue
            w_new, b_new, theta = solution
            if not self.move(system, w_new, b_new, theta):
                return w_new[None, :], b_new
        return None

    def rows_on_kinks(self):
        """The guess's system: the on-kink rows ``B`` of the standardised, centred
        ``X_F`` (and a column of ones for the intercept), the targets, the fixed slopes
        and the right-hand side of stationarity; ``None`` when the system would be too
        large (the dual's ``m + 1`` unknowns with an L2 part and fewer samples on kinks
        than unknowns, else ``k + 1``; its dense rows at most twice the entries X
        stores). With an L2 part, a dual too large to hold densely keeps the on-kink
        rows of X itself instead of ``B`` (``iterative``), as long as they are at most a
        quarter of X (a MINRES iteration is a pass over them)."""
        obj, s, n_b, kappa = self.obj, self.obj.sample_weight, self.n_b, self.kappa
        rows, kinks = np.nonzero(self.side == 0)
        cols = np.flatnonzero(self.free)
        m, k = len(rows), len(cols)
        on_F = self.penalty.restricted(cols)  # (strengths per feature with factors)
        l1, l2 = on_F.l1, on_F.l2
        # free features without an L2 part (a factor of 0): the dense dual divides by
        # every strength, so with them it is the whole system; the iterative dual keeps
        # them as constraints, as it keeps the intercept
        unpenalised = not bool(np.all(l2 > 0))
        dual = on_F.has_l2 and m < k + n_b
        X = obj.X
        iterative = dual and (m + n_b > self.max_size
                              or m * (k + n_b) > 2 * self.stored + 10**6
                              or (unpenalised and k + n_b + m > self.max_size))
        if iterative:
            X_rows = X[rows]
            if (X_rows.nnz if sp.issparse(X) else X_rows.size) > self.stored / 4:
                return None
        elif (not dual and 2 * (k + n_b) > self.max_size) or \
                m * (k + n_b) > 2 * self.stored + 10**6:
            return None
        g_fixed = self.left + np.sum(self.jump * (self.side > 0), axis=1)
        # standardised features: (w_F * col_scale, b) / kappa are the unknowns, the L2
        # part on them is l2 kappa / col_scale**2 and the on-kink targets beta / kappa
        unit = np.concatenate([obj.col_scale[cols], np.ones(n_b)])
        r_fixed = obj.coef_gradient(s * g_fixed)[0]
        # Stationarity in (w_F, b): S_w w_F + S_theta theta = rhs_s
        sigma = self.sigma
        rhs_w = -l1 * sigma[cols] - r_fixed[cols]
        rhs_s = np.concatenate([rhs_w, [-np.dot(s, g_fixed)]] if n_b else [rhs_w]) / unit
        system = dict(rows=rows, kinks=kinks, cols=cols, m=m, k=k, unit=unit,
                      g_fixed=g_fixed, D=s[rows] * self.jump[rows, kinks],
                      target=self.beta[rows, kinks] / kappa, rhs_s=rhs_s,
                      l2_F=l2 * kappa / unit[:k] ** 2 if on_F.has_l2 else None,
                      dense_dual=dual and not unpenalised, iterative=iterative)
        if iterative:
            system["X_rows"] = X_rows
            return system
        # B (w_F, b) = beta, built in one array (memory: a few m x k arrays in all)
        B = np.ones((m, k + n_b))
        for start in range(0, m, 256):  # by blocks: no second m x k array
            part = rows[start: start + 256]
            B[start: start + 256, :k] = (X[part][:, cols].toarray() if sp.issparse(X)
                                         else X[np.ix_(part, cols)])
        B[:, :k] -= obj.offset[cols]
        B /= unit
        system["B"] = B
        return system

    def solve(self, system):
        """``(w_new, b_new, theta)`` of the guess's system; ``RETRY`` after moving the
        on-kink samples the rows cannot all pass through (the closest stay, as many as
        the rows' rank); ``None`` when nothing satisfies the system."""
        if system["iterative"]:
            return self.solve_iterative(system)
        rows, kinks, m, k = system["rows"], system["kinks"], system["m"], system["k"]
        B, target, rhs_s, l2_F = system["B"], system["target"], system["rhs_s"], system["l2_F"]
        n_b, kappa = self.n_b, self.kappa
        d, side = self.d, self.side
        wb, rank, determined = None, 0, False
        if m >= k + n_b and m > 0:
            wb, rank, determined = on_kink_solution(B, target, l2_F, k, rhs_s)
        if determined and not np.allclose(B @ wb, target, rtol=1e-9, atol=1e-10):
            # More samples on kinks than (w_F, b) can pass through (the first guesses of
            # wide smoothing): keep the closest ones on their kinks, as many as the rows'
            # rank.
            far = np.argsort(np.abs(d[rows, kinks]), kind="stable")[rank:]
            side[rows[far], kinks[far]] = np.where(d[rows[far], kinks[far]] > 0, 1, -1)
            return RETRY
        if determined:
            # At least as many independent samples on kinks as unknowns in (w_F, b): they
            # fix it (an LP vertex, or w = 0 with many samples on one kink), with the help
            # of stationarity where the on-kink rows are dependent; theta follows.
            rhs_theta = rhs_s - np.concatenate([(0.0 if l2_F is None else l2_F) * wb[:k],
                                                [0.0] * n_b])
            theta = theta_shares((B * system["D"][:, None]).T, rhs_theta, self.gtol)
            if theta is None:
                return None
            w_free, b_new = wb[:k], (wb[k:] if n_b else np.zeros(1))
        else:
            # Fewer: solve stationarity and the on-kink rows together.
            if (m + n_b if system["dense_dual"] else k + n_b + m) > self.max_size:
                return None
            # (the intercept's: where the rows leave it free, the smoothed one; the
            # coefficients' minimum norm, as the rows ask of them)
            current = np.concatenate([np.zeros(k), self.b[:n_b] / kappa])
            sol = stationary_on_kinks(B, system["D"], rhs_s, target, l2_F, k, current,
                                      atol=(1e-3 * self.gtol, 1e-12))
            if sol is None:
                # More samples on kinks than their rows' rank (redundant features):
                # the closest stay on their kinks, as many as that rank
                keep = closest_independent(B, target, np.abs(d[rows, kinks]))
                if keep is None:
                    return None
                off = ~keep
                side[rows[off], kinks[off]] = np.where(d[rows[off], kinks[off]] > 0, 1, -1)
                return RETRY
            w_free, b_new, theta = sol
        w_new = np.zeros(self.obj.X.shape[1])
        w_new[system["cols"]] = w_free * kappa / system["unit"][:k]
        return w_new, b_new * kappa, theta

    def solve_iterative(self, system):
        """``(w_new, b_new, theta)`` of the SVM dual on the on-kink samples, by MINRES on
        their rows of X (see :func:`dual_by_minres`); ``None`` when it does not reach
        the system to the dense solve's accuracy."""
        obj, kappa, n_b, X_rows = self.obj, self.kappa, self.n_b, system["X_rows"]
        rows, kinks, cols, k = system["rows"], system["kinks"], system["cols"], system["k"]
        p = obj.X.shape[1]
        # the free features with an L2 part (P) and without (U, a factor of 0)
        strengths = np.broadcast_to(self.penalty.l2, p)
        unpenalised = np.flatnonzero(self.free & (strengths == 0))
        penalised = self.free & (strengths > 0)
        # the rows' products on P, centred: (X_B - o)_P v
        mask = None if penalised.all() else penalised
        offset = obj.offset if mask is None else np.where(mask, obj.offset, 0.0)
        # (w_F * col_scale) / kappa = (rhs_s - B_w^T u) / l2_F in the unknowns' units;
        # in X's: w_P = (rhs_s * col_scale - (X_B - o)_P^T u) / l2, and r_U the
        # right-hand sides of U's stationarity
        r = np.zeros(p)
        r[cols] = system["rhs_s"][:k] * system["unit"][:k]
        r_U, r[unpenalised] = r[unpenalised], 0.0
        # the constraints' columns: U's centred on-kink rows, then the intercept's ones
        X_U = X_rows[:, unpenalised]
        X_U = (X_U.toarray() if sp.issparse(X_U) else X_U) - obj.offset[unpenalised]
        constraints = np.hstack([X_U, np.ones((len(rows), n_b))])
        theta0 = self.theta[rows, kinks]
        start = np.concatenate([system["D"] * theta0, self.w0[unpenalised] / kappa,
                                self.b[:n_b] / kappa])
        # the L2 strengths (one per feature with factors; off P, where r and the
        # products are 0, any positive number)
        l2 = self.penalty.l2 if self.penalty.uniform else np.where(penalised, strengths, 1.0)
        solution = dual_by_minres(X_rows, offset, mask, l2 * kappa, r, system["target"],
                                  constraints, np.concatenate([r_U, system["rhs_s"][k:]]),
                                  start)
        if solution is None:
            return None
        u, z, iterations = solution
        self.minres_iterations += iterations
        w_new = (r - transposed_centred(X_rows, offset, mask, u)) / l2
        w_new[unpenalised] = z[:len(unpenalised)] * kappa
        theta = u / system["D"]
        self.theta[rows, kinks] = np.clip(theta, 0.0, 1.0)
        return w_new, (z[len(unpenalised):] * kappa if n_b else np.zeros(1)), theta

    def move(self, system, w_new, b_new, theta):
        """Move the guess towards the solution's own: samples whose ``theta`` leaves
        [0, 1] to that side, samples that cross their kink onto it, coefficients that
        flip sign or violate their KKT inequality out of or into ``F``. Whether anything
        moved."""
        obj, penalty, side = self.obj, self.penalty, self.side
        rows, kinks, jump = system["rows"], system["kinks"], self.jump
        low, high = theta < -1e-12, theta > 1 + 1e-12
        side[rows[low], kinks[low]] = -1
        side[rows[high], kinks[high]] = 1
        changed = bool(low.any() or high.any())
        self.d = d = obj.raw(w_new[None, :], b_new)[:, None] - self.beta
        tiny = self.tiny
        crossed = self.weighted & (((side < 0) & (d > tiny)) | ((side > 0) & (d < -tiny)))
        if crossed.any():
            side[crossed] = 0
            changed = True
        if penalty.bounded:
            g = system["g_fixed"].copy()
            np.add.at(g, rows, jump[rows, kinks] * np.clip(theta, 0.0, 1.0))
            grad = obj.coef_gradient(obj.sample_weight * g)[0] + penalty.l2 * w_new
            free, sigma = self.free, self.sigma
            # (an L1 part: the sign must stay; positive alone: w >= 0; neither, a factor
            # of 0: any sign)
            flipped = free & np.where(penalty.l1 > 0, np.sign(w_new) != sigma,
                                      (w_new < 0) & penalty.positive)
            # KKT violations of the features at 0, standardised (gtol's unit)
            join = ~free & (penalty.violations(grad, None, obj.col_scale) > self.gtol)
            if flipped.any() or join.any():
                free[flipped] = False
                free[join] = True
                self.sigma = np.where(join, -np.sign(grad), np.where(flipped, 0.0, sigma))
                changed = True
        return changed


# Crossover.solve's answer when it moved samples and the round must be built again
RETRY = object()


def transposed_centred(X_rows, offset, mask, u):
    """``(X_B - o)_F^T u``: the on-kink rows' transposed product, centred, on the free
    features (``mask``; ``None``: all), zero elsewhere."""
    t = np.asarray(X_rows.T @ u).ravel() - offset * u.sum()
    return t if mask is None else np.where(mask, t, 0.0)


def dual_by_minres(X_rows, offset, mask, scale, r, target, C, r_c, start, rtol=1e-15):
    r"""The SVM dual's system of :func:`stationary_on_kinks` on the ``m`` on-kink rows
    ``X_rows`` of X, by MINRES (:func:`scipy.sparse.linalg.minres`) with products by
    those rows only: with ``A = (X_B - o)_P`` (centred by ``offset``, on the penalised
    free features of ``mask``) and ``K = A A^T / scale`` (``scale = l2 kappa``; with one
    per feature, ``K = A diag(1 / scale) A^T`` and ``A r / scale`` is ``A (r / scale)``),

    .. math:: \begin{pmatrix} K & -C \\ -C^T & 0 \end{pmatrix}
              \begin{pmatrix} u \\ z \end{pmatrix} =
              \begin{pmatrix} A r / scale - \text{target} \\ -r_c \end{pmatrix}

    ``C`` (``m x c``, dense) holds the columns of what has no L2 part, each a
    constraint on ``u``: the free unpenalised features' centred rows and the
    intercept's ones, ``z`` their values over ``kappa`` (none: ``K u = A r / scale -
    target``). Preconditioned by the diagonal of ``K`` and the Schur complement's
    estimate ``C^T diag(K)^{-1} C`` (``sum 1 / diag K`` for the intercept alone).
    ``start`` is ``(u, z)`` to begin from. Returns ``(u, z, iterations)``, or ``None``
    when the residual of a row exceeds 1e-9 of its right-hand side (plus 1e-12: the
    dense solve's test, :func:`solve_consistent`).
    """
    m, n_b = X_rows.shape[0], C.shape[1]
    # one scale per feature: divided into the products' middle, the common one 1
    per_feature = np.ndim(scale) > 0
    inverse, common = (1.0 / scale, 1.0) if per_feature else (None, scale)

    def K(u):
        t = transposed_centred(X_rows, offset, mask, u)
        if per_feature:
            t = t * inverse
        return (np.asarray(X_rows @ t).ravel() - np.dot(offset, t)) / common

    def matvec(v):
        u = v[:m]
        if not n_b:
            return K(u)
        return np.concatenate([K(u) - C @ v[m:], -(C.T @ u)])

    rs = r * inverse if per_feature else r
    Ar = np.asarray(X_rows @ rs).ravel() - np.dot(offset, rs)
    rhs = np.concatenate([Ar / common - target, -np.asarray(r_c)])
    # diag K: the centred rows' squared norms on the free features (weighted by
    # 1 / scale per feature)
    square = X_rows.multiply(X_rows) if sp.issparse(X_rows) else X_rows * X_rows
    if per_feature:
        weights = inverse if mask is None else np.where(mask, inverse, 0.0)
        square = square @ weights
        cross = np.asarray(X_rows @ (offset * weights)).ravel()
        centre = np.dot(offset * offset, weights)
    elif mask is not None:
        square = square @ mask.astype(float)
        cross = np.asarray(X_rows @ offset).ravel()  # offset is 0 off the mask
        centre = np.dot(offset, offset)
    else:
        square = np.asarray(square.sum(axis=1)).ravel()
        cross = np.asarray(X_rows @ offset).ravel()
        centre = np.dot(offset, offset)
    diag = np.maximum((np.asarray(square).ravel() - 2 * cross + centre) / common,
                      np.finfo(float).tiny)
    # the Schur complement's estimate, inverted with its eigenvalues floored (columns
    # that repeat on the on-kink rows: a definite preconditioner all the same)
    eig, vectors = linalg.eigh(C.T @ (C / diag[:, None]))
    eig = np.maximum(eig, 1e-12 * np.max(eig, initial=0.0)) if n_b else eig
    schur = (vectors / eig) @ vectors.T

    def preconditioner(v):
        return np.concatenate([v[:m] / diag, schur @ v[m:]])

    size = m + n_b
    iterations = [0]

    def counted(_):
        iterations[0] += 1

    solution, _ = minres(LinearOperator((size, size), matvec=matvec), rhs, x0=start,
                         M=LinearOperator((size, size), matvec=preconditioner),
                         rtol=rtol, maxiter=max(4 * size, 100), callback=counted)
    residual = np.abs(matvec(solution) - rhs)
    if not np.all(np.isfinite(solution)) or np.any(residual > 1e-9 * np.abs(rhs) + 1e-12):
        return None
    return solution[:m], solution[m:], iterations[0]


def stationary_on_kinks(B, D, rhs_s, target, l2, k, current=None, atol=(0.0, 0.0)):
    r"""``(w_F, b, theta)`` solving stationarity and the on-kink rows together (fewer
    samples on kinks than unknowns in ``(w_F, b)``), or ``None`` when no solution
    satisfies them (:func:`solve_consistent`).

    The equations, with ``u = D theta`` and ``B = [B_w, 1]``::

        l2 w_F + B_w^T u = r_w,    1^T u = r_b,    B_w w_F + b 1 = target.

    ``l2`` holds one L2 strength per feature of ``F`` (``None`` without an L2 part). With
    one on every feature, the first gives ``w_F = (r_w - B_w^T u) / l2``, and what
    remains is the system of the SVM dual on the ``m`` on-kink samples
    (``L = diag(l2)``),

    .. math:: \begin{pmatrix} B_w L^{-1} B_w^T & -1 \\ -1^T & 0 \end{pmatrix}
              \begin{pmatrix} u \\ b \end{pmatrix} =
              \begin{pmatrix} B_w L^{-1} r_w - \text{target} \\ -r_b \end{pmatrix},

    of size ``m + 1`` instead of ``k + 1 + m`` (its memory, not the whole system's and
    its LU copy). Otherwise (some strength 0: unpenalised features), the whole system
    is solved, ``diag(l2)`` in its first block.

    Where the equations leave ``(w_F, b)`` undetermined (a flat stretch of the objective:
    an even number of samples balancing the intercept between two kinks), the solution
    nearest ``current`` (the smoothed solution) is taken. ``atol`` is what each kind of
    row may miss by (rounding of sums that cancel): stationarity rows (gradient units)
    and on-kink rows (the units of y).
    """
    m, n_b = len(target), B.shape[1] - k
    current = np.zeros(k + n_b) if current is None else current
    if l2 is not None and np.all(l2 > 0):
        B_w = B[:, :k]
        A = np.zeros((m + n_b, m + n_b))
        BL = B_w / l2
        A[:m, :m] = BL @ B_w.T
        A[:m, m:] = -1.0
        A[m:, :m] = -1.0
        rhs = np.concatenate([BL @ rhs_s[:k] - target, -rhs_s[k:]])
        sol = solve_consistent(A, rhs, np.concatenate([np.zeros(m), current[k:]]),
                               np.repeat([atol[1], atol[0]], [m, n_b]))
        if sol is None:
            return None
        u = sol[:m]
        return (rhs_s[:k] - B_w.T @ u) / l2, (sol[m:] if n_b else np.zeros(1)), u / D
    A = np.zeros((k + n_b + m, k + n_b + m))
    if l2 is not None:
        A[np.arange(k), np.arange(k)] = l2
    A[:k + n_b, k + n_b:] = (B * D[:, None]).T
    A[k + n_b:, :k + n_b] = B
    sol = solve_consistent(A, np.concatenate([rhs_s, target]),
                           np.concatenate([current, np.zeros(m)]),
                           np.repeat(atol, [k + n_b, m]))
    if sol is None:
        return None
    return sol[:k], (sol[k:k + 1] if n_b else np.zeros(1)), sol[k + n_b:]


def on_kink_solution(B, target, l2, k, rhs_s, block=256):
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
    and gives a basis of ``N`` (an SVD of ``R`` would hold three more ``k x k``
    arrays).
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
    rank = numerical_rank(np.abs(np.diag(qr)), B.shape)
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
    t = solve_spd(NL.T @ N[:k], N.T @ rhs_s - NL.T @ x0[:k])
    if t is None:
        return x0, rank, False
    return x0 + N @ t, rank, True


def numerical_rank(sv, shape):
    """Numerical rank from the singular values ``sv`` of a matrix of ``shape`` (LAPACK's
    and numpy's default cut-off: ``max(shape) * eps`` of the largest), or from the
    diagonal of a column-pivoted ``R`` (largest first) in their place."""
    return int(np.sum(sv > sv[0] * max(shape) * np.finfo(float).eps)) if sv.size else 0


def closest_independent(B, target, distance):
    """Which on-kink rows keep their place when ``B x = target`` has no solution because
    there are more distinct rows than ``B``'s rank: the ``rank`` closest distinct rows
    (``distance`` to the kink), every copy of a repeated sample alike (repeating a
    sample must act as its weight does). ``None`` when the rows are independent (the
    inconsistency is elsewhere)."""
    _, first, group = np.unique(np.column_stack([B, target]), axis=0, return_index=True,
                                return_inverse=True)
    group = group.ravel()
    rank = numerical_rank(np.linalg.svd(B[first], compute_uv=False), B.shape)
    if rank >= len(first):
        return None
    closest = np.argsort(distance[first], kind="stable")[:rank]
    return np.isin(group, closest)


def solve_consistent(A, rhs, x0=None, atol=0.0):
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


def theta_shares(S, rhs, gtol):
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
