r"""One metric per loss: the (weighted) mean over samples, in its textbook form.

Where :mod:`sklearn.metrics` computes the same quantity it is called; the others take
their per-sample formula from the loss classes in :mod:`sklearn_losses.losses`, so
each formula is written once. Every metric has the signature
``metric(y_true, y_pred, *, sample_weight=None, <loss parameters>)`` and returns
:math:`\sum_i s_i \ell_i / \sum_i s_i`. Lower is better.
"""

import numpy as np
from scipy.special import rel_entr
from sklearn import metrics as skm
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_array, check_consistent_length
from sklearn.utils.multiclass import type_of_target

from .losses import (
    EpsilonInsensitive,
    Hinge,
    Huber,
    ModifiedHuber,
    SquaredEpsilonInsensitive,
    SquaredHinge,
)

# Probabilities are clipped to [_EPS, 1 - _EPS]: a confident wrong answer costs a large
# finite amount (about 36 nats) instead of inf.
_EPS = np.finfo(np.float64).eps


def _check_regression(y_true, y_pred, sample_weight):
    y_true = check_array(y_true, ensure_2d=False, input_name="y_true")
    y_pred = check_array(y_pred, ensure_2d=False, input_name="y_pred")
    check_consistent_length(y_true, y_pred, sample_weight)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred have different shapes: {y_true.shape} and "
                         f"{y_pred.shape}.")
    return y_true.astype(float), y_pred.astype(float)


def _mean(values, sample_weight):
    if values.ndim == 2:  # several outputs or labels: average them per sample
        values = values.mean(axis=1)
    return float(np.average(values, weights=sample_weight))


def _pointwise(loss, y_true, y_pred, sample_weight):
    y_true, y_pred = _check_regression(y_true, y_pred, sample_weight)
    return _mean(loss.loss(y_true, y_pred), sample_weight)


# ----------------------------------------------------------------------------- regression


def mean_squared_error(y_true, y_pred, *, sample_weight=None):
    r"""Mean squared error :math:`\frac{1}{\sum s}\sum_i s_i (y_i - \hat y_i)^2`.

    (The training loss ``squared_error`` is half of it.) Calls
    :func:`sklearn.metrics.mean_squared_error`.
    """
    return float(skm.mean_squared_error(y_true, y_pred, sample_weight=sample_weight))


def root_mean_squared_error(y_true, y_pred, *, sample_weight=None):
    r"""Root mean squared error :math:`\sqrt{\mathrm{MSE}}`; calls scikit-learn's."""
    return float(skm.root_mean_squared_error(y_true, y_pred, sample_weight=sample_weight))


def mean_absolute_error(y_true, y_pred, *, sample_weight=None):
    r"""Mean absolute error :math:`\frac{1}{\sum s}\sum_i s_i |y_i - \hat y_i|`; calls
    scikit-learn's."""
    return float(skm.mean_absolute_error(y_true, y_pred, sample_weight=sample_weight))


def huber_loss(y_true, y_pred, *, sample_weight=None, delta=1.0):
    r"""Mean Huber loss: :math:`\tfrac12 r^2` if :math:`|r| \le \delta`, else
    :math:`\delta(|r| - \tfrac12\delta)`, with :math:`r = y - \hat y`."""
    loss = Huber(delta=delta)
    loss.validate()
    return _pointwise(loss, y_true, y_pred, sample_weight)


def pinball_loss(y_true, y_pred, *, sample_weight=None, quantile=0.5):
    r"""Mean pinball loss :math:`\max(q r, (q - 1) r)`, :math:`r = y - \hat y`; calls
    :func:`sklearn.metrics.mean_pinball_loss` (its ``alpha`` is the quantile)."""
    return float(skm.mean_pinball_loss(y_true, y_pred, sample_weight=sample_weight,
                                       alpha=quantile))


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
    r"""Mean Poisson deviance :math:`2(y \log(y / \hat y) - y + \hat y)`; calls
    scikit-learn's (``y_pred`` must be positive: pass ``predict``, not raw scores)."""
    return float(skm.mean_poisson_deviance(y_true, y_pred, sample_weight=sample_weight))


# ------------------------------------------------------------------------- probabilities


def _check_proba(y_prob, name="y_prob"):
    y_prob = check_array(y_prob, ensure_2d=False, input_name=name)
    if np.any(y_prob < 0) or np.any(y_prob > 1):
        raise ValueError(f"{name} must hold probabilities in [0, 1]; got values in "
                         f"[{y_prob.min():g}, {y_prob.max():g}].")
    return y_prob.astype(float)


def binary_cross_entropy(y_true, y_prob, *, sample_weight=None, labels=None):
    r"""Mean binary cross-entropy :math:`-[y \log p + (1 - y) \log(1 - p)]`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_labels)
        Two class labels (the larger one, or ``labels[1]``, is positive), or a 0/1
        multi-label indicator matrix.
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
        classes = np.unique(y_true) if labels is None else np.asarray(labels)
        if len(classes) > 2:
            raise ValueError(f"binary_cross_entropy needs two classes; got {len(classes)}: "
                             "use categorical_cross_entropy.")
        if len(classes) < 2:
            # which class y_prob is the probability of cannot be told from one label
            raise ValueError(
                f"y_true contains only one label ({classes[0] if len(classes) else 'none'}"
                "); pass labels=[negative, positive] so that y_prob's class is known "
                "(as sklearn.metrics.log_loss asks).")
        positive = (y_true == classes[-1]).astype(float)
        if y_prob.ndim == 2:
            if y_prob.shape[1] != 2:
                raise ValueError("A 2-D y_prob for binary labels must have two columns.")
            y_prob = y_prob[:, 1]
    return _mean(_binary_cross_entropy_values(positive, y_prob), sample_weight)


def _binary_cross_entropy_values(positive, y_prob):
    """Per-sample cross-entropy of positive-class probabilities (0/1 ``positive``)."""
    p = np.clip(y_prob, _EPS, 1 - _EPS)
    return -(positive * np.log(p) + (1 - positive) * np.log1p(-p))


def categorical_cross_entropy(y_true, y_prob, *, sample_weight=None, labels=None):
    r"""Mean categorical cross-entropy :math:`-\sum_k y_k \log p_k`.

    ``y_true`` holds class labels (columns of ``y_prob`` follow the sorted labels, or
    ``labels``) or one-hot / probability rows of the shape of ``y_prob``. A 1-D
    ``y_prob`` is the positive-class probability of a binary problem. With labels this
    calls :func:`sklearn.metrics.log_loss`.
    """
    y_prob = _check_proba(y_prob)
    y_true = np.asarray(y_true)
    check_consistent_length(y_true, y_prob, sample_weight)
    if y_true.ndim == 1:
        return float(skm.log_loss(y_true, y_prob, sample_weight=sample_weight,
                                  labels=labels))
    if y_prob.shape != y_true.shape:
        raise ValueError(f"One-hot y_true of shape {y_true.shape} needs y_prob of the same "
                         f"shape; got {y_prob.shape}.")
    y_true = _check_proba(y_true, "y_true")
    values = -np.sum(y_true * np.log(np.clip(y_prob, _EPS, 1.0)), axis=1)
    return float(np.average(values, weights=sample_weight))


def cross_entropy(y_true, y_prob, *, sample_weight=None):
    """The cross-entropy that ``log_loss`` trains on: binary (per label, for multi-label
    targets) or categorical (multinomial), chosen from ``y_true``."""
    if type_of_target(y_true, input_name="y_true") in ("binary", "multilabel-indicator"):
        return binary_cross_entropy(y_true, y_prob, sample_weight=sample_weight)
    return categorical_cross_entropy(y_true, y_prob, sample_weight=sample_weight)


def kl_divergence(p_true, p_pred, *, sample_weight=None):
    r"""Mean Kullback-Leibler divergence :math:`\sum_k p_k \log(p_k / q_k)`.

    ``p_true`` and ``p_pred`` are rows of probabilities summing to one (``p_true`` may
    also be class labels, read as one-hot rows over the sorted labels). ``0 log 0 = 0``;
    ``q`` is clipped away from 0, so the value is always finite.
    """
    p_pred = _check_proba(p_pred, "p_pred")
    p_true = np.asarray(p_true)
    check_consistent_length(p_true, p_pred, sample_weight)
    if p_true.ndim == 1:
        p_true = LabelBinarizer().fit(p_true).transform(p_true)
        if p_true.shape[1] == 1:
            p_true = np.hstack([1 - p_true, p_true])
    p_true = _check_proba(p_true, "p_true")
    if p_true.shape != p_pred.shape:
        raise ValueError(f"p_true and p_pred have different shapes: {p_true.shape} and "
                         f"{p_pred.shape}.")
    for name, p in (("p_true", p_true), ("p_pred", p_pred)):
        if not np.allclose(p.sum(axis=1), 1.0, atol=1e-6):
            raise ValueError(f"The rows of {name} must sum to 1.")
    values = rel_entr(p_true, np.clip(p_pred, _EPS, 1.0)).sum(axis=1)
    return float(np.average(values, weights=sample_weight))


# ------------------------------------------------------------------------------- margins


def _margin_metric(loss, y_true, decision, sample_weight, labels):
    """Mean margin loss; one-vs-rest (summed over classes, as ``LossClassifier`` trains)
    for a 2-D decision."""
    decision = check_array(decision, ensure_2d=False, input_name="decision")
    y_true = np.asarray(y_true)
    check_consistent_length(y_true, decision, sample_weight)
    classes = np.unique(y_true) if labels is None else np.asarray(labels)
    if decision.ndim == 1:
        if len(classes) > 2:
            raise ValueError(f"A 1-D decision needs two classes; got {len(classes)}.")
        y_pm = np.where(y_true == classes[-1], 1.0, -1.0)
        return _mean(_margin_values(loss, y_pm, decision), sample_weight)
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

    For a 2-D decision (one column per class) the one-vs-rest losses are summed per
    sample, the quantity ``LossClassifier`` minimises. (scikit-learn's
    :func:`~sklearn.metrics.hinge_loss`, which gives the same binary value, uses the
    Crammer-Singer margin for more classes.)
    """
    return _margin_metric(Hinge(), y_true, decision, sample_weight, labels)


def squared_hinge_loss(y_true, decision, *, sample_weight=None, labels=None):
    r"""Mean squared hinge loss :math:`\max(0, 1 - y f)^2` (one-vs-rest sum for 2-D)."""
    return _margin_metric(SquaredHinge(), y_true, decision, sample_weight, labels)


def modified_huber_loss(y_true, decision, *, sample_weight=None, labels=None):
    r"""Mean modified Huber loss: :math:`\max(0, 1 - z)^2` for :math:`z = y f \ge -1`, else
    :math:`-4 z` (one-vs-rest sum for 2-D)."""
    return _margin_metric(ModifiedHuber(), y_true, decision, sample_weight, labels)
