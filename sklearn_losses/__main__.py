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


ALPHA = 1e-3


def _with_outliers(y_train, n_outliers, seed):
    """``y_train`` with ``n_outliers`` gross errors (+-400..800) at random samples."""
    rng = np.random.default_rng(seed)
    y_train = y_train.copy()
    idx = rng.choice(len(y_train), n_outliers, replace=False)
    y_train[idx] += rng.choice([-1, 1], n_outliers) * rng.uniform(400, 800, n_outliers)
    return y_train, idx


def _regression_model(loss):
    return make_pipeline(StandardScaler(), LossRegressor(loss, penalty="l2", alpha=ALPHA))


def regression(n_outliers=15, seed=0):
    """Fit each regression loss on diabetes with outliers; return the fitted models,
    the test data and the table rows."""
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=seed)
    y_train, idx = _with_outliers(y_train, n_outliers, seed)
    models, rows = {}, []
    for label, loss in REGRESSION_LOSSES.items():
        _progress(f"regression: {label}")
        model = _regression_model(loss).fit(X_train, y_train)
        pred = model.predict(X_test)
        models[label] = model
        rows.append([label, f"{ALPHA:g}", f"{M.mean_squared_error(y_test, pred):.0f}",
                     f"{M.mean_absolute_error(y_test, pred):.1f}",
                     f"{M.huber_loss(y_test, pred, delta=20.0):.1f}"])
    data = (X_train, X_test, y_train, y_test, idx)
    return models, data, rows


def outlier_sweep(counts=(0, 5, 10, 20, 30, 45), seed=0):
    """Test MAE of each regression loss against the number of gross outliers in the
    training targets: ``{label: [mae for each count]}``."""
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=seed)
    errors = {label: [] for label in REGRESSION_LOSSES}
    for count in counts:
        noisy, _ = _with_outliers(y_train, count, seed)
        for label, loss in REGRESSION_LOSSES.items():
            pred = _regression_model(loss).fit(X_train, noisy).predict(X_test)
            errors[label].append(M.mean_absolute_error(y_test, pred))
    return list(counts), errors


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


def _pyplot():
    """matplotlib's pyplot (Agg backend), or exit with how to install it."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SystemExit("--plots needs matplotlib: pip install 'sklearn-losses[examples]'")
    return plt


def _plots(plt, directory, clf_models, clf_data, seed=0):
    """Two figures: test error against the number of training outliers per regression
    loss, and the classifiers' coefficients (zeros blank) per loss and penalty."""
    import pathlib

    from matplotlib.colors import LogNorm

    out = pathlib.Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    _progress("figure: test error against the number of outliers")
    counts, errors = outlier_sweep(seed=seed)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    styles = {"squared_error": ("tab:red", "o", "-"), "absolute_error": ("tab:blue", "s", "-"),
              "huber (delta=20)": ("tab:green", "^", "--"),
              "quantile (q=0.5)": ("tab:purple", "D", ":")}
    for label, maes in errors.items():
        color, marker, line = styles[label]
        ax.plot(counts, maes, color=color, marker=marker, linestyle=line, label=label)
    ax.set_xlabel("gross outliers (+-400..800) among the 309 training targets")
    ax.set_ylabel("mean absolute error on the clean test set")
    ax.set_title(f"Diabetes: squared error chases the outliers, robust losses do not\n"
                 f"(penalty='l2', alpha={ALPHA:g}, features standardised)", fontsize=10)
    ax.legend(title="loss")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "regression_outliers.png", dpi=110)
    plt.close(fig)

    X_tr, X_te, y_tr, y_te = clf_data
    keys = [(loss, penalty) for loss in CLASSIFICATION_LOSSES for penalty in ("l1", "l2")]
    coefs = np.array([np.ravel(clf_models[key].coef_) for key in keys])
    shown = np.ma.masked_equal(np.abs(coefs), 0.0)  # exact zeros left blank
    fig, ax = plt.subplots(figsize=(8, 4.2))
    image = ax.imshow(shown, cmap="viridis", aspect="auto", interpolation="nearest",
                      norm=LogNorm(vmin=max(shown.min(), 1e-3), vmax=shown.max()))
    ax.set_facecolor("white")
    ax.set_xticks(np.arange(-0.5, coefs.shape[1]), minor=True)
    ax.set_yticks(np.arange(-0.5, len(keys)), minor=True)
    ax.grid(which="minor", color="lightgrey", linewidth=0.5)
    ax.tick_params(which="minor", length=0)
    ax.set_yticks(range(len(keys)), [
        f"{loss} + {penalty}: {int(np.sum(coefs[i] == 0))} zeros, "
        f"acc {clf_models[(loss, penalty)].score(X_te, y_te):.3f}"
        for i, (loss, penalty) in enumerate(keys)], fontsize=8)
    ax.set_xticks(range(0, coefs.shape[1], 5))
    ax.set_xlabel("feature (of 30); blank = coefficient exactly 0")
    ax.set_title("Breast cancer: L1 zeroes most coefficients at the same test accuracy\n"
                 "(alpha tuned by LossClassifierCV for each loss and penalty)", fontsize=10)
    fig.colorbar(image, ax=ax, label="|coefficient| (standardised features)")
    fig.tight_layout()
    fig.savefig(out / "classification_coefficients.png", dpi=110)
    plt.close(fig)
    return [out / "regression_outliers.png", out / "classification_coefficients.png"]


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
    plt = _pyplot() if args.plots else None  # before the work, not after it
    start = time.perf_counter()

    reg_models, reg_data, reg_rows = regression(seed=args.seed)
    print("\nRegression: diabetes, 15 gross outliers (+-400..800) in the training targets, "
          "clean test set")
    print(_table(["loss", "alpha", "test MSE", "test MAE", "test Huber(20)"], reg_rows))
    print("Robust losses (absolute, Huber, quantile) ignore the outliers the squared error "
          "chases.\nAbsolute error and quantile 0.5 differ at the same alpha: the pinball "
          "loss at q=0.5 is half the\nabsolute error, so the same penalty weighs twice as "
          "much against it (it is absolute error\nwith alpha * 2).")

    clf_models, clf_data, clf_rows = classification(seed=args.seed)
    print("\nClassification: breast cancer (standardised), alpha tuned by LossClassifierCV "
          "with each loss's own scorer")
    print(_table(["loss", "penalty", "alpha", "accuracy", "cross-entropy", "zero weights"],
                 clf_rows))
    print("L1 sets many weights to exactly zero at little or no cost in accuracy; "
          "cross-entropy is shown where the loss gives probabilities.")
    if args.plots:
        for path in _plots(plt, args.plots, clf_models, clf_data, seed=args.seed):
            print(f"wrote {path}")
    print(f"\ndone in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
