"""Every bad input gets a ValueError/TypeError naming the problem (issue #8).

The table ``CASES`` is the source of the error table in docs/user_guide.rst.
"""

import re

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError

from sklearn_losses import (
    Hinge,
    Huber,
    LossClassifier,
    LossRegressor,
    LossRegressorCV,
    Quantile,
    Tweedie,
    loss_path,
    make_loss_scorer,
)
from sklearn_losses import metrics as M

rng = np.random.default_rng(0)
X = rng.standard_normal((30, 3))
y = X @ [1.0, -2.0, 0.5] + rng.standard_normal(30)
labels = (y > 0).astype(int)


def with_value(array, index, value):
    array = np.array(array, dtype=float)
    array.flat[index] = value
    return array


CASES = [
    # (case, call, error type, message pattern)
    ("NaN in X", lambda: LossRegressor().fit(with_value(X, 4, np.nan), y), ValueError,
     "Input X contains NaN"),
    ("inf in X", lambda: LossRegressor().fit(with_value(X, 4, np.inf), y), ValueError,
     "Input X contains infinity"),
    ("NaN in y", lambda: LossRegressor().fit(X, with_value(y, 2, np.nan)), ValueError,
     "Input y contains NaN"),
    ("inf in sample_weight", lambda: LossRegressor().fit(X, y, with_value(np.ones(30), 1, np.inf)),
     ValueError, "sample_weight contains infinity|Input sample_weight contains infinity"),
    ("unknown loss name", lambda: LossRegressor("hubber").fit(X, y), ValueError,
     "'loss' parameter of LossRegressor must be a str among .*'huber'.* Got 'hubber'"),
    ("unknown penalty", lambda: LossRegressor(penalty="l3").fit(X, y), ValueError,
     "'penalty' parameter .* among .*'elasticnet'.* Got 'l3'"),
    ("classification loss in the regressor", lambda: LossRegressor(Hinge()).fit(X, y),
     ValueError, "Hinge is a classification loss; this estimator needs a regression loss"),
    ("regression loss in the classifier", lambda: LossClassifier(Huber()).fit(X, labels),
     ValueError, "Huber is a regression loss; this estimator needs a classification loss"),
    ("regression loss name in the classifier", lambda: LossClassifier("huber").fit(X, labels),
     ValueError, "'loss' parameter of LossClassifier must be a str among .*'hinge'"),
    ("alpha < 0", lambda: LossRegressor(alpha=-1).fit(X, y), ValueError,
     "'alpha' parameter .* range \\[0.0, inf\\). Got -1"),
    ("l1_ratio outside [0, 1]", lambda: LossRegressor(l1_ratio=1.5).fit(X, y), ValueError,
     "'l1_ratio' parameter .* range \\[0.0, 1.0\\]"),
    ("penalty_factor of the wrong length",
     lambda: LossRegressor(penalty_factor=[1.0, 2.0]).fit(X, y), ValueError,
     "penalty_factor must hold one number per feature of X \\(3\\); got shape \\(2,\\)"),
    ("penalty_factor < 0", lambda: LossRegressor(penalty_factor=[1, -1, 1]).fit(X, y),
     ValueError, "penalty_factor must be finite and >= 0"),
    ("penalty_factor naming an unknown feature",
     lambda: LossRegressor(penalty_factor={"age": 0.0}).fit(X, y), ValueError,
     "penalty_factor names feature 'age', which X does not have; valid keys are "
     "positions 0 to 2"),
    ("Huber delta <= 0", lambda: LossRegressor(Huber(delta=0)).fit(X, y), ValueError,
     "'delta' parameter of Huber must be a float in the range \\(0.0, inf\\)"),
    ("quantile outside (0, 1)", lambda: LossRegressor(Quantile(quantile=1.0)).fit(X, y),
     ValueError, "'quantile' parameter of Quantile must be a float in the range \\(0.0, 1.0\\)"),
    ("epsilon < 0", lambda: LossRegressor("epsilon_insensitive").set_params(
        loss=__import__("sklearn_losses").EpsilonInsensitive(epsilon=-1)).fit(X, y),
     ValueError, "'epsilon' parameter"),
    ("tol <= 0", lambda: LossRegressor(tol=0).fit(X, y), ValueError, "'tol' parameter"),
    ("max_iter <= 0", lambda: LossRegressor(max_iter=0).fit(X, y), ValueError,
     "'max_iter' parameter"),
    ("negative y for Poisson", lambda: LossRegressor("poisson").fit(X, y), ValueError,
     "'poisson' loss requires targets y >= 0"),
    ("negative y for Tweedie (power < 2)", lambda: LossRegressor("tweedie").fit(X, y),
     ValueError, "'tweedie' loss requires targets y >= 0"),
    ("y = 0 for gamma", lambda: LossRegressor("gamma").fit(X, np.abs(y) * (y > 0)),
     ValueError, "'gamma' loss requires targets y > 0; got a minimum of 0"),
    ("Tweedie power <= 1", lambda: LossRegressor(Tweedie(power=1.0)).fit(X, np.abs(y)),
     ValueError, "'power' parameter of Tweedie must be a float in the range \\(1.0, inf\\)"),
    ("continuous y for the classifier", lambda: LossClassifier().fit(X, y), ValueError,
     "Unknown label type"),
    ("a single class", lambda: LossClassifier().fit(X, np.ones(30)), ValueError,
     "at least 2 classes .* only one class"),
    ("non-0/1 multi-label y", lambda: LossClassifier().fit(X, np.column_stack([labels, 2 * labels])),
     ValueError, "multi-label .* indicator|binary, multiclass or multi-label"),
    ("sample_weight of the wrong length", lambda: LossRegressor().fit(X, y, np.ones(29)),
     ValueError, "sample_weight.shape == \\(29,\\), expected \\(30,\\)"),
    ("negative sample_weight", lambda: LossRegressor().fit(X, y, with_value(np.ones(30), 0, -1)),
     ValueError, "Negative values in data passed to `sample_weight`"),
    ("all-zero sample_weight", lambda: LossRegressor().fit(X, y, np.zeros(30)), ValueError,
     "Sample weights must contain at least one non-zero number"),
    ("X/y length mismatch", lambda: LossRegressor().fit(X, y[:-1]), ValueError,
     "inconsistent numbers of samples: \\[30, 29\\]"),
    ("predict with the wrong number of features",
     lambda: LossRegressor().fit(X, y).predict(X[:, :2]), ValueError,
     "X has 2 features, but LossRegressor is expecting 3 features"),
    ("predict before fit", lambda: LossRegressor().predict(X), NotFittedError,
     "This LossRegressor instance is not fitted yet"),
    ("non-numeric X", lambda: LossRegressor().fit(np.array([["a", "b"]] * 30), y), ValueError,
     "could not convert string to float"),
    ("empty X", lambda: LossRegressor().fit(np.empty((0, 3)), np.empty(0)), ValueError,
     "Found array with 0 sample\\(s\\)"),
    ("class_weight naming classes not in y",
     lambda: LossClassifier(class_weight={0: 1, 5: 2}).fit(X, labels), ValueError,
     "class_weight names classes not in y: \\[5\\]; the classes are \\[0, 1\\]"),
    ("metric inputs of mismatched lengths", lambda: M.huber_loss([1, 2, 3], [1, 2]), ValueError,
     "inconsistent numbers of samples"),
    ("probabilities outside [0, 1]", lambda: M.binary_cross_entropy([0, 1], [0.2, 1.2]),
     ValueError, "y_prob must hold probabilities in \\[0, 1\\]"),
    ("loss that is not a Loss", lambda: make_loss_scorer(3), TypeError,
     "loss must be a loss name or a Loss object"),
    ("CV with penalty=None", lambda: LossRegressorCV(penalty=None).fit(X, y), ValueError,
     "'penalty' parameter of LossRegressorCV must be a str among"),
    ("negative alphas for loss_path", lambda: loss_path(X, y, alphas=[1.0, -0.1]), ValueError,
     "alphas must be finite and >= 0"),
    ("one label (not 0/1) for a binary probability",
     lambda: M.binary_cross_entropy(["a", "a"], [0.1, 0.2]),
     ValueError, r"y_true contains only one label \(a\); pass labels="),
    ("labels of y_true outside labels=",
     lambda: M.binary_cross_entropy([1, 2], [0.01, 0.5], labels=[0, 1]), ValueError,
     r"y_true holds labels that are not in labels=\[0, 1\]: \[2\]"),
    ("probability rows that do not sum to 1",
     lambda: M.categorical_cross_entropy([0, 1], [[0.5, 0.6], [0.5, 0.5]]), ValueError,
     "The rows of y_prob must sum to 1"),
    ("NaN in a metric's sample_weight",
     lambda: M.huber_loss([1, 2, 3], [1, 2, 2], sample_weight=[1, np.nan, 1]), ValueError,
     "Input sample_weight contains NaN"),
    ("negative metric sample_weight",
     lambda: M.huber_loss([1, 2, 3], [1, 2, 2], sample_weight=[1, -1, 1]), ValueError,
     "sample_weight must be non-negative"),
    ("negative class_weight",
     lambda: LossClassifier(class_weight={0: -1.0, 1: 1.0}).fit(X, labels), ValueError,
     "class_weight values must be finite and non-negative"),
    ("NaN or infinite class_weight",
     lambda: LossClassifier(class_weight={0: np.nan, 1: np.inf}).fit(X, labels), ValueError,
     "class_weight values must be finite and non-negative"),
    ("l1_ratio list outside [0, 1] for CV",
     lambda: LossRegressorCV(penalty="elasticnet", l1_ratio=[0.5, 1.5]).fit(X, y), ValueError,
     r"l1_ratio must be a float or a non-empty list of floats in \[0, 1\]"),
    ("empty alphas", lambda: LossRegressorCV(alphas=[]).fit(X, y), ValueError,
     "alphas must hold at least one value"),
    ("NaN or infinite alphas", lambda: LossRegressorCV(alphas=[np.nan, np.inf]).fit(X, y),
     ValueError, "alphas must be finite and >= 0"),
    ("sparse y", lambda: LossRegressor().fit(X, sp.csr_matrix(y[:, None])), ValueError,
     "LossRegressor needs a dense y; got a sparse csr_matrix: pass y.toarray()"),
]


@pytest.mark.parametrize("case, call, error, message", CASES, ids=[c[0] for c in CASES])
def test_bad_input_raises_clear_error(case, call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_error_table_in_docs_is_complete():
    """Every case here is listed in the user guide's error table."""
    import pathlib

    guide = pathlib.Path(__file__).parents[1] / "docs" / "user_guide.rst"
    text = guide.read_text()
    missing = [case for case, *_ in CASES if case not in text]
    assert not missing, f"add these cases to the error table in {guide.name}: {missing}"


FITS = {
    "ridge, first fit": lambda X: LossRegressor(alpha=0.1).fit(X, y),
    "ridge without intercept": lambda X: LossRegressor(alpha=0.1, fit_intercept=False).fit(X, y),
    "lasso": lambda X: LossRegressor(penalty="l1", alpha=0.01).fit(X, y),
    "lasso, zero weight on the bad row": lambda X: LossRegressor(penalty="l1", alpha=0.01).fit(
        X, y, sample_weight=with_value(np.ones(30), 1, 0.0)),
    "sparse lasso": lambda X: LossRegressor(penalty="l1", alpha=0.01).fit(sp.csr_matrix(X), y),
    "huber": lambda X: LossRegressor(Huber(), penalty="l1", alpha=0.01).fit(X, y),
    "quantile": lambda X: LossRegressor(Quantile(), alpha=0.01).fit(X, y),
    "log loss": lambda X: LossClassifier().fit(X, labels),
    "hinge": lambda X: LossClassifier("hinge", fit_intercept=False).fit(X, labels),
}


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("fit", FITS.values(), ids=FITS.keys())
def test_non_finite_X_is_found_by_the_solver(fit, value):
    # A fit checks X's finiteness on the sums over X its solver computes anyway (no pass
    # over X of its own): every solver path raises scikit-learn's error, and no numpy
    # warning comes first (warnings are errors in this suite). Row 1 holds the value.
    bad = with_value(X, 4, value)
    with pytest.raises(ValueError, match="Input X contains (NaN|infinity)") as raised:
        fit(bad)
    # scikit-learn's advice for a NaN, naming the estimator, as its own check gives it
    if np.isnan(value):
        assert re.search(r"Loss(Regressor|Classifier) does not accept missing values",
                         str(raised.value))
