"""
Per-feature penalty factors: an unpenalised confounder and the adaptive lasso
=============================================================================

``penalty_factor`` multiplies the penalty of each feature. On the diabetes data (a
robust Huber loss, features standardised), two uses:

- **a feature kept unpenalised**: with ``{"age": 0.0, "sex": 0.0}`` the two
  demographic columns stay in the model at every alpha, their effect adjusted for,
  while the lasso selects among the measurements;
- **the adaptive lasso**: factors ``1 / |w|`` of a first ridge fit shrink large
  effects little and small ones a lot, so the path keeps fewer, larger coefficients.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.preprocessing import StandardScaler

from sklearn_losses import Huber, LossRegressor, LossRegressorCV, loss_path

data = load_diabetes(as_frame=True)
names = list(data.feature_names)
X = StandardScaler().fit_transform(data.data)
y = data.target.to_numpy()
loss = Huber(delta=70.0)  # about 1.35 times the residuals' spread (about 54), in y's units

ridge = LossRegressor(loss, penalty="l2", alpha=1e-3).fit(X, y)
factors = {
    "uniform": None,
    "age and sex unpenalised": {names.index("age"): 0.0, names.index("sex"): 0.0},
    "adaptive (1 / |w_ridge|)": 1 / np.abs(ridge.coef_),
}

# %%
# The L1 paths: coefficients against alpha, from each grid's alpha_max (the smallest
# alpha that zeroes every *penalised* coefficient) down. Unpenalised features are drawn
# dashed; the adaptive path's alphas are on their own scale (its factors are in units
# of ``1 / |w|``).
fig, axes = plt.subplots(1, 3, figsize=(13, 4), sharey=True)
for ax, (title, factor) in zip(axes, factors.items()):
    alphas, coefs, _ = loss_path(X, y, loss=loss, penalty="l1", n_alphas=40,
                                 penalty_factor=factor)
    for j, name in enumerate(names):
        free = isinstance(factor, dict) and factor.get(j) == 0.0
        ax.plot(alphas, coefs[:, j], "--" if free else "-", lw=2 if free else 1.2,
                label=name)
    ax.set_xscale("log")
    ax.invert_xaxis()
    ax.set_title(title)
    ax.set_xlabel("alpha")
axes[0].set_ylabel("coefficient")
axes[-1].legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=8)
fig.tight_layout()

# %%
# Alpha chosen by 5-fold cross-validation on the Huber loss itself, for each choice of
# factors: which features the chosen model keeps, and its cross-validated loss.
for title, factor in factors.items():
    cv = LossRegressorCV(loss, penalty="l1", n_alphas=30, penalty_factor=factor).fit(X, y)
    kept = [name for name, w in zip(names, cv.coef_) if w != 0]
    print(f"{title:26s} alpha {cv.alpha_:8.3g}  mean Huber loss {-cv.best_score_:7.2f}  "
          f"keeps {len(kept):2d}: {', '.join(kept)}")
