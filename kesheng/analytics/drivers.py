"""Key-driver analysis (pure NumPy): how much each item score (the X-VOC sub-processes, or any
set of rating questions) contributes to the overall score, as shares of the explained
variance R² that add up to R² — not raw correlations, which double-count correlated items.

- Up to ``EXACT_SHAPLEY_LIMIT`` items: the exact Shapley value decomposition of R² (also called
  LMG or general dominance weights; Lindeman, Merenda & Gold 1980, Budescu 1993, Grömping
  2007): each item's average gain in R² over every order of entering the regression.
- More items: Johnson's relative weights (Johnson 2000, Multivariate Behavioral Research
  35(1):1-19), which regress the outcome on the orthogonal counterparts of the items and map
  the result back; they agree closely with Shapley values and take one eigendecomposition.

Rows with a missing value (NaN) in the outcome or any item are left out (listwise); the n used
is reported.
"""

from dataclasses import dataclass
from itertools import combinations
from math import factorial

import numpy as np

EXACT_SHAPLEY_LIMIT = 12


class DriverAnalysisError(ValueError):
    """The data cannot support a driver analysis; the message says why."""


@dataclass(frozen=True)
class Driver:
    name: str
    weight: float  # this item's part of R²
    share: float  # weight / R², in %
    correlation: float  # the plain correlation with the outcome, for comparison
    rank: int


@dataclass(frozen=True)
class DriverAnalysis:
    method: str  # "shapley" or "relative_weights"
    r_squared: float
    n: int
    drivers: list[Driver]  # by weight, largest first


def _clean(outcome, items) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(outcome, dtype=float)
    x = np.asarray(items, dtype=float)
    if x.ndim != 2 or y.ndim != 1 or x.shape[0] != y.shape[0]:
        raise DriverAnalysisError("the items must be a table with one row per outcome value")
    complete = ~np.isnan(y) & ~np.isnan(x).any(axis=1)
    return y[complete], x[complete]


def _correlations(y: np.ndarray, x: np.ndarray, names: list[str]):
    k = x.shape[1]
    if y.shape[0] <= k + 1:
        raise DriverAnalysisError(
            f"{y.shape[0]} complete answers are too few for {k} items (more than {k + 1} needed)"
        )
    if np.std(y) == 0:
        raise DriverAnalysisError("every answer to the outcome is the same")
    constant = [name for name, column in zip(names, x.T, strict=True) if np.std(column) == 0]
    if constant:
        raise DriverAnalysisError(f"every answer is the same for: {', '.join(constant)}")
    matrix = np.corrcoef(np.column_stack([y, x]), rowvar=False)
    item_correlations = matrix[1:, 1:]
    outcome_correlations = matrix[0, 1:]
    if np.linalg.matrix_rank(item_correlations) < k:
        raise DriverAnalysisError(
            "some items are perfectly collinear (one is a combination of others); drop one"
        )
    return item_correlations, outcome_correlations


def _r_squared(item_correlations: np.ndarray, outcome_correlations: np.ndarray, subset) -> float:
    if not subset:
        return 0.0
    index = list(subset)
    r = outcome_correlations[index]
    return float(r @ np.linalg.solve(item_correlations[np.ix_(index, index)], r))


def shapley_weights(item_correlations: np.ndarray, outcome_correlations: np.ndarray) -> np.ndarray:
    """Exact Shapley decomposition of R² from the correlation matrices (2^k regressions)."""
    k = len(outcome_correlations)
    r_squared = {
        subset: _r_squared(item_correlations, outcome_correlations, subset)
        for size in range(k + 1)
        for subset in combinations(range(k), size)
    }
    weights = np.zeros(k)
    for subset, value in r_squared.items():
        size = len(subset)
        for item in range(k):
            if item in subset:
                continue
            joined = tuple(sorted((*subset, item)))
            coefficient = factorial(size) * factorial(k - size - 1) / factorial(k)
            weights[item] += coefficient * (r_squared[joined] - value)
    return weights


def relative_weights(item_correlations: np.ndarray, outcome_correlations: np.ndarray) -> np.ndarray:
    """Johnson's relative weights: with R = VΛV', Λ* = VΛ^½V' relates the items to their
    closest orthogonal counterparts; β = Λ*⁻¹ r_xy; weight_j = Σ_k Λ*_jk² β_k²."""
    eigenvalues, eigenvectors = np.linalg.eigh(item_correlations)
    root = eigenvectors @ np.diag(np.sqrt(eigenvalues)) @ eigenvectors.T
    beta = np.linalg.solve(root, outcome_correlations)
    return (root**2) @ (beta**2)


def analyse_drivers(outcome, items, names: list[str], *, method: str = "auto") -> DriverAnalysis:
    """Relative importance of each item (a column of ``items``) for the outcome. ``method``:
    "shapley", "relative_weights" or "auto" (Shapley up to EXACT_SHAPLEY_LIMIT items)."""
    y, x = _clean(outcome, items)
    if len(names) != x.shape[1]:
        raise DriverAnalysisError("one name per item is needed")
    item_correlations, outcome_correlations = _correlations(y, x, names)
    if method == "auto":
        method = "shapley" if len(names) <= EXACT_SHAPLEY_LIMIT else "relative_weights"
    if method == "shapley":
        weights = shapley_weights(item_correlations, outcome_correlations)
    elif method == "relative_weights":
        weights = relative_weights(item_correlations, outcome_correlations)
    else:
        raise ValueError("method must be auto, shapley or relative_weights")
    total = float(weights.sum())
    order = np.argsort(-weights, kind="stable")
    drivers = [
        Driver(
            name=names[index],
            weight=float(weights[index]),
            share=100 * float(weights[index]) / total if total > 0 else 0.0,
            correlation=float(outcome_correlations[index]),
            rank=rank,
        )
        for rank, index in enumerate(order, start=1)
    ]
    return DriverAnalysis(method=method, r_squared=total, n=int(y.shape[0]), drivers=drivers)
