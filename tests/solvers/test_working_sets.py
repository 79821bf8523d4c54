"""Working sets of features for half squared error: NNLS, exact sign steps, the Gram
matrix of the set's own columns, its cap, the samples' space, the whole Gram matrix."""

from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp
from _oracle import assert_coef_close, assert_same_optimum
from _solving import solve_with, strengths
from sklearn.datasets import make_regression
from sklearn.linear_model import ElasticNet, Lasso

from sklearn_losses import LossRegressor
from sklearn_losses._solvers import DEFAULT_OPTIONS, Problem, solve, working_sets
from sklearn_losses._solvers.gram import Gram
from sklearn_losses.losses import SquaredError
from sklearn_losses.penalties import Penalty


@pytest.mark.parametrize("positive", [False, True])
@pytest.mark.parametrize("nnls", ["nnls", "split", "lbfgs"])
def test_gram_working_set_with_or_without_nnls(monkeypatch, positive, nnls):
    # Working sets of up to nnls_max_features features are solved by scipy's NNLS,
    # larger ones (here: every one) by exact steps from the signs the gradient asks for,
    # else L-BFGS-B; either way the exact step makes the solution exact, the Lasso's (started with fewer features than violate: geometric
    # growth). "split": every signed NNLS refused, the split NNLS takes over.
    X, y = make_regression(n_samples=400, n_features=40, n_informative=25, noise=5.0,
                           random_state=1)
    y = y / np.std(y)
    options = replace(DEFAULT_OPTIONS, nnls_max_features=0 if nnls == "lbfgs" else 256)
    if nnls == "split":
        signed_or_split = working_sets.split_nnls

        def split_only(sub, penalty, signs=None, gtol=None):
            return None if signs is not None else signed_or_split(sub, penalty)

        monkeypatch.setattr(working_sets, "split_nnls", split_only)
    ref = Lasso(alpha=0.005, positive=positive, tol=1e-14, max_iter=100_000).fit(X, y)
    est = LossRegressor(penalty="l1", alpha=0.005, positive=positive)
    [res] = solve_with(est, X, y, options=options)
    assert res.converged and res.exact
    assert (res.steps["nnls"] > 0) == (nnls != "lbfgs")
    assert_same_optimum(res.coef[0], ref.coef_, rtol=1e-6)


@pytest.mark.parametrize("case", ["p > 300", "n < 4p", "sparse", "weights", "positive",
                                  "elasticnet", "outgrown", "near the cap", "n << p",
                                  "n << p elasticnet"])
def test_column_working_set(case):
    # Beyond the Gram form (p > 300, or fewer than 4 samples per feature) an L1 part is
    # solved on a working set of X's columns in Gram form, checked on every feature;
    # a working set that outgrows its Gram matrix ("outgrown": at most 20 columns here)
    # is finished by L-BFGS-B on X; "near the cap" (120 columns here), growth by 2x the
    # nonzero coefficients would pass it: the set grows to the cap, and when it is full
    # its zero coefficients leave to make room (then it suffices); "n << p" (60 x 400),
    # the set's cap is 2n (a Lasso solution has fewer nonzero coefficients than samples),
    # and a full set drops its zeros again and again, solved exactly each time; an
    # elastic-net solution may have more (69 here): its cap is 300 features.
    # Same optimum and zeros as Lasso / ElasticNet.
    n, p = {"n < 4p": (300, 120), "outgrown": (300, 120), "n << p": (60, 400),
            "n << p elasticnet": (60, 400)}.get(case, (600, 400))
    X, y = make_regression(n_samples=n, n_features=p,
                           n_informative=60 if case == "near the cap" else 30, noise=5.0,
                           random_state=2)
    y = y / np.std(y)
    options = replace(DEFAULT_OPTIONS, gram_max_features={"outgrown": 20,
                                                          "near the cap": 120}.get(case, 300))
    sw = np.random.default_rng(0).uniform(0.5, 2.0, n) if case == "weights" else None
    penalty = "elasticnet" if "elasticnet" in case or case == "near the cap" else "l1"
    kwargs = dict(alpha=0.01, positive=case == "positive")
    ref = (ElasticNet(l1_ratio=0.5, **kwargs) if penalty == "elasticnet" else Lasso(**kwargs))
    ref.set_params(tol=1e-14, max_iter=100_000).fit(X, y, sample_weight=sw)
    est = LossRegressor(penalty=penalty, **kwargs)
    [res] = solve_with(est, sp.csr_matrix(X) if case == "sparse" else X, y, sw,
                       options=options)
    assert res.converged and res.route.startswith("column-working-set")
    # every later round of the column working set started from its predecessor's exact
    # solution (not solved again)
    rounds = res.steps["rounds"]
    assert rounds >= (1 if case == "outgrown" else 2)
    assert res.steps["rounds-from-exact"] == rounds - 1
    # L-BFGS-B on all of X only when the working set outgrew its Gram matrix
    assert (res.route == "column-working-set > lbfgs") == (case == "outgrown")
    assert 20 < np.count_nonzero(res.coef) < p
    # exact in Gram form; L-BFGS-B stops at tol (1e-4 relative, on the gradient)
    rtol = 1e-5 if case == "outgrown" else 1e-8
    assert_same_optimum(res.coef[0], ref.coef_, rtol=rtol)
    assert res.intercept[0] == pytest.approx(ref.intercept_, abs=10 * rtol)


def test_full_working_set_without_zeros_goes_to_lbfgs():
    # A dense elastic net (unscaled y) fills a column working set capped at 20 columns
    # with nonzero coefficients only: nothing can leave to make room, so L-BFGS-B on X
    # finishes.
    X, y = make_regression(n_samples=300, n_features=120, n_informative=100, noise=5.0,
                           random_state=2)
    ref = ElasticNet(alpha=1.0, tol=1e-14, max_iter=100_000).fit(X, y)
    est = LossRegressor(penalty="elasticnet", alpha=1.0)
    [res] = solve_with(est, X, y, options=replace(DEFAULT_OPTIONS, gram_max_features=20))
    assert np.count_nonzero(ref.coef_) > 60
    assert res.route == "column-working-set > lbfgs" and res.converged
    assert_same_optimum(res.coef[0], ref.coef_, rtol=1e-5)


@pytest.mark.parametrize("y_scale", ["unscaled", "scaled"])
def test_dense_solution_goes_to_the_whole_gram(y_scale):
    # A first L1 fit whose solution is dense (unscaled y: alpha is tiny, nearly every
    # coefficient nonzero) leaves the column working set for the whole Gram matrix, kept
    # for refits; a sparse one stays on the column working set. Both reach Lasso's
    # optimum with its zeros.
    X, y = make_regression(n_samples=800, n_features=60, n_informative=12, noise=5.0,
                           random_state=0)
    if y_scale == "scaled":
        y = y / np.std(y)
    ref = Lasso(alpha=0.01, tol=1e-14, max_iter=100_000).fit(X, y)
    ours = LossRegressor(penalty="l1", alpha=0.01).fit(X, y)
    dense = y_scale == "unscaled"
    assert (np.count_nonzero(ref.coef_) > 45) == dense
    assert ("> gram-working-set" in ours.routes_[0]) == dense
    assert ours.converged_
    assert_same_optimum(ours.coef_, ref.coef_, rtol=1e-8)


@pytest.mark.parametrize("n, whole", [(2000, True), (4000, False)])
def test_whole_gram_only_for_big_new_columns(n, whole):
    # A column working set that would pass half of the features leaves for the whole
    # Gram matrix only when its new columns are at least half of that matrix: 16 -> 50
    # columns of 50 does (2 000 rows), 16 -> 31 does not (4 000 rows: 15 columns cost
    # less than all 50). Both reach ElasticNet's optimum.
    X, y = make_regression(n_samples=n, n_features=50, n_informative=10, noise=5.0,
                           random_state=0)
    ref = ElasticNet(alpha=1.0, tol=1e-14, max_iter=100_000).fit(X, y)
    ours = LossRegressor(penalty="elasticnet", alpha=1.0).fit(X, y)
    assert ("> gram-working-set" in ours.routes_[0]) == whole
    assert ours.converged_ and np.count_nonzero(ours.coef_) > 25
    assert_same_optimum(ours.coef_, ref.coef_, rtol=1e-8)


def test_column_working_set_cap_from_a_warm_start(capsys):
    # n << p Lasso along a path: a cold start's working set may grow to 2n columns, a
    # warm start's (the next alpha, from the last solution) to n; every alpha reaches
    # Lasso's optimum.
    X, y = make_regression(n_samples=50, n_features=350, n_informative=17, noise=5.0,
                           random_state=0)
    prob = Problem(SquaredError(), X, y, np.ones(50))
    coef, largest = np.zeros((1, 350)), []
    for alpha in [0.3, 0.2, 0.15, 0.1]:
        res = solve(prob, Penalty("l1", alpha), coef_init=coef, verbose=1)
        sizes = [int(line.split()[3]) for line in capsys.readouterr().out.splitlines()
                 if line.startswith("[column working set]")]
        largest.append(max(sizes, default=0))
        ref = Lasso(alpha=alpha, tol=1e-14, max_iter=1_000_000).fit(X, y)
        assert res.converged
        assert_coef_close(res.coef[0], ref.coef_, rtol=1e-6)
        coef = res.coef
    assert largest[0] > 50 and max(largest[1:]) <= 50


def test_exact_steps_drop_a_flipped_sign():
    # When the exact step for the current signs changes one, that coefficient leaves
    # (and re-enters with the sign its gradient asks for) and the steps go on, to the
    # optimum, where the previous rule gave up (then L-BFGS-B).
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 6))
    y = X @ [2.0, 0.0, 1.0, 0.0, 0.0, -1.0] + 0.1 * rng.standard_normal(200)
    s = np.full(200, 1 / 200)
    G = Gram(X, y, s, X.T @ s, True)
    ones, penalty = np.ones(6), Penalty("l1", 0.05)
    ref = Lasso(alpha=0.05, tol=1e-14, max_iter=100_000).fit(X, y).coef_

    def gradient(v):
        return G.matrix() @ v - G.c

    w = np.sign(ref)
    w[0] = -1.0  # the wrong sign for the largest coefficient
    assert working_sets.exact_step(G, penalty, w.copy())[0][0] > 0  # the step flips it
    exact = working_sets.exact_steps(G, penalty, w, gradient, ones, 1e-10)
    assert exact is not None
    assert np.max(penalty.violations(gradient(exact), exact, ones)) <= 1e-10
    np.testing.assert_allclose(exact, ref, atol=1e-8)


def test_nnls_failure_falls_back_to_lbfgs(monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("Maximum number of iterations reached.")

    X, y = make_regression(300, 12, n_informative=6, noise=10.0, random_state=0)
    est = LossRegressor(penalty="l1", alpha=0.01)
    [expected] = solve_with(est, X, y)
    assert expected.steps["nnls"] > 0
    monkeypatch.setattr(working_sets, "nnls", fail)
    [res] = solve_with(est, X, y)
    assert res.converged and res.steps["nnls"] == 0
    assert_coef_close(res.coef, expected.coef, rtol=1e-6)


def test_signed_nnls_refuses_a_wrong_sign():
    # NNLS with one variable per coefficient (its expected sign) gives the split NNLS's
    # optimum when the signs are right, and None when a coefficient left at 0 wants the
    # other sign; the working set then solves the split problem
    X, y = make_regression(n_samples=200, n_features=8, n_informative=8, noise=1.0,
                           random_state=2)
    y = y / np.std(y)
    s = np.full(len(y), 1 / len(y))
    sub = Gram(X, y, s, X.mean(axis=0), True).restricted(np.arange(8), np.std(X, axis=0))
    penalty = strengths(0.02, 0.01)
    split = working_sets.split_nnls(sub, penalty).coef[0]
    assert np.count_nonzero(split) == 8
    signed = working_sets.split_nnls(sub, penalty, np.sign(split), 1e-8)
    assert signed.exact and signed.route == working_sets.EXACT_STEP
    np.testing.assert_allclose(signed.coef[0], split, rtol=1e-8, atol=1e-10)
    wrong = np.sign(split)
    wrong[np.argmax(np.abs(split))] *= -1
    assert working_sets.split_nnls(sub, penalty, wrong, 1e-8) is None


@pytest.mark.parametrize("alpha", [0.01, 0.05])
def test_unchecked_solve_with_a_wrong_sign_is_solved_again(alpha):
    # A column working set's round takes NNLS's exact solution unchecked (the round's
    # check on every feature follows). Here x1 ~ x0 correlates positively with y but its
    # optimum is negative: the signed NNLS leaves it at 0, the check finds it violating
    # inside the working set with nothing outside (the other columns are orthogonal to
    # 1, x0, x1, hence to every residual), and the same working set is solved again,
    # checked: two rounds. Same optimum as Lasso.
    rng = np.random.default_rng(0)
    n = 200
    x0 = rng.standard_normal(n)
    x1 = x0 + 0.3 * rng.standard_normal(n)
    y = 3 * x0 - 2 * x1
    B = np.column_stack([np.ones(n), x0, x1])
    noise = rng.standard_normal((n, 18))
    noise -= B @ np.linalg.lstsq(B, noise, rcond=None)[0]
    X = np.column_stack([x0, x1, noise])
    assert np.all(X[:, :2].T @ (y - y.mean()) > 0)
    [res] = solve_with(LossRegressor(penalty="l1", alpha=alpha), X, y)
    ref = Lasso(alpha=alpha, tol=1e-14, max_iter=100_000).fit(X, y)
    assert res.route.startswith("column-working-set") and res.steps["rounds"] == 2
    assert res.converged and res.coef[0, 1] < 0
    assert_same_optimum(res.coef[0], ref.coef_, rtol=1e-8)


def test_elastic_net_denser_than_its_samples():
    # An elastic net with more nonzero coefficients than samples (n << p, an unscaled y)
    # takes its exact steps in the samples' space instead of finishing with L-BFGS-B on
    # X: ElasticNet's optimum and zeros.
    X, y = make_regression(n_samples=40, n_features=300, n_informative=15, noise=5.0,
                           random_state=3)
    ref = ElasticNet(alpha=1.0, tol=1e-14, max_iter=1_000_000).fit(X, y)
    ours = LossRegressor(penalty="elasticnet", alpha=1.0).fit(X, y)
    assert np.count_nonzero(ref.coef_) > 200
    assert ours.routes_ == ["column-working-set > sample-space"] and ours.converged_
    assert_same_optimum(ours.coef_, ref.coef_, rtol=1e-8)
    assert ours.intercept_ == pytest.approx(ref.intercept_, rel=1e-8)


def test_elastic_net_path_denser_than_its_samples_updates_its_kernel():
    # Along a path the samples' space keeps its kernel A A^T from one alpha to the next
    # (the problem's cache) and updates it in place by the features that joined or left
    # (a kernel computed afresh is a new array); every alpha reaches ElasticNet's optimum.
    X, y = make_regression(n_samples=60, n_features=400, n_informative=20, noise=5.0,
                           random_state=3)
    prob = Problem(SquaredError(), X, y, np.ones(60))
    coef, inherited = np.zeros((1, 400)), []
    for alpha in [4.0, 2.0, 1.0, 0.5]:
        state = prob.cache.sample_space
        before = (None, 0) if state is None else (state.K, state.updates)
        res = solve(prob, Penalty("elasticnet", alpha), coef_init=coef)
        state = prob.cache.sample_space
        # the kernel of the alpha before, updated (not computed afresh) at this one
        inherited.append(before[0] is not None and state.K is before[0]
                         and state.updates > before[1])
        ref = ElasticNet(alpha=alpha, tol=1e-14, max_iter=1_000_000).fit(X, y)
        assert res.converged
        assert_same_optimum(res.coef[0], ref.coef_, rtol=1e-7)
        coef = res.coef
    assert any(inherited) and np.count_nonzero(coef) > 60
