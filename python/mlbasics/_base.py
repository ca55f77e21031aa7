"""Estimator conventions shared by every model, as in scikit-learn.

``__init__`` only stores its arguments; ``get_params``/``set_params`` read them back from the
signature; ``fit`` validates its input first and returns ``self``; learned attributes end in
``_``. Validation helpers here give every public entry the same errors: TypeError/ValueError
naming the argument, what it got and what was expected.
"""
from __future__ import annotations

import inspect
import numbers

import numpy as np

from .exceptions import NotFittedError


class BaseEstimator:
    """Parameters from the ``__init__`` signature; works with scikit-learn's ``clone``."""

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return sorted(p.name for p in sig.parameters.values()
                      if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD))

    def get_params(self, deep: bool = True) -> dict:
        params = {}
        for name in self._param_names():
            value = getattr(self, name)
            params[name] = value
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                for sub, sub_value in value.get_params(deep=True).items():
                    params[f"{name}__{sub}"] = sub_value
        return params

    def set_params(self, **params):
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

    def __sklearn_tags__(self):  # scikit-learn >= 1.6 asks estimators for their tags
        from sklearn.utils import ClassifierTags, RegressorTags, Tags, TargetTags, TransformerTags

        tags = Tags(estimator_type=getattr(self, "_estimator_type", None),
                    target_tags=TargetTags(required=not isinstance(self, TransformerMixin),
                                           multi_output=isinstance(self, RegressorMixin)))
        if isinstance(self, TransformerMixin):
            tags.transformer_tags = TransformerTags()
        if getattr(self, "_estimator_type", None) == "classifier":
            tags.classifier_tags = ClassifierTags()
        elif getattr(self, "_estimator_type", None) == "regressor":
            tags.regressor_tags = RegressorTags()
        return tags


def _same(a, b) -> bool:
    try:
        return bool(a == b) if not isinstance(a, np.ndarray) else False
    except Exception:
        return False


class ClassifierMixin:
    _estimator_type = "classifier"

    def score(self, X, y, sample_weight=None) -> float:
        """Mean accuracy of ``predict(X)`` against ``y``."""
        from .metrics import accuracy_score

        return accuracy_score(y, self.predict(X), sample_weight=sample_weight)


class RegressorMixin:
    _estimator_type = "regressor"

    def score(self, X, y, sample_weight=None) -> float:
        """Coefficient of determination R² of ``predict(X)`` against ``y``."""
        from .metrics import r2_score

        return r2_score(y, self.predict(X), sample_weight=sample_weight)


class TransformerMixin:
    def fit_transform(self, X, y=None, **fit_params):
        return self.fit(X, y, **fit_params).transform(X)


# ---------------------------------------------------------------- validation
def _not_finite_message(name: str, arr: np.ndarray) -> str:
    bad = ~np.isfinite(arr)
    first = np.unravel_index(int(np.argmax(bad)), arr.shape)
    kinds = "NaN" if np.isnan(arr).any() else "infinity"
    if kinds == "NaN" and np.isinf(arr).any():
        kinds = "NaN and infinity"
    where = f"index {first[0]}" if arr.ndim == 1 else f"index {tuple(int(i) for i in first)}"
    return (f"{name}: contains NaN or infinity ({int(bad.sum())} non-finite value(s), {kinds}, first at {where}); "
            "expected finite values")


def _reject_sparse(X, name: str) -> None:
    """scipy.sparse matrices/arrays (and anything else with ``toarray``) are not densified silently."""
    if hasattr(X, "toarray") and hasattr(X, "nnz"):
        raise TypeError(f"{name}: sparse input is not supported; convert with {name}.toarray() "
                        f"(got {type(X).__name__} of shape {getattr(X, 'shape', '?')}), expected a dense array")


def check_array(X, name: str = "X", *, dtype=(np.float64, np.float32), ensure_2d: bool = True,
                allow_nan: bool = False, min_samples: int = 1, min_features: int = 1) -> np.ndarray:
    """Validate a data array and return it as a float ndarray.

    int/bool input is converted to float64; float32/float64 are kept (unless ``dtype`` is a single
    type, which is then enforced); object and string input is rejected with TypeError, complex
    input with ValueError ("Complex data not supported", as scikit-learn), scipy.sparse input with
    TypeError. NaN/inf are rejected with ValueError unless ``allow_nan``. Fortran-ordered and
    strided arrays are accepted as they are (the kernels take any strides).

    The messages start with ``name:`` and also carry the phrases scikit-learn's
    ``check_estimator`` looks for ("Expected 2D array, got 1D array instead", "Reshape your data",
    "0 feature(s) (shape=(n, 0)) while a minimum of 1 is required", "n_samples=1").
    """
    _reject_sparse(X, name)
    try:
        arr = np.asarray(X)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name}: could not be converted to an array ({exc})") from None
    kind = arr.dtype.kind
    if kind == "c":
        raise ValueError(f"{name}: Complex data not supported; got dtype {arr.dtype}, expected real numbers "
                         "(float, int or bool)")
    if kind not in "biuf":
        raise TypeError(f"{name}: expected numeric data (float, int or bool), got dtype {arr.dtype}")
    targets = (dtype,) if not isinstance(dtype, tuple) else dtype
    targets = tuple(np.dtype(t) for t in targets)
    if arr.dtype not in targets:
        arr = arr.astype(targets[0])
    if ensure_2d:
        if arr.ndim != 2:
            if arr.ndim == 1:
                hint = (f". Expected 2D array, got 1D array instead: Reshape your data either using "
                        f"{name}.reshape(-1, 1) if your data has a single feature or {name}.reshape(1, -1) "
                        "if it contains a single sample")
            elif arr.ndim == 0:
                hint = ". Expected 2D array, got scalar array instead: Reshape your data"
            else:
                hint = f". Expected 2D array, got {arr.ndim}D array instead"
            raise ValueError(f"{name}: expected a 2-D array (n_samples, n_features), got {arr.ndim}-D "
                             f"with shape {arr.shape}{hint}")
        if arr.shape[1] < min_features:
            raise ValueError(f"{name}: expected at least {min_features} feature(s), got shape {arr.shape}: "
                             f"found {arr.shape[1]} feature(s) (shape={arr.shape}) while a minimum of "
                             f"{min_features} is required.")
    if arr.ndim == 0 or arr.shape[0] < min_samples:
        n = arr.shape[0] if arr.ndim else 0
        raise ValueError(f"{name}: expected at least {min_samples} sample(s), got {n}: found {n} sample(s) "
                         f"(shape={arr.shape}, n_samples={n}) while a minimum of {min_samples} is required.")
    if not allow_nan and arr.size and not np.isfinite(arr).all():
        raise ValueError(_not_finite_message(name, arr))
    return arr


def check_target(y, name: str = "y", *, n_samples: int | None = None, numeric: bool = True,
                 allow_2d: bool = False) -> np.ndarray:
    """Validate a target array: 1-D (or 2-D if allowed), matching length, finite when numeric."""
    if y is None:
        raise ValueError(f"{name}: this estimator requires y to be passed, but the target y is None; expected an "
                         "array of shape (n_samples,)")
    _reject_sparse(y, name)
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1 and not allow_2d:
        arr = arr.ravel()
    if arr.ndim != 1 and not (allow_2d and arr.ndim == 2):
        raise ValueError(f"{name}: expected a 1-D array{' or 2-D array' if allow_2d else ''}, "
                         f"got {arr.ndim}-D with shape {arr.shape}")
    if n_samples is not None and arr.shape[0] != n_samples:
        raise ValueError(f"{name}: expected {n_samples} values (one per row of X), got {arr.shape[0]}")
    if numeric:
        if arr.dtype.kind == "c":
            raise ValueError(f"{name}: Complex data not supported; got dtype {arr.dtype}, expected real numbers")
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{name}: expected numeric targets, got dtype {arr.dtype}")
        arr = arr.astype(np.float64) if arr.dtype.kind != "f" else arr
        if arr.size and not np.isfinite(arr).all():
            raise ValueError(_not_finite_message(name, arr))
    else:
        if arr.dtype.kind in "fc" and arr.size and not np.isfinite(arr).all():
            raise ValueError(_not_finite_message(name, arr))
        if arr.dtype.kind == "O" and any(v is None or (isinstance(v, float) and v != v) for v in arr.ravel()):
            raise ValueError(f"{name}: contains missing labels (None or NaN)")
    return arr


def check_X_y(X, y, *, numeric_y: bool = True, allow_2d_y: bool = False, min_samples: int = 1,
              dtype=(np.float64, np.float32)):
    X = check_array(X, "X", dtype=dtype, min_samples=min_samples)
    y = check_target(y, "y", n_samples=X.shape[0], numeric=numeric_y, allow_2d=allow_2d_y)
    return X, y


def check_classification_targets(y, name: str = "y"):
    """Return (classes, encoded y) for any labels; a single class is a ValueError.

    Labels may be of any comparable kind (ints, strings, whole-number floats, ...), as in
    scikit-learn. Floats that are not whole numbers are continuous targets, not labels
    (ValueError "Unknown label type: continuous"); a mix of strings and numbers is a TypeError.
    """
    y = np.asarray(y)
    if y.dtype.kind == "f" and y.size and np.any(y != np.round(y)):
        raise ValueError(f"{name}: Unknown label type: continuous (got float values that are not whole numbers, "
                         f"e.g. {y[y != np.round(y)][0].item()!r}); expected class labels. Use a regressor for a "
                         "continuous target")
    try:
        classes, encoded = np.unique(y, return_inverse=True)
    except TypeError:
        kinds = sorted({type(v).__name__ for v in y.ravel()})
        raise TypeError(f"{name}: Unknown label type: labels of mixed types {kinds} cannot be sorted; "
                        "expected labels that are all strings or all numbers") from None
    if classes.shape[0] < 2:
        shown = ""
        if classes.shape[0]:
            label = classes[0].item() if isinstance(classes[0], np.generic) else classes[0]
            shown = f" ({label!r})"
        raise ValueError(f"{name}: a classifier needs at least 2 classes, got {classes.shape[0]} class{shown}"
                         f" in {y.shape[0]} sample(s)")
    return classes, encoded.reshape(-1)


def check_is_fitted(estimator, attribute: str) -> None:
    if not hasattr(estimator, attribute):
        raise NotFittedError(f"This {type(estimator).__name__} instance is not fitted yet; call 'fit' with "
                             "appropriate arguments before using this method.")


def check_n_features(estimator, X) -> None:
    """``predict``-time X must have the number of features seen in ``fit``."""
    if X.shape[1] != estimator.n_features_in_:
        name, n, m = type(estimator).__name__, X.shape[1], estimator.n_features_in_
        raise ValueError(f"X: has {n} features, expected {m} as in fit (X has {n} features, but {name} is "
                         f"expecting {m} features as input)")


def check_scalar(x, name: str, kind=numbers.Real, *, low=None, high=None, low_open=False, high_open=False):
    """A hyper-parameter check: type, then range; messages name the parameter."""
    if isinstance(x, (bool, np.bool_)) and kind is not bool:
        raise TypeError(f"{name}: expected {kind.__name__}, got bool")
    if not isinstance(x, kind):
        raise TypeError(f"{name}: expected {getattr(kind, '__name__', kind)}, got {type(x).__name__}")
    if isinstance(x, numbers.Real) and x != x:
        raise ValueError(f"{name}: expected a number, got nan")
    if low is not None and (x <= low if low_open else x < low):
        raise ValueError(f"{name}: expected a value {'>' if low_open else '>='} {low}, got {x!r}")
    if high is not None and (x >= high if high_open else x > high):
        raise ValueError(f"{name}: expected a value {'<' if high_open else '<='} {high}, got {x!r}")
    return x


def check_random_state(seed) -> np.random.Generator:
    """None, an int or a Generator → a numpy Generator."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, numbers.Integral) and not isinstance(seed, bool)):
        return np.random.default_rng(seed)
    raise TypeError(f"random_state: expected None, an int or a numpy Generator, got {type(seed).__name__}")
