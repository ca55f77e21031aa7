"""A multi-layer perceptron on the 8×8 digits — the course's MLP training, end to end.

load_digits (1797 images of 64 pixels, 10 classes), a 75/25 train/test split, standardized
pixels, and an MLPClassifier with one hidden layer of 64 ReLU units trained by Adam on
mini-batches of 32 until the training loss stops improving (about 45 epochs).
digits_confusion.png is the test set's confusion matrix (rows: true digit, columns: predicted
digit); digits_loss.png is the training cross-entropy per epoch (log scale).

    python examples/digits_mlp.py [--out DIR]
"""
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from mlbasics.datasets import load_digits  # noqa: E402
from mlbasics.metrics import accuracy_score  # noqa: E402
from mlbasics.model_selection import train_test_split  # noqa: E402
from mlbasics.neural_network import MLPClassifier  # noqa: E402
from mlbasics.plotting import plot_confusion_matrix, plot_loss_curve  # noqa: E402
from mlbasics.preprocessing import StandardScaler  # noqa: E402
from _example import run_example, save  # noqa: E402


def main(out):
    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    scaler = StandardScaler().fit(X_train)          # statistics from the training set only
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

    mlp = MLPClassifier(hidden_layer_sizes=(64,), solver="adam", learning_rate_init=3e-3, batch_size=32,
                        max_iter=100, random_state=0).fit(X_train, y_train)
    y_pred = mlp.predict(X_test)
    acc = accuracy_score(y_test, y_pred)

    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    plot_confusion_matrix(y_test, y_pred, ax=ax)
    ax.set_title(f"Digits, MLP (64,), test set: accuracy {acc:.3f}\n"
                 "correct answers on the diagonal, confusions off it")
    save(fig, os.path.join(out, "digits_confusion.png"))

    fig, ax = plt.subplots(figsize=(6, 4))
    plot_loss_curve(mlp, ax=ax, log_scale=True, label="training cross-entropy")
    ax.set_title(f"The training loss falls steadily until it levels off\n(Adam, {mlp.n_iter_} epochs)")
    save(fig, os.path.join(out, "digits_loss.png"))
    print(f"test accuracy = {acc:.4f} on {len(y_test)} digits (train {len(y_train)}), "
          f"final training loss = {mlp.loss_:.4f} after {mlp.n_iter_} epochs")


if __name__ == "__main__":
    run_example(main, __doc__)
