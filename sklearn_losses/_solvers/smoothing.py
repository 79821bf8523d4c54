"""Smoothing continuation for a piecewise-linear loss (route ``"smoothing"``): every kink
replaced by a quadratic of shrinking width, each smooth stage solved from the last, and
the exact optimum taken from a stage's solution by a crossover step
(:class:`~.crossover.Crossover`) or, without an L2 part, by the LP on the samples near
their kinks (:func:`~.lp.band_lp`)."""

from collections import Counter

import numpy as np
from scipy.optimize import minimize

from .._objective import LinearObjective
from .crossover import Crossover
from .gram import centred_gram
from .lbfgs import lbfgs
from .lp import band_lp, band_size, kink_scale
from .options import DEFAULT_OPTIONS
from .result import FitResult


class Smoothing:
    """Smoothing continuation, finished by a crossover or the band LP (:meth:`run`).

    Each stage (:meth:`stage`) replaces every kink by a quadratic of half-width
    ``width`` (the smoothed loss is an upper bound that equals the loss away from
    kinks), solves that smooth problem from the last solution, and shrinks ``width``.
    After each stage the samples within ``width`` of a kink are taken as the ones
    sitting on it, and the exact optimality system for that guess is solved
    (:meth:`finish`); a guess that passes every optimality check is the exact optimum
    (route ``"smoothing > crossover"`` or ``"smoothing > band-lp"``). Otherwise
    smoothing goes on; it also stops once ``width`` is small enough that the smoothed
    objective (an upper bound exceeding the true one by at most
    ``width * sum_i s_i sum_k j_ik / 4``) certifies a relative gap below ``tol``
    (``"smoothing > bound"``), or when a stage moves the true objective by less than
    ``tol / 10`` relative (``"smoothing > stalled"``: degenerate problems whose guessed
    kinks never settle). ``max_iter`` bounds each stage's run.

    With an L2 part on every feature (the Hessian is then definite), no bounds (no L1 part, no
    ``positive``) and at least ``options.gram_min_ratio`` samples per feature (the
    p x p Hessian stays within the memory budget), a stage whose samples near a kink
    are few is solved by Newton-CG with the smoothed loss's exact Hessian
    (:func:`smoothed_newton`): only the samples within ``width`` of a kink contribute to
    it, so it is cheap exactly in the narrow stages where L-BFGS-B needs hundreds of
    iterations.

    ``scale`` is the gradient scale ``gtol`` is relative to (:class:`~.problem.Scales`;
    ``gtol / tol`` by default): early stages stop at a share of it. Widths, tolerances
    and the stages' variables are measured in the kinks' scale (:func:`~.lp.kink_scale`,
    the units of y).
    """

    def __init__(self, loss, obj, penalty, W0, b0, gtol, tol, max_iter, verbose,
                 scale=None, shrink=10.0, max_stages=14, options=DEFAULT_OPTIONS):
        self.loss, self.obj, self.penalty = loss, obj, penalty
        self.gtol, self.tol, self.max_iter, self.verbose = gtol, tol, max_iter, verbose
        self.scale = gtol / tol if scale is None else scale
        self.shrink, self.max_stages, self.options = shrink, max_stages, options
        self.W, self.b = W0.astype(float), b0.astype(float)
        self.raw = obj.raw(self.W, self.b)
        self.beta, self.jump = loss.kinks(obj.y)
        n, p = obj.X.shape
        self.newton = (not penalty.bounded and np.all(penalty.l2 > 0) and obj.n_outputs == 1
                       and n >= options.gram_min_ratio * p)
        self.active = obj.sample_weight > 0
        self.kappa = kink_scale(self.beta[self.active], obj.sample_weight[self.active])
        self.width = self.first_width()
        self.excess = float(np.dot(obj.sample_weight, self.jump.sum(axis=1))) / 4
        self.n_iter, self.steps = 0, Counter()

    def first_width(self):
        """About as wide as the typical distance to a kink; from w = 0, at least as wide
        as the spread of the kinks (the intercept-only start can sit on many kinks at
        once, as with the hinge loss). A warm start (a path, ``warm_start=True``) is near
        the optimum already: with Newton stages (cheap when narrow), as wide as leaves as
        many samples near a kink as the crossover has unknowns; without an L2 part, as
        narrow as leaves as many near them as the band LP takes."""
        W, beta, active = self.W, self.beta, self.active
        distance = np.min(np.abs(self.raw[:, None] - beta), axis=1)[active]
        width = float(np.median(distance))
        if not np.any(W):
            width = max(width, float(np.mean(np.abs(beta[active] - np.mean(beta[active])))))
        elif self.newton:
            q = min(np.count_nonzero(W) + int(self.obj.fit_intercept), len(distance)) - 1
            width = min(width, float(np.partition(distance, q)[q]))
        elif not self.penalty.has_l2:
            q = min(band_size(W, self.obj.fit_intercept), len(distance)) - 1
            width = min(width, float(np.partition(distance, q)[q]))
        return width or self.kappa

    def run(self):
        previous, message = np.inf, ""
        for _ in range(self.max_stages):
            res, stage_gtol = self.stage()
            current = self.objective()
            exact = self.finish()
            if exact is not None:
                return exact
            width = self.width
            if self.verbose:
                print(f"[smoothing] width {width:.3g}: objective {current:.12g}, "
                      f"{self.n_iter} iterations")
            # The smoothed objective exceeds the true one by at most width * excess, so
            # a solved smoothed problem is within that of the true optimum.
            if (res.converged and stage_gtol == self.gtol
                    and width * self.excess <= self.tol * abs(current)):
                return self.result(True, f"within the smoothing bound at width {width:.3g}.",
                                   "smoothing > bound")
            # The error of a smoothed solution shrinks about in proportion to the width,
            # so a stage that changes the true objective by less than tol / 10 leaves it
            # within about tol of the optimum.
            if (stage_gtol == self.gtol
                    and abs(previous - current) <= 0.1 * self.tol * abs(current)):
                return self.result(True, "objective stopped moving.", "smoothing > stalled")
            if res.n_iter >= self.max_iter:
                message = (f"max_iter={self.max_iter} reached in the stage at width "
                           f"{width:.3g}.")
                break
            previous = current
            self.width /= self.shrink
        else:
            message = f"no exact solution found down to smoothing width {self.width:.3g}."
        return self.result(False, message, "smoothing")

    def result(self, converged, message, route, W=None, b=None):
        W, b = (self.W, self.b) if W is None else (W, b)
        return FitResult(W, b, self.n_iter, converged, message, route=route,
                         steps=self.steps)

    def stage(self):
        """Solve the problem smoothed at the current width, from the last solution:
        Newton-CG where it pays (its Hessian, p^2 per sample near a kink, cheaper than
        about thirty evaluations on X, the L-BFGS-B evaluations it saves), else (or
        where Newton's line search stalls on kinks) L-BFGS-B. Early stages only need to
        find the samples near kinks, not a precise optimum."""
        obj, loss, width = self.obj, self.loss, self.width
        n, p = obj.X.shape
        smoothed = LinearObjective(
            lambda y, r, h=width: loss.smoothed_loss_gradient(y, r, h),
            obj.X, obj.y, obj.sample_weight, obj.fit_intercept, normalizer=1.0,
            offset=obj.offset, col_scale=obj.col_scale,
        )
        stage_gtol = max(self.gtol, 1e-2 * (width / self.kappa) * self.scale)
        res = None

        def curvature(r, h=width):
            return loss.smoothed_hessian(obj.y, r, h)

        # (raw is X w at the stage's start: computed after the last stage, or at first)
        if self.newton and np.count_nonzero(curvature(self.raw)) * p <= 60 * n:
            res = smoothed_newton(smoothed, curvature, self.penalty, self.W, self.b,
                                  stage_gtol, self.max_iter, self.kappa)
            self.steps["newton-stages"] += 1
        if res is None or not res.converged:  # Newton's line search can stall on kinks
            if res is not None and np.all(np.isfinite(res.coef)):
                self.n_iter += res.n_iter
                self.W, self.b = res.coef, res.intercept  # L-BFGS-B goes on from there
            res = lbfgs(smoothed, self.penalty, self.W, self.b, stage_gtol, self.max_iter, 0,
                        loss_curvature=1.0 / self.kappa, unit=self.kappa,
                        options=self.options)
            self.steps["lbfgs-stages"] += 1
        self.n_iter += res.n_iter
        self.W, self.b = res.coef, res.intercept
        self.raw = obj.raw(self.W, self.b)  # one X w a stage: the objective and the LP's test
        return res, stage_gtol

    def objective(self):
        """The true (unsmoothed) objective at the stage's solution."""
        return self.obj.value(self.W, self.b, raw=self.raw) + self.penalty.value(self.W)

    def finish(self):
        """The exact optimum from the stage's solution, or ``None``. Without an L2 part
        the problem is a linear programme: once few samples are near their kinks, HiGHS
        solves it exactly on those (:func:`~.lp.band_lp`), which handles the degenerate
        vertices the crossover cannot; otherwise the crossover."""
        obj, width = self.obj, self.width
        lp = False
        if not self.penalty.has_l2 and obj.n_outputs == 1:
            near = int(np.sum(np.abs(self.raw[:, None] - self.beta)[self.active] <= width))
            lp = (near <= band_size(self.W, obj.fit_intercept)
                  and self.options.lp_pays(near, obj.X.shape[1]))
        if lp:
            self.steps["band-lp"] += 1
            exact = band_lp(self.loss, obj, self.penalty, self.tol, self.max_iter,
                            raw=self.raw, band=near, options=self.options)
            exact = exact and (exact.coef, exact.intercept)
        else:
            crossover = Crossover(self.loss, obj, self.penalty, self.W, self.b, width,
                                  self.gtol, max_size=self.options.crossover_max_size,
                                  raw=self.raw)
            exact = crossover.run()
            self.steps["crossover-attempts"] += 1
            self.steps["crossover-rounds"] += crossover.rounds
            self.steps["crossover-minres-iterations"] += crossover.minres_iterations
        if exact is None:
            return None
        message = (f"{'LP on the samples near their kinks' if lp else 'crossover'} at "
                   f"smoothing width {width:.3g}.")
        if self.verbose:
            print(f"[smoothing] {message}")
        return self.result(True, message, "smoothing > band-lp" if lp else
                           "smoothing > crossover", *exact)


def smoothed_newton(obj, curvature, penalty, W0, b0, gtol, max_iter, unit=1.0):
    """Minimise ``obj`` (one output) plus ``penalty``'s L2 part (every strength
    positive) by ``scipy.optimize.minimize``'s Newton-CG with the exact Hessian;
    ``curvature(raw)`` is the loss's second derivative per sample, and only the samples
    where it is nonzero enter the Hessian.

    The variables are the coefficients of standardised features (``w * col_scale``) and
    the intercept, so the gradient is in the units of ``gtol``; the run stops (through
    the callback) once its largest entry is below ``gtol``. ``unit`` is the scale of
    those variables (of the predictions: the units of y), which Newton-CG's step
    tolerance is relative to.
    """
    X, offset, scale = obj.X, obj.offset, obj.col_scale
    p, n_b, l2 = X.shape[1], int(obj.fit_intercept), penalty.l2
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
        return value + penalty.ridge(w), grad

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
    return FitResult(W, b.copy(), max(res.nit, 1), violation <= gtol, message,
                     route="newton")
