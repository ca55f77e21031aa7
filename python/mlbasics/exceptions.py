"""Exceptions raised by mlbasics."""


class NotFittedError(ValueError, AttributeError):
    """Raised when a method that needs a fitted estimator is called before ``fit``.

    Subclasses both ValueError and AttributeError, as scikit-learn's does.
    """


class ConvergenceWarning(UserWarning):
    """An iterative fit stopped at its iteration limit (``max_iter``) before meeting ``tol``."""
