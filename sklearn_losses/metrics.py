r"""One metric per loss: the (weighted) mean over samples, in its textbook form.

The per-sample formulas come from the loss classes in :mod:`sklearn_losses.losses`
(the Poisson deviance and the cross-entropies are written here), so each is written
once; where :mod:`sklearn.metrics` computes the same quantity, the value, the reading of
the labels and the errors follow it (the tests compare them). The inputs are checked
here with light checks of their own: a cross-validation path scores every alpha of
every fold through these functions. Every metric has the signature
``metric(y_true, y_pred, *, sample_weight=None, <loss parameters>)`` and returns
:math:`\sum_i s_i \ell_i / \sum_i s_i`. Lower is better.
"""

import numpy as np
import scipy.sparse as sp
from scipy.special import rel_entr, xlogy
from sklearn import get_config
from sklearn import metrics as skm
from sklearn.utils import check_consistent_length

from .losses import (
    AbsoluteError,
    EpsilonInsensitive,
    Hinge,
    Huber,
    ModifiedHuber,
    Quantile,
    SquaredEpsilonInsensitive,
    SquaredError,
    SquaredHinge,
)

# Probabilities are clipped to [_EPS, 1 - _EPS]: a confident wrong answer costs a large
# finite amount (about 36 nats) instead of inf.
_EPS = np.finfo(np.float64).eps


def _float_array(values, name):
    """``values`` as a 1-D or 2-D float64 array of samples, or an error naming ``name``:
    sparse, not numeric, another shape, no samples, or NaN or infinity (unless
    scikit-learn's ``assume_finite`` is set)."""
    if sp.issparse(values):
        raise TypeError(f"{name} must be a dense array; got a sparse {type(values).__name__}.")
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be numeric: {error}.") from None
    if array.ndim not in (1, 2) or len(array) == 0:
        raise ValueError(f"{name} must be a 1-D or 2-D array of at least one sample; got "
                         f"shape {array.shape}.")
    if not get_config()["assume_finite"] and not np.isfinite(array).all():
        what = "NaN" if np.isnan(array).any() else "infinity"
        raise ValueError(f"Input {name} contains {what}.")
    return array


def _check_regression(y_true, y_pred, sample_weight):
    y_true = _float_array(y_true, "y_true")
    y_pred = _float_array(y_pred, "y_pred")
    check_consistent_length(y_true, y_pred, sample_weight)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred have different shapes: {y_true.shape} and "
                         f"{y_pred.shape}.")
    return y_true, y_pred


def _check_weights(sample_weight, n_samples):
    """``sample_weight`` as a float array of ``n_samples`` finite, non-negative weights,
    not all 0 (``None`` stays ``None``), or a ``ValueError`` that names the problem."""
    if sample_weight is None:
        return None
    sample_weight = _float_array(sample_weight, "sample_weight")
    if sample_weight.ndim != 1:
        raise ValueError(f"sample_weight must be 1-D; got shape {sample_weight.shape}.")
    check_consistent_length(sample_weight, np.empty(n_samples))
    if np.any(sample_weight < 0):
        raise ValueError("sample_weight must be non-negative; got a minimum of "
                         f"{sample_weight.min():g}.")
    if not np.any(sample_weight > 0):
        raise ValueError("sample_weight must contain at least one positive weight; all are 0.")
    return sample_weight


def _mean(values, sample_weight):
    if values.ndim == 2:  # several outputs or labels: average them per sample
        values = values.mean(axis=1)
    return float(np.average(values, weights=_check_weights(sample_weight, len(values))))


def _pointwise(loss, y_true, y_pred, sample_weight):
    y_true, y_pred = _check_regression(y_true, y_pred, sample_weight)
    return _mean(loss.loss(y_true, y_pred), sample_weight)


def _check_rows_sum_to_one(p, name):
    """Rows of probabilities (one-hot rows among them) must sum to 1."""
    if p.ndim == 2 and not np.allclose(p.sum(axis=1), 1.0, rtol=0.0, atol=1e-6):
        raise ValueError(f"The rows of {name} must sum to 1 (probabilities, or one-hot rows "
                         "with a single 1).")


def _binary_classes(y_true, labels, one_label):
    """The two classes ``(negative, positive)`` of binary labels ``y_true``: sorted
    ``labels`` when given (``y_true`` must hold no other), else the two in ``y_true``.
    A ``y_true`` of one label takes ``one_label``: ``"zero_one"`` reads 0 as the negative
    and 1 as the positive class and asks for ``labels`` otherwise; ``"negative"`` takes
    it as the negative class (as :func:`sklearn.metrics.hinge_loss` does). Returns the
    classes and ``y_true`` encoded as -1 / +1."""
    y_true = np.asarray(y_true)
    present = np.unique(y_true)
    if labels is not None:
        classes = np.unique(labels)
        if len(classes) != 2:
            raise ValueError(f"labels must name the two classes; got {classes.tolist()}.")
        unknown = np.setdiff1d(present, classes)
        if unknown.size:
            raise ValueError(f"y_true holds labels that are not in labels={classes.tolist()}: "
                             f"{unknown.tolist()}.")
    elif len(present) > 2:
        raise ValueError(f"A binary metric needs two classes; y_true has {len(present)}: "
                         f"{present.tolist()[:10]}.")
    elif len(present) == 2:
        classes = present
    elif one_label == "negative":
        return present, -np.ones(len(y_true))
    elif len(present) == 1 and present[0] in (0, 1) and present.dtype.kind in "biuf":
        classes = np.array([0, 1])
    else:
        raise ValueError(
            f"y_true contains only one label ({present[0] if len(present) else 'none'}); "
            "pass labels=[negative, positive] so that its class is known (0 and 1 name "
            "themselves). In cross-validation this is a test fold of a single class: "
            "stratified folds avoid it.")
    return classes, np.where(y_true == classes[1], 1.0, -1.0)


def _scikit_learn(metric, y_true, y_pred, sample_weight, **params):
    """scikit-learn's ``metric``, its weights checked as every metric here checks them
    (some of scikit-learn's accept negative weights)."""
    sample_weight = _check_weights(sample_weight, len(np.asarray(y_true)))
    return float(metric(y_true, y_pred, sample_weight=sample_weight, **params))


# ----------------------------------------------------------------------------- any loss


def mean_loss(y_true, y_pred, *, loss, sample_weight=None, labels=None):
    r"""Mean of any :class:`~sklearn_losses.Loss`'s per-sample loss (a loss of one's own):
    :math:`\frac{1}{\sum s}\sum_i s_i \ell(y_i, \hat y_i)`.

    A regression loss is measured on ``predict`` (``y_pred``, its link assumed the
    identity); a classification loss on decision values, the labels encoded as -1 / +1
    (as :func:`hinge_loss` encodes them; one-vs-rest, summed over classes, for a 2-D
    decision).
    """
    if loss.is_classifier:
        return _margin_metric(loss, y_true, y_pred, sample_weight, labels)
    return _pointwise(loss, y_true, y_pred, sample_weight)


# ----------------------------------------------------------------------------- regression


def mean_squared_error(y_true, y_pred, *, sample_weight=None):
    r"""Mean squared error :math:`\frac{1}{\sum s}\sum_i s_i (y_i - \hat y_i)^2`.

    (The training loss ``squared_error`` is half of it.) Equals
    :func:`sklearn.metrics.mean_squared_error`.
    """
    return 2.0 * _pointwise(SquaredError(), y_true, y_pred, sample_weight)


def root_mean_squared_error(y_true, y_pred, *, sample_weight=None):
    r"""Root mean squared error :math:`\sqrt{\mathrm{MSE}}`; calls scikit-learn's."""
    return _scikit_learn(skm.root_mean_squared_error, y_true, y_pred, sample_weight)


def mean_absolute_error(y_true, y_pred, *, sample_weight=None):
    r"""Mean absolute error :math:`\frac{1}{\sum s}\sum_i s_i |y_i - \hat y_i|`; equals
    scikit-learn's."""
    return _pointwise(AbsoluteError(), y_true, y_pred, sample_weight)


def huber_loss(y_true, y_pred, *, sample_weight=None, delta=1.0):
    r"""Mean Huber loss: :math:`\tfrac12 r^2` if :math:`|r| \le \delta`, else
    :math:`\delta(|r| - \tfrac12\delta)`, with :math:`r = y - \hat y`."""
    loss = Huber(delta=delta)
    loss.validate()
    return _pointwise(loss, y_true, y_pred, sample_weight)


def pinball_loss(y_true, y_pred, *, sample_weight=None, quantile=0.5):
    r"""Mean pinball loss :math:`\max(q r, (q - 1) r)`, :math:`r = y - \hat y`; equals
    :func:`sklearn.metrics.mean_pinball_loss` (its ``alpha`` is the quantile)."""
    loss = Quantile(quantile=quantile)
    loss.validate()
    return _pointwise(loss, y_true, y_pred, sample_weight)


def multi_pinball_loss(y_true, y_pred, *, sample_weight=None, quantiles=(0.1, 0.5, 0.9)):
    r"""Mean over the levels of :func:`pinball_loss`: ``y_pred`` holds one column per
    level of ``quantiles`` (a :class:`~sklearn_losses.MultiQuantileRegressor`'s
    ``predict``), ``y_true`` one target,
    :math:`\frac{1}{K} \sum_k \frac{1}{\sum s} \sum_i s_i \rho_{q_k}(y_i - \hat y_{ik})`."""
    levels = np.asarray(quantiles, dtype=float).ravel()
    y_pred = _float_array(y_pred, "y_pred")
    y_true = _float_array(y_true, "y_true").ravel()
    if y_pred.ndim != 2 or y_pred.shape[1] != levels.size:
        raise ValueError(f"y_pred must have one column per quantile ({levels.size}); got "
                         f"shape {y_pred.shape}.")
    return float(np.mean([pinball_loss(y_true, y_pred[:, k], sample_weight=sample_weight,
                                       quantile=q) for k, q in enumerate(levels)]))


def epsilon_insensitive_loss(y_true, y_pred, *, sample_weight=None, epsilon=0.1):
    r"""Mean epsilon-insensitive loss :math:`\max(0, |y - \hat y| - \varepsilon)`."""
    loss = EpsilonInsensitive(epsilon=epsilon)
    loss.validate()
    return _pointwise(loss, y_true, y_pred, sample_weight)


def squared_epsilon_insensitive_loss(y_true, y_pred, *, sample_weight=None, epsilon=0.1):
    r"""Mean squared epsilon-insensitive loss :math:`\max(0, |y - \hat y| - \varepsilon)^2`."""
    loss = SquaredEpsilonInsensitive(epsilon=epsilon)
    loss.validate()
    return _pointwise(loss, y_true, y_pred, sample_weight)


def mean_poisson_deviance(y_true, y_pred, *, sample_weight=None):
    r"""Mean Poisson deviance :math:`2(y \log(y / \hat y) - y + \hat y)`, as
    scikit-learn's: ``y_true`` must be >= 0 and ``y_pred`` > 0 (pass ``predict``, not raw
    scores). Several targets (2-D) are averaged, as scikit-learn averages its other
    multi-output errors."""
    y_true, y_pred = _check_regression(y_true, y_pred, sample_weight)
    if np.any(y_true < 0) or np.any(y_pred <= 0):
        raise ValueError("The Poisson deviance needs y_true >= 0 and y_pred > 0; got "
                         f"y_true >= {y_true.min():g}, y_pred >= {y_pred.min():g}.")
    return _mean(2.0 * (xlogy(y_true, y_true / y_pred) - y_true + y_pred), sample_weight)


def mean_tweedie_deviance(y_true, y_pred, *, sample_weight=None, power=1.5):
    r"""Mean Tweedie deviance of power :math:`p > 1`,
    :math:`2\left(\frac{y^{2-p}}{(1-p)(2-p)} - \frac{y \hat y^{1-p}}{1-p}
    + \frac{\hat y^{2-p}}{2-p}\right)` (the gamma deviance at 2, the Poisson one at
    1), as :func:`sklearn.metrics.mean_tweedie_deviance`: ``y_true`` must be >= 0 for
    :math:`p < 2`, > 0 from 2 on, and ``y_pred`` > 0 (pass ``predict``). Several
    targets (2-D) are averaged."""
    y_true, y_pred = _check_regression(y_true, y_pred, sample_weight)
    if not power > 1:
        raise ValueError(f"power must be > 1 (1 is the Poisson deviance); got {power!r}.")
    low_ok = np.all(y_true >= 0) if power < 2 else np.all(y_true > 0)
    if not low_ok or np.any(y_pred <= 0):
        raise ValueError(
            f"The Tweedie deviance of power {power:g} needs y_true "
            f"{'>=' if power < 2 else '>'} 0 and y_pred > 0; got y_true >= "
            f"{y_true.min():g}, y_pred >= {y_pred.min():g}.")
    if power == 2:
        values = 2.0 * (np.log(y_pred / y_true) + y_true / y_pred - 1.0)
    else:
        a, b = 2.0 - power, 1.0 - power
        values = 2.0 * (np.power(y_true, a) / (a * b) - y_true * np.power(y_pred, b) / b
                        + np.power(y_pred, a) / a)
    return _mean(values, sample_weight)


def mean_gamma_deviance(y_true, y_pred, *, sample_weight=None):
    r"""Mean gamma deviance :math:`2(\log(\hat y / y) + y / \hat y - 1)`, as
    :func:`sklearn.metrics.mean_gamma_deviance`: ``y_true`` and ``y_pred`` must be > 0."""
    return mean_tweedie_deviance(y_true, y_pred, sample_weight=sample_weight, power=2.0)


# ------------------------------------------------------------------------- probabilities


def _check_proba(y_prob, name="y_prob"):
    y_prob = _float_array(y_prob, name)
    if np.any(y_prob < 0) or np.any(y_prob > 1):
        raise ValueError(f"{name} must hold probabilities in [0, 1]; got values in "
                         f"[{y_prob.min():g}, {y_prob.max():g}].")
    return y_prob


def binary_cross_entropy(y_true, y_prob, *, sample_weight=None, labels=None):
    r"""Mean binary cross-entropy :math:`-[y \log p + (1 - y) \log(1 - p)]`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_labels)
        Two class labels (the larger one, or ``labels[1]``, is positive), or a 0/1
        multi-label indicator matrix. A single label 0 or 1 names its class; any other
        single label needs ``labels``.
    y_prob : array-like of shape (n_samples,), (n_samples, 2) or (n_samples, n_labels)
        Probability of the positive class (a two-column ``predict_proba`` is accepted),
        or per-label probabilities; averaged over labels.
    sample_weight : array-like of shape (n_samples,), default=None
    labels : array-like of shape (2,), default=None
        The two classes, when ``y_true`` may show only one of them.
    """
    y_prob = _check_proba(y_prob)
    y_true = np.asarray(y_true)
    check_consistent_length(y_true, y_prob, sample_weight)
    if y_true.ndim == 2:
        if not np.all(np.isin(y_true, (0, 1))) or y_prob.shape != y_true.shape:
            raise ValueError("A 2-D y_true must be a 0/1 indicator matrix with the shape of "
                             "y_prob.")
        positive = y_true.astype(float)
    else:
        if y_prob.ndim == 2:
            if y_prob.shape[1] != 2:
                raise ValueError("A 2-D y_prob for binary labels must have two columns.")
            _check_rows_sum_to_one(y_prob, "y_prob")
            y_prob = y_prob[:, 1]
        if labels is None and len(np.unique(y_true)) > 2:
            raise ValueError(f"binary_cross_entropy needs two classes; got "
                             f"{len(np.unique(y_true))}: use categorical_cross_entropy.")
        positive = (_binary_classes(y_true, labels, "zero_one")[1] > 0).astype(float)
    return _mean(_binary_cross_entropy_values(positive, y_prob), sample_weight)


def _binary_cross_entropy_values(positive, y_prob):
    """Per-sample cross-entropy of positive-class probabilities (0/1 ``positive``)."""
    p = np.clip(y_prob, _EPS, 1 - _EPS)
    return -(positive * np.log(p) + (1 - positive) * np.log1p(-p))


def categorical_cross_entropy(y_true, y_prob, *, sample_weight=None, labels=None):
    r"""Mean categorical cross-entropy :math:`-\sum_k y_k \log p_k`.

    ``y_true`` holds class labels (columns of ``y_prob`` follow the sorted labels, or
    ``labels``; a single label needs ``labels``, as :func:`sklearn.metrics.log_loss`,
    whose value this is) or one-hot / probability rows of the shape of ``y_prob``. A 1-D
    ``y_prob`` is the positive-class probability of a binary problem. Rows of ``y_prob``
    and of a 2-D ``y_true`` must sum to 1.
    """
    y_prob = _check_proba(y_prob)
    if y_prob.ndim == 1:
        y_prob = np.column_stack([1.0 - y_prob, y_prob])
    _check_rows_sum_to_one(y_prob, "y_prob")
    y_true = np.asarray(y_true)
    check_consistent_length(y_true, y_prob, sample_weight)
    if y_true.ndim == 1:
        y_true = (y_true[:, None] == _label_columns(y_true, labels, y_prob.shape[1])
                  ).astype(float)
    if y_prob.shape != y_true.shape:
        raise ValueError(f"One-hot y_true of shape {y_true.shape} needs y_prob of the same "
                         f"shape; got {y_prob.shape}.")
    y_true = _check_proba(y_true, "y_true")
    _check_rows_sum_to_one(y_true, "y_true")
    values = -np.sum(xlogy(y_true, np.clip(y_prob, _EPS, 1.0)), axis=1)
    return _mean(values, sample_weight)


def _label_columns(y_true, labels, n_columns):
    """The classes that the ``n_columns`` columns of probabilities stand for: the sorted
    ``labels`` (``y_true`` must hold no other), else the labels in ``y_true``."""
    present = np.unique(y_true)
    if labels is not None:
        classes = np.unique(labels)
        unknown = np.setdiff1d(present, classes)
        if unknown.size:
            raise ValueError(f"y_true holds labels that are not in labels={classes.tolist()}: "
                             f"{unknown.tolist()[:10]}.")
    elif len(present) == 1:
        raise ValueError(
            f"y_true contains only one label ({present[0]}); pass labels= (every class, "
            "sorted as the columns of y_prob) so that its column is known.")
    else:
        classes = present
    if len(classes) != n_columns:
        raise ValueError(f"y_prob has {n_columns} columns but there are {len(classes)} "
                         f"classes ({classes.tolist()[:10]}); pass labels= naming one class "
                         "per column.")
    return classes


def cross_entropy(y_true, y_prob, *, sample_weight=None, labels=None):
    """The cross-entropy that ``log_loss`` trains on: binary (per label, for a 0/1
    multi-label indicator ``y_true``) for two classes (in ``labels``, else in
    ``y_true``), else categorical (multinomial)."""
    y = np.asarray(y_true)
    if y.ndim == 2 and y.shape[1] > 1:
        binary = True  # multi-label
    else:
        binary = len(np.unique(y if labels is None else labels)) <= 2
    metric = binary_cross_entropy if binary else categorical_cross_entropy
    return metric(y_true, y_prob, sample_weight=sample_weight, labels=labels)


def kl_divergence(p_true, p_pred, *, sample_weight=None, labels=None):
    r"""Mean Kullback-Leibler divergence :math:`\sum_k p_k \log(p_k / q_k)`.

    ``p_true`` and ``p_pred`` are rows of probabilities summing to one. ``p_true`` may
    also be class labels, read as one-hot rows: over the sorted ``labels`` when given,
    else over the labels in ``p_true`` when there are as many as columns, else over the
    column indices when the labels are integers ``0 .. n_columns - 1``. A 1-D ``p_pred``
    is the positive-class probability of a binary problem (what a binary classifier's
    scorer passes). ``0 log 0 = 0``; ``q`` is clipped away from 0, so the value is
    always finite.
    """
    p_pred = _check_proba(p_pred, "p_pred")
    if p_pred.ndim == 1:
        p_pred = np.column_stack([1.0 - p_pred, p_pred])
    p_true = np.asarray(p_true)
    check_consistent_length(p_true, p_pred, sample_weight)
    if p_true.ndim == 1:
        p_true = _one_hot(p_true, p_pred.shape[1], labels)
    p_true = _check_proba(p_true, "p_true")
    if p_true.shape != p_pred.shape:
        raise ValueError(f"p_true and p_pred have different shapes: {p_true.shape} and "
                         f"{p_pred.shape}.")
    for name, p in (("p_true", p_true), ("p_pred", p_pred)):
        _check_rows_sum_to_one(p, name)
    values = rel_entr(p_true, np.clip(p_pred, _EPS, 1.0)).sum(axis=1)
    return float(np.average(values, weights=_check_weights(sample_weight, len(values))))


def _one_hot(y, n_columns, labels):
    """Labels ``y`` as one-hot rows over ``n_columns`` classes (see :func:`kl_divergence`)."""
    present = np.unique(y)
    if labels is not None:
        classes = np.unique(labels)
        unknown = np.setdiff1d(present, classes)
        if unknown.size:
            raise ValueError(f"p_true holds labels that are not in labels: {unknown.tolist()}.")
    elif len(present) == n_columns:
        classes = present
    elif present.dtype.kind in "biu" and present.min() >= 0 and present.max() < n_columns:
        classes = np.arange(n_columns)  # integer labels name their columns
    else:
        raise ValueError(
            f"p_true shows {len(present)} labels for {n_columns} columns of p_pred; pass "
            "labels= (one per column, sorted) so that each label's column is known.")
    if len(classes) != n_columns:
        raise ValueError(f"labels name {len(classes)} classes but p_pred has {n_columns} "
                         "columns.")
    return (y[:, None] == classes[None, :]).astype(float)


# ------------------------------------------------------------------------------- margins


def _margin_metric(loss, y_true, decision, sample_weight, labels):
    """Mean margin loss; one-vs-rest (summed over classes, as ``LossClassifier`` trains)
    for a 2-D decision, averaged over labels for a multi-label (0/1 indicator) y."""
    decision = _float_array(decision, "decision")
    y_true = np.asarray(y_true)
    check_consistent_length(y_true, decision, sample_weight)
    if y_true.ndim == 2:  # multi-label: one binary margin per label, averaged over labels
        if not np.all(np.isin(y_true, (0, 1))) or decision.shape != y_true.shape:
            raise ValueError("A 2-D y_true must be a 0/1 indicator matrix with the shape of "
                             "decision.")
        return _mean(loss.loss(2.0 * y_true.ravel() - 1.0, decision.ravel()).reshape(
            decision.shape), sample_weight)
    if decision.ndim == 1:
        if labels is None and len(np.unique(y_true)) > 2:
            raise ValueError(f"A 1-D decision needs two classes; got "
                             f"{len(np.unique(y_true))}.")
        y_pm = _binary_classes(y_true, labels, "negative")[1]
        return _mean(_margin_values(loss, y_pm, decision), sample_weight)
    classes = np.unique(y_true) if labels is None else np.unique(labels)
    unknown = np.setdiff1d(y_true, classes)
    if unknown.size:
        raise ValueError(f"y_true holds labels that are not in labels: {unknown.tolist()}.")
    if decision.shape[1] != len(classes):
        raise ValueError(f"decision has {decision.shape[1]} columns but there are "
                         f"{len(classes)} classes; pass labels=.")
    y_pm = np.where(y_true[:, None] == classes[None, :], 1.0, -1.0)
    return _mean(_margin_values(loss, y_pm, decision), sample_weight)


def _margin_values(loss, y_pm, decision):
    """Per-sample margin loss of ±1 targets: summed over the one-vs-rest columns of a 2-D
    decision (what ``LossClassifier`` trains)."""
    if decision.ndim == 1:
        return loss.loss(y_pm, decision)
    return loss.loss(y_pm.ravel(), decision.ravel()).reshape(decision.shape).sum(axis=1)


def hinge_loss(y_true, decision, *, sample_weight=None, labels=None):
    r"""Mean hinge loss :math:`\max(0, 1 - y f)` of decision values, ``y`` in {-1, +1}.

    Binary labels are read as :func:`sklearn.metrics.hinge_loss` reads them (the larger
    label, or ``labels[1]``, positive; a ``y_true`` of one label without ``labels``
    negative), and give its value. For a 2-D decision (one column per class) the
    one-vs-rest losses are summed per sample, the quantity ``LossClassifier`` minimises
    (scikit-learn's uses the Crammer-Singer margin for more classes).
    """
    return _margin_metric(Hinge(), y_true, decision, sample_weight, labels)


def squared_hinge_loss(y_true, decision, *, sample_weight=None, labels=None):
    r"""Mean squared hinge loss :math:`\max(0, 1 - y f)^2` (one-vs-rest sum for 2-D)."""
    return _margin_metric(SquaredHinge(), y_true, decision, sample_weight, labels)


def modified_huber_loss(y_true, decision, *, sample_weight=None, labels=None):
    r"""Mean modified Huber loss: :math:`\max(0, 1 - z)^2` for :math:`z = y f \ge -1`, else
    :math:`-4 z` (one-vs-rest sum for 2-D)."""
    return _margin_metric(ModifiedHuber(), y_true, decision, sample_weight, labels)
