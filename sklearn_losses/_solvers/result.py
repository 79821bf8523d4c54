"""What a solver returns."""

from collections import Counter
from dataclasses import dataclass, field

import numpy as np


@dataclass
class FitResult:
    """A solve's coefficients and how it got them.

    ``coef`` is ``(n_outputs, n_features)`` and ``intercept`` ``(n_outputs,)``; ``route``
    names the route that produced them, with the routes it fell back to or finished
    with after ``" > "`` (``"column-working-set > lbfgs"``); ``steps`` counts the inner
    steps taken (NNLS solves, exact steps, smoothing stages, ...). ``exact``: the
    solution solves its optimality system exactly (for its signs), not to a tolerance.
    ``advice`` is what a ``ConvergenceWarning`` advises when ``converged`` is False.
    """

    coef: np.ndarray
    intercept: np.ndarray
    n_iter: int
    converged: bool
    message: str
    route: str = ""
    steps: Counter = field(default_factory=Counter)
    exact: bool = False
    advice: str = "Try a larger max_iter, standardised features, or a larger tol."

    def then(self, route, steps=None):
        """This result, reached through ``route`` first (its name prefixed) and after
        the inner ``steps`` taken before it."""
        self.route = f"{route} > {self.route}" if self.route else route
        if steps:
            self.steps = steps + self.steps
        return self
