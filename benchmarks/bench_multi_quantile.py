"""Several quantiles: MultiQuantileRegressor (one LP, non-crossing) against fitting the
levels one by one with QuantileRegressor (solver="highs"), measured in the same run.

    python benchmarks/bench_multi_quantile.py [--repeats 3]

For each problem: median wall times, the ratio, the mean pinball objective of each (the
sum over the levels, penalty included: the independent fits are the unconstrained
optimum, so theirs is at most ours), and the training points where their predicted
quantiles cross (ours: none). Writes ``benchmarks/RESULTS_MULTI_QUANTILE.md``.
"""

import argparse
import os
import platform
import time

import numpy as np
import scipy
import sklearn
from sklearn.linear_model import QuantileRegressor

import sklearn_losses
from sklearn_losses import MultiQuantileRegressor

LEVELS = [0.1, 0.25, 0.5, 0.75, 0.9]


def heteroscedastic(n, p, seed=0):
    """A sparse linear rule; the noise's scale grows with the first feature."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(0, 1, (n, p))
    rule = X @ (rng.standard_normal(p) * (rng.random(p) < 0.5))
    return X, rule + (0.1 + 2 * X[:, 0]) * rng.standard_normal(n)


def objective(X, y, coef, intercept, alpha):
    F = X @ np.transpose(coef) + intercept
    total = 0.0
    for k, q in enumerate(LEVELS):
        r = y - F[:, k]
        total += np.mean(np.maximum(q * r, (q - 1) * r)) + alpha * np.abs(coef[k]).sum()
    return total


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__),
                                                      "RESULTS_MULTI_QUANTILE.md"))
    args = parser.parse_args(argv)
    rows = []
    for n, p, alpha in [(500, 10, 1e-3), (2000, 20, 1e-3), (5000, 50, 1e-4)]:
        X, y = heteroscedastic(n, p)
        ours_t, theirs_t = [], []
        for _ in range(args.repeats):  # interleaved
            start = time.perf_counter()
            ours = MultiQuantileRegressor(LEVELS, alpha=alpha).fit(X, y)
            ours_t.append(time.perf_counter() - start)
            start = time.perf_counter()
            theirs = [QuantileRegressor(quantile=q, alpha=alpha, solver="highs").fit(X, y)
                      for q in LEVELS]
            theirs_t.append(time.perf_counter() - start)
        coef = np.array([m.coef_ for m in theirs])
        intercept = np.array([m.intercept_ for m in theirs])
        pred = X @ coef.T + intercept
        crossed = int(np.sum(np.any(np.diff(pred, axis=1) < -1e-9, axis=1)))
        ours_crossed = int(np.sum(np.any(np.diff(ours.predict(X), axis=1) < -1e-9, axis=1)))
        f_ours = objective(X, y, ours.coef_, ours.intercept_, alpha)
        f_theirs = objective(X, y, coef, intercept, alpha)
        t_ours, t_theirs = np.median(ours_t), np.median(theirs_t)
        row = [f"{n} x {p}", f"{alpha:g}", f"{t_ours:.3f}", f"{t_theirs:.3f}",
               f"{t_ours / t_theirs:.2f}", f"{f_ours:.8f}", f"{f_theirs:.8f}",
               f"{ours_crossed} / {crossed}"]
        rows.append(row)
        print(" | ".join(row), flush=True)
    header = ["n x p", "alpha", "ours joint (s)", f"{len(LEVELS)} x QuantileRegressor (s)",
              "ours / theirs", "objective ours", "objective theirs",
              "points with crossing quantiles ours / theirs"]
    lines = [
        "# Several quantiles: MultiQuantileRegressor vs one QuantileRegressor per level", "",
        f"Machine: {platform.platform()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}. numpy {np.__version__}, scipy {scipy.__version__}, "
        f"scikit-learn {sklearn.__version__}, sklearn-losses {sklearn_losses.__version__}.",
        "", f"Levels {LEVELS}, heteroscedastic data (noise growing with the first "
        f"feature), L1 penalty; median of {args.repeats} interleaved runs. The objective "
        "is the sum over the levels of the mean pinball loss plus the penalty: the "
        "independent fits minimise it without the non-crossing constraint, so theirs is "
        "at most ours; the difference is the constraint's price.", "",
        "| " + " | ".join(header) + " |", "|" + "---|" * len(header),
    ] + ["| " + " | ".join(row) + " |" for row in rows]
    with open(args.out, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
