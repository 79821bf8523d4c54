"""sklearn-losses: scikit-learn compatible linear models with a selectable loss.

Choose the loss a linear model minimises, add an L1/L2/elastic-net penalty, and tune
the penalty strength with a scorer that measures the same loss.
"""

from .linear_model import LossClassifier, LossRegressor
from .losses import (
    LOSSES,
    AbsoluteError,
    ClassificationLoss,
    EpsilonInsensitive,
    Gamma,
    Hinge,
    Huber,
    LogLoss,
    Loss,
    ModifiedHuber,
    PiecewiseLinearLoss,
    Poisson,
    Quantile,
    SquaredEpsilonInsensitive,
    SquaredError,
    SquaredHinge,
    Tweedie,
)

from .model_selection import LossClassifierCV, LossRegressorCV, loss_path
from .multi_quantile import MultiQuantileRegressor
from .scorers import SCORERS, get_scorer, loss_scorer, make_loss_scorer, multi_quantile_scorer

__version__ = "0.1.0"

__all__ = [
    "LOSSES",
    "AbsoluteError",
    "ClassificationLoss",
    "EpsilonInsensitive",
    "Gamma",
    "Hinge",
    "Huber",
    "LogLoss",
    "Loss",
    "LossClassifier",
    "LossClassifierCV",
    "LossRegressor",
    "LossRegressorCV",
    "ModifiedHuber",
    "MultiQuantileRegressor",
    "PiecewiseLinearLoss",
    "Poisson",
    "Quantile",
    "SquaredEpsilonInsensitive",
    "SquaredError",
    "SquaredHinge",
    "Tweedie",
    "SCORERS",
    "get_scorer",
    "loss_path",
    "loss_scorer",
    "make_loss_scorer",
    "multi_quantile_scorer",
]
