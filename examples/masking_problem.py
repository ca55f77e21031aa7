"""The masking problem of linear regression with more than two classes.

Course slide "Logistic vs Linear Regression, n > 2 classes". Three classes lie one after the
other along a line in 2-D. The least-squares classifier fits one-hot targets Y by
w_c* = (XᵀX)⁻¹Xᵀy_c (one regression per class) and predicts argmax_c wᵀ_c x: the middle
class's fitted score is nearly flat, always below one of its neighbours, so that class is
masked — it gets (almost) no region at all. Multinomial logistic regression (softmax) gives
each class its region. masking_problem.png shows the two decision-region plots side by side.

    python examples/masking_problem.py [--out DIR]
"""
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from mlbasics.linear_model import LinearRegression, LogisticRegression  # noqa: E402
from mlbasics.metrics import accuracy_score  # noqa: E402
from mlbasics.plotting import plot_decision_boundary  # noqa: E402
from mlbasics.preprocessing import one_hot  # noqa: E402
from _example import run_example, save  # noqa: E402


class LeastSquaresClassifier:
    """The course's least-squares classifier: LinearRegression on one_hot(y), predict argmax."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.reg_ = LinearRegression(solver="normal").fit(X, one_hot(np.searchsorted(self.classes_, y)))
        return self

    def predict(self, X):
        return self.classes_[np.argmax(self.reg_.predict(X), axis=1)]


def main(out):
    rng = np.random.default_rng(0)
    centers = np.array([[-4.0, -4.0], [0.0, 0.0], [4.0, 4.0]])   # three classes on the line x₂ = x₁
    X = np.concatenate([c + rng.normal(0, 1.0, (100, 2)) for c in centers])
    y = np.repeat([0, 1, 2], 100)

    models = {"linear regression (one-hot targets)": LeastSquaresClassifier().fit(X, y),
              "logistic regression (softmax)": LogisticRegression().fit(X, y)}
    fig, axes = plt.subplots(1, 2, figsize=(11, 5))
    accuracies = []
    for ax, (name, model) in zip(axes, models.items()):
        acc = accuracy_score(y, model.predict(X))
        accuracies.append(acc)
        plot_decision_boundary(model, X, y, ax=ax)
        ax.set(title=f"{name}\ntraining accuracy {acc:.3f}", xlabel="x₁", ylabel="x₂")
        ax.get_legend().set_title("class (points and regions)")
    fig.suptitle("Linear regression masks the middle class (1): it gets almost no region; "
                 "logistic regression gives each class its own")
    fig.tight_layout()
    path = os.path.join(out, "masking_problem.png")
    save(fig, path)
    print(f"least-squares accuracy = {accuracies[0]:.4f}, logistic accuracy = {accuracies[1]:.4f}")


if __name__ == "__main__":
    run_example(main, __doc__)
