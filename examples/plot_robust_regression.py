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
    "huber (delta=1.35)": LossRegressor(Huber(delta=1.35), penalty=None),
    "absolute_error": LossRegressor("absolute_error", penalty=None),
    "quantile 0.5": LossRegressor(Quantile(quantile=0.5), penalty=None),
}
for model in models.values():
    model.fit(X, y)

# %%
# Errors against the clean line ``2 x + 1`` (what the outliers hide). Absolute error
# and the 0.5 quantile give the same line: the pinball loss at 0.5 is half the
# absolute error, and without a penalty halving the loss moves no optimum.
clean = 2.0 * x + 1.0
for name, model in models.items():
    pred = model.predict(X)
    print(f"{name:20s} slope {model.coef_[0]:.3f}  intercept {model.intercept_:6.3f}  "
          f"MAE to clean line {M.mean_absolute_error(clean, pred):.3f}")

# %%
# Left: the data with its outliers in red, the squared-error line pulled up towards
# them, the robust lines on the bulk of the data, and the band between the 0.1 and 0.9
# quantiles. Right: each fitted line minus the clean line, where the robust lines'
# small differences show.
grid = np.linspace(0, 10, 50)[:, None]
truth = 2.0 * grid[:, 0] + 1.0
is_outlier = np.isin(np.arange(n), outliers)
low, high = (LossRegressor(Quantile(quantile=q), penalty=None).fit(X, y).predict(grid)
             for q in (0.1, 0.9))
lines = [("squared_error", "squared_error", dict(color="tab:red", lw=2)),
         ("huber (delta=1.35)", "huber (delta=1.35)",
          dict(color="tab:green", lw=2, linestyle="--")),
         ("absolute_error", "absolute_error = quantile 0.5",
          dict(color="tab:blue", lw=2, linestyle=":"))]
fig, (ax, zoom) = plt.subplots(1, 2, figsize=(11, 4.8))
ax.scatter(x[~is_outlier], y[~is_outlier], s=10, color="tab:gray", label="data")
ax.scatter(x[is_outlier], y[is_outlier], s=18, color="tab:red", label="gross outliers")
for axis, offset in ((ax, 0.0), (zoom, truth)):
    axis.fill_between(grid[:, 0], low - offset, high - offset, color="tab:blue", alpha=0.12,
                      label="quantiles 0.1 to 0.9")
    axis.plot(grid[:, 0], truth - offset, color="black", lw=1, label="clean line 2 x + 1")
    for name, label, style in lines:
        axis.plot(grid[:, 0], models[name].predict(grid) - offset, label=label, **style)
ax.set(xlabel="x", ylabel="y", title="Fitted lines with 12 gross outliers")
zoom.set(xlabel="x", ylabel="fitted line minus the clean line",
         title="The same lines, minus the clean line")
handles, labels = ax.get_legend_handles_labels()
fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=9)
fig.tight_layout(rect=(0, 0.12, 1, 1))  # the legend below both panels, over no data
plt.show()
