"""Tuning alpha: GridSearchCV(LossRegressor) vs LossRegressorCV, and scikit-learn's CV
estimators on their own objectives, measured in the same run.

    python benchmarks/bench_cv.py [--n-samples 3000] [--n-features 60] [--repeats 3]
                                  [--only squared_error]

Prints a markdown table of median wall times and ratios, and writes it to
``benchmarks/RESULTS_CV.md`` with the machine and library versions (not with --only).
"""

import argparse
import os
import platform
import time
import warnings

import numpy as np
import scipy
import sklearn
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNetCV, LassoCV, LogisticRegressionCV
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold

import sklearn_losses
from sklearn_losses import (
    LossClassifier,
    LossClassifierCV,
    LossRegressor,
    LossRegressorCV,
    loss_scorer,
)


def timed(make, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = make()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=3000)
    parser.add_argument("--n-features", type=int, default=60)
    parser.add_argument("--n-alphas", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", default="", help="run only the problems containing this")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__),
                                                      "RESULTS_CV.md"))
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)
    warnings.simplefilter("ignore", FutureWarning)
    n, p, k = args.n_samples, args.n_features, args.n_alphas
    X, y = make_regression(n, p, n_informative=p // 3, noise=10.0, random_state=0)
    Xc, yc = make_classification(n, p, n_informative=p // 3, random_state=0)
    # far more features than samples, where L1 models are used most
    Xw, yw = make_regression(200, 2000, n_informative=100, noise=10.0, random_state=0)
    # heavy-tailed noise (Student-t, 3 degrees of freedom) on a sparse rule (30 % of the
    # features), where robust losses and L1 paths are used
    rng = np.random.default_rng(0)
    Xt = rng.standard_normal((n, p))
    rule = Xt @ (rng.standard_normal(p) * (rng.random(p) < 0.3))
    yt, yct = rule + rng.standard_t(3, n), (rule + rng.standard_t(3, n) > 0).astype(int)
    kf = KFold(5, shuffle=True, random_state=0)
    skf = StratifiedKFold(5, shuffle=True, random_state=0)
    rows = []

    cases = [
        ("squared_error + l1", "reg", dict(loss="squared_error", penalty="l1"),
         lambda a: LassoCV(alphas=a, cv=kf)),
        ("squared_error + elasticnet", "reg", dict(loss="squared_error", penalty="elasticnet"),
         lambda a: ElasticNetCV(alphas=a, l1_ratio=0.5, cv=kf)),
        ("huber + l1", "reg", dict(loss="huber", penalty="l1"), None),
        ("quantile + l1", "reg", dict(loss="quantile", penalty="l1"), None),
        ("log_loss + l2", "clf", dict(loss="log_loss", penalty="l2"),
         lambda a: LogisticRegressionCV(Cs=1 / (0.8 * n * a), cv=skf, l1_ratios=(0.0,),
                                        use_legacy_attributes=False,
                                        scoring="neg_log_loss")),
        ("hinge + l2", "clf", dict(loss="hinge", penalty="l2"), None),
        ("huber + l1, Student-t noise", "reg-t", dict(loss="huber", penalty="l1"), None),
        ("log_loss + elasticnet, Student-t noise", "clf-t",
         dict(loss="log_loss", penalty="elasticnet"), None),
        ("squared_error + l1, 200 x 2000", "wide", dict(loss="squared_error", penalty="l1"),
         lambda a: LassoCV(alphas=a, cv=kf)),
        ("squared_error + elasticnet, 200 x 2000", "wide",
         dict(loss="squared_error", penalty="elasticnet"),
         lambda a: ElasticNetCV(alphas=a, l1_ratio=0.5, cv=kf)),
    ]
    for name, kind, params, sklearn_cv in cases:
        if args.only not in name:
            continue
        data, cv = {"reg": ((X, y), kf), "wide": ((Xw, yw), kf), "clf": ((Xc, yc), skf),
                    "reg-t": ((Xt, yt), kf), "clf-t": ((Xt, yct), skf)}[kind]
        CV, Est = (LossRegressorCV, LossRegressor) if not kind.startswith("clf") else (
            LossClassifierCV, LossClassifier)
        ours = CV(**params, n_alphas=k, cv=cv)
        t_ours, fitted = timed(lambda: ours.fit(*data), args.repeats)
        grid = GridSearchCV(Est(**params), {"alpha": fitted.alphas_}, cv=cv,
                            scoring=loss_scorer(fitted))
        t_grid, grid = timed(lambda: grid.fit(*data), args.repeats)
        same = grid.best_params_["alpha"] == fitted.alpha_
        row = [name, f"{t_grid:.2f}", f"{t_ours:.2f}", f"{t_grid / t_ours:.1f}x",
               "yes" if same else "no"]
        if sklearn_cv is not None:
            t_sk, _ = timed(lambda: sklearn_cv(fitted.alphas_).fit(*data), args.repeats)
            row += [type(sklearn_cv(fitted.alphas_)).__name__, f"{t_sk:.2f}",
                    f"{t_ours / t_sk:.1f}x"]
        else:
            row += ["-", "-", "-"]
        rows.append(row)
        print(" | ".join(row), flush=True)

    header = ["problem", "GridSearchCV (s)", "ours CV (s)", "speed-up", "same alpha",
              "scikit-learn CV", "its time (s)", "ours / it"]
    lines = [
        "# Cross-validation benchmark: tuning alpha along a path vs GridSearchCV", "",
        f"Machine: {platform.platform()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}. numpy {np.__version__}, scipy {scipy.__version__}, "
        f"scikit-learn {sklearn.__version__}, sklearn-losses {sklearn_losses.__version__}.",
        "", f"{k} alphas x 5 folds, n={n}, p={p} (unless the problem says otherwise); "
        f"median of {args.repeats} runs. The "
        "scikit-learn CV estimators solve their own objective on the same alphas.", "",
        "| " + " | ".join(header) + " |", "|" + "---|" * len(header),
    ] + ["| " + " | ".join(row) + " |" for row in rows]
    print("\n" + "\n".join(lines))
    if not args.only:
        with open(args.out, "w") as fh:
            fh.write("\n".join(lines) + "\n")
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
