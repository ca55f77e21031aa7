"""Save and load estimators in a documented format whose loading never runs code.

:func:`save` writes an estimator (fitted or not) to a file; :func:`load` reads it back. Unlike
pickle or joblib, loading only parses JSON and NumPy's ``.npy`` array format: no class is
imported by a name found in the file except those of an allow-list, no object is built other
than the estimator (through its own ``__init__`` and parameter checks), arrays, lists, tuples,
dicts of those, NumPy scalars and random generators. Every file is checked before the estimator
exists; anything unexpected is a ValueError.

File format (format_version 1)
------------------------------
A ZIP archive (no encryption, members stored or deflated) with exactly these members:

* ``metadata.json``, UTF-8 JSON (standard: no NaN or Infinity literals) holding one object with
  exactly the keys

  - ``"format"``: ``"mlbasics"``; ``"format_version"``: 1; ``"mlbasics_version"``: the writer's;
  - ``"class"``: the estimator's public name, e.g. ``"mlbasics.linear_model.Ridge"``, one of
    the allow-list below;
  - ``"params"``: constructor parameter → value (a parameter missing from the file takes its
    default: files from an older mlbasics);
  - ``"fitted"``: fitted attribute → value (empty for an unfitted estimator): the attributes ending
    in ``_``, and the private state that continued training (``partial_fit``, ``warm_start``)
    needs to give the same results as the estimator that was saved;
  - ``"arrays"``: member name → ``{"shape": [...], "dtype": "<f8"}`` for every array member.

* one ``.npy`` member (NumPy's format, version 1.0 or 2.0, no pickled objects) per entry of
  ``"arrays"``, named like ``fitted.coef_.npy`` or ``fitted.coefs_.0.npy`` (letters, digits,
  ``_`` and dots only: no directories). Allowed dtypes: bool, little-endian (u)int8–64, float32,
  float64 and unicode strings. Members are stored uncompressed, ``metadata.json`` deflated.

Values in ``"params"`` and ``"fitted"`` are JSON: null, true/false, integers, finite floats,
strings and lists stand for themselves; a JSON object with one key starting with ``$`` stands for
what JSON has no literal for:

=================================  ======================================================================
``{"$float": "nan"}``              ``nan``, ``"inf"`` or ``"-inf"``
``{"$tuple": [...]}``              a tuple
``{"$dict": [[k, v], ...]}``       a dict with str or int keys
``{"$array": "m.npy"}``            the array in member ``m.npy``
``{"$strings": "m.npy"}``          an object array of str (e.g. ``feature_names_in_``), stored as unicode
``{"$scalar": ["float32", 1.5]}``  a NumPy scalar (bool, (u)int8–64, float32, float64)
``{"$type": "float32"}``           the type ``numpy.float32`` (or ``numpy.float64``, ``float``)
``{"$dtype": "<f4"}``              a ``numpy.dtype``
``{"$generator": state}``          a ``numpy.random.Generator`` from its ``bit_generator.state``
``{"$random_state": state}``       a ``numpy.random.RandomState`` from ``get_state(legacy=False)``
``{"$ref": "random_state"}``       (fitted only) the very generator held by that parameter
=================================  ======================================================================

A file whose ``format_version`` is larger than this module's :data:`FORMAT_VERSION` comes from
a newer mlbasics: loading it is a ValueError saying so (upgrade mlbasics to read it). A reader
never guesses at a newer format.

Limits checked before anything is decompressed: at most 10,000 members, ``metadata.json`` at
most 64 MiB, every other member at most 2 GiB and the whole file 4 GiB, and no member larger
than 1 MiB may expand more than 100-fold (a decompression bomb). Reads are bounded by the
declared sizes, then checked against them and the ZIP CRCs.

Adding an estimator
-------------------
A class joins with one entry in :data:`_ESTIMATORS`: its public name → a :class:`_Spec`. With
``_Spec()`` every attribute ending in ``_`` is saved and restored with the generic checks only;
list the attributes that a fitted estimator always has in ``fitted=`` (then a file must have all
or none of them), the ones that it may have in ``optional=``, and every private attribute that
continued training reads (``_rng``, ``_optimizer``, ...) in one of the two: :func:`save` refuses an
estimator holding a private attribute that its entry does not list, so state is never dropped
silently. ``check=`` validates the loaded attributes against each other (shapes against
``n_features_in_``, ...). tests/test_persistence.py fails for a public estimator without an entry,
and its round-trip tests take a new entry in their table of cases. For example, the clustering
estimators would join as::

    "mlbasics.cluster.KMeans": _Spec(fitted=("cluster_centers_", "labels_", "inertia_", "n_iter_",
                                             "n_features_in_")),
"""
from __future__ import annotations

import importlib
import io
import json
import math
import numbers
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import IO, Any, Union

import numpy as np

from .backends import Backend

__all__ = ["save", "load", "FORMAT_VERSION"]

#: The newest format this module reads and the one it writes.
FORMAT_VERSION = 1
_FORMAT = "mlbasics"
_METADATA = "metadata.json"
_KEYS = {"format", "format_version", "mlbasics_version", "class", "params", "fitted", "arrays"}
_MEMBER = re.compile(r"[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*\.npy\Z")
_MAX_NAME = 200
_MAX_MEMBERS = 10_000
_MAX_METADATA_BYTES = 64 << 20
_MAX_MEMBER_BYTES = 2 << 30
_MAX_FILE_BYTES = 4 << 30
_BOMB_FLOOR = 1 << 20
_MAX_RATIO = 100
_MAX_DEPTH = 64
_MAX_NDIM = 32
_DATE = (1980, 1, 1, 0, 0, 0)  # a fixed timestamp: the same estimator always gives the same bytes

#: NumPy scalar types and dtypes a file may hold (always little-endian on disk).
_SCALARS: dict[str, type] = {
    "bool": np.bool_, "int8": np.int8, "int16": np.int16, "int32": np.int32, "int64": np.int64,
    "uint8": np.uint8, "uint16": np.uint16, "uint32": np.uint32, "uint64": np.uint64,
    "float32": np.float32, "float64": np.float64,
}
_DESCRS = {np.dtype(t).newbyteorder("<").str for t in _SCALARS.values()}
_UNICODE = re.compile(r"<U[1-9][0-9]{0,8}\Z")
#: Type objects a parameter may be (MLP's ``dtype=np.float32``).
_TYPES: dict[str, type] = {"float32": np.float32, "float64": np.float64, "float": float}
_BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")
_OPTIMIZERS = ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Rprop")

#: Where save writes and load reads: a file name, or a binary file object.
PathLike = Union[str, "os.PathLike[str]", IO[bytes]]


class _Invalid(ValueError):
    """A file (or an estimator to save) that breaks the format: the message says what and where.
    Internal: save and load re-raise it as a plain ValueError."""


# ====================================================================== allow-list
@dataclass(frozen=True)
class _Spec:
    """How one estimator class is saved: see "Adding an estimator" in the module docstring.

    ``fitted``: the attributes a fitted estimator always has (None: any attribute ending in ``_``);
    ``optional``: attributes it may have; ``derived``: attributes not saved, rebuilt by ``restore``;
    ``check(est, attrs)``: raise :class:`_Invalid` if the loaded attributes do not fit together (also
    run by :func:`save` on the attributes it is about to write); ``check_params(est)``: checks of the
    parameters beyond the class's ``_validate_params``; ``dump(est, attrs)``: replace objects that are
    not plain values (an optimizer) by plain values in ``attrs``; ``restore(est)``: rebuild the derived
    attributes (and those objects) once the loaded attributes are set.
    """

    fitted: tuple[str, ...] | None = None
    optional: tuple[str, ...] = ()
    derived: tuple[str, ...] = ()
    check: Callable[[Any, dict[str, Any]], None] | None = None
    check_params: Callable[[Any], None] | None = None
    dump: Callable[[Any, dict[str, Any]], None] | None = None
    restore: Callable[[Any], None] | None = None


#: Attributes any estimator may have: DataFrame column names, and a transformer's set_output choice.
_COMMON = ("feature_names_in_", "_output_transform")


# ---------------------------------------------------------------------- value checks
def _int(value: Any, where: str, low: int = 0) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < low:
        raise _Invalid(f"{where}: expected an integer >= {low}, got {value!r}")
    return int(value)


def _real(value: Any, where: str, *, none: bool = False) -> None:
    if value is None and none:
        return
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise _Invalid(f"{where}: expected a float{' or None' if none else ''}, got {value!r}")


def _bool(value: Any, where: str) -> None:
    if not isinstance(value, (bool, np.bool_)):
        raise _Invalid(f"{where}: expected a bool, got {value!r}")


def _choice(value: Any, where: str, options: tuple[str, ...]) -> None:
    if not isinstance(value, str) or value not in options:
        raise _Invalid(f"{where}: expected one of {list(options)}, got {value!r}")


def _array(value: Any, where: str, shape: tuple[int | None, ...], kinds: str = "f",
           dtype: np.dtype | None = None) -> np.ndarray:
    """An ndarray of the given shape (None: any length) whose dtype kind is in ``kinds``."""
    if not isinstance(value, np.ndarray):
        raise _Invalid(f"{where}: expected an array, got {type(value).__name__}")
    if value.ndim != len(shape) or any(s is not None and s != v for s, v in zip(shape, value.shape)):
        want = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
        raise _Invalid(f"{where}: expected shape {want}, got {value.shape}")
    if value.dtype.kind not in kinds or (kinds == "f" and value.dtype.itemsize not in (4, 8)):
        raise _Invalid(f"{where}: expected dtype kind {kinds!r}, got {value.dtype}")
    if dtype is not None and value.dtype != dtype:
        raise _Invalid(f"{where}: expected dtype {dtype}, got {value.dtype}")
    return value


def _float_list(value: Any, where: str, *, none: bool = False) -> None:
    if value is None and none:
        return
    if not isinstance(value, list):
        raise _Invalid(f"{where}: expected a list of floats{' or None' if none else ''}, got {type(value).__name__}")
    for i, v in enumerate(value):
        _real(v, f"{where}[{i}]")


def _classes(value: Any, where: str = "classes_") -> np.ndarray:
    """Sorted distinct labels, at least two: numbers, bools or strings."""
    arr = _array(value, where, (None,), kinds="biufUO")
    if arr.dtype.kind == "O" and not all(isinstance(v, str) for v in arr):
        raise _Invalid(f"{where}: an object array must hold strings")
    if arr.shape[0] < 2:
        raise _Invalid(f"{where}: a classifier has at least 2 classes, got {arr.shape[0]}")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise _Invalid(f"{where}: labels must be finite")
    if not np.all(arr[:-1] < arr[1:]):
        raise _Invalid(f"{where}: labels must be sorted and distinct")
    return arr


def _check_common(est: Any, attrs: dict[str, Any]) -> None:
    """The attributes every estimator may have."""
    if "n_features_in_" in attrs:
        n = _int(attrs["n_features_in_"], "n_features_in_", 1)
        if "feature_names_in_" in attrs:
            names = _array(attrs["feature_names_in_"], "feature_names_in_", (n,), kinds="O")
            if not all(isinstance(v, str) for v in names):
                raise _Invalid("feature_names_in_: expected strings")
    elif "feature_names_in_" in attrs:
        raise _Invalid("feature_names_in_: present without n_features_in_")
    if "_output_transform" in attrs:
        _choice(attrs["_output_transform"], "_output_transform", ("default", "pandas", "polars"))


# ---------------------------------------------------------------------- linear models
def _check_linear_regressor(est: Any, attrs: dict[str, Any]) -> None:
    d = _int(attrs["n_features_in_"], "n_features_in_", 1)
    coef = attrs["coef_"]
    if isinstance(coef, np.ndarray) and coef.ndim == 2:
        coef = _array(coef, "coef_", (None, d))
        _array(attrs["intercept_"], "intercept_", (coef.shape[0],))
    else:
        _array(coef, "coef_", (d,))
        _real(attrs["intercept_"], "intercept_")
    if "solver_" in attrs:
        _choice(attrs["solver_"], "solver_", ("normal", "lstsq"))


def _check_ridge_cv(est: Any, attrs: dict[str, Any]) -> None:
    _check_linear_regressor(est, attrs)
    _real(attrs["alpha_"], "alpha_")
    _real(attrs["best_score_"], "best_score_")
    _array(attrs["cv_scores_"], "cv_scores_", (len(est._check_alphas()),))


def _check_ridge_cv_params(est: Any) -> None:
    est._check_alphas()


def _check_linear_classifier(est: Any, attrs: dict[str, Any]) -> None:
    d = _int(attrs["n_features_in_"], "n_features_in_", 1)
    classes = _classes(attrs["classes_"])
    k = 1 if classes.shape[0] == 2 else classes.shape[0]
    _array(attrs["coef_"], "coef_", (k, d))
    _array(attrs["intercept_"], "intercept_", (k,))
    _bool(attrs["stopped_by_callback_"], "stopped_by_callback_")
    if isinstance(attrs["n_iter_"], np.ndarray):  # LogisticRegression: array([n], dtype=int32)
        _array(attrs["n_iter_"], "n_iter_", (1,), kinds="i")
    else:
        _int(attrs["n_iter_"], "n_iter_")


_LINEAR = ("coef_", "intercept_", "n_features_in_")
_LINEAR_CLASSIFIER = _LINEAR + ("classes_", "n_iter_", "stopped_by_callback_")


# ---------------------------------------------------------------------- preprocessing, decomposition
def _check_standard_scaler(est: Any, attrs: dict[str, Any]) -> None:
    d = _int(attrs["n_features_in_"], "n_features_in_", 1)
    _int(attrs["n_samples_seen_"], "n_samples_seen_", 1)
    for name in ("mean_", "var_", "scale_"):
        if attrs[name] is not None:
            _array(attrs[name], name, (d,), dtype=np.dtype(np.float64))
    # what transform and inverse_transform read
    for name, needed in (("mean_", est.with_mean), ("scale_", est.with_std), ("var_", est.with_std)):
        if needed and attrs[name] is None:
            raise _Invalid(f"{name}: None, but with_mean={est.with_mean} and with_std={est.with_std} need it")


def _combos(powers: np.ndarray) -> list[tuple[int, ...]]:
    """PolynomialFeatures' monomials (feature indices with repetition) from the rows of ``powers_``."""
    cols = np.arange(powers.shape[1])
    return [tuple(int(j) for j in np.repeat(cols, row)) for row in powers]


def _check_polynomial_features(est: Any, attrs: dict[str, Any]) -> None:
    d = _int(attrs["n_features_in_"], "n_features_in_", 1)
    n_out = _int(attrs["n_output_features_"], "n_output_features_", 1)
    powers = _array(attrs["powers_"], "powers_", (n_out, d), kinds="i")
    if powers.size and (powers.min() < 0 or (est.interaction_only and powers.max() > 1)):
        raise _Invalid("powers_: entries must be >= 0 (and <= 1 with interaction_only)")
    degrees = powers.sum(axis=1, dtype=np.float64)
    if degrees.max() > est.degree:
        raise _Invalid(f"powers_: a monomial of degree above degree={est.degree}")
    if degrees.sum() > 2e7:  # _combos would hold more than 2e7 indices
        raise _Invalid(f"powers_: monomials of total degree {degrees.sum():.0f}, above the format's limit of 2e7")
    seen: set[tuple[int, ...]] = set()
    for m, c in enumerate(_combos(powers)):  # transform builds each monomial from an earlier one
        if c in seen or (len(c) > 1 and c[:-1] not in seen):
            raise _Invalid(f"powers_: row {m} repeats a monomial or comes before the one it extends")
        seen.add(c)


def _restore_polynomial_features(est: Any) -> None:
    if "powers_" in est.__dict__:
        est._combos = _combos(est.powers_)


def _check_pca(est: Any, attrs: dict[str, Any]) -> None:
    d = _int(attrs["n_features_in_"], "n_features_in_", 1)
    k = _int(attrs["n_components_"], "n_components_", 1)
    n = _int(attrs["n_samples_"], "n_samples_", 2)
    if k > min(n, d):
        raise _Invalid(f"n_components_: {k} exceeds min(n_samples_, n_features_in_) = {min(n, d)}")
    dtype = _array(attrs["components_"], "components_", (k, d)).dtype
    for name in ("explained_variance_", "explained_variance_ratio_", "singular_values_"):
        _array(attrs[name], name, (k,), dtype=dtype)
    _array(attrs["mean_"], "mean_", (d,), dtype=dtype)
    _real(attrs["noise_variance_"], "noise_variance_")
    _choice(attrs["_fit_svd_solver"], "_fit_svd_solver", ("full", "covariance_eigh", "randomized"))


# ---------------------------------------------------------------------- clustering
def _check_kmeans(est: Any, attrs: dict[str, Any]) -> None:
    d = _int(attrs["n_features_in_"], "n_features_in_", 1)
    k = int(est.n_clusters)
    dtype = _array(attrs["cluster_centers_"], "cluster_centers_", (k, d)).dtype
    if "labels_" in attrs:
        labels = _array(attrs["labels_"], "labels_", (None,), kinds="i")
        if labels.size and (labels.min() < 0 or labels.max() >= k):
            raise _Invalid(f"labels_: expected cluster indices in [0, {k}), got values in "
                           f"[{labels.min()}, {labels.max()}]")
    if "inertia_" in attrs:
        _real(attrs["inertia_"], "inertia_")
    if "n_iter_" in attrs:
        _int(attrs["n_iter_"], "n_iter_", 1)
    if "_counts" in attrs:  # MiniBatchKMeans: each centre's accumulated weight
        _array(attrs["_counts"], "_counts", (k,), dtype=dtype)
        _int(attrs["n_steps_"], "n_steps_", 0)
        _int(attrs["_n_since_last_reassign"], "_n_since_last_reassign", 0)
        _real(attrs["_tol"], "_tol")


def _dump_spectral(est: Any, attrs: dict[str, Any]) -> None:
    """A sparse affinity matrix (CSR) as its three arrays and shape."""
    import scipy.sparse

    A = attrs.get("affinity_matrix_")
    if A is not None and scipy.sparse.issparse(A):
        A = scipy.sparse.csr_matrix(A)
        attrs["affinity_matrix_"] = {"csr_data": A.data, "csr_indices": A.indices.astype(np.int64),
                                     "csr_indptr": A.indptr.astype(np.int64), "shape": tuple(int(s) for s in A.shape)}


def _check_spectral(est: Any, attrs: dict[str, Any]) -> None:
    labels = _array(attrs["labels_"], "labels_", (None,), kinds="i")
    n = labels.shape[0]
    k = int(est.n_clusters)
    if n and (labels.min() < 0 or labels.max() >= k):
        raise _Invalid(f"labels_: expected cluster indices in [0, {k}), got values in [{labels.min()}, {labels.max()}]")
    _int(attrs["n_features_in_"], "n_features_in_", 1)
    A = attrs["affinity_matrix_"]
    if isinstance(A, dict):
        if set(A) != {"csr_data", "csr_indices", "csr_indptr", "shape"} or tuple(A["shape"]) != (n, n):
            raise _Invalid(f"affinity_matrix_: expected a CSR matrix of shape ({n}, {n})")
        data = _array(A["csr_data"], "affinity_matrix_.csr_data", (None,))
        indices = _array(A["csr_indices"], "affinity_matrix_.csr_indices", (data.shape[0],), kinds="i")
        indptr = _array(A["csr_indptr"], "affinity_matrix_.csr_indptr", (n + 1,), kinds="i")
        if (indptr[0] != 0 or indptr[-1] != data.shape[0] or np.any(np.diff(indptr) < 0)
                or (indices.size and (indices.min() < 0 or indices.max() >= n))):
            raise _Invalid("affinity_matrix_: inconsistent CSR structure")
    elif not hasattr(A, "shape") or not _sparse_or_array(A, (n, n)):
        raise _Invalid(f"affinity_matrix_: expected an array or a CSR matrix of shape ({n}, {n})")


def _sparse_or_array(A: Any, shape: tuple[int, int]) -> bool:
    import scipy.sparse

    if scipy.sparse.issparse(A):
        return tuple(A.shape) == shape
    _array(A, "affinity_matrix_", shape)
    return True


def _restore_spectral(est: Any) -> None:
    import scipy.sparse

    A = est.__dict__.get("affinity_matrix_")
    if isinstance(A, dict):
        est.affinity_matrix_ = scipy.sparse.csr_matrix((A["csr_data"], A["csr_indices"], A["csr_indptr"]),
                                                       shape=tuple(A["shape"]))


def _check_isomap(est: Any, attrs: dict[str, Any]) -> None:
    d = _int(attrs["n_features_in_"], "n_features_in_", 1)
    X = _array(attrs["_fit_X"], "_fit_X", (None, d))
    n, c = X.shape[0], int(est.n_components)
    _array(attrs["dist_matrix_"], "dist_matrix_", (n, n))
    _array(attrs["embedding_"], "embedding_", (n, c))
    _array(attrs["_alphas"], "_alphas", (n, c))
    _array(attrs["_lambdas"], "_lambdas", (c,))
    _array(attrs["_kernel_col_means"], "_kernel_col_means", (n,))
    _real(attrs["_kernel_mean"], "_kernel_mean")
    _real(attrs["_kernel_sq_norm"], "_kernel_sq_norm")


# ---------------------------------------------------------------------- neural networks
def _check_mlp_params(est: Any) -> None:
    hls = est.hidden_layer_sizes
    sizes = (hls,) if isinstance(hls, numbers.Integral) and not isinstance(hls, bool) else hls
    if not isinstance(sizes, (tuple, list, np.ndarray)) or not all(
            isinstance(s, numbers.Integral) and not isinstance(s, (bool, np.bool_)) and int(s) >= 1 for s in sizes):
        raise _Invalid(f"hidden_layer_sizes: expected an int or a tuple of ints >= 1, got {hls!r}")
    try:
        dtype = np.dtype(est.dtype)
    except (TypeError, ValueError, KeyError):
        dtype = None
    if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise _Invalid(f"dtype: expected np.float32 or np.float64, got {est.dtype!r}")


def _check_mlp(est: Any, attrs: dict[str, Any]) -> None:
    d = _int(attrs["n_features_in_"], "n_features_in_", 1)
    coefs, intercepts = attrs["coefs_"], attrs["intercepts_"]
    if not isinstance(coefs, list) or not isinstance(intercepts, list) or not coefs or len(coefs) != len(intercepts):
        raise _Invalid("coefs_, intercepts_: expected two lists of arrays of the same length >= 1")
    n_in, dtype = d, None
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        W = _array(W, f"coefs_[{i}]", (n_in, None), dtype=dtype)
        dtype = W.dtype
        _array(b, f"intercepts_[{i}]", (W.shape[1],), dtype=dtype)
        n_in = W.shape[1]
    if _int(attrs["n_outputs_"], "n_outputs_", 1) != n_in:
        raise _Invalid(f"n_outputs_: {attrs['n_outputs_']}, but the last layer has {n_in} units")
    if _int(attrs["n_layers_"], "n_layers_", 2) != len(coefs) + 1:
        raise _Invalid(f"n_layers_: {attrs['n_layers_']}, but there are {len(coefs)} weight matrices")
    if "classes_" in attrs:
        n_classes = _classes(attrs["classes_"]).shape[0]
        if n_in != (1 if n_classes == 2 else n_classes):
            raise _Invalid(f"n_outputs_: {n_in} does not fit {n_classes} classes")
        _choice(attrs["out_activation_"], "out_activation_", ("logistic",) if n_classes == 2 else ("softmax",))
    else:
        _choice(attrs["out_activation_"], "out_activation_", ("identity",))
    for name in ("n_iter_", "t_", "_no_improvement_count"):
        _int(attrs[name], name)
    _float_list(attrs["loss_curve_"], "loss_curve_")
    _float_list(attrs["validation_scores_"], "validation_scores_", none=True)
    for name in ("best_loss_", "best_validation_score_", "loss_"):
        if name in attrs:
            _real(attrs[name], name, none=name != "loss_")
    if "stopped_by_callback_" in attrs:
        _bool(attrs["stopped_by_callback_"], "stopped_by_callback_")
    _check_mlp_tricks(attrs, [W.shape for W in coefs], dtype)
    if not isinstance(attrs["_rng"], np.random.Generator):
        raise _Invalid(f"_rng: expected a numpy.random.Generator, got {type(attrs['_rng']).__name__}")
    opt = attrs["_optimizer"]
    if not isinstance(opt, dict) or set(opt) != {"class", "backend", "defaults", "state_dict"}:
        raise _Invalid("_optimizer: expected a dict with the keys class, backend, defaults and state_dict")
    _choice(opt["class"], "_optimizer.class", _OPTIMIZERS)
    from .backends import BACKENDS

    _choice(opt["backend"], "_optimizer.backend", ("auto",) + BACKENDS)
    if not isinstance(opt["defaults"], dict) or not isinstance(opt["state_dict"], dict):
        raise _Invalid("_optimizer: defaults and state_dict must be dicts")


def _check_mlp_tricks(attrs: dict[str, Any], shapes: list[tuple[int, int]], dtype: Any) -> None:
    """The buffers of the tricks: γ, β (one per hidden layer, or none), the running statistics
    (one per hidden layer, or none), the spectral vectors u, v (one per layer, or none), the dropout seed."""
    hidden = [b for _, b in shapes[:-1]]
    for names, widths in ((("norm_weights_", "norm_biases_"), hidden), (("running_means_", "running_vars_"), hidden),
                          (("spectral_u_",), [b for _, b in shapes]), (("_spectral_v",), [a for a, _ in shapes])):
        for name in names:
            value = attrs.get(name, [])
            if not isinstance(value, list) or len(value) not in (0, len(widths)):
                raise _Invalid(f"{name}: expected a list of 0 or {len(widths)} arrays")
            for i, a in enumerate(value):
                _array(a, f"{name}[{i}]", (widths[i],), dtype=dtype)
        if len({len(attrs.get(name, [])) for name in names}) > 1:
            raise _Invalid(f"{', '.join(names)}: expected lists of the same length")
    if len(attrs.get("spectral_u_", [])) != len(attrs.get("_spectral_v", [])):
        raise _Invalid("spectral_u_, _spectral_v: expected lists of the same length")
    if "_dropout_seed" in attrs:
        seed = attrs["_dropout_seed"]
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**64:
            raise _Invalid(f"_dropout_seed: expected an int in [0, 2**64), got {seed!r:.40}")


def _dump_mlp(est: Any, attrs: dict[str, Any]) -> None:
    """The optimizer as plain values: its class name, backend name, defaults and state_dict; the
    spectral vectors v (private state, with spectral norm)."""
    from . import optim

    if est.__dict__.get("_spectral_flat") is not None:
        attrs["_spectral_v"] = [v.copy() for _, v in est._spectral_pairs()]

    opt = attrs.get("_optimizer")
    if opt is None:
        return
    name = type(opt).__name__
    if name not in _OPTIMIZERS or type(opt) is not getattr(optim, name):
        raise _Invalid(f"_optimizer: a {type(opt).__name__} cannot be saved; expected one of {list(_OPTIMIZERS)}")
    extra = set(vars(opt)) - {"defaults", "backend", "state", "param_groups"}
    if extra:
        raise _Invalid(f"_optimizer: holds state {sorted(extra)} that this format does not save")
    groups = opt.param_groups
    if len(groups) != 1 or len(groups[0]["params"]) != 1 or groups[0]["params"][0] is not est._params_flat:
        raise _Invalid("_optimizer: expected one parameter, the network's flat parameter buffer")
    backend = opt.backend if isinstance(opt.backend, str) else opt.backend.name
    attrs["_optimizer"] = {"class": name, "backend": backend, "defaults": dict(opt.defaults),
                           "state_dict": opt.state_dict()}


def _restore_mlp(est: Any) -> None:
    """One flat buffer holding every layer's W then b (coefs_/intercepts_ become views), the
    gradient buffer, and the optimizer over the flat buffer with its saved state."""
    if "coefs_" not in est.__dict__:
        return
    from . import optim

    coefs, intercepts = est.coefs_, est.intercepts_
    gammas, betas = est.__dict__.get("norm_weights_", []), est.__dict__.get("norm_biases_", [])
    parts = []
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        parts += [W.ravel(), b]
        if gammas and i < len(coefs) - 1:
            parts += [gammas[i], betas[i]]
    flat = np.concatenate(parts)
    means, variances = est.__dict__.get("running_means_", []), est.__dict__.get("running_vars_", [])
    running = None
    if means or est.normalization == "batch":
        running = np.concatenate([np.r_[m, v] for m, v in zip(means, variances)] + [flat[:0]]).astype(flat.dtype)
    us, vs = est.__dict__.get("spectral_u_", []), est.__dict__.pop("_spectral_v", [])
    spectral = np.concatenate([np.r_[u, v] for u, v in zip(us, vs)]).astype(flat.dtype) if us else None
    saved = est._optimizer
    try:
        opt = getattr(optim, saved["class"])([flat], backend=saved["backend"])
        defaults = saved["defaults"]
        if set(defaults) != set(opt.defaults):
            raise _Invalid(f"_optimizer.defaults: expected the keys {sorted(opt.defaults)}, got {sorted(defaults)}")
        opt.load_state_dict(saved["state_dict"])
        for i, entry in opt.state.items():  # load_state_dict adds None for absent entries: drop them again
            for k in [k for k, v in entry.items() if v is None and k not in saved["state_dict"]["state"][i]]:
                del entry[k]
        opt._check_group(dict(defaults, params=[flat]))
        opt.defaults = dict(defaults)
    except _Invalid:
        raise
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError) as exc:
        raise _Invalid(f"_optimizer: {exc}") from None
    est._layer_shapes = [((int(W.shape[0]), int(W.shape[1])), (int(W.shape[1]),)) for W in coefs]
    est._params_flat = flat
    est._grad_flat = np.zeros_like(flat)
    est._running_flat = running
    est._spectral_flat = spectral
    est._optimizer = opt
    est._make_views()


_MLP = ("coefs_", "intercepts_", "n_features_in_", "n_outputs_", "out_activation_", "n_layers_", "n_iter_", "t_",
        "loss_curve_", "best_loss_", "validation_scores_", "best_validation_score_",
        "_rng", "_no_improvement_count", "_optimizer")


def _mlp_spec(fitted: tuple[str, ...]) -> _Spec:
    return _Spec(fitted=fitted, optional=("loss_", "stopped_by_callback_", "norm_weights_", "norm_biases_",
                                          "running_means_", "running_vars_", "spectral_u_", "_spectral_v",
                                          "_dropout_seed"),
                 derived=("_params_flat", "_grad_flat", "_layer_shapes", "_running_flat", "_spectral_flat"),
                 check=_check_mlp,
                 check_params=_check_mlp_params, dump=_dump_mlp, restore=_restore_mlp)


#: The allow-list: public class name → how it is saved. Only these classes are ever loaded.
_ESTIMATORS: dict[str, _Spec] = {
    "mlbasics.linear_model.LinearRegression": _Spec(fitted=_LINEAR + ("solver_",), check=_check_linear_regressor),
    "mlbasics.linear_model.Ridge": _Spec(fitted=_LINEAR, check=_check_linear_regressor),
    "mlbasics.linear_model.RidgeCV": _Spec(fitted=_LINEAR + ("alpha_", "best_score_", "cv_scores_"),
                                           check=_check_ridge_cv, check_params=_check_ridge_cv_params),
    "mlbasics.linear_model.LogisticRegression": _Spec(fitted=_LINEAR_CLASSIFIER, check=_check_linear_classifier),
    "mlbasics.linear_model.Perceptron": _Spec(fitted=_LINEAR_CLASSIFIER, check=_check_linear_classifier),
    "mlbasics.preprocessing.StandardScaler": _Spec(fitted=("n_features_in_", "n_samples_seen_", "mean_", "var_",
                                                           "scale_"), check=_check_standard_scaler),
    "mlbasics.preprocessing.PolynomialFeatures": _Spec(fitted=("powers_", "n_features_in_", "n_output_features_"),
                                                       derived=("_combos",), check=_check_polynomial_features,
                                                       restore=_restore_polynomial_features),
    "mlbasics.decomposition.PCA": _Spec(fitted=("components_", "explained_variance_", "explained_variance_ratio_",
                                                "singular_values_", "mean_", "noise_variance_", "n_components_",
                                                "n_samples_", "n_features_in_", "_fit_svd_solver"), check=_check_pca),
    "mlbasics.cluster.KMeans": _Spec(fitted=("cluster_centers_", "labels_", "inertia_", "n_iter_", "n_features_in_"),
                                     check=_check_kmeans),
    # partial_fit continues from the counts, the reassignment clock and the random stream
    "mlbasics.cluster.MiniBatchKMeans": _Spec(fitted=("cluster_centers_", "n_steps_", "n_features_in_", "_counts",
                                                      "_n_since_last_reassign", "_tol", "_rng"),
                                              optional=("labels_", "inertia_", "n_iter_"), check=_check_kmeans),
    "mlbasics.cluster.SpectralClustering": _Spec(fitted=("labels_", "affinity_matrix_", "n_features_in_"),
                                                 check=_check_spectral, dump=_dump_spectral,
                                                 restore=_restore_spectral),
    "mlbasics.manifold.Isomap": _Spec(fitted=("dist_matrix_", "embedding_", "n_features_in_", "_fit_X", "_lambdas",
                                              "_alphas", "_kernel_col_means", "_kernel_mean", "_kernel_sq_norm"),
                                      check=_check_isomap),
    "mlbasics.neural_network.MLPClassifier": _mlp_spec(_MLP + ("classes_",)),
    "mlbasics.neural_network.MLPRegressor": _mlp_spec(_MLP),
}


def _class_of(name: str) -> type:
    module, _, cls = name.rpartition(".")
    return getattr(importlib.import_module(module), cls)


def _spec_of(estimator: Any) -> tuple[str, _Spec]:
    cls = type(estimator)
    for name, spec in _ESTIMATORS.items():
        if name.rpartition(".")[2] == cls.__name__ and _class_of(name) is cls:
            return name, spec
    raise _Invalid(f"estimator: a {cls.__module__}.{cls.__qualname__} cannot be saved; mlbasics.save takes "
                   f"these estimators (not subclasses): {sorted(_ESTIMATORS)}")


def _is_public_fitted(name: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*_", name)) and not name.endswith("__")


def _check_names(cls: type, spec: _Spec, names: set[str], params: set[str]) -> None:
    """The attribute names a file (or an estimator to save) may hold, all of ``fitted`` or none."""
    known = set(spec.fitted or ()) | set(spec.optional) | set(_COMMON)
    for name in sorted(names):
        allowed = name in known or (spec.fitted is None and _is_public_fitted(name))
        if not allowed or name in params or name in spec.derived or hasattr(cls, name):
            raise _Invalid(f"{name}: not a saved attribute of {cls.__name__} (entry of mlbasics._persistence."
                           f"_ESTIMATORS: fitted={spec.fitted}, optional={spec.optional})")
    if spec.fitted is not None and names - {"_output_transform"}:
        missing = sorted(set(spec.fitted) - names)
        if missing:
            raise _Invalid(f"{missing[0]}: missing; a fitted {cls.__name__} has {sorted(spec.fitted)}")


# ====================================================================== values → JSON
class _Encoder:
    """Plain values → JSON, arrays → members (named after where they are)."""

    def __init__(self, generators: Mapping[int, str] | None = None) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.generators = dict(generators or {})  # id of a parameter's generator → the parameter's name

    def _member(self, key: str) -> str:
        name, n = f"{key}.npy", 1
        while name in self.arrays:
            n += 1
            name = f"{key}.{n}.npy"
        return name

    def encode(self, value: Any, where: str, key: str, depth: int = 0) -> Any:
        if depth > _MAX_DEPTH:
            raise _Invalid(f"{where}: nested too deeply")
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, Backend):  # a backend is saved by name
            return value.name
        if isinstance(value, np.generic):  # before float: np.float64 is a float
            kind = np.dtype(type(value)).name
            if kind not in _SCALARS:
                raise _Invalid(f"{where}: a NumPy {kind} scalar cannot be saved")
            return {"$scalar": [kind, self.encode(value.item(), where, key, depth + 1)]}
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return float(value) if math.isfinite(value) else {"$float": repr(float(value))}
        if type(value) is np.ndarray:
            return self._array(value, where, key)
        if isinstance(value, list):
            return [self.encode(v, f"{where}[{i}]", f"{key}.{i}", depth + 1) for i, v in enumerate(value)]
        if type(value) is tuple:
            return {"$tuple": [self.encode(v, f"{where}[{i}]", f"{key}.{i}", depth + 1) for i, v in enumerate(value)]}
        if type(value) is dict:
            items = []
            for i, (k, v) in enumerate(value.items()):
                if not isinstance(k, (str, int)) or isinstance(k, bool):
                    raise _Invalid(f"{where}: dict keys must be str or int, got {k!r}")
                part = str(k) if re.fullmatch(r"[A-Za-z0-9_]{1,40}", str(k)) else f"k{i}"
                items.append([k, self.encode(v, f"{where}[{k!r}]", f"{key}.{part}", depth + 1)])
            return {"$dict": items}
        if isinstance(value, (np.random.Generator, np.random.RandomState)) and id(value) in self.generators:
            return {"$ref": self.generators[id(value)]}
        if type(value) is np.random.Generator:
            state = value.bit_generator.state
            if state.get("bit_generator") not in _BIT_GENERATORS:
                raise _Invalid(f"{where}: a Generator over {state.get('bit_generator')!r} cannot be saved")
            return {"$generator": self.encode(state, where, key, depth + 1)}
        if type(value) is np.random.RandomState:
            return {"$random_state": self.encode(value.get_state(legacy=False), where, key, depth + 1)}
        if isinstance(value, type) and value in _TYPES.values():
            return {"$type": next(k for k, t in _TYPES.items() if t is value)}
        if isinstance(value, np.dtype) and value.newbyteorder("<").str in _DESCRS:
            return {"$dtype": value.newbyteorder("<").str}
        what = "a function" if callable(value) else f"a {type(value).__module__}.{type(value).__qualname__}"
        raise _Invalid(f"{where}: {what} ({value!r:.80}) cannot be saved: an mlbasics file holds only None, bool, "
                       "int, float, str, lists and tuples of those, NumPy arrays and scalars, and NumPy random "
                       "generators. Set it to such a value before saving (e.g. None for a callback).")

    def _array(self, value: np.ndarray, where: str, key: str) -> dict[str, str]:
        tag = "$array"
        if value.dtype.kind == "O":
            if not all(isinstance(v, str) for v in value.flat):
                raise _Invalid(f"{where}: an object array cannot be saved unless it holds only strings")
            value = value.astype(str) if value.size else np.empty(value.shape, dtype="<U1")
            tag = "$strings"
        data = value.astype(value.dtype.newbyteorder("<"), copy=False) if value.dtype.byteorder == ">" else value
        if data.dtype.str not in _DESCRS and not _UNICODE.match(data.dtype.str):
            raise _Invalid(f"{where}: arrays of dtype {value.dtype} cannot be saved (bool, int, uint, float32, float64 "
                           "and str arrays can)")
        if data.nbytes > _MAX_MEMBER_BYTES - 1024:
            raise _Invalid(f"{where}: an array of {data.nbytes} bytes is above the format's limit of 2 GiB")
        if not (data.flags.c_contiguous or data.flags.f_contiguous):
            data = np.ascontiguousarray(data)
        member = self._member(key)
        self.arrays[member] = data
        return {tag: member}


# ====================================================================== JSON → values
class _Decoder:
    """JSON values → Python values; every array member must be used exactly once."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.arrays = arrays
        self.used: set[str] = set()
        self.params: dict[str, Any] | None = None  # for $ref, once the parameters are decoded

    def decode(self, value: Any, where: str, depth: int = 0) -> Any:
        if depth > _MAX_DEPTH:
            raise _Invalid(f"{where}: nested too deeply")
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, list):
            return [self.decode(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(value)]
        if not isinstance(value, dict) or len(value) != 1:
            raise _Invalid(f"{where}: expected a JSON value or an object with one '$' key, got {str(value)[:80]}")
        (tag, body), = value.items()
        try:
            return getattr(self, "_" + tag[1:])(body, where, depth) if tag in _TAGS else self._unknown(tag, where)
        except _Invalid:
            raise
        except (TypeError, ValueError, KeyError, IndexError, OverflowError, AttributeError) as exc:
            raise _Invalid(f"{where}: invalid {tag} value ({type(exc).__name__}: {exc})") from None

    def _unknown(self, tag: str, where: str) -> Any:
        raise _Invalid(f"{where}: unknown tag {tag[:40]!r}; known: {sorted(_TAGS)}")

    def _float(self, body: Any, where: str, depth: int) -> float:
        if body not in ("nan", "inf", "-inf"):
            raise _Invalid(f"{where}: $float must be 'nan', 'inf' or '-inf', got {body!r:.40}")
        return float(body)

    def _tuple(self, body: Any, where: str, depth: int) -> tuple:
        if not isinstance(body, list):
            raise _Invalid(f"{where}: $tuple takes a list")
        return tuple(self.decode(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(body))

    def _dict(self, body: Any, where: str, depth: int) -> dict:
        if not isinstance(body, list):
            raise _Invalid(f"{where}: $dict takes a list of [key, value] pairs")
        out: dict[Any, Any] = {}
        for pair in body:
            if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], (str, int))
                    and not isinstance(pair[0], bool)) or pair[0] in out:
                raise _Invalid(f"{where}: $dict entries must be [key, value] with distinct str or int keys")
            out[pair[0]] = self.decode(pair[1], f"{where}[{pair[0]!r:.40}]", depth + 1)
        return out

    def _take(self, body: Any, where: str) -> np.ndarray:
        if not isinstance(body, str) or body not in self.arrays:
            raise _Invalid(f"{where}: refers to {body!r:.60}, which is not a listed array member")
        if body in self.used:
            raise _Invalid(f"{where}: array member {body!r} is used twice")
        self.used.add(body)
        return self.arrays[body]

    def _array(self, body: Any, where: str, depth: int) -> np.ndarray:
        return self._take(body, where)

    def _strings(self, body: Any, where: str, depth: int) -> np.ndarray:
        arr = self._take(body, where)
        if arr.dtype.kind != "U":
            raise _Invalid(f"{where}: $strings needs a unicode array, got {arr.dtype}")
        return arr.astype(object)

    def _scalar(self, body: Any, where: str, depth: int) -> np.generic:
        if not (isinstance(body, list) and len(body) == 2 and body[0] in _SCALARS):
            raise _Invalid(f"{where}: $scalar takes [dtype name, value] with a name in {sorted(_SCALARS)}")
        value: Any = self.decode(body[1], where, depth + 1)
        kind = np.dtype(_SCALARS[body[0]]).kind
        ok = {"b": (bool,), "i": (int,), "u": (int,), "f": (float, int)}[kind]
        if not any(isinstance(value, t) for t in ok) or (kind != "b" and isinstance(value, bool)):
            raise _Invalid(f"{where}: a {body[0]} scalar cannot hold {value!r:.40}")
        if kind in "iu":
            info = np.iinfo(_SCALARS[body[0]])
            if not info.min <= value <= info.max:
                raise _Invalid(f"{where}: {value} is out of range for {body[0]}")
        if kind == "f" and math.isfinite(value) and abs(value) > float(np.finfo(_SCALARS[body[0]]).max):
            raise _Invalid(f"{where}: {value} is out of range for {body[0]}")
        return _SCALARS[body[0]](value)

    def _type(self, body: Any, where: str, depth: int) -> type:
        if body not in _TYPES:
            raise _Invalid(f"{where}: $type must be one of {sorted(_TYPES)}")
        return _TYPES[body]

    def _dtype(self, body: Any, where: str, depth: int) -> np.dtype:
        if body not in _DESCRS:
            raise _Invalid(f"{where}: $dtype must be one of {sorted(_DESCRS)}")
        return np.dtype(body)

    def _generator(self, body: Any, where: str, depth: int) -> np.random.Generator:
        state = self.decode(body, where, depth + 1)
        if not isinstance(state, dict) or state.get("bit_generator") not in _BIT_GENERATORS:
            raise _Invalid(f"{where}: a generator's state must name one of {list(_BIT_GENERATORS)}")
        bit_generator = getattr(np.random, state["bit_generator"])()
        bit_generator.state = state
        return np.random.Generator(bit_generator)

    def _random_state(self, body: Any, where: str, depth: int) -> np.random.RandomState:
        state = self.decode(body, where, depth + 1)
        if not isinstance(state, dict) or state.get("bit_generator") != "MT19937":
            raise _Invalid(f"{where}: a RandomState's state must be an MT19937 state")
        rs = np.random.RandomState()
        rs.set_state(state)
        return rs

    def _ref(self, body: Any, where: str, depth: int) -> Any:
        target = None if self.params is None or not isinstance(body, str) else self.params.get(body)
        if not isinstance(target, (np.random.Generator, np.random.RandomState)):
            raise _Invalid(f"{where}: $ref must name a parameter holding a random generator, got {body!r:.40}")
        return target


_TAGS = ("$float", "$tuple", "$dict", "$array", "$strings", "$scalar", "$type", "$dtype", "$generator",
         "$random_state", "$ref")


# ====================================================================== save
def _build(estimator: Any) -> bytes:
    name, spec = _spec_of(estimator)
    cls = type(estimator)
    params = estimator.get_params(deep=False)
    encoder = _Encoder()
    encoded_params = {k: encoder.encode(v, k, f"params.{k}") for k, v in params.items()}
    estimator._validate_params()
    if spec.check_params is not None:
        spec.check_params(estimator)
    attrs = {k: v for k, v in vars(estimator).items() if k not in params and k not in spec.derived}
    _check_names(cls, spec, set(attrs), set(params))
    if spec.dump is not None:
        spec.dump(estimator, attrs)
    _check_common(estimator, attrs)
    if spec.check is not None and set(attrs) - {"_output_transform"}:
        spec.check(estimator, attrs)
    encoder.generators = {id(v): k for k, v in params.items()
                          if isinstance(v, (np.random.Generator, np.random.RandomState))}
    encoded_fitted = {k: encoder.encode(v, k, f"fitted.{k}") for k, v in attrs.items()}
    from . import __version__

    meta = {"format": _FORMAT, "format_version": FORMAT_VERSION, "mlbasics_version": __version__, "class": name,
            "params": encoded_params, "fitted": encoded_fitted,
            "arrays": {m: {"shape": list(a.shape), "dtype": a.dtype.str} for m, a in encoder.arrays.items()}}
    text = json.dumps(meta, allow_nan=False, indent=1, ensure_ascii=True).encode("ascii")
    if len(text) > _MAX_METADATA_BYTES:
        raise _Invalid(f"estimator: its metadata takes {len(text)} bytes, above the format's limit of 64 MiB")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo(_METADATA, date_time=_DATE)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        zf.writestr(info, text)
        for member, arr in encoder.arrays.items():
            info = zipfile.ZipInfo(member, date_time=_DATE)
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            with zf.open(info, "w", force_zip64=arr.nbytes > (1 << 30)) as f:
                np.lib.format.write_array(f, arr, allow_pickle=False)
    return buf.getvalue()


def save(estimator: Any, path: PathLike) -> None:
    """Write an estimator, fitted or not, to a file that :func:`load` reads without running code.

    The file is a ZIP archive of ``metadata.json`` (the class, its parameters and the fitted
    attributes as JSON) and one NumPy ``.npy`` member per array: the format is described in
    :mod:`mlbasics._persistence`. It holds everything that continued training reads
    (``partial_fit``, ``warm_start``: an MLP's optimizer state and random generator too), so a
    loaded estimator predicts and trains on exactly as the saved one. The same estimator always
    gives the same bytes. Prefer this to pickle or joblib, which are for files you trust only:
    unpickling runs code.

    Parameters
    ----------
    estimator : estimator
        One of mlbasics' estimators (LinearRegression, Ridge, RidgeCV, LogisticRegression,
        Perceptron, StandardScaler, PolynomialFeatures, PCA, MLPClassifier, MLPRegressor).
    path : str, os.PathLike or binary file object
        Where to write; an existing file is replaced (only once the whole content is ready).

    Raises
    ------
    ValueError
        For an estimator of another class (subclasses included), or a parameter or attribute
        that the format cannot hold, named in the message: a callable (``callback``), a splitter
        object (RidgeCV's ``cv``), any other object. A ``backend`` given as a Backend object is
        saved by its name.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import mlbasics
    >>> from mlbasics.linear_model import Ridge
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> model = Ridge(alpha=1.0, backend="numpy").fit(X, 2 * X[:, 0] + 1)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     mlbasics.save(model, os.path.join(tmp, "ridge.mlbasics"))
    ...     loaded = mlbasics.load(os.path.join(tmp, "ridge.mlbasics"))
    >>> loaded
    Ridge(backend='numpy')
    >>> np.array_equal(loaded.predict(X), model.predict(X))
    True
    """
    try:
        data = _build(estimator)
    except _Invalid as exc:  # a plain ValueError for the caller
        raise ValueError(str(exc)) from None
    if not isinstance(path, (str, os.PathLike)):
        path.write(data)
        return
    target = os.fspath(path)
    if os.path.isdir(target):
        raise ValueError(f"path: {target!r} is a directory; expected a file name")
    with open(target, "wb") as f:
        f.write(data)


# ====================================================================== load
#: What zipfile, zlib and struct raise on damaged archives: all become ValueError.
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, KeyError, IndexError,
               TypeError, OverflowError, NotImplementedError, RuntimeError, UnicodeError, struct.error, zlib.error)


def _read_bytes(path: PathLike) -> bytes:
    if not isinstance(path, (str, os.PathLike)):
        data: Any = path.read(_MAX_FILE_BYTES + 1)
        if not isinstance(data, (bytes, bytearray)):
            raise ValueError(f"path: expected a file opened in binary mode, got one that reads {type(data).__name__}")
        data = bytes(data)
    else:
        source = os.fspath(path)
        if os.path.isdir(source):
            raise ValueError(f"path: {source!r} is a directory, not an mlbasics file")
        with open(source, "rb") as f:
            data = f.read(_MAX_FILE_BYTES + 1)
    if len(data) > _MAX_FILE_BYTES:
        raise _Invalid("path: the file is larger than the format's limit of 4 GiB")
    if not data.startswith(b"PK\x03\x04"):
        raise _Invalid("path: not an mlbasics file (an mlbasics file is a ZIP archive, starting with 'PK\\x03\\x04'; "
                       "pickle and joblib files are not read: unpickling runs code)")
    return data


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """The member's bytes, read at most one byte past its declared size, which must be its size."""
    out = bytearray()
    with zf.open(info) as f:
        while True:
            chunk = f.read(min(1 << 20, info.file_size + 1 - len(out)))
            if not chunk:
                break
            out += chunk
            if len(out) > info.file_size:
                raise _Invalid(f"{info.filename}: holds more than its declared {info.file_size} bytes")
    if len(out) != info.file_size:
        raise _Invalid(f"{info.filename}: holds {len(out)} bytes, declared {info.file_size}")
    return bytes(out)


def _check_infos(infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > _MAX_MEMBERS:
        raise _Invalid(f"path: {len(infos)} members, above the limit of {_MAX_MEMBERS}")
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        raise _Invalid("path: a member name appears twice")
    total = 0
    for info in infos:
        name = info.filename
        if len(name) > _MAX_NAME or not (name == _METADATA or _MEMBER.match(name)):
            raise _Invalid(f"member {name[:80]!r}: not an allowed name (metadata.json, or letters, digits, '_' and "
                           "'.' ending in .npy: no directories, no '..')")
        if info.flag_bits & 0x1:
            raise _Invalid(f"{name}: encrypted members are not allowed")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _Invalid(f"{name}: compression method {info.compress_type} is not allowed (stored or deflated)")
        limit = _MAX_METADATA_BYTES if name == _METADATA else _MAX_MEMBER_BYTES
        if info.file_size > limit:
            raise _Invalid(f"{name}: declares {info.file_size} bytes, above the limit of {limit}")
        if info.file_size > _BOMB_FLOOR and info.file_size > _MAX_RATIO * info.compress_size:
            raise _Invalid(f"{name}: would expand {info.file_size} bytes from {info.compress_size} (more than "
                           f"{_MAX_RATIO}-fold): refused as a decompression bomb")
        total += info.file_size
    if total > _MAX_FILE_BYTES:
        raise _Invalid(f"path: the members declare {total} bytes in all, above the limit of {_MAX_FILE_BYTES}")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _Invalid("metadata.json: a key appears twice in one object")
    return out


def _no_constant(text: str) -> Any:
    raise _Invalid(f"metadata.json: {text[:40]} is not standard JSON (write {{\"$float\": ...}})")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999: Python reads it as inf, JSON has no such number
        _no_constant(text)
    return value


def _parse_metadata(raw: bytes) -> dict[str, Any]:
    try:
        meta = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates, parse_constant=_no_constant,
                          parse_float=_finite)
    except _Invalid:
        raise
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise _Invalid(f"metadata.json: not valid JSON ({type(exc).__name__}: {str(exc)[:200]})") from None
    if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
        raise _Invalid("metadata.json: not an mlbasics file (expected \"format\": \"mlbasics\")")
    version = meta.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise _Invalid(f"format_version: expected an integer >= 1, got {version!r:.40}")
    if version > FORMAT_VERSION:
        raise _Invalid(f"format_version: the file has format_version {version}, this mlbasics reads files up to "
                       f"format_version {FORMAT_VERSION}: it comes from a newer mlbasics "
                       f"({str(meta.get('mlbasics_version'))[:40]}); upgrade mlbasics to load it")
    if set(meta) != _KEYS:
        raise _Invalid(f"metadata.json: expected the keys {sorted(_KEYS)}, got {sorted(meta)[:20]}")
    for key in ("params", "fitted", "arrays"):
        if not isinstance(meta[key], dict):
            raise _Invalid(f"metadata.json: {key!r} must be an object")
    if not isinstance(meta["class"], str) or meta["class"] not in _ESTIMATORS:
        raise _Invalid(f"class: {str(meta['class'])[:100]!r} is not an estimator mlbasics {FORMAT_VERSION} loads; "
                       f"known: {sorted(_ESTIMATORS)}")
    if not isinstance(meta["mlbasics_version"], str):
        raise _Invalid("mlbasics_version: expected a string")
    return meta


def _declared(entry: Any, member: str) -> tuple[tuple[int, ...], np.dtype]:
    if not (isinstance(entry, dict) and set(entry) == {"shape", "dtype"} and isinstance(entry["shape"], list)
            and isinstance(entry["dtype"], str)):
        raise _Invalid(f"arrays[{member!r}]: expected {{\"shape\": [...], \"dtype\": \"...\"}}")
    shape = entry["shape"]
    if len(shape) > _MAX_NDIM or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape):
        raise _Invalid(f"arrays[{member!r}]: shape must be a list of at most {_MAX_NDIM} integers >= 0")
    if entry["dtype"] not in _DESCRS and not _UNICODE.match(entry["dtype"]):
        raise _Invalid(f"arrays[{member!r}]: dtype {entry['dtype'][:40]!r} is not allowed (bool, little-endian "
                       "(u)int, float32, float64, unicode)")
    return tuple(shape), np.dtype(entry["dtype"])


def _parse_npy(raw: bytes, member: str, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """The array of a .npy member, after its header is checked against the declared shape and dtype and
    its data length against the header: nothing is allocated that the file does not hold."""
    f = io.BytesIO(raw)
    fmt = np.lib.format
    try:
        version = fmt.read_magic(f)
        if version == (1, 0):
            got_shape, fortran, got_dtype = fmt.read_array_header_1_0(f)
        elif version == (2, 0):
            got_shape, fortran, got_dtype = fmt.read_array_header_2_0(f)
        else:
            raise _Invalid(f"{member}: .npy format version {version} is not allowed (1.0 or 2.0)")
    except _Invalid:
        raise
    except (ValueError, TypeError, SyntaxError, RecursionError, OverflowError, EOFError, UnicodeError) as exc:
        raise _Invalid(f"{member}: not a valid .npy header ({type(exc).__name__}: {str(exc)[:200]})") from None
    if got_dtype != dtype or got_dtype.str != dtype.str or got_dtype.hasobject or got_dtype.names is not None:
        raise _Invalid(f"{member}: holds dtype {got_dtype}, metadata.json declares {dtype}")
    if tuple(got_shape) != shape:
        raise _Invalid(f"{member}: holds shape {tuple(got_shape)}, metadata.json declares {shape}")
    if len(raw) - f.tell() != math.prod(shape) * dtype.itemsize:
        raise _Invalid(f"{member}: holds {len(raw) - f.tell()} data bytes; shape {shape} and dtype {dtype} need "
                       f"{math.prod(shape) * dtype.itemsize}")
    try:
        arr = np.load(io.BytesIO(raw), allow_pickle=False)
    except (ValueError, TypeError, OSError, EOFError) as exc:  # pragma: no cover - the checks above come first
        raise _Invalid(f"{member}: not a valid .npy member ({exc})") from None
    if type(arr) is not np.ndarray or arr.shape != shape or arr.dtype != dtype:  # pragma: no cover - as above
        raise _Invalid(f"{member}: np.load gave {type(arr).__name__} {getattr(arr, 'shape', None)}")
    if not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))
    if arr.dtype.kind == "b" and arr.size and arr.view(np.uint8).max() > 1:
        raise _Invalid(f"{member}: a bool array holds bytes other than 0 and 1")
    if arr.dtype.kind == "U" and arr.size and np.frombuffer(arr.tobytes(), dtype=np.uint32).max() > 0x10FFFF:
        raise _Invalid(f"{member}: a unicode array holds values that are not characters")
    return arr


def _parse(data: bytes) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """metadata.json and the arrays, every member checked."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            _check_infos(infos)
            by_name = {i.filename: i for i in infos}
            if _METADATA not in by_name:
                raise _Invalid("path: no metadata.json member: not an mlbasics file")
            meta = _parse_metadata(_read_member(zf, by_name[_METADATA]))
            listed = meta["arrays"]
            members = set(by_name) - {_METADATA}
            if set(listed) != members:
                odd = sorted(set(listed) ^ members)[:5]
                raise _Invalid(f"arrays: the members and the arrays listed in metadata.json differ: {odd}")
            arrays = {}
            for member in sorted(members):
                shape, dtype = _declared(listed[member], member)
                if math.prod(shape) * dtype.itemsize > by_name[member].file_size:
                    raise _Invalid(f"{member}: shape {shape} needs more bytes than the member holds")
                arrays[member] = _parse_npy(_read_member(zf, by_name[member]), member, shape, dtype)
    except _Invalid:
        raise
    except _ZIP_ERRORS as exc:
        raise _Invalid(f"path: not a valid mlbasics file: damaged ZIP archive ({type(exc).__name__}: "
                       f"{str(exc)[:200]})") from None
    return meta, arrays


def _construct(meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> Any:
    name = meta["class"]
    spec = _ESTIMATORS[name]
    cls: Any = _class_of(name)
    decoder = _Decoder(arrays)
    names = set(cls._param_names())
    unknown = sorted(set(meta["params"]) - names)
    if unknown:
        raise _Invalid(f"{unknown[0][:80]}: not a parameter of {cls.__name__} in this mlbasics (the file may come "
                       "from a newer one)")
    params = {k: decoder.decode(v, k) for k, v in meta["params"].items()}
    decoder.params = params
    try:
        estimator = cls(**params)
        estimator._validate_params()
        if spec.check_params is not None:
            spec.check_params(estimator)
    except _Invalid:
        raise
    except (TypeError, ValueError) as exc:
        raise _Invalid(f"params: {exc}") from None
    fitted = meta["fitted"]
    _check_names(cls, spec, set(fitted), names)
    attrs = {k: decoder.decode(v, k) for k, v in fitted.items()}
    unused = sorted(set(arrays) - decoder.used)
    if unused:
        raise _Invalid(f"{unused[0]}: an array member that no value refers to")
    try:
        _check_common(estimator, attrs)
        if spec.check is not None and set(attrs) - {"_output_transform"}:
            spec.check(estimator, attrs)
        estimator.__dict__.update(attrs)  # no descriptors: _check_names refuses names the class defines
        if spec.restore is not None:
            spec.restore(estimator)
    except _Invalid:
        raise
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError) as exc:
        raise _Invalid(f"fitted: {type(exc).__name__}: {exc}") from None
    return estimator


def load(path: PathLike) -> Any:
    """Read an estimator written by :func:`save`, checking the whole file first and running no code from it.

    Only the classes of mlbasics' allow-list are built, through their ``__init__`` and their
    usual parameter checks; arrays are read with ``numpy.load(..., allow_pickle=False)`` after
    their headers are checked. Shapes and dtypes must agree with ``metadata.json`` and with each
    other (e.g. ``coef_`` with ``n_features_in_``). Use this, not pickle or joblib, for files you
    did not write yourself: unpickling runs code, so pickle and joblib are only for files you
    trust.

    Parameters
    ----------
    path : str, os.PathLike or binary file object

    Returns
    -------
    estimator : estimator
        A new estimator equal to the saved one: same parameters (a ``backend`` saved by name), same
        fitted attributes, same predictions, and the same results from further ``partial_fit`` /
        ``warm_start`` training.

    Raises
    ------
    ValueError
        For anything that is not a valid mlbasics file: not a ZIP archive (e.g. a pickle),
        truncated or damaged content, unexpected member names, sizes above the format's limits,
        an unknown class, invalid parameters, arrays of a wrong shape or dtype, object arrays. A
        file from a newer mlbasics (a larger ``format_version``) is refused with a message saying
        to upgrade.
    FileNotFoundError
        If ``path`` does not exist.

    Examples
    --------
    >>> import io
    >>> import numpy as np
    >>> import mlbasics
    >>> from mlbasics.preprocessing import StandardScaler
    >>> X = np.array([[1.0, 10.0], [3.0, 30.0]])
    >>> buffer = io.BytesIO()
    >>> mlbasics.save(StandardScaler().fit(X), buffer)
    >>> scaler = mlbasics.load(io.BytesIO(buffer.getvalue()))
    >>> scaler.mean_, scaler.transform(X)
    (array([ 2., 20.]), array([[-1., -1.],
           [ 1.,  1.]]))
    >>> mlbasics.load(io.BytesIO(b"\\x80\\x04K\\x01."))  # a pickle is never unpickled
    Traceback (most recent call last):
    ...
    ValueError: path: not an mlbasics file (an mlbasics file is a ZIP archive, ...
    """
    try:
        meta, arrays = _parse(_read_bytes(path))
        return _construct(meta, arrays)
    except _Invalid as exc:  # a plain ValueError for the caller
        raise ValueError(str(exc)) from None
