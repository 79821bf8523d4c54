"""L-BFGS-B: the curvature preconditioner, and working sets of X's columns for an L1
part."""

from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp
from _oracle import objective, penalty_value, reference_fit, reference_multinomial
from _solving import solve_with
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression

from sklearn_losses import LogLoss, LossClassifier, LossRegressor
from sklearn_losses._solvers import DEFAULT_OPTIONS
from sklearn_losses.losses import LOSSES


@pytest.mark.parametrize("loss_name", ["log_loss", "poisson", "squared_hinge"])
def test_curvature_preconditioner_on_correlated_badly_scaled_features(loss_name):
    # Smooth losses with an L2 (or no) penalty and n >= 4 p are preconditioned with the
    # data term's Hessian at the start: on strongly correlated columns of very different
    # scales this must reach the reference optimum in fewer than half the iterations of
    # the diagonal preconditioner alone (no p x p matrix).
    rng = np.random.default_rng(0)
    n, p = 400, 12
    scales = np.logspace(0, 2, p)
    X = rng.standard_normal((n, p)) @ (np.eye(p) + 0.99) * scales
    f = X @ (rng.standard_normal(p) / scales)
    f /= np.std(f)
    loss = LOSSES[loss_name]()
    if loss.is_classifier:
        y = (f + 0.5 * rng.standard_normal(n) > 0).astype(float)
        est, target = LossClassifier(loss_name, penalty="l2", alpha=1e-4), 2 * y - 1
    else:
        y = rng.poisson(np.exp(0.3 * f)).astype(float)
        est, target = LossRegressor(loss_name, penalty="l2", alpha=1e-4), y
    [full] = solve_with(est, X, y)
    [diagonal] = solve_with(est, X, y, options=replace(DEFAULT_OPTIONS, gram_max_features=0))
    assert full.converged and diagonal.converged
    assert full.n_iter < diagonal.n_iter / 2
    sw = np.ones(n)
    ref_w, ref_b = reference_fit(loss, X, target, sw, "l2", 1e-4)
    ref = objective(loss, X, target, sw, ref_w, ref_b, "l2", 1e-4)
    ours = objective(loss, X, target, sw, full.coef[0], full.intercept[0], "l2", 1e-4)
    assert (ours - ref) / abs(ref) <= 1e-8


def test_multinomial_curvature_preconditioner():
    # The multinomial problem is preconditioned with the Kronecker product of the
    # softmax's curvature at the start and the centred Gram matrix: on correlated columns
    # of very different scales, fewer than half the iterations of the diagonal
    # preconditioner, and the reference optimum.
    rng = np.random.default_rng(0)
    n, p = 300, 8
    scales = np.logspace(0, 2, p)
    X = rng.standard_normal((n, p)) @ (np.eye(p) + 0.99) * scales
    scores = X @ (rng.standard_normal((p, 3)) / scales[:, None])
    y = np.argmax(scores / scores.std(axis=0) + rng.gumbel(size=(n, 3)), axis=1)
    est = LossClassifier(penalty="l2", alpha=1e-4)
    [full] = solve_with(est, X, y)
    [diagonal] = solve_with(est, X, y, options=replace(DEFAULT_OPTIONS, gram_max_features=0))
    assert full.converged and diagonal.converged
    assert full.n_iter < diagonal.n_iter / 2
    ref_W, ref_b = reference_multinomial(X, y, 3, np.ones(n), "l2", 1e-4)
    onehot = np.eye(3)[y]

    def obj(W, b):
        return (float(LogLoss().loss(onehot, X @ W.T + b).mean())
                + penalty_value(W, "l2", 1e-4))

    ours, ref = obj(full.coef, full.intercept), obj(ref_W, ref_b)
    assert (ours - ref) / abs(ref) <= 1e-8


@pytest.mark.parametrize("case", ["log_loss", "multinomial", "huber", "sparse", "positive"])
def test_lbfgs_column_working_set(case):
    # An L1 part of a smooth loss with many features (here 1 000): L-BFGS-B on a working
    # set of X's columns, checked on every feature, never on all of X; the same optimum as
    # L-BFGS-B on all of X.
    n, p = 150, 1000
    if case in ("huber", "positive"):
        X, y = make_regression(n, p, n_informative=20, noise=5.0, random_state=0)
        est = LossRegressor("huber", penalty="l1", alpha=0.2, tol=1e-8, max_iter=5000,
                            positive=case == "positive")
    else:
        X, y = make_classification(n, p, n_informative=20, random_state=0,
                                   n_classes=3 if case == "multinomial" else 2)
        est = LossClassifier(penalty="l1", alpha=0.01, tol=1e-8, max_iter=5000)
    if case == "sparse":
        X = sp.csr_matrix(X * (np.random.default_rng(0).random(X.shape) < 0.3))
    [ours] = solve_with(est, X, y)
    assert ours.converged and ours.route == "lbfgs-columns" and ours.steps["rounds"] > 0
    assert 5 < np.count_nonzero(ours.coef) < p / 4
    whole = replace(DEFAULT_OPTIONS, columns_min_features=10**9, columns_min_size=10**18)
    [ref] = solve_with(clone(est), X, y, options=whole)
    assert ref.converged and ref.route.startswith("lbfgs") and "columns" not in ref.route
    np.testing.assert_allclose(ours.coef, ref.coef, rtol=1e-5,
                               atol=1e-6 * np.abs(ref.coef).max())
    np.testing.assert_array_equal(ours.coef == 0, ref.coef == 0)
