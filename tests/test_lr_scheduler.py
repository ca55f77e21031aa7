"""mlbasics.optim.lr_scheduler: learning-rate sequences against their closed forms."""
import math

import numpy as np
import pytest

from mlbasics import optim
from mlbasics.optim.lr_scheduler import CosineAnnealingLR, ExponentialLR, InverseTimeLR, StepLR

N_EPOCHS = 60


def make_optimizer(lr=0.1, name="SGD"):
    return getattr(optim, name)([np.zeros(3)], lr=lr)


def lr_sequence(sched, n=N_EPOCHS):
    """lr in force during epochs 0 .. n-1 (read after construction, then after each step)."""
    seq = []
    for _ in range(n):
        seq.append(sched.optimizer.param_groups[0]["lr"])
        assert sched.get_last_lr() == [seq[-1]]
        sched.step()
    return seq


@pytest.mark.parametrize("make,closed", [
    (lambda o: StepLR(o, step_size=7), lambda t: 0.1 * 0.1 ** (t // 7)),
    (lambda o: StepLR(o, step_size=3, gamma=0.5), lambda t: 0.1 * 0.5 ** (t // 3)),
    (lambda o: ExponentialLR(o, gamma=0.95), lambda t: 0.1 * 0.95 ** t),
    (lambda o: CosineAnnealingLR(o, T_max=20), lambda t: 0.5 * 0.1 * (1 + math.cos(math.pi * t / 20))),
    (lambda o: CosineAnnealingLR(o, T_max=25, eta_min=0.01),
     lambda t: 0.01 + (0.1 - 0.01) * (1 + math.cos(math.pi * t / 25)) / 2),
    (lambda o: InverseTimeLR(o, decay=0.5), lambda t: 0.1 / (1 + 0.5 * t)),
    (lambda o: InverseTimeLR(o, decay=0.0), lambda t: 0.1),
], ids=["step", "step-gamma", "exponential", "cosine", "cosine-eta_min", "inverse-time", "inverse-time-0"])
def test_lr_sequence_equals_closed_form(make, closed):
    opt = make_optimizer()
    sched = make(opt)
    assert sched.last_epoch == 0 and sched.base_lrs == [0.1]
    got = lr_sequence(sched)
    np.testing.assert_allclose(got, [closed(t) for t in range(N_EPOCHS)], rtol=1e-12, atol=1e-15)
    assert sched.last_epoch == N_EPOCHS


def test_torch_documented_values():
    """Values torch's documentation gives: StepLR(step_size=30, gamma=0.1) from lr 0.05 is 0.05
    for epochs < 30, 0.005 for 30 ≤ epoch < 60, 0.0005 for 60 ≤ epoch < 90; cosine reaches
    eta_min at T_max and is halfway at T_max/2."""
    seq = lr_sequence(StepLR(make_optimizer(0.05), step_size=30, gamma=0.1), 90)
    np.testing.assert_allclose(seq[:30], 0.05)
    np.testing.assert_allclose(seq[30:60], 0.005)
    np.testing.assert_allclose(seq[60:90], 0.0005)
    seq = lr_sequence(CosineAnnealingLR(make_optimizer(1.0), T_max=10, eta_min=0.1), 21)
    assert seq[0] == 1.0
    assert seq[5] == pytest.approx(0.55)
    assert seq[10] == pytest.approx(0.1)
    assert seq[20] == pytest.approx(1.0)  # period 2·T_max, as torch's recursion


def test_torch_recursive_cosine_equals_closed_form():
    """torch's chainable CosineAnnealingLR recursion, transcribed from its source documentation,
    gives the closed form for t ≤ T_max."""
    base, eta_min, T = 0.3, 0.02, 17
    lr, rec = base, [base]
    for t in range(1, T + 1):
        lr = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T)) * (lr - eta_min) + eta_min
        rec.append(lr)
    seq = lr_sequence(CosineAnnealingLR(make_optimizer(base), T_max=T, eta_min=eta_min), T + 1)
    np.testing.assert_allclose(seq, rec, rtol=1e-12)


def test_scheduler_drives_the_optimizer_steps():
    p = np.zeros(1)
    opt = optim.SGD([p], lr=1.0)
    sched = StepLR(opt, step_size=2, gamma=0.5)
    for _ in range(6):
        opt.step([np.ones(1)])
        sched.step()
    # lrs 1, 1, 0.5, 0.5, 0.25, 0.25
    np.testing.assert_allclose(p, -3.5)


def test_state_dict_round_trip():
    opt = make_optimizer()
    sched = CosineAnnealingLR(opt, T_max=30, eta_min=0.001)
    for _ in range(12):
        sched.step()
    sd = sched.state_dict()
    assert sd["last_epoch"] == 12 and sd["base_lrs"] == [0.1] and "optimizer" not in sd
    expected = lr_sequence(sched, 10)

    opt2 = make_optimizer()
    sched2 = CosineAnnealingLR(opt2, T_max=5)
    sched2.load_state_dict(sd)
    assert sched2.T_max == 30 and sched2.last_epoch == 12
    got = []
    for _ in range(9):
        sched2.step()
        got.append(opt2.param_groups[0]["lr"])
    np.testing.assert_allclose(got, expected[1:], rtol=1e-12)


def test_resume_with_last_epoch():
    opt = make_optimizer()
    ExponentialLR(opt, gamma=0.5)
    opt.param_groups[0]["lr"] = 123.0  # the base is remembered as initial_lr
    sched = ExponentialLR(opt, gamma=0.5, last_epoch=3)
    assert sched.base_lrs == [0.1]
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5 ** 4)
    with pytest.raises(KeyError, match="initial_lr"):
        ExponentialLR(make_optimizer(), gamma=0.5, last_epoch=3)


def test_several_groups_each_get_their_base():
    opt = optim.Adam([{"params": [np.zeros(2)], "lr": 0.1}, {"params": [np.zeros(2)], "lr": 0.01}])
    sched = InverseTimeLR(opt, decay=1.0)
    sched.step()
    sched.step()
    assert sched.get_last_lr() == pytest.approx([0.1 / 3, 0.01 / 3])


@pytest.mark.parametrize("make,exc,match", [
    (lambda o: StepLR(o, step_size=0), ValueError, "step_size"),
    (lambda o: StepLR(o, step_size=2.5), TypeError, "step_size"),
    (lambda o: StepLR(o, step_size=2, gamma=-0.1), ValueError, "gamma"),
    (lambda o: ExponentialLR(o, gamma=0), ValueError, "gamma"),
    (lambda o: CosineAnnealingLR(o, T_max=0), ValueError, "T_max"),
    (lambda o: CosineAnnealingLR(o, T_max=10, eta_min=-1), ValueError, "eta_min"),
    (lambda o: InverseTimeLR(o, decay=-0.5), ValueError, "decay"),
    (lambda o: InverseTimeLR(o, decay="fast"), TypeError, "decay"),
    (lambda o: StepLR(object(), step_size=3), TypeError, "optimizer"),
    (lambda o: StepLR(o, step_size=3, last_epoch=-2), ValueError, "last_epoch"),
])
def test_invalid_arguments(make, exc, match):
    with pytest.raises(exc, match=match):
        make(make_optimizer())


def test_load_state_dict_validates():
    sched = StepLR(make_optimizer(), step_size=3)
    with pytest.raises(ValueError, match="state_dict"):
        sched.load_state_dict({"foo": 1})
    sd = CosineAnnealingLR(make_optimizer(), T_max=9).state_dict()
    with pytest.raises(ValueError, match="unknown"):
        sched.load_state_dict(sd)
