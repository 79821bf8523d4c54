"""
Choosing the loss from the noise
================================

Maximum likelihood view: squared error is the Gaussian likelihood, absolute error the
Laplace one, Huber a Gaussian core with Laplace tails, Poisson the count likelihood. For
each noise model we fit every loss and measure how far the coefficients land from the
truth (mean over repeats). The loss that matches the noise wins.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

from sklearn_losses import Huber, LossRegressor

rng = np.random.default_rng(0)
n, p, repeats = 300, 5, 20
w_true = np.array([1.0, -0.5, 0.25, 0.0, 2.0])
losses = {"squared_error": "squared_error", "absolute_error": "absolute_error",
          "huber": Huber(delta=1.0), "poisson": "poisson"}
noises = ["gaussian", "laplace", "student-t (2 dof)", "poisson counts"]
errors = np.zeros((len(noises), len(losses)))
for _ in range(repeats):
    X = rng.standard_normal((n, p)) * 0.3
    for i, noise in enumerate(noises):
        f = X @ w_true
        if noise == "gaussian":
            y = f + rng.normal(0, 1, n)
        elif noise == "laplace":
            y = f + rng.laplace(0, 1, n)
        elif noise == "student-t (2 dof)":
            y = f + rng.standard_t(2, n)
        else:
            y = rng.poisson(np.exp(f)).astype(float)
        for j, loss in enumerate(losses.values()):
            if loss == "poisson" and noise != "poisson counts":
                errors[i, j] = np.nan
                continue
            model = LossRegressor(loss, penalty=None).fit(X, y)
            errors[i, j] += np.linalg.norm(model.coef_ - w_true) / repeats

for i, noise in enumerate(noises):
    best = list(losses)[int(np.nanargmin(errors[i]))]
    print(f"{noise:18s} best loss: {best}")

# %%
fig, ax = plt.subplots(figsize=(8, 4.5))
width = 0.2
for j, name in enumerate(losses):
    ax.bar(np.arange(len(noises)) + (j - 1.5) * width, errors[:, j], width, label=name)
ax.set_xticks(range(len(noises)), noises)
ax.set(ylabel="mean ||w - w_true||", title="Coefficient error by noise model and loss")
ax.legend()
plt.show()
