"""
Tuning lambda with the loss you train on
========================================

A Huber regressor's penalty strength chosen three ways, each judged by the Huber loss
itself: ``GridSearchCV`` in a pipeline with the matching scorer, the validation curve
it implies, and :class:`~sklearn_losses.LossRegressorCV`, which walks a warm-started
path per fold. Both pick the same alpha; the timings are measured here.
"""

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.model_selection import GridSearchCV, KFold, validation_curve
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_losses import Huber, LossRegressor, LossRegressorCV, loss_scorer

X, y = load_diabetes(return_X_y=True)
X = StandardScaler().fit_transform(X)
cv = KFold(5, shuffle=True, random_state=0)
alphas = np.geomspace(10, 1e-3, 15)

pipe = make_pipeline(StandardScaler(), LossRegressor(Huber(delta=30.0), penalty="l1"))
start = time.perf_counter()
grid = GridSearchCV(pipe, {"lossregressor__alpha": alphas}, cv=cv,
                    scoring=loss_scorer(pipe)).fit(X, y)
t_grid = time.perf_counter() - start

start = time.perf_counter()
path_cv = LossRegressorCV(Huber(delta=30.0), penalty="l1", alphas=alphas, cv=cv).fit(X, y)
t_path = time.perf_counter() - start
print(f"GridSearchCV:     alpha={grid.best_params_['lossregressor__alpha']:.4g} "
      f"in {t_grid:.2f} s")
print(f"LossRegressorCV:  alpha={path_cv.alpha_:.4g} in {t_path:.2f} s")

# %%
train, test = validation_curve(pipe, X, y, param_name="lossregressor__alpha",
                               param_range=alphas, cv=cv, scoring=loss_scorer(pipe))
fig, ax = plt.subplots(figsize=(7, 4.5))
ax.plot(alphas, -train.mean(1), "o-", label="train")
ax.plot(alphas, -test.mean(1), "o-", label="validation (GridSearchCV folds)")
ax.plot(alphas, -path_cv.cv_results_["mean_test_score"], "x--",
        label="validation (LossRegressorCV path)")
ax.axvline(path_cv.alpha_, color="grey", ls=":", label="chosen alpha")
ax.set_xscale("log")
ax.set(xlabel="alpha", ylabel="mean Huber loss (delta=30)",
       title="Validation curve of an L1 Huber regressor")
ax.legend()
plt.show()
