"""The solvers' rooms on their own: which route solves a problem (read off its result,
with the routes' limits set through ``SolverOptions``), the working sets, the Gram
form, the samples' space, the crossover's systems, the LP, and the passes over X."""

from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp
from _oracle import (assert_coef_close, assert_same_optimum, objective, penalty_value,
                     reference_fit, reference_multinomial)
from _solving import solve_with
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import ElasticNet, Lasso, Ridge

from sklearn_losses import Huber, LogLoss, LossClassifier, LossRegressor
from sklearn_losses._objective import LinearObjective
from sklearn_losses._solvers import (DEFAULT_OPTIONS, FitCache, Problem, SolverOptions,
                                     crossover, data, gram, lp, problem, solve,
                                     working_sets)
from sklearn_losses._solvers.gram import Gram, SampleSpace
from sklearn_losses.losses import CLASSIFICATION_LOSSES, LOSSES, SquaredError, resolve_loss
from sklearn_losses.penalties import Penalty


def strengths(l1, l2):
    """The elastic-net penalty ``l1 |w|_1 + l2 |w|_2^2 / 2``."""
    return Penalty("elasticnet", l1 + l2, l1 / (l1 + l2))


def recorded(monkeypatch, owner, name):
    """Patch ``owner.name`` to record the arguments of every call (the function itself
    still runs); returns the list of ``(args, kwargs)`` it fills."""
    calls, original = [], getattr(owner, name)

    def recording(*args, **kwargs):
        calls.append((args, kwargs))
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, recording)
    return calls


# --- the route table ------------------------------------------------------------------

@pytest.mark.parametrize("loss, penalty, positive, shape, route", [
    ("squared_error", "l2", False, (300, 12), "normal-equations"),
    ("squared_error", None, False, (40, 12), "normal-equations"),
    ("squared_error", "l1", False, (300, 12), "column-working-set"),
    ("squared_error", "l1", False, (40, 12), "column-working-set"),
    ("squared_error", None, True, (300, 12), "column-working-set"),
    ("huber", "l1", False, (300, 12), "lbfgs"),
    ("huber", "l2", False, (300, 12), "lbfgs"),
    ("huber", "l1", False, (150, 1000), "lbfgs-columns"),
    ("quantile", "l1", False, (300, 12), "smoothing"),
    ("absolute_error", "l2", False, (300, 12), "smoothing"),
])
def test_route_names_how_a_fit_was_solved(loss, penalty, positive, shape, route):
    # The first route of a fit's result is the one the route table chose for the loss's
    # and penalty's capabilities and the data's shape; the estimator reports it.
    X, y = make_regression(*shape, n_informative=10, noise=5.0, random_state=0)
    y = y / np.std(y)
    model = LossRegressor(loss, penalty=penalty, alpha=0.01, positive=positive).fit(X, y)
    assert model.routes_[0].split(" > ")[0] == route
    assert model.converged_


def test_zero_route_at_alpha_max():
    # At alpha_max the gradient at w = 0 certifies the optimum: the "zero" route, no
    # iteration; just below it a solver runs.
    X, y = make_regression(200, 8, noise=5.0, random_state=0)
    prob = Problem(SquaredError(), X, y, np.ones(200))
    top = Penalty("l1").alpha_max(prob.gradient_at_zero())
    res = solve(prob, Penalty("l1", top))
    assert res.route == "zero" and res.n_iter == 0 and not res.coef.any()
    assert solve(prob, Penalty("l1", 0.9 * top)).route != "zero"


def test_solver_choice_refusals():
    prob = Problem(resolve_loss("absolute_error"), np.ones((3, 1)), np.arange(3.0),
                   np.ones(3))
    with pytest.raises(ValueError, match="solver='lbfgs' needs a smooth loss"):
        solve(prob, Penalty("l2", 0.1), solver="lbfgs")
    with pytest.raises(ValueError, match="cannot handle an L2 part"):
        solve(prob, Penalty("l2", 0.1), solver="highs")


# --- the problem's scales and cache ---------------------------------------------------

@pytest.mark.parametrize("case", ["plain", "zero weight", "symmetric", "shifted"])
def test_tolerance_scale_and_terms(monkeypatch, case):
    # The scales compute the size of the terms (a pass for the column extremes) only
    # when its guard could change the scale; scale and terms() equal the direct formulas
    passes = recorded(monkeypatch, problem, "column_extremes")
    rng = np.random.default_rng(3)
    X = rng.standard_normal((60, 5)) * [1.0, 2.0, 0.5, 3.0, 1.0]
    y = X @ [1.0, 0.0, -2.0, 0.5, 0.0] + rng.standard_normal(60)
    sw = rng.uniform(0.5, 2.0, 60)
    if case == "zero weight":
        sw[:5] = 0.0
        X[:5] *= 100.0  # zero-weight rows count in the extremes
    if case == "symmetric":  # the gradient at w = 0 cancels: the guard sets the scale
        X = np.vstack([X, -X])
        y, sw = np.r_[y, y], np.r_[sw, sw]
    if case == "shifted":
        X = X + 1e3
    scales = Problem(SquaredError(), X, y, sw).scales()
    col_scale, scale, terms, g0 = (scales.columns.col_scale, scales.scale, scales.terms,
                                   scales.g0)
    assert len(passes) == (0 if case in ("plain", "shifted") else 1)
    # the shifted columns are centred explicitly (see column_statistics)
    assert scales.columns.shift.any() == (case == "shifted")
    w = sw / sw.sum()
    sg = w * (np.dot(w, y) - y)
    spread = np.max(np.abs(X - scales.columns.total_offset), axis=0) / col_scale
    expected_terms = np.abs(sg).sum() * max(np.max(spread), 1.0)
    assert terms() == pytest.approx(expected_terms, rel=1e-12)
    terms()
    assert len(passes) == 1  # computed once
    largest = np.max(np.abs(g0 / col_scale))
    assert scale == pytest.approx(max(largest, 1e-3 * expected_terms), rel=1e-12)
    if case == "symmetric":
        assert scale == pytest.approx(1e-3 * expected_terms, rel=1e-12)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_first_normal_equations_then_l1_on_the_same_cache(fit_intercept):
    # A first L2 fit on new data solves the normal equations without the tolerance
    # scales; an L1 refit on the same cache computes them and reuses its Gram matrix.
    X, y = make_regression(300, 12, n_informative=6, noise=10.0, random_state=0)
    y = y / 10
    sw = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    prob = Problem(SquaredError(), X, y, sw, fit_intercept)
    kwargs = dict(solver="lbfgs", tol=1e-10, intercept_init=np.zeros(1))
    ridge = solve(prob, Penalty("l2", 0.3), **kwargs)
    assert ridge.route == "normal-equations" and ridge.exact
    assert prob.cache.gram is not None and prob.cache.scales is None
    ref = Ridge(alpha=0.3 * np.sum(sw), fit_intercept=fit_intercept).fit(X, y, sample_weight=sw)
    assert_coef_close(ridge.coef[0], ref.coef_, rtol=1e-10)
    assert ridge.intercept[0] == pytest.approx(ref.intercept_, abs=1e-10 * np.max(np.abs(y)))
    gram_before = prob.cache.gram
    lasso = solve(prob, Penalty("l1", 0.05), **kwargs)
    assert prob.cache.scales is not None and prob.cache.gram is gram_before
    assert lasso.route.startswith("gram-working-set")
    ref = Lasso(alpha=0.05, fit_intercept=fit_intercept, tol=1e-14, max_iter=100_000)
    ref.fit(X, y, sample_weight=sw * len(y) / np.sum(sw))
    assert_coef_close(lasso.coef[0], ref.coef_, rtol=1e-6)


# --- working sets in Gram form --------------------------------------------------------

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
def test_column_working_set(monkeypatch, case):
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
    solved_starts = []
    exact_steps = working_sets.exact_steps

    def checked_exact_steps(gram, penalty, w, *args, solved=False, **kwargs):
        if solved:  # a later round starts from the previous round's solution, unsolved:
            # it must be the exact solution for its signs on the grown Gram matrix
            solved_starts.append(np.count_nonzero(w))
            np.testing.assert_allclose(working_sets.exact_step(gram, penalty, w)[0], w,
                                       rtol=1e-9, atol=1e-12)
        return exact_steps(gram, penalty, w, *args, solved=solved, **kwargs)

    monkeypatch.setattr(working_sets, "exact_steps", checked_exact_steps)
    rounds = recorded(monkeypatch, working_sets, "gram_working_set")
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
    # every later round of the column working set started from its predecessor's solution
    # (checked exact above, as is every start from an exact NNLS solution)
    assert all(kwargs.get("solved") for _, kwargs in rounds[1:])
    assert len(solved_starts) >= len(rounds) - 1
    assert res.steps["rounds"] == len(rounds) >= (1 if case == "outgrown" else 2)
    # L-BFGS-B on all of X only when the working set outgrew its Gram matrix
    assert (res.route == "column-working-set > lbfgs") == (case == "outgrown")
    assert 20 < np.count_nonzero(res.coef) < p
    # exact in Gram form; L-BFGS-B stops at tol (1e-4 relative, on the gradient)
    rtol = 1e-5 if case == "outgrown" else 1e-8
    assert_same_optimum(res.coef[0], ref.coef_, rtol=rtol)
    assert res.intercept[0] == pytest.approx(ref.intercept_, abs=10 * rtol)


def test_full_working_set_without_zeros_goes_to_lbfgs(monkeypatch):
    # A dense elastic net (unscaled y) fills a column working set capped at 20 columns
    # with nonzero coefficients only: nothing can leave to make room, so L-BFGS-B on X
    # finishes at once, without a copy of the set's Gram matrix (Gram.kept) first.
    kept = recorded(monkeypatch, Gram, "kept")
    X, y = make_regression(n_samples=300, n_features=120, n_informative=100, noise=5.0,
                           random_state=2)
    ref = ElasticNet(alpha=1.0, tol=1e-14, max_iter=100_000).fit(X, y)
    est = LossRegressor(penalty="elasticnet", alpha=1.0)
    [res] = solve_with(est, X, y, options=replace(DEFAULT_OPTIONS, gram_max_features=20))
    assert np.count_nonzero(ref.coef_) > 60
    assert not any(args[1].all() for args, _ in kept)
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
def test_unchecked_solve_with_a_wrong_sign_is_solved_again(monkeypatch, alpha):
    # A column working set's round takes NNLS's exact solution unchecked (the round's
    # check on every feature follows). Here x1 ~ x0 correlates positively with y but its
    # optimum is negative: the signed NNLS leaves it at 0, the check finds it violating
    # inside the working set with nothing outside (the other columns are orthogonal to
    # 1, x0, x1, hence to every residual), and the same working set is solved again,
    # checked. Same optimum as Lasso.
    calls = recorded(monkeypatch, working_sets, "gram_working_set")
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
    ours = LossRegressor(penalty="l1", alpha=alpha).fit(X, y)
    ref = Lasso(alpha=alpha, tol=1e-14, max_iter=100_000).fit(X, y)
    assert [(len(args[0].c), kwargs["check"]) for args, kwargs in calls] == [(2, False),
                                                                            (2, True)]
    assert ours.converged_ and ours.coef_[1] < 0
    assert_same_optimum(ours.coef_, ref.coef_, rtol=1e-8)


# --- the Gram form and the samples' space ---------------------------------------------

@pytest.mark.parametrize("weights", ["unequal", "equal"])
def test_gram_carry_equals_a_fresh_gram(weights):
    # A Gram matrix on more features takes over the columns computed on fewer (its
    # first ones) and computes the new features' columns: the same matrix as computed
    # from scratch (equal weights: the new columns by one product with a view of X).
    rng = np.random.default_rng(1)
    X, y, s = rng.standard_normal((50, 40)) + 2.0, rng.standard_normal(50), rng.uniform(size=50)
    if weights == "equal":
        s = np.ones(50)
    s = s / s.sum()
    offset = X.T @ s
    small = Gram(X[:, :25], y, s, offset[:25], True)
    small.rows([1, 3])  # only some columns known
    big = Gram(X, y, s, offset, True)
    big.carry(small)
    known = np.r_[1, 3, 25:40]
    assert big._known[known].all() and np.count_nonzero(big._known) == known.size
    fresh = Gram(X, y, s, offset, True)
    np.testing.assert_allclose(big.matrix(), fresh.matrix(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(big.c, fresh.c, rtol=1e-12)
    # grown(): the same, with the moments of y taken over instead of computed again
    grown = small.grown(X, offset, fresh.c)
    assert grown._known[known].all() and np.count_nonzero(grown._known) == known.size
    np.testing.assert_allclose(grown.matrix(), fresh.matrix(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose([grown.S, grown.y_bar, grown.q],
                               [fresh.S, fresh.y_bar, fresh.q], rtol=1e-12)
    # kept(): some features leave (a full column working set's zero coefficients); the
    # rest keep the entries computed for them, and a later column is computed as fresh
    keep = np.zeros(40, dtype=bool)
    keep[[0, 3, 7, 25, 30, 39]] = True
    kept = small.grown(X, offset, fresh.c).kept(keep)  # columns 1, 3, 25-39 known
    assert np.array_equal(kept._known, [False, True, False, True, True, True])
    np.testing.assert_allclose(kept.rows([1, 3]), fresh.rows([3, 25])[:, keep],
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(kept.matrix(), fresh.matrix()[np.ix_(keep, keep)],
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(kept.c, fresh.c[keep], rtol=1e-12)


@pytest.mark.parametrize("sparse", [False, True])
def test_centred_gram_matches_its_formula(sparse):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 6)) * (rng.random((300, 6)) < 0.5)
    s = rng.uniform(0.1, 2.0, 300)
    offset = rng.standard_normal(6)
    rows, cols = np.sort(rng.choice(300, 40, replace=False)), np.array([4, 1])
    s_rows = np.zeros(300)
    s_rows[rows] = s[rows]
    Xc = X - offset
    A = sp.csr_matrix(X) if sparse else X
    for weights in (s, np.full(300, 0.7)):  # equal weights: X^T X itself, unblocked
        np.testing.assert_allclose(gram.centred_gram(A, weights, offset, block=64),
                                   Xc.T @ (Xc * weights[:, None]), rtol=1e-12, atol=1e-12)
    for span in (np.arange(0, 2), np.arange(2, 5), np.arange(3, 6)):
        # a range of columns, equal weights: its own rows by a symmetric product, the rows
        # before and after it by general products
        np.testing.assert_allclose(gram.centred_gram(A, np.full(300, 0.7), offset, cols=span),
                                   Xc.T @ (Xc[:, span] * 0.7), rtol=1e-12, atol=1e-12)
    expected = Xc[rows].T @ (Xc[rows][:, cols] * s[rows, None])
    got = gram.centred_gram(A, s_rows, offset, cols=cols, rows=rows, block=16)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("weights", [False, True])
def test_sample_space_step_equals_the_gram_step(weights):
    # The exact step for an elastic net's signs solved in the samples' space (an n x n
    # system, Woodbury) is the one solved on the k x k Gram block, for more nonzero
    # coefficients than samples, with the implicit centring and sample weights.
    rng = np.random.default_rng(4)
    n, p = 30, 80
    X, y = rng.standard_normal((n, p)) + 1.0, rng.standard_normal(n)
    sw = rng.uniform(0.5, 2.0, n) if weights else np.ones(n)
    columns = data.column_statistics(X, sw, True)
    obj = LinearObjective(SquaredError().loss_gradient, X, y, sw, True,
                          offset=columns.offset, col_scale=columns.col_scale)
    G = Gram(X, y, obj.sample_weight, columns.offset, True)
    penalty = strengths(0.01, 0.3)
    w = np.zeros(p)
    w[rng.choice(p, 50, replace=False)] = rng.choice([-1.0, 1.0], 50)  # 50 > n
    space = SampleSpace(obj, G.c)
    for step in range(4):
        # later steps update the kernel A A^T of the step before: a few features join
        # or leave (fewer than a quarter), some change sign; the first computes it
        if step:
            moved = rng.choice(p, 6, replace=False)
            w[moved] = np.where(w[moved] == 0, rng.choice([-1.0, 1.0], 6), 0.0)
            w[rng.choice(np.flatnonzero(w), 3, replace=False)] *= -1
        gram_exact, gram_g = working_sets.exact_step(G, penalty, w)
        space_exact, space_g = working_sets.sample_space_step(space, penalty, w)
        assert space.state.updates == step
        np.testing.assert_allclose(space_exact, gram_exact, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(space_g, gram_g, rtol=1e-9, atol=1e-12)
    A = space.columns(np.flatnonzero(w))
    np.testing.assert_allclose(space.state.K, A @ A.T, rtol=1e-12, atol=1e-12)
    # many changes at once: afresh
    w[:] = 0.0
    w[:40] = 1.0
    working_sets.sample_space_step(space, penalty, w)
    assert space.state.updates == 0


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


def test_elastic_net_path_denser_than_its_samples_updates_its_kernel(monkeypatch):
    # Along a path the samples' space keeps its kernel A A^T from one alpha to the next
    # (the problem's cache) and updates it by the features that joined or left; every
    # alpha reaches ElasticNet's optimum.
    kernels = recorded(monkeypatch, SampleSpace, "kernel")
    X, y = make_regression(n_samples=60, n_features=400, n_informative=20, noise=5.0,
                           random_state=3)
    prob = Problem(SquaredError(), X, y, np.ones(60))
    coef, inherited = np.zeros((1, 400)), []
    for alpha in [4.0, 2.0, 1.0, 0.5]:
        kernels.clear()
        state = prob.cache.sample_space
        had = state is not None and state.K is not None
        res = solve(prob, Penalty("elasticnet", alpha), coef_init=coef)
        if kernels:  # a step in the samples' space: from the earlier alpha's kernel?
            inherited.append(had and kernels[0][0][0].state is state)
        ref = ElasticNet(alpha=alpha, tol=1e-14, max_iter=1_000_000).fit(X, y)
        assert res.converged
        assert_same_optimum(res.coef[0], ref.coef_, rtol=1e-7)
        coef = res.coef
    assert any(inherited) and prob.cache.sample_space.updates > 0
    assert np.count_nonzero(coef) > 60


# --- L-BFGS-B: preconditioning, working sets of columns -------------------------------

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


# --- smoothing: Newton stages, the crossover's systems, the LP ------------------------

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


# --- the passes over X ----------------------------------------------------------------

@pytest.mark.parametrize("layout", ["C", "F", "strided", "csr"])
@pytest.mark.parametrize("k", [3, 12])  # few columns (fancy indexing) / a fifth (np.take)
def test_gather_columns(layout, k):
    # X[:, idx], Fortran-ordered, whatever X's layout; by row blocks (one row or three,
    # the last block short) once the gathered columns pass the block size; X untouched.
    rng = np.random.default_rng(5)
    dense = rng.standard_normal((23, 40))
    X = {"C": dense, "F": np.asfortranarray(dense), "strided": dense[:, ::2],
         "csr": sp.csr_matrix(dense)}[layout]
    before = X.copy()
    idx = rng.choice(X.shape[1], k, replace=False)  # unsorted
    expected = (X.toarray() if sp.issparse(X) else X)[:, idx]
    for block in [1 << 20, 8, 8 * 40 * 3]:
        got = data.gather_columns(X, idx, block_bytes=block)
        if sp.issparse(X):
            got = got.toarray()
        else:
            assert got.flags.f_contiguous
            out = np.full((23, k + 2), np.nan, order="F")
            assert data.gather_columns(X, idx, out=out[:, 2:], block_bytes=block) is not None
            np.testing.assert_array_equal(out[:, 2:], expected)
            assert np.isnan(out[:, :2]).all()
        np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(X.toarray() if sp.issparse(X) else X,
                                  before.toarray() if sp.issparse(X) else before)


def test_sparse_with_duplicate_entries_equals_dense():
    # a CSR matrix may store one entry in several parts (not canonical): column scales
    # and extremes must use their sums, as the dense matrix does
    X, y = make_regression(300, 12, n_informative=6, noise=10.0, random_state=0)
    y = y / 10
    csr = sp.csr_matrix(X)
    row = np.repeat(np.arange(X.shape[0]), np.diff(csr.indptr))
    order = np.argsort(np.r_[row, row], kind="stable")  # each entry twice, halved
    parts = sp.csr_matrix((np.r_[csr.data, csr.data][order] / 2,
                           np.r_[csr.indices, csr.indices][order], 2 * csr.indptr),
                          shape=X.shape)
    assert not parts.has_canonical_format
    np.testing.assert_allclose(parts.toarray(), X)
    sw = np.ones(len(y))
    V = np.column_stack([y, y**2])
    for A in (parts, parts.tocsc(), sp.csr_matrix(X), X):
        # the dense pass in blocks of 7 rows (several, the last one short)
        columns = data.column_statistics(A, sw, True, V, block=7 * X.shape[1])
        np.testing.assert_allclose(columns.offset, X.mean(axis=0), rtol=1e-12)
        np.testing.assert_allclose(columns.col_scale, np.std(X, axis=0), rtol=1e-10)
        np.testing.assert_allclose(columns.XtV, X.T @ V, rtol=1e-12)
        high, low = data.column_extremes(A)
        np.testing.assert_allclose(high, X.max(axis=0))
        np.testing.assert_allclose(low, X.min(axis=0))
    dense = LossRegressor("huber", penalty="l1", alpha=0.01).fit(X, y)
    ours = LossRegressor("huber", penalty="l1", alpha=0.01).fit(parts, y)
    assert_coef_close(ours.coef_, dense.coef_, rtol=1e-5)


class _ThreadsSeen(Huber):
    """Huber recording the BLAS libraries' thread counts while the solver evaluates it."""

    seen = []

    def loss_gradient(self, y, raw):
        from threadpoolctl import threadpool_info

        if len(self.seen) < 3:
            self.seen.append({i["filepath"]: i["num_threads"] for i in threadpool_info()
                              if i["user_api"] == "blas"})
        return super().loss_gradient(y, raw)


def test_blas_limited_to_one_thread_while_solving_and_restored():
    # numpy's and scipy's OpenBLAS pools spin against each other on few cores: a fit
    # solves with one BLAS thread and gives the user's setting back afterwards
    from threadpoolctl import threadpool_info, threadpool_limits

    X, y = make_regression(n_samples=200, n_features=20, noise=1.0, random_state=0)
    _ThreadsSeen.seen.clear()
    with threadpool_limits(limits=2, user_api="blas"):
        before = {i["filepath"]: i["num_threads"] for i in threadpool_info()
                  if i["user_api"] == "blas"}
        if not before:
            pytest.skip("no BLAS library that threadpoolctl can control")
        LossRegressor(_ThreadsSeen(), penalty="l1", alpha=0.01).fit(X, y)
        after = {i["filepath"]: i["num_threads"] for i in threadpool_info()
                 if i["user_api"] == "blas"}
    seen = _ThreadsSeen.seen
    assert seen and all(set(s.values()) == {1} for s in seen)
    assert after == before


def test_options_are_frozen_data():
    # SolverOptions is data: a changed copy, never a changed default
    assert isinstance(DEFAULT_OPTIONS, SolverOptions)
    with pytest.raises(AttributeError):
        DEFAULT_OPTIONS.gram_max_features = 10
    assert DEFAULT_OPTIONS.p_by_p_pays(1200, 300) and not DEFAULT_OPTIONS.p_by_p_pays(1199, 300)
    assert not replace(DEFAULT_OPTIONS, gram_max_features=0).p_by_p_pays(10**6, 1)


def test_fit_cache_is_per_problem():
    # two problems on the same X keep their own caches (a path's alphas share one)
    X, y = make_regression(100, 5, random_state=0)
    a, b = (Problem(SquaredError(), X, y, np.ones(100)) for _ in range(2))
    assert isinstance(a.cache, FitCache) and a.cache is not b.cache
    solve(a, Penalty("l1", 0.1))
    assert a.cache.scales is not None and b.cache.scales is None
