r"""The penalties: none, L1, L2 and elastic-net, all of the one form

.. math:: \alpha \left(\rho \lVert w\rVert_1 + \tfrac12 (1 - \rho) \lVert w\rVert_2^2\right)

with :math:`\rho` = ``l1_ratio`` for ``"elasticnet"``, 1 for ``"l1"``, 0 for ``"l2"``, and
no penalty for ``None``. The intercept is never penalised.
"""

import numpy as np

#: The valid ``penalty`` values.
PENALTIES = (None, "l1", "l2", "elasticnet")


def penalty_strengths(penalty, alpha, l1_ratio):
    """Split ``alpha`` into the L1 and L2 strengths ``(alpha * rho, alpha * (1 - rho))``."""
    if penalty not in PENALTIES:
        raise ValueError(f"Unknown penalty {penalty!r}; valid values are {list(PENALTIES)}.")
    rho = {None: None, "l1": 1.0, "l2": 0.0, "elasticnet": l1_ratio}[penalty]
    if rho is None:
        return 0.0, 0.0
    return float(alpha * rho), float(alpha * (1.0 - rho))


def penalty_value(coef, l1, l2):
    """The penalty of a coefficient array for L1/L2 strengths ``l1``, ``l2``."""
    coef = np.ravel(coef)
    return l1 * np.abs(coef).sum() + 0.5 * l2 * np.dot(coef, coef)


def alpha_max(gradient_at_zero, l1_ratio):
    r"""Smallest ``alpha`` for which ``w = 0`` is optimal with an L1 part.

    With ``g`` the gradient of the data term at ``w = 0`` (and the intercept at its
    intercept-only optimum), zero is optimal iff :math:`\lVert g\rVert_\infty \le \alpha\rho`.
    """
    if l1_ratio <= 0:
        raise ValueError("alpha_max is only defined for a penalty with an L1 part (l1_ratio > 0).")
    return float(np.max(np.abs(gradient_at_zero), initial=0.0) / l1_ratio)
