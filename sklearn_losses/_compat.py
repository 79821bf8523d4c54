"""The one place that imports private scikit-learn helpers.

scikit-learn keeps these in private modules; if they move, only this file changes.
"""

from sklearn.utils._param_validation import (  # noqa: F401
    Hidden,
    Interval,
    StrOptions,
)
from sklearn.utils.validation import _check_sample_weight  # noqa: F401
