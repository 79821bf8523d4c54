"""
Multi-label tagging: independent cross-entropies, not a softmax
===============================================================

A document may carry several tags. ``LossClassifier`` given a 0/1 indicator matrix fits
one binary cross-entropy per label, so labels do not compete: each probability is that
label's own. A softmax over the labels (a multinomial model on the single most common
tag) forces the probabilities to sum to one and cannot say "both".
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_multilabel_classification
from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split

from sklearn_losses import LossClassifier

X, Y = make_multilabel_classification(1500, 20, n_classes=4, n_labels=2, random_state=0)
X_train, X_test, Y_train, Y_test = train_test_split(X, Y, random_state=0)

independent = LossClassifier(alpha=1e-3).fit(X_train, Y_train)
proba = independent.predict_proba(X_test)

# A softmax over labels: train on each sample's rows duplicated once per tag it has.
rows = np.repeat(np.arange(len(Y_train)), Y_train.sum(1))
tags = np.concatenate([np.flatnonzero(r) for r in Y_train])
softmax = LossClassifier(alpha=1e-3).fit(X_train[rows], tags)
soft_proba = softmax.predict_proba(X_test)

def top_k(scores, k):
    """The k highest-scoring labels of each sample (k = its true number of tags)."""
    pred = np.zeros_like(Y_test)
    for i, order in enumerate(np.argsort(-scores, axis=1)):
        pred[i, order[:k[i]]] = 1
    return pred


k = Y_test.sum(1)
print("micro-F1, independent labels, own 0.5 threshold:",
      round(f1_score(Y_test, proba > 0.5, average="micro"), 3))
print("micro-F1, independent labels, true tag count:",
      round(f1_score(Y_test, top_k(proba, k), average="micro"), 3))
print("micro-F1, softmax over labels, true tag count:",
      round(f1_score(Y_test, top_k(soft_proba, k), average="micro"), 3))
# The softmax cannot decide *how many* tags apply without being told; the independent
# model can, and its probabilities rank the tags about as well.

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 4), sharey=True)
bins = np.linspace(0, 3, 31)
axes[0].hist(proba.sum(1), bins=bins)
axes[0].set(title="independent labels", xlabel="sum of label probabilities",
            ylabel="test samples")
axes[1].hist(soft_proba.sum(1), bins=bins)
axes[1].set(title="softmax over labels", xlabel="sum of label probabilities")
fig.suptitle("Independent cross-entropies let several tags be likely at once")
fig.tight_layout()
plt.show()
