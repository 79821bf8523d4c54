"""Metrics: hand-worked tables, scikit-learn equivalents, weights and bad input."""

import numpy as np
import pytest
from sklearn import metrics as skm

from sklearn_losses import metrics as M

LN = np.log

# (metric, kwargs, y_true, y_pred, sample_weight, expected) — worked by hand.
TABLE = [
    (M.mean_squared_error, {}, [0, 0, 0], [1, -2, 3], None, 14 / 3),
    (M.root_mean_squared_error, {}, [0, 0], [3, 4], None, np.sqrt(12.5)),
    (M.mean_absolute_error, {}, [0, 0, 0], [1, -2, 3], [1, 1, 2], 9 / 4),
    (M.huber_loss, {"delta": 1.0}, [0, 0, 0], [0.5, 2, -3], None, 1.375),
    (M.huber_loss, {"delta": 1.0}, [0, 0, 0], [0.5, 2, -3], [1, 2, 1], 1.40625),
    (M.huber_loss, {"delta": 2.5}, [1.0], [4.0], None, 2.5 * (3 - 1.25)),
    (M.pinball_loss, {"quantile": 0.2}, [1, 1], [0, 3], None, 0.9),
    (M.epsilon_insensitive_loss, {"epsilon": 0.5}, [0, 0, 0], [0.2, 1, -2], None, 2 / 3),
    (M.squared_epsilon_insensitive_loss, {"epsilon": 0.5}, [0, 0, 0], [0.2, 1, -2], None,
     2.5 / 3),
    (M.mean_poisson_deviance, {}, [0, 2], [1, 2], None, 1.0),
    # power 1.5: 2 (y^0.5 / (-0.25) + 2 y mu^-0.5 + 2 mu^0.5)
    (M.mean_tweedie_deviance, {"power": 1.5}, [0, 4], [4, 1], [1, 3],
     (1 * 8.0 + 3 * 2 * (-8 + 8 + 2)) / 4),
    (M.mean_gamma_deviance, {}, [2, 1], [1, 1], None, (2 * (LN(0.5) + 1)) / 2),
    (M.binary_cross_entropy, {}, [1, 0], [0.8, 0.4], None, -(LN(0.8) + LN(0.6)) / 2),
    (M.binary_cross_entropy, {}, ["b", "a"], [[0.2, 0.8], [0.6, 0.4]], [3, 1],
     -(3 * LN(0.8) + LN(0.6)) / 4),
    (M.binary_cross_entropy, {}, [[1, 0], [1, 1]], [[0.5, 0.5], [0.5, 0.25]], None,
     (LN(2) * 3 + LN(4)) / 4),
    (M.categorical_cross_entropy, {"labels": [0, 1, 2]}, [0, 2], [[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], None,
     -(LN(0.7) + LN(0.8)) / 2),
    (M.categorical_cross_entropy, {}, [[1, 0, 0], [0, 0, 1]],
     [[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], None, -(LN(0.7) + LN(0.8)) / 2),
    (M.kl_divergence, {}, [[0.5, 0.5]], [[0.25, 0.75]], None,
     0.5 * LN(2) + 0.5 * LN(2 / 3)),
    (M.kl_divergence, {}, [[1.0, 0.0], [0.5, 0.5]], [[0.5, 0.5], [0.5, 0.5]], None, LN(2) / 2),
    (M.hinge_loss, {}, [1, 0], [0.5, 0.5], None, 1.0),
    (M.hinge_loss, {}, [0, 1], [[1, -1, 0.5], [0, 2, -3]], None, None),  # filled below
    (M.squared_hinge_loss, {}, [1, 0], [0.5, 0.5], None, 1.25),
    (M.modified_huber_loss, {}, [1, 0], [0.5, 3], None, 6.125),
]
# One-vs-rest hinge, 3 classes (labels 0, 1 and a third class 2 named by labels= below):
# sample 1 (class 0): 0 + 0 + 1.5; sample 2 (class 1): 1 + 0 + 0.
TABLE[20] = (M.hinge_loss, {"labels": [0, 1, 2]}, [0, 1], [[1, -1, 0.5], [0, 2, -3]], None,
             (1.5 + 1.0) / 2)


@pytest.mark.parametrize("metric, kwargs, y_true, y_pred, sw, expected", TABLE,
                         ids=[f"{row[0].__name__}-{i}" for i, row in enumerate(TABLE)])
def test_worked_examples(metric, kwargs, y_true, y_pred, sw, expected):
    assert metric(y_true, y_pred, sample_weight=sw, **kwargs) == pytest.approx(expected,
                                                                               rel=1e-12)


def test_agree_with_scikit_learn_where_it_has_them():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 50)
    p = rng.uniform(0.01, 0.99, 50)
    sw = rng.uniform(0.5, 2, 50)
    assert M.binary_cross_entropy(y, p, sample_weight=sw) == pytest.approx(
        skm.log_loss(y, p, sample_weight=sw))
    decision = rng.normal(size=50)
    assert M.hinge_loss(y, decision, sample_weight=sw) == pytest.approx(
        skm.hinge_loss(y, decision, sample_weight=sw))
    r = rng.normal(size=50)
    assert M.huber_loss(np.zeros(50), r, delta=0.5) == pytest.approx(
        np.mean(np.where(np.abs(r) <= 0.5, r**2 / 2, 0.5 * (np.abs(r) - 0.25))))


_SKLEARN_REGRESSION = [
    (M.mean_squared_error, skm.mean_squared_error, {}, {}),
    (M.mean_absolute_error, skm.mean_absolute_error, {}, {}),
    (M.pinball_loss, skm.mean_pinball_loss, {"quantile": 0.3}, {"alpha": 0.3}),
    (M.mean_poisson_deviance, skm.mean_poisson_deviance, {}, {}),
    (M.mean_tweedie_deviance, skm.mean_tweedie_deviance, {"power": 1.5}, {"power": 1.5}),
    (M.mean_tweedie_deviance, skm.mean_tweedie_deviance, {"power": 3.0}, {"power": 3.0}),
    (M.mean_gamma_deviance, skm.mean_gamma_deviance, {}, {}),
]
_ONE_TARGET = (M.mean_poisson_deviance, M.mean_tweedie_deviance, M.mean_gamma_deviance)


# scikit-learn's deviances take one target only
@pytest.mark.parametrize("ours, theirs, kwargs, theirs_kwargs, shape", [
    (*row, shape) for row in _SKLEARN_REGRESSION for shape in [(40,), (40, 3)]
    if not (row[0] in _ONE_TARGET and len(shape) == 2)])
def test_regression_metrics_equal_scikit_learn(ours, theirs, kwargs, theirs_kwargs, shape):
    # our formulas, scikit-learn's values: weighted, and averaged over several targets
    rng = np.random.default_rng(1)
    y, pred = rng.uniform(0.0, 3.0, shape), rng.uniform(0.1, 3.0, shape)
    y[:3] = 0.0 if kwargs.get("power", 2) < 2 else y[:3]  # exact zeros where allowed
    sw = rng.uniform(0.5, 2.0, shape[0])
    assert ours(y, pred, sample_weight=sw, **kwargs) == pytest.approx(
        theirs(y, pred, sample_weight=sw, **theirs_kwargs), rel=1e-12)


def test_categorical_cross_entropy_of_labels_equals_log_loss():
    rng = np.random.default_rng(2)
    y = rng.choice(["a", "b", "c"], 60)
    p = rng.uniform(0.01, 1.0, (60, 3))
    p /= p.sum(axis=1, keepdims=True)
    sw = rng.uniform(0.5, 2.0, 60)
    assert M.categorical_cross_entropy(y, p, sample_weight=sw) == pytest.approx(
        skm.log_loss(y, p, sample_weight=sw), rel=1e-12)
    assert M.cross_entropy(y[:5], p[:5], labels=["a", "b", "c"]) == pytest.approx(
        skm.log_loss(y[:5], p[:5], labels=["a", "b", "c"]), rel=1e-12)
    with pytest.raises(ValueError, match="only one label"):
        M.categorical_cross_entropy(["a", "a"], p[:2])
    with pytest.raises(ValueError, match="3 columns but there are 2 classes"):
        M.categorical_cross_entropy(["a", "b"], p[:2])


@pytest.mark.parametrize("y_pred, error, match", [
    ([1.0, np.nan], ValueError, "Input y_pred contains NaN"),
    ([1.0, np.inf], ValueError, "Input y_pred contains infinity"),
    ([], ValueError, "at least one sample"),
    (np.ones((2, 1, 1)), ValueError, "1-D or 2-D"),
    (["x", "y"], ValueError, "y_pred must be numeric"),
])
def test_bad_predictions_are_named(y_pred, error, match):
    with pytest.raises(error, match=match):
        M.mean_squared_error(np.ones(len(y_pred)), y_pred)


def test_sparse_predictions_are_refused():
    import scipy.sparse as sp

    with pytest.raises(TypeError, match="y_pred must be a dense array"):
        M.huber_loss([1.0, 2.0], sp.csr_matrix([[1.0], [2.0]]))


def test_tweedie_and_gamma_deviances_need_their_domain():
    with pytest.raises(ValueError, match=r"power 1.5 needs y_true >= 0 and y_pred > 0"):
        M.mean_tweedie_deviance([1.0, -1.0], [1.0, 1.0], power=1.5)
    with pytest.raises(ValueError, match=r"power 2 needs y_true > 0"):
        M.mean_gamma_deviance([1.0, 0.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="y_pred > 0"):
        M.mean_tweedie_deviance([1.0, 1.0], [1.0, 0.0], power=3.0)
    with pytest.raises(ValueError, match="power must be > 1"):
        M.mean_tweedie_deviance([1.0], [1.0], power=1.0)


def test_poisson_deviance_needs_its_domain():
    with pytest.raises(ValueError, match="y_true >= 0 and y_pred > 0"):
        M.mean_poisson_deviance([1.0, -1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="y_true >= 0 and y_pred > 0"):
        M.mean_poisson_deviance([1.0, 1.0], [1.0, 0.0])


def test_sample_weight_equals_repetition():
    y_true, y_pred = np.array([0.0, 1.0, 4.0]), np.array([1.0, 1.5, 0.0])
    weighted = M.huber_loss(y_true, y_pred, sample_weight=[1, 3, 2])
    repeated = M.huber_loss(np.repeat(y_true, [1, 3, 2]), np.repeat(y_pred, [1, 3, 2]))
    assert weighted == pytest.approx(repeated)


def test_extreme_probabilities_are_finite_and_silent():
    with np.errstate(all="raise"):
        for value in (M.binary_cross_entropy([1, 0], [0.0, 1.0]),
                      M.categorical_cross_entropy([0, 1], [[0.0, 1.0], [1.0, 0.0]]),
                      M.kl_divergence([[1.0, 0.0]], [[0.0, 1.0]])):
            assert np.isfinite(value) and value > 30


@pytest.mark.parametrize("call, message", [
    (lambda: M.huber_loss([1, 2], [1, 2, 3]), "inconsistent numbers of samples"),
    (lambda: M.huber_loss([1, np.nan], [1, 2]), "NaN"),
    (lambda: M.huber_loss([1, 2], [1, 2], delta=-1), "delta"),
    (lambda: M.binary_cross_entropy([0, 1], [0.5, 1.5]), r"probabilities in \[0, 1\]"),
    (lambda: M.binary_cross_entropy([0, 1, 2], [0.5, 0.5, 0.5]), "needs two classes"),
    (lambda: M.kl_divergence([[0.5, 0.6]], [[0.5, 0.5]]), "must sum to 1"),
    (lambda: M.hinge_loss([0, 1, 2], [0.1, 0.2, 0.3]), "1-D decision needs two classes"),
])
def test_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_binary_cross_entropy_of_one_label():
    # y_prob is the positive class's probability: with one label in y_true, 0 and 1 name
    # their class (as the loss-function articles compute it); any other label needs
    # ``labels`` to say whether it is the positive one
    y_prob = [0.1, 0.2, 0.3]
    negative = -np.mean(np.log([0.9, 0.8, 0.7]))
    positive = -np.mean(np.log(y_prob))
    assert M.binary_cross_entropy([0, 0, 0], y_prob, labels=[0, 1]) == pytest.approx(negative)
    assert M.binary_cross_entropy([1, 1, 1], y_prob, labels=[0, 1]) == pytest.approx(positive)
    assert M.binary_cross_entropy([0, 0, 0], y_prob) == pytest.approx(negative, rel=1e-12)
    assert M.binary_cross_entropy([1, 1, 1], y_prob) == pytest.approx(positive, rel=1e-12)
    assert M.binary_cross_entropy([1], [0.01]) == pytest.approx(-np.log(0.01), rel=1e-12)
    assert M.binary_cross_entropy(["b", "b"], [0.2, 0.4], labels=["a", "b"]) == pytest.approx(
        -np.mean(np.log([0.2, 0.4])))
    for one_label in (["a", "a", "a"], [2, 2, 2]):
        with pytest.raises(ValueError, match="only one label"):
            M.binary_cross_entropy(one_label, y_prob)


def test_kl_divergence_of_labels_and_binary_probabilities():
    # integer labels name their columns when y shows fewer classes than columns
    assert M.kl_divergence([1, 1], [[0.2, 0.8], [0.5, 0.5]]) == pytest.approx(
        -(LN(0.8) + LN(0.5)) / 2, rel=1e-12)
    # a 1-D p_pred is a binary classifier's positive-class probability (what its
    # predict_proba scorer passes), the labels over the sorted classes or labels=
    assert M.kl_divergence(["x", "y"], [0.2, 0.6]) == pytest.approx(
        -(LN(0.8) + LN(0.6)) / 2, rel=1e-12)
    assert M.kl_divergence(["y"], [0.6], labels=["x", "y"]) == pytest.approx(-LN(0.6))
    with pytest.raises(ValueError, match="pass labels="):
        M.kl_divergence(["y", "y"], [0.2, 0.6])


def test_hinge_loss_reads_labels_as_scikit_learn_does():
    for y_true, decision in [([0, 0], [-1.0, 2.0]), ([1, 1], [-1.0, 2.0]),
                             ([3, 7, 7], [0.5, -2.0, 1.5])]:
        assert M.hinge_loss(y_true, decision) == pytest.approx(skm.hinge_loss(y_true, decision))
    assert M.hinge_loss([0, 0], [-1.0, 2.0]) == pytest.approx(1.5)
    # labels= names the classes (scikit-learn's binary path ignores it)
    assert M.hinge_loss([1, 1], [-1.0, 2.0], labels=[0, 1]) == pytest.approx(1.0)


@pytest.mark.parametrize("call, message", [
    (lambda: M.binary_cross_entropy([1, 2], [0.01, 0.5], labels=[0, 1]), "not in labels"),
    (lambda: M.hinge_loss([1, 2], [0.1, 0.5], labels=[0, 1]), "not in labels"),
    (lambda: M.categorical_cross_entropy([0, 1], [[0.5, 0.6], [0.5, 0.5]]), "must sum to 1"),
    (lambda: M.categorical_cross_entropy([[1, 1], [0, 1]], [[0.5, 0.5], [0.5, 0.5]]),
     "must sum to 1"),
    (lambda: M.categorical_cross_entropy([[0, 0], [0, 1]], [[0.5, 0.5], [0.5, 0.5]]),
     "must sum to 1"),
    (lambda: M.huber_loss([1, 2, 3], [1, 2, 2], sample_weight=[1, np.nan, 1]), "NaN"),
    (lambda: M.huber_loss([1, 2, 3], [1, 2, 2], sample_weight=[1, -1, 1]), "non-negative"),
    (lambda: M.mean_poisson_deviance([1, 2], [1, 2], sample_weight=[1, -2]), "non-negative"),
    (lambda: M.pinball_loss([1, 2], [1, 2], sample_weight=[0, 0]), "positive weight"),
    (lambda: M.kl_divergence([[1, 0]], [[0.5, 0.5]], sample_weight=[np.inf]), "infinity"),
])
def test_metrics_refuse_what_they_cannot_measure(call, message):
    with pytest.raises(ValueError, match=message):
        call()
