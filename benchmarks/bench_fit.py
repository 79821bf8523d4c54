"""Fit time, objective and memory against the scikit-learn estimator solving the same
objective, measured in the same run.

    python benchmarks/bench_fit.py            # quick: n in {2000, 20000}, p in {50, 200}
    python benchmarks/bench_fit.py --full     # n in {2000, 20000, 100000}, p in {50, 200, 1000}

For each pair: median fit time of interleaved repeats (at least ``--repeats``, more for
fast pairs), the ratio ours / theirs, the objective each reaches (recomputed by one
shared function) and the relative gap to the better one, and our peak memory beyond X
relative to the size of X (tracemalloc). Also
the fit-time growth in n and in p with the fitted log-log slope, sparse problems
(text-like rows for the classifiers, sparse regression for quantile and Lasso) and
Lasso / elastic net with ten times more features than samples. Writes
``benchmarks/RESULTS.md`` with the machine, library versions and BLAS (threadpoolctl).

Per-feature penalty factors are timed against scikit-learn's Lasso and
LogisticRegression on the columns rescaled by them (the same objective). Where skglm and
glum are installed (``pip install skglm glum``; not dependencies of the library), their
Lasso and L1 logistic regression (and glum's L1 Tweedie, and its P1 / P2 penalty
factors) are timed as further pairs.
"""

import argparse
import os
import platform
import time
import tracemalloc
import warnings

import numpy as np
import scipy
import scipy.sparse as sp
import sklearn
from sklearn.base import BaseEstimator, clone
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import (
    ElasticNet,
    GammaRegressor,
    Lasso,
    LogisticRegression,
    QuantileRegressor,
    Ridge,
    TweedieRegressor,
)
from sklearn.svm import LinearSVC
from threadpoolctl import threadpool_info

import sklearn_losses
from sklearn_losses import LossClassifier, LossRegressor
from sklearn_losses.losses import LOSSES
from sklearn_losses.penalties import Penalty


def objective(loss_name, penalty, alpha, X, y, coef, intercept, l1_ratio=0.5, factor=None):
    """The library's objective, for any fitted coefficients (ours or scikit-learn's);
    ``factor``: per-feature penalty factors."""
    loss = LOSSES[loss_name]()
    coef = np.atleast_2d(coef)
    raw = np.asarray(X @ coef.T) + intercept
    if loss.is_classifier:
        classes = np.unique(y)
        if coef.shape[0] == 1:
            target, raw = np.where(y == classes[-1], 1.0, -1.0), raw[:, 0]
        else:
            target = (y[:, None] == classes[None, :]).astype(float)
    else:
        target, raw = y, raw[:, 0]
    penalty = Penalty(penalty, alpha, l1_ratio, factor=factor)
    return float(np.mean(loss.loss(target, raw)) + penalty.value(coef))


class OnRescaledColumns(BaseEstimator):
    """``estimator`` fitted on ``X / unit``, its coefficients mapped back to X's columns:
    per-feature penalty factors with an estimator that has none (an L1 part: ``unit =
    factor``; an L2 part: ``unit = sqrt(factor)``). The division is part of its time,
    as it is of a user's."""

    def __init__(self, estimator, unit):
        self.estimator = estimator
        self.unit = unit

    def fit(self, X, y):
        scaled = X @ sp.diags(1.0 / self.unit) if sp.issparse(X) else X / self.unit
        self.estimator_ = clone(self.estimator).fit(scaled, y)
        self.coef_ = self.estimator_.coef_ / self.unit
        self.intercept_ = self.estimator_.intercept_
        return self


def factor_pairs(n, p):
    """Per-feature penalty factors: ours against scikit-learn on rescaled columns (the
    same objective), and glum's P1 / P2 (one factor of 0: an unpenalised feature) where
    installed."""
    factor = np.random.default_rng(1).uniform(0.5, 2.0, p)
    a = 1e-3
    found = [
        ("Lasso, penalty factors", "reg", "squared_error", "l1", 0.01,
         LossRegressor(penalty="l1", alpha=0.01, penalty_factor=factor),
         OnRescaledColumns(Lasso(alpha=0.01), factor)),
        ("LogisticRegression, penalty factors", "bin", "log_loss", "l2", a,
         LossClassifier(alpha=a, penalty_factor=factor),
         OnRescaledColumns(LogisticRegression(C=1 / (n * a)), np.sqrt(factor))),
    ]
    try:
        import glum
    except ImportError:
        return found
    zero = factor.copy()
    zero[0] = 0.0
    return found + [
        ("glum gaussian L1, factors (one 0)", "reg", "squared_error", "l1", 0.01,
         LossRegressor(penalty="l1", alpha=0.01, penalty_factor=zero),
         glum.GeneralizedLinearRegressor(alpha=0.01, l1_ratio=1.0, P1=zero, P2=zero,
                                         gradient_tol=1e-8)),
        ("glum binomial elastic net, factors (one 0)", "bin", "log_loss", "elasticnet",
         1e-2, LossClassifier(penalty="elasticnet", alpha=1e-2, penalty_factor=zero),
         glum.GeneralizedLinearRegressor(family="binomial", alpha=1e-2, l1_ratio=0.5,
                                         P1=zero, P2=zero, gradient_tol=1e-8)),
    ]


def pairs(n):
    """(name, data kind, loss, penalty, alpha, ours, theirs) for n samples."""
    a = 1e-3
    return [
        ("Lasso", "reg", "squared_error", "l1", 0.01,
         LossRegressor(penalty="l1", alpha=0.01), Lasso(alpha=0.01)),
        ("ElasticNet", "reg", "squared_error", "elasticnet", 0.01,
         LossRegressor(penalty="elasticnet", alpha=0.01), ElasticNet(alpha=0.01)),
        # the target as generated (standard deviation 100-800 here) and scikit-learn's
        # default alpha: denser solutions, the usual case when y is not standardised
        ("Lasso raw y", "raw", "squared_error", "l1", 1.0,
         LossRegressor(penalty="l1", alpha=1.0), Lasso(alpha=1.0)),
        ("ElasticNet raw y", "raw", "squared_error", "elasticnet", 1.0,
         LossRegressor(penalty="elasticnet", alpha=1.0), ElasticNet(alpha=1.0)),
        ("Ridge", "reg", "squared_error", "l2", 1.0,
         LossRegressor(penalty="l2", alpha=1.0), Ridge(alpha=n * 1.0)),
        ("LogisticRegression lbfgs", "bin", "log_loss", "l2", a,
         LossClassifier(alpha=a), LogisticRegression(C=1 / (n * a))),
        ("LogisticRegression multinomial", "multi", "log_loss", "l2", a,
         LossClassifier(alpha=a), LogisticRegression(C=1 / (n * a))),
        ("LogisticRegression saga L1", "bin", "log_loss", "l1", 1e-2,
         LossClassifier(penalty="l1", alpha=1e-2),
         LogisticRegression(C=1 / (n * 1e-2), solver="saga", l1_ratio=1.0, max_iter=1000)),
        ("QuantileRegressor highs", "reg", "quantile", "l1", 0.1,
         LossRegressor("quantile", penalty="l1", alpha=0.1),
         QuantileRegressor(alpha=0.1, solver="highs")),
        ("LinearSVC hinge", "bin", "hinge", "l2", a,
         LossClassifier("hinge", alpha=a, fit_intercept=False),
         LinearSVC(C=1 / (n * a), loss="hinge", fit_intercept=False, max_iter=10000)),
        ("LinearSVC squared hinge", "bin", "squared_hinge", "l2", a,
         LossClassifier("squared_hinge", alpha=a, fit_intercept=False),
         LinearSVC(C=1 / (n * a), fit_intercept=False, max_iter=10000)),
        ("TweedieRegressor power 1.5", "tweedie", "tweedie", "l2", a,
         LossRegressor("tweedie", alpha=a), TweedieRegressor(power=1.5, link="log", alpha=a)),
        ("GammaRegressor", "gamma", "gamma", "l2", a,
         LossRegressor("gamma", alpha=a), GammaRegressor(alpha=a)),
    ]


def optional_pairs(n):
    """skglm's and glum's Lasso and L1 logistic regression, where installed. Their
    objectives are ours with the same alpha (glum: half the binomial deviance is the log
    loss); the gap column checks it."""
    found = []
    try:
        import skglm
    except ImportError:
        skglm = None
    try:
        import glum
    except ImportError:
        glum = None
    if skglm is not None:
        found += [
            ("skglm Lasso", "reg", "squared_error", "l1", 0.01,
             LossRegressor(penalty="l1", alpha=0.01), skglm.Lasso(alpha=0.01, tol=1e-8)),
            ("skglm SparseLogisticRegression L1", "bin", "log_loss", "l1", 1e-2,
             LossClassifier(penalty="l1", alpha=1e-2),
             skglm.SparseLogisticRegression(alpha=1e-2, tol=1e-8)),
        ]
    if glum is not None:
        found += [
            ("glum binomial L1", "bin", "log_loss", "l1", 1e-2,
             LossClassifier(penalty="l1", alpha=1e-2),
             glum.GeneralizedLinearRegressor(family="binomial", alpha=1e-2, l1_ratio=1.0,
                                             gradient_tol=1e-8)),
            # half the Tweedie deviance, as ours (scikit-learn's GLMs have no L1 part)
            ("glum tweedie 1.5 L1", "tweedie", "tweedie", "l1", 1e-3,
             LossRegressor("tweedie", penalty="l1", alpha=1e-3),
             glum.GeneralizedLinearRegressor(family=glum.TweedieDistribution(1.5),
                                             link="log", alpha=1e-3, l1_ratio=1.0,
                                             gradient_tol=1e-8)),
        ]
    return found


def make_data(kind, n, p):
    if kind in ("tweedie", "gamma"):
        # a log-linear mean from 30 % of the features: compound Poisson-gamma targets
        # (exact zeros) for Tweedie, gamma draws for the gamma loss
        rng = np.random.default_rng(0)
        X = rng.standard_normal((n, p))
        mu = np.exp(0.1 * X @ (rng.standard_normal(p) * (rng.random(p) < 0.3)) + 0.5)
        if kind == "tweedie":
            return X, rng.poisson(mu) * rng.gamma(2.0, 0.5, n)
        return X, rng.gamma(2.0, mu / 2.0)
    if kind in ("reg", "raw"):
        X, y = make_regression(n, p, n_informative=max(p // 5, 1), noise=5.0, random_state=0)
        if kind == "reg":
            y = y / np.std(y)
    else:
        X, y = make_classification(n, p, n_informative=max(p // 5, 2),
                                   n_classes=3 if kind == "multi" else 2, random_state=0)
    return X, y


def make_text(n, p, nnz=50, classify=True, seed=0):
    """Text-like sparse rows: ``nnz`` distinct terms a row, drawn with power-law (Zipf)
    column frequencies, tf-like positive values, rows L2-normalised; labels (or targets)
    from a sparse linear rule with noise."""
    rng = np.random.default_rng(seed)
    frequency = 1.0 / np.arange(1, p + 1) ** 1.1
    drawn = rng.choice(p, size=(n, 3 * nnz), p=frequency / frequency.sum())
    # the first nnz distinct terms of each row, in the order they were drawn
    order = np.argsort(drawn, axis=1, kind="stable")
    ranked = np.take_along_axis(drawn, order, axis=1)
    repeated = np.zeros_like(ranked, dtype=bool)
    repeated[:, 1:] = ranked[:, 1:] == ranked[:, :-1]
    first = np.sort(np.where(repeated, 3 * nnz, order), axis=1)[:, :nnz]
    valid = first < 3 * nnz
    cols = np.take_along_axis(drawn, np.minimum(first, 3 * nnz - 1), axis=1)[valid]
    rows = np.repeat(np.arange(n), valid.sum(axis=1))
    values = 1.0 + rng.poisson(1.0, size=len(rows))
    X = sp.csr_matrix((values, (rows, cols)), shape=(n, p))
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    X = sp.csr_matrix(sp.diags(1.0 / norms) @ X)
    X.sum_duplicates()  # canonical, as CountVectorizer / TfidfVectorizer return it
    w = rng.standard_normal(p) * (rng.random(p) < 0.2)
    f = X @ w
    noisy = f + 0.3 * np.std(f) * rng.standard_normal(n)
    return X, ((noisy > np.median(f)).astype(int) if classify else noisy)


def make_sparse_regression(n, p, density=0.01, seed=0):
    """Sparse Gaussian X (``density`` of its entries stored) and a target with
    Student-t noise from 30 % of the features."""
    rng = np.random.default_rng(seed)
    X = sp.random(n, p, density=density, format="csr", random_state=seed,
                  data_rvs=rng.standard_normal)
    return X, X @ (rng.standard_normal(p) * (rng.random(p) < 0.3)) + 0.5 * rng.standard_t(3, n)


def sparse_pairs():
    """(name, kind, loss, penalty, alpha, ours, theirs, X, y) on sparse data: text-like
    rows (where hinge and log loss are used) and sparse regression (quantile, Lasso).
    ``theirs`` is None where scikit-learn takes too long (ours alone is timed)."""
    X, y = make_text(50000, 20000)
    Xr, yr = make_sparse_regression(5000, 1000)
    Xb, yb = make_sparse_regression(20000, 5000)
    n, a = X.shape[0], 1e-5
    return [
        ("LinearSVC hinge", "bin", "hinge", "l2", a,
         LossClassifier("hinge", alpha=a, fit_intercept=False),
         LinearSVC(C=1 / (n * a), loss="hinge", fit_intercept=False, max_iter=10000), X, y),
        ("LinearSVC squared hinge", "bin", "squared_hinge", "l2", a,
         LossClassifier("squared_hinge", alpha=a, fit_intercept=False),
         LinearSVC(C=1 / (n * a), fit_intercept=False, max_iter=10000), X, y),
        ("LogisticRegression lbfgs", "bin", "log_loss", "l2", a,
         LossClassifier(alpha=a), LogisticRegression(C=1 / (n * a), max_iter=1000), X, y),
        ("LogisticRegression liblinear L1", "bin", "log_loss", "l1", 1e-4,
         LossClassifier(penalty="l1", alpha=1e-4, fit_intercept=False),
         LogisticRegression(C=1 / (n * 1e-4), solver="liblinear", l1_ratio=1.0,
                            fit_intercept=False), X, y),
        ("QuantileRegressor highs", "reg", "quantile", "l1", 1e-4,
         LossRegressor("quantile", penalty="l1", alpha=1e-4),
         QuantileRegressor(alpha=1e-4, solver="highs"), Xr, yr),
        ("Lasso", "reg", "squared_error", "l1", 1e-3,
         LossRegressor(penalty="l1", alpha=1e-3), Lasso(alpha=1e-3), Xb, yb),
        ("quantile + L1 (ours only)", "reg", "quantile", "l1", 1e-4,
         LossRegressor("quantile", penalty="l1", alpha=1e-4), None, Xb, yb),
    ]


def timed_fit(estimator, X, y):
    start = time.perf_counter()
    estimator.fit(X, y)
    return time.perf_counter() - start


def peak_memory(estimator, X, y):
    tracemalloc.start()
    estimator.fit(X, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    size = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes if sp.issparse(X) else X.nbytes
    return peak / size


def compare(name, kind, loss, penalty, alpha, ours, theirs, X, y, repeats):
    """Timings, objective gaps, memory and convergence of ``ours`` against ``theirs``
    (``None``: ours alone, its gap to itself)."""
    pair = (ours,) if theirs is None else (ours, theirs)
    times = {est: [] for est in pair}
    # warm-up: one-time costs (imports, thread-pool discovery) are not timed
    warm = sum(timed_fit(est, X, y) for est in pair)
    # fast pairs get more repeats (about a second of fits, at most 50): timings here
    # vary by 20-50 % from run to run, and a median of 5 millisecond fits drifts
    for _ in range(max(repeats, min(50, int(1.0 / max(warm, 1e-3))))):  # interleaved
        for est in pair:
            times[est].append(timed_fit(est, X, y))
    t_ours = np.median(times[ours])
    t_theirs = np.median(times[theirs]) if theirs is not None else np.nan
    # did each fit end converged? (ours: converged_; scikit-learn's: no ConvergenceWarning)
    converged = {}
    for side, est in zip(("ours", "theirs"), pair):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            est.fit(X, y)
        warned = any(issubclass(w.category, ConvergenceWarning) for w in caught)
        converged[side] = not warned and getattr(est, "converged_", True)
    factor = getattr(ours, "penalty_factor", None)
    f_ours = objective(loss, penalty, alpha, X, y, ours.coef_, ours.intercept_,
                       factor=factor)
    f_theirs = f_ours
    if theirs is not None:
        intercept = np.atleast_1d(getattr(theirs, "intercept_", 0.0))
        f_theirs = objective(loss, penalty, alpha, X, y, theirs.coef_, intercept,
                             factor=factor)
    best = min(f_ours, f_theirs)
    return {
        "pair": name, "shape": f"{X.shape[0]} x {X.shape[1]}" + (" sparse" if sp.issparse(X) else ""),
        "ours": t_ours, "theirs": t_theirs, "ratio": t_ours / t_theirs,
        "gap_ours": (f_ours - best) / abs(best), "gap_theirs": (f_theirs - best) / abs(best),
        "memory": peak_memory(ours, X, y),
        "converged": "/".join("yes" if converged.get(k, True) else "no"
                              for k in ("ours", "theirs")) if theirs is not None
        else ("yes" if converged["ours"] else "no"),
    }


def growth(repeats):
    """Fit time vs n (p = 50) and vs p (n = 5000) for two estimators; log-log slopes."""
    rows = []
    for label, make in [("LossRegressor huber l1", lambda: LossRegressor("huber", penalty="l1",
                                                                          alpha=0.05)),
                        ("LossClassifier log_loss l2", lambda: LossClassifier(alpha=1e-3))]:
        kind = "bin" if "Classifier" in label else "reg"
        for axis, sizes in (("n", [2000, 8000, 32000]), ("p", [25, 100, 400])):
            times = []
            for size in sizes:
                n, p = (size, 50) if axis == "n" else (5000, size)
                X, y = make_data(kind, n, p)
                times.append(np.median([timed_fit(make(), X, y) for _ in range(repeats)]))
            slope = np.polyfit(np.log(sizes), np.log(times), 1)[0]
            rows.append((label, axis, sizes, times, slope))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="all sizes (slow)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", default="", help="run only the pairs whose name contains this "
                        "(no growth table, RESULTS.md not written)")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "RESULTS.md"))
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)
    warnings.simplefilter("ignore", FutureWarning)
    ns = [2000, 20000, 100000] if args.full else [2000, 20000]
    ps = [50, 200, 1000] if args.full else [50, 200]
    results = []

    def run(pairs_of, n, p):
        for name, kind, loss, penalty, alpha, ours, theirs in pairs_of(n, p):
            if args.only not in name:
                continue
            if name.startswith("QuantileRegressor") and n * p > 4_000_000:
                continue  # HiGHS on the dense LP takes minutes here
            X, y = make_data(kind, n, p)
            report(compare(name, kind, loss, penalty, alpha, ours, theirs, X, y,
                           args.repeats))

    def report(row):
        results.append(row)
        print(f"{row['pair']:32s} {row['shape']:20s} ours {row['ours']:7.3f}s "
              f"theirs {row['theirs']:7.3f}s ratio {row['ratio']:5.2f} gap ours "
              f"{row['gap_ours']:.1e} theirs {row['gap_theirs']:.1e} "
              f"mem {row['memory']:.2f}x converged {row['converged']}", flush=True)
        if not args.only:
            write_results(args.out, results, [], args.repeats)

    for n in ns:
        for p in ps:
            run(lambda n, p: pairs(n), n, p)
            run(lambda n, p: [row for row in factor_pairs(n, p)
                              if not row[0].startswith("glum")], n, p)
    grow = []
    # sparse data: text-like rows and sparse regression
    for name, kind, loss, penalty, alpha, ours, theirs, X, y in sparse_pairs():
        if args.only in name:
            report(compare(name, kind, loss, penalty, alpha, ours, theirs, X, y,
                           args.repeats))
    if not args.only:
        # and far more features than samples (where L1 models are used most)
        for name, kind, loss, penalty, alpha, ours, theirs in pairs(200):
            if name.startswith(("Lasso", "ElasticNet")):
                X, y = make_data(kind, 200, 2000)
                report(compare(name, kind, loss, penalty, alpha, ours, theirs, X, y,
                               args.repeats))
        grow = growth(args.repeats)
    # skglm and glum last: after a few glum fits, our 20 000 x 200 Lasso ran 25-50 %
    # slower in the same process here, for as long as it lasted (cause not found), and
    # the rows measured after glum's differed by up to 2x from the same fits elsewhere
    for n in ns:
        for p in ps:
            run(lambda n, p: optional_pairs(n), n, p)
            run(lambda n, p: [row for row in factor_pairs(n, p)
                              if row[0].startswith("glum")], n, p)
    if args.only:
        return
    write_results(args.out, results, grow, args.repeats)
    print(f"wrote {args.out}")


def write_results(path, results, grow, repeats):
    """The markdown report; rewritten after every row, so a long run that is stopped
    still leaves the rows measured so far."""
    blas = [f"{i['internal_api']} {i.get('version', '')} ({i.get('architecture', '')}, "
            f"{i['num_threads']} threads)" for i in threadpool_info()]
    lines = [
        "# Fit benchmark: sklearn-losses vs scikit-learn on the same objective", "",
        f"Machine: {platform.platform()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}. numpy {np.__version__}, scipy {scipy.__version__}, "
        f"scikit-learn {sklearn.__version__}, sklearn-losses {sklearn_losses.__version__}.",
        f"BLAS: {'; '.join(blas)}.", "",
        f"Median of {repeats} interleaved fits (more for fast pairs: about a second of "
        "fits, at most 50). Gap: relative objective distance to the "
        "better of the two (one shared objective function). Memory: our peak traced "
        "allocation during fit / size of X. Converged: ours / theirs (``converged_``, or no "
        "``ConvergenceWarning``).", "",
        "| pair | n x p | ours (s) | scikit-learn (s) | ours / theirs | gap ours | gap theirs "
        "| memory / X | converged |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        theirs = "-" if np.isnan(r["theirs"]) else f"{r['theirs']:.3f}"
        ratio = "-" if np.isnan(r["ratio"]) else f"{r['ratio']:.2f}"
        gap = "-" if np.isnan(r["theirs"]) else f"{r['gap_theirs']:.1e}"
        lines.append(f"| {r['pair']} | {r['shape']} | {r['ours']:.3f} | {theirs} | {ratio} | "
                     f"{r['gap_ours']:.1e} | {gap} | {r['memory']:.2f} | {r['converged']} |")
    if grow:
        lines += ["", "## Fit-time growth", "", "| estimator | axis | sizes | times (s) | "
                  "log-log slope |", "|---|---|---|---|---|"]
    for label, axis, sizes, times, slope in grow:
        lines.append(f"| {label} | {axis} | {sizes} | "
                     f"{', '.join(f'{t:.3f}' for t in times)} | {slope:.2f} |")
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")

if __name__ == "__main__":
    main()
