"""The C++ backend: the pybind11 extension ``mlbasics._core`` (kernels in ``cpp/``).

The extension's functions already have the raw-backend signatures, so this module only
re-exports them. Importing it fails loudly if the extension is missing: there is no silent
fallback to another backend.
"""
import os

_cpu = os.environ.get("MLBASICS_CPU", "")
if _cpu not in ("", "generic", "avx2", "avx512"):
    raise ValueError(f"MLBASICS_CPU: expected 'generic', 'avx2' or 'avx512' (or unset), got {_cpu!r}")

from mlbasics._core import (  # noqa: E402, F401
    adadelta_step,
    adagrad_step,
    adam_step,
    batch_norm_backward,
    batch_norm_forward,
    binary_cross_entropy_with_logits,
    csr_matmul,
    csr_matmul_t,
    dropout_backward,
    dropout_forward,
    gram,
    group_norm_backward,
    group_norm_forward,
    kmeans_step,
    linear_backward,
    linear_forward,
    matmul,
    matmul_fast,
    mlp_epoch,
    mse,
    nearest_neighbors,
    pairwise_sq_distances,
    rmsprop_step,
    rprop_step,
    sgd_step,
    softmax_cross_entropy,
)
