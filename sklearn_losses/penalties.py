r"""The penalties: none, L1, L2 and elastic-net, all of the one form

.. math:: \alpha \left(\rho \lVert w\rVert_1 + \tfrac12 (1 - \rho) \lVert w\rVert_2^2\right)

with :math:`\rho` = ``l1_ratio`` for ``"elasticnet"``, 1 for ``"l1"``, 0 for ``"l2"``, and
no penalty for ``None``. The intercept is never penalised. A :class:`Penalty` is what the
solvers see: the strengths of its two parts, the sign constraint ``positive``, its value,
its optimality (KKT) test and ``alpha_max``; the routes read its capabilities
(``has_l1``, ``has_l2``, ``bounded``) to decide which of them can solve a problem.
"""

from dataclasses import dataclass, field

import numpy as np

#: The valid ``penalty`` values.
PENALTIES = (None, "l1", "l2", "elasticnet")


@dataclass(frozen=True)
class Penalty:
    r"""``alpha (rho |w|_1 + (1 - rho) |w|_2^2 / 2)``, with ``w >= 0`` if ``positive``.

    Parameters
    ----------
    kind : {None, "l1", "l2", "elasticnet"}, default=None
    alpha : float, default=0.0
    l1_ratio : float, default=0.5
        :math:`\rho` of ``"elasticnet"`` (``"l1"`` is 1, ``"l2"`` 0).
    positive : bool, default=False
        Constrain the coefficients to be >= 0 (an indicator added to the penalty).
    """

    kind: str | None = None
    alpha: float = 0.0
    l1_ratio: float = 0.5
    positive: bool = False
    #: The L1 share: ``l1_ratio`` for ``"elasticnet"``, 1 for ``"l1"``, else 0.
    rho: float = field(init=False, repr=False, compare=False)
    #: The strengths of the two parts, ``alpha * rho`` and ``alpha * (1 - rho)`` (0
    #: without a penalty); read in the solvers' inner loops, so computed once.
    l1: float = field(init=False, repr=False, compare=False)
    l2: float = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        if self.kind not in PENALTIES:
            raise ValueError(f"Unknown penalty {self.kind!r}; valid values are "
                             f"{list(PENALTIES)}.")
        rho = {None: 0.0, "l1": 1.0, "l2": 0.0, "elasticnet": self.l1_ratio}[self.kind]
        on = self.kind is not None
        object.__setattr__(self, "rho", float(rho))
        object.__setattr__(self, "l1", float(self.alpha * rho) if on else 0.0)
        object.__setattr__(self, "l2", float(self.alpha * (1.0 - rho)) if on else 0.0)

    @property
    def has_l1(self):
        return self.l1 > 0

    @property
    def has_l2(self):
        return self.l2 > 0

    @property
    def bounded(self):
        """Whether a solver needs bounds (an L1 part split as ``w+ - w-``, or ``w >= 0``):
        the penalised objective is then not differentiable."""
        return self.l1 > 0 or self.positive

    def value(self, coef):
        """The penalty of a coefficient array."""
        coef = np.ravel(coef)
        return self.l1 * np.abs(coef).sum() + 0.5 * self.l2 * np.dot(coef, coef)

    def gradient(self, coef):
        """The gradient of the smooth (L2) part."""
        return self.l2 * coef

    def violations(self, g, w, col_scale):
        """Per-coefficient violation of the optimality conditions of ``f(w) + l1 |w|_1``
        (``w >= 0`` with ``positive``) given the smooth part's gradient ``g`` (the data
        term's plus the L2 part's), for standardised features (divided by
        ``col_scale``, the unit of the solvers' tolerances); ``w=None`` for ``w = 0``."""
        l1 = self.l1
        zero = np.maximum(-g - l1, 0.0) if self.positive else np.maximum(np.abs(g) - l1, 0.0)
        if w is None:
            return zero / col_scale
        return np.where(w != 0, np.abs(g + l1 * np.sign(w)), zero) / col_scale

    def zero_is_optimal(self, g0, db0, col_scale, gtol):
        """Whether ``w = 0`` with the intercept-only intercept is the optimum: the data
        term's (sub)gradient ``g0`` there lies within the penalty's, and the intercept's
        ``db0`` is 0 (to ``gtol``)."""
        violation = self.violations(g0, None, col_scale).max(initial=0.0)
        return max(float(violation), float(np.abs(db0).max(initial=0.0))) <= gtol

    def alpha_max(self, gradient_at_zero, rho=None):
        r"""Smallest ``alpha`` for which ``w = 0`` is optimal with an L1 part.

        With ``g`` the gradient of the data term at ``w = 0`` (and the intercept at its
        intercept-only optimum), zero is optimal iff
        :math:`\lVert g\rVert_\infty \le \alpha\rho`. ``rho`` overrides this penalty's
        share (a grid for an L2 penalty is laid out as if it had one).
        """
        rho = self.rho if rho is None else rho
        if rho <= 0:
            raise ValueError("alpha_max is only defined for a penalty with an L1 part "
                             "(l1_ratio > 0).")
        return float(np.max(np.abs(gradient_at_zero), initial=0.0) / rho)
