"""Exceptions raised by mlbasics."""


class NotFittedError(ValueError, AttributeError):
    """Raised when a method that needs a fitted estimator is called before ``fit``.

    Subclasses both ValueError and AttributeError, as scikit-learn's does, so
    ``except ValueError`` and ``hasattr`` checks both see it.

    Examples
    --------
    >>> import numpy as np
    >>> from mlbasics.exceptions import NotFittedError
    >>> from mlbasics.linear_model import LinearRegression
    >>> try:
    ...     LinearRegression().predict(np.zeros((1, 1)))
    ... except NotFittedError:
    ...     print("fit first")
    fit first
    >>> issubclass(NotFittedError, ValueError), issubclass(NotFittedError, AttributeError)
    (True, True)
    """


class ConvergenceWarning(UserWarning):
    """An iterative fit stopped at its iteration limit (``max_iter``) before meeting ``tol``.

    The fitted model is usable but may be less accurate; raise ``max_iter``, scale the
    features, or silence the warning with :mod:`warnings` for short demonstration fits.

    Examples
    --------
    >>> import warnings
    >>> from mlbasics.exceptions import ConvergenceWarning
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", ConvergenceWarning)
    ...     warnings.warn("stopped at max_iter=1", ConvergenceWarning)
    >>> issubclass(ConvergenceWarning, UserWarning)
    True
    """


class DataConversionWarning(UserWarning):
    """Input data were converted to the form the estimator needs, e.g. a column-vector ``y`` of
    shape (n, 1) flattened to shape (n,).

    Examples
    --------
    >>> from mlbasics.exceptions import DataConversionWarning
    >>> issubclass(DataConversionWarning, UserWarning)
    True
    """


# ---------------------------------------------------------------- scikit-learn interoperation
# scikit-learn has classes of its own for the same roles. When scikit-learn is imported in this
# process (as it is wherever code catches ``sklearn.exceptions.NotFittedError`` or runs its
# ``check_estimator``), mlbasics raises and warns with a subclass of both classes, so either
# ``except`` or warning filter matches; mlbasics never imports scikit-learn itself for this.
_SKLEARN_TWINS = {"NotFittedError": "NotFittedError", "ConvergenceWarning": "ConvergenceWarning",
                  "DataConversionWarning": "DataConversionWarning"}
_compatible: dict = {}


def sklearn_compatible(cls: type) -> type:
    """``cls``, or (when scikit-learn is imported) a subclass of ``cls`` and scikit-learn's class
    of the same name. Pickles and compares like ``cls``'s other subclasses."""
    import sys

    sk = sys.modules.get("sklearn.exceptions")
    twin = getattr(sk, _SKLEARN_TWINS.get(cls.__name__, ""), None) if sk is not None else None
    if twin is None or issubclass(cls, twin):
        return cls
    both = _compatible.get(cls)
    if both is None:
        # the same __name__ (what reprs and messages show); a distinct qualname to import it by
        name = f"_SklearnCompatible{cls.__name__}"
        both = type(cls.__name__, (cls, twin), {"__module__": __name__, "__qualname__": name,
                                                "__doc__": f"{cls.__name__}, also scikit-learn's {twin.__name__}."})
        globals()[name] = _compatible[cls] = both  # importable by qualname, so instances pickle
    return both
