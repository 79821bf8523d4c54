"""The Gram form and the samples' space: carried columns, the centred Gram matrix, the
exact step in the samples' space."""

import numpy as np
import pytest
import scipy.sparse as sp
from _solving import strengths

from sklearn_losses._objective import LinearObjective
from sklearn_losses._solvers import data, gram, working_sets
from sklearn_losses._solvers.gram import Gram, SampleSpace
from sklearn_losses.losses import SquaredError


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
