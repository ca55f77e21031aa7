"""Every docstring example in the package runs as a doctest (numpydoc "Examples" sections)."""
import doctest
import importlib
import pkgutil

import numpy as np
import pytest

import mlbasics

# Modules whose import needs an optional extra that the test environment may lack are skipped
# when it is missing; every other import failure is an error.
_OPTIONAL = {"mlbasics.plotting": "matplotlib", "mlbasics._dask": "dask.array"}


def _modules():
    names = ["mlbasics"]
    for info in pkgutil.walk_packages(mlbasics.__path__, "mlbasics."):
        if info.name.endswith("__main__"):
            continue
        names.append(info.name)
    return sorted(names)


MODULES = _modules()


def test_the_walk_finds_the_documented_modules():
    for name in ("mlbasics.linear_model._ridge", "mlbasics.metrics", "mlbasics.backends._contract.gemm",
                 "mlbasics._validation", "mlbasics.neural_network"):
        assert name in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    if name in _OPTIONAL:
        pytest.importorskip(_OPTIONAL[name])
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = [t for t in finder.find(module, name, extraglobs={"np": np}) if t.examples]
    # only the module's own objects: re-exports are tested where they are defined
    tests = [t for t in tests if t.name.startswith(name)]
    report: list = []
    for test in tests:
        runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)
    assert runner.tries == sum(len(t.examples) for t in tests)
