"""Pure computation of the points ledger: earn rules, return windows and expiry dates.

No Django here: the actions read the order and the programme, call these with plain values and
write what they return. docs/loyalty.md describes the rules in a user's words.
"""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_FLOOR, Decimal
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class OrderFacts:
    """What the rules look at in one order: its amount (in the programme's currency), channel
    code, local date and the amounts of its lines by product category."""

    amount: Decimal
    channel: str
    local_date: date
    category_amounts: dict[str, Decimal]
    birthday_month: bool = False  # the order falls in the member's birthday month


@dataclass(frozen=True)
class EarnRule:
    """One earn rule of the programme file. A rate rule (``points_per_cny``) gives points for
    the amount spent (only its categories' lines when it names categories); a bonus rule
    (``multiplier``) adds ``multiplier - 1`` times the rate rules' points. Conditions left out
    always hold; ``cap`` limits the points one order gets from the rule."""

    code: str
    points_per_cny: Decimal | None = None
    multiplier: Decimal | None = None
    channels: frozenset[str] | None = None
    categories: frozenset[str] | None = None
    weekdays: frozenset[int] | None = None  # ISO: 1 Monday ... 7 Sunday
    starts: date | None = None
    ends: date | None = None
    cap: int | None = None
    birthday_month: bool = False  # only in the member's birthday month

    def applies_to(self, order: OrderFacts) -> bool:
        if self.birthday_month and not order.birthday_month:
            return False
        if self.starts is not None and order.local_date < self.starts:
            return False
        if self.ends is not None and order.local_date > self.ends:
            return False
        if self.channels is not None and order.channel not in self.channels:
            return False
        return self.weekdays is None or order.local_date.isoweekday() in self.weekdays


def rules_from_settings(items: list[dict]) -> list[EarnRule]:
    """The stored (already checked) ``earn_rules`` of the programme as EarnRule values."""

    def decimal(value) -> Decimal | None:
        return None if value is None else Decimal(str(value))

    def codes(value) -> frozenset | None:
        return None if value is None else frozenset(value)

    def day(value) -> date | None:
        return None if value is None else date.fromisoformat(value)

    rules = []
    for item in items:
        weekday = item.get("weekday")
        rules.append(
            EarnRule(
                code=item["code"],
                points_per_cny=decimal(item.get("points_per_cny")),
                multiplier=decimal(item.get("multiplier")),
                channels=codes(item.get("channels")),
                categories=codes(item.get("categories")),
                weekdays=None
                if weekday is None
                else frozenset(weekday if isinstance(weekday, list) else [weekday]),
                starts=day(item.get("starts")),
                ends=day(item.get("ends")),
                cap=item.get("cap"),
                birthday_month=bool(item.get("birthday_month", False)),
            )
        )
    return rules


def in_birthday_month(birthday: date | None, local_date: date) -> bool:
    """Whether ``local_date`` is in the month of ``birthday`` (no birthday: never)."""
    return birthday is not None and birthday.month == local_date.month


@dataclass(frozen=True)
class BonusRule:
    """A one-off bonus of the programme file (``bonus_rules``): ``points`` when ``event``
    happens (survey_completed, review_written, profile_completed, first_order), between
    ``starts`` and ``ends`` (local dates, inclusive), at most ``max_per_member`` times."""

    code: str
    event: str
    points: int
    starts: date | None = None
    ends: date | None = None
    max_per_member: int | None = None

    def active_on(self, local_date: date) -> bool:
        if self.starts is not None and local_date < self.starts:
            return False
        return self.ends is None or local_date <= self.ends


def bonus_rules_from_settings(items: list[dict], event: str) -> list[BonusRule]:
    """The stored (already checked) ``bonus_rules`` for one event."""
    return [
        BonusRule(
            code=item["code"],
            event=item["event"],
            points=item["points"],
            starts=None if item.get("starts") is None else date.fromisoformat(item["starts"]),
            ends=None if item.get("ends") is None else date.fromisoformat(item["ends"]),
            max_per_member=item.get("max_per_member"),
        )
        for item in items
        if item["event"] == event
    ]


def referral_window_start(now: datetime, period_days: int) -> datetime:
    """Where the referral cap's rolling window starts."""
    return now - timedelta(days=period_days)


@dataclass(frozen=True)
class EarnedPoints:
    points: int
    by_rule: dict[str, int]  # points before the tier multiplier, by rule code


def _floor(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def _capped(points: int, cap: int | None) -> int:
    return points if cap is None else min(points, cap)


def points_for_order(
    order: OrderFacts, rules: list[EarnRule], tier_multiplier: Decimal
) -> EarnedPoints:
    """Whole points an order earns: each applicable rate rule's points (rounded down, capped),
    plus each applicable bonus rule's share of them (additive, not compounding), all times the
    member's tier multiplier, rounded down. An order of 0 or less earns 0."""
    if order.amount <= 0:
        return EarnedPoints(0, {})
    by_rule: dict[str, int] = {}
    applicable = [rule for rule in rules if rule.applies_to(order)]
    for rule in applicable:
        if rule.points_per_cny is None:
            continue
        if rule.categories is None:
            eligible = order.amount
        else:
            eligible = sum(
                (order.category_amounts.get(category, Decimal(0)) for category in rule.categories),
                Decimal(0),
            )
        by_rule[rule.code] = _capped(_floor(eligible * rule.points_per_cny), rule.cap)
    base = sum(by_rule.values())
    for rule in applicable:
        if rule.multiplier is None:
            continue
        by_rule[rule.code] = _capped(_floor(base * (rule.multiplier - 1)), rule.cap)
    total = _floor(sum(by_rule.values()) * tier_multiplier)
    return EarnedPoints(max(total, 0), {code: pts for code, pts in by_rule.items() if pts})


def add_months(moment: datetime, months: int) -> datetime:
    """The same local time ``months`` calendar months later (31 January + 1 month: 28/29
    February, the last day of the shorter month)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def expiry_moment(available_at: datetime, expiry: dict | None, zone: ZoneInfo) -> datetime | None:
    """When points that become spendable at ``available_at`` expire (aware UTC), or None for a
    programme without expiry. ``rolling``: N months after they become spendable. ``yearly``:
    at the end of the clearing day (local time) one year after the first clearing day that
    follows, so points earned in 2025 with ``12-31`` expire at the end of 2026-12-31."""
    if not expiry:
        return None
    local = available_at.astimezone(zone)
    if expiry["mode"] == "rolling":
        return add_months(local, expiry["months"]).astimezone(ZoneInfo("UTC"))
    month, day = (int(part) for part in expiry["date"].split("-"))
    first = _clearing_day(local.year, month, day)
    if first < local.date():
        first = _clearing_day(local.year + 1, month, day)
    second = _clearing_day(first.year + 1, month, day)
    end = datetime.combine(second + timedelta(days=1), time(0), tzinfo=zone)
    return end.astimezone(ZoneInfo("UTC"))


def _clearing_day(year: int, month: int, day: int) -> date:
    # A 29 February clearing day (refused by the file check, kept safe here) falls back to 28.
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def pro_rata(points: int, part: Decimal, whole: Decimal) -> int:
    """Points of a partial refund: ``points × part / whole`` rounded down (the member keeps
    the rounding), all of them when the part is the whole or more."""
    if whole <= 0 or part >= whole:
        return points
    return _floor(Decimal(points) * part / whole)
