"""Scorers that judge a model by the loss it was trained on.

All are :func:`sklearn.metrics.make_scorer` objects with ``greater_is_better=False``
(so their values are negated losses, named ``neg_*``), and accept ``sample_weight``
through scikit-learn's metadata routing (``scorer.set_score_request(sample_weight=True)``).
Which metric scores a loss is the loss's own declaration (``Loss.metric``,
``Loss.response_method``): a new loss needs nothing here.
"""

import copy
import inspect

import numpy as np
from sklearn import metrics as skm
from sklearn.metrics import make_scorer

from . import metrics as M
from ._compat import scorer_takes_sample_weight
from .linear_model import raw_scores
from .losses import LOSSES, Loss

# Our scorer names -> (metric, response method); scikit-learn's own names are passed
# through by get_scorer.
_NAMED = {
    "neg_huber_loss": (M.huber_loss, "predict"),
    "neg_pinball_loss": (M.pinball_loss, "predict"),
    "neg_epsilon_insensitive_loss": (M.epsilon_insensitive_loss, "predict"),
    "neg_squared_epsilon_insensitive_loss": (M.squared_epsilon_insensitive_loss, "predict"),
    "neg_mean_tweedie_deviance": (M.mean_tweedie_deviance, "predict"),
    "neg_binary_cross_entropy": (M.binary_cross_entropy, "predict_proba"),
    "neg_categorical_cross_entropy": (M.categorical_cross_entropy, "predict_proba"),
    "neg_cross_entropy": (M.cross_entropy, "predict_proba"),
    "neg_kl_divergence": (M.kl_divergence, "predict_proba"),
    "neg_hinge_loss": (M.hinge_loss, "decision_function"),
    "neg_squared_hinge_loss": (M.squared_hinge_loss, "decision_function"),
    "neg_modified_huber_loss": (M.modified_huber_loss, "decision_function"),
}

#: Our scorer names -> scorers (scikit-learn's own names are passed through by get_scorer).
SCORERS = {name: make_scorer(metric, greater_is_better=False, response_method=response)
           for name, (metric, response) in _NAMED.items()}


def _metric(loss):
    """``(metric, params)`` that score ``loss``: the metric it names, with its parameters
    (``delta``, ``quantile``, ...), or :func:`~sklearn_losses.metrics.mean_loss` of the
    loss itself for a loss that names none (its own class does not set ``metric``)."""
    if "metric" in type(loss).__dict__ and loss.metric is not None:
        return getattr(M, loss.metric), loss.get_params()
    return M.mean_loss, {"loss": loss}


def _takes_labels(metric):
    return "labels" in inspect.signature(metric).parameters


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
    metric, kwargs = _metric(loss)
    return make_scorer(metric, greater_is_better=False, response_method=loss.response_method,
                       **kwargs)


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


def multi_quantile_scorer(quantiles):
    """A scorer of the mean pinball loss over the levels ``quantiles``, negated, for a
    :class:`~sklearn_losses.MultiQuantileRegressor` (its ``predict`` has one column per
    level, in sorted order).

    Examples
    --------
    >>> from sklearn_losses import multi_quantile_scorer
    >>> scorer = multi_quantile_scorer([0.1, 0.5, 0.9])
    """
    return make_scorer(M.multi_pinball_loss, greater_is_better=False,
                       quantiles=np.sort(np.asarray(quantiles, dtype=float).ravel()))


def loss_scorer(estimator):
    """The scorer matching an estimator's loss (fitted or not), e.g. for ``GridSearchCV``.

    ``estimator`` is a ``LossRegressor``/``LossClassifier``, a CV estimator, a
    ``MultiQuantileRegressor`` (:func:`multi_quantile_scorer` of its levels), or a
    ``Pipeline`` ending in one; its ``loss`` parameter (name or object) is used.
    """
    final = estimator
    while hasattr(final, "steps"):
        final = final.steps[-1][1]
    if hasattr(final, "quantiles") and not hasattr(final, "loss"):
        return multi_quantile_scorer(final.quantiles)
    loss = getattr(final, "loss", None)
    if loss is None:
        raise ValueError(f"{type(final).__name__} has no 'loss' parameter to score with.")
    return make_loss_scorer(loss)


def fold_scorer(scoring, model, loss, X_test, y_test, sample_weight=None):
    """``score(fitted)`` of a cross-validation path's model on its held-out fold.

    ``scoring=None`` is the loss's own scorer, computed from the raw scores
    (:func:`held_out_scorer`) where it can be; a name of ours is built with the training
    fold's classes as ``labels`` (a held-out fold may show only some of them); any other
    scorer is called as ``GridSearchCV`` calls it. A name of ours for the metric of the
    path's own loss takes that loss's parameters (``scoring="neg_huber_loss"`` with
    ``Huber(delta=20)`` scores with ``delta=20``), other names their defaults.
    ``sample_weight`` (the held-out
    fold's) weights the score wherever the scorer's metric takes weights, as
    ``LassoCV`` and ``LogisticRegressionCV`` weight theirs: a weight then counts as that
    many repeated samples. ``model`` is the path's estimator after its ``_prepare``.
    """
    classes = (model.classes_ if getattr(model, "classes_", None) is not None
               and not model.multilabel_ else None)
    if scoring is None:
        from_raw = held_out_scorer(model, loss, y_test, sample_weight)
        if from_raw is not None:
            # X_test is a slice of the CV estimator's validated X: no check per alpha
            return lambda fitted: from_raw(raw_scores(fitted, X_test))
        scorer = loss_scorer(model)
    elif isinstance(scoring, str) and scoring in _NAMED:
        metric, response = _NAMED[scoring]
        own, params = _metric(loss)
        kwargs = dict(params) if own is metric else {}
        if classes is not None and _takes_labels(metric):
            kwargs["labels"] = classes
        scorer = make_scorer(metric, greater_is_better=False, response_method=response,
                             **kwargs)
    else:
        scorer = get_scorer(scoring)
    weights = ({"sample_weight": sample_weight}
               if sample_weight is not None and scorer_takes_sample_weight(scorer) else {})
    return lambda fitted: scorer(fitted, X_test, y_test, **weights)


def held_out_scorer(model, loss, y_true, sample_weight=None):
    """:func:`loss_scorer` on one held-out fold, as a function of the raw scores.

    A cross-validation path scores every alpha on the same fold: each call computes the
    loss's metric straight from ``raw = X_test @ coef_.T + intercept_`` (shape
    ``(n_samples, n_outputs)``), the response the scorer would ask for (predictions,
    probabilities or decision values) derived from it by the loss, without the
    estimator's per-call checks. A classifier's metric gets the training fold's classes
    as ``labels``, so a held-out fold of one class is scored as such; a label the
    training fold has not seen cannot be scored (``ValueError``). ``None`` for
    multi-label targets (the scorer itself is used).
    """
    metric, params = _metric(loss)
    if loss.is_classifier:
        if model.multilabel_:
            return None
        unseen = np.setdiff1d(y_true, model.classes_)
        if unseen.size:
            raise ValueError(
                f"A held-out fold holds labels its training fold does not: "
                f"{unseen.tolist()[:10]}; the model cannot score them. Use stratified "
                "folds (StratifiedKFold), the default for an integer cv.")
        if _takes_labels(metric):
            params = {**params, "labels": model.classes_}
    shape = np.shape(y_true)

    def score(raw):
        if not loss.is_classifier:
            return -metric(y_true, loss.inverse_link(raw.reshape(shape)),
                           sample_weight=sample_weight, **params)
        values = raw[:, 0] if raw.shape[1] == 1 else raw
        if loss.response_method == "predict_proba":
            values = loss.predict_proba(values)
        return -metric(y_true, values, sample_weight=sample_weight, **params)

    return score
