"""Property-based tests (hypothesis): the losses' numerics and the estimators' invariances."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from _targets import into_domain, log_link
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning

from sklearn_losses import LossClassifier, LossRegressor
from sklearn_losses.losses import LOSSES

FAST = settings(max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
# A log link's exp(f) overflows beyond f ~ 709 by nature; everything else must take
# |f| = 1e3. The log-link losses drop their terms in y alone, so their values can be
# negative.
RAW_LIMIT = {name: 50.0 for name in LOSSES if log_link(LOSSES[name])}
NON_NEGATIVE = [name for name in LOSSES if not log_link(LOSSES[name])]


def target(name, draw_value):
    if LOSSES[name].is_classifier:
        return 1.0 if draw_value > 0 else -1.0
    return float(into_domain(LOSSES[name](), np.array([draw_value]))[0])


@st.composite
def loss_points(draw, names=tuple(sorted(LOSSES))):
    name = draw(st.sampled_from(names))
    limit = RAW_LIMIT.get(name, 1e3)
    raws = st.floats(-limit, limit, allow_nan=False)
    y = target(name, draw(st.floats(-50, 50, allow_nan=False)))
    return LOSSES[name](), np.array([y]), np.array([draw(raws)]), np.array([draw(raws)])


@FAST
@given(loss_points(tuple(NON_NEGATIVE)))
def test_loss_is_non_negative(point):
    loss, y, a, _ = point
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        assert loss.loss(y, a)[0] >= 0


@FAST
@given(loss_points())
def test_convex_along_any_segment(point):
    loss, y, a, b = point
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        mid = loss.loss(y, (a + b) / 2)[0]
        ends = (loss.loss(y, a)[0] + loss.loss(y, b)[0]) / 2
    assert mid <= ends + 1e-9 * (1 + abs(ends))


@FAST
@given(loss_points())
def test_gradient_matches_finite_difference_without_warnings(point):
    # The one-sided difference quotients of a convex function bracket its derivative
    # (any subgradient at a kink), and the bracket narrows as h * f'' where it is smooth.
    # A central difference alone failed where the curvature jumps (ModifiedHuber at
    # margin 1: -h / 2 against 0).
    loss, y, a, _ = point
    h = 1e-5 * (1 + abs(a[0]))
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        grad = loss.gradient(y, a)[0]
        value, plus, minus = (loss.loss(y, a + d)[0] for d in (0.0, h, -h))
    left, right = (value - minus) / h, (plus - value) / h
    rounding = 1e-12 * (1 + abs(value) + abs(plus) + abs(minus)) / h
    assert left - rounding <= grad <= right + rounding


# ----------------------------------------------------------------------------- estimators

REGRESSION = ["squared_error", "huber", "quantile", "epsilon_insensitive",
              "squared_epsilon_insensitive"]


@st.composite
def regression_problems(draw):
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    n, p = draw(st.integers(15, 40)), draw(st.integers(1, 6))
    X = rng.standard_normal((n, p))
    y = X @ rng.standard_normal(p) + rng.standard_normal(n)
    loss = draw(st.sampled_from(REGRESSION))
    penalty = draw(st.sampled_from(["l1", "l2", "elasticnet"]))
    return X, y, LossRegressor(loss, penalty=penalty, alpha=0.05, tol=1e-9), rng


def objective(model, X, y, sw=None):
    loss = model.loss_
    sw = np.ones(len(y)) if sw is None else sw
    raw = X @ model.coef_ + model.intercept_
    rho = {"l1": 1.0, "l2": 0.0, "elasticnet": model.l1_ratio}[model.penalty]
    w = model.coef_
    return (sw @ loss.loss(y, raw) / sw.sum()
            + model.alpha * (rho * np.abs(w).sum() + 0.5 * (1 - rho) * w @ w))


def same_fit(a, b, X, y, sw=None):
    """Same optimum: objective values agree (solutions of kinked losses need not be unique)."""
    fa, fb = objective(a, X, y, sw), objective(b, X, y, sw)
    assert fa == pytest.approx(fb, rel=1e-6, abs=1e-9)


@FAST
@given(regression_problems())
def test_permuting_samples_does_not_change_the_fit(problem):
    X, y, model, rng = problem
    order = rng.permutation(len(y))
    a = model.fit(X, y)
    b = LossRegressor(**model.get_params()).fit(X[order], y[order])
    same_fit(a, b, X, y)


@FAST
@given(regression_problems())
def test_weight_two_equals_duplicate_and_scale_invariance(problem):
    X, y, model, rng = problem
    sw = np.ones(len(y))
    sw[0] = 2.0
    weighted = LossRegressor(**model.get_params()).fit(X, y, sample_weight=sw)
    duplicated = LossRegressor(**model.get_params()).fit(np.vstack([X, X[:1]]),
                                                         np.append(y, y[0]))
    same_fit(weighted, duplicated, X, y, sw)
    scaled = LossRegressor(**model.get_params()).fit(X, y, sample_weight=7.5 * sw)
    same_fit(weighted, scaled, X, y, sw)


@FAST
@given(regression_problems())
def test_sparse_equals_dense_and_float32_close(problem):
    X, y, model, rng = problem
    dense = LossRegressor(**model.get_params()).fit(X, y)
    sparse = LossRegressor(**model.get_params()).fit(sp.csr_matrix(X), y)
    same_fit(dense, sparse, X, y)
    single = LossRegressor(**model.get_params()).fit(X.astype(np.float32), y.astype(np.float32))
    assert objective(single, X, y) == pytest.approx(objective(dense, X, y), rel=1e-4)


@FAST
@given(regression_problems(), st.floats(0.1, 100))
def test_scaling_y_scales_least_squares_coefficients(problem, c):
    X, y, _, _ = problem
    base = LossRegressor(penalty=None, tol=1e-10).fit(X, y)
    scaled = LossRegressor(penalty=None, tol=1e-10).fit(X, c * y)
    np.testing.assert_allclose(scaled.coef_, c * base.coef_, rtol=1e-5,
                               atol=1e-7 * c * (1 + np.abs(base.coef_).max()))


@FAST
@given(regression_problems())
def test_inputs_unchanged_and_pickle_round_trip(problem):
    X, y, model, rng = problem
    sw = rng.uniform(0.5, 2, len(y))
    copies = X.copy(), y.copy(), sw.copy()
    model.fit(X, y, sample_weight=sw)
    for original, copy in zip((X, y, sw), copies):
        np.testing.assert_array_equal(original, copy)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))


# ------------------------------------------------------------------ degenerate but valid


def test_degenerate_but_valid_data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 5))
    y = X @ [1.0, 0.0, -1.0, 2.0, 0.5] + 0.1 * rng.standard_normal(40)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        # a constant feature gets a zero coefficient
        const = np.column_stack([X, np.full(40, 3.0)])
        for loss in ("squared_error", "quantile", "huber"):
            assert LossRegressor(loss, penalty="l1", alpha=0.01).fit(const, y).coef_[-1] == 0
        # features scaled by 1e6 and 1e-6
        scaled = X * np.array([1e6, 1e-6, 1, 1, 1])
        plain = LossRegressor("huber", alpha=1e-3).fit(X, y)
        model = LossRegressor("huber", alpha=1e-3, penalty=None).fit(scaled, y)
        np.testing.assert_allclose(model.predict(scaled), LossRegressor(
            "huber", penalty=None).fit(X, y).predict(X), rtol=1e-4, atol=1e-4)
        assert np.all(np.isfinite(plain.coef_))
        # n < p
        wide = rng.standard_normal((10, 30))
        for loss in ("squared_error", "absolute_error", "hinge"):
            target = np.sign(wide[:, 0]) if loss == "hinge" else wide[:, 0]
            cls = LossClassifier if loss == "hinge" else LossRegressor
            assert np.all(np.isfinite(cls(loss, alpha=1e-3).fit(wide, target).coef_))
        # duplicate columns share the weight (L2) and keep predictions
        dup = np.column_stack([X, X[:, :1]])
        model = LossRegressor(penalty="l2", alpha=1e-2).fit(dup, y)
        assert model.coef_[0] == pytest.approx(model.coef_[-1], rel=1e-6)
        # all-zero y
        for loss in ("squared_error", "huber", "quantile", "poisson"):
            model = LossRegressor(loss, alpha=1e-3).fit(X, np.zeros(40))
            assert np.all(np.isfinite(model.coef_)) and np.isfinite(model.intercept_)


def test_separable_classes_with_tiny_alpha_stay_finite():
    """No optimum exists (the loss falls towards 0 as ||w|| grows): the fit stays finite,
    numpy stays silent, and running out of iterations says so."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((60, 3))
    y = (X[:, 0] > 0).astype(int)
    for alpha, penalty, max_iter in [(1e-12, "l2", 1000), (0.0, None, 1000), (0.0, None, 5)]:
        with np.errstate(over="raise", divide="raise", invalid="raise"), \
                warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = LossClassifier(penalty=penalty, alpha=alpha, max_iter=max_iter).fit(X, y)
        assert np.all(np.isfinite(model.coef_))
        if max_iter == 5:
            assert any(issubclass(w.category, ConvergenceWarning) for w in caught)
        else:
            assert model.score(X, y) == 1.0
