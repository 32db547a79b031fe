"""Gifts: a reward's coupon or bonus points given by the programme itself (a campaign's offer,
a tier's birthday gift), never bought with the member's points.

A gifted coupon is recorded like a redemption for 0 points — one ``redeem`` transaction of 0
points with the request number as its idempotency key, and the coupon pointing at it — so
every coupon has its ledger row, the balance is untouched, and the same request number
twice issues one coupon. Gifted bonus points are an ``adjust`` transaction with a reason.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kesheng.core.events import emit
from kesheng.loyalty.actions.points import (
    PointsResult,
    _apply_time,
    _check_request_no,
    _lock_account,
    _record,
    adjust_points,
)
from kesheng.loyalty.actions.rewards import (
    RewardRefused,
    _check_available,
    _reward,
    _take_stock,
    new_coupon_code,
)
from kesheng.loyalty.models import Coupon, PointsTransaction, Reward, RewardKind
from kesheng.loyalty.models import TransactionKind as Kind

GIFTABLE_KINDS = (RewardKind.COUPON_AMOUNT, RewardKind.COUPON_PERCENT, RewardKind.GIFT)


@dataclass(frozen=True)
class GiftedCoupon:
    coupon: Coupon
    transaction: PointsTransaction
    replayed: bool


def gift_points(
    *, customer_id: str, request_no: str, points: int, reason: str, created_by: str, now=None
) -> PointsResult:
    """Bonus points for a member (an ``adjust`` transaction, spendable at once, expiring as the
    programme says), once per ``request_no``. Emits ``loyalty.points_adjusted``."""
    return adjust_points(
        customer_id=customer_id,
        request_no=request_no,
        points=points,
        reason=reason,
        created_by=created_by,
        now=now,
    )


def gift_reward_coupon(
    *,
    customer_pk: int,
    reward_id,
    request_no: str,
    reason: str,
    created_by: str,
    now: datetime | None = None,
) -> GiftedCoupon:
    """Issue a reward's coupon to a member without spending points, once per ``request_no``
    (the same number again answers the first coupon). Takes one from the reward's stock.
    Refused with nothing changed (RewardRefused): an unknown, inactive or out-of-stock reward,
    or one that is not a coupon or gift. Per-member limits are for redemptions and do not
    apply to gifts. Emits ``loyalty.reward_gifted``."""
    request_no = _check_request_no(request_no)
    reward = _reward(reward_id)
    if reward.kind not in GIFTABLE_KINDS:
        raise RewardRefused(
            _("reward %(code)s cannot be given as a gift") % {"code": reward.code},
            field="reward_id",
        )
    now = now or timezone.now()

    def replay() -> GiftedCoupon:
        txn = PointsTransaction.objects.get(request_no=request_no)
        coupon = Coupon.objects.select_related("reward").get(redemption=txn)
        return GiftedCoupon(coupon=coupon, transaction=txn, replayed=True)

    try:
        with transaction.atomic():
            account = _lock_account(customer_pk)
            if PointsTransaction.objects.filter(request_no=request_no).exists():
                return replay()
            _apply_time(account, now)
            current = Reward.objects.get(pk=reward.pk)
            _check_available(current, now)
            _take_stock(current)
            txn = _record(
                account,
                kind=Kind.REDEEM,
                points=0,
                request_no=request_no,
                created_by=created_by,
                now=now,
                reason=reason[:500],
            )
            coupon = Coupon.objects.create(
                code=new_coupon_code(),
                reward=current,
                customer_id=customer_pk,
                redemption=txn,
                kind=current.kind,
                amount=current.amount,
                percent=current.percent,
                minimum_spend=current.minimum_spend,
                cash=current.cash,
                issued_at=now,
                valid_until=now + timedelta(days=current.valid_days),
            )
            emit(
                "loyalty.reward_gifted",
                {
                    "customer_pk": customer_pk,
                    "reward": current.code,
                    "coupon": coupon.code,
                    "reason": reason[:500],
                    "transaction_id": txn.pk,
                },
            )
            coupon.reward = current
            return GiftedCoupon(coupon=coupon, transaction=txn, replayed=False)
    except IntegrityError:
        if not PointsTransaction.objects.filter(request_no=request_no).exists():
            raise
        return replay()
