"""
Several quantiles at once, without crossing
===========================================

On heteroscedastic data (the noise grows with ``x``) and few samples, linear quantile
lines fitted one level at a time cross: at some ``x`` a higher level is predicted below
a lower one, an impossible prediction. :class:`~sklearn_losses.MultiQuantileRegressor` fits all
levels in one linear programme with the constraint that the predicted quantiles stay in
order at every training point; where the independent fits do not cross, the joint fit
is the same.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

from sklearn_losses import MultiQuantileRegressor

rng = np.random.default_rng(3)
n = 40
x = rng.uniform(0, 1, n)
y = 2 * x + (0.05 + 1.5 * x) * rng.standard_normal(n)
X = x[:, None]
levels = np.round(np.arange(0.1, 0.95, 0.1), 2)

models = {
    "each level alone (non_crossing=False)": MultiQuantileRegressor(
        levels, alpha=1e-4, non_crossing=False).fit(X, y),
    "jointly, never crossing (non_crossing=True)": MultiQuantileRegressor(
        levels, alpha=1e-4).fit(X, y),
}

# %%
# How many training points have some pair of adjacent predicted quantiles out of
# order, and the mean pinball loss over the levels (what the fits minimise):
for name, model in models.items():
    pred = model.predict(X)
    crossed = np.any(np.diff(pred, axis=1) < -1e-9, axis=1)
    print(f"{name:45s} points with crossing quantiles: {crossed.sum():2d}/{n}  "
          f"mean pinball loss {-model.score(X, y):.4f}")

# %%
# Left and middle: the fitted quantile lines. Right: at each ``x``, the smallest gap
# between adjacent predicted quantiles; below 0 (red) two levels are out of order.
grid = np.linspace(0, 1, 400)[:, None]
colors = plt.cm.viridis(np.linspace(0, 1, len(levels)))
fig, axes = plt.subplots(1, 3, figsize=(14, 4.5))
for ax, (name, model) in zip(axes, models.items()):
    ax.scatter(x, y, s=12, color="tab:gray", zorder=3, label="data")
    curves = model.predict(grid)
    for k, level in enumerate(model.quantiles_):
        ax.plot(grid[:, 0], curves[:, k], color=colors[k], lw=1.5, label=f"q = {level:g}")
    ax.set(title=name.replace(" (", "\n("), xlabel="x", ylabel="y")
axes[1].legend(fontsize=7, loc="upper left", ncol=2)
gaps = axes[2]
for (name, model), style in zip(models.items(), ("-", "--")):
    smallest = np.diff(model.predict(grid), axis=1).min(axis=1)
    gaps.plot(grid[:, 0], smallest, linestyle=style, lw=2, label=name.split(" (")[0])
gaps.axhline(0.0, color="black", lw=0.8)
gaps.axhspan(gaps.get_ylim()[0], 0.0, color="tab:red", alpha=0.12,
             label="levels out of order")
gaps.set(title="smallest gap between adjacent quantiles", xlabel="x",
         ylabel="q(k+1) prediction - q(k) prediction")
gaps.legend(fontsize=8)
fig.tight_layout()
plt.show()
