"""
Robust regression: squared, absolute, Huber and quantile losses
===============================================================

A line through data with a few gross outliers. Squared error chases the outliers; the
absolute, Huber and median (quantile 0.5) losses do not. The 0.1 and 0.9 quantiles
bracket the data.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

from sklearn_losses import Huber, LossRegressor, Quantile
from sklearn_losses import metrics as M

rng = np.random.default_rng(0)
n = 200
x = rng.uniform(0, 10, n)
y = 2.0 * x + 1.0 + rng.normal(0, 1.0, n)
outliers = rng.choice(n, 12, replace=False)
y[outliers] += rng.uniform(25, 40, 12)
X = x[:, None]

models = {
    "squared_error": LossRegressor("squared_error", penalty=None),
    "absolute_error": LossRegressor("absolute_error", penalty=None),
    "huber (delta=1.35)": LossRegressor(Huber(delta=1.35), penalty=None),
    "quantile 0.5": LossRegressor(Quantile(quantile=0.5), penalty=None),
}
for model in models.values():
    model.fit(X, y)

# %%
# Errors against the clean line ``2 x + 1`` (what the outliers hide).
clean = 2.0 * x + 1.0
for name, model in models.items():
    pred = model.predict(X)
    print(f"{name:20s} slope {model.coef_[0]:.3f}  intercept {model.intercept_:6.3f}  "
          f"MAE to clean line {M.mean_absolute_error(clean, pred):.3f}")

# %%
grid = np.linspace(0, 10, 50)[:, None]
fig, ax = plt.subplots(figsize=(8, 5))
ax.scatter(x, y, s=10, c=np.isin(np.arange(n), outliers), cmap="coolwarm",
           label="data (outliers in red)")
for name, model in models.items():
    ax.plot(grid, model.predict(grid), label=name)
for q in (0.1, 0.9):
    band = LossRegressor(Quantile(quantile=q), penalty=None).fit(X, y)
    ax.plot(grid, band.predict(grid), "k--", lw=1, label=f"quantile {q}")
ax.set(xlabel="x", ylabel="y", title="Fitted lines with 12 gross outliers")
ax.legend(fontsize=8)
plt.show()
