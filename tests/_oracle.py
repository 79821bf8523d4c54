"""An independent reference solver for the tests: the same objective written in cvxpy.

Each loss and penalty is written again here (the losses in cvxpy's own atoms) on
purpose: the reference must not share code with the library it checks.
"""

import cvxpy as cp
import numpy as np


def strengths(penalty, alpha, l1_ratio=0.5):
    """``(l1, l2)``: the penalty is ``l1 |w|_1 + l2 |w|_2^2 / 2``."""
    rho = {None: 0.0, "l1": 1.0, "l2": 0.0, "elasticnet": l1_ratio}[penalty]
    return (0.0, 0.0) if penalty is None else (alpha * rho, alpha * (1.0 - rho))


def penalty_value(coef, penalty, alpha, l1_ratio=0.5, factor=None):
    """The penalty of a coefficient array, with numpy; ``factor``: one weight per feature
    on both parts (the last axis of ``coef``)."""
    l1, l2 = strengths(penalty, alpha, l1_ratio)
    coef = np.asarray(coef, dtype=float)
    f = np.ones(coef.shape[-1]) if factor is None else np.asarray(factor, dtype=float)
    return float(np.sum(f * (l1 * np.abs(coef) + 0.5 * l2 * coef**2)))


def _cvx_loss(loss, y, f):
    name = loss.name
    r = y - f
    if name == "squared_error":
        return 0.5 * cp.square(r)
    if name == "absolute_error":
        return cp.abs(r)
    if name == "huber":
        return 0.5 * cp.huber(r, loss.delta)
    if name == "quantile":
        q = loss.quantile
        return q * cp.pos(r) + (1 - q) * cp.neg(r)
    if name == "epsilon_insensitive":
        return cp.pos(cp.abs(r) - loss.epsilon)
    if name == "squared_epsilon_insensitive":
        return cp.square(cp.pos(cp.abs(r) - loss.epsilon))
    if name == "poisson":
        return cp.exp(f) - cp.multiply(y, f)
    if name in ("tweedie", "gamma"):  # log link, the terms in y alone dropped
        p = loss.power
        if p == 2:
            return f + cp.multiply(y, cp.exp(-f))
        if p > 2:
            raise ValueError("Tweedie with power > 2 is not convex: no cvxpy reference")
        return cp.exp((2 - p) * f) / (2 - p) + cp.multiply(y / (p - 1), cp.exp((1 - p) * f))
    # classification: y in {-1, +1}, margin z = y f
    z = cp.multiply(y, f)
    if name == "log_loss":
        return cp.logistic(-z)
    if name == "hinge":
        return cp.pos(1 - z)
    if name == "squared_hinge":
        return cp.square(cp.pos(1 - z))
    if name == "modified_huber":
        # max(0, 1 - z)^2 for z >= -1, else -4 z: the Huber function of pos(1 - z) at 2.
        return cp.huber(cp.pos(1 - z), 2)
    raise KeyError(name)


def reference_fit(loss, X, y, sample_weight, penalty, alpha, l1_ratio=0.5,
                  fit_intercept=True, positive=False, factor=None):
    """``(coef, intercept)`` minimising the library's objective, solved by cvxpy
    (``factor``: per-feature weights on both parts of the penalty)."""
    n, p = X.shape
    s = sample_weight / sample_weight.sum()
    w = cp.Variable(p, nonneg=positive)
    b = cp.Variable() if fit_intercept else 0.0
    f = X @ w + b
    l1, l2 = strengths(penalty, alpha, l1_ratio)
    factor = np.ones(p) if factor is None else np.asarray(factor, dtype=float)
    objective = s @ _cvx_loss(loss, y, f)
    if l1:
        objective = objective + l1 * (factor @ cp.abs(w))
    if l2:
        objective = objective + 0.5 * l2 * (factor @ cp.square(w))
    problem = cp.Problem(cp.Minimize(objective))
    problem.solve(solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10,
                  tol_feas=1e-10, max_iter=500)
    return np.asarray(w.value), float(b.value) if fit_intercept else 0.0


def reference_multinomial(X, y_index, n_classes, sample_weight, penalty, alpha,
                          l1_ratio=0.5, fit_intercept=True, factor=None):
    """Multinomial cross-entropy reference; coef of shape (n_classes, n_features)
    (``factor``: per-feature weights on both parts of the penalty, every class alike)."""
    n, p = X.shape
    s = sample_weight / sample_weight.sum()
    W = cp.Variable((p, n_classes))
    b = cp.Variable(n_classes) if fit_intercept else np.zeros(n_classes)
    F = X @ W + np.ones((n, 1)) @ cp.reshape(b, (1, n_classes), order="C")
    onehot = np.eye(n_classes)[y_index]
    per_sample = cp.log_sum_exp(F, axis=1) - cp.sum(cp.multiply(onehot, F), axis=1)
    l1, l2 = strengths(penalty, alpha, l1_ratio)
    factor = np.ones(p) if factor is None else np.asarray(factor, dtype=float)
    objective = s @ per_sample
    if l1:
        objective = objective + l1 * cp.sum(factor @ cp.abs(W))
    if l2:
        objective = objective + 0.5 * l2 * cp.sum(factor @ cp.square(W))
    cp.Problem(cp.Minimize(objective)).solve(
        solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    b_value = np.asarray(b.value) if fit_intercept else np.zeros(n_classes)
    return np.asarray(W.value).T, b_value


def objective(loss, X, y, sample_weight, coef, intercept, penalty, alpha, l1_ratio=0.5,
              factor=None):
    """The library's objective at a point, evaluated with numpy."""
    s = sample_weight / sample_weight.sum()
    raw = X @ np.transpose(coef) + intercept
    return float(s @ loss.loss(y, raw)) + penalty_value(coef, penalty, alpha, l1_ratio,
                                                        factor)


def assert_coef_close(coef, ref_coef, rtol=1e-4):
    """Coefficients within ``rtol`` of the reference's largest entry."""
    np.testing.assert_allclose(coef, ref_coef, rtol=0, atol=rtol * np.max(np.abs(ref_coef)))


def assert_same_optimum(coef, ref_coef, rtol):
    """Coefficients within ``rtol`` of the reference's largest, with the same zeros."""
    assert_coef_close(coef, ref_coef, rtol=rtol)
    assert np.array_equal(coef == 0, ref_coef == 0)


def reference_multi_quantile(X, y, sample_weight, quantiles, alpha, fit_intercept=True,
                             non_crossing=True, factor=None):
    """``(coef (K, p), intercept (K,))`` of the joint multi-quantile problem: the sum of
    each level's pinball objective with an L1 penalty, predictions in the levels' order
    at every sample when ``non_crossing``."""
    n, p = X.shape
    K = len(quantiles)
    s = sample_weight / sample_weight.sum()
    W = cp.Variable((p, K))
    b = cp.Variable(K) if fit_intercept else np.zeros(K)
    F = X @ W + np.ones((n, 1)) @ cp.reshape(b, (1, K), order="C")
    objective = 0
    for k, q in enumerate(quantiles):
        r = y - F[:, k]
        objective = objective + s @ (q * cp.pos(r) + (1 - q) * cp.neg(r))
    factor = np.ones(p) if factor is None else np.asarray(factor, dtype=float)
    objective = objective + alpha * cp.sum(factor @ cp.abs(W))
    constraints = [F[:, k + 1] >= F[:, k] for k in range(K - 1)] if non_crossing else []
    cp.Problem(cp.Minimize(objective), constraints).solve(
        solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    return np.asarray(W.value).T, (np.asarray(b.value) if fit_intercept else np.zeros(K))


def multi_quantile_objective(X, y, sample_weight, quantiles, alpha, coef, intercept,
                             factor=None):
    """The joint multi-quantile objective at a point, with numpy."""
    s = sample_weight / sample_weight.sum()
    F = X @ np.transpose(coef) + intercept
    total = 0.0
    for k, q in enumerate(quantiles):
        r = y - F[:, k]
        total += float(s @ np.maximum(q * r, (q - 1) * r))
    factor = np.ones(np.shape(coef)[1]) if factor is None else np.asarray(factor)
    return total + alpha * float(np.sum(factor * np.abs(coef)))
