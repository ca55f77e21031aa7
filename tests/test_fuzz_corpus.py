"""Replays the saved fuzz inputs (tests/fuzz/corpus/ and tests/fuzz/regressions/) through the
harness's one-input function, without atheris: each must end in a return or a ValueError/TypeError
(the harness raises ``Finding`` otherwise, and a crash ends the run)."""
import importlib.util
import pathlib

import pytest

FUZZ = pathlib.Path(__file__).parent / "fuzz"
INPUTS = sorted(p for d in ("corpus", "regressions") for p in (FUZZ / d).glob("*") if p.is_file()
                and p.name != "README.md")


def _harness():
    spec = importlib.util.spec_from_file_location("_mlbasics_fuzz_core", FUZZ / "fuzz_core.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def harness():
    return _harness()



def test_the_corpus_is_not_empty():
    assert len(INPUTS) >= 25, "tests/fuzz/corpus lost its seed inputs"


@pytest.mark.parametrize("path", INPUTS, ids=[f"{p.parent.name}/{p.name}" for p in INPUTS])
def test_saved_fuzz_input_ends_in_an_allowed_outcome(harness, restore_threads, path):
    harness.TestOneInput(path.read_bytes())
