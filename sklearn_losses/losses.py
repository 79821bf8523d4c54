"""Pointwise losses of a raw (linear) prediction.

Every loss works per sample on the raw prediction ``f = x @ w + b`` and knows nothing
about coefficients: :mod:`sklearn_losses._objective` lifts it to an objective over
``(w, b)``. A loss is a small :class:`~sklearn.base.BaseEstimator`, so its parameters
(``Huber(delta=...)``) are reachable by ``get_params``/``set_params`` and ``GridSearchCV``
(``lossregressor__loss__delta``).

Every concrete loss defined in this module registers itself in :data:`LOSSES` under its
``name``; the estimators, scorers, tests and docs are all driven by that registry.
"""

import functools
from numbers import Real

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import expit, log_expit, log_softmax, logsumexp, softmax
from sklearn import get_config
from sklearn.base import BaseEstimator
from sklearn.utils.metadata_routing import UNUSED

from ._compat import Interval

#: name -> loss class, filled in by :meth:`Loss.__init_subclass__`.
LOSSES = {}


class Loss(BaseEstimator):
    r"""Base class of all losses: a per-sample loss of the raw prediction.

    With ``y`` the target and ``f`` the raw prediction (``x @ w + b``), a loss provides
    the per-sample value ``loss(y, f)`` and its derivative ``gradient(y, f)`` with
    respect to ``f``. The estimators minimise

    .. math:: \frac{1}{\sum_i s_i} \sum_i s_i \, \mathrm{loss}(y_i, x_i \cdot w + b)
              + \alpha \left(\rho \lVert w\rVert_1 + \tfrac12 (1-\rho) \lVert w\rVert_2^2\right).

    **Writing your own loss.** Subclass :class:`Loss` (regression) and implement
    ``loss`` and ``gradient``; give constructor arguments for its parameters (stored
    untouched, as in any scikit-learn estimator) and, if they need checking, a
    ``_parameter_constraints`` dict. The loss must be convex in ``f`` for the solver to
    reach the optimum. For example, log-cosh::

        class LogCosh(Loss):
            def __init__(self, scale=1.0):
                self.scale = scale

            def loss(self, y, raw):
                r = (y - raw) / self.scale
                return self.scale**2 * (np.logaddexp(r, -r) - np.log(2))

            def gradient(self, y, raw):
                return -self.scale * np.tanh((y - raw) / self.scale)

        LossRegressor(loss=LogCosh(scale=2.0)).fit(X, y)

    A piecewise-linear loss (with kinks) should subclass
    :class:`PiecewiseLinearLoss` instead, so that the exact LP and smoothing solvers
    are used.

    Optionally, ``hessian(y, raw)`` (the second derivative in ``f``, for log-cosh
    ``1 / cosh((y - f) / scale)**2``) lets the solver precondition with the data term's
    curvature, which speeds up fits with correlated features.

    Attributes
    ----------
    name : str or None
        The registry name (``LossRegressor(loss=name)``); ``None`` for user losses.
    smooth : bool
        True when the gradient is continuous in ``f`` (L-BFGS-B reaches the optimum).
    convex : bool
        True when the loss is convex in ``f`` for every valid target, so that every fit
        reaches the global optimum. False (Tweedie with power > 2) means convex on part
        of the domain only: the fit is a stationary point, and :meth:`hessian` gives
        the curvature clipped at 0.
    quadratic : bool
        True for exactly ``(y - f)^2 / 2``, which the solvers may handle through the
        Gram matrix (closed form for L2).
    is_classifier : bool
        True for margin/probability losses on encoded labels ``y in {-1, +1}``.
    target_min, target_min_inclusive : float, bool
        The smallest valid target (``-inf`` for any real target).
    metric : str or None
        The name of the function in :mod:`sklearn_losses.metrics` that scores this loss
        (called with the loss's parameters, e.g. ``delta``); ``None`` (a loss of one's
        own) scores the mean of :meth:`loss` itself (:func:`~sklearn_losses.metrics.mean_loss`).
        A subclass that does not set it again is scored by its own :meth:`loss`.
    response_method : str
        What a scorer asks the fitted estimator for: ``"predict"``, ``"predict_proba"`` or
        ``"decision_function"``.
    """

    name = None
    metric = None
    response_method = "predict"
    smooth = True
    convex = True
    quadratic = False
    piecewise_linear = False
    is_classifier = False
    target_min = -np.inf
    target_min_inclusive = True
    _parameter_constraints = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("name") and cls.__module__ == __name__:
            LOSSES[cls.name] = cls

    def loss(self, y, raw):
        """Per-sample loss values, shape ``(n_samples,)``."""
        raise NotImplementedError(f"{type(self).__name__} must implement loss(y, raw)")

    def gradient(self, y, raw):
        """Derivative of the per-sample loss with respect to ``raw``."""
        raise NotImplementedError(f"{type(self).__name__} must implement gradient(y, raw)")

    def loss_gradient(self, y, raw):
        """``(loss, gradient)`` together; override when they share work."""
        return self.loss(y, raw), self.gradient(y, raw)

    def hessian(self, y, raw):
        """Second derivative of the per-sample loss with respect to ``raw`` (its one-sided
        value at a kink of the gradient), or ``None`` when not known; for a multinomial
        ``raw`` of shape ``(n_samples, n_classes)``, one ``(n_classes, n_classes)``
        matrix per sample.

        Optional: the solver uses it, where it is given, to precondition L-BFGS-B with the
        curvature of the data term (see :mod:`sklearn_losses._solvers`).
        """
        return None

    def inverse_link(self, raw):
        """Map the raw prediction to the prediction returned by ``predict``."""
        return raw

    def gradient_terms(self, y, raw):
        """Per sample, the size of the quantities the gradient is the difference of (its
        rounding is theirs): ``|y|``, the target the prediction is compared with, by
        default. The solvers hold no tolerance finer than that rounding."""
        return np.abs(y)

    def check_target(self, y):
        """Raise ``ValueError`` when ``y`` lies outside this loss's domain."""
        low = self.target_min
        if low == -np.inf:
            return
        bad = y < low if self.target_min_inclusive else y <= low
        if np.any(bad):
            op = ">=" if self.target_min_inclusive else ">"
            raise ValueError(
                f"The {self.name or type(self).__name__!r} loss requires targets y {op} "
                f"{low:g}; got a minimum of {np.min(y):g}."
            )

    def validate(self):
        """Check the loss's own parameters against ``_parameter_constraints`` (skipped
        under scikit-learn's ``skip_parameter_validation``, as its estimators skip theirs:
        a cross-validation path scores every alpha with parameters checked once)."""
        if not get_config()["skip_parameter_validation"]:
            self._validate_params()

    def intercept_only(self, y, sample_weight):
        """Optimal constant raw prediction (used as the starting intercept)."""
        lo, hi = float(np.min(y)), float(np.max(y))
        span = (hi - lo) or abs(hi) or 1.0  # the targets' own scale

        def mean_loss(c):
            return np.dot(sample_weight, self.loss(y, np.full_like(y, c, dtype=float)))

        res = minimize_scalar(mean_loss, bounds=(lo - span, hi + span), method="bounded",
                              options={"xatol": 1e-12 * span})
        return float(res.x)


def _weighted_quantile(y, sample_weight, q):
    order = np.argsort(y, kind="stable")
    cum = np.cumsum(sample_weight[order])
    idx = np.searchsorted(cum, q * cum[-1])
    return float(y[order][min(idx, len(y) - 1)])


class PiecewiseLinearLoss(Loss):
    r"""Base class of convex piecewise-linear losses (absolute, quantile, hinge, ...).

    Such a loss is described, per sample, by its kinks in ``f`` and the rise of the
    slope at each kink:

    .. math:: \mathrm{loss}(y, f) = c(y) + a_0(y)\, f + \sum_k j_k(y)\, \max(0, f - \beta_k(y))

    with ``a_0`` the slope left of every kink (``left_slope``) and ``beta_k``, ``j_k >= 0``
    the kinks and jumps (``kinks``). From that description alone the solvers build the
    exact linear programme (HiGHS) and the smoothed losses used by smoothing
    continuation, and the gradient below is derived.
    """

    smooth = False
    piecewise_linear = True

    def kinks(self, y):
        """``(beta, jump)`` arrays of shape ``(n_samples, n_kinks)``."""
        raise NotImplementedError

    def left_slope(self, y):
        """Slope in ``f`` left of every kink, shape ``(n_samples,)``."""
        raise NotImplementedError

    def gradient(self, y, raw):
        beta, jump = self.kinks(y)
        return self.left_slope(y) + np.sum(jump * (raw[:, None] > beta), axis=1)

    def smoothed_loss_gradient(self, y, raw, width):
        """Loss and gradient with each kink replaced by a quadratic of half-width ``width``.

        Outside ``|f - beta| < width`` the smoothed loss equals the loss; inside it
        exceeds it by at most ``jump * width / 4``.
        """
        beta, jump = self.kinks(y)
        d = raw[:, None] - beta
        inside = np.maximum(width - np.abs(d), 0.0)
        value = self.loss(y, raw) + np.sum(jump * inside**2, axis=1) / (4 * width)
        frac = np.clip((d + width) / (2 * width), 0.0, 1.0)
        grad = self.left_slope(y) + np.sum(jump * frac, axis=1)
        return value, grad

    def smoothed_hessian(self, y, raw, width):
        """Second derivative of the smoothed loss: ``jump / (2 width)`` within ``width`` of
        each kink, 0 elsewhere."""
        beta, jump = self.kinks(y)
        return np.sum(jump * (np.abs(raw[:, None] - beta) < width), axis=1) / (2 * width)


# --------------------------------------------------------------------------- regression


class SquaredError(Loss):
    r"""Half squared error, :math:`\tfrac12 (y - f)^2` (least squares, ``Ridge``/``Lasso``)."""

    name = "squared_error"
    metric = "mean_squared_error"  # twice the loss: the usual mean squared error
    quadratic = True

    def loss(self, y, raw):
        return 0.5 * (y - raw) ** 2

    def gradient(self, y, raw):
        return raw - y

    def hessian(self, y, raw):
        return np.ones(len(raw))

    def intercept_only(self, y, sample_weight):
        return float(np.dot(sample_weight, y) / np.sum(sample_weight))


class AbsoluteError(PiecewiseLinearLoss):
    r"""Absolute error, :math:`|y - f|` (median regression)."""

    name = "absolute_error"
    metric = "mean_absolute_error"

    def loss(self, y, raw):
        return np.abs(y - raw)

    def kinks(self, y):
        return y[:, None], np.full((len(y), 1), 2.0)

    def left_slope(self, y):
        return np.full(len(y), -1.0)

    def intercept_only(self, y, sample_weight):
        return _weighted_quantile(y, sample_weight, 0.5)


class Huber(Loss):
    r"""Huber loss: :math:`\tfrac12 r^2` if :math:`|r| \le \delta`, else
    :math:`\delta (|r| - \tfrac12 \delta)`, with :math:`r = y - f`.

    Parameters
    ----------
    delta : float, default=1.0
        Residual size where the loss turns from quadratic to linear (> 0), **in the
        units of y**: residuals larger than ``delta`` count linearly, as outliers. The
        default suits targets of unit scale; on targets in the hundreds it makes the
        loss nearly absolute error. ``HuberRegressor(epsilon=1.35)`` measures residuals
        in units of a scale it estimates; the equivalent here is ``delta`` about 1.35
        times the residuals' standard deviation (for near-Gaussian noise), or tune it
        (``GridSearchCV`` over ``loss__delta``). It is not estimated from the data, so
        the loss, and the scorer that measures it, mean the same on every fold.
    """

    name = "huber"
    metric = "huber_loss"
    _parameter_constraints = {"delta": [Interval(Real, 0, None, closed="neither")]}

    def __init__(self, delta=1.0):
        self.delta = delta

    def loss(self, y, raw):
        a = np.abs(y - raw)
        d = self.delta
        return np.where(a <= d, 0.5 * a**2, d * (a - 0.5 * d))

    def gradient(self, y, raw):
        return np.clip(raw - y, -self.delta, self.delta)

    def hessian(self, y, raw):
        return (np.abs(raw - y) <= self.delta).astype(float)


class Quantile(PiecewiseLinearLoss):
    r"""Pinball loss: :math:`\max(q r, (q - 1) r)`, :math:`r = y - f` (quantile regression).

    Parameters
    ----------
    quantile : float, default=0.5
        The quantile ``q`` to estimate, in (0, 1).
    """

    name = "quantile"
    metric = "pinball_loss"
    _parameter_constraints = {"quantile": [Interval(Real, 0, 1, closed="neither")]}

    def __init__(self, quantile=0.5):
        self.quantile = quantile

    def loss(self, y, raw):
        r = y - raw
        q = self.quantile
        return np.maximum(q * r, (q - 1) * r)

    def kinks(self, y):
        return y[:, None], np.ones((len(y), 1))

    def left_slope(self, y):
        return np.full(len(y), -self.quantile)

    def intercept_only(self, y, sample_weight):
        return _weighted_quantile(y, sample_weight, self.quantile)


class EpsilonInsensitive(PiecewiseLinearLoss):
    r"""Epsilon-insensitive loss :math:`\max(0, |y - f| - \varepsilon)` (linear SVR).

    Parameters
    ----------
    epsilon : float, default=0.1
        Half-width of the zero-loss tube (>= 0).
    """

    name = "epsilon_insensitive"
    metric = "epsilon_insensitive_loss"
    _parameter_constraints = {"epsilon": [Interval(Real, 0, None, closed="left")]}

    def __init__(self, epsilon=0.1):
        self.epsilon = epsilon

    def loss(self, y, raw):
        return np.maximum(np.abs(y - raw) - self.epsilon, 0.0)

    def kinks(self, y):
        beta = np.stack([y - self.epsilon, y + self.epsilon], axis=1)
        return beta, np.ones_like(beta)

    def left_slope(self, y):
        return np.full(len(y), -1.0)


class SquaredEpsilonInsensitive(Loss):
    r"""Squared epsilon-insensitive loss :math:`\max(0, |y - f| - \varepsilon)^2`.

    Parameters
    ----------
    epsilon : float, default=0.1
        Half-width of the zero-loss tube (>= 0).
    """

    name = "squared_epsilon_insensitive"
    metric = "squared_epsilon_insensitive_loss"
    _parameter_constraints = {"epsilon": [Interval(Real, 0, None, closed="left")]}

    def __init__(self, epsilon=0.1):
        self.epsilon = epsilon

    def loss(self, y, raw):
        return np.maximum(np.abs(y - raw) - self.epsilon, 0.0) ** 2

    def gradient(self, y, raw):
        r = y - raw
        return -2.0 * np.sign(r) * np.maximum(np.abs(r) - self.epsilon, 0.0)

    def hessian(self, y, raw):
        return 2.0 * (np.abs(y - raw) > self.epsilon)


_LOG_TINY_RATE = 0.5 * float(np.log(np.finfo(np.float64).tiny))


class Poisson(Loss):
    r"""Poisson deviance up to a constant, :math:`e^f - y f`, with a log link.

    ``predict`` returns :math:`e^f`; targets must be non-negative.
    """

    name = "poisson"
    metric = "mean_poisson_deviance"
    target_min = 0.0

    def loss(self, y, raw):
        return np.exp(raw) - y * raw

    def gradient(self, y, raw):
        return np.exp(raw) - y

    def loss_gradient(self, y, raw):
        mu = np.exp(raw)
        return mu - y * raw, mu - y

    def hessian(self, y, raw):
        return np.exp(raw)

    def inverse_link(self, raw):
        return np.exp(raw)

    def intercept_only(self, y, sample_weight):
        mean = np.dot(sample_weight, y) / np.sum(sample_weight)
        # All-zero targets have their optimum at -inf: a rate of 1e-154 (its square still
        # a normal float) predicts 0 for every purpose, and its gradient is below any
        # tolerance, so that w = 0 and this intercept are returned as the fit.
        return float(np.log(mean)) if mean > 0 else _LOG_TINY_RATE


class Tweedie(Loss):
    r"""Half the Tweedie deviance with a log link, up to terms in :math:`y` only:

    .. math:: \frac{e^{(2-p) f} - 1}{2 - p} + \frac{y \, e^{(1-p) f}}{p - 1}

    (:math:`f + y e^{-f}` at :math:`p = 2`), for a power :math:`p > 1`: compound
    Poisson-gamma for :math:`1 < p < 2` (non-negative targets with exact zeros, e.g.
    claim amounts), gamma at 2 (:class:`Gamma`), inverse Gaussian at 3. ``predict``
    returns :math:`\mu = e^f`. The same objective as scikit-learn's
    ``TweedieRegressor(power=p, link="log", alpha)`` for ``penalty="l2"``, which here may
    also be ``"l1"`` or ``"elasticnet"``.

    Targets must be >= 0 for :math:`p < 2` and > 0 from :math:`p = 2` on. For
    :math:`p > 2` the loss is convex in :math:`f` only where
    :math:`\mu \le y (p - 1) / (p - 2)`: the fit is a stationary point, the optimum
    wherever the predictions stay in that range (as they do near any reasonable fit).

    Parameters
    ----------
    power : float, default=1.5
        The Tweedie power :math:`p` (> 1; 1 is :class:`Poisson`).
    """

    name = "tweedie"
    metric = "mean_tweedie_deviance"
    target_min = 0.0
    _parameter_constraints = {"power": [Interval(Real, 1, None, closed="neither")]}

    def __init__(self, power=1.5):
        self.power = power

    @property
    def target_min_inclusive(self):
        return self.power < 2

    @property
    def convex(self):
        return self.power <= 2

    def _terms(self, y, raw):
        """``(mu^(2-p), y mu^(1-p))``: the two exponentials of the loss's terms."""
        p = self.power
        return np.exp((2.0 - p) * raw), y * np.exp((1.0 - p) * raw)

    def _value(self, raw, second):
        """The loss from ``y mu^(1-p)``: ``(e^{(2-p) f} - 1) / (2 - p)`` by expm1 (exact
        near p = 2, where it tends to f) plus ``y mu^(1-p) / (p - 1)``."""
        p = self.power
        head = raw if p == 2 else np.expm1((2.0 - p) * raw) / (2.0 - p)
        return head + second / (p - 1.0)

    def loss(self, y, raw):
        return self._value(raw, y * np.exp((1.0 - self.power) * raw))

    def gradient(self, y, raw):
        first, second = self._terms(y, raw)
        return first - second

    def loss_gradient(self, y, raw):
        first, second = self._terms(y, raw)
        return self._value(raw, second), first - second

    def hessian(self, y, raw):
        # (2 - p) mu^(2-p) + (p - 1) y mu^(1-p); negative for p > 2 where mu is far above
        # y: 0 there (a curvature for preconditioning, never negative)
        p = self.power
        first, second = self._terms(y, raw)
        return np.maximum((2.0 - p) * first + (p - 1.0) * second, 0.0)

    def inverse_link(self, raw):
        return np.exp(raw)

    def gradient_terms(self, y, raw):
        # the gradient is mu^(2-p) - y mu^(1-p): y enters scaled by mu^(1-p), not alone
        first, second = self._terms(y, raw)
        return first + np.abs(second)

    def intercept_only(self, y, sample_weight):
        # the gradient's sum vanishes at mu = the weighted mean, for every power
        mean = np.dot(sample_weight, y) / np.sum(sample_weight)
        return float(np.log(mean)) if mean > 0 else _LOG_TINY_RATE


class Gamma(Tweedie):
    r"""Half the gamma deviance with a log link, up to terms in :math:`y` only:
    :math:`f + y e^{-f}` (the Tweedie loss at power 2). ``predict`` returns
    :math:`e^f`; targets must be > 0. ``penalty="l2"`` is scikit-learn's
    ``GammaRegressor(alpha)``; ``"l1"`` and ``"elasticnet"`` are available here too.
    """

    name = "gamma"
    metric = "mean_gamma_deviance"
    power = 2.0
    _parameter_constraints = {}

    def __init__(self):
        pass


# ----------------------------------------------------------------------- classification
#
# Labels are encoded by the classifier: y in {-1, +1} for a binary problem (margin
# z = y f), or a one-hot matrix of shape (n_samples, n_classes) with raw of the same
# shape for the joint multinomial problem (losses with ``multinomial = True``).


class ClassificationLoss(Loss):
    """Base class of classification losses on encoded labels ``y in {-1, +1}``.

    ``predict_proba(raw)`` returns the probability of the positive class for losses that
    define one (``has_proba = True``); ``multinomial = True`` marks a loss that also
    handles a joint multi-class problem with a one-hot ``y`` and raw of shape
    ``(n_samples, n_classes)``.
    """

    is_classifier = True
    response_method = "decision_function"
    has_proba = False
    multinomial = False
    # True for a loss that only tends to 0 as every margin grows (log loss): without a
    # penalty, classes that a hyperplane separates have no optimum (see the solver)
    infimum_at_infinity = False
    # ``raw`` is the data, not routed metadata: no set_predict_proba_request.
    __metadata_request__predict_proba = {"raw": UNUSED}
    __metadata_request__predict_log_proba = {"raw": UNUSED}

    def predict_proba(self, raw):
        raise AttributeError(f"The {self.name!r} loss does not define probabilities.")

    def intercept_only(self, y, sample_weight):
        return super().intercept_only(np.asarray(y, dtype=float), sample_weight)


class LogLoss(ClassificationLoss):
    r"""Log loss (cross-entropy) with a logistic or softmax link.

    Binary: :math:`\log(1 + e^{-y f})` for :math:`y \in \{-1, +1\}`, probabilities
    :math:`\sigma(f)`. Multinomial (one-hot ``y``, raw ``f`` with one column per class):
    :math:`-\log \mathrm{softmax}(f)_y`, probabilities :math:`\mathrm{softmax}(f)`.
    """

    name = "log_loss"
    metric = "cross_entropy"
    response_method = "predict_proba"
    has_proba = True
    multinomial = True
    infimum_at_infinity = True

    def loss(self, y, raw):
        if raw.ndim == 2:
            return logsumexp(raw, axis=1) - np.sum(y * raw, axis=1)
        return np.logaddexp(0.0, -y * raw)

    def gradient(self, y, raw):
        if raw.ndim == 2:
            return softmax(raw, axis=1) - y
        return -y * expit(-y * raw)

    def loss_gradient(self, y, raw):
        if raw.ndim == 2:
            # log-sum-exp shifted by the row maximum. numpy's reductions along a short
            # axis=1 are slow (a loop per row), so the maximum is taken column by column
            # and the row sums by a product with ones.
            z = raw - functools.reduce(np.maximum, raw.T)[:, None]
            e = np.exp(z)
            total = e @ np.ones(raw.shape[1])
            # y's rows sum to one: -sum_k y_k log p_k = log(total) - sum_k y_k z_k
            return np.log(total) - np.einsum("ij,ij->i", y, z), e / total[:, None] - y
        # log(1 + e^z) = max(z, 0) + log1p(e^-|z|) and sigma(z) from the same exponential:
        # one exp for both (np.logaddexp and expit would take one each)
        z = -y * raw
        e = np.exp(-np.abs(z))
        loss = np.log1p(e)
        loss += np.maximum(z, 0.0)
        inv = 1.0 / (1.0 + e)
        return loss, -y * np.where(z >= 0.0, inv, e * inv)

    def hessian(self, y, raw):
        if raw.ndim == 2:  # per sample, the (classes x classes) matrix diag(p) - p p^T
            p = softmax(raw, axis=1)
            return p[:, :, None] * (np.eye(raw.shape[1]) - p[:, None, :])
        p = expit(raw)
        return p * (1.0 - p)

    def predict_proba(self, raw):
        return softmax(raw, axis=1) if raw.ndim == 2 else expit(raw)

    def predict_log_proba(self, raw):
        if raw.ndim == 2:
            return log_softmax(raw, axis=1)
        return np.stack([log_expit(-raw), log_expit(raw)], axis=1)

    def intercept_only(self, y, sample_weight):
        sw = sample_weight / np.sum(sample_weight)
        if y.ndim == 2:
            logp = np.log(np.clip(sw @ y, 1e-12, None))
            return logp - logp.mean()
        p = np.clip(np.dot(sw, y > 0), 1e-12, 1 - 1e-12)
        return float(np.log(p) - np.log1p(-p))


class Hinge(ClassificationLoss, PiecewiseLinearLoss):
    r"""Hinge loss :math:`\max(0, 1 - y f)` (linear SVM). No probabilities."""

    name = "hinge"
    metric = "hinge_loss"

    def loss(self, y, raw):
        return np.maximum(1.0 - y * raw, 0.0)

    def kinks(self, y):
        # 1 - y f = 0 at f = 1 / y = y; the slope rises from -1 to 0 (y = +1) or 0 to 1.
        return y[:, None].astype(float), np.ones((len(y), 1))

    def left_slope(self, y):
        return -(1.0 + y) / 2.0


class SquaredHinge(ClassificationLoss):
    r"""Squared hinge loss :math:`\max(0, 1 - y f)^2` (``LinearSVC``'s default)."""

    name = "squared_hinge"
    metric = "squared_hinge_loss"

    def loss(self, y, raw):
        return np.maximum(1.0 - y * raw, 0.0) ** 2

    def gradient(self, y, raw):
        return -2.0 * y * np.maximum(1.0 - y * raw, 0.0)

    def hessian(self, y, raw):
        return 2.0 * (y * raw < 1.0)


class ModifiedHuber(ClassificationLoss):
    r"""Modified Huber loss: :math:`\max(0, 1 - z)^2` for :math:`z = y f \ge -1`, else
    :math:`-4 z`. Probabilities :math:`(\mathrm{clip}(f, -1, 1) + 1) / 2`, as
    ``SGDClassifier``.
    """

    name = "modified_huber"
    metric = "modified_huber_loss"
    has_proba = True

    def loss(self, y, raw):
        z = y * raw
        return np.where(z >= -1.0, np.maximum(1.0 - z, 0.0) ** 2, -4.0 * z)

    def gradient(self, y, raw):
        z = y * raw
        return y * np.where(z >= -1.0, -2.0 * np.maximum(1.0 - z, 0.0), -4.0)

    def hessian(self, y, raw):
        z = y * raw
        return 2.0 * ((z >= -1.0) & (z < 1.0))

    def predict_proba(self, raw):
        return (np.clip(raw, -1.0, 1.0) + 1.0) / 2.0


REGRESSION_LOSSES = {k: v for k, v in LOSSES.items() if not v.is_classifier}
CLASSIFICATION_LOSSES = {k: v for k, v in LOSSES.items() if v.is_classifier}


def resolve_loss(loss, *, classifier=False):
    """Return a fresh, validated loss object from a name or a loss instance.

    The user's object is cloned, never modified.
    """
    kind = "classification" if classifier else "regression"
    valid = sorted(k for k, v in LOSSES.items() if v.is_classifier == classifier)
    if isinstance(loss, str):
        cls = LOSSES.get(loss)
        if cls is None or cls.is_classifier != classifier:
            raise ValueError(
                f"Unknown {kind} loss {loss!r}. Valid names are {valid}, "
                "or pass a Loss instance."
            )
        return cls()  # its defaults (valid: tested for every registered loss)
    elif isinstance(loss, Loss):
        if loss.is_classifier != classifier:
            raise ValueError(
                f"{type(loss).__name__} is a "
                f"{'classification' if loss.is_classifier else 'regression'} loss; "
                f"this estimator needs a {kind} loss: one of {valid}."
            )
        obj = loss.__class__(**loss.get_params(deep=False))
    else:
        raise TypeError(
            f"loss must be a string among {valid} or a Loss instance; "
            f"got {type(loss).__name__}."
        )
    obj.validate()
    return obj
