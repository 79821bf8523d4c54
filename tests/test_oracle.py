"""Every regression loss x penalty reaches the cvxpy reference optimum (issue #2)."""

import numpy as np
import pytest
from _oracle import objective, reference_fit

from sklearn_losses import LossRegressor
from sklearn_losses.losses import REGRESSION_LOSSES
from sklearn_losses.penalties import PENALTIES

# Non-default parameters, so that each parameter really reaches the solver.
LOSS_PARAMS = {"huber": {"delta": 0.7}, "quantile": {"quantile": 0.3},
               "epsilon_insensitive": {"epsilon": 0.2},
               "squared_epsilon_insensitive": {"epsilon": 0.2}, "tweedie": {"power": 1.3}}


def make_problem(loss_name, seed, noise):
    rng = np.random.default_rng(seed)
    n, p = 90, 7
    X = rng.standard_normal((n, p))
    X[:, 1] *= 3.0
    w = rng.standard_normal(p) * (rng.random(p) < 0.6)
    mu = np.exp(0.3 * X @ w / 3 + 0.5)
    if loss_name == "poisson":
        y = rng.poisson(mu).astype(float)
    elif loss_name == "tweedie":  # compound Poisson-gamma: exact zeros and a skew
        y = rng.poisson(mu) * rng.gamma(2.0, 0.5, n)
    elif loss_name == "gamma":
        y = rng.gamma(2.0, mu / 2.0)
    else:
        eps = rng.standard_t(1.5, n) if noise == "student" else rng.standard_normal(n)
        y = X @ w + 1.0 + eps
    sw = rng.uniform(0.2, 2.0, n)
    return X, y, sw


@pytest.mark.parametrize("penalty", PENALTIES, ids=str)
@pytest.mark.parametrize("loss_name", sorted(REGRESSION_LOSSES))
@pytest.mark.parametrize("seed, noise, alpha", [(0, "gauss", 0.05), (1, "student", 0.005),
                                                 (2, "student", 0.3)])
def test_reaches_reference_optimum(loss_name, penalty, seed, noise, alpha):
    loss = REGRESSION_LOSSES[loss_name](**LOSS_PARAMS.get(loss_name, {}))
    X, y, sw = make_problem(loss_name, seed, noise)
    model = LossRegressor(loss=loss, penalty=penalty, alpha=alpha).fit(X, y, sample_weight=sw)
    assert model.converged_
    ref_w, ref_b = reference_fit(loss, X, y, sw, penalty, alpha)
    ours = objective(loss, X, y, sw, model.coef_, model.intercept_, penalty, alpha)
    ref = objective(loss, X, y, sw, ref_w, ref_b, penalty, alpha)
    assert (ours - ref) / abs(ref) <= 1e-6


@pytest.mark.parametrize("penalty", PENALTIES, ids=str)
@pytest.mark.parametrize("loss_name", sorted(REGRESSION_LOSSES))
def test_tight_tol_reaches_1e8(loss_name, penalty):
    loss = REGRESSION_LOSSES[loss_name](**LOSS_PARAMS.get(loss_name, {}))
    X, y, sw = make_problem(loss_name, 3, "student")
    model = LossRegressor(loss=loss, penalty=penalty, alpha=0.02, tol=1e-10).fit(
        X, y, sample_weight=sw)
    ref_w, ref_b = reference_fit(loss, X, y, sw, penalty, 0.02)
    ours = objective(loss, X, y, sw, model.coef_, model.intercept_, penalty, 0.02)
    ref = objective(loss, X, y, sw, ref_w, ref_b, penalty, 0.02)
    assert (ours - ref) / abs(ref) <= 1e-8


@pytest.mark.parametrize("loss_name", sorted(REGRESSION_LOSSES))
def test_positive_reaches_reference(loss_name):
    loss = REGRESSION_LOSSES[loss_name](**LOSS_PARAMS.get(loss_name, {}))
    X, y, sw = make_problem(loss_name, 4, "gauss")
    for penalty in ("l1", "elasticnet"):
        model = LossRegressor(loss=loss, penalty=penalty, alpha=0.01, positive=True).fit(
            X, y, sample_weight=sw)
        assert np.all(model.coef_ >= 0)
        ref_w, ref_b = reference_fit(loss, X, y, sw, penalty, 0.01, positive=True)
        ours = objective(loss, X, y, sw, model.coef_, model.intercept_, penalty, 0.01)
        ref = objective(loss, X, y, sw, ref_w, ref_b, penalty, 0.01)
        assert (ours - ref) / abs(ref) <= 1e-6
