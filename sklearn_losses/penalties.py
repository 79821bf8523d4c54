r"""The penalties: none, L1, L2 and elastic-net, all of the one form

.. math:: \alpha \sum_j f_j \left(\rho \lvert w_j\rvert + \tfrac12 (1 - \rho) w_j^2\right)

with :math:`\rho` = ``l1_ratio`` for ``"elasticnet"``, 1 for ``"l1"``, 0 for ``"l2"``, no
penalty for ``None``, and :math:`f_j` the per-feature ``factor`` (1 by default; 0 leaves a
feature unpenalised). The intercept is never penalised. A :class:`Penalty` is what the
solvers see: the strengths of its two parts (numbers, or one per feature with factors),
the sign constraint ``positive``, its value, its optimality (KKT) test and
``alpha_max``; the routes read its capabilities (``has_l1``, ``has_l2``, ``bounded``,
``uniform``) to decide which of them can solve a problem.
"""

from dataclasses import dataclass, field

import numpy as np

#: The valid ``penalty`` values.
PENALTIES = (None, "l1", "l2", "elasticnet")


def checked_factor(factor, n_features, feature_names=None):
    """``penalty_factor`` as a float array of shape ``(n_features,)``, or ``None``; a
    ``ValueError`` naming it unless it holds one finite value >= 0 per feature.

    A dict gives factors by feature: its keys are column positions or, when X has them
    (``feature_names``), feature names; the features it does not name keep 1. A pandas
    Series indexed by names is read as such a dict (by name, not by position)."""
    if factor is None:
        return None
    index = getattr(factor, "index", None)
    if index is not None and hasattr(factor, "items") and any(
            isinstance(key, str) for key in index):
        # a pandas Series indexed by feature names: by name, not by position
        factor = dict(factor.items())
    if isinstance(factor, dict):
        return _factor_from_dict(factor, n_features, feature_names)
    try:
        values = np.asarray(factor, dtype=float)
    except (TypeError, ValueError):
        values = None
    if values is None or values.shape != (n_features,):
        got = f"shape {values.shape}" if values is not None else repr(factor)
        raise ValueError(f"penalty_factor must hold one number per feature of X "
                         f"({n_features}); got {got}.")
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValueError("penalty_factor must be finite and >= 0 (0 leaves a feature "
                         f"unpenalised); got {values.tolist()[:10]}.")
    return values


def _factor_from_dict(factor, n_features, feature_names):
    names = [] if feature_names is None else list(feature_names)
    values = np.ones(n_features)
    for key, value in factor.items():
        if isinstance(key, str) and key in names:
            index = names.index(key)
        elif isinstance(key, (int, np.integer)) and not isinstance(key, bool) \
                and 0 <= key < n_features:
            index = int(key)
        else:
            valid = (f"the feature names ({', '.join(map(str, names[:5]))}"
                     f"{', ...' if len(names) > 5 else ''}) or " if names else "")
            raise ValueError(f"penalty_factor names feature {key!r}, which X does not "
                             f"have; valid keys are {valid}positions 0 to "
                             f"{n_features - 1}.")
        try:
            values[index] = value
        except (TypeError, ValueError):
            raise ValueError(f"penalty_factor[{key!r}] must be a number; got "
                             f"{value!r}.") from None
    return checked_factor(values, n_features)


@dataclass(frozen=True)
class Penalty:
    r"""``alpha sum_j f_j (rho |w_j| + (1 - rho) w_j^2 / 2)``, with ``w >= 0`` if
    ``positive``.

    Parameters
    ----------
    kind : {None, "l1", "l2", "elasticnet"}, default=None
    alpha : float, default=0.0
    l1_ratio : float, default=0.5
        :math:`\rho` of ``"elasticnet"`` (``"l1"`` is 1, ``"l2"`` 0).
    positive : bool, default=False
        Constrain the coefficients to be >= 0 (an indicator added to the penalty).
    factor : ndarray of shape (n_features,) or None, default=None
        Per-feature factors :math:`f_j \ge 0` multiplying both parts (``None``: all 1;
        0: the feature is unpenalised). Factors that are all one positive value are
        folded into the strengths, which then stay numbers.
    """

    kind: str | None = None
    alpha: float = 0.0
    l1_ratio: float = 0.5
    positive: bool = False
    factor: np.ndarray | None = field(default=None, compare=False)
    #: The L1 share: ``l1_ratio`` for ``"elasticnet"``, 1 for ``"l1"``, else 0.
    rho: float = field(init=False, repr=False, compare=False)
    #: The strengths of the two parts, ``alpha * rho * f`` and ``alpha * (1 - rho) * f``
    #: (0 without a penalty): numbers, or arrays of one per feature when the factors
    #: differ; read in the solvers' inner loops, so computed once.
    l1: float = field(init=False, repr=False, compare=False)
    l2: float = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        if self.kind not in PENALTIES:
            raise ValueError(f"Unknown penalty {self.kind!r}; valid values are "
                             f"{list(PENALTIES)}.")
        rho = {None: 0.0, "l1": 1.0, "l2": 0.0, "elasticnet": self.l1_ratio}[self.kind]
        on = self.kind is not None
        scale = 1.0
        if self.factor is not None and on:
            factor = np.asarray(self.factor, dtype=float)
            uniform = factor.size and np.all(factor == factor[0]) and factor[0] > 0
            scale = float(factor[0]) if uniform else factor
        object.__setattr__(self, "rho", float(rho))
        object.__setattr__(self, "l1", self.alpha * rho * scale if on else 0.0)
        object.__setattr__(self, "l2", self.alpha * (1.0 - rho) * scale if on else 0.0)
        if np.ndim(scale) == 0:
            object.__setattr__(self, "l1", float(self.l1))
            object.__setattr__(self, "l2", float(self.l2))

    # (read on every route's way: the numbers' case without numpy's per-call cost)
    @property
    def uniform(self):
        """Whether every feature has the same strengths (``l1`` and ``l2`` are numbers)."""
        return not isinstance(self.l1, np.ndarray)

    @property
    def has_l1(self):
        return self.l1 > 0 if self.uniform else bool(np.any(self.l1 > 0))

    @property
    def has_l2(self):
        return self.l2 > 0 if self.uniform else bool(np.any(self.l2 > 0))

    @property
    def bounded(self):
        """Whether a solver needs bounds (an L1 part split as ``w+ - w-``, or ``w >= 0``):
        the penalised objective is then not differentiable."""
        return self.has_l1 or self.positive

    @property
    def sign_matters(self):
        """Where a coefficient's sign enters the optimality conditions (an L1 part, or
        ``positive``): a number, or one boolean per feature. An exact step that flips a
        coefficient's sign is only wrong there."""
        return (self.l1 > 0) | self.positive

    @property
    def isotropic(self):
        """``(units, strength)`` in which the L2 part is ``strength |w * units|^2 / 2``, the
        same in every direction (what L-BFGS-B's rotation preconditioner needs):
        ``(None, l2)`` (X's own units) for a uniform penalty, ``(sqrt(factor), alpha (1 -
        rho))`` for positive factors; ``None`` with an L2 part and a factor of 0."""
        if self.uniform:
            return None, self.l2
        factor = np.asarray(self.factor, dtype=float)
        if not self.has_l2:
            return None, 0.0
        if np.any(factor == 0):
            return None
        return np.sqrt(factor), float(self.alpha * (1.0 - self.rho))

    def restricted(self, features):
        """The penalty on a subset of the features (indices or a mask): itself when it
        is uniform."""
        if self.uniform:
            return self
        return Penalty(self.kind, self.alpha, self.l1_ratio, self.positive,
                       np.asarray(self.factor, dtype=float)[features])

    def ridge(self, coef):
        """The L2 part's value ``l2 |w|^2 / 2`` (per feature with factors) of a
        coefficient array of shape ``(n_features,)`` or ``(n_outputs, n_features)``."""
        if self.uniform:
            w = np.ravel(coef)
            return 0.5 * self.l2 * np.dot(w, w)
        return 0.5 * float(np.sum(self.l2 * np.square(coef)))

    def value(self, coef):
        """The penalty of a coefficient array."""
        if self.uniform:
            return self.l1 * np.abs(coef).sum() + self.ridge(coef)
        return float(np.sum(self.l1 * np.abs(coef))) + self.ridge(coef)

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

    def zero_is_optimal(self, g0, db0, col_scale, gtol, coef=None):
        """Whether ``w = 0`` with the intercept-only intercept is the optimum: the data
        term's (sub)gradient ``g0`` there lies within the penalty's, and the intercept's
        ``db0`` is 0 (to ``gtol``). ``coef``: the point is the unpenalised features' own
        fit instead (every penalised coefficient 0), ``g0`` and ``db0`` taken there."""
        violation = self.violations(g0, coef, col_scale).max(initial=0.0)
        return max(float(violation), float(np.abs(db0).max(initial=0.0))) <= gtol

    @property
    def unpenalised(self):
        """The mask of the features with a factor of 0, or ``None`` when there are none:
        ``alpha_max`` then needs the gradient at their own optimum (see
        :meth:`alpha_max`)."""
        if self.factor is None:
            return None
        zero = np.asarray(self.factor) == 0
        return zero if zero.any() else None

    def alpha_max(self, gradient, rho=None):
        r"""Smallest ``alpha`` for which every penalised coefficient is 0 at the optimum,
        with an L1 part.

        With ``g`` the gradient of the data term at the model with those coefficients at
        0 (the intercept and the unpenalised features at their optimum: at ``w = 0``
        and the intercept-only intercept when every factor is positive), they are 0 at
        the optimum iff :math:`\lvert g_j\rvert \le \alpha\rho f_j` for every feature
        (:math:`-g_j \le \alpha\rho f_j` with ``positive``: a coefficient held at 0 by
        its bound needs no penalty).
        ``gradient`` has one entry per feature, or rows of them (one per output).
        ``rho`` overrides this penalty's share (a grid for an L2 penalty is laid out as
        if it had one). 0 when no feature is penalised.
        """
        rho = self.rho if rho is None else rho
        if rho <= 0:
            raise ValueError("alpha_max is only defined for a penalty with an L1 part "
                             "(l1_ratio > 0).")
        g = np.maximum(-np.asarray(gradient), 0.0) if self.positive else np.abs(gradient)
        if self.factor is not None:
            factor = np.asarray(self.factor, dtype=float)
            g = np.divide(g.reshape(-1, len(factor)), factor,
                          out=np.zeros_like(g.reshape(-1, len(factor))), where=factor > 0)
        return float(np.max(g, initial=0.0) / rho)
