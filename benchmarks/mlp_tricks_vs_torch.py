"""Issue #11's speed targets side by side in one process, one thread, on a shared machine.

    python benchmarks/mlp_tricks_vs_torch.py [--samples 60000] [--repeat 5]

One epoch of 784-256-256-10, batch 64, float32, SGD (lr 0.01, momentum 0.9, L2 1e-4): the cpp
kernel with batch norm + dropout 0.2 + residual, the same network plain on cpp, and the PyTorch
loop of the tricks network (torch.nn modules, optim.SGD), interleaved round by round. Times are
the process's CPU time (time.process_time): on a machine shared with other jobs the wall clock
mostly measures the scheduler, while every implementation here runs on one thread. Prints the
medians, torch/cpp and the tricks' cost over the plain epoch, and the load average.
"""
import argparse
import os
import time

import numpy as np

import mlbasics

SIZES, BATCH = (784, 256, 256, 10), 64


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=60_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    import torch

    mlbasics.set_num_threads(1)
    torch.set_num_threads(1)
    n = args.samples
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], n)
    order = rng.permutation(n)
    plain, tricks = [], []
    for l, (a, b) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        bound = np.sqrt(6 / (a + b))
        wb = [rng.uniform(-bound, bound, a * b), rng.uniform(-bound, bound, b)]
        plain += wb
        tricks += wb + ([np.ones(b), np.zeros(b)] if l < len(SIZES) - 2 else [])
    p_plain, p_tricks = np.concatenate(plain).astype(np.float32), np.concatenate(tricks).astype(np.float32)
    cpp = mlbasics.get_backend("cpp")

    def cpp_epoch(with_tricks):
        p = (p_tricks if with_tricks else p_plain).copy()
        kw = {}
        if with_tricks:
            running = np.concatenate([np.r_[np.zeros(m), np.ones(m)] for m in SIZES[1:-1]]).astype(np.float32)
            kw = dict(dropout=0.2, seed=1, normalization="batch", residual=True, running_stats=running)
        t0 = time.process_time()
        cpp.mlp_epoch(X, y, order, p, np.empty_like(p), {"momentum_buffer": np.empty_like(p)}, layer_sizes=SIZES,
                      activation="relu", loss="softmax_cross_entropy", alpha=1e-4, batch_size=BATCH,
                      optimizer="sgd", hyper=dict(lr=0.01, momentum=0.9), step=0, first_step=True, **kw)
        return time.process_time() - t0

    Xt, yt, ot = torch.from_numpy(X), torch.from_numpy(y), torch.from_numpy(order)

    def torch_epoch():
        nn = torch.nn
        l1, n1, l2, n2, l3 = (nn.Linear(784, 256), nn.BatchNorm1d(256), nn.Linear(256, 256), nn.BatchNorm1d(256),
                              nn.Linear(256, 10))
        drop = nn.Dropout(0.2)
        opt = torch.optim.SGD([q for m in (l1, n1, l2, n2, l3) for q in m.parameters()], lr=0.01, momentum=0.9,
                              weight_decay=1e-4)
        loss_fn = nn.CrossEntropyLoss()
        t0 = time.process_time()
        for s in range(0, n, BATCH):
            idx = ot[s:s + BATCH]
            opt.zero_grad()
            h = drop(torch.relu(n1(l1(Xt[idx]))))
            h = h + drop(torch.relu(n2(l2(h))))
            loss_fn(l3(h), yt[idx]).backward()
            opt.step()
        return time.process_time() - t0

    cpp_epoch(True), cpp_epoch(False)  # first-touch of the buffers
    runs = {"cpp tricks": [], "cpp plain": [], "torch tricks": []}
    for _ in range(args.repeat):
        runs["cpp tricks"].append(cpp_epoch(True))
        runs["cpp plain"].append(cpp_epoch(False))
        runs["torch tricks"].append(torch_epoch())
    med = {k: float(np.median(v)) for k, v in runs.items()}
    print(f"cpu path {mlbasics._core.cpu_path()}, {n:,} samples, {args.repeat} rounds, process CPU seconds")
    for k, v in runs.items():
        print(f"  {k:13s} median {med[k]:.3f} s   runs {[round(t, 3) for t in v]}")
    print(f"  torch / cpp (tricks) = {med['torch tricks'] / med['cpp tricks']:.2f}x; "
          f"tricks over plain on cpp = {100 * (med['cpp tricks'] / med['cpp plain'] - 1):.1f}%; "
          f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
