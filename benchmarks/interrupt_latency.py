"""How long Ctrl-C takes to stop a fit: a real SIGINT sent to a child process that is training.

    python benchmarks/interrupt_latency.py [--wait 3] [--small]

For each estimator and backend a child process starts fitting, the parent waits ``--wait``
seconds, sends SIGINT and reports the time until the child is back in Python with the fit
stopped (the MLPs keep their model and warn; the others raise KeyboardInterrupt). The MLP case
is the one from the reliability issue: 200,000 × 784 float32, one hidden layer of 512 units,
batch 64 (``--small`` uses 20,000 rows).
"""
import argparse
import os
import signal
import subprocess
import sys
import time

CHILD = r"""
import sys, time, warnings
import numpy as np
name, backend, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
rng = np.random.default_rng(0)
if name == "MLPClassifier":
    from mlbasics.neural_network import MLPClassifier
    X = rng.standard_normal((rows, 784)).astype(np.float32)
    y = (X[:, :10].sum(axis=1) > 0).astype(int)
    est = MLPClassifier(hidden_layer_sizes=(512,), batch_size=64, max_iter=1000, backend=backend, random_state=0)
else:
    from mlbasics.linear_model import LogisticRegression, Perceptron
    X = rng.standard_normal((60000, 150))
    y = np.argmax(X @ rng.standard_normal((150, 10)), axis=1)
    est = {"LogisticRegression": LogisticRegression(penalty=None, solver="gd", max_iter=10**6, tol=0.0,
                                                    backend=backend),
           "Perceptron": Perceptron(max_iter=10**6, tol=None, backend=backend)}[name]
warnings.simplefilter("ignore")
est.fit(X[:128], y[:128])  # compile the kernels first (a cold Numba cache), so the signal meets training
print("training", flush=True)
try:
    est.fit(X, y)
except KeyboardInterrupt:
    pass
print(time.time(), flush=True)
"""


def measure(name, backend, rows, wait):
    proc = subprocess.Popen([sys.executable, "-c", CHILD, name, backend, str(rows)], stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONUNBUFFERED="1"))
    try:
        assert proc.stdout.readline().strip() == "training"
        time.sleep(wait)
        sent = time.time()
        proc.send_signal(signal.SIGINT)
        stopped = float(proc.stdout.readline())
        proc.wait(60)
        return stopped - sent
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wait", type=float, default=3.0, help="seconds of training before SIGINT")
    parser.add_argument("--small", action="store_true", help="20,000 rows for the MLP instead of 200,000")
    args = parser.parse_args()
    rows = 20_000 if args.small else 200_000
    print(f"{'estimator':<20} {'backend':<8} latency")
    for name in ("MLPClassifier", "LogisticRegression", "Perceptron"):
        for backend in ("cpp", "numba", "numpy"):
            print(f"{name:<20} {backend:<8} {measure(name, backend, rows, args.wait) * 1e3:7.0f} ms", flush=True)


if __name__ == "__main__":
    main()
