"""Gradient descent with and without momentum on an ill-conditioned quadratic.

Course slide "(S)GD with Momentum": plain (S)GD W_{t+1} = W_t − ε_t ∇L(W_t) zig-zags across a
narrow valley; momentum, V_{t+1} = μV_t + (1 − μ)∇L(W_t), W_{t+1} = W_t − ε_t V_{t+1}, keeps
the long-term trend of the updates and drops the oscillations. The loss is
L(W) = ½ WᵀAW with A = diag(1, 25) (condition number 25), ∇L(W) = AW, from W₀ = (−10, 1.5),
60 steps each, with mlbasics.optim.SGD given the explicit gradients:

* plain GD: ε = 0.075, just under its stability limit 2/λ_max = 0.08;
* the course's momentum: SGD(momentum=μ, dampening=μ), μ = 0.7, ε = 0.2, started from
  V₀ = 0 — V averages the gradients, so the oscillating component cancels and ε may exceed
  2/λ_max;
* Nesterov: SGD(momentum=0.7, nesterov=True) (torch's form, no dampening), lr = 0.04.

sgd_momentum.png shows the three trajectories over the contours of L (top) and L per step on
a log scale (bottom).

    python examples/sgd_momentum.py [--out DIR]
"""
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from mlbasics.optim import SGD  # noqa: E402
from mlbasics.plotting import plot_loss_curve  # noqa: E402
from _example import run_example, save  # noqa: E402

A = np.array([1.0, 25.0])             # the diagonal of A
STEPS = 60


def loss(W):
    return 0.5 * np.sum(A * W * W, axis=-1)          # L(W) = ½ WᵀAW


def run(v0_zero=False, **hyper):
    W = np.array([-10.0, 1.5])
    opt = SGD([W], **hyper)
    if v0_zero:  # the slide's V₀ = 0, so V₁ = (1 − μ)∇L (torch's rule would start from V₁ = ∇L)
        state = opt.state_dict()
        state["state"] = {0: {"step": 0, "momentum_buffer": np.zeros_like(W)}}
        opt.load_state_dict(state)
    path = [W.copy()]
    for _ in range(STEPS):
        opt.step([A * W])                            # ∇L(W) = AW; W is updated in place
        path.append(W.copy())
    return np.array(path)


def main(out):
    runs = {"plain GD (ε = 0.075)": run(lr=0.075),
            "momentum μ = 0.7, course form (ε = 0.2)": run(lr=0.2, momentum=0.7, dampening=0.7, v0_zero=True),
            "Nesterov μ = 0.7 (lr = 0.04)": run(lr=0.04, momentum=0.7, nesterov=True)}

    fig, (ax0, ax1) = plt.subplots(2, 1, figsize=(10, 8), gridspec_kw={"height_ratios": (1, 1.3)})
    w1, w2 = np.meshgrid(np.linspace(-11, 2, 300), np.linspace(-2.2, 2.2, 200))
    ax0.contour(w1, w2, loss(np.stack([w1, w2], axis=-1)), levels=np.geomspace(0.05, 100, 12),
                colors="lightgray", linewidths=0.8)
    for (name, path), color in zip(runs.items(), ("C0", "C1", "C2")):
        ax0.plot(path[:, 0], path[:, 1], "o-", color=color, markersize=3, linewidth=1, label=name)
        plot_loss_curve(loss(path[1:]), ax=ax1, label=name, log_scale=True)
    ax0.plot(0, 0, "k*", markersize=12, label="minimum W* = 0")
    ax0.set(aspect="equal", xlabel="W₁", ylabel="W₂",
            title="Momentum damps plain GD's zig-zag across the narrow valley\n"
                  "of L(W) = ½ WᵀAW, A = diag(1, 25) (grey: levels of L)")
    ax0.legend(fontsize=8, loc="lower right")
    ax1.set(xlabel="step t", ylabel="L(W_t) (log scale)",
            title=f"Loss per step: momentum and Nesterov end orders of magnitude lower ({STEPS} steps)")
    fig.tight_layout()
    path = os.path.join(out, "sgd_momentum.png")
    save(fig, path)
    final = [loss(p[-1]) for p in runs.values()]
    print(f"final loss after {STEPS} steps: plain GD = {final[0]:.3e}, momentum = {final[1]:.3e}, "
          f"Nesterov = {final[2]:.3e}")


if __name__ == "__main__":
    run_example(main, __doc__)
