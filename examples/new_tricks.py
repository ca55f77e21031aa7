"""The course's new tricks: batch normalization and residual connections train a deep network;
dropout shrinks the gap between training and test accuracy.

1. deep_mlp_loss.png: an MLP with 8 hidden layers of 32 logistic units on the standardized 8×8
   digits (Adam, mini-batches of 64, 30 epochs). The plain network does not learn (the
   gradient fades through eight sigmoids: the loss stays at log 10 ≈ 2.3); batch normalization,
   residual connections, and both together train it.
2. dropout_gap.png: a wide MLP (128, 128) trained long (300 epochs of Adam at 0.01) on 60 noisy
   two-moons points, with dropout 0, 0.25 and 0.5 on its hidden layers: training and test accuracy
   (1000 test points), each the mean over three seeds. Without dropout it fits the training
   noise; dropout keeps the training accuracy lower and the test accuracy higher.

The loss curves are those of the default backend; every backend trains the same networks (the
dropout masks are the same bit for bit), up to float32 rounding.

    python examples/new_tricks.py [--out DIR]
"""
import os
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from mlbasics.datasets import load_digits, make_moons  # noqa: E402
from mlbasics.exceptions import ConvergenceWarning  # noqa: E402
from mlbasics.model_selection import train_test_split  # noqa: E402
from mlbasics.neural_network import MLPClassifier  # noqa: E402
from mlbasics.preprocessing import StandardScaler  # noqa: E402
from _example import run_example, save  # noqa: E402

DEEP = {"plain": {}, "batch norm": {"normalization": "batch"}, "residual": {"residual": True},
        "batch norm + residual": {"normalization": "batch", "residual": True}}
RATES = (0.0, 0.25, 0.5)
SEEDS = (0, 1, 2)


def _fit(est, X, y):
    with warnings.catch_warnings():  # fixed epoch budgets: reaching max_iter is the plan here
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


def deep_networks(out):
    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    final = {}
    for name, tricks in DEEP.items():
        mlp = _fit(MLPClassifier((32,) * 8, activation="logistic", learning_rate_init=3e-3, batch_size=64, max_iter=30,
                                 n_iter_no_change=30, random_state=0, **tricks), X_train, y_train)
        final[name] = mlp.loss_curve_[-1]
        ax.plot(np.arange(1, mlp.n_iter_ + 1), mlp.loss_curve_, marker=".", label=f"{name} (test accuracy "
                f"{mlp.score(X_test, y_test):.2f})")
        print(f"{name}: final training loss = {final[name]:.4f}, test accuracy = {mlp.score(X_test, y_test):.3f}")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training cross-entropy (log scale)")
    ax.set_title("8 hidden layers of 32 sigmoid units on the digits:\n"
                 "the plain network does not learn, normalization and skips train it")
    ax.legend()
    save(fig, os.path.join(out, "deep_mlp_loss.png"))
    return final


def dropout_gap(out):
    X, y = make_moons(n_samples=1060, noise=0.45, random_state=0)
    X_train, y_train, X_test, y_test = X[:60], y[:60], X[60:], y[60:]
    train_acc, test_acc = [], []
    for p in RATES:
        scores = []
        for seed in SEEDS:
            mlp = _fit(MLPClassifier((128, 128), learning_rate_init=1e-2, batch_size=20, alpha=0.0, max_iter=300,
                                     n_iter_no_change=300, dropout=p, random_state=seed), X_train, y_train)
            scores.append((mlp.score(X_train, y_train), mlp.score(X_test, y_test)))
        tr, te = np.mean(scores, axis=0)
        train_acc.append(tr)
        test_acc.append(te)
        print(f"dropout {p}: training accuracy = {tr:.3f}, test accuracy = {te:.3f}, gap = {tr - te:.3f}")
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    pos = np.arange(len(RATES))
    ax.bar(pos - 0.2, train_acc, width=0.4, color="tab:blue", label="training accuracy (60 points)")
    ax.bar(pos + 0.2, test_acc, width=0.4, color="tab:orange", label="test accuracy (1000 points)")
    for i, (tr, te) in enumerate(zip(train_acc, test_acc)):
        ax.annotate(f"gap {tr - te:.3f}", (pos[i], max(tr, te) + 0.01), ha="center")
    ax.set_xticks(pos, [f"dropout {p}" for p in RATES])
    ax.set_ylim(0.6, 1.13)
    ax.set_xlabel("dropout rate of the hidden layers")
    ax.set_ylabel(f"accuracy (mean of {len(SEEDS)} seeds)")
    ax.set_title("MLP (128, 128), 300 epochs on 60 noisy two-moons points:\n"
                 "dropout shrinks the gap between training and test accuracy")
    ax.legend(loc="upper center", ncol=2)
    save(fig, os.path.join(out, "dropout_gap.png"))
    return [tr - te for tr, te in zip(train_acc, test_acc)]


def main(out):
    deep_networks(out)
    dropout_gap(out)


if __name__ == "__main__":
    run_example(main, __doc__)
