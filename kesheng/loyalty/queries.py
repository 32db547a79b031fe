"""Reads of the loyalty programme: its tiers, a member's tier, privileges and progress."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from kesheng.commerce.queries import sum_kept_orders_by_customer
from kesheng.core.errors import FieldError, InvalidInput, NotFound
from kesheng.customers.models import Customer
from kesheng.customers.queries import get_customer
from kesheng.loyalty import tiers as maths
from kesheng.loyalty.models import (
    Coupon,
    CouponState,
    Membership,
    PointsAccount,
    PointsLot,
    PointsMovement,
    PointsTransaction,
    Programme,
    Qualification,
    Reward,
    Tier,
    TierChange,
)


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
    points = get_member_points(customer.pk, now=now)
    return {
        "customer_id": customer.customer_id,
        "balance": points.balance,
        "pending": points.pending,
        "lots": [
            {"points": lot.remaining, "expires_at": lot.expires_at, "pending": lot.pending}
            for lot in points.lots
        ],
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
        "points": get_member_points(customer_pk),
        "transactions": list_points_transactions(customer_pk, limit=5),
        "changes": list_tier_changes(customer_pk, limit=5) if member.programme else [],
        "coupons": list_member_coupons(customer_pk, limit=10),
        "currency": settings.KESHENG_DEFAULT_CURRENCY,
    }


# --- points ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LotNow:
    remaining: int
    expires_at: datetime | None
    available_at: datetime
    pending: bool


@dataclass(frozen=True)
class MemberPoints:
    """A member's points as of ``now``: lots whose return window has closed count as
    spendable and lapsed ones as gone even before the beat jobs have written it."""

    balance: int
    pending: int
    lots: list[LotNow]  # what remains, soonest-expiring first


def get_member_points(customer_pk: int, *, now: datetime | None = None) -> MemberPoints:
    """Two queries: the account and the lots with something left."""
    now = now or timezone.now()
    account = PointsAccount.objects.filter(customer_id=customer_pk).first()
    balance = 0 if account is None else account.balance
    lots = []
    pending = 0
    rows = (
        PointsLot.objects.filter(customer_id=customer_pk, remaining__gt=0)
        .order_by(F("expires_at").asc(nulls_last=True), "available_at", "pk")
        .values_list("remaining", "expires_at", "available_at", "is_pending")
    )
    for remaining, expires_at, available_at, is_pending in rows:
        lapsed = expires_at is not None and expires_at <= now
        waiting = available_at > now
        if is_pending and not waiting:
            balance += remaining  # released by time, not yet by the job
        if lapsed and not waiting:
            balance -= remaining  # expired by time, not yet by the job
            continue
        if waiting:
            pending += remaining
        lots.append(LotNow(remaining, expires_at, available_at, waiting))
    return MemberPoints(balance=balance, pending=pending, lots=lots)


def list_points_transactions(customer_pk: int, *, limit: int = 20) -> list[PointsTransaction]:
    return list(
        PointsTransaction.objects.filter(customer_id=customer_pk).order_by("-created_at", "-pk")[
            :limit
        ]
    )


def verify_points_ledger() -> list[dict]:
    """Rebuild every balance from the ledger alone and compare with what is stored; the
    differences (empty: all agree). Per member: balance + pending = the sum of their
    transactions; pending = what their movements leave in pending lots. Per lot: remaining
    = the sum of its movements. A handful of grouped queries, whatever the number of members."""
    differences: list[dict] = []
    totals = dict(
        PointsTransaction.objects.order_by()
        .values("customer_id")
        .annotate(total=Sum("points"))
        .values_list("customer_id", "total")
    )
    pending = dict(
        PointsMovement.objects.filter(lot__is_pending=True)
        .order_by()
        .values("lot__customer_id")
        .annotate(total=Sum("points"))
        .values_list("lot__customer_id", "total")
    )
    stored = {
        pk: (balance, pending_points)
        for pk, balance, pending_points in PointsAccount.objects.values_list(
            "customer_id", "balance", "pending"
        ).iterator(chunk_size=10_000)
    }
    public = {}
    for pk in sorted(set(totals) | set(stored)):
        rebuilt_pending = pending.get(pk) or 0
        rebuilt_balance = (totals.get(pk) or 0) - rebuilt_pending
        balance, stored_pending = stored.get(pk, (0, 0))
        for name, have, want in (
            ("balance", balance, rebuilt_balance),
            ("pending", stored_pending, rebuilt_pending),
        ):
            if have != want:
                public[pk] = None
                differences.append(
                    {"customer_pk": pk, "field": name, "stored": have, "rebuilt": want}
                )
    bad_lots = (
        PointsLot.objects.annotate(rebuilt=Sum("movements__points"))
        .filter(~Q(rebuilt=F("remaining")) | Q(rebuilt__isnull=True, remaining__gt=0))
        .values_list("customer_id", "pk", "remaining", "rebuilt")
    )
    for customer_pk, lot_pk, remaining, rebuilt in bad_lots:
        public[customer_pk] = None
        differences.append(
            {
                "customer_pk": customer_pk,
                "field": f"lot {lot_pk} remaining",
                "stored": remaining,
                "rebuilt": rebuilt or 0,
            }
        )
    if public:
        ids = dict(Customer.objects.filter(pk__in=list(public)).values_list("pk", "customer_id"))
        for difference in differences:
            difference["customer_id"] = ids.get(difference["customer_pk"])
    return differences


def get_points_liability(*, now: datetime | None = None) -> dict:
    """Outstanding points (spendable and pending, not yet expired) × the programme's
    ``value_per_point``, by local month of expiry (None: never expires), and the points
    members owe. One grouped query."""
    now = now or timezone.now()
    programme = get_programme()
    value = Decimal((programme.settings if programme else {}).get("value_per_point", "0"))
    zone = ZoneInfo(settings.TIME_ZONE)
    rows = (
        PointsLot.objects.filter(remaining__gt=0)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .annotate(month=TruncMonth("expires_at", tzinfo=zone))
        .order_by()
        .values("month")
        .annotate(points=Sum("remaining"))
        .values_list("month", "points")
    )
    months = sorted(
        ((None if month is None else month.strftime("%Y-%m"), points) for month, points in rows),
        key=lambda row: (row[0] is None, row[0] or ""),
    )
    owed = -(PointsAccount.objects.filter(balance__lt=0).aggregate(t=Sum("balance"))["t"] or 0)
    total = sum(points for _month, points in months)
    return {
        "currency": settings.KESHENG_DEFAULT_CURRENCY,
        "value_per_point": str(value),
        "points": total,
        "value": str((value * total).quantize(Decimal("0.01"))),
        "owed_points": owed,
        "by_expiry_month": [
            {
                "month": month,
                "points": points,
                "value": str((value * points).quantize(Decimal("0.01"))),
            }
            for month, points in months
        ],
    }


# --- rewards and coupons -----------------------------------------------------------------------


def list_rewards(*, include_inactive: bool = False) -> list[Reward]:
    """The catalogue in the programme file's order (active first): one query."""
    rewards = Reward.objects.all() if include_inactive else Reward.objects.filter(is_active=True)
    return list(rewards.order_by("-is_active", "position", "pk"))


def reward_as_dict(reward: Reward) -> dict:
    def text(value):
        return None if value is None else str(value)

    return {
        "id": reward.pk,
        "code": reward.code,
        "name": reward.name,
        "name_zh": reward.name_zh,
        "name_en": reward.name_en,
        "kind": reward.kind,
        "points": reward.points,
        "cash": str(reward.cash),
        "amount": text(reward.amount),
        "percent": text(reward.percent),
        "minimum_spend": str(reward.minimum_spend),
        "valid_days": reward.valid_days,
        "per_member_limit": reward.per_member_limit,
        "stock": reward.stock,
        "remaining": reward.remaining,
        "redeemed": reward.redeemed,
        "points_per_cny": reward.points_per_cny,
        "max_share": text(reward.max_share),
        "active": reward.is_active,
        "starts_at": reward.starts_at,
        "ends_at": reward.ends_at,
    }


@dataclass(frozen=True)
class RewardRow:
    """A reward on the staff page with its coupons by state."""

    reward: Reward
    issued: int
    burned: int
    expired: int


def list_rewards_with_usage(*, now: datetime | None = None) -> list[RewardRow]:
    """Every reward (inactive ones last) and how many of its coupons are open, used and
    expired (an issued coupon past its date counts as expired): two queries."""
    now = now or timezone.now()
    rewards = list_rewards(include_inactive=True)
    counts: dict[int, dict[str, int]] = {}
    rows = (
        Coupon.objects.order_by()
        .values("reward_id")
        .annotate(
            issued=Count("pk", filter=Q(state=CouponState.ISSUED, valid_until__gt=now)),
            burned=Count("pk", filter=Q(state=CouponState.BURNED)),
            expired=Count(
                "pk",
                filter=Q(state=CouponState.EXPIRED)
                | Q(state=CouponState.ISSUED, valid_until__lte=now),
            ),
        )
    )
    for row in rows:
        counts[row["reward_id"]] = row
    return [
        RewardRow(
            reward=reward,
            issued=counts.get(reward.pk, {}).get("issued", 0),
            burned=counts.get(reward.pk, {}).get("burned", 0),
            expired=counts.get(reward.pk, {}).get("expired", 0),
        )
        for reward in rewards
    ]


def list_member_coupons(customer_pk: int, *, limit: int = 20) -> list[Coupon]:
    """A member's coupons, newest first, with their rewards: one query."""
    return list(
        Coupon.objects.filter(customer_id=customer_pk)
        .select_related("reward")
        .order_by("-issued_at", "-pk")[:limit]
    )


MAX_ORDER_AMOUNT = Decimal("100000000")
CENT = Decimal("0.01")


def check_order_amount(order_amount, *, required: bool) -> Decimal | None:
    """An order amount as a caller gives it (text or number), checked; InvalidInput names
    ``order_amount``."""
    if order_amount is None:
        if required:
            raise InvalidInput([FieldError("order_amount", _("is required"))])
        return None
    try:
        amount = Decimal(str(order_amount))
    except ArithmeticError:
        amount = None
    if (
        amount is None
        or not amount.is_finite()
        or amount <= 0
        or amount > MAX_ORDER_AMOUNT
        or amount != amount.quantize(CENT)
    ):
        raise InvalidInput(
            [
                FieldError(
                    "order_amount",
                    _("must be an amount in CNY above 0, at most %(max)s, with two decimals")
                    % {"max": MAX_ORDER_AMOUNT},
                )
            ]
        )
    return amount


def get_coupon(code: str) -> Coupon:
    """A coupon by its code (case and spaces forgiven, as a cashier types it); NotFound."""
    cleaned = "".join(str(code).split()).upper()[:32]
    coupon = Coupon.objects.select_related("reward", "customer").filter(code=cleaned).first()
    if coupon is None:
        raise NotFound(_("no coupon %(code)s") % {"code": cleaned}, field="code")
    return coupon


def coupon_refusal(
    coupon: Coupon, order_amount: Decimal | None, *, now: datetime
) -> tuple[str, str] | None:
    """Why the coupon cannot be used now on an order of ``order_amount`` (None: unknown
    yet), as (field, reason); None when it can. A used coupon is the caller's to answer
    (a replay or a conflict)."""
    if coupon.state == CouponState.BURNED:
        return "code", _("coupon %(code)s was already used") % {"code": coupon.code}
    if coupon.state == CouponState.CANCELLED:
        return "code", _("coupon %(code)s was cancelled") % {"code": coupon.code}
    if coupon.state == CouponState.EXPIRED or coupon.valid_until <= now:
        return "code", _("coupon %(code)s expired at %(when)s") % {
            "code": coupon.code,
            "when": coupon.valid_until.isoformat(),
        }
    if coupon.minimum_spend > 0:
        if order_amount is None:
            return "order_amount", _(
                "is required: the coupon needs a spend of at least %(minimum)s"
            ) % {"minimum": coupon.minimum_spend}
        if order_amount < coupon.minimum_spend:
            return "order_amount", _(
                "the order amount %(amount)s is below the minimum spend of %(minimum)s"
            ) % {"amount": order_amount, "minimum": coupon.minimum_spend}
    return None


def coupon_as_dict(coupon: Coupon, *, now: datetime | None = None) -> dict:
    """A coupon as the API shows it; an issued coupon past its date shows as expired."""
    reward = coupon.reward
    now = now or timezone.now()
    return {
        "code": coupon.code,
        "state": coupon.state_at(now),
        "reward": {"id": reward.pk, "code": reward.code, "name": reward.name},
        "customer_id": coupon.customer.customer_id,
        "kind": coupon.kind,
        "amount": None if coupon.amount is None else str(coupon.amount),
        "percent": None if coupon.percent is None else str(coupon.percent),
        "minimum_spend": str(coupon.minimum_spend),
        "cash_due": str(coupon.cash),
        "issued_at": coupon.issued_at,
        "valid_until": coupon.valid_until,
        "burned_at": coupon.burned_at,
        "order_id": coupon.burned_order_id or None,
        "order_amount": None
        if coupon.burned_order_amount is None
        else str(coupon.burned_order_amount),
    }


def check_coupon(code: str, *, order_amount=None, now=None) -> dict:
    """``GET /api/v1/loyalty/coupons/{code}``: the coupon, whether it can be used now (on an
    order of ``order_amount`` if given) and if not, why. NotFound for an unknown code."""
    now = now or timezone.now()
    order_amount = check_order_amount(order_amount, required=False)
    coupon = get_coupon(code)
    refusal = coupon_refusal(coupon, order_amount, now=now)
    # Without an amount, a minimum spend is something to check at the till, not a refusal.
    if refusal is not None and refusal[0] == "order_amount" and order_amount is None:
        refusal = None
    return {
        **coupon_as_dict(coupon, now=now),
        "usable": refusal is None,
        "reason": None if refusal is None else refusal[1],
    }
