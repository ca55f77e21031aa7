"""The NumPy reference backend: every kernel written as the math reads.

It is the reference the other backends are tested against and the baseline of every benchmark.
"""
from .distances import kmeans_step, nearest_neighbors, pairwise_sq_distances
from .gemm import gram, matmul
from .layers import linear_backward, linear_forward
from .losses import binary_cross_entropy_with_logits, mse, softmax_cross_entropy
from .mlp import mlp_epoch
from .norms import (batch_norm_backward, batch_norm_forward, dropout_backward, dropout_forward,
                    group_norm_backward, group_norm_forward)
from .optim import adadelta_step, adagrad_step, adam_step, rmsprop_step, rprop_step, sgd_step
from .sparse import csr_matmul, csr_matmul_t

__all__ = [
    "matmul", "gram", "linear_forward", "linear_backward", "softmax_cross_entropy",
    "binary_cross_entropy_with_logits", "mse", "sgd_step", "adam_step", "rmsprop_step",
    "adagrad_step", "adadelta_step", "rprop_step", "mlp_epoch",
    "pairwise_sq_distances", "kmeans_step", "nearest_neighbors", "csr_matmul", "csr_matmul_t",
    "dropout_forward", "dropout_backward", "batch_norm_forward", "batch_norm_backward",
    "group_norm_forward", "group_norm_backward",
]
