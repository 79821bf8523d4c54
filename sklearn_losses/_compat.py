"""The one place that relies on scikit-learn's private helpers and attributes.

scikit-learn keeps these in private modules; if they move, only this file changes.
"""

import inspect

from sklearn.utils._param_validation import (  # noqa: F401
    Interval,
    StrOptions,
)
from sklearn.utils.validation import _check_sample_weight  # noqa: F401


def scorer_takes_sample_weight(scorer):
    """Whether ``scorer(estimator, X, y, sample_weight=...)`` weights its score: a scorer
    built by :func:`sklearn.metrics.make_scorer` passes it to its metric (kept in the
    private ``_score_func``), which must take it; any other callable must take it
    itself."""
    function = getattr(scorer, "_score_func", scorer)
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):  # a builtin or an object without a signature
        return False
    return "sample_weight" in parameters
