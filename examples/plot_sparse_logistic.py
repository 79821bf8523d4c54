"""
L1, L2 and elastic-net logistic regression
==========================================

On the standardised breast-cancer data: test accuracy, cross-entropy and the number of
weights set exactly to zero for each penalty, and the L1 coefficient path computed by
:func:`~sklearn_losses.loss_path`.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sklearn_losses import LossClassifier, loss_path
from sklearn_losses import metrics as M

data = load_breast_cancer()
X_train, X_test, y_train, y_test = train_test_split(data.data, data.target, random_state=1,
                                                    stratify=data.target)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

for penalty in ("l1", "elasticnet", "l2"):
    model = LossClassifier(penalty=penalty, alpha=0.01).fit(X_train, y_train)
    proba = model.predict_proba(X_test)[:, 1]
    print(f"{penalty:10s} accuracy {model.score(X_test, y_test):.3f}  cross-entropy "
          f"{M.binary_cross_entropy(y_test, proba):.3f}  zero weights "
          f"{np.sum(model.coef_ == 0)}/30")

# %%
# The coefficient path: features enter one by one as alpha decreases. The first five to
# enter are named; the others are drawn in grey.
alphas, coefs, _ = loss_path(X_train, y_train, loss="log_loss", penalty="l1", n_alphas=40,
                             eps=1e-3)
coefs = coefs.reshape(len(alphas), -1)
entry = np.array([np.argmax(coefs[:, j] != 0) if np.any(coefs[:, j]) else len(alphas)
                  for j in range(coefs.shape[1])])
first = np.argsort(entry, kind="stable")[:5]
fig, ax = plt.subplots(figsize=(8, 5))
for j in range(coefs.shape[1]):
    if j not in first:
        ax.plot(alphas, coefs[:, j], color="lightgrey", lw=1)
for j in first:
    ax.plot(alphas, coefs[:, j], lw=2, label=data.feature_names[j])
ax.set_xscale("log")
ax.invert_xaxis()
ax.axhline(0.0, color="black", lw=0.5)
ax.legend(title="first five to enter", fontsize=8)
ax.set(xlabel="alpha (decreasing)", ylabel="coefficient (standardised features)",
       title="L1 logistic regression path on breast cancer (30 features)")
plt.show()
