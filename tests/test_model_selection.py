"""CV estimators and loss_path against GridSearchCV and the definition of alpha_max."""

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.model_selection import GridSearchCV, GroupKFold, KFold, StratifiedKFold
from sklearn.preprocessing import StandardScaler

from sklearn_losses import (
    Huber,
    LossClassifier,
    LossClassifierCV,
    LossRegressor,
    LossRegressorCV,
    loss_path,
    loss_scorer,
)


@pytest.fixture(scope="module")
def regression():
    X, y = load_diabetes(return_X_y=True)
    return StandardScaler().fit_transform(X), y / 50


@pytest.fixture(scope="module")
def classification():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X)[:, :12], y


@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
@pytest.mark.parametrize("loss", [Huber(delta=0.5), "squared_error", "quantile"],
                         ids=["huber", "squared_error", "quantile"])
def test_regressor_cv_chooses_grid_search_alpha(regression, loss, penalty):
    X, y = regression
    cv = KFold(4, shuffle=True, random_state=0)
    model = LossRegressorCV(loss, penalty=penalty, n_alphas=8, cv=cv).fit(X, y)
    grid = GridSearchCV(LossRegressor(loss, penalty=penalty), {"alpha": model.alphas_},
                        cv=cv, scoring=loss_scorer(model)).fit(X, y)
    assert model.alpha_ == grid.best_params_["alpha"]
    np.testing.assert_allclose(model.cv_results_["mean_test_score"],
                               grid.cv_results_["mean_test_score"], rtol=1e-5)
    assert model.best_score_ == pytest.approx(grid.best_score_, rel=1e-5)
    refit = LossRegressor(loss, penalty=penalty, alpha=model.alpha_).fit(X, y)
    np.testing.assert_allclose(model.coef_, refit.coef_)
    np.testing.assert_allclose(model.predict(X), refit.predict(X))


@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
@pytest.mark.parametrize("loss", ["log_loss", "squared_hinge"])
def test_classifier_cv_chooses_grid_search_alpha(classification, loss, penalty):
    X, y = classification
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    model = LossClassifierCV(loss, penalty=penalty, n_alphas=8, cv=cv).fit(X, y)
    grid = GridSearchCV(LossClassifier(loss, penalty=penalty), {"alpha": model.alphas_},
                        cv=cv, scoring=loss_scorer(model)).fit(X, y)
    assert model.alpha_ == grid.best_params_["alpha"]
    np.testing.assert_allclose(model.cv_results_["mean_test_score"],
                               grid.cv_results_["mean_test_score"], rtol=1e-5)
    assert set(model.classes_) == {0, 1} and model.predict(X).shape == y.shape


def test_l1_ratio_list_and_cv_results(regression):
    X, y = regression
    model = LossRegressorCV("huber", penalty="elasticnet", l1_ratio=[0.2, 0.9], n_alphas=5,
                            cv=3).fit(X, y)
    assert model.alphas_.shape == (2, 5)
    assert model.l1_ratio_ in (0.2, 0.9)
    res = model.cv_results_
    assert len(res["params"]) == 10
    for key in ("param_alpha", "param_l1_ratio", "mean_test_score", "std_test_score",
                "rank_test_score", "split0_test_score", "split2_test_score"):
        assert len(res[key]) == 10
    best = np.argmax(res["mean_test_score"])
    assert res["rank_test_score"][best] == 1
    assert res["params"][best] == {"alpha": model.alpha_, "l1_ratio": model.l1_ratio_}


def test_alpha_max_zeroes_every_coefficient(regression, classification):
    # exact where the gradient at the intercept-only optimum is unique; for the hinge
    # (many samples on one kink there) it is an upper bound
    for X, y, loss, exact in [(*regression, "huber", True), (*regression, "quantile", True),
                              (*classification, "log_loss", True),
                              (*classification, "hinge", False)]:
        alphas, coefs, _ = loss_path(X, y, loss=loss, penalty="l1", n_alphas=4, eps=0.1)
        assert np.all(coefs[0] == 0), loss
        assert np.any(coefs[-1] != 0), loss
        if exact:
            below = loss_path(X, y, loss=loss, penalty="l1", alphas=[alphas[0] * 0.98])[1]
            assert np.any(below != 0), loss


def test_loss_path_shapes_and_multiclass():
    X, y = load_iris(return_X_y=True)
    alphas, coefs, intercepts = loss_path(X, y, loss="log_loss", penalty="l1", n_alphas=6)
    assert np.all(np.diff(alphas) < 0)
    assert coefs.shape == (6, 3, 4) and intercepts.shape == (6, 3)
    assert np.sum(coefs[-1] != 0) > np.sum(coefs[1] != 0)


@pytest.mark.parametrize("loss", ["hinge", "quantile"])
def test_warm_started_piecewise_linear_path_is_exact(classification, regression, loss):
    # Warm starts along the path begin their smoothing narrow (hinge + L2, Newton
    # stages) or at the usual width (quantile + L1): each point is still the optimum a
    # cold fit reaches.
    X, y = classification if loss == "hinge" else regression
    penalty = "l2" if loss == "hinge" else "l1"
    alphas, coefs, intercepts = loss_path(X, y, loss=loss, penalty=penalty, n_alphas=6)
    Est = LossClassifier if loss == "hinge" else LossRegressor
    for alpha, coef, intercept in zip(alphas, coefs, intercepts):
        cold = Est(loss, penalty=penalty, alpha=alpha).fit(X, y)
        assert cold.converged_
        np.testing.assert_allclose(coef, np.squeeze(cold.coef_), rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(intercept, np.squeeze(cold.intercept_), atol=1e-8)


def test_groups_and_custom_scoring(regression):
    X, y = regression
    groups = np.arange(len(y)) % 7
    model = LossRegressorCV("huber", penalty="l1", n_alphas=4, cv=GroupKFold(3),
                            scoring="neg_mean_absolute_error").fit(X, y, groups=groups)
    assert model.best_score_ < 0 and len(model.cv_results_["split2_test_score"]) == 4


def test_named_scorer_of_the_own_loss_takes_its_parameters(regression):
    # "neg_huber_loss" on a Huber(delta=20) path scores with delta=20, as scoring=None
    # does; a name of another metric keeps that metric's defaults
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    own = LossRegressorCV(Huber(delta=20.0), penalty="l1", n_alphas=4, cv=3).fit(X, y)
    named = LossRegressorCV(Huber(delta=20.0), penalty="l1", n_alphas=4, cv=3,
                            scoring="neg_huber_loss").fit(X, y)
    np.testing.assert_allclose(named.scores_, own.scores_, rtol=1e-9)
    assert named.best_score_ < -300  # delta=1 would give about -44
    pinball = LossRegressorCV(Huber(delta=20.0), penalty="l1", n_alphas=4, cv=3,
                              scoring="neg_pinball_loss").fit(X, y)
    absolute = LossRegressorCV(Huber(delta=20.0), penalty="l1", n_alphas=4, cv=3,
                               scoring="neg_mean_absolute_error").fit(X, y)
    np.testing.assert_allclose(pinball.scores_, absolute.scores_ / 2, rtol=1e-9)


def test_l2_grid_is_data_scaled(regression):
    X, y = regression
    model = LossRegressorCV("squared_error", penalty="l2", n_alphas=5, cv=3).fit(X, y)
    small = LossRegressor(penalty="l2", alpha=model.alphas_[0]).fit(X, y)
    ols = LossRegressor(penalty=None).fit(X, y)
    assert np.abs(small.coef_).max() < 0.1 * np.abs(ols.coef_).max()


def test_parallel_folds_give_the_same_result(regression):
    X, y = regression
    one = LossRegressorCV("huber", penalty="l1", n_alphas=5, cv=3).fit(X, y)
    two = LossRegressorCV("huber", penalty="l1", n_alphas=5, cv=3, n_jobs=2).fit(X, y)
    np.testing.assert_allclose(one.cv_results_["mean_test_score"],
                               two.cv_results_["mean_test_score"])


@pytest.mark.parametrize("l1_ratio, positive", [(1.0, False), (0.5, False), (1.0, True)])
def test_squared_error_path_matches_enet_path(regression, l1_ratio, positive):
    # Warm starts along the path take exact steps between sign patterns; every point
    # must still be the optimum scikit-learn's coordinate descent finds.
    from sklearn.linear_model import enet_path

    X, y = regression
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    alphas = np.geomspace(0.5, 1e-4, 25)
    _, ours, _ = loss_path(Xc, yc, loss="squared_error", penalty="elasticnet",
                           l1_ratio=l1_ratio, alphas=alphas, fit_intercept=False,
                           positive=positive, tol=1e-10)
    _, theirs, _ = enet_path(Xc, yc, l1_ratio=l1_ratio, alphas=alphas, positive=positive,
                             tol=1e-14, max_iter=100000)
    np.testing.assert_allclose(ours, theirs.T, atol=1e-6)
    assert np.array_equal(ours == 0, np.abs(theirs.T) < 1e-12)


@pytest.mark.parametrize("loss", ["squared_error", "huber", "quantile", "log_loss"])
def test_zero_is_returned_without_iterating_at_alpha_max(regression, classification, loss):
    # At alpha >= alpha_max the gradient at w = 0 certifies the optimum: no solver runs,
    # and the intercept is the intercept-only optimum.
    is_clf = loss == "log_loss"
    X, y = classification if is_clf else regression
    Model = LossClassifier if is_clf else LossRegressor
    top = loss_path(X, y, loss=loss, penalty="l1", n_alphas=2)[0][0]
    model = Model(loss, penalty="l1", alpha=top * 1.01).fit(X, y)
    assert np.all(model.coef_ == 0) and model.n_iter_ == 0 and model.converged_
    # the intercept-only model, fitted by a solver (no penalty, one constant feature);
    # compared by loss, as a median is not unique
    zero = np.zeros((len(y), 1))
    intercept_only = Model(loss, penalty=None, tol=1e-10).fit(zero, y)
    scorer = loss_scorer(model)
    assert scorer(model, X, y) == pytest.approx(scorer(intercept_only, zero, y), rel=1e-9)
    if not is_clf:
        positive = LossRegressor(loss, penalty="l1", alpha=top * 1.01, positive=True)
        assert positive.fit(X, y).n_iter_ == 0


def test_verbose_reports_the_paths_progress(regression, capsys):
    # verbose=1: a header, a line per fold path and the choice; verbose=2: a line per
    # alpha and fold as well; 0: nothing
    X, y = regression
    LossRegressorCV("huber", penalty="l1", n_alphas=4, cv=3).fit(X, y)
    assert capsys.readouterr().out == ""
    model = LossRegressorCV("huber", penalty="l1", n_alphas=4, cv=3, verbose=1).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 + 3 + 1
    assert lines[1].startswith("[LossRegressorCV] fold 1/3 done: 4 alphas")
    assert f"best alpha {model.alpha_:.3g}" in lines[-1]
    LossRegressorCV("huber", penalty="elasticnet", l1_ratio=[0.5, 0.9], n_alphas=4, cv=3,
                    verbose=2).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 + 2 * 3 * (4 + 1) + 1
    assert sum("fold 2/3, l1_ratio=0.9 alpha=" in line for line in lines) == 4
