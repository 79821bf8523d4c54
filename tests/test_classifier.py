"""LossClassifier: optimum against cvxpy, scikit-learn equivalences, labels and weights."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from _oracle import objective, penalty_value, reference_fit, reference_multinomial
from sklearn.datasets import load_breast_cancer, load_iris, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import recall_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sklearn_losses import LogLoss, LossClassifier
from sklearn_losses._solvers import Problem
from sklearn_losses.losses import CLASSIFICATION_LOSSES
from sklearn_losses.penalties import PENALTIES, Penalty


def binary_problem(seed, n=120, p=6):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    w = rng.standard_normal(p)
    y = (X @ w + 0.8 * rng.standard_normal(n) > 0.3).astype(int)
    return X, y, rng.uniform(0.2, 2.0, n)


def l1_alpha_max(loss, X, y_pm, sw):
    return Penalty("l1").alpha_max(Problem(loss, X, y_pm, sw).gradient_at_zero())


@pytest.mark.parametrize("penalty", PENALTIES, ids=str)
@pytest.mark.parametrize("loss_name", sorted(CLASSIFICATION_LOSSES))
@pytest.mark.parametrize("seed, scale", [(0, 0.1), (1, 0.01)])
def test_binary_reaches_reference_optimum(loss_name, penalty, seed, scale):
    loss = CLASSIFICATION_LOSSES[loss_name]()
    X, y, sw = binary_problem(seed)
    y_pm = 2.0 * y - 1
    alpha = scale * l1_alpha_max(loss, X, y_pm, sw)
    model = LossClassifier(loss_name, penalty=penalty, alpha=alpha).fit(X, y, sample_weight=sw)
    assert model.converged_
    ref_w, ref_b = reference_fit(loss, X, y_pm, sw, penalty, alpha)
    ours = objective(loss, X, y_pm, sw, model.coef_[0], model.intercept_[0], penalty, alpha)
    ref = objective(loss, X, y_pm, sw, ref_w, ref_b, penalty, alpha)
    assert (ours - ref) / abs(ref) <= 1e-6


@pytest.mark.parametrize("penalty", ["l2", "elasticnet"])
@pytest.mark.parametrize("alpha", [1e-2, 1e-4])
def test_multinomial_reaches_reference_optimum(penalty, alpha):
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    sw = np.random.default_rng(0).uniform(0.2, 2.0, len(y))
    model = LossClassifier(penalty=penalty, alpha=alpha).fit(X, y, sample_weight=sw)
    ref_W, ref_b = reference_multinomial(X, y, 3, sw, penalty, alpha)
    onehot = np.eye(3)[y]
    def obj(W, b):
        return (float(sw @ LogLoss().loss(onehot, X @ W.T + b) / sw.sum())
                + penalty_value(W, penalty, alpha))

    ours, ref = obj(model.coef_, model.intercept_), obj(ref_W, ref_b)
    assert (ours - ref) / abs(ref) <= 1e-6


@pytest.mark.parametrize("dataset", ["binary", "multinomial"])
def test_matches_logistic_regression(dataset):
    if dataset == "binary":
        X, y = load_breast_cancer(return_X_y=True)
    else:
        X, y = load_wine_scaled()
    X = StandardScaler().fit_transform(X)
    n, alpha = len(y), 1e-3
    ours = LossClassifier(alpha=alpha).fit(X, y)
    ref = LogisticRegression(C=1 / (n * alpha), tol=1e-12, max_iter=10_000).fit(X, y)
    if dataset == "multinomial":  # both use the symmetric (n_classes) parametrisation
        assert ours.coef_.shape == ref.coef_.shape == (3, X.shape[1])
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=0, atol=1e-4 * np.abs(ref.coef_).max())
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=0,
                               atol=1e-4 * max(1.0, np.abs(ref.intercept_).max()))
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-4)


def load_wine_scaled():
    from sklearn.datasets import load_wine

    return load_wine(return_X_y=True)


def test_l1_exact_zeros_on_breast_cancer():
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=1, stratify=y)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    l1 = LossClassifier(penalty="l1", alpha=0.01).fit(X_train, y_train)
    l2 = LossClassifier(penalty="l2", alpha=0.01).fit(X_train, y_train)
    assert np.sum(l1.coef_ == 0.0) >= 15
    assert l1.score(X_test, y_test) >= 0.95
    assert np.sum(l2.coef_ == 0.0) == 0


def test_class_weight_balanced_raises_minority_recall():
    X, y = make_classification(3000, 10, weights=[0.95, 0.05], class_sep=0.5, flip_y=0,
                               random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
    for loss in CLASSIFICATION_LOSSES:
        plain = LossClassifier(loss, alpha=1e-3).fit(X_train, y_train)
        balanced = LossClassifier(loss, alpha=1e-3, class_weight="balanced").fit(X_train, y_train)
        r_plain = recall_score(y_test, plain.predict(X_test))
        r_bal = recall_score(y_test, balanced.predict(X_test))
        assert r_bal >= r_plain + 0.3


def test_class_weight_dict_equals_sample_weight_with_fixed_normaliser():
    X, y, _ = binary_problem(3)
    weighted = LossClassifier(class_weight={0: 1.0, 1: 3.0}, alpha=1e-3).fit(X, y)
    # Same objective through sample weights: the normaliser is then the weight sum, so
    # alpha must be rescaled by n / sum(weights) to keep the same problem.
    sw = np.where(y == 1, 3.0, 1.0)
    via_sw = LossClassifier(alpha=1e-3 * len(y) / sw.sum()).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(weighted.coef_, via_sw.coef_, rtol=1e-4, atol=1e-6)


def test_string_labels_and_classes():
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    for loss in CLASSIFICATION_LOSSES:
        clf = LossClassifier(loss, alpha=1e-3).fit(X, names)
        assert list(clf.classes_) == list(names[[0, 50, 100]])
        assert clf.coef_.shape == (3, 4)
        assert set(clf.predict(X)) <= set(names)
        assert clf.score(X, names) > 0.8
    binary = LossClassifier().fit(X[:100], names[:100])
    assert binary.coef_.shape == (1, 4) and binary.decision_function(X[:5]).shape == (5,)


def test_ovr_equals_binary_problems():
    X, y = load_iris(return_X_y=True)
    ovr = LossClassifier("squared_hinge", penalty="l1", alpha=1e-3).fit(X, y)
    for k in range(3):
        single = LossClassifier("squared_hinge", penalty="l1", alpha=1e-3).fit(X, y == k)
        np.testing.assert_allclose(ovr.coef_[k], single.coef_[0], atol=1e-6)


def test_predict_proba_only_where_defined():
    X, y = load_iris(return_X_y=True)
    assert not hasattr(LossClassifier("hinge"), "predict_proba")
    assert not hasattr(LossClassifier("squared_hinge").fit(X, y), "predict_log_proba")
    for loss in ("log_loss", "modified_huber"):
        clf = LossClassifier(loss, alpha=1e-3).fit(X, y)
        proba = clf.predict_proba(X)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)
        assert np.all(proba >= 0)
    clf = LossClassifier(alpha=1e-3).fit(X, y)
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(clf.predict_proba(X)))


def test_no_overflow_for_huge_scores():
    X, y = load_iris(return_X_y=True)
    clf = LossClassifier(alpha=1e-3).fit(X[:100], y[:100])
    far = X[:3] * 1e4
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        log_proba = clf.predict_log_proba(far)
    assert np.all(np.isfinite(log_proba))


def test_multilabel_independent_binary_problems():
    X, Y = make_multilabel(300)
    clf = LossClassifier(alpha=1e-3).fit(X, Y)
    assert clf.coef_.shape == (Y.shape[1], X.shape[1])
    assert clf.predict(X).shape == Y.shape and set(np.unique(clf.predict(X))) <= {0, 1}
    proba = clf.predict_proba(X)
    assert proba.shape == Y.shape
    for k in range(Y.shape[1]):
        single = LossClassifier(alpha=1e-3).fit(X, Y[:, k])
        np.testing.assert_allclose(clf.coef_[k], single.coef_[0], atol=1e-6)
        np.testing.assert_allclose(proba[:, k], single.predict_proba(X)[:, 1], atol=1e-6)
    # labels do not compete: probabilities need not sum to one
    assert np.abs(proba.sum(axis=1) - 1).max() > 0.1


def make_multilabel(n):
    from sklearn.datasets import make_multilabel_classification

    return make_multilabel_classification(n, 8, n_classes=3, random_state=0)


@pytest.mark.parametrize("loss", sorted(CLASSIFICATION_LOSSES))
def test_sparse_equals_dense(loss):
    X, y, sw = binary_problem(5)
    dense = LossClassifier(loss, penalty="elasticnet", alpha=1e-2).fit(X, y, sample_weight=sw)
    sparse = LossClassifier(loss, penalty="elasticnet", alpha=1e-2).fit(
        sp.csr_matrix(X), y, sample_weight=sw)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, atol=1e-5)


def test_bad_targets():
    X, y, _ = binary_problem(6)
    with pytest.raises(ValueError, match="Unknown label type"):
        LossClassifier().fit(X, X[:, 0])
    with pytest.raises(ValueError, match="at least 2 classes .* only one class"):
        LossClassifier().fit(X, np.zeros(len(y)))
    with pytest.raises(ValueError, match=r"class_weight names classes not in y: \[7\]"):
        LossClassifier(class_weight={7: 2.0}).fit(X, y)
    with pytest.raises(ValueError, match="regression loss; this estimator needs a classification"):
        from sklearn_losses import Huber

        LossClassifier(Huber()).fit(X, y)
    with pytest.raises(ValueError, match="'loss' parameter"):
        LossClassifier("squared_error").fit(X, y)


@pytest.mark.parametrize("fit_intercept", [False, True])
def test_hinge_with_redundant_features_reaches_reference_optimum(fit_intercept):
    # Redundant features make X rank-deficient: the exact crossover must complete the
    # on-kink system from stationarity instead of giving up (or solving a singular one).
    X, y = make_classification(400, 12, n_informative=4, n_redundant=3, random_state=0)
    assert np.linalg.matrix_rank(X) < X.shape[1]
    y_pm = 2.0 * y - 1
    sw = np.ones(len(y))
    loss = CLASSIFICATION_LOSSES["hinge"]()
    model = LossClassifier("hinge", alpha=1e-3, fit_intercept=fit_intercept).fit(X, y)
    assert model.converged_
    ref_w, ref_b = reference_fit(loss, X, y_pm, sw, "l2", 1e-3, fit_intercept=fit_intercept)
    ours = objective(loss, X, y_pm, sw, model.coef_[0], model.intercept_[0], "l2", 1e-3)
    ref = objective(loss, X, y_pm, sw, ref_w, ref_b, "l2", 1e-3)
    assert (ours - ref) / abs(ref) <= 1e-6


def test_hinge_l2_with_many_samples_near_the_margin_converges():
    # 1 000 x 150: over a hundred samples near a kink in the narrow stages. Newton's
    # Hessian costs more than one pass over X there but saves hundreds of L-BFGS-B
    # iterations (which ran past max_iter, unconverged, when Newton was held to one pass).
    X, y = make_classification(1000, 150, n_informative=30, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = LossClassifier("hinge", alpha=1e-3, fit_intercept=False).fit(X, y)
    assert model.converged_ and model.n_iter_ < 500


def test_float32_input_keeps_float32():
    # multinomial log loss on float32 iris: float32 coefficients, scores and
    # probabilities, within float32 rounding of the float64 fit
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    m64 = LossClassifier(alpha=0.01).fit(X, y)
    m32 = LossClassifier(alpha=0.01).fit(X.astype(np.float32), y)
    assert m32.coef_.dtype == np.float32 and m32.intercept_.dtype == np.float32
    X32 = X.astype(np.float32)
    assert m32.decision_function(X32).dtype == np.float32
    assert m32.predict_proba(X32).dtype == np.float32
    np.testing.assert_allclose(m32.coef_, m64.coef_, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(m32.predict(X32), m64.predict(X))
