"""Reads of the member pages (/m/) and of the referral funnel (docs/loyalty.md)."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from kesheng.loyalty.models import Coupon, Referral, ReferralCode, ReferralState, Reward
from kesheng.loyalty.queries import (
    MemberPoints,
    MemberTier,
    get_member_points,
    get_member_tier,
    list_member_coupons,
    list_points_transactions,
    list_rewards,
)


@dataclass(frozen=True)
class MemberHome:
    tier: MemberTier
    points: MemberPoints
    progress_percent: int | None  # towards the next tier; None at the top or without tiers


def progress_percent(tier: MemberTier) -> int | None:
    """How far (0–100) the qualifying value is from the held tier's threshold to the next."""
    if tier.next_tier is None:
        return None
    low = tier.membership.tier.threshold if tier.membership is not None else Decimal(0)
    span = tier.next_tier.threshold - low
    if span <= 0:
        return 100
    share = (tier.qualifying_value - low) / span * 100
    return int(max(Decimal(0), min(Decimal(100), share)))


def get_member_home(customer_pk: int, *, now: datetime | None = None) -> MemberHome:
    """The member's tier, progress and points (six queries)."""
    tier = get_member_tier(customer_pk, now=now)
    return MemberHome(
        tier=tier,
        points=get_member_points(customer_pk, now=now),
        progress_percent=progress_percent(tier),
    )


def list_member_history(customer_pk: int, *, limit: int = 50):
    return list_points_transactions(customer_pk, limit=limit)


def list_member_rewards(*, now: datetime | None = None) -> list[Reward]:
    """Rewards a member can redeem on the pages now: active, in their dates, in stock, and
    not points as cash (that one is spent at the till, on an order)."""
    now = now or timezone.now()
    return [
        reward
        for reward in list_rewards()
        if reward.kind != "points_as_cash"
        and (reward.starts_at is None or reward.starts_at <= now)
        and (reward.ends_at is None or reward.ends_at > now)
        and reward.remaining != 0
    ]


def get_member_reward(reward_pk: int, *, now: datetime | None = None) -> Reward | None:
    return next((r for r in list_member_rewards(now=now) if r.pk == reward_pk), None)


def list_member_coupons_for_page(customer_pk: int) -> list[Coupon]:
    return list_member_coupons(customer_pk, limit=50)


def get_referral_code(code: str) -> ReferralCode | None:
    return ReferralCode.objects.filter(code=code).first()


# --- the referral funnel -----------------------------------------------------------------------


def _counts(referrals) -> dict:
    return referrals.aggregate(
        signed_up=Count("pk", filter=~Q(state=ReferralState.REFUSED)),
        ordered=Count("pk", filter=Q(state=ReferralState.ORDERED)),
        rewarded=Count("pk", filter=Q(is_rewarded=True)),
        refused=Count("pk", filter=~Q(refusal_reason="")),
    )


def get_referral_funnel(*, referrer_pk: int | None = None) -> dict:
    """Shared (referral link opened), signed up, ordered (first paid order), rewarded, and
    refused by reason — for one referrer or in total. Three queries."""
    codes = ReferralCode.objects.all()
    referrals = Referral.objects.all()
    if referrer_pk is not None:
        codes = codes.filter(customer_id=referrer_pk)
        referrals = referrals.filter(referrer_id=referrer_pk)
    funnel = {"shared": codes.aggregate(total=Sum("visits"))["total"] or 0, **_counts(referrals)}
    funnel["refused_by_reason"] = dict(
        referrals.exclude(refusal_reason="")
        .values("refusal_reason")
        .annotate(n=Count("pk"))
        .values_list("refusal_reason", "n")
        .order_by("refusal_reason")
    )
    return funnel


def list_referral_funnels(*, limit: int = 200) -> list[dict]:
    """The funnel of each referrer with a code, most sign-ups first. Two queries."""
    rows = {
        customer_pk: {
            "customer_id": customer_id,
            "name": name,
            "code": code,
            "shared": visits,
            "signed_up": 0,
            "ordered": 0,
            "rewarded": 0,
            "refused": 0,
        }
        for customer_pk, customer_id, name, code, visits in ReferralCode.objects.values_list(
            "customer_id", "customer__customer_id", "customer__name", "code", "visits"
        )
    }
    grouped = (
        Referral.objects.values("referrer_id")
        .annotate(
            signed_up=Count("pk", filter=~Q(state=ReferralState.REFUSED)),
            ordered=Count("pk", filter=Q(state=ReferralState.ORDERED)),
            rewarded=Count("pk", filter=Q(is_rewarded=True)),
            refused=Count("pk", filter=~Q(refusal_reason="")),
        )
        .order_by()
    )
    for row in grouped:
        target = rows.get(row["referrer_id"])
        if target is not None:
            for key in ("signed_up", "ordered", "rewarded", "refused"):
                target[key] = row[key]
    ordered = sorted(
        rows.values(), key=lambda row: (-row["signed_up"], -row["shared"], row["customer_id"])
    )
    return ordered[:limit]


def get_referral_panel(customer_pk: int) -> dict:
    """The referrals panel of the customer-360 page (five queries): the member's code, their
    funnel as a referrer, and who referred them."""
    code = ReferralCode.objects.filter(customer_id=customer_pk).values_list("code", flat=True)
    referred_by = (
        Referral.objects.filter(referee_id=customer_pk)
        .select_related("referrer")
        .order_by("-signed_up_at", "-pk")
        .first()
    )
    return {
        "code": code.first(),
        "funnel": get_referral_funnel(referrer_pk=customer_pk),
        "referred_by": referred_by,
    }
