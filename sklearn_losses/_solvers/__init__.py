"""The solvers: one module per idea, and the route table that chooses between them.

- :mod:`.routes`: which route solves a problem (:data:`~.routes.ROUTES`), and
  :func:`~.routes.solve`, which runs it;
- :mod:`.problem`: the problem, its cache and tolerance scales;
- :mod:`.data`: X's column statistics, the explicit shift of far-offset columns, the
  passes over X;
- :mod:`.lbfgs`: L-BFGS-B with split L1, preconditioning, and the Newton polish;
- :mod:`.gram`: the Gram form, the samples' space, the normal equations;
- :mod:`.working_sets`: working sets with NNLS and exact sign steps;
- :mod:`.smoothing`: smoothing continuation for piecewise-linear losses;
- :mod:`.crossover`: the exact step from a smoothed solution;
- :mod:`.lp`: the linear programme by HiGHS;
- :mod:`.options`, :mod:`.result`: the routes' limits, and what a solve returns.
"""

from .options import DEFAULT_OPTIONS, SolverOptions
from .problem import FitCache, Problem
from .result import FitResult
from .routes import ROUTES, SOLVERS, gradient_at_null, one_blas_thread, solve

__all__ = ["DEFAULT_OPTIONS", "FitCache", "FitResult", "Problem", "ROUTES", "SOLVERS",
           "SolverOptions", "gradient_at_null", "one_blas_thread", "solve"]
