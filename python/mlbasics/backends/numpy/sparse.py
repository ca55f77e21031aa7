"""NumPy reference: CSR × dense products, through ``scipy.sparse`` (the semantics the contract names:
duplicates summed, unsorted indices allowed, only stored entries multiplied)."""
import scipy.sparse


def _matrix(data, indices, indptr, n_cols):
    """The CSR matrix of the rows ``indptr`` covers (a slice of rows: its first value may be > 0)."""
    lo, hi = int(indptr[0]), int(indptr[-1])
    return scipy.sparse.csr_matrix((data[lo:hi], indices[lo:hi], indptr - lo), shape=(indptr.shape[0] - 1, n_cols))


def csr_matmul(data, indices, indptr, b, out):
    out[...] = _matrix(data, indices, indptr, b.shape[0]) @ b


def csr_matmul_t(data, indices, indptr, g, out):
    out += _matrix(data, indices, indptr, out.shape[0]).T @ g
