"""Smoothing continuation for piecewise-linear losses: Newton stages, the crossover's
systems, the band and whole LPs."""

from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp
from _oracle import objective, reference_fit
from _solving import solve_with
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning

from sklearn_losses import LossClassifier, LossRegressor
from sklearn_losses._objective import LinearObjective
from sklearn_losses._solvers import DEFAULT_OPTIONS, crossover, data, lp
from sklearn_losses.losses import CLASSIFICATION_LOSSES, resolve_loss
from sklearn_losses.penalties import Penalty


def hinge_reference_gap(X, y, model_coef, model_intercept, fit_intercept):
    loss = CLASSIFICATION_LOSSES["hinge"]()
    y_pm, sw = 2.0 * y - 1, np.ones(len(y))
    ref_w, ref_b = reference_fit(loss, X, y_pm, sw, "l2", 1e-3, fit_intercept=fit_intercept)
    ref = objective(loss, X, y_pm, sw, ref_w, ref_b, "l2", 1e-3)
    ours = objective(loss, X, y_pm, sw, model_coef, model_intercept, "l2", 1e-3)
    return (ours - ref) / abs(ref)


def test_hinge_l2_newton_stages_beyond_the_gram_cap():
    # More than 300 features but 4 samples per feature: the p x p Hessian still fits
    # the memory budget, so the narrow stages run Newton (with p <= 300 only, hinge + L2
    # at 20 000 x 1 000 ran out of max_iter in L-BFGS-B at width 1e-3, unconverged).
    X, y = make_classification(1300, 320, n_informative=40, random_state=0)
    est = LossClassifier("hinge", alpha=1e-3, fit_intercept=False)
    [res] = solve_with(est, X, y)
    assert res.converged and res.steps["newton-stages"] > 0
    assert hinge_reference_gap(X, y, res.coef[0], res.intercept[0], False) <= 1e-8


@pytest.mark.parametrize("fit_intercept", [False, True])
def test_hinge_l2_newton_stages(fit_intercept):
    # Hinge + L2 with n >= 4 p solves its narrow smoothing stages by Newton-CG with the
    # smoothed Hessian: the reference optimum, in fewer iterations than L-BFGS-B alone
    # (Newton needs 4 samples per feature: not with gram_min_ratio huge).
    X, y = make_classification(1200, 20, n_informative=8, random_state=3)
    est = LossClassifier("hinge", alpha=1e-3, fit_intercept=fit_intercept)
    [newton] = solve_with(est, X, y)
    [lbfgs] = solve_with(est, X, y, options=replace(DEFAULT_OPTIONS, gram_min_ratio=10**9))
    assert newton.converged and lbfgs.converged
    assert newton.steps["newton-stages"] > 0 and lbfgs.steps["newton-stages"] == 0
    assert newton.n_iter < lbfgs.n_iter
    assert hinge_reference_gap(X, y, newton.coef[0], newton.intercept[0],
                               fit_intercept) <= 1e-8


@pytest.mark.parametrize("loss, penalty, fit_intercept, layout, factored", [
    ("hinge", "l2", True, "csr", None),
    ("hinge", "l2", True, "csr", "positive"),
    ("hinge", "l2", True, "csr", "zeros"),
    ("hinge", "l2", False, "dense", None),
    ("hinge", "l2", False, "dense", "zeros"),
    ("hinge", "elasticnet", True, "csr", None),
    ("hinge", "elasticnet", True, "dense", "positive"),
    ("hinge", "elasticnet", True, "csr", "zeros"),
    ("quantile", "l2", True, "dense", None),
    ("quantile", "l2", True, "dense", "zeros"),
    ("epsilon_insensitive", "l2", True, "csr", None),
    ("epsilon_insensitive", "l2", True, "csr", "positive"),
    ("absolute_error", "elasticnet", False, "dense", None),
])
def test_iterative_dual_crossover(loss, penalty, fit_intercept, layout, factored):
    # With an L2 part, a crossover system past crossover_max_size (0 here: every one) is
    # the SVM dual on the samples on kinks solved by MINRES on their rows of X: the
    # reference optimum, from weighted data, sparse or dense, with or without an
    # intercept, with an L1 part too (the free features only), for two kinks a sample
    # (epsilon-insensitive), and with per-feature penalty factors: one L2 strength per
    # feature in the dual's kernel, and unpenalised features (factors of 0) as
    # constraints beside the intercept's.
    rng = np.random.default_rng(0)
    if loss == "hinge":
        X, y = make_classification(300, 40, n_informative=10, random_state=0)
        est = LossClassifier(loss, penalty=penalty, alpha=0.01, fit_intercept=fit_intercept)
        target = 2.0 * y - 1
    else:
        X, y = make_regression(300, 40, n_informative=10, noise=10.0, random_state=0)
        y = y / np.std(y)
        est = LossRegressor(loss, penalty=penalty, alpha=0.01, fit_intercept=fit_intercept)
        target = y
    X = X * (rng.random(X.shape) < 0.3) + 0.5  # sparse rows around an offset
    if layout == "csr":
        X = sp.csr_matrix(X - 0.5)
    sw = rng.uniform(0.5, 2.0, len(y))
    factor = None if factored is None else rng.uniform(0.3, 3.0, X.shape[1])
    if factored == "zeros":
        factor[[0, 3, 7]] = 0.0
    est.set_params(penalty_factor=factor)
    options = replace(DEFAULT_OPTIONS, crossover_max_size=0)
    [res] = solve_with(est, X, y, sw, options=options)
    assert res.converged and res.route == "smoothing > crossover"
    assert res.steps["crossover-minres-iterations"] > 0
    dense = X.toarray() if sp.issparse(X) else X
    fn = est._prepare(X, y, sw).loss
    ref_w, ref_b = reference_fit(fn, dense, target, sw, penalty, 0.01,
                                 fit_intercept=fit_intercept, factor=factor)
    ref = objective(fn, dense, target, sw, ref_w, ref_b, penalty, 0.01, factor=factor)
    ours = objective(fn, dense, target, sw, res.coef[0], res.intercept[0], penalty, 0.01,
                     factor=factor)
    assert (ours - ref) / abs(ref) <= 1e-8
    # the dense crossover's solution
    [dense_res] = solve_with(est, X, y, sw)
    np.testing.assert_allclose(res.coef, dense_res.coef, rtol=0,
                               atol=1e-6 * np.abs(dense_res.coef).max())


@pytest.mark.parametrize("loss", ["quantile", "epsilon_insensitive"])
def test_lp_by_interior_point_equals_the_simplex(loss):
    # LPs of at least lp_ipm_min_rows rows go to HiGHS's interior-point method (0 here:
    # every one): the simplex's optimum, through the band LP's rounds too.
    X, y = make_regression(n_samples=300, n_features=8, n_informative=5, noise=10.0,
                           random_state=4)
    y = y / np.std(y)
    est = LossRegressor(loss, penalty="l1", alpha=0.01, tol=1e-8)
    fn, penalty = resolve_loss(loss), Penalty("l1", 0.01)
    ipm = replace(DEFAULT_OPTIONS, lp_ipm_min_rows=0)
    columns = data.column_statistics(X, np.ones(len(y)), True)
    obj = LinearObjective(fn.loss_gradient, X, y, np.ones(len(y)), True,
                          offset=columns.offset, col_scale=columns.col_scale)

    def value(coef, intercept):
        return obj.value(coef, intercept) + penalty.value(coef)

    simplex = lp.highs(fn, obj, penalty, 1e-10, 1000)
    whole = lp.highs(fn, obj, penalty, 1e-10, 1000, options=ipm)
    assert whole.converged and value(whole.coef, whole.intercept) == pytest.approx(
        value(simplex.coef, simplex.intercept), rel=1e-9)
    [res] = solve_with(est, X, y, options=ipm)
    assert res.converged and res.route == "smoothing > band-lp"
    ours = value(res.coef, res.intercept + res.coef[0] @ obj.offset)
    assert ours == pytest.approx(value(simplex.coef, simplex.intercept), rel=1e-9)


def test_closest_independent_on_kink_rows():
    # More distinct on-kink rows than their rank: the closest distinct rows stay, as
    # many as the rank, every copy of a repeated sample alike; independent rows: None.
    B = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 0.0, 1.0],
                  [2.0, 1.0, 1.0]])  # rows 0 and 3 are one sample repeated; rank 3
    B = np.column_stack([B[:, :2], B[:, :2].sum(axis=1)])  # third column dependent: rank 2
    target = np.array([1.0, 1.0, 1.0, 1.0, 1.0])
    distance = np.array([0.3, 0.1, 0.2, 0.3, 0.0])
    keep = crossover.closest_independent(B, target, distance)
    assert keep.tolist() == [False, True, False, False, True]
    distance = np.array([0.0, 0.1, 0.2, 0.0, 0.3])  # the repeated sample is closest
    assert crossover.closest_independent(B, target, distance).tolist() == [
        True, True, False, True, False]
    assert crossover.closest_independent(B[[0, 1]], target[:2], distance[:2]) is None


@pytest.mark.parametrize("n_b", [0, 1])
@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_stationary_on_kinks_solves_the_whole_system(n_b, l2):
    # With an L2 part the coefficients are eliminated (the SVM dual's system); both forms
    # must satisfy stationarity and the on-kink rows of the whole system.
    rng = np.random.default_rng(0)
    m, k = 5, 8
    B = np.column_stack([rng.standard_normal((m, k))] + [np.ones(m)] * n_b)
    D, rhs_s, target = rng.uniform(0.5, 2.0, m), rng.standard_normal(k + n_b), rng.standard_normal(m)
    if l2 == 0:  # stationarity alone must then be consistent: rhs in the rows' span
        rhs_s = B.T @ (D * rng.uniform(size=m))
    # one L2 strength per feature, None without an L2 part
    w, b, theta = crossover.stationary_on_kinks(B, D, rhs_s, target,
                                                np.full(k, l2) if l2 else None, k)
    x = np.concatenate([w, b[:n_b]])
    assert np.allclose(np.concatenate([l2 * w, np.zeros(n_b)]) + B.T @ (D * theta), rhs_s)
    assert np.allclose(B @ x, target)


@pytest.mark.parametrize("l2", [0.0, 0.5])
def test_on_kink_solution_full_and_deficient_rank(l2):
    # Tall on-kink rows over several QR blocks: full rank gives the least-squares
    # solution; a dependent column is found by the pivoted QR, and with an L2 part the
    # direction the rows leave free is fixed by stationarity.
    rng = np.random.default_rng(1)
    m, k = 70, 6
    B = np.column_stack([rng.standard_normal((m, k)), np.ones(m)])
    target = B @ rng.standard_normal(k + 1)
    rhs_s = rng.standard_normal(k + 1)
    l2s = np.full(k, l2) if l2 else None  # one per feature, None without an L2 part
    x, rank, determined = crossover.on_kink_solution(B, target, l2s, k, rhs_s, block=16)
    assert rank == k + 1 and determined
    assert np.allclose(x, np.linalg.lstsq(B, target, rcond=None)[0])
    B[:, 2] = B[:, 0] - B[:, 1]  # rank k: one direction N is free
    target = B @ rng.standard_normal(k + 1)
    x, rank, determined = crossover.on_kink_solution(B, target, l2s, k, rhs_s, block=16)
    assert rank == k and np.allclose(B @ x, target)
    assert determined == (l2 > 0)
    if l2 > 0:  # stationarity along N = (1, -1, -1, 0, ...): N . (l2 w - rhs_s) = 0
        N = np.zeros(k + 1)
        N[:3] = [1.0, -1.0, -1.0]
        assert np.isclose(N @ (np.concatenate([l2 * x[:k], [0.0]]) - rhs_s), 0.0)


@pytest.mark.parametrize("loss", ["quantile", "absolute_error", "epsilon_insensitive"])
@pytest.mark.parametrize("guess", ["near", "far", "tiny band"])
def test_band_lp_equals_the_whole_lp(loss, guess):
    # The LP on the pairs near their kinks (the rest assumed on the side a guess puts
    # them) reaches the whole LP's optimum: wrong sides join the band, an unbounded LP
    # (a band too small to pin w down) doubles it. The smoothing solver finishes by it.
    X, y = make_regression(n_samples=300, n_features=8, n_informative=5, noise=10.0,
                           random_state=4)
    y = y / np.std(y)
    sw = np.random.default_rng(1).uniform(0.5, 2.0, len(y))
    sw[:10] = 0.0
    fn, penalty = resolve_loss(loss), Penalty("l1", 0.01)
    columns = data.column_statistics(X, sw, True)
    obj = LinearObjective(fn.loss_gradient, X, y, sw, True, offset=columns.offset,
                          col_scale=columns.col_scale)
    whole = lp.highs(fn, obj, penalty, 1e-10, 1000)
    assert whole.route == "highs" and whole.steps["lp-solves"] == 1
    rng = np.random.default_rng(0)
    exact = X @ whole.coef[0] + whole.intercept[0] - whole.coef[0] @ obj.offset
    raw = {"near": exact + 1e-3 * rng.standard_normal(len(y)),
           "far": exact + 0.3 * rng.standard_normal(len(y)), "tiny band": exact}[guess]
    band = lp.band_lp(fn, obj, penalty, 1e-10, 1000, raw=raw,
                      band=2 if guess == "tiny band" else 40)
    assert band is not None and band.converged and band.route == "band-lp"
    assert band.steps["lp-solves"] > (guess != "near")

    def value(result):
        return obj.value(result.coef, result.intercept) + penalty.value(result.coef)

    assert value(band) == pytest.approx(value(whole), rel=1e-9)
    fit = LossRegressor(loss, penalty="l1", alpha=0.01, tol=1e-8).fit(X, y, sample_weight=sw)
    assert fit.converged_ and fit.n_iter_ > 0
    ours = obj.value(fit.coef_[None, :], np.array([fit.intercept_ + fit.coef_ @ obj.offset]))
    assert ours + penalty.value(fit.coef_) == pytest.approx(value(whole), rel=1e-9)


def test_whole_lp_fallback_bounded_by_lp_max_size():
    # A smoothing that ends without an exact solution (max_iter=3 here) falls back to
    # the whole LP only while that LP is within lp_max_size: past it the smoothing's
    # result comes with a ConvergenceWarning that names the LP it skipped and
    # solver='highs', and no LP is solved.
    X, y = make_regression(n_samples=400, n_features=30, n_informative=10, noise=10.0,
                           random_state=2)
    est = LossRegressor("quantile", penalty="l1", alpha=0.01, max_iter=3)
    [fallback] = solve_with(est, X, y)
    assert fallback.converged and fallback.route == "smoothing > highs"
    small = replace(DEFAULT_OPTIONS, lp_max_size=20)
    with pytest.warns(ConvergenceWarning, match=r"whole LP \(400 rows, 30 features\).*"
                      r"solver='highs'"):
        [bounded] = solve_with(est, X, y, options=small)
    assert not bounded.converged and bounded.route == "smoothing"
    assert bounded.steps["band-lp"] == 0 and bounded.steps["lp-solves"] == 0
