"""The data a fit works on: tolerance scales, column statistics and extremes, gathers
of columns."""

import numpy as np
import pytest
import scipy.sparse as sp
from _oracle import assert_coef_close
from sklearn.datasets import make_regression

from sklearn_losses import LossRegressor
from sklearn_losses._solvers import Problem, data
from sklearn_losses.losses import SquaredError


@pytest.mark.parametrize("case", ["plain", "zero weight", "symmetric", "shifted"])
def test_tolerance_scale_and_terms(case):
    # The scales compute the size of the terms (a pass for the column extremes) only
    # when its guard could change the scale; scale and terms() equal the direct formulas
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
    assert terms.cache_info().currsize == (0 if case in ("plain", "shifted") else 1)
    # the shifted columns are centred explicitly (see column_statistics)
    assert scales.columns.shift.any() == (case == "shifted")
    w = sw / sw.sum()
    sg = w * (np.dot(w, y) - y)
    spread = np.max(np.abs(X - scales.columns.total_offset), axis=0) / col_scale
    expected_terms = np.abs(sg).sum() * max(np.max(spread), 1.0)
    assert terms() == pytest.approx(expected_terms, rel=1e-12)
    terms()
    assert terms.cache_info().misses == 1  # computed once
    largest = np.max(np.abs(g0 / col_scale))
    assert scale == pytest.approx(max(largest, 1e-3 * expected_terms), rel=1e-12)
    if case == "symmetric":
        assert scale == pytest.approx(1e-3 * expected_terms, rel=1e-12)


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
