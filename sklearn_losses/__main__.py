"""``python -m sklearn_losses``: compare losses and penalties on data scikit-learn ships.

Regression: the diabetes data with gross outliers injected into the training targets,
fitted with squared, absolute, Huber and quantile losses, scored on clean test data.
Classification: the breast-cancer data with log loss, hinge, squared hinge and modified
Huber under L1 and L2, each alpha tuned by ``LossClassifierCV`` with the matching scorer.
"""

import argparse
import sys
import time

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from . import metrics as M
from .linear_model import LossRegressor
from .losses import Huber, Quantile
from .model_selection import LossClassifierCV

REGRESSION_LOSSES = {
    "squared_error": "squared_error",
    "absolute_error": "absolute_error",
    "huber (delta=20)": Huber(delta=20.0),
    "quantile (q=0.5)": Quantile(quantile=0.5),
}
CLASSIFICATION_LOSSES = ["log_loss", "hinge", "squared_hinge", "modified_huber"]


def _table(header, rows):
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(str(h).ljust(w) for h, w in zip(header, widths)), line]
    out += ["  ".join(str(x).rjust(w) if i else str(x).ljust(w)
                      for i, (x, w) in enumerate(zip(row, widths))) for row in rows]
    return "\n".join(out)


def _progress(message):
    print(f"  ... {message}", file=sys.stderr, flush=True)


def regression(n_outliers=15, seed=0):
    """Fit each regression loss on diabetes with outliers; return the fitted models,
    the test data and the table rows."""
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=seed)
    rng = np.random.default_rng(seed)
    y_train = y_train.copy()
    idx = rng.choice(len(y_train), n_outliers, replace=False)
    y_train[idx] += rng.choice([-1, 1], n_outliers) * rng.uniform(400, 800, n_outliers)
    models, rows = {}, []
    for label, loss in REGRESSION_LOSSES.items():
        _progress(f"regression: {label}")
        model = make_pipeline(StandardScaler(), LossRegressor(loss, penalty="l2", alpha=1e-3))
        model.fit(X_train, y_train)
        pred = model.predict(X_test)
        models[label] = model
        rows.append([label, f"{M.mean_squared_error(y_test, pred):.0f}",
                     f"{M.mean_absolute_error(y_test, pred):.1f}",
                     f"{M.huber_loss(y_test, pred, delta=20.0):.1f}"])
    data = (X_train, X_test, y_train, y_test, idx)
    return models, data, rows


def classification(seed=0):
    """Tune alpha for each classification loss x penalty; return models and rows."""
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=seed,
                                                        stratify=y)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    cv = StratifiedKFold(5, shuffle=True, random_state=seed)
    models, rows = {}, []
    for loss in CLASSIFICATION_LOSSES:
        for penalty in ("l1", "l2"):
            _progress(f"classification: {loss} + {penalty} (alpha tuned by 5-fold CV)")
            model = LossClassifierCV(loss, penalty=penalty, n_alphas=12, cv=cv).fit(
                X_train, y_train)
            models[(loss, penalty)] = model
            ce = "-"
            if hasattr(model, "predict_proba"):
                ce = f"{M.binary_cross_entropy(y_test, model.predict_proba(X_test)[:, 1]):.3f}"
            rows.append([loss, penalty, f"{model.alpha_:.2e}",
                         f"{model.score(X_test, y_test):.3f}", ce,
                         f"{int(np.sum(model.coef_ == 0))}/{model.coef_.size}"])
    return models, (X_train, X_test, y_train, y_test), rows


def _plots(directory, reg_models, reg_data, clf_models, clf_data):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SystemExit("--plots needs matplotlib: pip install 'sklearn-losses[examples]'")
    import pathlib

    out = pathlib.Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    X_train, X_test, y_train, y_test, _ = reg_data
    fig, ax = plt.subplots(figsize=(7, 4.5))
    lo, hi = y_test.min(), y_test.max()
    ax.plot([lo, hi], [lo, hi], color="grey", lw=1, label="perfect prediction")
    for label, model in reg_models.items():
        ax.scatter(y_test, model.predict(X_test), s=12, alpha=0.7, label=label)
    ax.set_xlabel("true disease progression (test set)")
    ax.set_ylabel("predicted")
    ax.set_title("Diabetes with 15 gross outliers in the training targets")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "regression_predictions.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4.5))
    X_tr, X_te, y_tr, y_te = clf_data
    positions = np.arange(len(CLASSIFICATION_LOSSES))
    for shift, penalty in ((-0.2, "l1"), (0.2, "l2")):
        zeros = [int(np.sum(clf_models[(loss, penalty)].coef_ == 0))
                 for loss in CLASSIFICATION_LOSSES]
        bars = ax.bar(positions + shift, zeros, width=0.4, label=f"penalty={penalty}")
        for bar, loss in zip(bars, CLASSIFICATION_LOSSES):
            accuracy = clf_models[(loss, penalty)].score(X_te, y_te)
            ax.annotate(f"acc {accuracy:.3f}", (bar.get_x() + bar.get_width() / 2,
                                                bar.get_height()),
                        ha="center", va="bottom", fontsize=7)
    ax.set_xticks(positions, CLASSIFICATION_LOSSES)
    ax.set_ylim(0, 30)
    ax.set_ylabel("coefficients exactly zero (of 30)")
    ax.set_title("Breast cancer: sparsity and test accuracy, alpha tuned by CV")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "classification_zero_weights.png", dpi=110)
    plt.close(fig)
    return [out / "regression_predictions.png", out / "classification_zero_weights.png"]


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m sklearn_losses",
        description="Compare losses and penalties on scikit-learn's diabetes (with injected "
                    "outliers) and breast-cancer data; prints tables, optionally writes "
                    "figures.")
    parser.add_argument("--plots", metavar="DIR", help="also write comparison figures (PNG) "
                        "into DIR (needs matplotlib)")
    parser.add_argument("--seed", type=int, default=0, help="random seed for splits and "
                        "outliers (default 0)")
    args = parser.parse_args(argv)
    start = time.perf_counter()

    reg_models, reg_data, reg_rows = regression(seed=args.seed)
    print("\nRegression: diabetes, 15 gross outliers (+-400..800) in the training targets, "
          "clean test set")
    print(_table(["loss", "test MSE", "test MAE", "test Huber(20)"], reg_rows))
    print("Robust losses (absolute, Huber, quantile) ignore the outliers the squared error "
          "chases.")

    clf_models, clf_data, clf_rows = classification(seed=args.seed)
    print("\nClassification: breast cancer (standardised), alpha tuned by LossClassifierCV "
          "with each loss's own scorer")
    print(_table(["loss", "penalty", "alpha", "accuracy", "cross-entropy", "zero weights"],
                 clf_rows))
    print("L1 sets many weights to exactly zero at little or no cost in accuracy; "
          "cross-entropy is shown where the loss gives probabilities.")
    if args.plots:
        for path in _plots(args.plots, reg_models, reg_data, clf_models, clf_data):
            print(f"wrote {path}")
    print(f"\ndone in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
