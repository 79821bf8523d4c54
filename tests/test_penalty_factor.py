"""Per-feature penalty factors (``penalty_factor``, issue 26): every loss x penalty reaches
the cvxpy optimum with factors (zeros included), each route gives what a uniform penalty
gives on rescaled columns, unpenalised features behave as such, and the CV estimators'
grids respect the factors."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from _oracle import objective, reference_fit, reference_multinomial
from _targets import regression_target
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.linear_model import Lasso, LinearRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_losses import (LossClassifier, LossClassifierCV, LossRegressor,
                            LossRegressorCV, loss_path)
from sklearn_losses._solvers import gradient_at_null
from sklearn_losses.losses import CLASSIFICATION_LOSSES, REGRESSION_LOSSES

FACTOR = np.array([0.5, 1.0, 2.0, 0.0, 3.0, 0.25, 1.5])  # one unpenalised feature
LOSS_PARAMS = {"huber": {"delta": 0.7}, "quantile": {"quantile": 0.3},
               "epsilon_insensitive": {"epsilon": 0.2},
               "squared_epsilon_insensitive": {"epsilon": 0.2}, "tweedie": {"power": 1.5}}


def make_data(seed=0, n=90, p=7):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    X[:, 1] *= 3.0
    w = rng.standard_normal(p) * (rng.random(p) < 0.7)
    return X, X @ w, rng.uniform(0.2, 2.0, n), rng


def regression_loss(name):
    return REGRESSION_LOSSES[name](**LOSS_PARAMS.get(name, {}))


@pytest.mark.parametrize("penalty", ["l1", "l2", "elasticnet"])
@pytest.mark.parametrize("loss_name", sorted(REGRESSION_LOSSES))
def test_regression_reaches_reference_with_factors(loss_name, penalty):
    loss = regression_loss(loss_name)
    if not loss.convex:
        pytest.skip("no convex reference")
    X, signal, sw, rng = make_data(1)
    y = regression_target(loss, signal / 3, rng)
    alpha = 0.03
    model = LossRegressor(loss=loss, penalty=penalty, alpha=alpha, penalty_factor=FACTOR,
                          tol=1e-10).fit(X, y, sample_weight=sw)
    assert model.converged_
    ref_w, ref_b = reference_fit(loss, X, y, sw, penalty, alpha, factor=FACTOR)
    ours = objective(loss, X, y, sw, model.coef_, model.intercept_, penalty, alpha,
                     factor=FACTOR)
    ref = objective(loss, X, y, sw, ref_w, ref_b, penalty, alpha, factor=FACTOR)
    assert (ours - ref) / abs(ref) <= 1e-8


@pytest.mark.parametrize("penalty", ["l1", "l2", "elasticnet"])
@pytest.mark.parametrize("loss_name", sorted(CLASSIFICATION_LOSSES))
def test_binary_reaches_reference_with_factors(loss_name, penalty):
    loss = CLASSIFICATION_LOSSES[loss_name]()
    X, signal, sw, rng = make_data(2)
    y = np.where(signal + rng.standard_normal(len(signal)) > 0, 1.0, -1.0)
    alpha = 0.02
    model = LossClassifier(loss=loss, penalty=penalty, alpha=alpha, penalty_factor=FACTOR,
                           tol=1e-10).fit(X, y, sample_weight=sw)
    assert model.converged_
    ref_w, ref_b = reference_fit(loss, X, y, sw, penalty, alpha, factor=FACTOR)
    ours = objective(loss, X, y, sw, model.coef_[0], model.intercept_[0], penalty, alpha,
                     factor=FACTOR)
    ref = objective(loss, X, y, sw, ref_w, ref_b, penalty, alpha, factor=FACTOR)
    assert (ours - ref) / abs(ref) <= 1e-8


@pytest.mark.parametrize("penalty", ["l1", "l2", "elasticnet"])
def test_multinomial_reaches_reference_with_factors(penalty):
    X, signal, sw, rng = make_data(3)
    y = np.digitize(signal + 0.5 * rng.standard_normal(len(signal)), [-0.5, 0.5])
    alpha = 0.02
    model = LossClassifier(penalty=penalty, alpha=alpha, penalty_factor=FACTOR,
                           tol=1e-10).fit(X, y, sample_weight=sw)
    assert model.converged_
    ref_W, ref_b = reference_multinomial(X, y, 3, sw, penalty, alpha, factor=FACTOR)

    def total(W, b):
        raw = X @ W.T + b
        log_p = raw - np.logaddexp.reduce(raw, axis=1, keepdims=True)
        data = -np.dot(sw, log_p[np.arange(len(y)), y]) / sw.sum()
        rho = {"l1": 1.0, "l2": 0.0, "elasticnet": 0.5}[penalty]
        return data + alpha * np.sum(FACTOR * (rho * np.abs(W) + 0.5 * (1 - rho) * W**2))

    ours, ref = total(model.coef_, model.intercept_), total(ref_W, ref_b)
    assert (ours - ref) / abs(ref) <= 1e-8


@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
@pytest.mark.parametrize("loss_name", ["squared_error", "huber", "quantile"])
def test_positive_with_factors_reaches_reference(loss_name, penalty):
    # w >= 0 with factors (0 among them: an unpenalised coefficient is still >= 0)
    loss = regression_loss(loss_name)
    X, signal, sw, rng = make_data(14)
    y = regression_target(loss, signal / 3, rng)
    model = LossRegressor(loss=loss, penalty=penalty, alpha=0.02, positive=True,
                          penalty_factor=FACTOR, tol=1e-10).fit(X, y, sample_weight=sw)
    assert model.converged_ and np.all(model.coef_ >= 0)
    ref_w, ref_b = reference_fit(loss, X, y, sw, penalty, 0.02, positive=True,
                                 factor=FACTOR)
    ours = objective(loss, X, y, sw, model.coef_, model.intercept_, penalty, 0.02,
                     factor=FACTOR)
    ref = objective(loss, X, y, sw, ref_w, ref_b, penalty, 0.02, factor=FACTOR)
    assert (ours - ref) / abs(ref) <= 1e-8


def test_lasso_parity_on_rescaled_columns():
    """With positive factors, the L1 fit is scikit-learn's Lasso on the columns divided
    by the factors, its coefficients divided by them again."""
    X, signal, _, rng = make_data(4, n=200, p=12)
    y = signal + rng.standard_normal(200)
    factor = rng.uniform(0.2, 5.0, 12)
    for X_in in (X, sp.csr_matrix(X)):
        model = LossRegressor(penalty="l1", alpha=0.1, penalty_factor=factor,
                              tol=1e-12).fit(X_in, y)
        lasso = Lasso(alpha=0.1, tol=1e-15, max_iter=100_000).fit(X / factor, y)
        np.testing.assert_allclose(model.coef_, lasso.coef_ / factor, rtol=0, atol=1e-8)
        np.testing.assert_allclose(model.intercept_, lasso.intercept_, atol=1e-8)
        assert np.array_equal(model.coef_ == 0, lasso.coef_ == 0)


# (estimator parameters, data shape, how the route the fit takes begins): every route
# the solvers have, each with factors
ROUTE_CASES = [
    ("squared_error", "l2", {}, (120, 10), "normal-equations"),
    ("squared_error", "l1", {}, (300, 40), "column-working-set > gram-working-set"),
    ("squared_error", "l1", {}, (60, 400), "column-working-set"),
    ("huber", "l1", {}, (300, 20), "lbfgs"),
    ("huber", "l1", {}, (300, 1200), "lbfgs-columns"),
    ("huber", "l2", {}, (300, 20), "lbfgs"),
    ("quantile", "l1", {}, (200, 10), "smoothing > band-lp"),
    ("quantile", "l1", {"solver": "highs"}, (200, 10), "highs"),
    ("quantile", "l2", {}, (200, 10), "smoothing > crossover"),
    ("epsilon_insensitive", "l2", {}, (60, 300), "smoothing > crossover"),
]


@pytest.mark.parametrize("loss, penalty, params, shape, route", ROUTE_CASES,
                         ids=[f"{c[0]}-{c[1]}-{c[4].split()[-1]}" for c in ROUTE_CASES])
def test_every_route_equals_rescaled_columns(loss, penalty, params, shape, route):
    """A penalty with positive factors is a uniform one on rescaled columns: for L1,
    ``v = f w`` on ``X / f``; for L2, ``v = sqrt(f) w`` on ``X / sqrt(f)``. Each route
    with factors gives the coefficients the uniform fit gives on those columns."""
    n, p = shape
    rng = np.random.default_rng(5)
    X = rng.standard_normal((n, p))
    w = rng.standard_normal(p) * (rng.random(p) < min(1.0, 20 / p))
    y = X @ w + rng.standard_t(3, n)
    factor = rng.uniform(0.3, 3.0, p)
    unit = factor if penalty == "l1" else np.sqrt(factor)
    alpha = 0.05 if penalty == "l1" else 0.5
    common = dict(loss=loss, penalty=penalty, alpha=alpha, tol=1e-10, **params)
    model = LossRegressor(penalty_factor=factor, **common).fit(X, y)
    uniform = LossRegressor(**common).fit(X / unit, y)
    assert model.converged_ and uniform.converged_
    assert model.routes_[0].startswith(route)
    scale = np.max(np.abs(uniform.coef_ / unit))
    np.testing.assert_allclose(model.coef_, uniform.coef_ / unit, rtol=0, atol=1e-7 * scale)
    np.testing.assert_allclose(model.intercept_, uniform.intercept_, rtol=0,
                               atol=1e-7 * (abs(uniform.intercept_) + scale))


@pytest.mark.parametrize("n_classes", [2, 3])
def test_l2_rotation_preconditioner_with_factors(n_classes):
    """An L2 part with positive factors is isotropic in the units sqrt(f): L-BFGS-B keeps
    its curvature preconditioner there, so the factored fit takes the iterations of the
    uniform one on the rescaled columns, and the same coefficients."""
    X, y = make_classification(3000, 30, n_informative=12, n_classes=n_classes,
                               random_state=0)
    rng = np.random.default_rng(12)
    X = X * rng.uniform(0.1, 10.0, 30)  # correlated scales: a preconditioner matters
    factor = rng.uniform(0.2, 5.0, 30)
    common = dict(penalty="l2", alpha=1e-4, tol=1e-10)
    model = LossClassifier(penalty_factor=factor, **common).fit(X, y)
    uniform = LossClassifier(**common).fit(X / np.sqrt(factor), y)
    assert model.routes_[0].startswith("lbfgs") and uniform.routes_[0].startswith("lbfgs")
    assert model.n_iter_ <= uniform.n_iter_ + 2
    np.testing.assert_allclose(model.coef_, uniform.coef_ / np.sqrt(factor), rtol=0,
                               atol=1e-7 * np.abs(uniform.coef_).max())


@pytest.mark.parametrize("loss", ["squared_error", "huber", "quantile", "poisson"])
def test_unpenalised_features_stay_fitted(loss):
    """A factor of 0 leaves a feature unpenalised: with an alpha that zeroes the others,
    it keeps the coefficient of the fit on it alone (and the intercept)."""
    X, signal, sw, rng = make_data(7, n=150, p=5)
    y = regression_target(regression_loss(loss), signal / 3, rng)
    factor = np.array([1.0, 0.0, 1.0, 1.0, 0.0])
    model = LossRegressor(loss=loss, penalty="l1", alpha=1e3, penalty_factor=factor,
                          tol=1e-10).fit(X, y, sample_weight=sw)
    alone = LossRegressor(loss=loss, penalty=None, tol=1e-10).fit(X[:, [1, 4]], y,
                                                                   sample_weight=sw)
    assert np.all(model.coef_[[0, 2, 3]] == 0)
    np.testing.assert_allclose(model.coef_[[1, 4]], alone.coef_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(model.intercept_, alone.intercept_, rtol=1e-7, atol=1e-9)
    if loss == "squared_error":
        ols = LinearRegression().fit(X[:, [1, 4]], y, sample_weight=sw)
        np.testing.assert_allclose(model.coef_[[1, 4]], ols.coef_, rtol=1e-8)


def test_uniform_factor_is_alpha_times_it():
    X, signal, _, rng = make_data(8)
    y = signal + rng.standard_normal(len(signal))
    for penalty in ("l1", "l2", "elasticnet"):
        scaled = LossRegressor(penalty=penalty, alpha=0.1,
                               penalty_factor=np.full(7, 2.5)).fit(X, y)
        plain = LossRegressor(penalty=penalty, alpha=0.25).fit(X, y)
        np.testing.assert_allclose(scaled.coef_, plain.coef_, rtol=1e-12, atol=1e-14)
        assert scaled.routes_ == plain.routes_


@pytest.mark.parametrize("loss", ["squared_error", "huber", "quantile", "absolute_error",
                                  "log_loss", "hinge"])
def test_cv_grid_top_respects_factors(loss):
    """The CV grid's alpha_max is the smallest alpha that zeroes every penalised
    coefficient, with the factors (and the unpenalised feature fitted; for a
    piecewise-linear loss, the samples on kinks there taking the shares of their jumps
    that make it smallest); along the path, the fit there has exact zeros."""
    X, signal, _, rng = make_data(9, n=200, p=7)
    classifier = loss in ("log_loss", "hinge")
    y = (signal + rng.standard_normal(200) > 0).astype(int) if classifier else \
        signal + rng.standard_normal(200)
    cls = LossClassifier if classifier else LossRegressor
    alphas, coefs, _ = loss_path(X, y, loss=loss, penalty="l1", n_alphas=3,
                                 penalty_factor=FACTOR, tol=1e-10)
    top, first = alphas[0], coefs[0].reshape(-1, 7)
    penalised = FACTOR > 0
    assert np.all(first[:, penalised] == 0)
    assert np.all(first[:, ~penalised] != 0)
    if loss in ("squared_error", "huber", "log_loss"):  # (unique there)
        alone = cls(loss=loss, penalty=None, tol=1e-10).fit(X[:, ~penalised], y)
        np.testing.assert_allclose(first[:, ~penalised], np.reshape(alone.coef_, (-1, 1)),
                                   rtol=1e-6)
    below = cls(loss=loss, penalty="l1", alpha=0.97 * top, penalty_factor=FACTOR,
                tol=1e-10).fit(X, y)
    assert np.any(np.reshape(below.coef_, (-1, 7))[:, penalised] != 0)
    # the same grid in the CV estimator
    cv_cls = LossClassifierCV if classifier else LossRegressorCV
    cv = cv_cls(loss=loss, penalty="l1", n_alphas=3, penalty_factor=FACTOR, cv=3,
                tol=1e-10).fit(X, y)
    np.testing.assert_allclose(cv.alphas_, alphas, rtol=1e-10)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("loss", ["squared_error", "quantile", "log_loss"])
def test_grid_top_in_any_units_and_offsets(loss, sparse):
    # the grid's alpha_max with an unpenalised feature (its null fit, and for quantile
    # the LP over the on-kink shares) is the same on columns around 1e9 (timestamps) and
    # in units from 1e-9 to 1e6, each penalised factor following its column's units
    X, signal, _, rng = make_data(16, n=200, p=7)
    classifier = loss == "log_loss"
    y = (signal + rng.standard_normal(200) > 0).astype(int) if classifier else \
        signal + rng.standard_normal(200)
    D = np.array([1e-9, 1.0, 1e6, 1e-3, 1.0, 1e3, 1e-6])
    shifted = X * D + np.array([1e9, 0.0, -1e9, 0.0, 1.7e9, 0.0, 0.0]) * D
    alphas, coefs, _ = loss_path(X, y, loss=loss, penalty="l1", n_alphas=2,
                                 penalty_factor=FACTOR, tol=1e-10)
    alphas_b, coefs_b, _ = loss_path(sp.csr_matrix(shifted) if sparse else shifted, y,
                                     loss=loss, penalty="l1", n_alphas=2,
                                     penalty_factor=FACTOR * D, tol=1e-10)
    np.testing.assert_allclose(alphas_b, alphas, rtol=1e-6)
    first = np.reshape(coefs_b[0], (-1, 7))
    assert np.all(first[:, FACTOR > 0] == 0)
    np.testing.assert_allclose(first[:, FACTOR == 0] * D[FACTOR == 0],
                               np.reshape(coefs[0], (-1, 7))[:, FACTOR == 0], rtol=1e-5)
    # the gradient at the unpenalised feature's fit itself, every entry, on columns
    # around 1e9 (taken on X's own columns it was off by 8x; for quantile, the samples
    # on kinks were missed by the rounding of the intercept on such columns)
    cls = LossClassifier if classifier else LossRegressor
    model = cls(loss=loss, penalty="l1", penalty_factor=FACTOR)
    gradients = [gradient_at_null(model._prepare(data, y, None).problems[0],
                                  model._penalty(7), 1e-10, 1000)
                 for data in (X, X + 1e9, sp.csr_matrix(X + 1e9) if sparse else X - 1e9)]
    for g in gradients[1:]:
        np.testing.assert_allclose(g, gradients[0], rtol=0,
                                   atol=1e-6 * np.abs(gradients[0]).max())


def test_positive_alpha_max_counts_only_negative_gradients():
    # with w >= 0, a feature whose gradient at the null model is positive stays at 0 by
    # its bound: the grid's top zeroes the others exactly, and just below it one enters
    X, signal, _, rng = make_data(15, n=200, p=7)
    y = signal - 3.0 * X[:, 1] + rng.standard_normal(200)  # the largest |g|: positive
    for factor in (None, FACTOR):
        alphas, coefs, _ = loss_path(X, y, penalty="l1", n_alphas=3, positive=True,
                                     penalty_factor=factor, tol=1e-10)
        penalised = np.ones(7, dtype=bool) if factor is None else FACTOR > 0
        assert np.all(coefs[0][penalised] == 0)
        below = LossRegressor(penalty="l1", alpha=0.97 * alphas[0], positive=True,
                              penalty_factor=factor, tol=1e-10).fit(X, y)
        assert np.any(below.coef_[penalised] > 0)
        unsigned, _, _ = loss_path(X, y, penalty="l1", n_alphas=3, penalty_factor=factor)
        assert alphas[0] < unsigned[0]  # some gradient is positive here


@pytest.mark.parametrize("factor, match", [
    ([1.0, 2.0], "one number per feature of X \\(7\\)"),
    (np.ones((7, 1)), "one number per feature"),
    ("abc", "penalty_factor"),
    ([1, 1, 1, -1, 1, 1, 1], "finite and >= 0"),
    ([1, 1, 1, np.nan, 1, 1, 1], "finite and >= 0"),
])
@pytest.mark.parametrize("cls", [LossRegressor, LossRegressorCV])
def test_bad_factor_raises(cls, factor, match):
    X, signal, _, _ = make_data(10)
    with pytest.raises(ValueError, match=match):
        cls(penalty="l1", penalty_factor=factor).fit(X, signal)


def test_factor_as_a_dict_of_names_or_positions():
    # a dict sets some features' factors by name (pandas columns) or position, the
    # others keep 1: the same fit as the whole array, in the CV estimators and paths too
    pd = pytest.importorskip("pandas")
    X, signal, _, rng = make_data(13, n=150)
    y = signal + rng.standard_normal(150)
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(7)])
    array = np.ones(7)
    array[[2, 5]] = 0.0, 3.0
    expected = LossRegressor(penalty="l1", alpha=0.2, penalty_factor=array).fit(X, y)
    for factor, data in (({"x2": 0.0, "x5": 3.0}, frame), ({2: 0.0, 5: 3.0}, X),
                         ({2: 0.0, "x5": 3.0}, frame)):
        model = LossRegressor(penalty="l1", alpha=0.2, penalty_factor=factor).fit(data, y)
        np.testing.assert_array_equal(model.coef_, expected.coef_)
    cv = LossRegressorCV(penalty="l1", n_alphas=4, cv=3, penalty_factor={"x2": 0.0})
    cv.fit(frame, y)
    reference = LossRegressorCV(penalty="l1", n_alphas=4, cv=3,
                                penalty_factor=[1, 1, 0, 1, 1, 1, 1]).fit(X, y)
    np.testing.assert_allclose(cv.alphas_, reference.alphas_)
    np.testing.assert_allclose(cv.coef_, reference.coef_)
    alphas, _, _ = loss_path(frame, y, n_alphas=4, penalty_factor={"x2": 0.0})
    np.testing.assert_allclose(alphas, reference.alphas_)
    for bad, match in (({"age": 0.0}, "names feature 'age'.*x0, x1"),
                       ({7: 0.0}, "positions 0 to 6"), ({True: 0.0}, "names feature True"),
                       ({"x2": -1.0}, "finite and >= 0"),
                       ({"x2": "none"}, "penalty_factor\\['x2'\\] must be a number")):
        with pytest.raises(ValueError, match=match):
            LossRegressor(penalty="l1", penalty_factor=bad).fit(frame, y)
    with pytest.raises(ValueError, match="names feature 'x2'.*positions 0 to 6"):
        LossRegressor(penalty="l1", penalty_factor={"x2": 0.0}).fit(X, y)
    # a Series indexed by names is matched by name, whatever its order
    series = pd.Series(array, index=frame.columns)[::-1]
    model = LossRegressor(penalty="l1", alpha=0.2, penalty_factor=series).fit(frame, y)
    np.testing.assert_array_equal(model.coef_, expected.coef_)


def test_factor_in_pipeline_grid_search_clone_pickle():
    X, signal, _, rng = make_data(11, n=120)
    y = signal + rng.standard_normal(120)
    factor = [1.0, 1.0, 0.0, 2.0, 1.0, 1.0, 0.5]
    pipe = make_pipeline(StandardScaler(), LossRegressor(penalty="l1",
                                                          penalty_factor=factor))
    search = GridSearchCV(pipe, {"lossregressor__alpha": [0.01, 0.1]}, cv=3).fit(X, y)
    model = search.best_estimator_[-1]
    assert model.coef_[2] != 0
    assert clone(model).get_params()["penalty_factor"] == factor
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict(X), model.predict(X))
