"""Scorers: tuning alpha with the loss the model is trained on."""

import numpy as np
import pytest
import sklearn
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_losses import (
    SCORERS,
    Huber,
    Loss,
    LossClassifier,
    LossRegressor,
    Quantile,
    get_scorer,
    loss_scorer,
    make_loss_scorer,
)
from sklearn_losses import metrics as M
from sklearn_losses.losses import LOSSES
from sklearn_losses.scorers import held_out_scorer


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return X, y / 50


def test_grid_search_best_score_is_mean_huber_over_folds(diabetes):
    X, y = diabetes
    pipe = make_pipeline(StandardScaler(), LossRegressor(Huber(delta=0.8), penalty="l1"))
    cv = KFold(4, shuffle=True, random_state=0)
    grid = GridSearchCV(pipe, {"lossregressor__alpha": [1e-3, 1e-2, 1e-1]}, cv=cv,
                        scoring=loss_scorer(pipe)).fit(X, y)
    best = grid.best_params_["lossregressor__alpha"]
    by_hand = []
    for train, test in cv.split(X):
        model = clone(pipe).set_params(lossregressor__alpha=best).fit(X[train], y[train])
        by_hand.append(-M.huber_loss(y[test], model.predict(X[test]), delta=0.8))
    assert grid.best_score_ == pytest.approx(np.mean(by_hand), rel=1e-10)


def test_grid_search_classifier_with_binary_cross_entropy():
    X, y = load_breast_cancer(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), LossClassifier(penalty="l1"))
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    grid = GridSearchCV(pipe, {"lossclassifier__alpha": [1e-3, 1e-2]}, cv=cv,
                        scoring=get_scorer("neg_binary_cross_entropy")).fit(X, y)
    best = grid.best_params_["lossclassifier__alpha"]
    by_hand = []
    for train, test in cv.split(X, y):
        model = clone(pipe).set_params(lossclassifier__alpha=best).fit(X[train], y[train])
        by_hand.append(-M.binary_cross_entropy(y[test], model.predict_proba(X[test])[:, 1]))
    assert grid.best_score_ == pytest.approx(np.mean(by_hand), rel=1e-10)
    # the matching scorer of a log-loss model is the same cross-entropy
    assert loss_scorer(pipe)(grid.best_estimator_, X, y) == pytest.approx(
        get_scorer("neg_binary_cross_entropy")(grid.best_estimator_, X, y))


def test_tuning_the_loss_parameter(diabetes):
    X, y = diabetes
    est = LossRegressor(Quantile(quantile=0.5), penalty="l1", alpha=1e-3)
    grid = GridSearchCV(est, {"loss__quantile": [0.3, 0.5]}, cv=3,
                        scoring=make_loss_scorer("quantile", quantile=0.5)).fit(X, y)
    assert grid.best_params_ == {"loss__quantile": 0.5}


def test_cross_validate_with_several_scorers(diabetes):
    X, y = diabetes
    names = ["neg_huber_loss", "neg_pinball_loss", "neg_epsilon_insensitive_loss",
             "neg_mean_squared_error"]
    res = cross_validate(LossRegressor("huber"), X, y, cv=3,
                         scoring={name: get_scorer(name) for name in names})
    for name in names:
        assert res[f"test_{name}"].shape == (3,) and np.all(res[f"test_{name}"] <= 0)
    Xc, yc = load_iris(return_X_y=True)
    names = ["neg_categorical_cross_entropy", "neg_kl_divergence", "neg_log_loss"]
    res = cross_validate(LossClassifier(alpha=1e-3), Xc, yc, cv=3,
                         scoring={name: get_scorer(name) for name in names})
    # KL divergence from one-hot truth is the cross-entropy
    np.testing.assert_allclose(res["test_neg_kl_divergence"],
                               res["test_neg_categorical_cross_entropy"])
    np.testing.assert_allclose(res["test_neg_log_loss"],
                               res["test_neg_categorical_cross_entropy"])
    margins = ["neg_hinge_loss", "neg_squared_hinge_loss", "neg_modified_huber_loss"]
    res = cross_validate(LossClassifier("hinge", alpha=1e-3), Xc, yc, cv=3,
                         scoring={name: get_scorer(name) for name in margins})
    assert all(np.all(res[f"test_{name}"] <= 0) for name in margins)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_every_loss_has_a_matching_scorer(name):
    if LOSSES[name].is_classifier:
        X, y = load_iris(return_X_y=True)
        est = LossClassifier(name, alpha=1e-3).fit(X, y)
    else:
        X, y = load_diabetes(return_X_y=True)
        est = LossRegressor(name, alpha=1e-3).fit(X, y / 50)
        y = y / 50
    score = loss_scorer(est)(est, X, y)
    assert np.isfinite(score) and score <= 0


def _held_out_cases(name):
    """(model, X_test, y_test) cases for a loss: binary and 3-class (classifiers), one
    and two targets (regressors)."""
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    if not LOSSES[name].is_classifier:
        Y = np.column_stack([y / 50, y[::-1] / 25])
        return [(LossRegressor(name, alpha=1e-3).fit(X[:300], t[:300]), X[300:], t[300:])
                for t in (Y[:, 0], Y)]
    labels = np.digitize(y, np.quantile(y, [1 / 3, 2 / 3]))
    cases = []
    for t in (np.where(labels == 2, "high", "low"), labels):
        model = LossClassifier(name, alpha=1e-4).fit(X[:200], t[:200])
        cases.append((model, X[200:], t[200:]))
        # scores beyond 37 in size: probabilities the cross-entropy clips
        model = clone(model).fit(X[:200], t[:200])
        model.coef_, model.intercept_ = 10 * model.coef_, 10 * model.intercept_
        cases.append((model, X[200:], t[200:]))
    return cases


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_held_out_scorer_equals_the_loss_scorer(name):
    """The CV estimators' shortcut computes the loss scorer from raw scores, weighted."""
    for model, X_test, y_test in _held_out_cases(name):
        sw = np.random.default_rng(0).uniform(0.2, 3.0, len(y_test))
        for weights in (None, sw):
            from_raw = held_out_scorer(model, model.loss_, y_test, weights)
            expected = loss_scorer(model)(model, X_test, y_test, sample_weight=weights)
            assert from_raw(model._raw(X_test)) == pytest.approx(expected, rel=1e-12)
    if LOSSES[name].is_classifier:
        # a fold of one class is scored against the training classes, as the scorer
        # with labels= scores it; a class the model has not seen cannot be scored
        one = y_test == y_test[0]
        score = held_out_scorer(model, model.loss_, y_test[one])(model._raw(X_test[one]))
        metric = getattr(M, model.loss_.metric)
        response = getattr(model, model.loss_.response_method)(X_test[one])
        if response.ndim == 2 and response.shape[1] == 2:
            response = response[:, 1]
        assert score == pytest.approx(-metric(y_test[one], response, labels=model.classes_))
        with pytest.raises(ValueError, match="labels its training fold does not: \\[7\\]"):
            held_out_scorer(model, model.loss_, np.append(y_test, 7))


def test_user_loss_is_scored_with_its_own_formula(diabetes):
    X, y = diabetes

    class LogCosh(Loss):
        def loss(self, y, raw):
            return np.logaddexp(y - raw, raw - y) - np.log(2)

        def gradient(self, y, raw):
            return -np.tanh(y - raw)

    est = LossRegressor(LogCosh(), alpha=1e-3).fit(X, y)
    expected = -np.mean(LogCosh().loss(y, est.predict(X)))
    assert loss_scorer(est)(est, X, y) == pytest.approx(expected)


def test_scorer_sample_weight_through_metadata_routing(diabetes):
    X, y = diabetes
    sw = np.random.default_rng(0).uniform(0.1, 3.0, len(y))
    with sklearn.config_context(enable_metadata_routing=True):
        scorer = make_loss_scorer("huber").set_score_request(sample_weight=True)
        est = LossRegressor("huber").set_fit_request(sample_weight=True)
        res = cross_validate(est, X, y, cv=KFold(3), scoring=scorer,
                             params={"sample_weight": sw})
        cv = KFold(3)
        for score, (train, test) in zip(res["test_score"], cv.split(X)):
            model = LossRegressor("huber").fit(X[train], y[train], sample_weight=sw[train])
            expected = -M.huber_loss(y[test], model.predict(X[test]), sample_weight=sw[test])
            assert score == pytest.approx(expected, rel=1e-9)


def test_get_scorer_names():
    assert set(SCORERS) >= {"neg_huber_loss", "neg_pinball_loss", "neg_binary_cross_entropy",
                            "neg_categorical_cross_entropy", "neg_hinge_loss",
                            "neg_squared_hinge_loss", "neg_modified_huber_loss",
                            "neg_kl_divergence", "neg_epsilon_insensitive_loss"}
    assert get_scorer("neg_mean_absolute_error") is not None
    with pytest.raises(ValueError, match="Unknown scorer 'neg_hubber'.*neg_huber_loss"):
        get_scorer("neg_hubber")
    with pytest.raises(ValueError, match="Unknown loss 'hubber'"):
        make_loss_scorer("hubber")


def test_kl_divergence_scores_a_binary_classifier():
    # a binary classifier's predict_proba scorer passes the positive class's
    # probability (1-D): the KL divergence from the labels is then the cross-entropy
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    model = LossClassifier(alpha=1e-2).fit(X, y)
    assert get_scorer("neg_kl_divergence")(model, X, y) == pytest.approx(
        get_scorer("neg_binary_cross_entropy")(model, X, y))
    from sklearn_losses import LossClassifierCV
    cv = LossClassifierCV(scoring="neg_kl_divergence", n_alphas=4, cv=3).fit(X, y)
    assert np.isfinite(cv.best_score_)


@pytest.mark.parametrize("scoring", [None, "neg_hinge_loss", "neg_cross_entropy"])
def test_held_out_folds_of_one_class(scoring):
    # sorted labels and unshuffled folds: the first and last held-out folds hold one
    # class each (named by strings, so no 0/1 convention can help); they are scored
    # against the training fold's classes
    from sklearn_losses import LossClassifierCV

    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    order = np.argsort(y, kind="stable")
    X, y = X[order], np.where(y[order] == 1, "benign", "malignant")
    loss = "log_loss" if scoring != "neg_hinge_loss" else "hinge"
    model = LossClassifierCV(loss, scoring=scoring, n_alphas=4, cv=KFold(3)).fit(X, y)
    assert np.all(np.isfinite(model.scores_))
