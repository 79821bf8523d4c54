"""scikit-learn's estimator checks on a spread of loss x penalty configurations."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_losses import Huber, LossRegressor, Quantile

# tol=1e-10: the sample-weight equivalence checks compare predictions at rtol=1e-7, finer
# than the default tol=1e-6 resolves.
REGRESSORS = [
    LossRegressor(tol=1e-10),
    LossRegressor("absolute_error", penalty="l1", alpha=0.01),
    LossRegressor(Huber(delta=0.5), penalty="elasticnet", alpha=0.01, tol=1e-10),
    LossRegressor(Quantile(quantile=0.3), penalty="l2", alpha=0.01, tol=1e-10),
    LossRegressor("epsilon_insensitive", penalty=None),
    LossRegressor("squared_epsilon_insensitive", penalty="l1", alpha=0.01, tol=1e-10),
    LossRegressor("poisson", penalty="l2", alpha=0.01, tol=1e-10),
]


def expected_failures(estimator):
    if getattr(estimator, "loss", None) == "poisson":
        return {"check_regressor_multioutput":
                "scikit-learn's check ignores positive_only and feeds negative targets, "
                "which the Poisson loss rejects"}
    return {}


@parametrize_with_checks(REGRESSORS, expected_failed_checks=expected_failures)
def test_sklearn_compatible(estimator, check):
    check(estimator)
