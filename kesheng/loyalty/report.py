"""Reads for the loyalty report: what the programme looks like over a period, in a few grouped
queries (no loop over members).

- **Members by tier** now, and **tier movements** in the period (from the tier history).
- **Points issued, redeemed, expired, reversed** in the period and per month for the last twelve
  months, from the ledger. Issued = earned + positive adjustments; redeemed, expired and reversed
  are shown as positive amounts.
- **Redemption rate** = points redeemed ÷ points issued in the period.
- **Breakage** = points expired ÷ (points expired + points redeemed) over the twelve months to
  the period's end: of the points whose fate was settled, the share that lapsed unused. It is the
  observed rate, not a forecast for the points still outstanding.
- **Repeat-purchase rate** of members against non-members: among the customers with a kept
  (placed or completed) order in the twelve months to the period's end, the share with at least
  two; a member is a customer with a tier now. Each share has its n and Wilson interval, and the
  difference its interval and p-value (``core.statistics``).
- **Outstanding liability** by month of expiry: ``queries.get_points_liability``.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth

from kesheng.commerce.models import Order, OrderStatus
from kesheng.core.statistics import Difference, Score, difference_of_proportions, proportion_score
from kesheng.loyalty.models import Membership, PointsTransaction, Tier, TierChange
from kesheng.loyalty.models import TransactionKind as Kind
from kesheng.loyalty.queries import get_points_liability

KEPT = [OrderStatus.PLACED, OrderStatus.COMPLETED]
YEAR = timedelta(days=365)


@dataclass(frozen=True)
class TierCount:
    code: str
    name: str
    members: int


@dataclass(frozen=True)
class TierMovement:
    from_name: str  # "" for a first tier
    to_name: str
    reason: str
    changes: int


@dataclass(frozen=True)
class PointsFlow:
    """Points moved in one period (all positive numbers)."""

    label: str
    issued: int = 0
    redeemed: int = 0
    expired: int = 0
    reversed: int = 0


@dataclass(frozen=True)
class RepeatPurchase:
    members: Score
    non_members: Score
    difference: Difference  # members − non-members, as fractions


@dataclass(frozen=True)
class LoyaltyFigures:
    start: datetime
    end: datetime
    tiers: list[TierCount]
    movements: list[TierMovement]
    period: PointsFlow
    monthly: list[PointsFlow]
    redemption_rate: float | None
    breakage: float | None
    repeat_purchase: RepeatPurchase
    liability: dict = field(default_factory=dict)


def _flow_sums() -> dict[str, Sum]:
    """The ledger's movements by kind, as aggregates (one query for a whole period or month)."""
    return {
        "earned": Sum("points", filter=Q(kind=Kind.EARN)),
        "added": Sum("points", filter=Q(kind=Kind.ADJUST, points__gt=0)),
        "redeemed": Sum("points", filter=Q(kind=Kind.REDEEM)),
        "expired": Sum("points", filter=Q(kind=Kind.EXPIRE)),
        "reversed": Sum("points", filter=Q(kind=Kind.REVERSE)),
    }


def _absolute(totals: dict) -> dict[str, int]:
    """The sums as positive numbers (redeemed, expired and reversed are negative in the ledger)."""
    return {name: abs(totals[name] or 0) for name in _flow_sums()}


def _flows(transactions) -> dict[str, int]:
    return _absolute(transactions.aggregate(**_flow_sums()))


def _flow(label: str, totals: dict[str, int]) -> PointsFlow:
    return PointsFlow(
        label=label,
        issued=totals["earned"] + totals["added"],
        redeemed=totals["redeemed"],
        expired=totals["expired"],
        reversed=totals["reversed"],
    )


def list_tier_counts() -> list[TierCount]:
    """Members per active tier, lowest first; one query."""
    counts = dict(Membership.objects.values_list("tier").annotate(n=Count("pk")).order_by())
    return [
        TierCount(tier.code, tier.name, counts.get(tier.pk, 0))
        for tier in Tier.objects.filter(is_active=True).order_by("position")
    ]


def list_tier_movements(start: datetime, end: datetime) -> list[TierMovement]:
    """Tier changes in [start, end) grouped by from, to and reason; most common first."""
    tiers = {tier.pk: tier.name for tier in Tier.objects.all()}
    rows = (
        TierChange.objects.filter(changed_at__gte=start, changed_at__lt=end)
        .values_list("from_tier", "to_tier", "reason")
        .annotate(n=Count("pk"))
        .order_by("-n")
    )
    return [
        TierMovement(tiers.get(from_pk, "") if from_pk else "", tiers[to_pk], reason, n)
        for from_pk, to_pk, reason, n in rows
    ]


def list_monthly_points(end: datetime, *, months: int = 12) -> list[PointsFlow]:
    """Issued, redeemed, expired and reversed points per local month, the ``months`` months up
    to ``end``; one grouped query."""
    zone = ZoneInfo(settings.TIME_ZONE)
    # The month holding the period's last moment is the last month shown.
    local_end = (end - timedelta(microseconds=1)).astimezone(zone)
    first = local_end.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    for _step in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    rows = (
        PointsTransaction.objects.filter(created_at__gte=first, created_at__lt=end)
        .annotate(month=TruncMonth("created_at", tzinfo=zone))
        .values("month")
        .annotate(**_flow_sums())
        .order_by("month")
    )
    by_month = {row["month"].strftime("%Y-%m"): _absolute(row) for row in rows}
    empty = dict.fromkeys(_flow_sums(), 0)
    flows = []
    month = first
    for _step in range(months):
        label = month.strftime("%Y-%m")
        flows.append(_flow(label, by_month.get(label, empty)))
        month = (month + timedelta(days=32)).replace(day=1)
    return flows


def get_repeat_purchase(end: datetime) -> RepeatPurchase:
    """Members' and non-members' repeat-purchase rates over the year to ``end``: four counts,
    each one grouped query."""
    kept = Order.objects.filter(
        status__in=KEPT, ordered_at__gte=end - YEAR, ordered_at__lt=end
    ).order_by()
    counts = {}
    for is_member in (True, False):
        per_customer = (
            kept.filter(customer__loyalty_membership__isnull=not is_member)
            .values("customer")
            .annotate(orders=Count("pk"))
        )
        counts[is_member] = (per_customer.filter(orders__gte=2).count(), per_customer.count())
    member_repeaters, member_buyers = counts[True]
    other_repeaters, other_buyers = counts[False]
    return RepeatPurchase(
        members=proportion_score(member_repeaters, member_buyers),
        non_members=proportion_score(other_repeaters, other_buyers),
        difference=difference_of_proportions(
            member_repeaters, member_buyers, other_repeaters, other_buyers
        ),
    )


def get_loyalty_figures(start: datetime, end: datetime) -> LoyaltyFigures:
    """Everything the loyalty report shows for the period [start, end)."""
    period = _flow(
        "", _flows(PointsTransaction.objects.filter(created_at__gte=start, created_at__lt=end))
    )
    year = _flows(PointsTransaction.objects.filter(created_at__gte=end - YEAR, created_at__lt=end))
    settled = year["expired"] + year["redeemed"]
    return LoyaltyFigures(
        start=start,
        end=end,
        tiers=list_tier_counts(),
        movements=list_tier_movements(start, end),
        period=period,
        monthly=list_monthly_points(end),
        redemption_rate=period.redeemed / period.issued if period.issued else None,
        breakage=year["expired"] / settled if settled else None,
        repeat_purchase=get_repeat_purchase(end),
        liability=get_points_liability(),
    )
