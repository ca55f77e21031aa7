"""Ctrl-C during fit: a real SIGINT sent to a child process that is training.

The MLPs stop at the next slice of minibatches, warn "Training interrupted by user" and keep a
consistent model (weights, optimizer state and step count from the same last minibatch; n_iter_,
t_ and loss_curve_ matching it), as scikit-learn's do. Every other estimator lets
KeyboardInterrupt propagate and is left as it was before fit.

Latency is asserted only with a wide margin (timings are noisy on shared machines); what it
guards against is the old behaviour, where the interrupt waited for the end of a whole epoch.
"""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is POSIX")

TIMEOUT = 120

MLP_CHILD = r"""
import json, sys, time, warnings
import numpy as np
from mlbasics.neural_network import MLPClassifier

backend, solver = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(0)
X = rng.standard_normal((20000, 200)).astype(np.float32)
y = (X[:, :10].sum(axis=1) > 0).astype(int)
make = lambda max_iter: MLPClassifier(hidden_layer_sizes=(512,), batch_size=64, max_iter=max_iter, solver=solver,
                                     backend=backend, random_state=0, tol=0.0, n_iter_no_change=10_000,
                                     learning_rate_init=1e-4)
with warnings.catch_warnings():  # compile the kernels first (a cold Numba cache), so the signal meets training
    warnings.simplefilter("ignore")
    make(1).fit(X[:128], y[:128])
clf = make(10_000)
print("training", flush=True)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    clf.fit(X, y)
done = time.time()
state = clf._optimizer.state[0]
n, batch = X.shape[0], 64
full, rest = divmod(clf.t_, n)
batches = full * (-(-n // batch)) + (-(-rest // batch))
print(json.dumps({
    "done": done, "warned": [str(w.message) for w in caught],
    "n_iter": clf.n_iter_, "curve": len(clf.loss_curve_), "t": clf.t_, "step": int(state["step"]),
    "expected_step": int(batches), "finite": bool(np.isfinite(clf._params_flat).all()),
    "score": float(clf.score(X[:500], y[:500])),
}), flush=True)
clf.partial_fit(X[:256], y[:256])  # training can go on from the consistent state
print("continued", int(clf._optimizer.state[0]["step"]), flush=True)
"""

OTHER_CHILD = r"""
import json, sys, time
import numpy as np
from mlbasics.linear_model import LogisticRegression, Perceptron

name, backend = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(0)
X = rng.standard_normal((60000, 150))
y = np.argmax(X @ rng.standard_normal((150, 10)), axis=1)  # separable: without a penalty the fit never ends
# gradient descent on separable data without a penalty: the loss keeps falling, so the fit only ends
# at max_iter (L-BFGS may stop early, on its relative-decrease test)
make = {"LogisticRegression": lambda: LogisticRegression(penalty=None, solver="gd", max_iter=10**6, tol=0.0,
                                                         backend=backend),
        "Perceptron": lambda: Perceptron(max_iter=100_000, tol=None, backend=backend, random_state=0)}[name]
est = make().fit(X[:200], y[:200])  # a previous fit, which an interrupted fit must leave in place
before = est.coef_.copy()
print("training", flush=True)
try:
    est.fit(X, y)
    print(json.dumps({"interrupted": False}), flush=True)
except KeyboardInterrupt:
    print(json.dumps({"interrupted": True, "done": time.time(), "unchanged": bool(np.array_equal(est.coef_, before)),
                      "n_features": est.n_features_in_}), flush=True)
fresh = make()
print("training", flush=True)
try:
    fresh.fit(X, y)
except KeyboardInterrupt:
    print(json.dumps({"unfitted": not hasattr(fresh, "coef_")}), flush=True)
"""


class Child:
    """A Python child process reading a script from -c; lines of its stdout one by one."""

    def __init__(self, code, *args):
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen([sys.executable, "-W", "ignore::UserWarning", "-c", code, *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)

    def line(self):
        deadline = time.time() + TIMEOUT
        while time.time() < deadline:
            out = self.proc.stdout.readline()
            if out:
                return out.strip()
            if self.proc.poll() is not None:
                pytest.fail(f"child exited early with code {self.proc.returncode}")
        pytest.fail("child said nothing in time")

    def interrupt_after(self, seconds):
        assert self.line() == "training"
        time.sleep(seconds)
        sent = time.time()
        self.proc.send_signal(signal.SIGINT)
        return sent

    def close(self):
        """Wait for the child (kill it past the timeout); keep what it wrote to stderr."""
        try:
            self.proc.wait(TIMEOUT)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self.stderr = self.proc.stderr.read()
            self.proc.stdout.close()
            self.proc.stderr.close()


@pytest.mark.parametrize("backend", ["cpp", "numba", "numpy"])
@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_mlp_stops_at_a_consistent_minibatch(backend, solver):
    child = Child(MLP_CHILD, backend, solver)
    try:
        sent = child.interrupt_after(3.0)
        report = json.loads(child.line())
        assert child.line().startswith("continued")
    finally:
        child.close()
    assert child.proc.returncode == 0, child.stderr
    assert "Training interrupted by user." in report["warned"]
    assert report["step"] == report["expected_step"] > 0   # the step count matches the weights
    assert report["n_iter"] == report["curve"] >= 1
    assert report["finite"] and report["score"] > 0.5
    latency = report["done"] - sent
    assert latency < 5.0, f"the interrupt took {latency:.2f} s"  # an epoch here takes far longer


@pytest.mark.parametrize("name", ["LogisticRegression", "Perceptron"])
def test_other_estimators_propagate_and_keep_their_previous_fit(name):
    child = Child(OTHER_CHILD, name, "cpp")
    try:
        sent = child.interrupt_after(2.0)
        report = json.loads(child.line())
        child.interrupt_after(1.0)
        second = json.loads(child.line())
    finally:
        child.close()
    assert report["interrupted"] and report["unchanged"] and report["n_features"] == 150
    assert second["unfitted"]
    assert report["done"] - sent < 5.0
