"""RFM: recency, frequency and monetary value per customer, quintile scores and named segments
(pure NumPy, no Django; docs/analytics.md has the rules).

- **Recency**: whole days from the customer's last order to the scoring date.
- **Frequency**: the number of orders.
- **Monetary**: the total spend of those orders.

Each is scored 1–5 by quintile, 5 best (the most recent, the most orders, the most spend).
Ties get the same score: a customer's score is 1 + ⌊5 · k / n⌋ where k is the number of the n
customers strictly worse than them, so equal values always share a score, and a value held by
many customers (most shops' "one order") takes the score of the lowest of its places. A score
can therefore be skipped (no 2 when 60 % have one order) but is never split between equals.

Segments are read off the R and F scores by a fixed 5 × 5 grid (:data:`SEGMENT_GRID`); M is
kept for the value of each segment but does not move a customer between segments.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

SEGMENTS = (
    "champions",
    "loyal",
    "potential_loyalists",
    "new",
    "promising",
    "needs_attention",
    "about_to_sleep",
    "at_risk",
    "cant_lose_them",
    "hibernating",
    "lost",
)

# Rows: R score 1..5; columns: F score 1..5. Read as "R 5 and F 4-5 are champions".
SEGMENT_GRID: tuple[tuple[str, ...], ...] = (
    # F:  1              2               3                 4                 5
    ("lost", "lost", "at_risk", "at_risk", "cant_lose_them"),  # R 1
    ("hibernating", "hibernating", "at_risk", "at_risk", "cant_lose_them"),  # R 2
    ("about_to_sleep", "about_to_sleep", "needs_attention", "loyal", "loyal"),  # R 3
    ("promising", "potential_loyalists", "potential_loyalists", "loyal", "loyal"),  # R 4
    ("new", "potential_loyalists", "potential_loyalists", "champions", "champions"),  # R 5
)

_GRID_INDEX = np.array([[SEGMENTS.index(name) for name in row] for row in SEGMENT_GRID])


@dataclass(frozen=True)
class RfmTable:
    """One row per customer, in the order of ``customer_ids`` (sorted ascending)."""

    customer_ids: NDArray[Any]
    recency_days: NDArray[np.int64]
    frequency: NDArray[np.int64]
    monetary: NDArray[np.float64]
    r: NDArray[np.int64]
    f: NDArray[np.int64]
    m: NDArray[np.int64]
    segment: NDArray[np.int64]  # index into SEGMENTS

    @property
    def segment_keys(self) -> list[str]:
        return [SEGMENTS[index] for index in self.segment.tolist()]


def quintile_scores(values: ArrayLike, *, higher_is_better: bool = True) -> NDArray[np.int64]:
    """Scores 1–5: 1 + ⌊5 · (customers strictly worse) / n⌋; equal values share a score."""
    array = np.asarray(values, dtype=np.float64)
    n = len(array)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    ordered = np.sort(array)
    if higher_is_better:
        worse = np.searchsorted(ordered, array, side="left")
    else:
        worse = n - np.searchsorted(ordered, array, side="right")
    return (1 + (5 * worse) // n).astype(np.int64)


def segment_of(r: ArrayLike, f: ArrayLike) -> NDArray[np.int64]:
    """The segment index (into :data:`SEGMENTS`) of each (R, F) pair of scores 1–5."""
    r_array = np.asarray(r, dtype=np.int64)
    f_array = np.asarray(f, dtype=np.int64)
    if np.any((r_array < 1) | (r_array > 5) | (f_array < 1) | (f_array > 5)):
        raise ValueError("R and F scores must be whole numbers from 1 to 5")
    return np.asarray(_GRID_INDEX[r_array - 1, f_array - 1], dtype=np.int64)


def _as_days(dates: ArrayLike) -> NDArray[np.int64]:
    return np.asarray(dates, dtype="datetime64[D]").astype(np.int64)


def compute_rfm(
    customer_ids: ArrayLike, order_dates: ArrayLike, amounts: ArrayLike, *, as_of: Any
) -> RfmTable:
    """RFM per customer from one row per order (customer id, date, amount) on or before the
    date ``as_of``; orders after it are ignored. ``order_dates`` are dates in the business's
    time zone (datetimes are cut to their day)."""
    ids = np.asarray(customer_ids)
    days = _as_days(order_dates)
    spend = np.asarray(amounts, dtype=np.float64)
    if not (len(ids) == len(days) == len(spend)):
        raise ValueError("customer ids, order dates and amounts must have the same length")
    as_of_day = int(np.datetime64(as_of, "D").astype(np.int64))
    keep = days <= as_of_day
    ids, days, spend = ids[keep], days[keep], spend[keep]
    unique_ids, customer = np.unique(ids, return_inverse=True)
    customer = customer.ravel()
    n = len(unique_ids)
    frequency = np.bincount(customer, minlength=n).astype(np.int64)
    monetary = np.bincount(customer, weights=spend, minlength=n).astype(np.float64)
    last_day = np.full(n, np.iinfo(np.int64).min)
    np.maximum.at(last_day, customer, days)
    recency = (as_of_day - last_day).astype(np.int64)
    r = quintile_scores(recency, higher_is_better=False)
    f = quintile_scores(frequency)
    m = quintile_scores(monetary)
    return RfmTable(
        customer_ids=unique_ids,
        recency_days=recency,
        frequency=frequency,
        monetary=monetary,
        r=r,
        f=f,
        m=m,
        segment=segment_of(r, f) if n else np.zeros(0, dtype=np.int64),
    )
