"""
Class imbalance: ``class_weight="balanced"``
============================================

With 5% positives, an unweighted classifier mostly predicts the majority class.
Balancing the class weights trades precision for a much higher minority recall.
"""

# %%
import matplotlib.pyplot as plt
from sklearn.datasets import make_classification
from sklearn.metrics import ConfusionMatrixDisplay, precision_score, recall_score
from sklearn.model_selection import train_test_split

from sklearn_losses import LossClassifier

X, y = make_classification(4000, 10, weights=[0.95, 0.05], class_sep=0.6, flip_y=0,
                           random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)

fig, axes = plt.subplots(1, 2, figsize=(9, 4))
for ax, weight in zip(axes, (None, "balanced")):
    model = LossClassifier("log_loss", alpha=1e-3, class_weight=weight).fit(X_train, y_train)
    pred = model.predict(X_test)
    print(f"class_weight={weight!s:9s} precision {precision_score(y_test, pred):.2f}  "
          f"recall {recall_score(y_test, pred):.2f}")
    ConfusionMatrixDisplay.from_predictions(y_test, pred, ax=ax, colorbar=False)
    ax.set_title(f"class_weight={weight}")
fig.tight_layout()
plt.show()
