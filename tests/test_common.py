"""scikit-learn's estimator checks on a spread of loss x penalty configurations."""

import pytest

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_losses import (
    Huber,
    LossClassifier,
    LossClassifierCV,
    LossRegressor,
    LossRegressorCV,
    Quantile,
)

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


CLASSIFIERS = [
    LossClassifier(alpha=0.1, tol=1e-10),
    LossClassifier(penalty="l1", alpha=0.05, tol=1e-10),
    LossClassifier("hinge", penalty="l2", alpha=0.01, tol=1e-10),
    LossClassifier("hinge", penalty="l1", alpha=0.01),
    LossClassifier("squared_hinge", penalty="elasticnet", alpha=0.05, tol=1e-10),
    LossClassifier("modified_huber", alpha=0.1, class_weight="balanced", tol=1e-10),
]


CV_ESTIMATORS = [
    LossRegressorCV("huber", penalty="l1", n_alphas=4, cv=3),
    LossClassifierCV(penalty="elasticnet", l1_ratio=[0.3, 0.9], n_alphas=4, cv=3),
]


PRECISION = ("weighted and repeated fits agree to about 1e-7 relative, the limit of float64 "
             "line searches on these n < p problems; the check asks for rtol=1e-7 (our own "
             "property tests check the equivalence on the objective)")


def expected_failures(estimator):
    failures = {}
    if isinstance(estimator, (LossRegressor, LossClassifier)) and not isinstance(
            estimator, (LossRegressorCV, LossClassifierCV)) and estimator.loss not in (
            "squared_error",):
        reason = PRECISION if estimator.penalty is not None else (
            "without a penalty these n < p problems have many optima (a piecewise-linear "
            "loss reaches 0 in many ways): weighted and repeated fits reach the same "
            "objective at different coefficients")
        failures = {"check_sample_weight_equivalence_on_dense_data": reason,
                    "check_sample_weight_equivalence_on_sparse_data": reason}
    if isinstance(estimator, (LossRegressorCV, LossClassifierCV)):
        reason = ("repeating a sample changes the cross-validation folds, so weights and "
                  "repetitions pick their alpha on different splits")
        return {"check_sample_weight_equivalence_on_dense_data": reason,
                "check_sample_weight_equivalence_on_sparse_data": reason}
    if getattr(estimator, "loss", None) == "modified_huber":
        return {**failures, "check_classifiers_multilabel_output_format_predict_proba":
                "modified Huber probabilities are exactly 0 or 1 beyond the margin "
                "(as SGDClassifier's); the check wants them strictly inside (0, 1)"}
    if getattr(estimator, "loss", None) == "poisson":
        return {**failures, "check_regressor_multioutput":
                "scikit-learn's check ignores positive_only and feeds negative targets, "
                "which the Poisson loss rejects"}
    return failures


# API compliance, not convergence, is checked here: the checks' tiny or extreme problems
# (class weights of 1e-4 against 1e3 at the small end of an alpha grid) may warn.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(REGRESSORS + CLASSIFIERS + CV_ESTIMATORS,
                         expected_failed_checks=expected_failures)
def test_sklearn_compatible(estimator, check):
    check(estimator)
