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
