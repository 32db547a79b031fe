"""Personas: groups of customers who behave alike (pure NumPy and scikit-learn, no Django;
docs/analytics.md, "Personas").

Each customer is a row of behaviour features in **blocks** (recency, frequency, spend, the
share of their touchpoint events on each channel, the share of their spend in each product
category, their latest NPS). Every column is standardised (mean 0, standard deviation 1; a
column without variance is left at 0) and a missing value (no NPS answer) is set to the mean,
i.e. 0. A block of several columns is then divided by √(its columns), so that a block weighs
about as much as one column however many channels or categories it has.

**k-means** (k-means++ starts, 10 restarts, a fixed seed) groups the rows. **k is chosen by the
silhouette**: for k = 2..8 (fewer when there are fewer distinct customers), k-means is fitted
on a sample of at most 2,000 customers and the mean silhouette coefficient computed; the k with
the highest silhouette wins (the smaller k on a tie to 3 decimals). The chosen k is then fitted
on every customer (beyond 50,000 customers on a sample of 50,000, each customer then assigned
to the nearest centre). Personas are numbered 1..k by their mean spend, highest first, so persona 1
is always the most valuable group.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from threadpoolctl import threadpool_limits

K_RANGE = range(2, 9)
SILHOUETTE_SAMPLE = 2000
# Beyond this many customers the chosen k is fitted on a sample and every customer assigned to
# the nearest centre: the groups are as good and the nightly run stays fast at millions.
FIT_SAMPLE = 50_000
MIN_CUSTOMERS = 30
SEED = 0


class PersonaError(ValueError):
    """The data cannot support personas; ``code`` says why."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def standardise(features: ArrayLike, blocks: list[int] | None = None) -> NDArray[np.float64]:
    """Z-scores of each column (NaN → 0, the mean; no variance → 0), each block of columns
    divided by √(its width). ``blocks`` lists the widths of consecutive blocks (default: one
    column each)."""
    values = np.asarray(features, dtype=np.float64)
    present = (~np.isnan(values)).sum(axis=0)
    totals = np.nansum(values, axis=0)
    # A column nobody has a value in (no NPS answers at all) stays at 0.
    mean = np.where(present > 0, totals / np.maximum(present, 1), 0.0)
    filled = np.where(np.isnan(values), mean, values)
    spread = filled.std(axis=0)
    scaled = np.where(spread > 0, (filled - mean) / np.where(spread > 0, spread, 1.0), 0.0)
    widths = blocks or [1] * values.shape[1]
    if sum(widths) != values.shape[1]:
        raise ValueError("the blocks do not add up to the columns")
    weights = np.repeat([1.0 / np.sqrt(width) for width in widths], widths)
    return np.asarray(scaled * weights, dtype=np.float64)


@dataclass(frozen=True)
class PersonaFit:
    """``labels`` 1..k per row (persona 1 has the highest mean value), the silhouette of
    every k tried, and the chosen k."""

    k: int
    labels: NDArray[np.int64]
    silhouettes: dict[int, float]


def choose_k(
    scaled: NDArray[np.float64], *, ks: range = K_RANGE, sample: int = SILHOUETTE_SAMPLE
) -> tuple[int, dict[int, float]]:
    """The k with the best mean silhouette on a sample (see the module docstring)."""
    rng = np.random.default_rng(SEED)
    rows = scaled
    if len(rows) > sample:
        rows = rows[rng.choice(len(rows), size=sample, replace=False)]
    distinct = len(np.unique(rows, axis=0))
    silhouettes: dict[int, float] = {}
    for k in ks:
        if k > distinct:
            break
        labels = KMeans(n_clusters=k, n_init=10, random_state=SEED).fit_predict(rows)
        silhouettes[k] = float(silhouette_score(rows, labels))
    if not silhouettes:
        raise PersonaError("too_few_customers", "too few distinct customers to form groups")
    best = max(silhouettes, key=lambda k: (round(silhouettes[k], 3), -k))
    return best, silhouettes


def fit_personas(
    features: ArrayLike,
    value: ArrayLike,
    *,
    blocks: list[int] | None = None,
    k: int | None = None,
    min_customers: int = MIN_CUSTOMERS,
) -> PersonaFit:
    """Group the rows of ``features`` into personas, numbered by the mean of ``value`` (spend)
    per group, highest first. ``k`` fixed or chosen by the silhouette."""
    values = np.asarray(features, dtype=np.float64)
    if len(values) < min_customers:
        raise PersonaError(
            "too_few_customers",
            f"only {len(values)} customers have orders; personas need at least {min_customers}",
        )
    scaled = standardise(values, blocks)
    silhouettes: dict[int, float] = {}
    # One thread: k-means' OpenMP threads fighting over a busy machine's cores (the nightly
    # run shares it with the web and the workers) were 50 times slower than one.
    with threadpool_limits(limits=1):
        if k is None:
            k, silhouettes = choose_k(scaled)
        model = KMeans(n_clusters=k, n_init=10, random_state=SEED)
        if len(scaled) > FIT_SAMPLE:
            rng = np.random.default_rng(SEED)
            model.fit(scaled[rng.choice(len(scaled), size=FIT_SAMPLE, replace=False)])
            raw = model.predict(scaled)
        else:
            raw = model.fit_predict(scaled)
    spend = np.asarray(value, dtype=np.float64)
    sizes = np.bincount(raw, minlength=k)
    means = np.bincount(raw, weights=spend, minlength=k) / np.maximum(sizes, 1)
    # Highest mean value first; ties by the group's size, larger first.
    order = np.lexsort((-sizes, -means))
    number = np.empty(k, dtype=np.int64)
    number[order] = np.arange(1, k + 1)
    return PersonaFit(k=k, labels=number[raw], silhouettes=silhouettes)


def group_means(labels: ArrayLike, k: int, columns: ArrayLike) -> NDArray[np.float64]:
    """Mean of each column per persona 1..k (NaN ignored; NaN where a persona has no value):
    shape (k, columns)."""
    label = np.asarray(labels, dtype=np.int64) - 1
    values = np.asarray(columns, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    present = ~np.isnan(values)
    sums = np.zeros((k, values.shape[1]))
    counts = np.zeros((k, values.shape[1]))
    np.add.at(sums, label, np.where(present, values, 0.0))
    np.add.at(counts, label, present.astype(np.float64))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def group_counts(labels: ArrayLike, k: int, present: ArrayLike) -> NDArray[np.int64]:
    """How many rows of each persona 1..k have ``present`` true."""
    label = np.asarray(labels, dtype=np.int64) - 1
    return np.bincount(label, weights=np.asarray(present, dtype=np.float64), minlength=k).astype(
        np.int64
    )


def pivot_shares(
    customer_ids: ArrayLike,
    row_customers: ArrayLike,
    row_keys: ArrayLike,
    row_amounts: ArrayLike,
    *,
    top: int | None = None,
    other: str = "",
) -> tuple[list[str], NDArray[np.float64]]:
    """Per customer of ``customer_ids`` (sorted), each key's share of their amounts from
    (customer, key, amount) rows; rows of other customers ignored, a customer without rows all
    0. With ``top``, only the ``top`` keys of the largest total keep a column and the rest are
    added up under ``other`` (its column last). Returns the column keys and the matrix."""
    ids = np.asarray(customer_ids, dtype=np.int64)
    customers = np.asarray(row_customers, dtype=np.int64)
    keys = np.asarray(row_keys, dtype=str)
    amounts = np.asarray(row_amounts, dtype=np.float64)
    if not len(ids) or not len(customers):
        return [], np.zeros((len(ids), 0))
    position = np.minimum(np.searchsorted(ids, customers), len(ids) - 1)
    known = ids[position] == customers
    position, keys, amounts = position[known], keys[known], amounts[known]
    columns, column = np.unique(keys, return_inverse=True)
    column = column.ravel()
    names = [str(name) for name in columns]
    if top is not None and len(names) > top:
        totals = np.bincount(column, weights=amounts, minlength=len(names))
        kept = np.sort(np.argsort(-totals, kind="stable")[:top])
        remap = np.full(len(names), len(kept))
        remap[kept] = np.arange(len(kept))
        column = remap[column]
        names = [names[index] for index in kept] + [other]
    matrix = np.zeros((len(ids), len(names)))
    np.add.at(matrix, (position, column), amounts)
    totals = matrix.sum(axis=1, keepdims=True)
    return names, np.divide(matrix, totals, out=np.zeros_like(matrix), where=totals > 0)
