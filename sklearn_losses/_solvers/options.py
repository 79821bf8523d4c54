"""The limits that choose between routes: when a p x p matrix pays, how working sets
grow, what NNLS solves. They are data of the solvers, not hidden constants: a caller (a
test forcing a route) passes its own :class:`SolverOptions` to ``solve``."""

from dataclasses import dataclass


@dataclass(frozen=True)
class SolverOptions:
    """The routes' size limits (defaults for a machine of a few MB of cache per core).

    gram_max_features, gram_min_ratio
        Half squared error works on the p x p Gram matrix up to this many features and
        with at least this many samples per feature: building it costs about n p^2 / 2
        against 2 n p per evaluation on X, and the p x p arrays stay within twice the
        size of X. The same limits decide when the curvature preconditioner and a
        smoothing stage's Newton Hessian pay.
    gram_complete
        A refit on the same data (a path) completes a Gram matrix of up to this many
        features at once: the columns its working sets would add, one pass over X each,
        cost more than the rest of a small matrix.
    columns_min_features, columns_min_size
        An L1 part (or ``positive``) of a smooth loss other than squared error is solved
        on a working set of X's columns from this many features or entries of X on
        (below, X is in cache and the rounds' extra evaluations cost more than they
        save).
    nnls_max_features
        Working sets up to this size are solved by ``scipy.optimize.nnls`` (an active-set
        method, about k^3) instead of L-BFGS-B, whose inexact solutions make the rounds
        more.
    sample_space_max
        An elastic net with more nonzero coefficients than samples takes its exact steps
        in the samples' space (n x n systems) for up to this many samples.
    grow_min, fast_growth
        A working set grows by at least ``grow_min`` features a round, by 3x instead of
        2x the nonzero coefficients while they are at most ``fast_growth`` (their Gram
        columns cost little next to a round's passes over X).
    polish_max_features
        Newton steps finishing a stalled L-BFGS-B run build the Hessian on at most this
        many nonzero coefficients.
    lp_ipm_min_rows
        A linear programme of at least this many rows (samples near their kinks, or all
        of them) is solved by HiGHS's interior-point method, smaller ones by its dual
        simplex.
    lp_max_size
        The smoothing's LPs (the band LP, and the whole LP as its fall-back without an
        L2 part) are solved only when their rows or their coefficient columns number at
        most this many: HiGHS's interior-point method factorises a system of about that
        size each iteration, and beyond it one LP costs minutes. Smoothing goes on
        instead, and a fit that ends without an exact solution says so
        (``ConvergenceWarning`` naming ``solver="highs"``, which always solves the whole
        LP).
    crossover_max_size
        A crossover's linear system is solved densely up to this many unknowns; with an
        L2 part a larger one (the SVM dual on the samples on kinks) is solved by MINRES
        on their rows of X, without one the crossover gives up (smoothing goes on).
    """

    gram_max_features: int = 300
    gram_min_ratio: int = 4
    gram_complete: int = 64
    columns_min_features: int = 1000
    columns_min_size: int = 2_000_000
    nnls_max_features: int = 256
    sample_space_max: int = 256
    grow_min: int = 16
    fast_growth: int = 32
    polish_max_features: int = 500
    crossover_max_size: int = 3000
    lp_ipm_min_rows: int = 500
    lp_max_size: int = 2500

    def p_by_p_pays(self, n, p):
        """Whether p x p matrices (the Gram form, the curvature preconditioner, Newton's
        Hessian) are worth their cost and memory for an n x p problem."""
        return p <= self.gram_max_features and n >= self.gram_min_ratio * p


    def lp_pays(self, rows, p):
        """Whether the smoothing solves an LP of ``rows`` rows on ``p`` features."""
        return min(rows, p) <= self.lp_max_size


#: The limits every fit uses unless told otherwise.
DEFAULT_OPTIONS = SolverOptions()
