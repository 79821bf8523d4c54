"""An estimator's problems solved directly, for the tests of the solvers' routes: each
result names its route and counts its inner steps, and the routes' limits can be set."""

from sklearn_losses._solvers import DEFAULT_OPTIONS, solve
from sklearn_losses.penalties import Penalty


def solve_with(estimator, X, y, sample_weight=None, options=DEFAULT_OPTIONS):
    """``estimator``'s problems on ``(X, y)`` solved with ``options`` (a
    :class:`~sklearn_losses._solvers.SolverOptions`): one
    :class:`~sklearn_losses._solvers.FitResult` per problem, as its ``fit`` would
    solve them (``coef`` of shape ``(n_outputs, n_features)``)."""
    prepared = estimator._prepare(X, y, sample_weight)
    penalty = estimator._penalty(prepared.X.shape[1])
    return [solve(problem, penalty, solver=estimator.solver, tol=estimator.tol,
                  max_iter=estimator.max_iter, options=options)
            for problem in prepared.problems]


def strengths(l1, l2):
    """The elastic-net penalty ``l1 |w|_1 + l2 |w|_2^2 / 2`` (both parts > 0)."""
    return Penalty("elasticnet", l1 + l2, l1 / (l1 + l2))
