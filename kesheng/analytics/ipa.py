"""Importance–performance analysis (Martilla & James 1977), pure Python.

Each item (a sub-process of a journey) has an importance — stated, as the X-VOC surveys ask it,
or derived from the key-driver analysis — and a performance (the mean satisfaction). A
crosshair splits the plane into four quadrants; by default it sits at the mean importance and
the mean performance of the items themselves (the "data-centred" crosshair), so the quadrants
say where an item stands against the others; a fixed crosshair (a scale's midpoint) can be
given instead.
"""

from collections.abc import Sequence
from dataclasses import dataclass

KEEP_UP = "keep_up_the_good_work"  # important and performing well
CONCENTRATE = "concentrate_here"  # important, performing badly: fix first
LOW_PRIORITY = "low_priority"  # neither
OVERKILL = "possible_overkill"  # performing well on what matters little
QUADRANTS = (CONCENTRATE, KEEP_UP, LOW_PRIORITY, OVERKILL)


@dataclass(frozen=True)
class IpaItem:
    name: str
    importance: float
    performance: float
    quadrant: str


@dataclass(frozen=True)
class IpaResult:
    importance_cut: float
    performance_cut: float
    items: list[IpaItem]


def quadrant_of(
    importance: float, performance: float, importance_cut: float, performance_cut: float
) -> str:
    """Which quadrant a point is in; a point on a line counts as high on that axis."""
    important = importance >= importance_cut
    performing = performance >= performance_cut
    if important:
        return KEEP_UP if performing else CONCENTRATE
    return OVERKILL if performing else LOW_PRIORITY


def analyse_importance_performance(
    names: Sequence[str],
    importance: Sequence[float],
    performance: Sequence[float],
    *,
    importance_cut: float | None = None,
    performance_cut: float | None = None,
) -> IpaResult:
    """Place each item in its quadrant. Cuts default to the items' means."""
    if not len(names) == len(importance) == len(performance):
        raise ValueError("names, importance and performance must have the same length")
    if not names:
        raise ValueError("at least one item is needed")
    if importance_cut is None:
        importance_cut = sum(importance) / len(importance)
    if performance_cut is None:
        performance_cut = sum(performance) / len(performance)
    items = [
        IpaItem(
            name=name,
            importance=float(imp),
            performance=float(perf),
            quadrant=quadrant_of(imp, perf, importance_cut, performance_cut),
        )
        for name, imp, perf in zip(names, importance, performance, strict=True)
    ]
    return IpaResult(importance_cut=importance_cut, performance_cut=performance_cut, items=items)
