"""Tier maths on plain values: which tier a qualifying value earns, what is left to the next
one, the rolling 12-month window, when a periodic review is due, and the decisions a review
or an order makes for many members at once (NumPy arrays, no loop per member).

Values and thresholds are compared in whole cents (int64), so 999.99 never rounds up to 1000.

Pure module: no Django imports.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

import numpy as np
import numpy.typing as npt

WINDOW_MONTHS = 12
PERIODS = ("monthly", "quarterly", "yearly")
NO_TIER = -1


@dataclass(frozen=True)
class Level:
    """A tier as the maths sees it: its code and threshold, in ascending order of threshold."""

    code: str
    threshold: Decimal


@dataclass(frozen=True)
class NextLevel:
    code: str
    threshold: Decimal
    remaining: Decimal


def to_cents(value: Decimal | int | float) -> int:
    """Whole cents, rounded down: a value just under a threshold stays under it."""
    return int((Decimal(str(value)) * 100).to_integral_value(rounding=ROUND_FLOOR))


def threshold_cents(levels: list[Level]) -> npt.NDArray[np.int64]:
    return np.array([to_cents(level.threshold) for level in levels], dtype=np.int64)


def qualifying_positions(
    value_cents: npt.NDArray[np.int64], levels: list[Level]
) -> npt.NDArray[np.int64]:
    """For each value, the position of the highest tier whose threshold it reaches (NO_TIER
    when it reaches none). ``levels`` are in ascending order of threshold."""
    if not levels:
        return np.full(len(value_cents), NO_TIER, dtype=np.int64)
    positions = np.searchsorted(threshold_cents(levels), value_cents, side="right") - 1
    return positions.astype(np.int64)


def qualifying_level(value: Decimal, levels: list[Level]) -> Level | None:
    position = int(qualifying_positions(np.array([to_cents(value)], dtype=np.int64), levels)[0])
    return None if position == NO_TIER else levels[position]


def next_level(value: Decimal, levels: list[Level]) -> NextLevel | None:
    """The first tier above what ``value`` reaches and how much is left to reach it."""
    for level in levels:
        if to_cents(value) < to_cents(level.threshold):
            return NextLevel(level.code, level.threshold, level.threshold - Decimal(value))
    return None


def months_before(moment: datetime, months: int) -> datetime:
    """The same wall-clock time ``months`` calendar months earlier (31 March -> 30 September
    less six months: the day is clamped to the shorter month)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def window_start(now: datetime) -> datetime:
    """The start of the rolling qualification window that ends at ``now``."""
    return months_before(now, WINDOW_MONTHS)


def period_start(period: str, moment: datetime) -> datetime:
    """Midnight starting the month, quarter or year that holds ``moment`` (in its own zone)."""
    if period not in PERIODS:
        raise ValueError(f"unknown review period {period!r}")
    month = moment.month
    if period == "quarterly":
        month = 3 * ((moment.month - 1) // 3) + 1
    elif period == "yearly":
        month = 1
    return moment.replace(month=month, day=1, hour=0, minute=0, second=0, microsecond=0)


def is_review_due(period: str, last_reviewed_at: datetime | None, now: datetime) -> bool:
    """A review is due once per period: when none has run since the current one started."""
    return last_reviewed_at is None or last_reviewed_at < period_start(period, now)


@dataclass(frozen=True)
class Decisions:
    """What to do with each member, as index arrays into the input arrays.

    ``assign``: no tier yet, now reaches one (initial); ``upgrade``: reaches a higher tier;
    ``downgrade``: below their tier and their grace period is over; ``start_grace``: below
    their tier, grace starts now; ``clear_grace``: in grace but qualifies again.
    ``target`` is the tier position each member qualifies for.
    """

    target: npt.NDArray[np.int64]
    assign: npt.NDArray[np.intp]
    upgrade: npt.NDArray[np.intp]
    downgrade: npt.NDArray[np.intp]
    start_grace: npt.NDArray[np.intp]
    clear_grace: npt.NDArray[np.intp]


def decide(
    *,
    value_cents: npt.NDArray[np.int64],
    current: npt.NDArray[np.int64],
    in_grace: npt.NDArray[np.bool_],
    grace_over: npt.NDArray[np.bool_],
    levels: list[Level],
    reviewing: bool,
    grace_days: int,
) -> Decisions:
    """The tier decisions for members with these qualifying values and current positions.

    Upgrades happen whenever a value reaches a higher tier. Outside a review nothing goes down
    and no grace starts; a grace period already over is acted on at any run. At a review a
    member below their tier starts a grace period of ``grace_days`` (none: down at once).
    """
    target = qualifying_positions(value_cents, levels)
    has_tier = current != NO_TIER
    below = has_tier & (target < current)
    assign = ~has_tier & (target != NO_TIER)
    upgrade = has_tier & (target > current)
    downgrade = below & in_grace & grace_over
    start_grace = np.zeros(len(current), dtype=bool)
    if reviewing:
        starting = below & ~in_grace
        if grace_days == 0:
            downgrade |= starting
        else:
            start_grace = starting
    clear_grace = in_grace & ~below
    return Decisions(
        target=target,
        assign=np.flatnonzero(assign),
        upgrade=np.flatnonzero(upgrade),
        downgrade=np.flatnonzero(downgrade),
        start_grace=np.flatnonzero(start_grace),
        clear_grace=np.flatnonzero(clear_grace),
    )


def grace_end(now: datetime, grace_days: int) -> datetime:
    return now + timedelta(days=grace_days)
