"""Numerical behaviour on the data people have: every loss, with and without each
penalty, dense and sparse, gives the fit of standardised data whatever the columns'
offsets and units, the target's units and the weights' scale (property tests), and the
degenerate cases named in the user guide's "Numerical behaviour" section behave as it
says.

Each property compares two fits of the same problem written in different units: the
coefficients must map onto each other, and both fits reach the same objective.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from _targets import log_link, regression_target
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from sklearn_losses import (
    EpsilonInsensitive,
    Huber,
    LossClassifier,
    LossRegressor,
    SquaredEpsilonInsensitive,
)
from sklearn_losses.losses import LOSSES
from sklearn_losses.penalties import PENALTIES

PROPERTY = settings(max_examples=50, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
LOSS_NAMES = sorted(LOSSES)
# How each regression loss's value scales when y (and the prediction) is multiplied by c:
# c**2 for the quadratic ones, c for the piecewise-linear ones (their parameters scaled
# with y, see scaled_loss); a log link (Poisson, Tweedie, gamma) takes c into the
# intercept instead.
DEGREE = {"squared_error": 2, "huber": 2, "squared_epsilon_insensitive": 2,
          "absolute_error": 1, "quantile": 1, "epsilon_insensitive": 1}


@st.composite
def problems(draw, losses=tuple(LOSS_NAMES), penalties=PENALTIES):
    """A small problem of standard-normal columns: ``(name, penalty, X, y, model)``; a
    penalised model has per-feature penalty factors (0 among them) now and then."""
    name = draw(st.sampled_from(losses))
    penalty = draw(st.sampled_from(penalties))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    n, p = draw(st.integers(30, 60)), draw(st.integers(1, 4))
    factor = draw(st.one_of(st.none(), st.lists(st.sampled_from([0.0, 0.3, 1.0, 4.0]),
                                                 min_size=p, max_size=p)))
    X = rng.standard_normal((n, p))
    signal = X @ rng.standard_normal(p)
    if LOSSES[name].is_classifier:
        classes = 3 if name == "log_loss" and draw(st.booleans()) else 2
        y = np.digitize(signal, np.quantile(signal, np.linspace(0, 1, classes + 1)[1:-1]))
        # a third of the labels drawn at random: overlapping classes, finite optima
        # (nearly separable classes leave an unpenalised log loss so flat that a
        # tolerance of 1e-10 on its gradient no longer pins its coefficients)
        flip = rng.random(n) < 0.35
        y[flip] = rng.integers(0, classes, flip.sum())
        y[:classes] = np.arange(classes)
        model = LossClassifier(name, penalty=penalty, alpha=0.05, tol=1e-10)
    else:
        y = regression_target(LOSSES[name](), signal, rng)
        model = LossRegressor(name, penalty=penalty, alpha=0.05, tol=1e-10)
    return name, penalty, X, y, model.set_params(penalty_factor=factor)


def fit(model, X, y, sample_weight=None):
    """``model`` fitted; an example whose classes a hyperplane separates (drawn now and
    then for an unpenalised log loss, which then has no optimum and says so) is
    rejected."""
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*classes are separable",
                                category=ConvergenceWarning)
        try:
            return model.fit(X, y, sample_weight=sample_weight)
        except ConvergenceWarning:
            reject()


def scores(model, X):
    """Raw scores, 2-D: the objective's and the equivariances' currency."""
    return np.asarray(X @ np.transpose(np.atleast_2d(model.coef_))) + model.intercept_


def objective(model, X, y, sample_weight=None):
    """The fitted model's objective on (X, y), its labels encoded as the classifier does."""
    loss, raw = model.loss_, scores(model, X)
    if loss.is_classifier:
        index = np.searchsorted(model.classes_, y)
        y = (np.eye(len(model.classes_))[index] if raw.shape[1] > 1 else 2.0 * index - 1.0)
        raw = raw if raw.shape[1] > 1 else raw[:, 0]
    else:
        raw = raw[:, 0]
    w = np.ones(len(raw)) if sample_weight is None else sample_weight
    rho = {None: 0.0, "l1": 1.0, "l2": 0.0, "elasticnet": model.l1_ratio}[model.penalty]
    alpha = 0.0 if model.penalty is None else model.alpha
    coef = np.atleast_2d(model.coef_)
    factor = 1.0 if model.penalty_factor is None else np.asarray(model.penalty_factor)
    return (float(w @ loss.loss(y, raw) / w.sum())
            + alpha * float(np.sum(factor * (rho * np.abs(coef) + 0.5 * (1 - rho) * coef**2))))


def assert_same_fit(a, b, X_a, X_b, y, coef_b_to_a, slack=0.0):
    """Two fits of one problem in two units: both reach the same objective, and
    ``coef_b_to_a`` maps b's coefficients onto a's, with the same zeros. (Both fits stop
    at a KKT violation of 1e-10 relative: where the loss has little curvature, as log
    loss on nearly separable classes, that leaves the coefficients 1e-5 apart.) ``slack``:
    what rounding the objectives may differ by beyond that."""
    fa, fb = objective(a, X_a, y), objective(b, X_b, y)
    assert fb == pytest.approx(fa, rel=1e-9, abs=1e-14 + slack)
    coef_a, coef_b = np.ravel(a.coef_), np.ravel(coef_b_to_a(np.asarray(b.coef_)))
    # a's columns are standard normal: its coefficients are in y's units (1 for labels),
    # and one that is 0 at the optimum is found to rounding of that size
    size = np.abs(coef_a).max(initial=0.0) + (1.0 if a.loss_.is_classifier else np.std(y))
    np.testing.assert_allclose(coef_b, coef_a, rtol=1e-4, atol=1e-9 * size)
    assert np.array_equal(coef_a == 0, coef_b == 0)


@PROPERTY
@given(problems(), st.lists(st.sampled_from([0.0, 1e3, -1e6, 1e9, -1e12]), min_size=4,
                            max_size=4), st.booleans())
def test_column_offsets_change_nothing_but_the_intercept(problem, offsets, sparse):
    # A column 1e9 away from 0 (a timestamp) centres without cancellation: the fit
    # equals the one on the same data centred in float64 (the shifted data itself, its
    # rounding included, is the reference's input)
    name, penalty, X, y, model = problem
    shifted = X + np.array(offsets[: X.shape[1]])
    centred = shifted - shifted.mean(axis=0)
    a = fit(model, centred, y)
    b = fit(clone(model), sp.csr_matrix(shifted) if sparse
            else shifted, y)
    # b's objective on the centred data (its intercept moved by the offsets): on the
    # shifted data, each prediction's own rounding (eps |x| |w|) would blur it
    b_centred = clone(model)
    b_centred.coef_, b_centred.loss_ = b.coef_, b.loss_
    b_centred.intercept_ = b.intercept_ + np.atleast_2d(b.coef_) @ shifted.mean(axis=0)
    if np.ndim(b.intercept_) == 0:
        b_centred.intercept_ = float(b_centred.intercept_[0])
    b_centred.classes_ = getattr(b, "classes_", None)
    # b's intercept is stored in the units of the shifted data: the rounding of a number
    # of the size of |offset| |w| moves every prediction by up to eps times that, and the
    # objective by that times the loss's slope
    rounding = 64 * np.finfo(float).eps * (np.abs(shifted) @ np.abs(np.atleast_2d(
        b.coef_).T)).max()
    slope = np.abs(scores(a, centred)).max() + np.abs(y).max() + 1.0
    assert_same_fit(a, b_centred, centred, centred, y, lambda coef: coef,
                    slack=rounding * slope)
    # b predicts on the shifted data what it predicts on the centred data, to that
    # rounding
    np.testing.assert_allclose(scores(b, shifted), scores(b_centred, centred), rtol=1e-6,
                               atol=rounding + 1e-8 * np.abs(scores(a, centred)).max())


@PROPERTY
@given(problems(), st.sampled_from([1e-12, 1e-6, 1e6, 1e12]), st.booleans())
def test_units_of_the_columns(problem, scale, sparse):
    # X * d: without a penalty the coefficients are w / d; with one, the same problem
    # needs l1 * d and l2 * d**2 (alpha and l1_ratio follow), and gives w / d as well
    name, penalty, X, y, model = problem
    b_params = {}
    if penalty is not None:
        rho = {"l1": 1.0, "l2": 0.0, "elasticnet": 0.5}[penalty]
        l1, l2 = 0.05 * rho * scale, 0.05 * (1 - rho) * scale**2
        b_params = {"alpha": l1 + l2, "l1_ratio": l1 / (l1 + l2)}
        # the strengths b's parameters give (1 - l1_ratio rounds where l1 >> l2), and
        # a's for X: l1 / d and l2 / d**2
        l1 = b_params["alpha"] * b_params["l1_ratio"] / scale
        l2 = b_params["alpha"] * (1 - b_params["l1_ratio"]) / scale**2
        model.set_params(alpha=l1 + l2, l1_ratio=l1 / (l1 + l2))
    a = fit(model, X, y)
    b = fit(clone(model).set_params(**b_params),
            sp.csr_matrix(X * scale) if sparse else X * scale, y)
    assert_same_fit(a, b, X, X * scale, y, lambda coef: coef * scale)


@PROPERTY
@given(problems(losses=tuple(n for n in LOSS_NAMES if not LOSSES[n].is_classifier),
                penalties=(None,)),
       st.lists(st.sampled_from([1e-12, 1e-6, 1.0, 1e6, 1e12]), min_size=4, max_size=4))
def test_units_of_each_column_without_a_penalty(problem, scales):
    name, penalty, X, y, model = problem
    D = np.array(scales[: X.shape[1]])
    a = fit(model, X, y)
    b = fit(clone(model), X * D, y)
    assert_same_fit(a, b, X, X * D, y, lambda coef: coef * D)


@PROPERTY
@given(problems(penalties=("l1", "l2")),
       st.lists(st.sampled_from([1e-12, 1e-6, 1.0, 1e6, 1e12]), min_size=4, max_size=4),
       st.lists(st.sampled_from([0.0, 0.3, 1.0, 4.0]), min_size=4, max_size=4),
       st.booleans())
def test_units_of_each_column_with_penalty_factors(problem, scales, factors, sparse):
    # X[:, j] * d_j with a penalty is the same problem when feature j's factor follows
    # its units: f_j d_j for an L1 part (|w_j / d_j| costs f_j d_j times as much), f_j
    # d_j**2 for an L2 part; a factor of 0 stays 0 (unpenalised in any units). The
    # factors then span up to 1e24 for columns in units from 1e-12 to 1e12.
    name, penalty, X, y, model = problem
    p = X.shape[1]
    D, f = np.array(scales[:p]), np.array(factors[:p])
    a = fit(model.set_params(penalty_factor=f), X, y)
    g = f * D ** (1 if penalty == "l1" else 2)
    b = fit(clone(model).set_params(penalty_factor=g),
            sp.csr_matrix(X * D) if sparse else X * D, y)
    assert_same_fit(a, b, X, X * D, y, lambda coef: coef * D)


def scaled_loss(name, c):
    """The regression loss ``name`` for a target in units c times larger."""
    return {"huber": Huber(delta=c), "epsilon_insensitive": EpsilonInsensitive(epsilon=0.1 * c),
            "squared_epsilon_insensitive": SquaredEpsilonInsensitive(epsilon=0.1 * c)}.get(
        name, name)


@PROPERTY
@given(problems(losses=tuple(n for n in LOSS_NAMES if not LOSSES[n].is_classifier)),
       st.sampled_from([1e-12, 1e-8, 1e8, 1e12]))
def test_units_of_the_target(problem, c):
    # y * c: the coefficients are c w (a log link: the same w, the intercept + log c), with
    # the loss's parameters in y's units and the penalty following the loss's degree
    name, penalty, X, y, model = problem
    model.set_params(loss=scaled_loss(name, 1.0))
    b_params = {"loss": scaled_loss(name, c)}
    if log_link(LOSSES[name]):
        if penalty is not None:  # not homogeneous: only the unpenalised fit follows
            return
        a = fit(model, X, y)
        b = fit(clone(model).set_params(**b_params), X, c * y)
        np.testing.assert_allclose(b.coef_, a.coef_, rtol=1e-6, atol=1e-8)
        assert b.intercept_ == pytest.approx(a.intercept_ + np.log(c), abs=1e-6)
        return
    if penalty is not None:
        # objective_b(c w) = c**d (objective_a(w)) for a loss of degree d when a's
        # strengths are l1_b c**(1-d) and l2_b c**(2-d); b's parameters are chosen first,
        # and a's from the strengths they give (1 - l1_ratio rounds where l1 >> l2)
        d = DEGREE[name]
        rho = {"l1": 1.0, "l2": 0.0, "elasticnet": 0.5}[penalty]
        l1, l2 = 0.05 * rho * c ** (d - 1), 0.05 * (1 - rho) * c ** (d - 2)
        b_params.update(alpha=l1 + l2, l1_ratio=l1 / (l1 + l2))
        l1 = b_params["alpha"] * b_params["l1_ratio"] * c ** (1 - d)
        l2 = b_params["alpha"] * (1 - b_params["l1_ratio"]) * c ** (2 - d)
        model.set_params(alpha=l1 + l2, l1_ratio=l1 / (l1 + l2))
    a = fit(model, X, y)
    b = fit(clone(model).set_params(**b_params), X, c * y)
    # b's objective is c**d times a's (an epsilon-insensitive intercept may not be
    # unique: the objectives and coefficients are compared)
    assert objective(b, X, c * y) / c ** DEGREE[name] == pytest.approx(
        objective(a, X, y), rel=1e-9)
    np.testing.assert_allclose(b.coef_ / c, a.coef_, rtol=1e-4,
                               atol=1e-4 * np.abs(a.coef_).max(initial=0.0) + 1e-300)
    assert np.array_equal(a.coef_ == 0, b.coef_ == 0)


@PROPERTY
@given(problems(), st.sampled_from([1e-300, 1e-12, 1e12, 1e300]), st.booleans())
def test_weights_in_any_units(problem, c, sparse):
    # weights are normalised by their sum: any positive finite rescaling is the same fit
    name, penalty, X, y, model = problem
    sw = np.random.default_rng(len(y)).uniform(0.5, 2.0, len(y))
    Xs = sp.csr_matrix(X) if sparse else X
    a = fit(model, Xs, y, sample_weight=sw)
    b = fit(clone(model), Xs, y, sample_weight=c * sw)
    assert objective(b, X, y, sw) == pytest.approx(objective(a, X, y, sw), rel=1e-12)
    size = np.abs(a.coef_).max(initial=0.0) + (1.0 if LOSSES[name].is_classifier
                                               else np.std(y))
    np.testing.assert_allclose(b.coef_, a.coef_, rtol=1e-6, atol=1e-9 * size)


# ------------------------------------------------------------------- the named cases


def test_timestamp_column_next_to_a_standard_one():
    # 1.7e9 + uniform(0, 600): the centred Gram matrix formed as X^T X - n mu mu^T lost
    # every digit (coefficients 8 % off with the defaults)
    rng = np.random.default_rng(0)
    Z = np.column_stack([rng.uniform(0, 600, 500), rng.standard_normal(500)])
    y = 0.01 * Z[:, 0] + Z[:, 1] + rng.standard_normal(500)
    X = Z + [1.7e9, 0.0]
    for penalty in PENALTIES:
        reference = LossRegressor(penalty=penalty, alpha=1e-3, tol=1e-10).fit(
            X - X.mean(axis=0), y)
        for data in (X, sp.csr_matrix(X)):
            model = LossRegressor(penalty=penalty, alpha=1e-3, tol=1e-10).fit(data, y)
            np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-7)
            np.testing.assert_allclose(model.predict(X), reference.predict(
                X - X.mean(axis=0)), rtol=0, atol=1e-6 * y.std())


def test_extreme_weights_fit_as_their_rescaled_version():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((40, 3))
    y = X @ [1.0, -1.0, 2.0] + rng.standard_normal(40)
    for loss, penalty in [("squared_error", "l1"), ("huber", "l2"), ("quantile", "l1")]:
        plain = LossRegressor(loss, penalty=penalty, alpha=0.01, tol=1e-10).fit(X, y)
        huge = LossRegressor(loss, penalty=penalty, alpha=0.01, tol=1e-10).fit(
            X, y, sample_weight=np.full(40, 1e308))
        assert huge.converged_ and np.all(np.isfinite(huge.coef_))
        np.testing.assert_allclose(huge.coef_, plain.coef_, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", sorted(n for n in LOSSES if not LOSSES[n].is_classifier))
@pytest.mark.parametrize("penalty", PENALTIES)
def test_degenerate_targets_converge_silently(name, penalty):
    # a constant y, a single sample, a huge alpha: no spurious ConvergenceWarning (a
    # KKT violation of rounding size against a tolerance below rounding)
    rng = np.random.default_rng(2)
    X = rng.standard_normal((50, 3))
    y = rng.poisson(2.0, 50).astype(float) + 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for data, target, alpha in [(X, np.full(50, 3.0), 0.01), (X[:1], y[:1], 0.01),
                                    (X, y, 1e10)]:
            model = LossRegressor(name, penalty=penalty, alpha=alpha).fit(data, target)
            assert model.converged_
        constant = LossRegressor(name, penalty=penalty, alpha=0.01).fit(X, np.full(50, 3.0))
        np.testing.assert_array_equal(constant.coef_, 0.0)


@pytest.mark.parametrize("classes", [2, 3])
def test_separable_classes_without_a_penalty_warn(classes):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((60, 2))
    y = np.digitize(X[:, 0], [-0.5, 0.5][: classes - 1] if classes == 3 else [0.0])
    with pytest.warns(ConvergenceWarning, match="classes are separable.*Add a penalty"):
        model = LossClassifier(penalty=None).fit(X, y)
    assert not model.converged_
    # with a penalty the optimum is finite, and nothing warns
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert LossClassifier(penalty="l2", alpha=1e-3).fit(X, y).converged_


def test_hinge_with_many_more_features_than_samples():
    # p >> n: every sample ends on the margin, solved exactly in the samples' space
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 5000))
    y = (X[:, :5].sum(axis=1) + 0.5 * rng.standard_normal(50) > 0).astype(int)
    model = LossClassifier("hinge", alpha=1e-4).fit(X, y)
    assert model.converged_
    margins = (2 * y - 1) * model.decision_function(X)
    np.testing.assert_allclose(margins, 1.0, atol=1e-8)
    # the dual variables of the margin constraints certify the optimum: l2 w =
    # (1/n) sum_i a_i y_i (x_i - mean), sum_i a_i y_i = 0, 0 <= a_i <= 1
    A = np.vstack([((X - X.mean(axis=0)) * (2 * y - 1)[:, None]).T, (2 * y - 1)[None, :]]) / 50
    a = np.linalg.lstsq(A, np.append(1e-4 * model.coef_[0], 0.0), rcond=None)[0]
    assert np.all((a >= -1e-12) & (a <= 1 + 1e-12))
    np.testing.assert_allclose(A @ a, np.append(1e-4 * model.coef_[0], 0.0), atol=1e-14)
