"""Estimator conventions shared by every model, as in scikit-learn.

``__init__`` only stores its arguments; ``get_params``/``set_params`` read them back from the
signature; ``fit`` validates its input first and returns ``self``; learned attributes end in
``_``. Validation helpers here give every public entry the same errors: TypeError/ValueError
naming the argument, what it got and what was expected.
"""
from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, Callable, ClassVar, TypeVar

import numpy as np
from numpy.typing import ArrayLike

# The validation vocabulary lives in ._validation (a leaf module every layer imports from directly).
from ._validation import validate_params

_E = TypeVar("_E", bound="BaseEstimator")


class BaseEstimator:
    """Parameters from the ``__init__`` signature; works with scikit-learn's ``clone``.

    Each estimator declares its parameters once in ``_parameter_constraints`` (see
    :mod:`mlbasics._validation`), and ``fit`` calls :meth:`_validate_params` first.
    """

    _parameter_constraints: ClassVar[dict[str, Any]] = {}

    def _check_feature_names(self, X: Any, *, reset: bool) -> None:
        """Remember (``reset``, in fit) or compare (at predict/transform) the column names of X.

        A DataFrame whose column names are all strings sets ``feature_names_in_`` in fit. Later, a
        DataFrame with other names or another order is a ValueError listing the differences (a
        model fitted on named columns would otherwise compute silently wrong values); names on
        one side only give scikit-learn's warnings.
        """
        import warnings

        names = _feature_names(X)
        if reset:
            if names is not None:
                self.feature_names_in_ = names
            else:
                self.__dict__.pop("feature_names_in_", None)
            return
        fitted = getattr(self, "feature_names_in_", None)
        cls = type(self).__name__
        if fitted is None and names is None:
            return
        if names is None:
            warnings.warn(f"X does not have valid feature names, but {cls} was fitted with feature names",
                          UserWarning, stacklevel=3)
            return
        if fitted is None:
            warnings.warn(f"X has feature names, but {cls} was fitted without feature names", UserWarning,
                          stacklevel=3)
            return
        if len(fitted) == len(names) and all(a == b for a, b in zip(fitted, names)):
            return
        unseen = [n for n in names if n not in set(fitted)]
        missing = [n for n in fitted if n not in set(names)]
        lines = [f"X: the feature names should match those that were passed during fit ({cls} was fitted "
                 f"on {list(fitted)})."]
        if unseen:
            lines.append(f"Feature names unseen at fit time: {unseen}")
        if missing:
            lines.append(f"Feature names seen at fit time, yet now missing: {missing}")
        if not unseen and not missing:
            lines.append(f"Feature names must be in the same order as they were in fit: got {list(names)}")
        raise ValueError("\n".join(lines))

    def _validate_params(self) -> None:
        """Check every parameter against the class's ``_parameter_constraints`` table."""
        validate_params(self.get_params(deep=False), self._parameter_constraints)

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return sorted(p.name for p in sig.parameters.values()
                      if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD))

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The estimator's parameters, read back from the attributes named in ``__init__``.

        Parameters
        ----------
        deep : bool, default=True
            Also list the parameters of parameters that are estimators themselves, as
            ``"<name>__<sub-parameter>"``.

        Returns
        -------
        params : dict
            Parameter name → value.

        Examples
        --------
        >>> from mlbasics.linear_model import Ridge
        >>> Ridge(alpha=0.5).get_params()["alpha"]
        0.5
        """
        params = {}
        for name in self._param_names():
            value = getattr(self, name)
            params[name] = value
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                for sub, sub_value in value.get_params(deep=True).items():
                    params[f"{name}__{sub}"] = sub_value
        return params

    def set_params(self: _E, **params: Any) -> _E:
        """Set parameters by name (``"<name>__<sub-parameter>"`` reaches into a nested estimator).

        Values are checked when ``fit`` runs, not here.

        Parameters
        ----------
        **params
            Parameter name → new value.

        Returns
        -------
        self : estimator
            This estimator.

        Raises
        ------
        ValueError
            For a name that is not a parameter of the estimator.

        Examples
        --------
        >>> from mlbasics.linear_model import Ridge
        >>> Ridge().set_params(alpha=2.0).alpha
        2.0
        """
        valid = set(self._param_names())
        for key, value in params.items():
            name, _, sub = key.partition("__")
            if name not in valid:
                raise ValueError(f"{key}: not a parameter of {type(self).__name__}; valid: {sorted(valid)}")
            if sub:
                getattr(self, name).set_params(**{sub: value})
            else:
                setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = {p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()}
        changed = [f"{k}={v!r}" for k, v in self.get_params(deep=False).items()
                   if not (k in defaults and _same(defaults[k], v))]
        return f"{type(self).__name__}({', '.join(changed)})"

    def _accepts_sparse(self) -> bool:
        """Whether ``fit`` takes scipy.sparse X with the current parameters (scikit-learn's
        ``input_tags.sparse``); the estimators that do override this."""
        return False

    def __sklearn_tags__(self) -> Any:  # scikit-learn >= 1.6 asks estimators for their tags
        from sklearn.utils import ClassifierTags, RegressorTags, Tags, TargetTags, TransformerTags

        unsupervised = isinstance(self, TransformerMixin) or getattr(self, "_estimator_type", None) == "clusterer"
        tags = Tags(estimator_type=getattr(self, "_estimator_type", None),
                    target_tags=TargetTags(required=not unsupervised,
                                           multi_output=isinstance(self, RegressorMixin)))
        tags.input_tags.sparse = self._accepts_sparse()
        if isinstance(self, TransformerMixin):
            tags.transformer_tags = TransformerTags()
        if getattr(self, "_estimator_type", None) == "classifier":
            tags.classifier_tags = ClassifierTags()
        elif getattr(self, "_estimator_type", None) == "regressor":
            tags.regressor_tags = RegressorTags()
        return tags


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b) if not isinstance(a, np.ndarray) else False
    except Exception:
        return False


class ClassifierMixin:
    """``score`` (accuracy) for classifiers."""

    _estimator_type = "classifier"
    if TYPE_CHECKING:
        predict: Callable[..., np.ndarray]

    def score(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
        """Mean accuracy of ``predict(X)`` against ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            True labels.
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        score : float
            The (weighted) fraction of samples whose predicted label equals ``y``.
        """
        from .metrics import accuracy_score

        return accuracy_score(y, self.predict(X), sample_weight=sample_weight)


class ClusterMixin:
    """``fit_predict`` for clustering estimators (the labels of the training data)."""

    _estimator_type = "clusterer"
    if TYPE_CHECKING:
        fit: Callable[..., Any]
        labels_: np.ndarray

    def fit_predict(self, X: ArrayLike, y: Any = None, **fit_params: Any) -> np.ndarray:
        """``fit(X, **fit_params)``, then the cluster label of each training sample (``labels_``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored
        **fit_params
            Passed on to ``fit`` (e.g. ``sample_weight``).

        Returns
        -------
        labels : int64 ndarray of shape (n_samples,)
        """
        return self.fit(X, **fit_params).labels_


class RegressorMixin:
    """``score`` (R²) for regressors."""

    _estimator_type = "regressor"
    if TYPE_CHECKING:
        predict: Callable[..., np.ndarray]

    def score(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
        """Coefficient of determination R² = 1 − SS_res / SS_tot of ``predict(X)`` against ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            True targets.
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        score : float
            R² (averaged uniformly over the targets); 1 is a perfect fit.
        """
        from .metrics import r2_score

        # multioutput="uniform_average" (the default) returns a float
        return r2_score(y, self.predict(X), sample_weight=sample_weight)  # type: ignore[return-value]


def _feature_names(X: Any) -> np.ndarray | None:
    """The column names of a DataFrame (pandas, polars, ...) when they are all strings, else None."""
    columns = getattr(X, "columns", None)
    if columns is None or not hasattr(X, "shape"):
        return None
    names = [c for c in columns]
    kinds = {isinstance(c, str) for c in names}
    if kinds == {True}:
        return np.asarray(names, dtype=object)
    if kinds == {True, False}:
        raise TypeError("X: feature names are only supported if all input features have string names, got "
                        f"column names of types {sorted({type(c).__name__ for c in names})}; convert them with "
                        "X.columns = X.columns.astype(str)")
    return None


_OUTPUTS = ("default", "pandas", "polars")


class TransformerMixin:
    """``fit_transform`` and the output container (``set_output``) for transformers.

    ``set_output(transform="pandas")`` (or ``"polars"``) makes ``transform`` and ``fit_transform``
    return a DataFrame whose columns are :meth:`get_feature_names_out` (with the input's index when
    the input was a pandas DataFrame); ``"default"`` returns NumPy arrays. When scikit-learn is
    imported and this transformer's own setting is unset, scikit-learn's global
    ``set_config(transform_output=...)`` applies, so pipelines of ours and scikit-learn's speak
    DataFrames end to end. pandas and polars are imported only when asked for.
    """

    if TYPE_CHECKING:
        fit: Callable[..., Any]

    def fit_transform(self, X: ArrayLike, y: ArrayLike | None = None, **fit_params: Any) -> np.ndarray:
        """``fit(X, y, **fit_params)``, then ``transform(X)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored by the transformers here; accepted for pipelines
        **fit_params
            Passed on to ``fit``.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components or n_output_features)
        """
        return self.fit(X, y, **fit_params).transform(X)

    def set_output(self, *, transform: str | None = None) -> Any:
        """Choose what ``transform`` and ``fit_transform`` return.

        Parameters
        ----------
        transform : {"default", "pandas", "polars"} or None
            "default": NumPy arrays; "pandas" / "polars": a DataFrame with the output feature names as
            columns; None: leave the setting as it is.

        Returns
        -------
        self
        """
        if transform is None:
            return self
        if not isinstance(transform, str) or transform not in _OUTPUTS:
            raise ValueError(f"transform: expected one of {list(_OUTPUTS)} or None, got {transform!r}")
        self._output_transform = transform
        return self

    def _wrap_output(self, Z: np.ndarray, X: Any) -> Any:
        """``Z`` in the container chosen by :meth:`set_output` (or scikit-learn's global config)."""
        import sys

        kind = getattr(self, "_output_transform", None)
        if kind is None:
            sklearn = sys.modules.get("sklearn")
            kind = sklearn.get_config().get("transform_output", "default") if sklearn is not None else "default"
        if kind == "default":
            return Z
        columns = list(self.get_feature_names_out())  # type: ignore[attr-defined]
        if kind == "pandas":
            import pandas as pd

            index = getattr(X, "index", None) if type(X).__module__.startswith("pandas") else None
            return pd.DataFrame(Z, columns=columns, index=index)
        if kind == "polars":
            import polars as pl

            return pl.DataFrame(Z, schema=columns, orient="row")
        raise ValueError(f"transform_output: expected one of {list(_OUTPUTS)}, got {kind!r}")




# ---------------------------------------------------------------- interrupts
_F = TypeVar("_F", bound=Callable[..., Any])


def fit_context(fit: _F) -> _F:
    """Decorator for ``fit`` (and ``partial_fit``): a fit interrupted by Ctrl-C changes nothing.

    If KeyboardInterrupt propagates out of the fit, the estimator's attributes are restored to
    what they were before the call — unfitted, or its previous fit — and the interrupt goes on to
    the caller. Fits assign new arrays to their learned attributes, so restoring the attribute
    dictionary restores the previous model. The MLPs, which update their weights in place, hold
    Ctrl-C in a :class:`DeferredInterrupt` from the first update to the end of the fit: they stop at
    the next slice of minibatches and keep the model, as scikit-learn's do, and KeyboardInterrupt
    can only reach this decorator before their first update.
    """
    import functools

    @functools.wraps(fit)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        before = dict(self.__dict__)
        try:
            return fit(self, *args, **kwargs)
        except KeyboardInterrupt:
            self.__dict__.clear()
            self.__dict__.update(before)
            raise

    return wrapper  # type: ignore[return-value]  # same signature as fit


class DeferredInterrupt:
    """Hold Ctrl-C (SIGINT) while a training loop runs, so it stops at a consistent point.

    Inside ``with DeferredInterrupt() as interrupt:`` a SIGINT sets ``interrupt.requested``
    instead of raising KeyboardInterrupt anywhere (possibly between a kernel call that updated
    the weights and the bookkeeping that records it); the loop checks ``requested`` between
    minibatch slices and stops there. On exit the previous handler is restored. Only the main
    thread receives signals: elsewhere (or when SIGINT is not handled by Python's default handler,
    e.g. the user installed their own) this does nothing and ``requested`` stays False.
    """

    def __init__(self) -> None:
        self.requested = False
        self._previous: Any = None

    def _handler(self, signum: int, frame: Any) -> None:
        self.requested = True

    def __enter__(self) -> DeferredInterrupt:
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
                self._previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc: Any) -> None:
        import signal

        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None
