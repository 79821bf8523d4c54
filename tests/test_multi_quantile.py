"""MultiQuantileRegressor: several quantiles in one LP, never crossing on the training
samples; against cvxpy, the independent fits, and in any units."""

import numpy as np
import pytest
import scipy.sparse as sp
from _oracle import multi_quantile_objective, reference_multi_quantile
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV

from sklearn_losses import (
    LossRegressor,
    MultiQuantileRegressor,
    Quantile,
    loss_scorer,
    multi_quantile_scorer,
)
from sklearn_losses import metrics as M

LEVELS = [0.1, 0.3, 0.35, 0.4, 0.5, 0.9]


def heteroscedastic(n=60, p=3, seed=0):
    """Noise growing with the first feature: nearby levels fitted alone cross."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(0, 1, (n, p))
    y = X[:, 0] + (0.1 + X[:, 0]) * rng.standard_normal(n)
    return X, y, rng.uniform(0.5, 2.0, n)


def crossings(pred):
    return int(np.sum(np.diff(pred, axis=1) < -1e-9))


@pytest.mark.parametrize("fit_intercept, penalty, n", [
    (True, "l1", 60), (False, "l1", 60), (True, None, 60), (True, "l1", 400)])
def test_joint_fit_is_the_reference_optimum_and_never_crosses(fit_intercept, penalty, n):
    # the band LP's rounds (samples near their kinks, constraints where the levels
    # cross) reach the whole constrained LP's optimum, with or without a penalty
    X, y, sw = heteroscedastic(n=n)
    alpha = 1e-3 if penalty else 0.0
    independent = MultiQuantileRegressor(LEVELS, penalty=penalty, alpha=alpha,
                                         non_crossing=False,
                                         fit_intercept=fit_intercept).fit(X, y, sw)
    joint = MultiQuantileRegressor(LEVELS, penalty=penalty, alpha=alpha,
                                   fit_intercept=fit_intercept).fit(X, y, sw)
    assert crossings(independent.predict(X)) > 0  # the data make them cross
    assert crossings(joint.predict(X)) == 0 and joint.converged_
    ref_w, ref_b = reference_multi_quantile(X, y, sw, LEVELS, alpha, fit_intercept)
    ours = multi_quantile_objective(X, y, sw, LEVELS, alpha, joint.coef_, joint.intercept_)
    ref = multi_quantile_objective(X, y, sw, LEVELS, alpha, ref_w, ref_b)
    free = multi_quantile_objective(X, y, sw, LEVELS, alpha, independent.coef_,
                                    independent.intercept_)
    assert (ours - ref) / abs(ref) <= 1e-8
    assert free <= ours  # the constraint costs something here


def test_penalty_factor_reaches_the_reference():
    # per-feature factors (one unpenalised feature) in the joint LP's costs and in the
    # independent fits
    X, y, sw = heteroscedastic(n=80, p=4, seed=3)
    factor = np.array([0.0, 1.0, 3.0, 0.5])
    alpha = 3e-3
    joint = MultiQuantileRegressor(LEVELS, alpha=alpha, penalty_factor=factor).fit(X, y, sw)
    assert crossings(joint.predict(X)) == 0 and joint.converged_
    ref_w, ref_b = reference_multi_quantile(X, y, sw, LEVELS, alpha, factor=factor)
    ours = multi_quantile_objective(X, y, sw, LEVELS, alpha, joint.coef_, joint.intercept_,
                                    factor)
    ref = multi_quantile_objective(X, y, sw, LEVELS, alpha, ref_w, ref_b, factor)
    assert (ours - ref) / abs(ref) <= 1e-8


def test_without_crossing_the_levels_are_the_independent_fits():
    # levels far apart on homoscedastic data: no constraint binds, and each level is
    # LossRegressor(Quantile(q), penalty="l1")'s fit; non_crossing=False is those fits
    rng = np.random.default_rng(1)
    X = rng.standard_normal((200, 4))
    y = X @ [1.0, -2.0, 0.0, 0.5] + rng.standard_normal(200)
    joint = MultiQuantileRegressor([0.9, 0.1], alpha=1e-3).fit(X, y)
    np.testing.assert_array_equal(joint.quantiles_, [0.1, 0.9])
    for k, q in enumerate(joint.quantiles_):
        alone = LossRegressor(Quantile(quantile=q), penalty="l1", alpha=1e-3).fit(X, y)
        np.testing.assert_allclose(joint.coef_[k], alone.coef_, atol=1e-9)
        assert joint.intercept_[k] == pytest.approx(alone.intercept_, abs=1e-9)
    free = MultiQuantileRegressor([0.1, 0.9], alpha=1e-3, non_crossing=False,
                                  penalty="elasticnet").fit(X, y)
    alone = LossRegressor(Quantile(quantile=0.9), penalty="elasticnet", alpha=1e-3).fit(X, y)
    np.testing.assert_allclose(free.coef_[1], alone.coef_)


def test_units_offsets_sparse_and_weights_change_nothing():
    # far column offsets (timestamps) and y in other units (the pinball loss and the L1
    # penalty both scale with it: the same alpha), or, without a penalty, columns in
    # tiny and huge units: the same quantiles mapped back; sparse X and integer weights
    # (= repeated rows) alike
    X, y, _ = heteroscedastic(n=50)
    base = MultiQuantileRegressor(LEVELS[:3], alpha=1e-3).fit(X, y)
    offset, c = np.array([1.7e9, 0.0, -3e4]), 1e4
    moved = MultiQuantileRegressor(LEVELS[:3], alpha=1e-3).fit(X + offset, c * y)
    np.testing.assert_allclose(moved.predict(X + offset), c * base.predict(X),
                               rtol=1e-7, atol=1e-6 * c)
    scale = np.array([1e-6, 1.0, 1e6])
    plain = MultiQuantileRegressor(LEVELS[:3], penalty=None).fit(X, y)
    scaled = MultiQuantileRegressor(LEVELS[:3], penalty=None).fit(X * scale, y)
    np.testing.assert_allclose(scaled.predict(X * scale), plain.predict(X), atol=1e-7)
    sparse = MultiQuantileRegressor(LEVELS[:3], alpha=1e-3).fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(sparse.predict(X), base.predict(X), atol=1e-9)
    counts = np.arange(len(y)) % 3
    weighted = MultiQuantileRegressor(LEVELS[:3], alpha=1e-3).fit(X, y, counts)
    repeated = MultiQuantileRegressor(LEVELS[:3], alpha=1e-3).fit(
        np.repeat(X, counts, axis=0), np.repeat(y, counts))
    ours = multi_quantile_objective(X, y, counts.astype(float), LEVELS[:3], 1e-3,
                                    weighted.coef_, weighted.intercept_)
    again = multi_quantile_objective(X, y, counts.astype(float), LEVELS[:3], 1e-3,
                                     repeated.coef_, repeated.intercept_)
    assert ours == pytest.approx(again, rel=1e-9)


def test_no_penalty_and_scores():
    X, y, sw = heteroscedastic()
    model = MultiQuantileRegressor(LEVELS, penalty=None).fit(X, y)
    assert crossings(model.predict(X)) == 0
    expected = np.mean([M.pinball_loss(y, model.predict(X)[:, k], quantile=q)
                        for k, q in enumerate(LEVELS)])
    assert model.score(X, y) == pytest.approx(-expected)
    assert multi_quantile_scorer(LEVELS)(model, X, y) == pytest.approx(-expected)
    assert loss_scorer(model)(model, X, y) == pytest.approx(-expected)
    grid = GridSearchCV(MultiQuantileRegressor(LEVELS[:3]), {"alpha": [1e-3, 1e-1]}, cv=3,
                        scoring=loss_scorer(MultiQuantileRegressor(LEVELS[:3]))).fit(X, y)
    assert grid.best_params_["alpha"] in (1e-3, 1e-1)


@pytest.mark.parametrize("params, match", [
    ({"quantiles": [0.1, 1.0]}, "strictly between 0 and 1"),
    ({"quantiles": []}, "non-empty"),
    ({"quantiles": [0.5, 0.5]}, "distinct"),
    ({"penalty": "l2"}, "cannot hold an L2 part .* non_crossing=False"),
    ({"alpha": -1.0}, "'alpha' parameter"),
])
def test_bad_parameters_are_named(params, match):
    X, y, _ = heteroscedastic()
    with pytest.raises(ValueError, match=match):
        MultiQuantileRegressor(**params).fit(X, y)


def test_unfitted_and_wrong_shapes():
    X, y, _ = heteroscedastic()
    with pytest.raises(NotFittedError):
        MultiQuantileRegressor().predict(X)
    with pytest.raises(ValueError, match="one column per quantile"):
        M.multi_pinball_loss(y, np.zeros((len(y), 2)), quantiles=[0.1, 0.5, 0.9])
