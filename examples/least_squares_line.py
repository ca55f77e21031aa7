"""Least-squares line fit — the course's "Sum of Square Errors" / "Code Example" slides.

Noisy samples yⁱ = w₀ + w₁xⁱ + εⁱ of a line; LinearRegression(solver="normal") solves the
normal equations w* = (ΦᵀΦ)⁻¹Φᵀy with the basis φ(x) = (1, x) (the constant column is the
intercept). The picture shows the points, the true line and the fitted line, with the
residuals εⁱ drawn as vertical segments.

    python examples/least_squares_line.py [--out DIR]
"""
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from mlbasics.linear_model import LinearRegression  # noqa: E402
from _example import run_example, save  # noqa: E402


def main(out):
    rng = np.random.default_rng(0)
    w_true = np.array([1.0, 0.7])                       # (w₀ offset, w₁ slope)
    x = np.sort(rng.uniform(-5, 5, 30))
    y = w_true[0] + w_true[1] * x + rng.normal(0, 1.0, x.size)   # y = Φw + ε

    model = LinearRegression(solver="normal").fit(x.reshape(-1, 1), y)
    w = np.array([model.intercept_, model.coef_[0]])    # w* = (ΦᵀΦ)⁻¹Φᵀy
    y_hat = model.predict(x.reshape(-1, 1))
    sse = float(np.sum((y - y_hat) ** 2))               # L(w*) = Σ (εⁱ)²

    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.vlines(x, y, y_hat, color="gray", linewidth=0.8, label="residuals εⁱ")
    ax.scatter(x, y, s=20, color="k", zorder=3, label="data (xⁱ, yⁱ)")
    grid = np.linspace(-5.5, 5.5, 2)
    ax.plot(grid, w_true[0] + w_true[1] * grid, "--", color="C0", label="true line")
    ax.plot(grid, model.predict(grid.reshape(-1, 1)), color="C3",
            label=f"least squares: y = {w[0]:.2f} + {w[1]:.2f}x")
    ax.set(xlabel="x", ylabel="y",
           title="Least squares: the line with the smallest sum of squared residuals\n"
                 "w* = (ΦᵀΦ)⁻¹Φᵀy lands close to the true line")
    ax.legend()
    fig.tight_layout()
    path = os.path.join(out, "least_squares_line.png")
    save(fig, path)
    print(f"w = [{w[0]:.4f}, {w[1]:.4f}] (true [{w_true[0]}, {w_true[1]}]), SSE = {sse:.4f}")


if __name__ == "__main__":
    run_example(main, __doc__)
