"""Reads of the loyalty programme: its tiers, a member's tier, privileges and progress."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from kesheng.commerce.queries import sum_kept_orders_by_customer
from kesheng.customers.queries import get_customer
from kesheng.loyalty import tiers as maths
from kesheng.loyalty.models import Membership, Programme, Qualification, Tier, TierChange


def get_programme() -> Programme | None:
    return Programme.objects.filter(pk=1).first()


def list_tiers() -> list[Tier]:
    """The programme's tiers, lowest first (retired ones left out)."""
    return list(Tier.objects.filter(is_active=True).order_by("position"))


def privileges_of(tier: Tier) -> dict:
    return {
        "points_multiplier": str(tier.points_multiplier),
        "birthday_gift": tier.birthday_gift or None,
        "free_shipping": tier.free_shipping,
        "priority_service": tier.priority_service,
    }


def get_qualifying_value(
    customer_pk: int, programme: Programme, *, now: datetime | None = None
) -> Decimal:
    """The customer's qualifying value now: kept spend or orders over the last 12 months."""
    now = now or timezone.now()
    rows = sum_kept_orders_by_customer(
        start=maths.window_start(now),
        end=now,
        currency=settings.KESHENG_DEFAULT_CURRENCY,
        customer_pks=[customer_pk],
    )
    if not rows:
        return Decimal("0.00")
    _pk, spend, count = rows[0]
    return Decimal(count) if programme.qualification == Qualification.ORDERS else spend


@dataclass(frozen=True)
class MemberTier:
    """A customer's place in the programme. ``membership`` None: no tier yet (given on the
    next order or review); ``next_level`` None: the top tier (or no programme)."""

    programme: Programme | None
    membership: Membership | None
    qualifying_value: Decimal
    next_tier: Tier | None
    remaining: Decimal | None


def get_member_tier(customer_pk: int, *, now: datetime | None = None) -> MemberTier:
    """Four queries whatever the customer's history: programme, membership, tiers, orders."""
    programme = get_programme()
    if programme is None:
        return MemberTier(None, None, Decimal("0.00"), None, None)
    membership = Membership.objects.select_related("tier").filter(customer_id=customer_pk).first()
    tiers = list_tiers()
    value = get_qualifying_value(customer_pk, programme, now=now)
    levels = [maths.Level(tier.code, tier.threshold) for tier in tiers]
    # The tier after the one held (a member in grace may hold more than the value reaches;
    # one not yet upgraded may reach more: nothing remains then).
    if membership is None:
        upcoming = maths.next_level(value, levels)
    else:
        above = levels[membership.tier.position + 1 :]
        upcoming = (
            maths.NextLevel(above[0].code, above[0].threshold, above[0].threshold - value)
            if above
            else None
        )
    next_tier = next((tier for tier in tiers if upcoming and tier.code == upcoming.code), None)
    return MemberTier(
        programme=programme,
        membership=membership,
        qualifying_value=value,
        next_tier=next_tier,
        remaining=None if upcoming is None else max(upcoming.remaining, Decimal("0.00")),
    )


def get_member_summary(customer_id: str, *, now: datetime | None = None) -> dict:
    """``GET /api/v1/loyalty/members/{customer_id}``: the tier, its privileges and the next
    tier with what remains to reach it. NotFound for an unknown customer (merged ids follow)."""
    customer = get_customer(customer_id)
    member = get_member_tier(customer.pk, now=now)
    membership = member.membership
    return {
        "customer_id": customer.customer_id,
        "tier": None if membership is None else membership.tier.code,
        "tier_name": None if membership is None else membership.tier.name,
        "tier_since": None if membership is None else membership.since,
        "grace_ends_at": None if membership is None else membership.grace_ends_at,
        "privileges": None if membership is None else privileges_of(membership.tier),
        "qualification": None if member.programme is None else member.programme.qualification,
        "qualifying_value": str(member.qualifying_value),
        "next_tier": None
        if member.next_tier is None
        else {
            "code": member.next_tier.code,
            "name": member.next_tier.name,
            "threshold": str(member.next_tier.threshold),
            "remaining": str(member.remaining),
        },
    }


def get_loyalty_section(customer_pk: int) -> dict:
    """The ``loyalty`` section of a customer's profile (API and 360 page): one query."""
    membership = Membership.objects.select_related("tier").filter(customer_id=customer_pk).first()
    if membership is None:
        return {"tier": None}
    return {
        "tier": membership.tier.code,
        "tier_name": membership.tier.name,
        "since": membership.since,
        "grace_ends_at": membership.grace_ends_at,
        "privileges": privileges_of(membership.tier),
    }


def list_tier_changes(customer_pk: int, *, limit: int = 10) -> list[TierChange]:
    return list(
        TierChange.objects.filter(customer_id=customer_pk)
        .select_related("from_tier", "to_tier")
        .order_by("-changed_at", "-pk")[:limit]
    )


def get_loyalty_panel(customer_pk: int) -> dict:
    """The loyalty panel of the customer-360 page: tier, privileges, progress and history."""
    member = get_member_tier(customer_pk)
    return {
        "member": member,
        "changes": list_tier_changes(customer_pk, limit=5) if member.programme else [],
        "currency": settings.KESHENG_DEFAULT_CURRENCY,
    }
