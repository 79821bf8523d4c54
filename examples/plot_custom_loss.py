"""
Writing your own loss
=====================

A loss is one small class: subclass :class:`~sklearn_losses.Loss`, give its per-sample
value and derivative in the raw prediction ``f``. It then works in the estimators, the
CV estimators and the scorers. Here: log-cosh (smooth, Huber-like) and an asymmetric
squared loss that punishes under-prediction three times as much as over-prediction.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.model_selection import cross_val_score

from sklearn_losses import Loss, LossRegressor, make_loss_scorer


class LogCosh(Loss):
    """log(cosh((y - f) / scale)) * scale**2, stable for large residuals."""

    def __init__(self, scale=1.0):
        self.scale = scale

    def loss(self, y, raw):
        r = (y - raw) / self.scale
        return self.scale**2 * (np.logaddexp(r, -r) - np.log(2))

    def gradient(self, y, raw):
        return -self.scale * np.tanh((y - raw) / self.scale)


class AsymmetricSquared(Loss):
    """(y - f)^2 / 2, times ``under`` when the model under-predicts (y > f)."""

    def __init__(self, under=3.0):
        self.under = under

    def loss(self, y, raw):
        r = y - raw
        return 0.5 * np.where(r > 0, self.under, 1.0) * r**2

    def gradient(self, y, raw):
        r = y - raw
        return -np.where(r > 0, self.under, 1.0) * r


X, y = load_diabetes(return_X_y=True)
for loss in (LogCosh(scale=30.0), AsymmetricSquared(under=3.0)):
    model = LossRegressor(loss, penalty="l2", alpha=1e-3)
    scores = cross_val_score(model, X, y, cv=5, scoring=make_loss_scorer(loss))
    print(f"{type(loss).__name__:18s} CV loss {-scores.mean():.1f}")

# %%
plain = LossRegressor("squared_error", penalty="l2", alpha=1e-3).fit(X, y)
asym = LossRegressor(AsymmetricSquared(under=3.0), penalty="l2", alpha=1e-3).fit(X, y)
fig, ax = plt.subplots(figsize=(6, 4))
ax.hist(y - plain.predict(X), bins=40, alpha=0.6, label="squared error")
ax.hist(y - asym.predict(X), bins=40, alpha=0.6, label="asymmetric (under x3)")
ax.set(xlabel="residual y - prediction", ylabel="samples",
       title="The asymmetric loss shifts predictions up")
ax.legend()
plt.show()
