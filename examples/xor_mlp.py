"""The XOR problem: no linear classifier solves it, a one-hidden-layer MLP does.

Course slides "XOR Problem" and "Lifting to Higher Dimensions". The table

    x₁ x₂ | y
     0  0 | 0
     0  1 | 1
     1  0 | 1
     1  1 | 0

cannot be reproduced by y = 𝓗(w₀ + w₁x₁ + w₂x₂) (𝓗 the step function) for any w: no line
separates the two classes, so LogisticRegression (the same linear boundary with a smooth g)
gets at most 3 of 4 right. An MLPClassifier with a small tanh hidden layer fits the table
exactly. xor_mlp.png shows the decision regions of both over the four points: logistic
regression's best compromise (here the symmetric w = 0: one class everywhere) and the MLP's
non-linear boundary — a band of class 0 through (0, 0) and (1, 1), class 1 on either side.

    python examples/xor_mlp.py [--out DIR]
"""
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from mlbasics.datasets import make_xor  # noqa: E402
from mlbasics.linear_model import LogisticRegression  # noqa: E402
from mlbasics.metrics import accuracy_score  # noqa: E402
from mlbasics.neural_network import MLPClassifier  # noqa: E402
from mlbasics.plotting import plot_decision_boundary  # noqa: E402
from _example import run_example, save  # noqa: E402


def main(out):
    X, y = make_xor()                      # the four corners and labels 0, 1, 1, 0
    for (x1, x2), label in zip(X, y):
        print(f"  x1={x1:.0f} x2={x2:.0f} -> y={label}")

    logistic = LogisticRegression(penalty=None).fit(X, y)
    mlp = MLPClassifier(hidden_layer_sizes=(4,), activation="tanh", solver="adam", learning_rate_init=0.05,
                        max_iter=1000, random_state=0).fit(X, y)
    acc_logistic = accuracy_score(y, logistic.predict(X))
    acc_mlp = accuracy_score(y, mlp.predict(X))

    fig, axes = plt.subplots(1, 2, figsize=(10, 5))
    for ax, model, name, acc, what in (
            (axes[0], logistic, "logistic regression (linear)", acc_logistic, "no line separates the classes"),
            (axes[1], mlp, "MLP, 4 tanh hidden units", acc_mlp, "a curved boundary separates them")):
        plot_decision_boundary(model, X, y, ax=ax, margin=0.5, point_size=150)
        ax.get_legend().set_title("class y (points and regions)")
        ax.set(title=f"XOR, {name}: accuracy {acc:.2f}\n{what}", xlabel="x₁", ylabel="x₂")
    fig.tight_layout()
    path = os.path.join(out, "xor_mlp.png")
    save(fig, path)
    print(f"logistic accuracy = {acc_logistic:.2f}, MLP accuracy = {acc_mlp:.2f} "
          f"(MLP final loss {mlp.loss_:.4f} after {mlp.n_iter_} epochs)")


if __name__ == "__main__":
    run_example(main, __doc__)
