"""LossRegressor against scikit-learn's estimators, and its input handling."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.datasets import make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet, Lasso, PoissonRegressor, QuantileRegressor, Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_losses import Huber, LossRegressor, Quantile
from sklearn_losses.losses import REGRESSION_LOSSES


@pytest.fixture(scope="module")
def data():
    X, y = make_regression(n_samples=300, n_features=12, n_informative=6, noise=10.0,
                           random_state=0)
    return X, y / 10


def assert_coef_close(a, b, rtol=1e-4):
    scale = np.max(np.abs(b))
    np.testing.assert_allclose(a, b, rtol=0, atol=rtol * scale)


def assert_same_optimum(coef, ref_coef, rtol):
    """Coefficients within ``rtol`` of the reference's largest, with the same zeros."""
    assert_coef_close(coef, ref_coef, rtol=rtol)
    assert np.array_equal(coef == 0, ref_coef == 0)


def first_arguments(monkeypatch, owner, name):
    """Patch ``owner.name`` to record the first argument of every call (an objective, a
    Gram matrix, ...); returns the list it fills."""
    calls, original = [], getattr(owner, name)

    def recorded(first, *args, **kwargs):
        calls.append(first)
        return original(first, *args, **kwargs)

    monkeypatch.setattr(owner, name, recorded)
    return calls


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


@pytest.mark.parametrize("case", ["plain", "zero weight", "symmetric", "shifted"])
def test_tolerance_scale_and_terms(monkeypatch, case):
    # _scales computes the size of the terms (a pass for the column extremes) only when
    # its guard could change the scale; scale and terms() equal the direct formulas
    from sklearn_losses import _solvers
    from sklearn_losses._solvers import _scales
    from sklearn_losses.losses import SquaredError

    passes = []
    extremes = _solvers.column_extremes
    monkeypatch.setattr(_solvers, "column_extremes", lambda X: passes.append(1) or extremes(X))

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
    scales = _scales(SquaredError(), X, y, sw, True, 1, None)
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
def test_first_normal_equations_then_l1_on_the_same_cache(data, fit_intercept):
    # A first L2 fit on new data solves the normal equations without the tolerance
    # scales; an L1 refit on the same cache computes them and reuses its Gram matrix.
    from sklearn_losses._solvers import solve
    from sklearn_losses.losses import SquaredError

    X, y = data[0][:300], data[1][:300]
    sw = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    n, p = X.shape
    cache = {}
    kwargs = dict(fit_intercept=fit_intercept, positive=False, solver="lbfgs", tol=1e-10,
                  max_iter=1000, coef_init=np.zeros((1, p)), intercept_init=np.zeros(1),
                  cache=cache)
    ridge = solve(SquaredError(), X, y, sw, l1=0.0, l2=0.3, **kwargs)
    assert "gram" in cache and "scales" not in cache
    ref = Ridge(alpha=0.3 * np.sum(sw), fit_intercept=fit_intercept).fit(X, y, sample_weight=sw)
    assert_coef_close(ridge.coef[0], ref.coef_, rtol=1e-10)
    assert ridge.intercept[0] == pytest.approx(ref.intercept_, abs=1e-10 * np.max(np.abs(y)))
    lasso = solve(SquaredError(), X, y, sw, l1=0.05, l2=0.0, **kwargs)
    assert "scales" in cache
    ref = Lasso(alpha=0.05, fit_intercept=fit_intercept, tol=1e-14, max_iter=100_000)
    ref.fit(X, y, sample_weight=sw * len(y) / np.sum(sw))
    assert_coef_close(lasso.coef[0], ref.coef_, rtol=1e-6)


@pytest.mark.parametrize("positive", [False, True])
@pytest.mark.parametrize("nnls", ["nnls", "split", "lbfgs"])
def test_gram_working_set_with_or_without_nnls(monkeypatch, positive, nnls):
    # Working sets of up to 64 features are solved by scipy's NNLS, larger ones (or an
    # NNLS failure) by L-BFGS-B; either way the exact step makes the solution exact,
    # the Lasso's (started with fewer features than violate: geometric growth).
    from sklearn_losses import _solvers

    X, y = make_regression(n_samples=400, n_features=40, n_informative=25, noise=5.0,
                           random_state=1)
    y = y / np.std(y)
    if nnls == "lbfgs":
        monkeypatch.setattr(_solvers, "_NNLS_MAX_FEATURES", 0)
    if nnls == "split":  # every signed NNLS refused: the split NNLS takes over
        signed_or_split = _solvers._split_nnls

        def split_only(sub, l1, l2, positive, signs=None, gtol=None):
            return None if signs is not None else signed_or_split(sub, l1, l2, positive)

        monkeypatch.setattr(_solvers, "_split_nnls", split_only)
    ref = Lasso(alpha=0.005, positive=positive, tol=1e-14, max_iter=100_000).fit(X, y)
    ours = LossRegressor(penalty="l1", alpha=0.005, positive=positive).fit(X, y)
    assert ours.converged_
    assert_same_optimum(ours.coef_, ref.coef_, rtol=1e-6)


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
    from sklearn_losses import _solvers

    calls = first_arguments(monkeypatch, _solvers, "_column_working_set")
    lbfgs_runs = first_arguments(monkeypatch, _solvers, "_lbfgs")
    solved_starts = []
    exact_steps = _solvers._exact_steps

    def checked_exact_steps(gram, l1, l2, positive, w, *args, solved=False, **kwargs):
        if solved:  # a later round starts from the previous round's solution, unsolved:
            # it must be the exact solution for its signs on the grown Gram matrix
            solved_starts.append(np.count_nonzero(w))
            np.testing.assert_allclose(_solvers._exact_step(gram, l1, l2, positive, w)[0], w,
                                       rtol=1e-9, atol=1e-12)
        return exact_steps(gram, l1, l2, positive, w, *args, solved=solved, **kwargs)

    monkeypatch.setattr(_solvers, "_exact_steps", checked_exact_steps)
    rounds = []
    working_set = _solvers._working_set
    monkeypatch.setattr(_solvers, "_working_set",
                        lambda *a, **k: rounds.append(k.get("solved")) or working_set(*a, **k))
    n, p = {"n < 4p": (300, 120), "outgrown": (300, 120), "n << p": (60, 400),
            "n << p elasticnet": (60, 400)}.get(case, (600, 400))
    X, y = make_regression(n_samples=n, n_features=p,
                           n_informative=60 if case == "near the cap" else 30, noise=5.0,
                           random_state=2)
    y = y / np.std(y)
    if case in ("outgrown", "near the cap"):
        monkeypatch.setattr(_solvers, "_GRAM_MAX_FEATURES", 20 if case == "outgrown" else 120)
    sw = np.random.default_rng(0).uniform(0.5, 2.0, n) if case == "weights" else None
    penalty = "elasticnet" if "elasticnet" in case or case == "near the cap" else "l1"
    kwargs = dict(alpha=0.01, positive=case == "positive")
    ref = (ElasticNet(l1_ratio=0.5, **kwargs) if penalty == "elasticnet" else Lasso(**kwargs))
    ref.set_params(tol=1e-14, max_iter=100_000).fit(X, y, sample_weight=sw)
    ours = LossRegressor(penalty=penalty, **kwargs).fit(
        sp.csr_matrix(X) if case == "sparse" else X, y, sample_weight=sw)
    assert calls and ours.converged_
    # every later round of the column working set started from its predecessor's solution
    # (checked exact above, as is every start from an exact NNLS solution)
    assert all(rounds[1:]) and len(solved_starts) >= len(rounds) - 1
    assert len(rounds) >= (1 if case == "outgrown" else 2)
    # L-BFGS-B on all of X only when the working set outgrew its Gram matrix
    assert any(obj.X.shape == X.shape for obj in lbfgs_runs) == (case == "outgrown")
    assert 20 < np.count_nonzero(ours.coef_) < p
    # exact in Gram form; L-BFGS-B stops at tol (1e-4 relative, on the gradient)
    rtol = 1e-5 if case == "outgrown" else 1e-8
    assert_same_optimum(ours.coef_, ref.coef_, rtol=rtol)
    assert ours.intercept_ == pytest.approx(ref.intercept_, abs=10 * rtol)


def test_full_working_set_without_zeros_goes_to_lbfgs(monkeypatch):
    # A dense elastic net (unscaled y) fills a column working set capped at 20 columns
    # with nonzero coefficients only: nothing can leave to make room, so L-BFGS-B on X
    # finishes at once, without a copy of the set's Gram matrix (Gram.kept) first.
    from sklearn_losses import _solvers
    from sklearn_losses._objective import Gram

    monkeypatch.setattr(_solvers, "_GRAM_MAX_FEATURES", 20)
    masks = []
    kept = Gram.kept
    monkeypatch.setattr(Gram, "kept", lambda gram, keep: masks.append(keep) or kept(gram, keep))
    lbfgs_runs = first_arguments(monkeypatch, _solvers, "_lbfgs")
    X, y = make_regression(n_samples=300, n_features=120, n_informative=100, noise=5.0,
                           random_state=2)
    ref = ElasticNet(alpha=1.0, tol=1e-14, max_iter=100_000).fit(X, y)
    ours = LossRegressor(penalty="elasticnet", alpha=1.0).fit(X, y)
    assert np.count_nonzero(ref.coef_) > 60
    assert not any(mask.all() for mask in masks)
    assert any(obj.X.shape == X.shape for obj in lbfgs_runs)
    assert ours.converged_
    assert_same_optimum(ours.coef_, ref.coef_, rtol=1e-5)


@pytest.mark.parametrize("y_scale", ["unscaled", "scaled"])
def test_dense_solution_goes_to_the_whole_gram(monkeypatch, y_scale):
    # A first L1 fit whose solution is dense (unscaled y: alpha is tiny, nearly every
    # coefficient nonzero) leaves the column working set for the whole Gram matrix, kept
    # for refits; a sparse one stays on the column working set. Both reach Lasso's
    # optimum with its zeros.
    from sklearn_losses._objective import Gram

    completed = first_arguments(monkeypatch, Gram, "complete")
    X, y = make_regression(n_samples=800, n_features=60, n_informative=12, noise=5.0,
                           random_state=0)
    if y_scale == "scaled":
        y = y / np.std(y)
    ref = Lasso(alpha=0.01, tol=1e-14, max_iter=100_000).fit(X, y)
    ours = LossRegressor(penalty="l1", alpha=0.01).fit(X, y)
    dense = y_scale == "unscaled"
    assert (np.count_nonzero(ref.coef_) > 45) == dense
    assert any(gram.X is X for gram in completed) == dense
    assert ours.converged_
    assert_same_optimum(ours.coef_, ref.coef_, rtol=1e-8)


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


def test_column_working_set_cap_from_a_warm_start(capsys):
    # n << p Lasso along a path: a cold start's working set may grow to 2n columns, a
    # warm start's (the next alpha, from the last solution) to n; every alpha reaches
    # Lasso's optimum.
    from sklearn_losses._solvers import solve
    from sklearn_losses.losses import SquaredError

    X, y = make_regression(n_samples=50, n_features=350, n_informative=17, noise=5.0,
                           random_state=0)
    coef, largest, cache = np.zeros((1, 350)), [], {}
    for alpha in [0.3, 0.2, 0.15, 0.1]:
        res = solve(SquaredError(), X, y, np.ones(50), l1=alpha, l2=0.0, fit_intercept=True,
                    positive=False, solver="lbfgs", tol=1e-6, max_iter=1000, coef_init=coef,
                    intercept_init=None, verbose=1, cache=cache)
        sizes = [int(line.split()[3]) for line in capsys.readouterr().out.splitlines()
                 if line.startswith("[column working set]")]
        largest.append(max(sizes, default=0))
        ref = Lasso(alpha=alpha, tol=1e-14, max_iter=1_000_000).fit(X, y)
        assert res.converged
        assert_coef_close(res.coef[0], ref.coef_, rtol=1e-6)
        coef = res.coef
    assert largest[0] > 50 and max(largest[1:]) <= 50


@pytest.mark.parametrize("n, whole", [(2000, True), (4000, False)])
def test_whole_gram_only_for_big_new_columns(monkeypatch, n, whole):
    # A column working set that would pass half of the features leaves for the whole
    # Gram matrix only when its new columns are at least half of that matrix: 16 -> 50
    # columns of 50 does (2 000 rows), 16 -> 31 does not (4 000 rows: 15 columns cost
    # less than all 50). Both reach ElasticNet's optimum.
    from sklearn_losses._objective import Gram

    completed = first_arguments(monkeypatch, Gram, "complete")
    X, y = make_regression(n_samples=n, n_features=50, n_informative=10, noise=5.0,
                           random_state=0)
    ref = ElasticNet(alpha=1.0, tol=1e-14, max_iter=100_000).fit(X, y)
    ours = LossRegressor(penalty="elasticnet", alpha=1.0).fit(X, y)
    assert any(gram.X is X for gram in completed) == whole
    assert ours.converged_ and np.count_nonzero(ours.coef_) > 25
    assert_same_optimum(ours.coef_, ref.coef_, rtol=1e-8)


@pytest.mark.parametrize("weights", ["unequal", "equal"])
def test_gram_carry_equals_a_fresh_gram(weights):
    # A Gram matrix on more features takes over the columns computed on fewer (its
    # first ones) and computes the new features' columns: the same matrix as computed
    # from scratch (equal weights: the new columns by one product with a view of X).
    from sklearn_losses._objective import Gram

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


@pytest.mark.parametrize("layout", ["C", "F", "strided", "csr"])
@pytest.mark.parametrize("k", [3, 12])  # few columns (fancy indexing) / a fifth (np.take)
def test_gather_columns(monkeypatch, layout, k):
    # X[:, idx], Fortran-ordered, whatever X's layout; by row blocks (one row or three,
    # the last block short) once the gathered columns pass the block size; X untouched.
    from sklearn_losses import _objective

    rng = np.random.default_rng(5)
    dense = rng.standard_normal((23, 40))
    X = {"C": dense, "F": np.asfortranarray(dense), "strided": dense[:, ::2],
         "csr": sp.csr_matrix(dense)}[layout]
    before = X.copy()
    idx = rng.choice(X.shape[1], k, replace=False)  # unsorted
    expected = (X.toarray() if sp.issparse(X) else X)[:, idx]
    for block in [1 << 20, 8, 8 * 40 * 3]:
        monkeypatch.setattr(_objective, "_GATHER_BLOCK_BYTES", block)
        got = _objective.gather_columns(X, idx)
        if sp.issparse(X):
            got = got.toarray()
        else:
            assert got.flags.f_contiguous
            out = np.full((23, k + 2), np.nan, order="F")
            assert _objective.gather_columns(X, idx, out=out[:, 2:]) is not None
            np.testing.assert_array_equal(out[:, 2:], expected)
            assert np.isnan(out[:, :2]).all()
        np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(X.toarray() if sp.issparse(X) else X,
                                  before.toarray() if sp.issparse(X) else before)


@pytest.mark.parametrize("weights", [False, True])
def test_sample_space_step_equals_the_gram_step(weights):
    # The exact step for an elastic net's signs solved in the samples' space (an n x n
    # system, Woodbury) is the one solved on the k x k Gram block, for more nonzero
    # coefficients than samples, with the implicit centring and sample weights.
    from sklearn_losses._objective import Gram, LinearObjective, SampleSpace, column_statistics
    from sklearn_losses._solvers import _exact_step, _sample_space_step
    from sklearn_losses.losses import SquaredError

    rng = np.random.default_rng(4)
    n, p = 30, 80
    X, y = rng.standard_normal((n, p)) + 1.0, rng.standard_normal(n)
    sw = rng.uniform(0.5, 2.0, n) if weights else np.ones(n)
    columns = column_statistics(X, sw, True)
    offset = columns.offset
    obj = LinearObjective(SquaredError().loss_gradient, X, y, sw, True, offset=offset,
                          col_scale=columns.col_scale)
    s = obj.sample_weight
    gram = Gram(X, y, s, offset, True)
    w = np.zeros(p)
    w[rng.choice(p, 50, replace=False)] = rng.choice([-1.0, 1.0], 50)  # 50 > n
    space = SampleSpace(obj, gram.c)
    for step in range(4):
        # later steps update the kernel A A^T of the step before: a few features join
        # or leave (fewer than a quarter), some change sign; the first computes it
        if step:
            moved = rng.choice(p, 6, replace=False)
            w[moved] = np.where(w[moved] == 0, rng.choice([-1.0, 1.0], 6), 0.0)
            w[rng.choice(np.flatnonzero(w), 3, replace=False)] *= -1
        gram_exact, gram_g = _exact_step(gram, 0.01, 0.3, False, w)
        space_exact, space_g = _sample_space_step(space, 0.01, 0.3, False, w)
        assert space.state["updates"] == step
        np.testing.assert_allclose(space_exact, gram_exact, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(space_g, gram_g, rtol=1e-9, atol=1e-12)
    A = space.columns(np.flatnonzero(w))
    np.testing.assert_allclose(space.state["K"], A @ A.T, rtol=1e-12, atol=1e-12)
    # many changes at once: afresh
    w[:] = 0.0
    w[:40] = 1.0
    _sample_space_step(space, 0.01, 0.3, False, w)
    assert space.state["updates"] == 0


def test_elastic_net_denser_than_its_samples(monkeypatch):
    # An elastic net with more nonzero coefficients than samples (n << p, an unscaled y)
    # takes its exact steps in the samples' space instead of finishing with L-BFGS-B on
    # X: ElasticNet's optimum and zeros.
    from sklearn_losses import _solvers

    steps = first_arguments(monkeypatch, _solvers, "_sample_space_step")
    lbfgs_runs = first_arguments(monkeypatch, _solvers, "_lbfgs")
    X, y = make_regression(n_samples=40, n_features=300, n_informative=15, noise=5.0,
                           random_state=3)
    ref = ElasticNet(alpha=1.0, tol=1e-14, max_iter=1_000_000).fit(X, y)
    ours = LossRegressor(penalty="elasticnet", alpha=1.0).fit(X, y)
    assert np.count_nonzero(ref.coef_) > 200
    assert steps and not any(obj.X.shape == X.shape for obj in lbfgs_runs)
    assert ours.converged_
    assert_same_optimum(ours.coef_, ref.coef_, rtol=1e-8)
    assert ours.intercept_ == pytest.approx(ref.intercept_, rel=1e-8)


def test_elastic_net_path_denser_than_its_samples_updates_its_kernel(monkeypatch):
    # Along a cross-validation path the samples' space keeps its kernel A A^T from one
    # alpha to the next (the fold's cache) and updates it by the features that joined or
    # left; the refit at the chosen alpha is ElasticNet's optimum.
    from sklearn_losses import LossRegressorCV
    from sklearn_losses._objective import SampleSpace

    updates, inherited = [], []
    kernel, init = SampleSpace.kernel, SampleSpace.__init__

    def counted(space, F):
        K = kernel(space, F)
        updates.append(space.state["updates"])
        return K

    def recorded(space, obj, c, state=None):
        inherited.append(state is not None and "K" in state)  # an earlier alpha's kernel
        init(space, obj, c, state)

    monkeypatch.setattr(SampleSpace, "kernel", counted)
    monkeypatch.setattr(SampleSpace, "__init__", recorded)
    X, y = make_regression(n_samples=60, n_features=400, n_informative=20, noise=5.0,
                           random_state=3)
    cv = LossRegressorCV(penalty="elasticnet", alphas=[4.0, 2.0, 1.0, 0.5], cv=3).fit(X, y)
    assert max(updates) > 0 and any(inherited)
    ref = ElasticNet(alpha=cv.alpha_, tol=1e-14, max_iter=1_000_000).fit(X, y)
    assert np.count_nonzero(ref.coef_) > 60
    assert_same_optimum(cv.coef_, ref.coef_, rtol=1e-7)


def test_exact_steps_drop_a_flipped_sign():
    # When the exact step for the current signs changes one, that coefficient leaves
    # (and re-enters with the sign its gradient asks for) and the steps go on, to the
    # optimum, where the previous rule gave up (then L-BFGS-B).
    from sklearn_losses._objective import Gram
    from sklearn_losses._solvers import _exact_step, _exact_steps, _kkt_violations

    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 6))
    y = X @ [2.0, 0.0, 1.0, 0.0, 0.0, -1.0] + 0.1 * rng.standard_normal(200)
    s = np.full(200, 1 / 200)
    gram = Gram(X, y, s, X.T @ s, True)
    ones = np.ones(6)
    ref = Lasso(alpha=0.05, tol=1e-14, max_iter=100_000).fit(X, y).coef_

    def gradient(v):
        return gram.matrix() @ v - gram.c

    w = np.sign(ref)
    w[0] = -1.0  # the wrong sign for the largest coefficient
    assert _exact_step(gram, 0.05, 0.0, False, w.copy())[0][0] > 0  # the step flips it
    exact = _exact_steps(gram, 0.05, 0.0, False, w, gradient, ones, 1e-10)
    assert exact is not None
    assert np.max(_kkt_violations(gradient(exact), exact, 0.05, False, ones)) <= 1e-10
    np.testing.assert_allclose(exact, ref, atol=1e-8)


def test_nnls_failure_falls_back_to_lbfgs(monkeypatch, data):
    from sklearn_losses import _solvers

    def fail(*args, **kwargs):
        raise RuntimeError("Maximum number of iterations reached.")

    X, y = data
    expected = LossRegressor(penalty="l1", alpha=0.01).fit(X, y).coef_
    monkeypatch.setattr(_solvers, "nnls", fail)
    ours = LossRegressor(penalty="l1", alpha=0.01).fit(X, y)
    assert ours.converged_
    assert_coef_close(ours.coef_, expected, rtol=1e-6)


def test_signed_nnls_refuses_a_wrong_sign():
    # NNLS with one variable per coefficient (its expected sign) gives the split NNLS's
    # optimum when the signs are right, and None when a coefficient left at 0 wants the
    # other sign; the working set then solves the split problem
    from sklearn_losses._objective import Gram
    from sklearn_losses._solvers import _split_nnls

    X, y = make_regression(n_samples=200, n_features=8, n_informative=8, noise=1.0,
                           random_state=2)
    y = y / np.std(y)
    s = np.full(len(y), 1 / len(y))
    gram = Gram(X, y, s, X.mean(axis=0), True)
    sub = gram.restricted(np.arange(8), np.std(X, axis=0))
    l1, l2 = 0.02, 0.01
    split = _split_nnls(sub, l1, l2, False).coef[0]
    assert np.count_nonzero(split) == 8
    signed = _split_nnls(sub, l1, l2, False, np.sign(split), 1e-8)
    np.testing.assert_allclose(signed.coef[0], split, rtol=1e-8, atol=1e-10)
    wrong = np.sign(split)
    wrong[np.argmax(np.abs(split))] *= -1
    assert _split_nnls(sub, l1, l2, False, wrong, 1e-8) is None


@pytest.mark.parametrize("alpha", [0.01, 0.05])
def test_unchecked_solve_with_a_wrong_sign_is_solved_again(monkeypatch, alpha):
    # A column working set's round takes NNLS's exact solution unchecked (the round's
    # check on every feature follows). Here x1 ~ x0 correlates positively with y but its
    # optimum is negative: the signed NNLS leaves it at 0, the check finds it violating
    # inside the working set with nothing outside (the other columns are orthogonal to
    # 1, x0, x1, hence to every residual), and the same working set is solved again,
    # checked. Same optimum as Lasso.
    from sklearn_losses import _solvers

    calls = []
    working_set = _solvers._working_set
    monkeypatch.setattr(_solvers, "_working_set", lambda *a, **k: calls.append(
        (len(a[0].c), k.get("check", True))) or working_set(*a, **k))
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
    assert calls == [(2, False), (2, True)]
    assert ours.converged_ and ours.coef_[1] < 0
    assert_same_optimum(ours.coef_, ref.coef_, rtol=1e-8)


@pytest.mark.parametrize("q, alpha", [(0.5, 0.0), (0.2, 0.01), (0.8, 0.1)])
def test_matches_quantile_regressor(data, q, alpha):
    X, y = data
    ours = LossRegressor(Quantile(quantile=q), penalty="l1", alpha=alpha).fit(X, y)
    ref = QuantileRegressor(quantile=q, alpha=alpha, solver="highs").fit(X, y)
    assert_coef_close(ours.coef_, ref.coef_)
    assert ours.intercept_ == pytest.approx(ref.intercept_, rel=1e-4, abs=1e-4)


@pytest.mark.parametrize("loss", ["quantile", "absolute_error", "epsilon_insensitive"])
@pytest.mark.parametrize("guess", ["near", "far", "tiny band"])
def test_band_lp_equals_the_whole_lp(monkeypatch, loss, guess):
    # The LP on the pairs near their kinks (the rest assumed on the side a guess puts
    # them) reaches the whole LP's optimum: wrong sides join the band, an unbounded LP
    # (a band too small to pin w down) doubles it. The smoothing solver finishes by it.
    from sklearn_losses import _solvers
    from sklearn_losses._objective import LinearObjective
    from sklearn_losses._solvers import _band_lp, _highs
    from sklearn_losses.losses import resolve_loss

    X, y = make_regression(n_samples=300, n_features=8, n_informative=5, noise=10.0,
                           random_state=4)
    y = y / np.std(y)
    sw = np.random.default_rng(1).uniform(0.5, 2.0, len(y))
    sw[:10] = 0.0
    fn = resolve_loss(loss)
    obj = LinearObjective(fn.loss_gradient, X, y, sw, True)
    whole = _highs(fn, obj, 0.01, False, 1e-10, 1000)
    rng = np.random.default_rng(0)
    exact = X @ whole.coef[0] + whole.intercept[0] - whole.coef[0] @ obj.offset
    raw = {"near": exact + 1e-3 * rng.standard_normal(len(y)),
           "far": exact + 0.3 * rng.standard_normal(len(y)), "tiny band": exact}[guess]
    solves = []
    linprog = _solvers.linprog
    monkeypatch.setattr(_solvers, "linprog", lambda *a, **k: solves.append(1) or linprog(*a, **k))
    band = _band_lp(fn, obj, 0.01, False, 1e-10, 1000, raw=raw,
                    band=2 if guess == "tiny band" else 40)
    assert band is not None and band.converged and len(solves) > (guess != "near")

    def value(result):
        return obj.value(result.coef, result.intercept) + 0.01 * np.abs(result.coef).sum()

    assert value(band) == pytest.approx(value(whole), rel=1e-9)
    fit = LossRegressor(loss, penalty="l1", alpha=0.01, tol=1e-8).fit(X, y, sample_weight=sw)
    assert fit.converged_ and fit.n_iter_ > 0
    ours = obj.value(fit.coef_[None, :], np.array([fit.intercept_ + fit.coef_ @ obj.offset]))
    assert ours + 0.01 * np.abs(fit.coef_).sum() == pytest.approx(value(whole), rel=1e-9)


@pytest.mark.parametrize("loss", sorted(REGRESSION_LOSSES))
@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
def test_sparse_equals_dense(data, loss, penalty):
    X, y = data
    if loss == "poisson":
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
    assert m32.predict(X.astype(np.float32)).shape == (len(y),)


def test_inputs_not_modified(data):
    X, y = data
    X, y = X.copy(), y.copy()
    sw = np.linspace(0.5, 2, len(y))
    copies = X.copy(), y.copy(), sw.copy()
    for loss in REGRESSION_LOSSES:
        yy = np.abs(y) if loss == "poisson" else y
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


def test_pandas_feature_names(data):
    pd = pytest.importorskip("pandas")
    X, y = data
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    model = LossRegressor().fit(df, y)
    assert list(model.feature_names_in_) == list(df.columns)
    np.testing.assert_allclose(model.predict(df), X @ model.coef_ + model.intercept_)


def test_pipeline_gridsearch_tunes_loss_parameter(data):
    X, y = data
    pipe = make_pipeline(StandardScaler(), LossRegressor(Huber(), penalty="l1"))
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


@pytest.mark.parametrize("sparse", [False, True])
def test_centred_gram_matches_its_formula(sparse):
    from sklearn_losses._objective import centred_gram

    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 6)) * (rng.random((300, 6)) < 0.5)
    s = rng.uniform(0.1, 2.0, 300)
    offset = rng.standard_normal(6)
    rows, cols = np.sort(rng.choice(300, 40, replace=False)), np.array([4, 1])
    s_rows = np.zeros(300)
    s_rows[rows] = s[rows]
    Xc = X - offset
    data = sp.csr_matrix(X) if sparse else X
    for weights in (s, np.full(300, 0.7)):  # equal weights: X^T X itself, unblocked
        np.testing.assert_allclose(centred_gram(data, weights, offset, block=64),
                                   Xc.T @ (Xc * weights[:, None]), rtol=1e-12, atol=1e-12)
    for span in (np.arange(0, 2), np.arange(2, 5), np.arange(3, 6)):
        # a range of columns, equal weights: its own rows by a symmetric product, the rows
        # before and after it by general products
        np.testing.assert_allclose(centred_gram(data, np.full(300, 0.7), offset, cols=span),
                                   Xc.T @ (Xc[:, span] * 0.7), rtol=1e-12, atol=1e-12)
    expected = Xc[rows].T @ (Xc[rows][:, cols] * s[rows, None])
    got = centred_gram(data, s_rows, offset, cols=cols, rows=rows, block=16)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_sparse_with_duplicate_entries_equals_dense(data):
    # a CSR matrix may store one entry in several parts (not canonical): column scales
    # and extremes must use their sums, as the dense matrix does
    X, y = data
    csr = sp.csr_matrix(X)
    row = np.repeat(np.arange(X.shape[0]), np.diff(csr.indptr))
    order = np.argsort(np.r_[row, row], kind="stable")  # each entry twice, halved
    parts = sp.csr_matrix((np.r_[csr.data, csr.data][order] / 2,
                           np.r_[csr.indices, csr.indices][order], 2 * csr.indptr),
                          shape=X.shape)
    assert not parts.has_canonical_format
    np.testing.assert_allclose(parts.toarray(), X)
    from sklearn_losses._objective import LinearObjective, column_extremes, column_statistics

    sw = np.ones(len(y))
    V = np.column_stack([y, y**2])
    for A in (parts, parts.tocsc(), sp.csr_matrix(X), X):
        obj = LinearObjective(Huber().loss_gradient, A, y, sw, True)
        np.testing.assert_allclose(obj.col_scale, np.std(X, axis=0), rtol=1e-10)
        # the dense pass in blocks of 7 rows (several, the last one short)
        columns = column_statistics(A, sw, True, V, block=7 * X.shape[1])
        np.testing.assert_allclose(columns.offset, X.mean(axis=0), rtol=1e-12)
        np.testing.assert_allclose(columns.col_scale, np.std(X, axis=0), rtol=1e-10)
        np.testing.assert_allclose(columns.XtV, X.T @ V, rtol=1e-12)
        high, low = column_extremes(A)
        np.testing.assert_allclose(high, X.max(axis=0))
        np.testing.assert_allclose(low, X.min(axis=0))
    dense = LossRegressor("huber", penalty="l1", alpha=0.01).fit(X, y)
    ours = LossRegressor("huber", penalty="l1", alpha=0.01).fit(parts, y)
    assert_coef_close(ours.coef_, dense.coef_, rtol=1e-5)


def test_blas_limited_to_one_thread_while_solving_and_restored(monkeypatch):
    # numpy's and scipy's OpenBLAS pools spin against each other on few cores: a fit
    # solves with one BLAS thread and gives the user's setting back afterwards
    from threadpoolctl import threadpool_info, threadpool_limits

    from sklearn_losses import _solvers

    seen = []
    dispatch = _solvers._dispatch

    def recording_dispatch(*args, **kwargs):
        seen.append({i["filepath"]: i["num_threads"] for i in threadpool_info()
                     if i["user_api"] == "blas"})
        return dispatch(*args, **kwargs)

    monkeypatch.setattr(_solvers, "_dispatch", recording_dispatch)
    X, y = make_regression(n_samples=200, n_features=20, noise=1.0, random_state=0)
    with threadpool_limits(limits=2, user_api="blas"):
        before = {i["filepath"]: i["num_threads"] for i in threadpool_info()
                  if i["user_api"] == "blas"}
        if not before:
            pytest.skip("no BLAS library that threadpoolctl can control")
        LossRegressor(penalty="l1", alpha=0.01).fit(X, y)
        after = {i["filepath"]: i["num_threads"] for i in threadpool_info()
                 if i["user_api"] == "blas"}
    assert seen and all(set(s.values()) == {1} for s in seen)
    assert after == before
