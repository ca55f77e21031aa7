"""Small data sets: three real ones shipped with the package, and synthetic generators.

Loaders (``(X, y)``, the same arrays as scikit-learn's ``load_*(return_X_y=True)``):
:func:`load_digits` (1797×64, 10 classes), :func:`load_breast_cancer` (569×30, binary),
:func:`load_diabetes` (442×10, regression). Origins and licenses of the files:
``mlbasics/datasets/data/DATA_LICENSE.md``.

Generators (seeded with ``random_state``): :func:`make_xor`, :func:`make_regression`,
:func:`make_classification`; for clustering and manifold learning :func:`make_blobs`,
:func:`make_moons`, :func:`make_circles` and :func:`make_swiss_roll`.
"""
from ._loaders import load_breast_cancer, load_diabetes, load_digits
from ._samples_generator import (make_blobs, make_circles, make_classification, make_moons, make_regression,
                                 make_swiss_roll, make_xor)

__all__ = ["load_digits", "load_breast_cancer", "load_diabetes",
           "make_xor", "make_regression", "make_classification",
           "make_blobs", "make_moons", "make_circles", "make_swiss_roll"]
