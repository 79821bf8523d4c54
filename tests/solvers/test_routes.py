"""The route table: which route solves a problem (read off its result), the choice
of solver, the problem's cache across fits, the routes' limits, BLAS threads."""

from dataclasses import replace

import numpy as np
import pytest
from _oracle import assert_coef_close
from sklearn.datasets import make_regression
from sklearn.linear_model import Lasso, Ridge

from sklearn_losses import Huber, LossRegressor
from sklearn_losses._solvers import (DEFAULT_OPTIONS, FitCache, Problem, SolverOptions,
                                     solve)
from sklearn_losses.losses import SquaredError, resolve_loss
from sklearn_losses.penalties import Penalty


@pytest.mark.parametrize("loss, penalty, positive, shape, route", [
    ("squared_error", "l2", False, (300, 12), "normal-equations"),
    ("squared_error", None, False, (40, 12), "normal-equations"),
    ("squared_error", "l1", False, (300, 12), "column-working-set"),
    ("squared_error", "l1", False, (40, 12), "column-working-set"),
    ("squared_error", None, True, (300, 12), "column-working-set"),
    ("huber", "l1", False, (300, 12), "lbfgs"),
    ("huber", "l2", False, (300, 12), "lbfgs"),
    ("huber", "l1", False, (150, 1000), "lbfgs-columns"),
    ("quantile", "l1", False, (300, 12), "smoothing"),
    ("absolute_error", "l2", False, (300, 12), "smoothing"),
])
def test_route_names_how_a_fit_was_solved(loss, penalty, positive, shape, route):
    # The first route of a fit's result is the one the route table chose for the loss's
    # and penalty's capabilities and the data's shape; the estimator reports it.
    X, y = make_regression(*shape, n_informative=10, noise=5.0, random_state=0)
    y = y / np.std(y)
    model = LossRegressor(loss, penalty=penalty, alpha=0.01, positive=positive).fit(X, y)
    assert model.routes_[0].split(" > ")[0] == route
    assert model.converged_


def test_zero_route_at_alpha_max():
    # At alpha_max the gradient at w = 0 certifies the optimum: the "zero" route, no
    # iteration; just below it a solver runs.
    X, y = make_regression(200, 8, noise=5.0, random_state=0)
    prob = Problem(SquaredError(), X, y, np.ones(200))
    top = Penalty("l1").alpha_max(prob.gradient_at_zero())
    res = solve(prob, Penalty("l1", top))
    assert res.route == "zero" and res.n_iter == 0 and not res.coef.any()
    assert solve(prob, Penalty("l1", 0.9 * top)).route != "zero"


def test_solver_choice_refusals():
    prob = Problem(resolve_loss("absolute_error"), np.ones((3, 1)), np.arange(3.0),
                   np.ones(3))
    with pytest.raises(ValueError, match="solver='lbfgs' needs a smooth loss"):
        solve(prob, Penalty("l2", 0.1), solver="lbfgs")
    with pytest.raises(ValueError, match="cannot handle an L2 part"):
        solve(prob, Penalty("l2", 0.1), solver="highs")


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_first_normal_equations_then_l1_on_the_same_cache(fit_intercept):
    # A first L2 fit on new data solves the normal equations without the tolerance
    # scales; an L1 refit on the same cache computes them and reuses its Gram matrix.
    X, y = make_regression(300, 12, n_informative=6, noise=10.0, random_state=0)
    y = y / 10
    sw = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    prob = Problem(SquaredError(), X, y, sw, fit_intercept)
    kwargs = dict(solver="lbfgs", tol=1e-10, intercept_init=np.zeros(1))
    ridge = solve(prob, Penalty("l2", 0.3), **kwargs)
    assert ridge.route == "normal-equations" and ridge.exact
    assert prob.cache.gram is not None and prob.cache.scales is None
    ref = Ridge(alpha=0.3 * np.sum(sw), fit_intercept=fit_intercept).fit(X, y, sample_weight=sw)
    assert_coef_close(ridge.coef[0], ref.coef_, rtol=1e-10)
    assert ridge.intercept[0] == pytest.approx(ref.intercept_, abs=1e-10 * np.max(np.abs(y)))
    gram_before = prob.cache.gram
    lasso = solve(prob, Penalty("l1", 0.05), **kwargs)
    assert prob.cache.scales is not None and prob.cache.gram is gram_before
    assert lasso.route.startswith("gram-working-set")
    ref = Lasso(alpha=0.05, fit_intercept=fit_intercept, tol=1e-14, max_iter=100_000)
    ref.fit(X, y, sample_weight=sw * len(y) / np.sum(sw))
    assert_coef_close(lasso.coef[0], ref.coef_, rtol=1e-6)


def test_fit_cache_is_per_problem():
    # two problems on the same X keep their own caches (a path's alphas share one)
    X, y = make_regression(100, 5, random_state=0)
    a, b = (Problem(SquaredError(), X, y, np.ones(100)) for _ in range(2))
    assert isinstance(a.cache, FitCache) and a.cache is not b.cache
    solve(a, Penalty("l1", 0.1))
    assert a.cache.scales is not None and b.cache.scales is None


def test_options_are_frozen_data():
    # SolverOptions is data: a changed copy, never a changed default
    assert isinstance(DEFAULT_OPTIONS, SolverOptions)
    with pytest.raises(AttributeError):
        DEFAULT_OPTIONS.gram_max_features = 10
    assert DEFAULT_OPTIONS.p_by_p_pays(1200, 300) and not DEFAULT_OPTIONS.p_by_p_pays(1199, 300)
    assert not replace(DEFAULT_OPTIONS, gram_max_features=0).p_by_p_pays(10**6, 1)


class _ThreadsSeen(Huber):
    """Huber recording the BLAS libraries' thread counts while the solver evaluates it."""

    seen = []

    def loss_gradient(self, y, raw):
        from threadpoolctl import threadpool_info

        if len(self.seen) < 3:
            self.seen.append({i["filepath"]: i["num_threads"] for i in threadpool_info()
                              if i["user_api"] == "blas"})
        return super().loss_gradient(y, raw)


def test_blas_limited_to_one_thread_while_solving_and_restored():
    # numpy's and scipy's OpenBLAS pools spin against each other on few cores: a fit
    # solves with one BLAS thread and gives the user's setting back afterwards
    from threadpoolctl import threadpool_info, threadpool_limits

    X, y = make_regression(n_samples=200, n_features=20, noise=1.0, random_state=0)
    _ThreadsSeen.seen.clear()
    with threadpool_limits(limits=2, user_api="blas"):
        before = {i["filepath"]: i["num_threads"] for i in threadpool_info()
                  if i["user_api"] == "blas"}
        if not before:
            pytest.skip("no BLAS library that threadpoolctl can control")
        LossRegressor(_ThreadsSeen(), penalty="l1", alpha=0.01).fit(X, y)
        after = {i["filepath"]: i["num_threads"] for i in threadpool_info()
                 if i["user_api"] == "blas"}
    seen = _ThreadsSeen.seen
    assert seen and all(set(s.values()) == {1} for s in seen)
    assert after == before
