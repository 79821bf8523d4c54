"""Pointwise losses: hand-computed values, gradients, kinks, smoothing, parameters."""

import numpy as np
import pytest
from sklearn.base import clone

from sklearn_losses.losses import LOSSES, Loss, PiecewiseLinearLoss, resolve_loss

ALL_LOSSES = [cls() for cls in LOSSES.values()]
ALL_LOSSES += [LOSSES["huber"](delta=0.3), LOSSES["quantile"](quantile=0.9),
               LOSSES["epsilon_insensitive"](epsilon=0.0), LOSSES["tweedie"](power=1.2),
               LOSSES["tweedie"](power=3.0), LOSSES["tweedie"](power=2.0)]
PWL_LOSSES = [loss for loss in ALL_LOSSES if isinstance(loss, PiecewiseLinearLoss)]


def targets(loss, n, rng):
    if loss.is_classifier:
        return rng.choice([-1.0, 1.0], n)
    if loss.target_min >= 0:  # counts; from 1 where 0 is outside the domain (gamma)
        return rng.poisson(2.0, n).astype(float) + (0.0 if loss.target_min_inclusive else 1.0)
    return rng.standard_normal(n) * 2


def raws(loss, y, rng):
    raw = y + rng.standard_normal(len(y)) * 2
    if loss.piecewise_linear:  # stay away from kinks, where the derivative jumps
        beta, _ = loss.kinks(y)
        near = np.min(np.abs(raw[:, None] - beta), axis=1) < 1e-3
        raw[near] += 0.01
    return raw


# Hand-computed (y, f, value) triples, from the formulas in the issue.
HAND_VALUES = {
    "squared_error": [(3.0, 1.0, 2.0), (-1.0, 0.5, 1.125)],
    "absolute_error": [(3.0, 1.0, 2.0), (-1.0, 0.5, 1.5)],
    "huber": [(0.5, 0.0, 0.125), (3.0, 1.0, 1.5), (-2.0, 1.0, 2.5)],
    "quantile": [(3.0, 1.0, 1.0), (1.0, 3.0, 1.0)],
    "epsilon_insensitive": [(1.0, 1.05, 0.0), (1.0, 1.6, 0.5), (2.0, 1.0, 0.9)],
    "squared_epsilon_insensitive": [(1.0, 1.05, 0.0), (1.0, 1.6, 0.25), (2.0, 1.0, 0.81)],
    "poisson": [(2.0, 0.0, 1.0), (0.0, np.log(3.0), 3.0), (1.0, 1.0, np.e - 1.0)],
    # (e^{f/2} - 1) / (1/2) + y e^{-f/2} / (1/2) at power 1.5; f + y e^{-f} for gamma
    "tweedie": [(2.0, 0.0, 4.0), (0.0, 2 * np.log(3.0), 4.0),
                (1.0, 2.0, 2 * np.e - 2 + 2 / np.e)],
    "gamma": [(2.0, 0.0, 2.0), (1.0, np.log(2.0), np.log(2.0) + 0.5)],
    "log_loss": [(1.0, 0.0, np.log(2.0)), (-1.0, 2.0, np.log1p(np.exp(2.0))),
                 (1.0, 1000.0, 0.0), (1.0, -1000.0, 1000.0)],
    "hinge": [(1.0, 0.5, 0.5), (-1.0, 0.5, 1.5), (1.0, 2.0, 0.0)],
    "squared_hinge": [(1.0, 0.5, 0.25), (-1.0, 0.5, 2.25), (1.0, 2.0, 0.0)],
    "modified_huber": [(1.0, 0.5, 0.25), (1.0, -3.0, 12.0), (1.0, 2.0, 0.0),
                       (-1.0, 0.0, 1.0)],
}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_hand_values(name):
    assert name in HAND_VALUES, f"add hand-computed values for the new loss {name!r}"
    loss = LOSSES[name]()
    for y, f, expected in HAND_VALUES[name]:
        got = loss.loss(np.array([y]), np.array([f]))
        np.testing.assert_allclose(got, [expected], rtol=1e-12, atol=1e-12)


def central_difference(f, y, raw, h=1e-6):
    """Derivative of ``f(y, raw)`` in ``raw``, sample by sample."""
    return (f(y, raw + h) - f(y, raw - h)) / (2 * h)


@pytest.mark.parametrize("loss", ALL_LOSSES, ids=repr)
def test_gradient_matches_finite_difference(loss):
    rng = np.random.default_rng(0)
    y = targets(loss, 200, rng)
    raw = raws(loss, y, rng)
    numeric = central_difference(loss.loss, y, raw)
    np.testing.assert_allclose(loss.gradient(y, raw), numeric, rtol=1e-5, atol=1e-6)
    value, grad = loss.loss_gradient(y, raw)
    np.testing.assert_allclose(value, loss.loss(y, raw))
    np.testing.assert_allclose(grad, loss.gradient(y, raw))


HESSIAN_LOSSES = [loss for loss in ALL_LOSSES
                  if loss.hessian(np.ones(1), np.zeros(1)) is not None]


def test_hessian_is_given_where_the_solver_needs_it():
    # the smooth built-in losses give their curvature (the solver preconditions with it);
    # a loss with kinks in its gradient (hinge, quantile, ...) gives none
    names = {loss.name for loss in HESSIAN_LOSSES}
    expected = {name for name, cls in LOSSES.items() if cls.smooth}
    assert names == expected


@pytest.mark.parametrize("loss", HESSIAN_LOSSES, ids=repr)
def test_hessian_matches_finite_difference(loss):
    y = targets(loss, 200, np.random.default_rng(2))
    raw = raws(loss, y, np.random.default_rng(3))
    hess = loss.hessian(y, raw)
    assert hess.shape == raw.shape and np.all(hess >= 0)  # convex, or clipped at 0
    numeric = central_difference(loss.gradient, y, raw)
    if not loss.convex:  # the curvature clipped at 0 where the loss is concave
        assert np.any(numeric < 0) and np.all(hess[numeric < -1e-6] == 0)
        numeric = np.maximum(numeric, 0.0)
    np.testing.assert_allclose(hess, numeric, rtol=1e-5, atol=1e-6)


def test_multinomial_log_loss_gradient_and_hessian():
    loss = LOSSES["log_loss"]()
    rng = np.random.default_rng(3)
    n, k = 50, 4
    y = np.eye(k)[rng.integers(0, k, n)]
    raw = rng.standard_normal((n, k)) * 3
    raw[0] += 800.0  # a huge shared offset must not overflow
    value, grad = loss.loss_gradient(y, raw)
    np.testing.assert_allclose(value, loss.loss(y, raw), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grad, loss.gradient(y, raw), rtol=1e-12, atol=1e-12)
    hess = loss.hessian(y, raw)
    assert hess.shape == (n, k, k)
    for j in range(k):  # the gradient's change as class j's raw score moves
        step = 1e-6 * np.eye(k)[j]
        numeric = (loss.gradient(y, raw + step) - loss.gradient(y, raw - step)) / 2e-6
        np.testing.assert_allclose(hess[:, :, j], numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("loss", [loss for loss in ALL_LOSSES if loss.convex], ids=repr)
def test_convex_midpoint(loss):
    rng = np.random.default_rng(1)
    y = targets(loss, 300, rng)
    a, b = raws(loss, y, rng), raws(loss, y, rng)
    mid = loss.loss(y, (a + b) / 2)
    assert np.all(mid <= (loss.loss(y, a) + loss.loss(y, b)) / 2 + 1e-12)


@pytest.mark.parametrize("loss", PWL_LOSSES, ids=repr)
def test_piecewise_linear_description(loss):
    """loss(y, f) - (a0 f + sum_k j_k max(0, f - beta_k)) does not depend on f."""
    rng = np.random.default_rng(2)
    y = targets(loss, 50, rng)
    beta, jump = loss.kinks(y)
    assert np.all(jump >= 0)
    consts = []
    for shift in np.linspace(-6, 6, 13):
        f = y + shift
        described = loss.left_slope(y) * f + np.sum(jump * np.maximum(f[:, None] - beta, 0), 1)
        consts.append(loss.loss(y, f) - described)
    np.testing.assert_allclose(consts, np.broadcast_to(consts[0], np.shape(consts)),
                               atol=1e-12)


@pytest.mark.parametrize("loss", PWL_LOSSES, ids=repr)
@pytest.mark.parametrize("width", [1.0, 1e-3])
def test_smoothed_loss_bounds_and_gradient(loss, width):
    rng = np.random.default_rng(3)
    y = targets(loss, 400, rng)
    raw = y + rng.uniform(-3, 3, len(y)) * max(width, 0.01)
    value, grad = loss.smoothed_loss_gradient(y, raw, width)
    exact = loss.loss(y, raw)
    _, jump = loss.kinks(y)
    assert np.all(value >= exact - 1e-14)
    assert np.all(value <= exact + jump.sum(1) * width / 4 + 1e-14)
    beta, _ = loss.kinks(y)
    far = np.min(np.abs(raw[:, None] - beta), axis=1) >= width
    np.testing.assert_allclose(value[far], exact[far], atol=1e-14)
    h = width * 1e-5
    numeric = (loss.smoothed_loss_gradient(y, raw + h, width)[0]
               - loss.smoothed_loss_gradient(y, raw - h, width)[0]) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-6)
    # the second derivative, away from the band edges where it jumps
    edge = np.min(np.abs(np.abs(raw[:, None] - beta) - width), axis=1) > 2 * h
    numeric = (loss.smoothed_loss_gradient(y, raw + h, width)[1]
               - loss.smoothed_loss_gradient(y, raw - h, width)[1]) / (2 * h)
    hess = loss.smoothed_hessian(y, raw, width)
    assert edge.sum() > 300
    np.testing.assert_allclose(hess[edge], numeric[edge], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("loss", [cls() for cls in LOSSES.values()], ids=repr)
def test_intercept_only_is_optimal(loss):
    rng = np.random.default_rng(4)
    y = targets(loss, 101, rng)
    sw = rng.uniform(0.5, 2, len(y))
    c = loss.intercept_only(y, sw)

    def mean_loss(v):
        return np.dot(sw, loss.loss(y, np.full_like(y, v)))

    for step in (1e-2, 1e-1):
        assert mean_loss(c) <= mean_loss(c + step) + 1e-7
        assert mean_loss(c) <= mean_loss(c - step) + 1e-7


@pytest.mark.parametrize("loss, param, bad", [
    ("huber", "delta", 0.0), ("huber", "delta", -1.0), ("quantile", "quantile", 0.0),
    ("quantile", "quantile", 1.5), ("epsilon_insensitive", "epsilon", -0.1),
    ("squared_epsilon_insensitive", "epsilon", -1.0),
])
def test_bad_loss_parameters(loss, param, bad):
    with pytest.raises(ValueError, match=param):
        LOSSES[loss](**{param: bad}).validate()


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_default_parameters_are_valid(name):
    # resolve_loss returns a named loss with its defaults unchecked: they must be valid
    LOSSES[name]().validate()


def test_loss_objects_are_estimators():
    huber = LOSSES["huber"](delta=2.0)
    assert clone(huber).get_params() == {"delta": 2.0}
    assert huber.set_params(delta=3.0).delta == 3.0
    assert repr(LOSSES["quantile"](quantile=0.9)) == "Quantile(quantile=0.9)"


def test_resolve_loss():
    huber = LOSSES["huber"](delta=2.0)
    resolved = resolve_loss(huber)
    assert resolved is not huber and resolved.delta == 2.0
    with pytest.raises(ValueError, match=r"Unknown regression loss 'hubber'.*'huber'"):
        resolve_loss("hubber")
    with pytest.raises(TypeError, match="Loss instance"):
        resolve_loss(3.0)


def test_target_domain():
    with pytest.raises(ValueError, match="'poisson' loss requires targets y >= 0"):
        LOSSES["poisson"]().check_target(np.array([1.0, -2.0]))


def test_custom_loss_documented_example():
    """The base-class docstring's example (log-cosh) runs as written and is a working loss."""
    import textwrap

    from sklearn.datasets import load_diabetes

    from sklearn_losses import LossRegressor

    doc = Loss.__doc__
    block = doc[doc.index("For example, log-cosh::") + len("For example, log-cosh::"):]
    block = block[:block.index("A piecewise-linear loss")]
    X, y = load_diabetes(return_X_y=True)
    namespace = {"Loss": Loss, "LossRegressor": LossRegressor, "np": np, "X": X, "y": y / 50}
    exec(textwrap.dedent(block), namespace)
    LogCosh = namespace["LogCosh"]

    assert "LogCosh" not in {cls.__name__ for cls in LOSSES.values()}
    loss = LogCosh(scale=2.0)
    y, raw = np.array([0.0, 1.0, 5.0]), np.array([0.5, -1.0, 1.0])
    h = 1e-6
    np.testing.assert_allclose(loss.gradient(y, raw),
                               (loss.loss(y, raw + h) - loss.loss(y, raw - h)) / (2 * h),
                               rtol=1e-6)


@pytest.mark.parametrize("power", [2.5, 3.0])
def test_tweedie_above_power_two_is_convex_where_documented(power):
    # convex in f exactly where mu <= y (p - 1) / (p - 2): the second derivative's sign
    # changes there
    loss = LOSSES["tweedie"](power=power)
    assert not loss.convex and LOSSES["tweedie"](power=2.0).convex
    y = np.full(2001, 3.0)
    edge = np.log(3.0 * (power - 1) / (power - 2))
    raw = edge + np.linspace(-2, 2, 2001)
    second = central_difference(loss.gradient, y, raw, h=1e-5)
    inside = raw < edge - 1e-3
    outside = raw > edge + 1e-3
    assert np.all(second[inside] > 0) and np.all(second[outside] < 0)
