"""LossRegressor against scikit-learn's estimators, and its input handling."""

import pickle
from functools import partial

import numpy as np
import pytest
import scipy.sparse as sp
from _oracle import assert_coef_close, assert_same_optimum
from _targets import into_domain, log_link
from sklearn.base import clone
from sklearn.datasets import make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import (
    ElasticNet,
    GammaRegressor,
    Lasso,
    PoissonRegressor,
    QuantileRegressor,
    Ridge,
    TweedieRegressor,
)
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_losses import Gamma, Huber, LossRegressor, Quantile, Tweedie
from sklearn_losses.losses import REGRESSION_LOSSES


@pytest.fixture(scope="module")
def data():
    X, y = make_regression(n_samples=300, n_features=12, n_informative=6, noise=10.0,
                           random_state=0)
    return X, y / 10


@pytest.mark.parametrize("n_samples", [300, 40], ids=["gram", "on-X"])
@pytest.mark.parametrize("alpha", [0.01, 0.3])
def test_matches_lasso_elasticnet_ridge(data, alpha, n_samples):
    # 300 x 12 is solved in Gram form; 40 x 12 (fewer than 4 samples per feature): L1 on
    # a working set of X's columns, L2 by the normal equations (p <= 2 n)
    X, y = data[0][:n_samples], data[1][:n_samples]
    n = len(y)
    for penalty, ref in [
        ("l1", Lasso(alpha=alpha, tol=1e-12, max_iter=100_000)),
        ("elasticnet", ElasticNet(alpha=alpha, l1_ratio=0.5, tol=1e-12, max_iter=100_000)),
        ("l2", Ridge(alpha=n * alpha)),
    ]:
        ours = LossRegressor(penalty=penalty, alpha=alpha).fit(X, y)
        ref.fit(X, y)
        assert_coef_close(ours.coef_, ref.coef_)
        assert ours.intercept_ == pytest.approx(ref.intercept_, rel=1e-4, abs=1e-4)
        if penalty == "l1":
            assert np.array_equal(ours.coef_ == 0, ref.coef_ == 0)


def test_column_working_set_at_its_cap_after_nnls():
    # n << p with an unscaled y: a column working set capped at n (50) fills, and its
    # problem, singular at 50 columns, is solved by NNLS with a tiny ridge; its zero
    # coefficients still leave and violators join (L-BFGS-B on X instead ran out of
    # iterations here). Lasso's optimum.
    X, y = make_regression(n_samples=50, n_features=350, n_informative=17, noise=5.0,
                           random_state=0)
    ref = Lasso(alpha=0.1, tol=1e-14, max_iter=1_000_000).fit(X, y)
    ours = LossRegressor(penalty="l1", alpha=0.1).fit(X, y)
    assert ours.converged_
    assert_same_optimum(ours.coef_, ref.coef_, rtol=1e-6)


@pytest.mark.parametrize("q, alpha", [(0.5, 0.0), (0.2, 0.01), (0.8, 0.1)])
def test_matches_quantile_regressor(data, q, alpha):
    X, y = data
    ours = LossRegressor(Quantile(quantile=q), penalty="l1", alpha=alpha).fit(X, y)
    ref = QuantileRegressor(quantile=q, alpha=alpha, solver="highs").fit(X, y)
    assert_coef_close(ours.coef_, ref.coef_)
    assert ours.intercept_ == pytest.approx(ref.intercept_, rel=1e-4, abs=1e-4)


@pytest.mark.parametrize("loss", sorted(REGRESSION_LOSSES))
@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
def test_sparse_equals_dense(data, loss, penalty):
    X, y = data
    if log_link(REGRESSION_LOSSES[loss]):
        y = np.exp(y / 5)
    dense = LossRegressor(loss, penalty=penalty, alpha=0.01).fit(X, y)
    for fmt in ("csr", "csc"):
        sparse = LossRegressor(loss, penalty=penalty, alpha=0.01).fit(sp.csr_matrix(X).asformat(fmt), y)
        assert_coef_close(sparse.coef_, dense.coef_, rtol=1e-5)
        np.testing.assert_allclose(sparse.predict(X), dense.predict(X), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("loss", ["squared_error", "huber", "quantile"])
def test_float32_input(data, loss):
    X, y = data
    m64 = LossRegressor(loss, alpha=0.01).fit(X, y)
    m32 = LossRegressor(loss, alpha=0.01).fit(X.astype(np.float32), y.astype(np.float32))
    assert_coef_close(m32.coef_, m64.coef_, rtol=1e-4)
    # float32 kept, as scikit-learn's linear models keep it (solved in float64)
    assert m32.coef_.dtype == np.float32 and m32.intercept_.dtype == np.float32
    assert m32.predict(X.astype(np.float32)).dtype == np.float32
    assert m32.predict(X.astype(np.float32)).shape == (len(y),)
    assert m64.coef_.dtype == np.float64 and isinstance(m64.intercept_, float)


def test_inputs_not_modified(data):
    X, y = data
    X, y = X.copy(), y.copy()
    sw = np.linspace(0.5, 2, len(y))
    copies = X.copy(), y.copy(), sw.copy()
    for loss in REGRESSION_LOSSES:
        yy = into_domain(REGRESSION_LOSSES[loss](), y)
        LossRegressor(loss, penalty="elasticnet", alpha=0.01).fit(X, yy, sample_weight=sw)
    for original, copy in zip((X, y, sw), copies):
        np.testing.assert_array_equal(original, copy)


def test_warm_start_starts_from_last_solution(data):
    X, y = data
    model = LossRegressor("huber", penalty="l1", alpha=0.01, warm_start=True).fit(X, y)
    first = model.n_iter_
    model.fit(X, y)
    assert model.n_iter_ < first
    assert model.n_iter_ <= 2
    cold = LossRegressor("huber", penalty="l1", alpha=0.02).fit(X, y)
    warm = model.set_params(alpha=0.02).fit(X, y)
    assert_coef_close(warm.coef_, cold.coef_)


def test_multi_target_is_independent_fits(data):
    X, y = data
    Y = np.column_stack([y, -2 * y + 1, y**2 / 10])
    multi = LossRegressor("huber", penalty="l1", alpha=0.01).fit(X, Y)
    assert multi.coef_.shape == (3, X.shape[1]) and multi.intercept_.shape == (3,)
    for k in range(3):
        single = LossRegressor("huber", penalty="l1", alpha=0.01).fit(X, Y[:, k])
        assert_coef_close(multi.coef_[k], single.coef_)
    assert multi.predict(X).shape == (len(y), 3)


def test_positive(data):
    X, y = data
    model = LossRegressor(positive=True, penalty=None).fit(X, y)
    assert np.all(model.coef_ >= 0) and np.any(model.coef_ == 0)


def test_l1_gives_exact_zeros(data):
    X, y = data
    model = LossRegressor("huber", penalty="l1", alpha=0.05).fit(X, y)
    assert np.sum(model.coef_ == 0.0) >= 3


def test_poisson_predicts_exp(data):
    X, _ = data
    rng = np.random.default_rng(0)
    y = rng.poisson(np.exp(0.3 * X[:, 0] / X[:, 0].std())).astype(float)
    model = LossRegressor("poisson", alpha=1e-3).fit(X, y)
    raw = X @ model.coef_ + model.intercept_
    np.testing.assert_allclose(model.predict(X), np.exp(raw))
    ref = PoissonRegressor(alpha=1e-3, tol=1e-10, max_iter=1000).fit(X, y)
    assert_coef_close(model.coef_, ref.coef_)


@pytest.mark.parametrize("power", [1.3, 1.5, 2.0, 3.0])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_tweedie_and_gamma_equal_scikit_learn(power, fit_intercept):
    # penalty="l2" is TweedieRegressor(power, link="log") / GammaRegressor: the same
    # objective (half the deviance, alpha on |w|^2 / 2), the same optimum to 1e-8 of the
    # coefficients' scale, and ours no higher to rounding; predict is exp(raw)
    rng = np.random.default_rng(5)
    X = rng.standard_normal((300, 6)) * [1, 2, 0.5, 1, 3, 1]
    mu = np.exp(0.2 * X @ rng.standard_normal(6) + 1.0)
    y = rng.poisson(mu) * rng.gamma(2.0, 0.5, 300) if power < 2 else rng.gamma(2.0, mu / 2)
    sw = rng.uniform(0.5, 2.0, 300)
    loss = Gamma() if power == 2 else Tweedie(power=power)
    ours = LossRegressor(loss, alpha=0.02, fit_intercept=fit_intercept, tol=1e-10).fit(
        X, y, sample_weight=sw)
    Ref = (partial(GammaRegressor) if power == 2
           else partial(TweedieRegressor, power=power, link="log"))
    # newton-cholesky: exact to rounding (scikit-learn's lbfgs stops about 1e-8 away);
    # above power 2 it refuses (the loss is concave on many samples) and lbfgs is the
    # reference, to its own accuracy
    convex = power <= 2
    ref = Ref(alpha=0.02, fit_intercept=fit_intercept, tol=1e-14, max_iter=10000,
              solver="newton-cholesky" if convex else "lbfgs").fit(X, y, sample_weight=sw)
    assert ours.converged_
    scale, close = np.abs(ref.coef_).max(), 1e-8 if convex else 1e-6
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=0, atol=close * scale)
    assert ours.intercept_ == pytest.approx(ref.intercept_, abs=close * max(scale, 1))
    np.testing.assert_allclose(ours.predict(X), np.exp(X @ ours.coef_ + ours.intercept_))

    def value(model):
        raw = X @ model.coef_ + model.intercept_
        return (np.dot(sw, loss.loss(y, raw)) / sw.sum()
                + 0.01 * np.dot(model.coef_, model.coef_))

    assert value(ours) <= value(ref) + 1e-13 * abs(value(ref))


def test_pandas_feature_names(data):
    pd = pytest.importorskip("pandas")
    X, y = data
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    model = LossRegressor().fit(df, y)
    assert list(model.feature_names_in_) == list(df.columns)
    np.testing.assert_allclose(model.predict(df), X @ model.coef_ + model.intercept_)


@pytest.mark.parametrize("loss", ["huber", Huber()])
def test_pipeline_gridsearch_tunes_loss_parameter(data, loss):
    # a loss given by name is tuned as one given as an object
    X, y = data
    pipe = make_pipeline(StandardScaler(), LossRegressor(loss, penalty="l1"))
    grid = GridSearchCV(pipe, {"lossregressor__loss__delta": [0.5, 2.0],
                               "lossregressor__alpha": [1e-3, 1e-1]}, cv=3)
    grid.fit(X, y)
    assert grid.best_params_["lossregressor__loss__delta"] in (0.5, 2.0)
    fitted = grid.best_estimator_[-1]
    assert fitted.loss_.delta == grid.best_params_["lossregressor__loss__delta"]
    assert fitted.loss.delta == fitted.loss_.delta


def test_user_loss_object_not_modified_and_clone(data):
    X, y = data
    huber = Huber(delta=2.0)
    model = LossRegressor(huber).fit(X, y)
    assert model.loss is huber and model.loss_ is not huber
    assert clone(model).loss.delta == 2.0
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))


def test_solver_choice_and_refusals(data):
    X, y = data
    with pytest.raises(ValueError, match="solver='lbfgs' needs a smooth loss"):
        LossRegressor("absolute_error", solver="lbfgs").fit(X, y)
    with pytest.raises(ValueError, match="cannot handle an L2 part"):
        LossRegressor("quantile", solver="highs", penalty="l2").fit(X, y)
    with pytest.raises(ValueError, match="piecewise-linear losses"):
        LossRegressor("huber", solver="smoothing").fit(X, y)
    a = LossRegressor("quantile", penalty="l1", alpha=0.01, solver="smoothing").fit(X, y)
    b = LossRegressor("quantile", penalty="l1", alpha=0.01, solver="highs").fit(X, y)
    assert_coef_close(a.coef_, b.coef_, rtol=1e-3)


def test_convergence_warning_names_solver_and_keeps_iterate(data):
    X, y = data
    with pytest.warns(ConvergenceWarning, match="'lbfgs' solver did not converge.*max_iter"):
        model = LossRegressor("huber", penalty="l1", alpha=1e-4, max_iter=2).fit(X, y)
    assert not model.converged_ and np.all(np.isfinite(model.coef_))


def test_bad_parameters(data):
    X, y = data
    with pytest.raises(ValueError, match="'loss' parameter .* among .*'huber'"):
        LossRegressor("hubber").fit(X, y)
    with pytest.raises(ValueError, match="alpha"):
        LossRegressor(alpha=-1.0).fit(X, y)
    with pytest.raises(ValueError, match="delta"):
        LossRegressor(Huber(delta=-1.0)).fit(X, y)
    with pytest.raises(ValueError, match="'poisson' loss requires targets y >= 0"):
        LossRegressor("poisson").fit(X, y)
    with pytest.raises(ValueError, match="at least one non-zero"):
        LossRegressor().fit(X, y, sample_weight=np.zeros(len(y)))


def test_set_params_of_a_loss_given_by_name():
    # loss__quantile on loss="quantile" makes the object Quantile(quantile=0.8), and the
    # fit is the one with that object; an unknown name or parameter is refused by name
    X, y = make_regression(60, 3, noise=5.0, random_state=0)
    model = LossRegressor("quantile", penalty="l1", alpha=0.01)
    assert model.set_params(loss__quantile=0.8) is model
    assert isinstance(model.loss, Quantile) and model.loss.quantile == 0.8
    ref = LossRegressor(Quantile(quantile=0.8), penalty="l1", alpha=0.01).fit(X, y)
    np.testing.assert_array_equal(model.fit(X, y).coef_, ref.coef_)
    assert LossRegressor().set_params(loss="huber", loss__delta=3.0).loss.delta == 3.0
    with pytest.raises(ValueError, match="Unknown regression loss 'hubre'"):
        LossRegressor("hubre").set_params(loss__delta=3.0)
    with pytest.raises(ValueError, match="Invalid parameter 'quantil'"):
        LossRegressor("quantile").set_params(loss__quantil=0.8)


@pytest.mark.parametrize("loss", ["poisson", "tweedie", "gamma"])
@pytest.mark.parametrize("c", [1e-12, 1e12])
def test_log_link_targets_in_any_units(loss, c):
    # y * c moves only the intercept (by log c) of an unpenalised log-link fit. The
    # tolerance is held no finer than the gradient's rounding, which for Tweedie and
    # gamma is that of mu^(2-p) and y mu^(1-p), not of y: with |y| taken instead, y in
    # units of 1e12 stopped the fit after 1-4 iterations, coefficients 0.1-0.3 % off.
    rng = np.random.default_rng(3)
    X = rng.standard_normal((50, 3))
    y = into_domain(REGRESSION_LOSSES[loss](), np.exp(0.3 * X @ [1.0, -0.5, 0.2])
                    * rng.gamma(2.0, 0.5, 50))
    a = LossRegressor(loss, penalty=None, tol=1e-10).fit(X, y)
    b = LossRegressor(loss, penalty=None, tol=1e-10).fit(X, c * y)
    np.testing.assert_allclose(b.coef_, a.coef_, rtol=1e-7, atol=1e-9)
    assert b.intercept_ == pytest.approx(a.intercept_ + np.log(c), abs=1e-7)
