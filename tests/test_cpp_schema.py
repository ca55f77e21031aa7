"""The C++ optimizer schema (``_core.optimizer_schema()``) and how ``_core.mlp_epoch`` reads the
``hyper`` and ``state`` dicts by it: unknown or missing keys are ValueErrors, never a crash."""
import numpy as np
import pytest

from mlbasics import _core

# The literal table the Python side agrees on: per kind, the hyper-parameter and state names.
EXPECTED = {
    "sgd": {"hyper": {"lr", "momentum", "dampening", "weight_decay", "nesterov"},
            "state": {"momentum_buffer"}},
    "adam": {"hyper": {"lr", "beta1", "beta2", "eps", "weight_decay", "decoupled_weight_decay"},
             "state": {"exp_avg", "exp_avg_sq"}},
    "rmsprop": {"hyper": {"lr", "alpha", "eps", "weight_decay", "momentum", "centered"},
                "state": {"square_avg", "momentum_buffer", "grad_avg"}},
    "adagrad": {"hyper": {"lr", "lr_decay", "weight_decay", "eps"},
                "state": {"sum"}},
    "adadelta": {"hyper": {"lr", "rho", "eps", "weight_decay"},
                 "state": {"square_avg", "acc_delta"}},
    "rprop": {"hyper": {"etaminus", "etaplus", "step_size_min", "step_size_max"},
              "state": {"prev", "step_size"}},
}

HYPER = {
    "sgd": dict(lr=0.1, momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=False),
    "adam": dict(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, decoupled_weight_decay=False),
    "rmsprop": dict(lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.5, centered=True),
    "adagrad": dict(lr=0.01, lr_decay=0.0, weight_decay=0.0, eps=1e-10),
    "adadelta": dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0),
    "rprop": dict(etaminus=0.5, etaplus=1.2, step_size_min=1e-6, step_size_max=50.0),
}

SIZES = [3, 4, 2]
N_PARAMS = (3 + 1) * 4 + (4 + 1) * 2


def test_schema_matches_the_expected_table():
    schema = _core.optimizer_schema()
    assert set(schema) == set(EXPECTED)
    for kind, expected in EXPECTED.items():
        assert set(schema[kind]) == {"hyper", "state"}
        for part in ("hyper", "state"):
            names = schema[kind][part]
            assert isinstance(names, list) and len(names) == len(set(names)), (kind, part)  # no repeats
            assert set(names) == expected[part], (kind, part)


def test_schema_is_a_fresh_dict_of_lists():
    a = _core.optimizer_schema()
    a["sgd"]["hyper"].append("bogus")
    assert "bogus" not in _core.optimizer_schema()["sgd"]["hyper"]


def _call(kind, hyper, state, dtype=np.float64):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, SIZES[0])).astype(dtype)
    y = rng.integers(0, SIZES[-1], 6).astype(np.int64)
    order = np.arange(6, dtype=np.int64)
    params = (0.1 * rng.standard_normal(N_PARAMS)).astype(dtype)
    grads = np.zeros(N_PARAMS, dtype)
    return _core.mlp_epoch(X, y, order, params, grads, state, SIZES, 0, 0, 0.0, 3, kind, hyper, 0, True)


def _state(kind, dtype=np.float64):
    st = {name: np.zeros(N_PARAMS, dtype) for name in EXPECTED[kind]["state"]}
    if kind == "rprop":
        st["step_size"][:] = 0.01
    return st


@pytest.mark.parametrize("kind", list(EXPECTED))
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_every_kind_runs_with_exactly_its_keys(kind, dtype):
    loss_sum, steps = _call(kind, HYPER[kind], _state(kind, dtype), dtype)
    assert steps == 2 and np.isfinite(loss_sum)


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_unknown_hyper_key_is_a_value_error(kind):
    with pytest.raises(ValueError, match="hyper: unknown key 'bogus'"):
        _call(kind, dict(HYPER[kind], bogus=1.0), _state(kind))


def test_a_key_of_another_kind_is_unknown():
    with pytest.raises(ValueError, match="hyper: unknown key 'beta1' for 'sgd'"):
        _call("sgd", dict(HYPER["sgd"], beta1=0.9), _state("sgd"))


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_missing_hyper_key_is_a_value_error(kind):
    for key in EXPECTED[kind]["hyper"]:
        hyper = dict(HYPER[kind])
        del hyper[key]
        with pytest.raises(ValueError, match=f"hyper: missing '{key}'"):
            _call(kind, hyper, _state(kind))


def test_hyper_of_the_wrong_type_is_a_type_error():
    with pytest.raises(TypeError, match=r"hyper\['lr'\]: expected a number"):
        _call("sgd", dict(HYPER["sgd"], lr="fast"), _state("sgd"))
    with pytest.raises(TypeError, match="hyper: expected str keys"):
        _call("sgd", {**HYPER["sgd"], 1: 0.0}, _state("sgd"))


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_missing_required_state_is_a_value_error(kind):
    for name in EXPECTED[kind]["state"]:
        for absent in ("missing", "none"):
            state = _state(kind)
            if absent == "missing":
                del state[name]
            else:
                state[name] = None
            with pytest.raises(ValueError, match=rf"state\['{name}'\]: required"):
                _call(kind, HYPER[kind], state)


def test_state_needed_only_with_some_hyper_parameters():
    # sgd without momentum and rmsprop without momentum / centering need no buffer: absent or None.
    _call("sgd", dict(HYPER["sgd"], momentum=0.0), {})
    _call("sgd", dict(HYPER["sgd"], momentum=0.0), {"momentum_buffer": None})
    plain = dict(HYPER["rmsprop"], momentum=0.0, centered=False)
    _call("rmsprop", plain, {"square_avg": np.zeros(N_PARAMS), "momentum_buffer": None, "grad_avg": None})
    with pytest.raises(ValueError, match=r"state\['grad_avg'\]: required"):
        _call("rmsprop", dict(plain, centered=True), {"square_avg": np.zeros(N_PARAMS)})


def test_state_the_kind_does_not_read_must_be_absent_or_none():
    with pytest.raises(ValueError, match=r"state\['exp_avg'\]: not used by 'sgd'"):
        _call("sgd", HYPER["sgd"], dict(_state("sgd"), exp_avg=np.zeros(N_PARAMS)))
    _call("sgd", HYPER["sgd"], dict(_state("sgd"), exp_avg=None))
    with pytest.raises(ValueError, match=r"state\['momentum_buffer'\]: not used by 'sgd'"):
        _call("sgd", dict(HYPER["sgd"], momentum=0.0), {"momentum_buffer": np.zeros(N_PARAMS)})
    with pytest.raises(ValueError, match="state: unknown key 'velocity'"):
        _call("sgd", HYPER["sgd"], dict(_state("sgd"), velocity=None))


def test_bad_state_arrays_are_rejected():
    with pytest.raises(ValueError, match=r"state\['exp_avg'\]"):
        _call("adam", HYPER["adam"], dict(_state("adam"), exp_avg=np.zeros(N_PARAMS - 1)))
    with pytest.raises(TypeError, match=r"state\['exp_avg'\]"):
        _call("adam", HYPER["adam"], dict(_state("adam"), exp_avg=[0.0] * N_PARAMS))


def test_unknown_optimizer_names_the_known_ones():
    with pytest.raises(ValueError, match="optimizer: expected one of sgd, adam, rmsprop, adagrad, adadelta, rprop"):
        _call("adamax", {}, {})
