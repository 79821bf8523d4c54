"""Scorers that judge a model by the loss it was trained on.

All are :func:`sklearn.metrics.make_scorer` objects with ``greater_is_better=False``
(so their values are negated losses, named ``neg_*``), and accept ``sample_weight``
through scikit-learn's metadata routing (``scorer.set_score_request(sample_weight=True)``).
"""

import copy

import numpy as np
from sklearn import metrics as skm
from sklearn.metrics import make_scorer

from . import metrics as M
from .losses import LOSSES, Loss

# Loss name -> (metric, response method). The metric takes the loss's parameters by
# the same names (delta, quantile, epsilon).
_LOSS_METRICS = {
    "squared_error": (M.mean_squared_error, "predict"),
    "absolute_error": (M.mean_absolute_error, "predict"),
    "huber": (M.huber_loss, "predict"),
    "quantile": (M.pinball_loss, "predict"),
    "epsilon_insensitive": (M.epsilon_insensitive_loss, "predict"),
    "squared_epsilon_insensitive": (M.squared_epsilon_insensitive_loss, "predict"),
    "poisson": (M.mean_poisson_deviance, "predict"),
    "log_loss": (M.cross_entropy, "predict_proba"),
    "hinge": (M.hinge_loss, "decision_function"),
    "squared_hinge": (M.squared_hinge_loss, "decision_function"),
    "modified_huber": (M.modified_huber_loss, "decision_function"),
}

#: Our scorer names -> scorers (scikit-learn's own names are passed through by get_scorer).
SCORERS = {
    "neg_huber_loss": make_scorer(M.huber_loss, greater_is_better=False),
    "neg_pinball_loss": make_scorer(M.pinball_loss, greater_is_better=False),
    "neg_epsilon_insensitive_loss": make_scorer(M.epsilon_insensitive_loss,
                                                greater_is_better=False),
    "neg_squared_epsilon_insensitive_loss": make_scorer(M.squared_epsilon_insensitive_loss,
                                                        greater_is_better=False),
    "neg_binary_cross_entropy": make_scorer(M.binary_cross_entropy, greater_is_better=False,
                                            response_method="predict_proba"),
    "neg_categorical_cross_entropy": make_scorer(M.categorical_cross_entropy,
                                                 greater_is_better=False,
                                                 response_method="predict_proba"),
    "neg_cross_entropy": make_scorer(M.cross_entropy, greater_is_better=False,
                                     response_method="predict_proba"),
    "neg_kl_divergence": make_scorer(M.kl_divergence, greater_is_better=False,
                                     response_method="predict_proba"),
    "neg_hinge_loss": make_scorer(M.hinge_loss, greater_is_better=False,
                                  response_method="decision_function"),
    "neg_squared_hinge_loss": make_scorer(M.squared_hinge_loss, greater_is_better=False,
                                          response_method="decision_function"),
    "neg_modified_huber_loss": make_scorer(M.modified_huber_loss, greater_is_better=False,
                                           response_method="decision_function"),
}


def _user_loss_metric(y_true, y_pred, *, sample_weight=None, loss=None):
    """Mean of a user-defined loss: on ``predict`` (regression, identity link assumed)
    or on decision values with labels encoded as -1/+1 (classification)."""
    if loss.is_classifier:
        return M._margin_metric(loss, y_true, y_pred, sample_weight, None)
    return M._pointwise(loss, y_true, y_pred, sample_weight)


def make_loss_scorer(loss, **params):
    """A scorer measuring ``loss`` (a name or a Loss object), negated.

    Parameters
    ----------
    loss : str or Loss
        A registered loss name (``"huber"``, ``"log_loss"``, ...) or a loss object, whose
        parameters are used. A loss of your own is scored with its own ``loss`` method.
    **params
        Loss parameters (``delta=2.0``), overriding those of a loss object.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y, sample_weight=None)``, built by
        :func:`sklearn.metrics.make_scorer` with ``greater_is_better=False`` and the
        response method the loss needs (``predict``, ``predict_proba`` or
        ``decision_function``).

    Examples
    --------
    >>> from sklearn_losses import make_loss_scorer
    >>> scorer = make_loss_scorer("huber", delta=2.0)
    """
    if isinstance(loss, str):
        if loss not in LOSSES:
            raise ValueError(f"Unknown loss {loss!r}; valid names are {sorted(LOSSES)}.")
        loss = LOSSES[loss](**params)
    elif isinstance(loss, Loss):
        loss = copy.deepcopy(loss).set_params(**params)
    else:
        raise TypeError(f"loss must be a loss name or a Loss object; got {type(loss).__name__}.")
    loss.validate()
    if loss.name in _LOSS_METRICS and type(loss) is LOSSES[loss.name]:
        metric, response = _LOSS_METRICS[loss.name]
        return make_scorer(metric, greater_is_better=False, response_method=response,
                           **loss.get_params())
    response = "decision_function" if loss.is_classifier else "predict"
    return make_scorer(_user_loss_metric, greater_is_better=False, response_method=response,
                       loss=loss)


def get_scorer(scoring):
    """A scorer from our names (``neg_huber_loss``, ...) or scikit-learn's.

    Callables are returned unchanged, as with :func:`sklearn.metrics.get_scorer`.
    """
    if callable(scoring):
        return scoring
    if scoring in SCORERS:
        return copy.deepcopy(SCORERS[scoring])
    if scoring in skm.get_scorer_names():
        return skm.get_scorer(scoring)
    valid = sorted(SCORERS) + sorted(skm.get_scorer_names())
    raise ValueError(f"Unknown scorer {scoring!r}; valid names are {valid}.")


def loss_scorer(estimator):
    """The scorer matching an estimator's loss (fitted or not), e.g. for ``GridSearchCV``.

    ``estimator`` is a ``LossRegressor``/``LossClassifier``, a CV estimator, or a
    ``Pipeline`` ending in one; its ``loss`` parameter (name or object) is used.
    """
    final = estimator
    while hasattr(final, "steps"):
        final = final.steps[-1][1]
    loss = getattr(final, "loss", None)
    if loss is None:
        raise ValueError(f"{type(final).__name__} has no 'loss' parameter to score with.")
    return make_loss_scorer(loss)


def _held_out_scorer(model, loss, y_true):
    """:func:`loss_scorer` on one held-out fold, as a function of the raw scores.

    A cross-validation path scores every alpha on the same fold: the targets are encoded
    here once, and each call computes only what the scorer's metric computes per sample
    (same formulas, so the values agree to rounding) from ``raw = X_test @ coef_.T +
    intercept_`` of shape ``(n_samples, n_outputs)``. ``model`` is the path's estimator
    after its ``_prepare`` (``classes_`` set for a classifier). Returns ``None`` where
    only the scorer itself knows: a loss of one's own, Poisson (scored on the log link's
    inverse by scikit-learn), multi-label targets, and a held-out fold whose labels are
    not exactly the training classes (the metrics infer the classes from ``y_true``).
    """
    if type(loss) is not LOSSES.get(loss.name) or loss.name == "poisson":
        return None
    if not loss.is_classifier:
        y = np.asarray(y_true, dtype=float)
        # mean_squared_error is twice the training loss (exactly: a factor of 2)
        factor = 2.0 if loss.name == "squared_error" else 1.0
        return lambda raw: -M._mean(factor * loss.loss(y, raw.reshape(y.shape)), None)
    classes = model.classes_
    if model.multilabel_ or not np.array_equal(np.unique(y_true), classes):
        return None
    y_true = np.asarray(y_true)
    if len(classes) == 2:
        positive = (y_true == classes[1]).astype(float)
        if loss.name == "log_loss":  # cross_entropy: clipped probabilities
            return lambda raw: -M._mean(M._binary_cross_entropy_values(
                positive, loss.predict_proba(raw[:, 0])), None)
        return lambda raw: -M._mean(M._margin_values(loss, 2.0 * positive - 1.0, raw[:, 0]),
                                    None)
    if loss.name == "log_loss":  # multinomial: sklearn.metrics.log_loss of the softmax,
        # which clips to [eps, 1 - eps]
        picked = (np.arange(len(y_true)), np.searchsorted(classes, y_true))
        return lambda raw: float(np.mean(np.log(np.clip(loss.predict_proba(raw)[picked],
                                                        M._EPS, 1 - M._EPS))))
    y_pm = np.where(y_true[:, None] == classes[None, :], 1.0, -1.0)  # one-vs-rest
    return lambda raw: -M._mean(M._margin_values(loss, y_pm, raw), None)
