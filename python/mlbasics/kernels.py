"""Public kernel functions: each takes ``backend="auto"`` and follows the contract of
:class:`mlbasics.backends.Backend` (see its method docstrings for the math).

>>> import numpy as np, mlbasics.kernels as K
>>> K.matmul(np.eye(2), np.ones((2, 3)), backend="numpy").shape
(2, 3)
"""
from __future__ import annotations

import functools
import inspect
from typing import Any, Callable

from .backends import KERNELS, Backend, get_backend

__all__ = list(KERNELS)


def _public_kernel(name: str) -> Callable[..., Any]:
    method = getattr(Backend, name)

    @functools.wraps(method)
    def kernel(*args: Any, backend: str = "auto", **kwargs: Any) -> Any:
        # get_backend is a dict lookup once the backend is loaded (see its fast path).
        return getattr(get_backend(backend), name)(*args, **kwargs)

    # Signature shown by help(): the method's, without self, plus the keyword-only backend.
    params = list(inspect.signature(method).parameters.values())[1:]
    params.append(inspect.Parameter("backend", inspect.Parameter.KEYWORD_ONLY, default="auto"))
    setattr(kernel, "__signature__", inspect.Signature(params))  # read by inspect.signature / help()
    kernel.__qualname__ = kernel.__name__ = name
    kernel.__module__ = __name__
    return kernel


for _name in KERNELS:
    globals()[_name] = _public_kernel(_name)
del _name
