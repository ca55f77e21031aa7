"""Bad input raises TypeError/ValueError naming the argument — on every backend, before any kernel runs."""
import numpy as np
import pytest

F64 = np.ones((3, 4))
F32 = np.ones((3, 4), dtype=np.float32)
W = np.ones((4, 2))
B = np.ones(2)
Z = np.ones((3, 2))
V = np.ones(3)


# A 3×3 CSR matrix [[1, 0, 2], [0, 0, 0], [0, 3, 0]] and a dense operand for it.
D3, I3, P3 = np.array([1.0, 2.0, 3.0]), np.array([0, 2, 1]), np.array([0, 2, 2, 3])
W3 = np.ones((3, 2))


def _state():
    return np.zeros(3)


# (kernel, args, kwargs, exception, text the message must contain)
CASES = [
    # dtypes: int, bool, object, complex are rejected, never cast
    ("matmul", (np.ones((3, 4), dtype=np.int64), W), {}, TypeError, "a:"),
    ("matmul", (F64, np.ones((4, 2), dtype=bool)), {}, TypeError, "b:"),
    ("matmul", (np.ones((3, 4), dtype=object), W), {}, TypeError, "a:"),
    ("matmul", (F64, np.ones((4, 2), dtype=complex)), {}, TypeError, "b:"),
    ("gram", (np.ones((3, 4), dtype=np.int32),), {}, TypeError, "x:"),
    ("matmul", ([["a", "b"]], W), {}, TypeError, "a:"),
    # mixed float dtypes
    ("matmul", (F32, W), {}, TypeError, "b: dtype float64 does not match"),
    ("matmul", (F64, W), {"out": np.empty((3, 2), dtype=np.float32)}, TypeError, "out:"),
    ("linear_forward", (F64, W, B.astype(np.float32)), {}, TypeError, "b:"),
    ("linear_backward", (F64, W, Z, Z, Z.astype(np.float32), "tanh"), {}, TypeError, "grad_h:"),
    ("binary_cross_entropy_with_logits", (V, V.astype(np.float32)), {}, TypeError, "y:"),
    ("mse", (V, V.astype(np.float32)), {}, TypeError, "target:"),
    ("sgd_step", (V.copy(), V.astype(np.float32)), {"lr": 0.1}, TypeError, "grad:"),
    ("adam_step", (V.copy(), V, np.zeros(3, np.float32), _state()), {"step": 1, "lr": 0.1}, TypeError, "exp_avg:"),
    # wrong ndim
    ("matmul", (np.ones(3), W), {}, ValueError, "a: expected a 2-D array"),
    ("gram", (np.ones((2, 2, 2)),), {}, ValueError, "x:"),
    ("gram", (F64,), {"shift": np.ones(3)}, ValueError, "shift: expected 4 values"),
    ("gram", (F64,), {"shift": np.ones((1, 4))}, ValueError, "shift: expected a 1-D"),
    ("gram", (F64,), {"shift": np.ones(4, dtype=np.float32)}, TypeError, "shift: dtype float32"),
    ("gram", (F64,), {"shift": np.ones(4, dtype=np.int64)}, TypeError, "shift:"),
    ("gram", (F64,), {"shift": np.array([0.0, np.nan, 0.0, 0.0])}, ValueError, "shift: values must be finite"),
    ("linear_forward", (F64, W, np.ones((1, 2))), {}, ValueError, "b:"),
    ("softmax_cross_entropy", (V, np.zeros(3, int)), {}, ValueError, "logits:"),
    ("binary_cross_entropy_with_logits", (F64, F64), {}, ValueError, "logits:"),
    # mismatched shapes
    ("matmul", (F64, np.ones((3, 2))), {}, ValueError, "b:"),
    ("matmul", (F64, W), {"out": np.empty((2, 3))}, ValueError, "out:"),
    ("matmul", (F64, W), {"out": np.empty((2, 3)).T}, ValueError, "out:"),
    ("linear_forward", (F64, np.ones((5, 2)), B), {}, ValueError, "w:"),
    ("linear_forward", (F64, W, np.ones(3)), {}, ValueError, "b:"),
    ("linear_backward", (F64, W, Z, Z, np.ones((3, 3)), "tanh"), {}, ValueError, "grad_h:"),
    ("softmax_cross_entropy", (Z, np.zeros(2, int)), {}, ValueError, "y:"),
    ("mse", (V, np.ones(4)), {}, ValueError, "target:"),
    ("mse", (np.ones((3, 1)), V), {}, ValueError, "target:"),
    ("sgd_step", (V.copy(), np.ones(4)), {"lr": 0.1}, ValueError, "grad:"),
    ("adam_step", (V.copy(), V, np.zeros(4), _state()), {"step": 1, "lr": 0.1}, ValueError, "exp_avg:"),
    # labels and targets out of range or of the wrong kind
    ("softmax_cross_entropy", (Z, np.array([0, 1, 2])), {}, ValueError, "y: labels must be in [0, 2)"),
    ("softmax_cross_entropy", (Z, np.array([0, -1, 1])), {}, ValueError, "y:"),
    ("softmax_cross_entropy", (Z, np.array([0.0, 1.0, 1.0])), {}, TypeError, "y:"),
    ("softmax_cross_entropy", (np.ones((0, 2)), np.zeros(0, int)), {}, ValueError, "logits:"),
    ("binary_cross_entropy_with_logits", (V, np.array([0.0, 1.5, 0.5])), {}, ValueError, "y: targets"),
    ("mse", (np.ones(0), np.ones(0)), {}, ValueError, "pred:"),
    # activations and hyper-parameters
    ("linear_forward", (F64, W, B), {"activation": "softplus"}, ValueError, "activation:"),
    ("linear_backward", (F64, W, Z, Z, Z, "gelu"), {}, ValueError, "activation:"),
    ("sgd_step", (V.copy(), V), {"lr": -1.0}, ValueError, "lr:"),
    ("sgd_step", (V.copy(), V), {"lr": "0.1"}, TypeError, "lr:"),
    ("sgd_step", (V.copy(), V), {"lr": 0.1, "momentum": 0.9}, ValueError, "momentum_buf:"),
    ("sgd_step", (V.copy(), V, _state()), {"lr": 0.1, "momentum": 0.9, "nesterov": True, "dampening": 0.5},
     ValueError, "nesterov:"),
    ("adam_step", (V.copy(), V, _state(), _state()), {"step": 0, "lr": 0.1}, ValueError, "step:"),
    ("adam_step", (V.copy(), V, _state(), _state()), {"step": 1, "lr": 0.1, "beta1": 1.0}, ValueError, "beta1:"),
    ("adam_step", (V.copy(), V, None, _state()), {"step": 1, "lr": 0.1}, ValueError, "exp_avg:"),
    ("rmsprop_step", (V.copy(), V, _state()), {"momentum": 0.9}, ValueError, "momentum_buffer:"),
    ("rmsprop_step", (V.copy(), V, _state()), {"centered": True}, ValueError, "grad_avg:"),
    ("adagrad_step", (V.copy(), V, _state()), {"step": 1, "eps": -1.0}, ValueError, "eps:"),
    ("adadelta_step", (V.copy(), V, _state(), _state()), {"rho": 1.5}, ValueError, "rho:"),
    ("rprop_step", (V.copy(), V, _state(), _state()), {"etas": (1.5, 1.2)}, ValueError, "etas[0]:"),
    ("rprop_step", (V.copy(), V, _state(), _state()), {"etas": 0.5}, TypeError, "etas:"),
    # in-place arrays
    ("sgd_step", ([1.0, 2.0, 3.0], V), {"lr": 0.1}, TypeError, "param:"),
    ("sgd_step", (np.ones(3, dtype=np.int64), V), {"lr": 0.1}, TypeError, "param:"),
    # distances: dtypes, mixed dtypes, ndim, columns, 0 rows, n_neighbors, sample_weight
    ("pairwise_sq_distances", (np.ones((3, 4), dtype=np.int64),), {}, TypeError, "x:"),
    ("pairwise_sq_distances", (F64, np.ones((2, 4), dtype=bool)), {}, TypeError, "y:"),
    ("pairwise_sq_distances", (F64, np.ones((2, 4), dtype=np.float32)), {}, TypeError, "y: dtype float32 does not match"),
    ("pairwise_sq_distances", (np.ones(4),), {}, ValueError, "x: expected a 2-D array"),
    ("pairwise_sq_distances", (F64, np.ones(4)), {}, ValueError, "y: expected a 2-D array"),
    ("pairwise_sq_distances", (F64, np.ones((2, 5))), {}, ValueError, "y: expected 4 columns"),
    ("kmeans_step", (np.ones((3, 4), dtype=complex), np.ones((2, 4))), {}, TypeError, "x:"),
    ("kmeans_step", (F64, np.ones((2, 4), dtype=np.int32)), {}, TypeError, "centers:"),
    ("kmeans_step", (F32, np.ones((2, 4))), {}, TypeError, "centers: dtype float64 does not match"),
    ("kmeans_step", (np.ones((2, 2, 4)), np.ones((2, 4))), {}, ValueError, "x: expected a 2-D array"),
    ("kmeans_step", (F64, np.ones(4)), {}, ValueError, "centers: expected a 2-D array"),
    ("kmeans_step", (F64, np.ones((2, 3))), {}, ValueError, "centers: expected 4 columns"),
    ("kmeans_step", (np.ones((0, 4)), np.ones((2, 4))), {}, ValueError, "x: expected at least one row"),
    ("kmeans_step", (F64, np.ones((0, 4))), {}, ValueError, "centers: expected at least one"),
    ("kmeans_step", (F64, np.ones((2, 4)), np.ones(2)), {}, ValueError, "sample_weight: expected 3"),
    ("kmeans_step", (F64, np.ones((2, 4)), np.ones((3, 1))), {}, ValueError, "sample_weight: expected a 1-D"),
    ("kmeans_step", (F64, np.ones((2, 4)), np.ones(3, dtype=np.float32)), {}, TypeError, "sample_weight:"),
    ("kmeans_step", (F64, np.ones((2, 4)), np.ones(3, dtype=np.int64)), {}, TypeError, "sample_weight:"),
    ("nearest_neighbors", (np.ones((3, 4), dtype=object), 1), {}, TypeError, "x:"),
    ("nearest_neighbors", (F64, 1, np.ones((5, 4), dtype=np.float32)), {}, TypeError, "y: dtype float32"),
    ("nearest_neighbors", (np.ones(3), 1), {}, ValueError, "x: expected a 2-D array"),
    ("nearest_neighbors", (F64, 1, np.ones((5, 3))), {}, ValueError, "y: expected 4 columns"),
    ("nearest_neighbors", (F64, 0), {}, ValueError, "n_neighbors:"),
    ("nearest_neighbors", (F64, 3), {}, ValueError, "n_neighbors: expected at most 2"),
    ("nearest_neighbors", (F64, 6, np.ones((5, 4))), {}, ValueError, "n_neighbors: expected at most 5"),
    ("nearest_neighbors", (F64, 1, np.ones((0, 4))), {}, ValueError, "y: expected at least 1 candidate row"),
    ("nearest_neighbors", (np.ones((1, 4)), 1), {}, ValueError, "x: expected at least 2 rows"),
    ("nearest_neighbors", (F64, 1.0), {}, TypeError, "n_neighbors:"),
    ("nearest_neighbors", (F64, True), {}, TypeError, "n_neighbors:"),
    ("nearest_neighbors", (F64, "2"), {}, TypeError, "n_neighbors:"),
    # sparse: the CSR arrays' dtypes, lengths and structure, n_cols, and the dense operand
    ("csr_matmul", (D3.astype(np.int64), I3, P3, 3, W3), {}, TypeError, "data:"),
    ("csr_matmul", (D3.astype(np.float32), I3, P3, 3, W3), {}, TypeError, "b: dtype float64 does not match"),
    ("csr_matmul", (D3, I3.astype(np.float64), P3, 3, W3), {}, TypeError, "indices: expected an int32 or int64"),
    ("csr_matmul", (D3, I3.astype(np.uint32), P3, 3, W3), {}, TypeError, "indices:"),
    ("csr_matmul", (D3, I3, P3.astype(np.int32), 3, W3), {}, TypeError, "indptr: dtype int32 does not match"),
    ("csr_matmul", (D3.reshape(1, 3), I3, P3, 3, W3), {}, ValueError, "data: expected a 1-D array"),
    ("csr_matmul", (D3, I3.reshape(3, 1), P3, 3, W3), {}, ValueError, "indices: expected a 1-D array"),
    ("csr_matmul", (D3, I3[:2], P3, 3, W3), {}, ValueError, "indices: expected 3 values"),
    ("csr_matmul", (D3, I3, np.array([], dtype=np.int64), 3, W3), {}, ValueError, "indptr: expected at least one"),
    ("csr_matmul", (D3, I3, np.array([1, 2, 2, 3]), 3, W3), {}, ValueError, "indptr: expected indptr[0] == 0"),
    ("csr_matmul", (D3, I3, np.array([0, 2, 1, 3]), 3, W3), {}, ValueError, "indptr: expected non-decreasing"),
    ("csr_matmul", (D3, I3, np.array([0, 2, 2, 4]), 3, W3), {}, ValueError, "indptr: its last value 4 (the number of entries) exceeds"),
    ("csr_matmul", (D3, np.array([0, 3, 1]), P3, 3, W3), {}, ValueError, "indices: expected indices in [0, n_cols=3)"),
    ("csr_matmul", (D3, np.array([0, -1, 1]), P3, 3, W3), {}, ValueError, "indices: expected indices in [0,"),
    ("csr_matmul", (D3, I3, P3, -1, W3), {}, ValueError, "n_cols:"),
    ("csr_matmul", (D3, I3, P3, 3.0, W3), {}, TypeError, "n_cols:"),
    ("csr_matmul", (D3, I3, P3, True, W3), {}, TypeError, "n_cols:"),
    ("csr_matmul", (D3, I3, P3, 2, W3[:2]), {}, ValueError, "indices: expected indices in [0, n_cols=2)"),
    ("csr_matmul", (D3, I3, P3, 3, np.ones((4, 2))), {}, ValueError, "b: expected 3 rows"),
    ("csr_matmul", (D3, I3, P3, 3, np.ones(3)), {}, ValueError, "b: expected a 2-D array"),
    ("csr_matmul", (D3, I3, P3, 3, W3.astype(np.int64)), {}, TypeError, "b:"),
    ("csr_matmul_t", (D3, I3, P3, 3, np.ones((4, 2))), {}, ValueError, "g: expected 3 rows"),
    ("csr_matmul_t", (D3, I3, P3, 3, np.ones((3, 2), dtype=np.float32)), {}, TypeError, "g: dtype float32"),
    ("csr_matmul_t", (D3, np.array([0, 7, 1]), P3, 3, np.ones((3, 2))), {}, ValueError, "indices:"),
    ("csr_matmul_t", (D3, I3, np.array([0, 3, 2, 3]), 3, np.ones((3, 2))), {}, ValueError, "indptr:"),
    # norms: dropout's p, seed/offset/stream (unsigned 64-bit ints) and mask
    ("dropout_forward", (np.ones((3, 4), dtype=np.int64), 0.5), {"seed": 1}, TypeError, "x:"),
    ("dropout_forward", (np.ones(4), 0.5), {"seed": 1}, ValueError, "x: expected a 2-D array"),
    ("dropout_forward", (F64, 1.0), {"seed": 1}, ValueError, "p: expected a number in [0, 1)"),
    ("dropout_forward", (F64, -0.1), {"seed": 1}, ValueError, "p:"),
    ("dropout_forward", (F64, float("nan")), {"seed": 1}, ValueError, "p:"),
    ("dropout_forward", (F64, "0.5"), {"seed": 1}, TypeError, "p:"),
    ("dropout_forward", (F64, 0.5), {"seed": -1}, ValueError, "seed:"),
    ("dropout_forward", (F64, 0.5), {"seed": 2**64}, ValueError, "seed:"),
    ("dropout_forward", (F64, 0.5), {"seed": 1.0}, TypeError, "seed:"),
    ("dropout_forward", (F64, 0.5), {"seed": True}, TypeError, "seed:"),
    ("dropout_forward", (F64, 0.5), {"seed": None}, TypeError, "seed:"),
    ("dropout_forward", (F64, 0.5), {"seed": 1, "offset": -1}, ValueError, "offset:"),
    ("dropout_forward", (F64, 0.5), {"seed": 1, "offset": 2**64}, ValueError, "offset:"),
    ("dropout_forward", (F64, 0.5), {"seed": 1, "stream": 2**70}, ValueError, "stream:"),
    ("dropout_forward", (F64, 0.5), {"seed": 1, "stream": 0.0}, TypeError, "stream:"),
    ("dropout_backward", (F64, np.ones((3, 4), np.uint8), 1.0), {}, ValueError, "p:"),
    ("dropout_backward", (F64, np.ones((3, 4)), 0.5), {}, TypeError, "mask: expected a uint8 array"),
    ("dropout_backward", (F64, np.ones((3, 4), np.int64), 0.5), {}, TypeError, "mask:"),
    ("dropout_backward", (F64, np.ones((4, 3), np.uint8), 0.5), {}, ValueError, "mask: expected shape (3, 4)"),
    ("dropout_backward", (F64, np.full((3, 4), 2, np.uint8), 0.5), {}, ValueError, "mask: expected only 0s"),
    ("dropout_backward", (np.ones((3, 4), dtype=bool), np.ones((3, 4), np.uint8), 0.5), {}, TypeError, "grad_y:"),
    # batch norm: dtypes, shapes, running arrays (both or neither, in place), hyper-parameters, rows
    ("batch_norm_forward", (np.ones((3, 4), dtype=np.int32), np.ones(4), np.zeros(4)), {}, TypeError, "x:"),
    ("batch_norm_forward", (F64, np.ones(4, np.float32), np.zeros(4)), {}, TypeError, "gamma: dtype float32"),
    ("batch_norm_forward", (F64, np.ones(4), np.zeros(4, np.float32)), {}, TypeError, "beta:"),
    ("batch_norm_forward", (np.ones(4), np.ones(4), np.zeros(4)), {}, ValueError, "x: expected a 2-D array"),
    ("batch_norm_forward", (F64, np.ones(3), np.zeros(4)), {}, ValueError, "gamma: expected 4 values"),
    ("batch_norm_forward", (F64, np.ones(4), np.zeros((1, 4))), {}, ValueError, "beta: expected a 1-D array"),
    ("batch_norm_forward", (np.ones((1, 4)), np.ones(4), np.zeros(4)), {}, ValueError, "x: expected at least 2 rows"),
    ("batch_norm_forward", (F64, np.ones(4), np.zeros(4), np.zeros(4)), {}, ValueError, "running_var: expected an array"),
    ("batch_norm_forward", (F64, np.ones(4), np.zeros(4), None, np.ones(4)), {}, ValueError, "running_mean: expected an array"),
    ("batch_norm_forward", (F64, np.ones(4), np.zeros(4)), {"training": False}, ValueError, "running_mean:"),
    ("batch_norm_forward", (F64, np.ones(4), np.zeros(4), np.zeros(3), np.ones(4)), {}, ValueError,
     "running_mean: expected shape (4,)"),
    ("batch_norm_forward", (F64, np.ones(4), np.zeros(4), np.zeros(4), np.ones(4, np.float32)), {}, TypeError,
     "running_var: dtype float32"),
    ("batch_norm_forward", (F64, np.ones(4), np.zeros(4), [0.0] * 4, np.ones(4)), {}, TypeError,
     "running_mean: expected a numpy.ndarray"),
    ("batch_norm_forward", (F64, np.ones(4), np.zeros(4), np.zeros(8)[::2], np.ones(4)), {}, ValueError,
     "running_mean: expected a C-contiguous array"),
    ("batch_norm_forward", (F64, np.ones(4), np.zeros(4), np.zeros(4), np.ones(4)), {"momentum": 1.5}, ValueError,
     "momentum: expected a number in [0, 1]"),
    ("batch_norm_forward", (F64, np.ones(4), np.zeros(4)), {"momentum": -0.1}, ValueError, "momentum:"),
    ("batch_norm_forward", (F64, np.ones(4), np.zeros(4)), {"eps": -1e-5}, ValueError, "eps: expected a number in [0, inf)"),
    ("batch_norm_forward", (F64, np.ones(4), np.zeros(4)), {"eps": None}, TypeError, "eps:"),
    ("batch_norm_forward", (F64, np.ones(4), np.zeros(4)), {"training": "yes"}, TypeError, "training:"),
    ("batch_norm_backward", (F64, F32, np.ones(4), np.zeros(4), np.ones(4)), {}, TypeError, "x: dtype float32"),
    ("batch_norm_backward", (F64, np.ones((2, 4)), np.ones(4), np.zeros(4), np.ones(4)), {}, ValueError,
     "x: expected shape (3, 4)"),
    ("batch_norm_backward", (F64, F64, np.ones(4), np.zeros(5), np.ones(4)), {}, ValueError, "mean: expected 4 values"),
    ("batch_norm_backward", (F64, F64, np.ones(4), np.zeros(4), np.ones((4, 1))), {}, ValueError, "invstd:"),
    ("batch_norm_backward", (np.ones((1, 4)), np.ones((1, 4)), np.ones(4), np.zeros(4), np.ones(4)), {}, ValueError,
     "grad_y: expected at least 2 rows"),
    # group norm: groups (an int >= 1 dividing the columns), shapes of the statistics
    ("group_norm_forward", (F64, np.ones(4), np.zeros(4)), {"groups": 3}, ValueError,
     "groups: expected a divisor of the 4 columns"),
    ("group_norm_forward", (F64, np.ones(4), np.zeros(4)), {"groups": 0}, ValueError, "groups:"),
    ("group_norm_forward", (F64, np.ones(4), np.zeros(4)), {"groups": 2.0}, TypeError, "groups:"),
    ("group_norm_forward", (F64, np.ones(4), np.zeros(4)), {"groups": 2, "eps": -1.0}, ValueError, "eps:"),
    ("group_norm_forward", (np.ones((3, 0)), np.ones(0), np.zeros(0)), {"groups": 1}, ValueError,
     "x: expected at least 1 column"),
    ("group_norm_forward", (F32, np.ones(4, np.float32), np.zeros(4)), {"groups": 2}, TypeError, "beta:"),
    ("group_norm_forward", (F64, np.ones(5), np.zeros(4)), {"groups": 2}, ValueError, "gamma: expected 4 values"),
    ("group_norm_backward", (F64, F64, np.ones(4), np.zeros((3, 2)), np.ones((3, 2))), {"groups": 3}, ValueError,
     "groups: expected a divisor of the 4 columns of grad_y"),
    ("group_norm_backward", (F64, F64, np.ones(4), np.zeros((3, 1)), np.ones((3, 2))), {"groups": 2}, ValueError,
     "mean: expected shape (3, 2)"),
    ("group_norm_backward", (F64, F64, np.ones(4), np.zeros((3, 2)), np.ones(6)), {"groups": 2}, ValueError,
     "invstd: expected a 2-D array"),
    ("group_norm_backward", (F64, F64, np.ones(4), np.zeros((3, 2), np.float32), np.ones((3, 2))), {"groups": 2},
     TypeError, "mean: dtype float32"),
    ("group_norm_backward", (F64, np.ones((3, 2)), np.ones(4), np.zeros((3, 2)), np.ones((3, 2))), {"groups": 2},
     ValueError, "x: expected shape (3, 4)"),
]


@pytest.mark.parametrize("kernel,args,kwargs,exc,text", CASES,
                         ids=[f"{i}-{c[0]}" for i, c in enumerate(CASES)])
def test_bad_input_raises_naming_the_argument(backend, kernel, args, kwargs, exc, text):
    with pytest.raises(exc) as info:
        getattr(backend, kernel)(*args, **kwargs)
    assert text in str(info.value)


def test_state_sharing_memory_with_param_is_rejected(backend):
    p = np.ones(4)
    with pytest.raises(ValueError, match="must not share memory"):
        backend.adam_step(p, np.ones(4), p, np.zeros(4), step=1, lr=0.1)


def test_running_statistics_must_not_share_memory(backend):
    x, g, b = np.ones((3, 4)), np.ones(4), np.zeros(4)
    both = np.zeros(8)
    with pytest.raises(ValueError, match="running_mean: must not share memory with running_var"):
        backend.batch_norm_forward(x, g, b, both[:4], both[:4])
    with pytest.raises(ValueError, match="running_mean: must not share memory with gamma"):
        backend.batch_norm_forward(x, g, b, g, np.ones(4))
    rv = np.ones(4)
    rv.flags.writeable = False
    with pytest.raises(ValueError, match="running_var: array is read-only"):
        backend.batch_norm_forward(x, g, b, np.zeros(4), rv)
    backend.batch_norm_forward(x, g, b, np.zeros(4), rv, training=False)  # eval only reads them


def test_core_module_checks_its_own_arguments():
    """Calling the extension directly still cannot crash the interpreter."""
    from mlbasics import _core

    a = np.ones((3, 4))
    with pytest.raises(ValueError, match="out"):
        _core.matmul(a, np.ones((4, 2)), False, False, np.empty((2, 2)))
    with pytest.raises(ValueError, match="out"):
        _core.matmul(a, np.ones((4, 3)), False, False, a[:, :3])  # overlaps a
    with pytest.raises(TypeError, match="b"):
        _core.matmul(a, np.ones((4, 2), dtype=np.float32), False, False, np.empty((3, 2)))
    with pytest.raises(ValueError, match="label"):
        _core.softmax_cross_entropy(np.ones((2, 2)), np.array([0, 5]), np.empty((2, 2)))
    with pytest.raises(ValueError, match="grad"):
        _core.sgd_step(np.ones(3), np.ones(2), None, 0.1, 0.0, 0.0, 0.0, False, False)
    with pytest.raises(ValueError, match="param"):
        _core.sgd_step(np.ones(6)[::2], np.ones(3), None, 0.1, 0.0, 0.0, 0.0, False, False)


def test_core_module_never_converts_arguments():
    """A list where the bindings expect an ndarray is a TypeError, never a temporary copy.

    A temporary array made from a list used to die before the kernel ran (a crash when written),
    and a written argument converted that way would silently keep none of the results.
    """
    from mlbasics import _core

    x, w, b = np.ones((50, 40)), np.ones((40, 30)), np.ones(30)
    z = np.empty((50, 30))
    with pytest.raises(TypeError, match="h: expected a numpy.ndarray, got list"):
        _core.linear_forward(x, w, b, 1, z, [[0.0] * 30] * 50)
    with pytest.raises(TypeError, match="momentum_buf: expected a numpy.ndarray, got list"):
        _core.sgd_step(np.ones(1000), np.ones(1000), [0.0] * 1000, 0.1, 0.9, 0.0, 0.0, False, False)
    with pytest.raises(TypeError, match="out: expected a numpy.ndarray, got list"):
        _core.matmul(np.ones((2, 2)), np.ones((2, 2)), False, False, [[0.0, 0.0], [0.0, 0.0]])
    with pytest.raises(TypeError, match="a: expected a numpy.ndarray"):
        _core.matmul([[1.0]], np.ones((1, 1)), False, False, np.empty((1, 1)))


def test_core_mlp_epoch_rejects_sizes_that_overflow():
    """layer_sizes whose parameter count wraps around 64 bits used to pass the length checks."""
    from mlbasics import _core

    X, y = np.ones((4, 1)), np.zeros(4, dtype=np.int64)
    order = np.arange(4, dtype=np.int64)
    params, grads = np.zeros(2), np.zeros(2)
    with pytest.raises(ValueError, match="layer_sizes: .*overflows"):
        _core.mlp_epoch(X, y, order, params, grads, {}, [1, 2 ** 62, 2], 0, 0, 0.0, 4, "sgd",
                        {"lr": 0.1, "momentum": 0.0, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False},
                        0, False)


def _unaligned(shape, dtype):
    """A C-contiguous view of ``shape`` whose data starts one byte past an aligned address."""
    dtype = np.dtype(dtype)
    buf = np.zeros(int(np.prod(shape)) * dtype.itemsize + 1, np.uint8)
    view = np.frombuffer(buf.data, dtype=dtype, count=int(np.prod(shape)), offset=1).reshape(shape)
    assert not view.flags.aligned
    return view


def test_unaligned_arrays_never_reach_cpp_unchecked(backend):
    """An unaligned input is read through an aligned copy (every backend gives the reference's
    result); an unaligned output or in-place array is a ValueError naming it (found by the
    sanitized bindings: the C++ kernels used to read and write such views, undefined behaviour)."""
    a = _unaligned((5, 3), np.float32)
    a[...] = np.arange(15, dtype=np.float32).reshape(5, 3)
    b = np.ones((3, 2), np.float32)
    np.testing.assert_allclose(backend.matmul(a, b), np.asarray(a) @ b, rtol=1e-6)
    np.testing.assert_allclose(backend.matmul(a, b, trans_a=False), np.asarray(a) @ b, rtol=1e-6)
    with pytest.raises(ValueError, match="out: .*not aligned"):
        backend.matmul(np.ones((5, 3), np.float64), np.ones((3, 2)), out=_unaligned((5, 2), np.float64))
    with pytest.raises(ValueError, match="param: .*not aligned"):
        backend.sgd_step(_unaligned((4,), np.float64), np.ones(4), lr=0.1)


def test_core_rejects_unaligned_views_itself():
    from mlbasics import _core

    with pytest.raises(ValueError, match="a: .*not aligned"):
        _core.matmul(_unaligned((1, 28), np.float32), np.ones((1, 1), np.float32), True, False,
                     np.empty((28, 1), np.float32))
    with pytest.raises(ValueError, match="out: .*not aligned"):
        _core.matmul(np.ones((35, 2)), np.ones((2, 4)), False, False, _unaligned((35, 4), np.float64))


def test_thread_counts_are_bounded_before_anything_changes():
    import mlbasics
    from mlbasics import _core

    before = mlbasics.get_num_threads()
    for bad in (2 ** 40, 10 ** 5, 0):
        with pytest.raises(ValueError, match="n: expected a number of threads in"):
            mlbasics.set_num_threads(bad)
        assert mlbasics.get_num_threads() == before == _core.get_num_threads()
    with pytest.raises(ValueError, match="n: expected a number of threads in"):
        _core.set_num_threads(100000)
