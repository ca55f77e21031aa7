"""The one parameter-validation vocabulary (mlbasics._validation) and the rules it enforces everywhere."""
import ast
import numbers
import pathlib

import numpy as np
import pytest

import mlbasics
from mlbasics._validation import (HasMethods, InstanceOf, Interval, Options, check_param, check_random_state,
                                  check_scalar, validate_params)

TABLE = {
    "alpha": [Interval(numbers.Real, 0, None)],
    "C": [Interval(numbers.Real, 0, None, closed="right")],
    "max_iter": [Interval(numbers.Integral, 1, None)],
    "frac": [Interval(numbers.Real, 0, 1, closed="neither")],
    "solver": [Options(("auto", "svd"))],
    "penalty": [Options(("l2",)), None],
    "flag": ["boolean"],
    "random_state": ["random_state"],
    "callback": [None, "callable"],
    "cv": [None, Interval(numbers.Integral, 2, None), HasMethods(("split",))],
    "dtype": [InstanceOf(type)],
}


class _Splitter:
    def split(self, X):  # pragma: no cover - never called
        yield X, X


GOOD = [("alpha", 0), ("alpha", 2.5), ("alpha", np.float32(1)), ("C", 1e-300), ("max_iter", 1),
        ("max_iter", np.int64(7)), ("frac", 0.5), ("solver", "svd"), ("penalty", None), ("penalty", "l2"),
        ("flag", True), ("flag", np.bool_(False)), ("random_state", None), ("random_state", 0),
        ("random_state", np.random.RandomState(0)), ("random_state", np.random.default_rng(0)),
        ("callback", print), ("cv", None), ("cv", 5), ("cv", _Splitter()), ("dtype", np.float32)]

BAD = [  # (name, value, exception, phrase in the message)
    ("alpha", -1, ValueError, "[0, inf)"), ("alpha", np.nan, ValueError, "got nan"),
    ("alpha", "1", TypeError, "got '1'"), ("alpha", True, TypeError, "got True"),
    ("C", 0.0, ValueError, "(0, inf)"), ("max_iter", 0, ValueError, "an int in [1, inf)"),
    ("max_iter", 2.5, TypeError, "an int"), ("max_iter", 3.0, TypeError, "an int"),
    ("frac", 1.0, ValueError, "(0, 1)"), ("frac", 0, ValueError, "(0, 1)"),
    ("solver", "qr", ValueError, "one of {'auto', 'svd'}"), ("solver", 3, TypeError, "one of"), ("solver", None, TypeError, "one of"),
    ("penalty", "l1", ValueError, "or None"), ("penalty", 1, TypeError, "or None"), ("flag", 1, TypeError, "True or False"),
    ("flag", "yes", TypeError, "True or False"), ("random_state", -1, ValueError, "random_state"),
    ("random_state", 2 ** 32, ValueError, "RandomState"), ("random_state", "x", TypeError, "Generator"),
    ("random_state", 1.5, TypeError, "random_state"), ("callback", 3, TypeError, "callable"),
    ("cv", 1, ValueError, "[2, inf)"), ("cv", 2.5, TypeError, "split"), ("cv", "kfold", TypeError, "split"),
    ("dtype", "float32", TypeError, "type"),
]


@pytest.mark.parametrize("name,value", GOOD, ids=[f"{n}={v!r}"[:40] for n, v in GOOD])
def test_accepted_values_pass_unchanged(name, value):
    assert check_param(name, value, TABLE[name]) is value
    validate_params({name: value}, TABLE)


@pytest.mark.parametrize("name,value,exc,phrase", BAD, ids=[f"{n}={v!r}"[:40] for n, v, _, _ in BAD])
def test_rejected_values_name_the_parameter(name, value, exc, phrase):
    with pytest.raises(exc) as info:
        validate_params({name: value}, TABLE)
    message = str(info.value)
    assert message.startswith(f"{name}: expected "), message
    assert phrase in message, message


def test_validate_params_skips_unlisted_and_no_validation_entries():
    validate_params({"other": object(), "alphas": "anything"}, {"alphas": "no_validation", "alpha": TABLE["alpha"]})


def test_check_scalar_speaks_the_same_vocabulary():
    with pytest.raises(ValueError, match=r"^tol: expected a number in \[0, inf\), got -1$"):
        check_scalar(-1, "tol", numbers.Real, low=0)
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        check_scalar(0.0, "x", numbers.Real, low=0, high=1, low_open=True)
    # np.bool_ is a boolean everywhere (it used to be rejected by check_scalar and accepted by the MLP)
    assert check_scalar(np.bool_(True), "shuffle", bool) is not None


def test_random_state_kinds():
    a = check_random_state(3).standard_normal(4)
    assert np.array_equal(a, np.random.default_rng(3).standard_normal(4))
    g = np.random.default_rng(5)
    assert check_random_state(g) is g
    # a RandomState gives the same stream for the same state, and advances
    r1, r2 = np.random.RandomState(7), np.random.RandomState(7)
    assert np.array_equal(check_random_state(r1).random(3), check_random_state(r2).random(3))
    assert not np.array_equal(check_random_state(r1).random(3), check_random_state(np.random.RandomState(7)).random(3))


@pytest.mark.filterwarnings("ignore::mlbasics.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("seed", [np.random.RandomState(0), np.random.default_rng(0), 0, None])
def test_estimators_take_every_random_state_kind(seed):
    from mlbasics.datasets import make_classification
    from mlbasics.linear_model import Perceptron
    from mlbasics.model_selection import train_test_split
    from mlbasics.neural_network import MLPClassifier

    X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    Perceptron(random_state=seed, max_iter=5, tol=None).fit(X, y)
    MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=seed, backend="numpy").fit(X, y)
    train_test_split(X, y, random_state=seed)


def _imports(path: pathlib.Path, package: str) -> set:
    """Modules of mlbasics imported anywhere in ``path`` (function-level imports included)."""
    module = package + "." + ".".join(path.with_suffix("").parts[path.parts.index("mlbasics") + 1:])
    if module.endswith(".__init__"):
        module = module[: -len(".__init__")]
        base = module
    else:
        base = module.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                parts = base.split(".")
                root = ".".join(parts[: len(parts) - node.level + 1])
                target = f"{root}.{node.module}" if node.module else root
            else:
                target = node.module or ""
            if target.startswith(package):
                found.add(target)
                for alias in node.names:  # "from . import kernels" imports a module
                    found.add(f"{target}.{alias.name}")
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith(package))
    return found


def test_no_import_cycle_between_modules():
    """Walk every import of every module (also inside functions): the graph has no cycle.

    Package ``__init__`` files only re-export what their own submodules define, so the edges into
    a package are those of the submodules it imports; a cycle through them is still found.
    """
    root = pathlib.Path(mlbasics.__file__).parent
    modules = {}
    for path in root.rglob("*.py"):
        rel = path.relative_to(root.parent).with_suffix("")
        name = ".".join(rel.parts)
        name = name[: -len(".__init__")] if name.endswith(".__init__") else name
        modules[name] = path
    graph = {name: {t for t in _imports(path, "mlbasics") if t in modules and t != name}
             for name, path in modules.items()}
    # a package's own __init__ is imported by its submodules implicitly: not an edge of ours
    for name in graph:
        graph[name] = {t for t in graph[name] if not name.startswith(t + ".")}
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycle = stack[stack.index(nxt):] + [nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert "mlbasics._validation" in graph and graph["mlbasics._validation"] <= {"mlbasics.exceptions"}
