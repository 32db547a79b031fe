"""The arithmetic of case KPIs and scorecards, pure (no Django): medians and 90th percentiles
of durations, shares with their n, means with a 95 % margin of error.

Percentiles interpolate linearly between the closest ranks (NumPy's default), so the median of
[10, 20] is 15 and the p90 of [1..10] is 9.1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

SMALL_SAMPLE = 30  # below this n a score is marked as uncertain (DESIGN.md)
Z_95 = 1.959964


def percentile(values: Sequence[float], share: float) -> float | None:
    """The ``share`` (0-1) quantile of values, linearly interpolated; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * share
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def duration_summary(minutes: Sequence[float]) -> dict:
    """``{"n", "median", "p90"}`` of durations in minutes (rounded to 0.1)."""
    median, p90 = percentile(minutes, 0.5), percentile(minutes, 0.9)
    return {
        "n": len(minutes),
        "median": None if median is None else round(median, 1),
        "p90": None if p90 is None else round(p90, 1),
    }


def share_summary(hits: int, n: int) -> dict:
    """``{"n", "count", "share", "margin", "small_sample"}``: a proportion with its 95 %
    margin of error (normal approximation); share and margin None when n is 0."""
    if n <= 0:
        return {"n": 0, "count": hits, "share": None, "margin": None, "small_sample": True}
    share = hits / n
    margin = Z_95 * math.sqrt(share * (1 - share) / n)
    return {
        "n": n,
        "count": hits,
        "share": round(share, 4),
        "margin": round(margin, 4),
        "small_sample": n < SMALL_SAMPLE,
    }


def mean_summary(values: Sequence[float]) -> dict:
    """``{"n", "mean", "margin", "small_sample"}``: the mean with its 95 % margin of error
    (t ≈ z; sample standard deviation); margin None below two values."""
    n = len(values)
    if n == 0:
        return {"n": 0, "mean": None, "margin": None, "small_sample": True}
    mean = sum(values) / n
    margin = None
    if n > 1:
        variance = sum((value - mean) ** 2 for value in values) / (n - 1)
        margin = round(Z_95 * math.sqrt(variance / n), 3)
    return {"n": n, "mean": round(mean, 3), "margin": margin, "small_sample": n < SMALL_SAMPLE}


def rate_per_thousand(count: int, base: int) -> float | None:
    """``count`` per 1,000 of ``base`` (None without a base)."""
    if base <= 0:
        return None
    return round(count * 1000 / base, 2)
