"""
The losses and their gradients
==============================

Every loss in the library, drawn against the residual ``r = y - f`` (regression) or the
margin ``z = y f`` (classification), with its derivative. The last panel shows why
cross-entropy is preferred to squared error for probabilities: being *confidently
wrong* costs without bound.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

from sklearn_losses.losses import LOSSES

# %%
# Regression losses, as functions of the residual (``y = 0``, ``f = -r``).
r = np.linspace(-3, 3, 601)
fig, axes = plt.subplots(1, 2, figsize=(10, 4))
for name, cls in LOSSES.items():
    if cls.is_classifier or name == "poisson":
        continue
    loss = cls()
    y, raw = np.zeros_like(r), -r
    axes[0].plot(r, loss.loss(y, raw), label=name)
    axes[1].plot(r, -loss.gradient(y, raw), label=name)
axes[0].set(title="regression losses", xlabel="residual r = y - f", ylabel="loss")
axes[1].set(title="their derivatives", xlabel="residual r = y - f",
            ylabel="d loss / d r")
axes[0].set_ylim(0, 4)
axes[0].legend(fontsize=8)
fig.tight_layout()

# %%
# Classification losses, as functions of the margin ``z = y f``.
z = np.linspace(-2.5, 2.5, 501)
fig, axes = plt.subplots(1, 2, figsize=(10, 4))
for name, cls in LOSSES.items():
    if not cls.is_classifier:
        continue
    loss = cls()
    y = np.ones_like(z)
    axes[0].plot(z, loss.loss(y, z), label=name)
    axes[1].plot(z, loss.gradient(y, z), label=name)
axes[0].plot(z, (z < 0).astype(float), "k:", label="0-1 loss")
axes[0].set(title="classification losses", xlabel="margin z = y f", ylabel="loss")
axes[0].set_ylim(0, 6)
axes[1].set(title="their derivatives", xlabel="margin z = y f", ylabel="d loss / d f")
axes[0].legend(fontsize=8)
fig.tight_layout()

# %%
# Probability of the true class: cross-entropy ``-log p`` against the squared error
# ``(1 - p)^2``. Near ``p = 0`` cross-entropy grows without bound, the squared error
# stays below 1 — it barely punishes a confident mistake.
p = np.linspace(0.001, 1, 500)
fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(p, -np.log(p), label="cross-entropy  -log p")
ax.plot(p, (1 - p) ** 2, label="squared error  (1 - p)^2")
ax.set(xlabel="predicted probability of the true class", ylabel="loss",
       title="The cost of being confidently wrong", ylim=(0, 5))
ax.legend()
plt.show()
