"""A fitted model pickled here loads on any install of this version, whatever backends it has;
computing on a backend that is missing there is a clear error, never a failed load."""
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

from mlbasics import get_backend, optim
from mlbasics.linear_model import LogisticRegression, Ridge
from mlbasics.neural_network import MLPClassifier

pytestmark = pytest.mark.filterwarnings("ignore::mlbasics.exceptions.ConvergenceWarning")

RNG = np.random.default_rng(0)
X = RNG.standard_normal((40, 3))
Y = (X[:, 0] + X[:, 1] > 0).astype(int)

# A child interpreter where the C++ extension cannot be imported (as on an install without it).
CHILD = """
import pickle, sys
import numpy as np
sys.modules["mlbasics._core"] = None
model, X, expected = pickle.load(open(sys.argv[1], "rb"))
try:
    got = model.predict_proba(X) if hasattr(model, "predict_proba") else model.predict(X)
except (ImportError, RuntimeError) as exc:
    print("error:", type(exc).__name__, exc)
    model.set_params(backend="numba")
    got = model.predict_proba(X) if hasattr(model, "predict_proba") else model.predict(X)
print("max diff", float(np.max(np.abs(got - expected))))
"""


def _in_child(tmp_path, model, env=None):
    expected = model.predict_proba(X) if hasattr(model, "predict_proba") else model.predict(X)
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps((model, X, expected)))
    full = {k: v for k, v in os.environ.items() if k != "MLBASICS_BACKEND"}
    full.update(env or {})
    out = subprocess.run([sys.executable, "-c", CHILD, str(path)], env=full, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.mark.parametrize("make", [lambda b: MLPClassifier(hidden_layer_sizes=(4,), max_iter=30, random_state=0,
                                                          dtype=np.float64, backend=b),
                                  lambda b: LogisticRegression(backend=b), lambda b: Ridge(backend=b)])
def test_models_fitted_with_auto_load_without_the_extension(tmp_path, make):
    model = make("auto").fit(X, Y)
    out = _in_child(tmp_path, model)
    # "auto" is the C++ backend and there is none: a clear ImportError, then numba on request
    assert "error: ImportError" in out and "MLBASICS_BACKEND=numba" in out
    assert float(out.split("max diff")[1]) < 1e-12
    out = _in_child(tmp_path, model, {"MLBASICS_BACKEND": "numba"})
    assert "error" not in out and float(out.split("max diff")[1]) < 1e-12


def test_an_explicit_missing_backend_is_an_error_only_when_computing(tmp_path):
    model = MLPClassifier(hidden_layer_sizes=(4,), max_iter=30, random_state=0, dtype=np.float64,
                          backend="cpp").fit(X, Y)
    out = _in_child(tmp_path, model)
    assert "error: RuntimeError backend 'cpp' is not available" in out
    assert float(out.split("max diff")[1]) < 1e-12


def test_pickles_keep_the_backend_as_given():
    mlp = MLPClassifier(hidden_layer_sizes=(4,), max_iter=5, random_state=0).fit(X, Y)
    assert mlp._optimizer.backend == "auto"
    opt = optim.Adam([np.zeros(3)], backend=get_backend("numpy"))
    again = pickle.loads(pickle.dumps(opt))
    assert again.backend is get_backend("numpy")
    with pytest.raises(ValueError, match="backend"):
        optim.SGD([np.zeros(3)], backend="fortran")
