"""SLA clocks: due times in working time, pure (no Django), so the rules are easy to test.

A clock either runs around the clock (``hours`` is None: a 24-hour deadline is due exactly 24
hours later) or only inside business hours: shifts per weekday (several per day, so a lunch
break is simply the gap between two shifts), closed on holidays, and open on make-up working
days (China's 调休 Saturdays and Sundays), which use the shifts of ``make_up_weekday``.

All arithmetic walks the shifts in the business's own time zone and returns aware datetimes in
that zone; callers store them as UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Defaults when no policy matches a case (docs/cases.md): first response within 24 hours, and
# resolution by urgency, both around the clock.
DEFAULT_FIRST_RESPONSE_MINUTES = 24 * 60
DEFAULT_RESOLUTION_MINUTES = {
    "P1": 24 * 60,
    "P2": 48 * 60,
    "P3": 72 * 60,
    "P4": 120 * 60,
}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
# No deadline is searched further ahead than this: a calendar without any shift would loop.
_MAX_DAYS = 3660

Shift = tuple[time, time]


@dataclass(frozen=True)
class BusinessHours:
    """When the clock runs. ``shifts[weekday]`` (0 = Monday) lists (start, end) pairs in order,
    not overlapping; an end of 00:00 means midnight at the end of the day."""

    zone: ZoneInfo
    shifts: dict[int, tuple[Shift, ...]]
    holidays: frozenset[date] = field(default_factory=frozenset)
    make_up_days: frozenset[date] = field(default_factory=frozenset)
    make_up_weekday: int = 0

    def shifts_on(self, day: date) -> tuple[Shift, ...]:
        if day in self.holidays:
            return ()
        if day in self.make_up_days:
            return self.shifts.get(self.make_up_weekday, ())
        return self.shifts.get(day.weekday(), ())

    def _intervals_on(self, day: date) -> list[tuple[datetime, datetime]]:
        intervals = []
        for start, end in self.shifts_on(day):
            begin = datetime.combine(day, start, self.zone)
            finish = (
                datetime.combine(day + timedelta(days=1), time.min, self.zone)
                if end == time.min
                else datetime.combine(day, end, self.zone)
            )
            intervals.append((begin, finish))
        return intervals


def _parse_time(value: object, where: str) -> time:
    if not isinstance(value, str) or not _TIME.match(value):
        raise ValueError(f"{where}: {value!r} is not a time like 09:00")
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _parse_day(value: object, where: str) -> date:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else date.fromisoformat("")
    except ValueError:
        raise ValueError(f"{where}: {value!r} is not a date like 2026-10-01") from None


def parse_business_hours(
    spec: object, *, zone: ZoneInfo, holidays: object = (), make_up_days: object = ()
) -> BusinessHours | None:
    """Read a policy's hours: ``{"mon": [["09:00", "12:00"], ["13:00", "18:00"]], ...}``
    (missing days are closed; an end of "00:00" is midnight), holidays and make-up working days
    as ISO dates. An empty spec means around the clock (None). Raises ValueError("where:
    reason") for anything else."""
    if not spec:
        return None
    if not isinstance(spec, dict):
        raise ValueError("business_hours: must be an object of weekdays")
    shifts: dict[int, tuple[Shift, ...]] = {}
    for name, day_shifts in spec.items():
        if name not in WEEKDAYS:
            raise ValueError(f"business_hours.{name}: is not one of {', '.join(WEEKDAYS)}")
        if not isinstance(day_shifts, list):
            raise ValueError(f"business_hours.{name}: must be a list of [start, end] pairs")
        parsed: list[Shift] = []
        for index, pair in enumerate(day_shifts):
            where = f"business_hours.{name}[{index}]"
            if not isinstance(pair, list | tuple) or len(pair) != 2:
                raise ValueError(f"{where}: must be a [start, end] pair")
            start, end = _parse_time(pair[0], where), _parse_time(pair[1], where)
            if end != time.min and end <= start:
                raise ValueError(f"{where}: ends before it starts")
            if parsed and (parsed[-1][1] == time.min or start < parsed[-1][1]):
                raise ValueError(f"{where}: overlaps or comes before the shift before it")
            parsed.append((start, end))
        shifts[WEEKDAYS.index(name)] = tuple(parsed)
    if not any(shifts.values()):
        raise ValueError("business_hours: has no shift at all")
    if not isinstance(holidays, list | tuple) or not isinstance(make_up_days, list | tuple):
        raise ValueError("holidays: must be a list of dates")
    return BusinessHours(
        zone=zone,
        shifts=shifts,
        holidays=frozenset(_parse_day(day, "holidays") for day in holidays),
        make_up_days=frozenset(_parse_day(day, "make_up_days") for day in make_up_days),
        make_up_weekday=min((day for day, found in shifts.items() if found), default=0),
    )


def add_working_time(start: datetime, duration: timedelta, hours: BusinessHours | None) -> datetime:
    """The moment ``duration`` of working time after ``start``."""
    if hours is None:
        return start + duration
    if duration <= timedelta(0):
        return start
    remaining = duration
    local = start.astimezone(hours.zone)
    day = local.date()
    for _ in range(_MAX_DAYS):
        for begin, end in hours._intervals_on(day):
            if end <= local:
                continue
            begin = max(begin, local)
            available = end - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        day += timedelta(days=1)
    raise ValueError("business hours: no working time found within ten years")


def working_time_between(start: datetime, end: datetime, hours: BusinessHours | None) -> timedelta:
    """How much working time lies between two moments (zero if ``end`` is not after it)."""
    if end <= start:
        return timedelta(0)
    if hours is None:
        return end - start
    total = timedelta(0)
    local_start, local_end = start.astimezone(hours.zone), end.astimezone(hours.zone)
    day = local_start.date()
    while day <= local_end.date():
        for begin, finish in hours._intervals_on(day):
            overlap = min(finish, local_end) - max(begin, local_start)
            if overlap > timedelta(0):
                total += overlap
        day += timedelta(days=1)
    return total


@dataclass(frozen=True)
class Deadlines:
    first_response_due: datetime
    resolution_due: datetime


def deadlines(
    opened_at: datetime,
    *,
    first_response_minutes: int,
    resolution_minutes: int,
    hours: BusinessHours | None,
) -> Deadlines:
    """Both deadlines of a case opened at ``opened_at``."""
    return Deadlines(
        first_response_due=add_working_time(
            opened_at, timedelta(minutes=first_response_minutes), hours
        ),
        resolution_due=add_working_time(opened_at, timedelta(minutes=resolution_minutes), hours),
    )


def extend_after_pause(
    due: datetime, paused_from: datetime, resumed_at: datetime, hours: BusinessHours | None
) -> datetime:
    """The deadline once a pause (waiting on the customer) ends: moved on by the working time
    the pause took, so the time the customer kept the case does not count."""
    return add_working_time(due, working_time_between(paused_from, resumed_at, hours), hours)


def is_overdue(due: datetime | None, done_at: datetime | None, now: datetime) -> bool:
    """True when the deadline passed before the thing was done (or it is still not done)."""
    if due is None:
        return False
    return (done_at if done_at is not None else now) > due
