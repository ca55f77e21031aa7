"""NumPy reference: matrix products."""
import numpy as np


def matmul(a, b, trans_a, trans_b, out):
    np.matmul(a.T if trans_a else a, b.T if trans_b else b, out=out)


def gram(x, out, sample_weight=None, shift=None):
    if shift is not None:
        x = x - shift  # the reference centres a copy; the cpp backend subtracts as it packs
    if sample_weight is None:
        np.matmul(x.T, x, out=out)
    else:
        np.matmul(x.T, x * sample_weight[:, None], out=out)  # xᵀ (w ⊙ x): the weights scale one operand
    # BLAS need not return an exactly symmetric product; mirror the upper triangle.
    lower = np.tril_indices(out.shape[0], -1)
    out[lower] = out.T[lower]
