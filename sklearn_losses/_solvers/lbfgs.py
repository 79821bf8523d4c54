"""L-BFGS-B on the penalised objective: the variables it works on (an L1 part split as
``w = w+ - w-`` with bounds, preconditioned by the columns' scales or by the data term's
curvature), the driver that runs it to a KKT tolerance, and the Newton steps that
finish a run stalled on the rounding of the objective's values."""

from collections import Counter
from dataclasses import dataclass

import numpy as np
from scipy import linalg
from scipy.optimize import Bounds, minimize

from .data import gather_columns
from .gram import centred_gram, solve_spd
from .options import DEFAULT_OPTIONS
from .result import FitResult


@dataclass
class Curvature:
    """The data term's Hessian in ``W`` at the cold start, for the preconditioner: the
    eigendecompositions ``(U, mu)`` of ``A`` (outputs) and ``(Q, lam)`` of ``C``
    (features) of a Kronecker product ``A (x) C``, the intercepts' curvature, and the
    ``units`` of ``C``'s coefficients (``col_scale``: standardised columns; else 1)."""

    U: np.ndarray
    mu: np.ndarray
    Q: np.ndarray
    lam: np.ndarray
    intercept: np.ndarray
    units: np.ndarray


def curvature(loss, obj, b0, units=None):
    """The :class:`Curvature` of ``obj`` at ``(0, b0)``; ``C`` is the Hessian in the
    coefficients ``W * units`` (``None``: X's own units, where a uniform L2 part is
    isotropic; ``sqrt(factor)`` where one with per-feature factors is). Without an L2
    part, ``units = col_scale`` (standardised columns): the eigendecomposition then
    resolves columns of any units (in X's own, a column in units of 1e-12 has
    eigenvalues of 1e-24 next to 1, below what it can resolve).

    One output: ``A = 1`` and ``C = sum_i s_i l''(y_i, b0) (x_i - offset)(x_i -
    offset)^T``. Several (multinomial): the raw prediction is the same for every sample at
    the start, so each sample's Hessian in the raw outputs is (for the softmax, exactly)
    the same ``A``, their weighted mean, and ``C`` is the weighted centred Gram matrix.
    The intercepts' curvature is that of one output, or one common value for several
    (the mean of the diagonal of their Hessian).

    ``None`` when the loss gives no second derivative or some sample has none there (a
    Huber outlier: the start then says little about the curvature at the optimum).
    Eigenvalues are floored at 1e-10 of the largest (collinear columns; the softmax's
    flat direction), so the preconditioner is definite for every alpha; one
    decomposition serves a whole path.
    """
    units = np.ones(obj.X.shape[1]) if units is None else units
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
    return Curvature(*parts, np.maximum(intercept, 1e-10 * intercept.max()), units)


class Rotation:
    """The change of variables ``W * units = U (V / R) Q^T``, ``R = sqrt(mu lam^T + l2)``,
    in which the curvature ``A (x) C`` of :func:`curvature` (in the coefficients of
    columns in ``units``) plus ``l2 I`` is the identity (an L2 part is isotropic only in
    X's own units, or ``sqrt(factor)`` with per-feature factors, so standardised
    ``units`` come with ``l2 = 0``), and ``b = c /
    intercept_scale`` with the square root of the intercept's curvature (its diagonal),
    so that the intercept is in the same units (a Poisson model of large counts has a
    curvature of their size: unscaled, the intercept's direction would dominate
    L-BFGS-B's steps and fail its line search)."""

    def __init__(self, curvature, l2, col_scale):
        self.U, self.Q, self.units = curvature.U, curvature.Q, curvature.units
        self.R = np.sqrt(np.outer(curvature.mu, curvature.lam) + l2)
        self.intercept_scale = np.sqrt(curvature.intercept)
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


class Packing:
    """L-BFGS-B variables ``z = [V+, V-, b]`` and the penalised objective on ``z``.

    ``V = W * scale`` with ``scale = sqrt(col_scale**2 + l2 / loss_curvature)``: a
    diagonal preconditioner, about the square root of each coefficient's curvature (up to
    a common factor): the data term's (``col_scale`` = the columns' weighted standard
    deviations, see ``LinearObjective``, times the loss's typical second derivative,
    ``loss_curvature``: 1 for squared error in any units, about 1 / kappa for the smoothed
    kinks of a piecewise-linear loss in the units kappa of y) plus the L2 term's.
    Features in very different units (1e-6 next to 1e6) converge together, and so do
    strongly penalised ones (with per-feature factors, ``l1`` and ``l2`` are one per
    feature, repeated for each output). ``V-`` exists only for an L1 part without
    ``positive``; ``V+`` is free when there is neither.

    With ``curvature`` (the data term's Hessian at the start, see :func:`curvature`, in
    the units where the L2 part is isotropic: ``Penalty.isotropic``), no bounds (no L1
    part, no ``positive``) and no factor of 0 with an L2 part, the preconditioner is
    that whole matrix
    instead (:class:`Rotation`): ``V`` are the coordinates in which ``curvature + l2 I``
    is the identity. The problem in ``V`` then has a Hessian near the identity, and
    L-BFGS-B needs far fewer iterations on correlated columns.

    ``gtol`` is a tolerance on the gradient for *standardised* features (divided by
    ``col_scale``), whatever the preconditioner: ``unit`` converts L-BFGS-B's gradient
    entries to that measure.
    """

    def __init__(self, obj, penalty, n_features, curvature=None, loss_curvature=1.0):
        k = obj.n_outputs
        self.obj, self.penalty, self.l2 = obj, penalty, penalty.l2
        self.shape = (k, n_features)
        self.m = k * n_features
        col_scale = np.tile(obj.col_scale, k)
        # the strengths per variable (per feature, repeated for each output, with factors)
        l1, l2 = ((penalty.l1, penalty.l2) if penalty.uniform
                  else (np.tile(penalty.l1, k), np.tile(penalty.l2, k)))
        self.scale = np.sqrt(col_scale**2 + l2 / loss_curvature)
        self.bounded = penalty.bounded
        self.split = penalty.has_l1 and not penalty.positive
        self.n_blocks = 2 if self.split else 1
        # The L1 cost of V+ and V- per unit: l1 |w| = (l1 / scale) |v|.
        self.l1_cost = np.tile(l1 / self.scale, self.n_blocks)
        n_b = obj.n_outputs if obj.fit_intercept else 0
        self.unit = np.concatenate([np.tile(self.scale / col_scale, self.n_blocks),
                                    np.ones(n_b)])
        # None when unbounded: scipy's handling of infinite bounds costs a little a call
        self.bounds = None
        if self.bounded:
            size = self.n_blocks * self.m + n_b
            lower = np.full(size, -np.inf)
            lower[: self.n_blocks * self.m] = 0.0
            self.bounds = Bounds(lower, np.full(size, np.inf))
        self.rotation = None
        isotropic = penalty.isotropic
        if curvature is not None and not self.bounded and isotropic is not None:
            self.rotation = Rotation(curvature, isotropic[1], obj.col_scale)
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
        value, dW, db = self.obj.value_gradient(W, b)
        gw = dW + self.l2 * W
        gv = (self.rotation.gradient_v(gw) if self.rotation is not None
              else gw.ravel() / self.scale)
        value += self.penalty.ridge(W)
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


def lbfgs(obj, penalty, W0, b0, gtol, max_iter, verbose, floor=None, max_restarts=5,
          curvature=None, loss_curvature=1.0, unit=1.0, options=DEFAULT_OPTIONS):
    """L-BFGS-B until the projected gradient is below ``gtol`` (route ``"lbfgs"``).

    ``ftol=0`` disables the relative-reduction stop, which ends split-L1 problems early
    (steps cut short by the bounds look like no progress). A line-search failure is
    followed by a restart from the current point (fresh curvature memory); a run that
    stalls on the rounding of the objective is finished by Newton steps
    (:func:`newton_polish`, then ``"lbfgs > newton"``), and otherwise counts as
    converged if its violation is below ``floor()`` (a function: computed only then).

    L-BFGS-B's first trial step has unit length, too long for a warm start near the
    optimum. With the rotation preconditioner the Hessian is near the identity, so the
    right first step is the gradient itself: a warm start measures the variables in units
    of the first gradient's norm, which makes the unit step that step (the first
    evaluation is reused, not repeated). A cold start (``W0 = 0``) keeps unit variables
    unless its gradient is shorter than 1 (then the gradient step, as a warm start): a
    unit step moves the prediction further than the curvature there allows (a Poisson
    model of tiny counts overflows). A gradient of rounding size never comes here: the
    caller returns ``w = 0`` for it. Without the rotation, the variables are measured in
    ``unit`` (the scale of the predictions, when the loss makes it the coefficients'
    scale: a piecewise-linear loss's kinks in y's units), so that the first trial step
    is neither 1e12 times too long nor too short.
    """
    pk = Packing(obj, penalty, W0.shape[1], curvature, loss_curvature)
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

    n_iter, previous, runs = 0, np.inf, 0
    for _ in range(max_restarts + 1):
        res = minimize(
            fun, z / step, jac=True, method="L-BFGS-B", bounds=pk.bounds,
            options={"maxiter": max_iter - n_iter, "maxfun": 2 * max_iter + 20,
                     "ftol": 0.0, "gtol": gtol / np.max(pk.unit, initial=1.0),
                     "maxcor": 20, "maxls": 40},
        )
        n_iter += res.nit
        runs += 1
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
    steps = Counter({"lbfgs-runs": runs})
    if violation <= gtol:
        return FitResult(W, b, n_iter, True, message, route="lbfgs", steps=steps)
    if n_iter < max_iter:
        # the line search stalled on the rounding of the objective's values: Newton steps
        # on the active pieces need only gradients, which resolve far finer
        polished = newton_polish(obj, penalty, W, b, gtol, options=options)
        if polished is not None:
            W, b, violation = polished
            steps["newton-polish"] += 1
            message = (f"{message} Newton steps on the nonzero coefficients: largest KKT "
                       f"violation {violation:.3g}.")
            if verbose:
                print(f"[lbfgs] Newton steps: largest KKT violation {violation:.3g}.")
            if violation <= gtol:
                return FitResult(W, b, n_iter + 1, True, message, route="lbfgs > newton",
                                 steps=steps)
    if stalled and floor is not None and violation <= floor():
        return FitResult(W, b, n_iter, True,
                         message + " Stopped at the limit of floating-point precision.",
                         route="lbfgs", steps=steps)
    return FitResult(W, b, n_iter, False, message, route="lbfgs", steps=steps)


def newton_polish(obj, penalty, W, b, gtol, max_steps=4, options=DEFAULT_OPTIONS):
    """``(W, b, violation)`` after Newton steps on the nonzero coefficients (all of them
    without an L1 part or bounds) and the intercepts, from where L-BFGS-B stalled;
    ``None`` when the loss gives no second derivative or there are more than
    ``options.polish_max_features`` such coefficients.

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
    l2 = penalty.l2
    X, y, s, k = obj.X, obj.y, obj.sample_weight, obj.n_outputs
    W, b = np.array(W, dtype=float), np.array(b, dtype=float)
    free = W != 0 if penalty.bounded else np.ones(W.shape, dtype=bool)
    # the strengths of the free coefficients (one per feature and output with factors)
    l1_free = np.broadcast_to(penalty.l1, W.shape)[free]
    l2_free = np.concatenate([np.broadcast_to(l2, W.shape[1])[U] for U in
                              (np.flatnonzero(free[c]) for c in range(k))])
    if np.count_nonzero(free) > options.polish_max_features:
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
        v = penalty.violations(G, W, np.tile(obj.col_scale, (k, 1))).max(initial=0.0)
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
        H[np.arange(size), np.arange(size)] += l2_free / unit**2
        if n_b > 1:
            # the softmax's intercepts are only defined up to a common shift, whose
            # curvature is 0 to rounding: give it some, so that the step keeps their sum
            # (their gradient sums to 0) instead of dividing rounding by rounding
            H[size:, size:] += np.trace(H[size:, size:]) / n_b
        rhs = np.concatenate([(G[free] + l1_free * sigma) / unit, db[:n_b]])
        step = solve_spd(H, -rhs)
        if step is None:
            step = linalg.lstsq(H, -rhs)[0]
        W_new, b_new = W.copy(), b.copy()
        W_new[free] += step[:size] / unit
        b_new[:n_b] += step[size:]
        if penalty.bounded and np.any(np.sign(W_new[free]) != sigma):
            break
        raw_new, G_new, v_new, db_new = state(W_new, b_new)
        if not v_new < violation:
            break
        W, b, raw, G, violation, db = W_new, b_new, raw_new, G_new, v_new, db_new
        if violation <= gtol:
            break
    return W, b, violation
