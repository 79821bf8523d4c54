r"""Working sets: an L1 part (or ``positive``) solved on the features that matter.

A sparse solution touches few features, so the problem is solved restricted to a
*working set* (the nonzero coefficients and the worst violators of their optimality
condition), checked on every feature, and grown by the violators until none is left:

- :func:`gram_working_set` (route ``"gram-working-set"``): half squared error on a Gram
  matrix, each restricted problem solved by NNLS or L-BFGS-B and finished by *exact
  steps*, the solution of the linear system for the current signs
  (:math:`(G_{FF} + l_2 I) w_F = c_F - l_1 \sigma_F`);
- :class:`ColumnWorkingSet` (route ``"column-working-set"``): the same on the Gram
  matrix of the working set's own columns of X, for problems whose whole Gram matrix
  does not pay;
- :func:`lbfgs_columns` (route ``"lbfgs-columns"``): L-BFGS-B on a working set of X's
  columns, for the other smooth losses.

Each result's route names how its last solve ended (``"exact-step"``, ``"nnls"``,
``"lbfgs"``, ``"sample-space"``), and its steps count the inner solves.
"""

from collections import Counter

import numpy as np
from scipy.linalg import lapack
from scipy.optimize import nnls

from .._objective import LinearObjective
from .data import gather_columns
from .gram import Gram, KernelState, SampleSpace, cholesky, solve_spd, unit_diagonal
from .lbfgs import lbfgs
from .options import DEFAULT_OPTIONS
from .result import FitResult

# The first L-BFGS-B run of a Gram working set stops at LOOSE * gtol: it only has to
# find the signs for an exact step, not the optimum.
LOOSE = 100.0
# How a restricted problem was solved (a result's route, read by the column working set)
EXACT_STEP, NNLS, LBFGS = "exact-step", "nnls", "lbfgs"


def gram_working_set(gram, col_scale, penalty, w0, gtol, max_iter, verbose, floor,
                     solved=False, check=True, options=DEFAULT_OPTIONS):
    """Half squared error with an L1 part (or ``positive``) in Gram form.

    The problem restricted to a working set of features (the nonzero coefficients of the
    start and the features whose optimality condition fails there) is solved; every
    solution is checked on all features (the gradient ``G w - c`` needs only the Gram
    columns of the nonzero coefficients); violators join and the restricted problem is
    solved again, warm-started. Only the working set's Gram columns are ever computed.

    Before each restricted solve, the exact solution for the current signs is tried
    (:func:`exact_steps`): along a regularisation path the signs change little from one
    alpha to the next, and then one or a few ``k x k`` solves give the exact optimum. A
    working set of up to ``options.nnls_max_features`` features is solved by
    non-negative least squares (:func:`split_nnls`), whose solution the exact step then
    makes exact (unless it is exact already); a larger one by L-BFGS-B, whose first run
    stops at ``LOOSE * gtol`` (it only has to find the signs).

    ``solved``: ``w0`` is already the exact solution for its own signs (a column working
    set's previous, smaller problem), so the first exact step starts from it instead of
    solving for it again (so does the step after an exact NNLS solution).

    ``check=False``: the caller checks the solution on every feature itself (a column
    working set does, with one ``X^T r``), so an exact NNLS solution is returned as it
    is, unchecked here: a feature left at 0 that wants the other sign is found by the
    caller's check, which then solves again with ``check=True``.
    """
    p = len(gram.c)
    w, n_iter = np.array(w0, dtype=float), 0
    working = np.zeros(p, dtype=bool)
    message, converged, route, exact_result = "", False, "", False
    steps = Counter()
    run_gtol = LOOSE * gtol
    y_bar = np.array([gram.y_bar])

    def gradient(v):
        return gram.gradient(v, penalty.l2)

    def result(coef, converged, message, route, exact=False):
        return FitResult(coef[None, :], y_bar, n_iter, converged, message, route=route,
                         steps=steps, exact=exact)

    while True:
        zero = not w.any()  # (no signs to step from, and the gradient is -c)
        exact = None if zero else exact_steps(gram, penalty, w, gradient, col_scale, gtol,
                                              solved=solved, steps=steps, options=options)
        if exact is not None:
            return result(exact, True, EXACT_MESSAGE, EXACT_STEP, exact=True)
        g = -gram.c if zero else gradient(w)
        v = penalty.violations(g, None if zero else w, col_scale)
        violation = float(v.max(initial=0.0))
        if violation <= gtol and n_iter > 0:
            return result(w, True, message, route, exact=exact_result)
        grow = joining(v, (v > gtol) & ~working, growth_limit(w, options))
        if not grow.any() and n_iter > 0 and run_gtol == gtol:
            # The restricted solve stopped inside the working set: at max_iter, or at the
            # limit of floating-point precision (then it counts as converged).
            return result(w, converged, message, route, exact=exact_result)
        if n_iter > 0:
            run_gtol = gtol
        working |= grow | (w != 0)
        idx = np.flatnonzero(working)
        if verbose:
            print(f"[working set] {len(idx)} features, largest KKT violation {violation:.3g}")
        sub, sub_penalty = gram.restricted(idx, col_scale), penalty.restricted(idx)
        res = None
        if len(idx) <= options.nnls_max_features:
            if not penalty.positive:
                # the sign each coefficient will take: its own, or the one its gradient
                # asks for (a zero coefficient entering)
                signs = np.where(w[idx] != 0, np.sign(w[idx]), np.where(g[idx] > 0, -1.0, 1.0))
                res = split_nnls(sub, sub_penalty, signs, run_gtol if check else None)
            res = res or split_nnls(sub, sub_penalty)
            if res is not None:
                steps["nnls"] += 1
        if res is None:
            # too many features for NNLS: exact steps from the signs the new ones ask for
            # (their columns are known now), before L-BFGS-B
            exact = exact_steps(gram, penalty, entering(w, g, grow), gradient, col_scale,
                                gtol, steps=steps, options=options)
            if exact is not None:
                n_iter += 1
                return result(exact, True, EXACT_MESSAGE, EXACT_STEP, exact=True)
            res = lbfgs(sub, sub_penalty, w[idx][None, :], np.zeros(1), run_gtol,
                        max_iter - n_iter, 0, floor=floor, options=options)
            steps["lbfgs"] += 1
            res.route, res.exact = LBFGS, False
        n_iter += max(res.n_iter, 1)
        w = np.zeros(p)
        w[idx] = res.coef[0]
        message, converged, route = res.message, res.converged, res.route
        solved = exact_result = res.exact
        if solved and not check:  # an exact NNLS solution, checked by the caller
            return result(w, True, message, route, exact=True)
        if n_iter >= max_iter and not converged:
            return result(w, False, message, route, exact=exact_result)


EXACT_MESSAGE = "exact solution for the signs of the coefficients."


class ColumnWorkingSet:
    """Half squared error with an L1 part (or ``positive``) when the whole Gram matrix
    does not pay (many features, or few samples per feature): :func:`gram_working_set`
    on the Gram matrix of a working set of X's columns (``n k^2`` to build for ``k``
    columns, against ``n p k`` for the same columns of the whole matrix).

    Each round (:meth:`run`): the KKT violations on every feature (one ``X w`` and one
    ``X^T r``, :meth:`check`); the features that join (:meth:`joining`: geometric
    growth, faster while the set is small); with more nonzero coefficients than samples
    and an L2 part, exact steps in the samples' space once (:meth:`samples_space`); near
    the cap, room made by dropping zero coefficients (:meth:`within_cap`); a dense
    solution ahead goes to the whole Gram matrix (:meth:`whole_gram`); else the new
    columns are gathered and the round's problem solved (:meth:`solve_round`). A set
    that outgrows its cap is finished by L-BFGS-B on all of X (:meth:`finish_on_x`).

    The cap: 300 features (``options.gram_max_features``). Without an L2 part a Lasso
    solution has fewer nonzero coefficients than samples: twice as many as samples
    (room for violators to join while the set fills and empties with n << p), at most
    what NNLS solves but at least n; from a warm start (a path's next alpha, its set near
    the solution already) as many as samples, whose solves cost less. With an L2 part
    (an elastic net may have more nonzero coefficients than samples) and at most
    ``options.sample_space_max`` samples, what NNLS solves, a denser solution taking the
    samples' space.

    Once full, the set's zero coefficients leave to make room (their Gram columns with
    them), as long as its problem was solved exactly (by NNLS or an exact step:
    L-BFGS-B's inexact solutions could make the rounds cycle). The working set's columns
    are gathered from X once (:func:`~.data.gather_columns`) in the order they join (the
    columns gathered before are copied on as one block), and each Gram matrix carries
    over the columns of the one before, so none is computed twice.
    """

    def __init__(self, obj, c, penalty, w0, gtol, max_iter, verbose, floor, cache,
                 options=DEFAULT_OPTIONS):
        self.obj, self.c, self.penalty = obj, c, penalty
        self.gtol, self.max_iter, self.verbose, self.floor = gtol, max_iter, verbose, floor
        self.cache, self.options = cache, options
        X, s = obj.X, obj.sample_weight
        n, p = X.shape
        self.b = np.array([np.dot(s, obj.y) / s.sum() if obj.fit_intercept else 0.0])
        self.w, self.n_iter = np.array(w0, dtype=float), 0
        self.order = np.flatnonzero(self.w)  # the working set, in the order features joined
        if not penalty.has_l2:
            self.largest = min(p, options.gram_max_features, n if self.w.any() else max(
                n, min(2 * n, options.nnls_max_features)))
        else:
            self.largest = min(p, options.gram_max_features,
                               options.nnls_max_features if n <= options.sample_space_max
                               else p)
        self.message, self.converged, self.last = "", False, None
        self.gram, self.checked, self.sampled = None, True, False
        self.zero = not self.w.any()
        self.g = -c if self.zero else obj.value_gradient(self.w[None, :], self.b)[1][0]
        self.steps = Counter()

    def result(self, converged, route="column-working-set"):
        return FitResult(self.w[None, :], self.b, self.n_iter, converged, self.message,
                         route=route, steps=self.steps)

    def run(self):
        gtol, order = self.gtol, None
        while True:
            v = self.check()
            violation = float(v.max(initial=0.0))
            if self.n_iter > 0 and (violation <= gtol or self.n_iter >= self.max_iter):
                return self.result(violation <= gtol)
            order = self.order
            # an unchecked solve (see gram_working_set) may leave a violation inside the
            # working set: it is solved again, checked, with whatever joins
            inside = not self.checked and bool((v[order] > gtol).any())
            v[order] = 0.0
            violating = v > gtol
            grow = self.joining(v, violating)
            exact = self.samples_space(grow)
            if exact is not None:
                return exact
            grow = self.within_cap(v, violating, grow)
            if grow is None:
                break
            if self.n_iter > 0 and not grow.size and not inside:
                # the working set's solve stopped short of its tolerance (max_iter,
                # rounding)
                return self.result(self.converged)
            if self.order.size + grow.size > self.largest:
                break
            if self.dense_ahead(grow, violating):
                return self.whole_gram()
            self.solve_round(grow, violation)
        return self.finish_on_x()

    def check(self):
        """The KKT violations on every feature (the gradient from the last round)."""
        w, penalty = self.w, self.penalty
        g = self.g if self.zero else self.g + penalty.l2 * w
        return penalty.violations(g, None if self.zero else w, self.obj.col_scale)

    def joining(self, v, violating):
        """The features that join: geometric growth, 3x the nonzero coefficients while
        they are few (their Gram columns cost little next to a round's passes over X),
        else 2x."""
        nonzero = np.count_nonzero(self.w)
        factor = 3 if nonzero <= self.options.fast_growth else 2
        return np.flatnonzero(joining(v, violating, growth_limit(self.w, self.options,
                                                                  factor)))

    def samples_space(self, grow):
        """More nonzero coefficients than samples (an elastic net with n << p): exact
        steps in the samples' space, once, from the signs here and those the joining
        features' gradients ask for (route ``"column-working-set > sample-space"``)."""
        n = self.obj.X.shape[0]
        # (with per-feature factors the samples' kernel would need the L2 strengths
        # inside it: not done, the set's own solves go on instead)
        if not (self.penalty.has_l2 and self.penalty.uniform
                and np.count_nonzero(self.w) > n
                and n <= self.options.sample_space_max and not self.sampled):
            return None
        self.sampled = True
        if self.cache.sample_space is None:
            self.cache.sample_space = KernelState()
        space = SampleSpace(self.obj, self.c, self.cache.sample_space)
        self.steps["sample-space"] += 1
        exact = exact_steps(space, self.penalty, entering(self.w, self.g, grow), None,
                            self.obj.col_scale, self.gtol, step=sample_space_step,
                            steps=self.steps, options=self.options)
        if exact is None:
            return None
        self.w = exact
        self.n_iter += 1
        self.message = EXACT_MESSAGE
        return self.result(True, route="column-working-set > sample-space")

    def within_cap(self, v, violating, grow):
        """The joining features within the cap: near it, half as many, at most to the
        cap; a full set first drops its zero coefficients (their Gram columns with
        them). ``None``: L-BFGS-B on X must finish (a full set solved inexactly, or one
        without a zero to drop)."""
        largest = self.largest
        if self.order.size + grow.size <= largest:
            return grow
        if self.order.size >= largest:
            if self.last not in (EXACT_STEP, NNLS):
                # full, and its own problem was not solved exactly (L-BFGS-B, or not at
                # all yet): dropping zeros and adding violators could cycle
                return None
            keep = self.w[self.order] != 0
            if keep.all():  # a dense elastic net: nothing can leave
                return None
            self.order, self.gram = self.order[keep], self.gram.kept(keep)
        room = largest - self.order.size
        if room > 0:  # near the cap: grow by half as many, at most to the cap
            grow = np.flatnonzero(joining(v, violating, min(
                growth_limit(self.w, self.options, 1), room)))
        return grow

    def dense_ahead(self, grow, violating):
        """A dense solution ahead, where the whole Gram matrix pays: nine in ten features
        violate at the start, or the set would pass half of them with new columns that
        are half the whole matrix's (a few more columns cost less than all of them)."""
        n, p = self.obj.X.shape
        total = self.order.size + grow.size
        dense = (2 * total > p and 4 * grow.size * total >= p * p if self.order.size
                 else 10 * np.count_nonzero(violating) > 9 * p)
        return dense and self.options.p_by_p_pays(n, p)

    def whole_gram(self):
        """The whole Gram matrix's working set from here (its one symmetric product costs
        about what the working sets' columns would, without their passes over X), kept
        in the cache for refits (route ``"column-working-set > gram-working-set"``)."""
        whole = whole_gram(self.obj, self.c, self.cache)
        whole.complete()
        res = gram_working_set(whole, self.obj.col_scale, self.penalty, self.w, self.gtol,
                               self.max_iter - self.n_iter, self.verbose, self.floor,
                               options=self.options)
        res.n_iter += self.n_iter
        return res.then("column-working-set > gram-working-set", self.steps)

    def solve_round(self, grow, violation):
        """Gather the new columns (the Gram columns computed so far carried over), solve
        the grown set's problem (exactly where it can: NNLS, exact steps), and take the
        data term's gradient on every feature from the set's own columns."""
        obj, X = self.obj, self.obj.X
        n, p = X.shape
        order = self.order = np.concatenate([self.order, grow])
        offset, s, c = obj.offset, obj.sample_weight, self.c
        if self.verbose:
            print(f"[column working set] {order.size} of {p} features, largest KKT "
                  f"violation {violation:.3g}")
        gram = self.gram
        if gram is None or grow.size:
            if hasattr(X, "multiply") or gram is None:
                X_ws = gather_columns(X, order)
            else:  # the columns copied before are copied on as one block, not gathered again
                X_ws = np.empty((n, order.size), order="F")
                X_ws[:, : len(gram.c)] = gram.X
                gather_columns(X, order[len(gram.c):], out=X_ws[:, len(gram.c):])
            # the columns computed so far are not computed again
            self.gram = gram = (Gram(X_ws, obj.y, s, offset[order], obj.fit_intercept,
                                     c=c[order])
                                if gram is None else gram.grown(X_ws, offset[order], c[order]))
        # a previous round that ended on an exact step left the exact solution for its
        # signs: the new columns' coefficients are 0, so it is one for the grown set too.
        # This round's solution is checked on every feature next round; only a solve
        # again on the same working set checks itself.
        self.checked = not grow.size
        solved = self.last == EXACT_STEP
        res = gram_working_set(gram, obj.col_scale[order], self.penalty.restricted(order),
                               self.w[order],
                               self.gtol, self.max_iter - self.n_iter, self.verbose,
                               self.floor, solved=solved, check=self.checked,
                               options=self.options)
        self.steps["rounds"] += 1
        self.steps["rounds-from-exact"] += solved
        self.steps += res.steps
        self.n_iter += max(res.n_iter, 1)
        self.w, self.zero = np.zeros(p), False
        self.w[order] = w_ws = res.coef[0]
        self.message, self.converged = res.message, res.converged
        self.last = res.route  # EXACT_STEP, NNLS or LBFGS: how the round was solved
        # the data term's gradient on every feature: X w from the working set's columns
        residual = gram.X @ w_ws + (self.b[0] - np.dot(offset[order], w_ws)) - obj.y
        self.g = obj.coef_gradient(s * residual)[0]

    def finish_on_x(self):
        """L-BFGS-B on all of X, from the working set's solution (route
        ``"column-working-set > lbfgs"``)."""
        res = lbfgs(self.obj, self.penalty, self.w[None, :], self.b, self.gtol,
                    self.max_iter - self.n_iter, self.verbose, floor=self.floor,
                    options=self.options)
        res.n_iter += self.n_iter
        return res.then("column-working-set", self.steps)


def whole_gram(obj, c, cache):
    """The Gram matrix of all of ``obj``'s X (columns computed on demand), kept in
    ``cache`` for refits on the same data; ``c`` as in :class:`~.gram.Gram`."""
    if cache.gram is None:
        cache.gram = Gram(obj.X, obj.y, obj.sample_weight, obj.offset, obj.fit_intercept,
                          c=c)
    return cache.gram


def lbfgs_columns(obj, penalty, W0, b0, gtol, max_iter, verbose, floor=None, g=None,
                  options=DEFAULT_OPTIONS):
    """L-BFGS-B for an L1 part (or ``positive``) on a working set of X's columns (route
    ``"lbfgs-columns"``): the nonzero coefficients and the features that violate their
    optimality condition most (geometric growth), the restricted problem solved by
    L-BFGS-B on those columns (``n k`` an evaluation instead of ``n p``) and checked on
    every feature with one ``X w`` and one ``X^T r``; violators join and the restricted
    problem is solved again, warm-started. A working set that would pass half of the
    features is finished by L-BFGS-B on all of X (``"lbfgs-columns > lbfgs"``). ``g``:
    the data term's coefficient gradient at the start, when the caller has it."""
    X, n_iter = obj.X, 0
    p = X.shape[1]
    W, b = np.array(W0, dtype=float), np.array(b0, dtype=float)
    order = np.flatnonzero(np.any(W != 0, axis=0))
    message, converged, steps = "", False, Counter()
    dW = obj.value_gradient(W, b)[1] if g is None else g

    def result(converged):
        return FitResult(W, b, n_iter, converged, message, route="lbfgs-columns",
                         steps=steps)

    while True:
        v = penalty.violations(dW + penalty.l2 * W, W, obj.col_scale).max(axis=0)
        violation = float(v.max(initial=0.0))
        if n_iter > 0 and (violation <= gtol or n_iter >= max_iter):
            return result(violation <= gtol)
        v[order] = 0.0
        grow = np.flatnonzero(joining(v, v > gtol, growth_limit(np.any(W != 0, axis=0),
                                                               options)))
        if n_iter > 0 and not grow.size:  # the restricted solve stopped short of gtol
            return result(converged)
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
        res = lbfgs(sub, penalty.restricted(order), W[:, order], b, gtol,
                    max_iter - n_iter, verbose, floor=floor, options=options)
        steps["rounds"] += 1
        steps += res.steps
        n_iter += max(res.n_iter, 1)
        W = np.zeros_like(W)
        W[:, order], b = res.coef, res.intercept
        message, converged = res.message, res.converged
        dW = obj.value_gradient(W, b)[1]
    res = lbfgs(obj, penalty, W, b, gtol, max_iter - n_iter, verbose, floor=floor,
                options=options)
    res.n_iter += n_iter
    return res.then("lbfgs-columns", steps)


def growth_limit(w, options=DEFAULT_OPTIONS, factor=2):
    """How many features may join a working set around ``w`` at once: geometric growth
    (``factor`` times the nonzero coefficients, at least ``options.grow_min``), so that
    a sparse solution never pays for the Gram columns of the whole problem."""
    return max(options.grow_min, factor * int(np.count_nonzero(w)))


def joining(v, candidates, limit):
    """The ``candidates`` (a mask) that join a working set: all of them, or the ``limit``
    largest violations ``v`` (see :func:`growth_limit`)."""
    if np.count_nonzero(candidates) > limit:
        candidates = candidates & (v >= np.sort(v[candidates])[-limit])
    return candidates


def entering(w, g, idx):
    """A copy of ``w`` with the features ``idx`` (zero in ``w``; indices or a mask)
    entering with the sign their gradient ``g`` asks for, as a coefficient entering
    along a path does: the signs an exact step starts from."""
    w = w.copy()
    w[idx] = -np.sign(g[idx])
    return w


def split_nnls(sub, penalty, signs=None, gtol=None):
    r"""The Gram-form problem ``sub`` (:class:`~.gram.GramRestriction`) as non-negative
    least squares, solved by ``scipy.optimize.nnls``; ``None`` if that fails.

    With ``x = [w+, w-] >= 0`` (only ``w+`` with ``positive``) the objective is
    :math:`\tfrac12 x^T H x - x^T (\pm c - l_1)` with ``H = [[G, -G], [-G, G]] + l2 I``,
    i.e. :math:`\tfrac12 \lVert R x - d\rVert^2` + const with ``H = R^T R`` and
    ``R^T d = \pm c - l1``. Without ``l2``, ``H`` is singular along ``w+ = w-``: a ridge
    of 1e-10 of its (unit) diagonal makes it definite (the exact step that follows
    removes it).

    With ``signs`` (``sigma``) each coefficient has one variable, ``w = sigma x``: half as
    many as the split, about an eighth of NNLS's cubic work. The result is the optimum
    only if no coefficient left at 0 asks for the other sign (its KKT violation, in
    ``sub``'s standardised units, above ``gtol``); otherwise ``None`` (then the split).
    ``gtol=None`` skips that check (the caller checks the result on every feature).

    With one variable per coefficient (``signs``, or ``positive``) and a well-conditioned
    ``H`` (no ridge needed), NNLS's solution solves ``H`` exactly on its nonzero
    variables: the exact solution for its signs, returned with ``exact`` set (the exact
    step would only solve the same system again).
    """
    G, c = sub.G, sub.c
    l1, l2, positive = penalty.l1, penalty.l2, penalty.positive
    k = len(c)
    if signs is not None:
        H, rhs = G * np.outer(signs, signs), signs * c - l1
    elif positive:
        H, rhs = G.copy(), c - l1
    else:
        H, rhs = np.block([[G, -G], [-G, G]]), np.concatenate([c - l1, -c - l1])
    H.flat[:: len(H) + 1] += l2 if np.ndim(l2) == 0 or len(H) == k else np.tile(l2, 2)
    # variables scaled to a unit diagonal (x >= 0 stays x >= 0): free of the columns'
    # units (see solve_spd)
    unit = unit_diagonal(H)
    H /= np.outer(unit, unit)
    rhs = rhs / unit
    # LAPACK directly: scipy.linalg's wrappers cost more than these small factorisations
    R = cholesky(H) if signs is not None or positive else None  # (split: singular)
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
            v = penalty.violations(G @ w - c + l2 * w, w, sub.col_scale)
            if v[w == 0].max(initial=0.0) > gtol:
                return None
    else:
        w = x if positive else x[:k] - x[k:]
    return FitResult(w[None, :], np.zeros(1), 1, True,
                     EXACT_MESSAGE if exact else "non-negative least squares.",
                     route=EXACT_STEP if exact else NNLS, exact=exact)


def exact_steps(gram, penalty, w, gradient, col_scale, gtol, max_steps=8, solved=False,
                step=None, steps=None, options=DEFAULT_OPTIONS):
    """The exact optimum reached from the signs of ``w`` by a few exact steps, or ``None``.

    After each step (:func:`exact_step`) the coefficients whose sign the step changed
    leave (they are set to 0), the zero coefficients that violate their optimality
    condition join with the sign their gradient asks for (what a coefficient entering
    along a path does), and the step is repeated; the result counts only if it
    satisfies the optimality conditions on every feature. A singular system,
    ``max_steps`` steps, or more violators than the working set's growth would admit
    whose Gram columns are not known yet (a cold start far from the optimum: they would
    be computed for a step that is likely to fail) end the attempt. With ``solved``, ``w``
    is the first step's result already (the exact solution for its signs). ``step`` is
    :func:`exact_step` by default (:func:`sample_space_step` for a
    :class:`~.gram.SampleSpace`). ``steps`` (a Counter) counts them.
    """
    step = step or exact_step
    for k in range(max_steps):
        if solved and k == 0:
            stepped = (w.copy(), gradient(w))
        else:
            stepped = step(gram, penalty, w)
            if steps is not None:
                steps["exact-steps"] += 1
        if stepped is None:
            return None
        exact, g = stepped
        v = penalty.violations(g, exact, col_scale)
        flipped = (exact != 0) & (np.sign(exact) != np.sign(w)) & penalty.sign_matters
        if not flipped.any() and v.max(initial=0.0) <= gtol:
            return exact
        join = (exact == 0) & (v > gtol) & ~flipped
        if not (join.any() or flipped.any()):  # rounding: the same step again
            return None
        if np.sum(join) > growth_limit(exact, options) and not gram.known(join):
            return None
        w = entering(exact, g, join)
        w[flipped] = 0.0
        if not np.any(w):
            return None
    return None


def exact_step(gram, penalty, w):
    """The optimum if the nonzero coefficients of ``w`` and their signs are right:
    ``(G_FF + l2 I) w_F = c_F - l1 sign(w_F)``; ``None`` when that system is singular.
    Its solution may change signs (then it is not the optimum: the caller checks).

    Returns ``(exact, g)``, ``g`` the smooth part's gradient there (:meth:`Gram.gradient`)
    from the same rows ``G[F]`` (one gather of them a step)."""
    F = np.flatnonzero(w)
    if F.size == 0:
        return None
    on_F = penalty.restricted(F)
    G_F = gram.rows(F)
    A = G_F[:, F]  # a copy
    if on_F.has_l2:
        A.flat[:: F.size + 1] += on_F.l2
    w_F = solve_spd(A, gram.c[F] - on_F.l1 * np.sign(w[F]))
    if w_F is None:
        return None
    exact = np.zeros_like(w)
    exact[F] = w_F
    return exact, gram.gradient(exact, penalty.l2, F, G_F)


def sample_space_step(space, penalty, w):
    """:func:`exact_step` in the samples' space (:class:`~.gram.SampleSpace`,
    ``l2 > 0``): ``w_F = (r - A^T z) / l2`` with ``(A A^T + l2 I) z = A r``,
    ``r = c_F - l1 sign(w_F)``, an ``n x n`` system for ``k > n`` nonzero coefficients;
    its kernel ``A A^T`` updated from the last step's, the products with ``A`` taken
    with X (two passes over it: ``A r``, then ``A^T z`` with the gradient)."""
    F = np.flatnonzero(w)
    if F.size == 0:
        return None
    l1, l2 = penalty.l1, penalty.l2
    rhs = np.zeros_like(w)
    rhs[F] = space.c[F] - l1 * np.sign(w[F])
    Ar, K = space.times(rhs), space.kernel(F)
    M = K.copy()
    M.flat[:: len(M) + 1] += l2
    z = solve_spd(M, Ar)
    if z is None:
        return None
    # A w_F = (A r - A A^T z) / l2 from the kernel; then A^T z and the gradient
    # A^T (A w_F) - c + l2 w in one pass over X
    Atz, AtAw = space.transposed_times(np.column_stack([z, (Ar - K @ z) / l2]))
    exact = np.zeros_like(w)
    exact[F] = (rhs[F] - Atz[F]) / l2
    return exact, AtAw - space.c + l2 * exact
