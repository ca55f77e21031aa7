"""The optimizer table (backends/_optim_table.py) is the one schema: every layer agrees with it."""
import inspect

import numpy as np
import pytest

from mlbasics import optim
from mlbasics.backends import Backend
from mlbasics.backends._optim_table import FUSED_OPTIMIZERS, OPTIMIZERS, REQUIRED


@pytest.mark.parametrize("kind", sorted(OPTIMIZERS))
def test_contract_signature_defaults_are_the_table_defaults(kind):
    spec = OPTIMIZERS[kind]
    sig = inspect.signature(getattr(Backend, spec.kernel))
    keywords = {n: p.default for n, p in sig.parameters.items()
                if p.kind is p.KEYWORD_ONLY and n not in ("step", "first_step")}
    expected = {k: (inspect.Parameter.empty if v is REQUIRED else v) for k, v in spec.public_defaults().items()}
    # AdamW's flag is a keyword of adam_step too
    assert keywords == expected
    positional = [n for n, p in sig.parameters.items() if p.kind is p.POSITIONAL_OR_KEYWORD][3:]
    assert len(positional) == len(spec.state)  # param, grad, then one argument per state slot


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam, optim.AdamW, optim.RMSprop, optim.Adagrad,
                                 optim.Adadelta, optim.Rprop])
def test_optimizer_classes_take_state_names_from_the_table(cls):
    assert cls._kernel in OPTIMIZERS
    assert cls._state_keys == OPTIMIZERS[cls._kernel].state
    p = np.zeros(3)
    opt = cls([p], lr=0.1)
    kind, hyper, state, _, _ = opt._fused_spec()
    assert kind in FUSED_OPTIMIZERS
    OPTIMIZERS[FUSED_OPTIMIZERS[kind][0]].raw_hyper(hyper, fixed=FUSED_OPTIMIZERS[kind][1])  # accepted as is
    opt._fused_advance(0)


def test_mlp_solvers_are_the_table_rows():
    from mlbasics.neural_network import _SOLVERS

    assert set(_SOLVERS) == set(OPTIMIZERS)


def test_numba_epoch_branches_follow_the_table():
    from mlbasics.backends.numba.mlp import _KINDS

    assert list(_KINDS) == list(OPTIMIZERS)


def test_raw_hyper_checks_and_unpacks():
    rprop = OPTIMIZERS["rprop"]
    raw = rprop.raw_hyper({"etas": (0.4, 1.3)})
    assert list(raw) == ["etaminus", "etaplus", "step_size_min", "step_size_max"]
    assert raw["etaminus"] == 0.4 and raw["step_size_max"] == 50.0
    with pytest.raises(ValueError, match=r"etas\[1\]"):
        rprop.raw_hyper({"etas": (0.4, 0.9)})
    with pytest.raises(TypeError, match="etas"):
        rprop.raw_hyper({"etas": 0.5})
    with pytest.raises(ValueError, match="unknown"):
        rprop.raw_hyper({"lr": 0.1})
    with pytest.raises(ValueError, match="needs 'lr'"):
        OPTIMIZERS["sgd"].raw_hyper({})
    assert OPTIMIZERS["sgd"].needed_state(OPTIMIZERS["sgd"].raw_hyper({"lr": 0.1})) == {"momentum_buffer": False}


def test_the_cpp_table_has_the_same_rows():
    """cpp/include/mlbasics/mlp.hpp declares the optimizer rows once for C++; they must be ours."""
    from mlbasics import _core

    cpp = _core.optimizer_schema()
    assert list(cpp) == list(OPTIMIZERS)
    for kind, spec in OPTIMIZERS.items():
        assert cpp[kind]["hyper"] == [h.name for h in spec.hyper], kind
        assert cpp[kind]["state"] == list(spec.state), kind
