"""Optimizers over lists of NumPy arrays (torch.optim's rules, names and defaults).

Each optimizer updates its arrays in place with one backend kernel call per array per step::

    from mlbasics.optim import SGD
    from mlbasics.optim.lr_scheduler import StepLR

    opt = SGD([w, b], lr=0.1, momentum=0.9)
    sched = StepLR(opt, step_size=30)
    for epoch in range(100):
        opt.step([grad_w, grad_b])
        sched.step()

See :mod:`mlbasics.optim.lr_scheduler` for learning-rate schedules.
"""
from ._optimizers import SGD, Adadelta, Adagrad, Adam, AdamW, Optimizer, RMSprop, Rprop
from . import lr_scheduler

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Rprop", "lr_scheduler"]
