"""Linear models: least squares, ridge, logistic regression and the perceptron.

Notation (the course's): the design matrix X ∈ ℝ^{N×D} stacks the samples (xⁱ)ᵀ as rows, y ∈ ℝᴺ
are the targets and w ∈ ℝᴰ the weights, so that y = Xw + ε; an intercept b is a weight on a
constant feature. Least squares minimises L(w) = εᵀε = Σᵢ (yⁱ − wᵀxⁱ)², whose gradient vanishes
at the normal equations XᵀX w = Xᵀy, i.e. w* = (XᵀX)⁻¹Xᵀy.

Every estimator here calls the kernel contract (:func:`mlbasics.get_backend`) for its heavy
linear algebra — the Gram matrix XᵀX, products XᵀY, the forward pass z = XW + b and the fused
loss-and-gradient kernels — and gives the same result on every backend up to rounding.

One private module per model family: ``_least_squares`` (LinearRegression), ``_ridge`` (Ridge,
RidgeCV), ``_logistic`` (LogisticRegression), ``_perceptron`` (Perceptron); what they share is in
``_base`` (centering, predict/decision_function, parameter-table entries) and ``_solvers``
(Cholesky and SVD least squares, L-BFGS, Newton, gradient descent with backtracking).
"""
from ._least_squares import LinearRegression
from ._logistic import LogisticRegression
from ._perceptron import Perceptron
from ._ridge import Ridge, RidgeCV
from ..exceptions import ConvergenceWarning

__all__ = ["LinearRegression", "Ridge", "RidgeCV", "LogisticRegression", "Perceptron", "ConvergenceWarning"]
