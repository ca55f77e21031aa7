"""Constants of the contract's fast paths (see "Fast paths" in :class:`~mlbasics.backends.Backend`)."""
import numpy as np

from .._checks import FLOAT_DTYPES

_ndarray = np.ndarray
_F32, _F64 = FLOAT_DTYPES
_I64, _U64 = np.dtype(np.int64), np.dtype(np.uint64)
_max = np.maximum.reduce
