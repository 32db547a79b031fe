"""The rewards catalogue and coupons: load the rewards of the programme file, redeem a reward
for points, validate and burn a coupon once, expire coupons (docs/loyalty.md, "Rewards and
coupons").

A redemption is one ledger transaction (``redeem``) written under the member's account lock
by the points actions' helpers, plus one coupon, in the same database transaction: a refusal
anywhere (inactive, out of stock, limit reached, not enough points) rolls all of it back.
Stock is taken with one conditional ``UPDATE … SET redeemed = redeemed + 1 WHERE redeemed <
stock``: concurrent redemptions queue on the reward's row and the last one finds no stock,
so more than the stock is never given out. A burn locks the coupon's row and changes its
state from ``issued`` once.
"""

import secrets
from base64 import b32encode
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal
from math import gcd
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kesheng.core.errors import Conflict, DomainError, FieldError, InvalidInput
from kesheng.core.events import emit
from kesheng.loyalty.actions.points import (
    NotEnoughPoints,
    PointsResult,
    _apply_time,
    _check_request_no,
    _consume,
    _customer_pk,
    _fifo,
    _lock_account,
    _record,
    _result,
)
from kesheng.loyalty.models import (
    Coupon,
    CouponState,
    PointsAccount,
    PointsLot,
    PointsTransaction,
    Reward,
    RewardKind,
)
from kesheng.loyalty.models import TransactionKind as Kind
from kesheng.loyalty.programme import Problem, ProgrammeFileError
from kesheng.loyalty.queries import (
    check_order_amount,
    coupon_as_dict,
    coupon_refusal,
    get_coupon,
    get_member_points,
)

CENT = Decimal("0.01")
COUPON_CODE_BYTES = 10  # 80 random bits: codes cannot be guessed or enumerated at a till


class RewardRefused(DomainError):
    """A reward that cannot be redeemed now (unknown, inactive, out of stock, limit reached):
    422 with the reason, nothing changed."""


class CouponRefused(DomainError):
    """A coupon that cannot be used (expired, cancelled, minimum spend not reached): 422."""


def new_coupon_code() -> str:
    """16 characters of base32 (A–Z, 2–7): easy to read out and type, 80 random bits."""
    return b32encode(secrets.token_bytes(COUPON_CODE_BYTES)).decode("ascii")


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _local_start(day: str | None) -> datetime | None:
    if not day:
        return None
    return datetime.combine(date.fromisoformat(day), time.min, tzinfo=_zone())


# --- the catalogue from the programme file -----------------------------------------------------


@dataclass(frozen=True)
class RewardSync:
    added: int = 0
    changed: int = 0
    retired: int = 0


def sync_rewards(rewards: list[dict]) -> RewardSync:
    """Make the Reward rows match the checked ``rewards`` of a programme file (matched by
    code; those left out become inactive, never deleted: coupons point at them). A stock
    below what was already redeemed is refused (ProgrammeFileError naming the key). Runs
    inside ``configure_programme``'s transaction; emits nothing of its own."""
    existing = {reward.code: reward for reward in Reward.objects.select_for_update()}
    problems = []
    added = changed = 0
    for position, item in enumerate(rewards):
        values = {
            "position": position,
            "name_zh": item["name"]["zh-Hans"],
            "name_en": item["name"]["en"],
            "kind": item["kind"],
            "points": item.get("points") or 0,
            "cash": Decimal(item.get("cash") or "0"),
            "amount": None if item.get("amount") is None else Decimal(item["amount"]),
            "percent": None if item.get("percent") is None else Decimal(item["percent"]),
            "minimum_spend": Decimal(item.get("minimum_spend") or "0"),
            "valid_days": item.get("valid_days") or 0,
            "per_member_limit": item.get("per_member_limit"),
            "stock": item.get("stock"),
            "points_per_cny": item.get("points_per_cny"),
            "max_share": None if item.get("max_share") is None else Decimal(item["max_share"]),
            "is_active": item["active"],
            "starts_at": _local_start(item.get("starts")),
            # "ends" is the last day it can be redeemed: until the end of that local day.
            "ends_at": None
            if not item.get("ends")
            else _local_start(item["ends"]) + timedelta(days=1),
        }
        reward = existing.get(item["code"])
        if reward is None:
            Reward.objects.create(code=item["code"], **values)
            added += 1
            continue
        if values["stock"] is not None and values["stock"] < reward.redeemed:
            problems.append(
                Problem(
                    f"rewards[{position}].stock",
                    _("%(redeemed)s of %(code)s were redeemed already: the stock cannot be less")
                    % {"redeemed": reward.redeemed, "code": reward.code},
                )
            )
            continue
        different = [name for name, value in values.items() if getattr(reward, name) != value]
        if different:
            for name in different:
                setattr(reward, name, values[name])
            reward.save(update_fields=[*different, "updated_at"])
            changed += 1
    if problems:
        raise ProgrammeFileError(problems)
    wanted = [item["code"] for item in rewards]
    retired = Reward.objects.filter(is_active=True).exclude(code__in=wanted).update(is_active=False)
    return RewardSync(added=added, changed=changed, retired=retired)


# --- points as cash ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PointsAsCash:
    """What a member may pay with points on one order: at most ``max_share`` of it, at
    ``points_per_cny`` points a CNY, in whole cents, within the spendable balance."""

    reward: Reward
    order_amount: Decimal
    balance: int
    max_points: int  # for this order, whatever the balance
    points: int  # what the member can use now
    amount: Decimal  # CNY off for ``points``

    def as_dict(self) -> dict:
        return {
            "reward_id": self.reward.pk,
            "reward_code": self.reward.code,
            "order_amount": str(self.order_amount),
            "points_per_cny": self.reward.points_per_cny,
            "max_share": str(self.reward.max_share),
            "minimum_spend": str(self.reward.minimum_spend),
            "balance": self.balance,
            "max_points": self.max_points,
            "points": self.points,
            "amount": str(self.amount),
        }


def points_value(points: int, points_per_cny: int) -> Decimal:
    return (Decimal(points) / Decimal(points_per_cny)).quantize(CENT, rounding=ROUND_DOWN)


def points_step(points_per_cny: int) -> int:
    """The smallest number of points worth a whole number of cents."""
    return points_per_cny // gcd(points_per_cny, 100)


def usable_points(
    *, order_amount: Decimal, points_per_cny: int, max_share: Decimal, balance: int
) -> tuple[int, int]:
    """(the most points the order takes, the most the member can use now). Points count in
    steps worth a whole cent, so the amount off is exact: with 100 points a CNY, 1 point
    is 0.01; with 10 points a CNY, 1 point is 0.10."""
    cap = (order_amount * max_share).quantize(CENT, rounding=ROUND_DOWN)
    step = points_step(points_per_cny)
    most = int(cap * points_per_cny) // step * step
    return most, max(min(most, balance), 0) // step * step


def _reward(reward_id) -> Reward:
    """By primary key (a number) or code (a text); RewardRefused when there is none."""
    found = None
    if isinstance(reward_id, int) and not isinstance(reward_id, bool):
        found = Reward.objects.filter(pk=reward_id).first()
    elif isinstance(reward_id, str) and reward_id:
        found = Reward.objects.filter(code=reward_id[:40]).first()
    if found is None:
        raise RewardRefused(_("no reward %(reward)s") % {"reward": reward_id}, field="reward_id")
    return found


def _check_available(reward: Reward, now: datetime) -> None:
    if (
        not reward.is_active
        or (reward.starts_at and now < reward.starts_at)
        or (reward.ends_at and now >= reward.ends_at)
    ):
        raise RewardRefused(
            _("reward %(code)s is not available now") % {"code": reward.code}, field="reward_id"
        )


def get_points_as_cash(
    *, customer_id: str, order_amount, reward_id=None, now: datetime | None = None
) -> PointsAsCash:
    """The points a member can pay with on an order of ``order_amount`` (the programme's
    points-as-cash reward, or the one named). Reads only."""
    amount = check_order_amount(order_amount, required=True)
    customer_pk = _customer_pk(customer_id)
    reward = _points_as_cash_reward(reward_id)
    now = now or timezone.now()
    _check_available(reward, now)
    balance = get_member_points(customer_pk, now=now).balance
    most, usable = usable_points(
        order_amount=amount,
        points_per_cny=reward.points_per_cny,
        max_share=reward.max_share,
        balance=balance if amount >= reward.minimum_spend else 0,
    )
    return PointsAsCash(
        reward=reward,
        order_amount=amount,
        balance=balance,
        max_points=most if amount >= reward.minimum_spend else 0,
        points=usable,
        amount=points_value(usable, reward.points_per_cny),
    )


def _points_as_cash_reward(reward_id) -> Reward:
    if reward_id is None:
        reward = (
            Reward.objects.filter(kind=RewardKind.POINTS_AS_CASH, is_active=True)
            .order_by("position", "pk")
            .first()
        )
        if reward is None:
            raise RewardRefused(_("the programme has no points-as-cash reward"), field="reward_id")
        return reward
    reward = _reward(reward_id)
    if reward.kind != RewardKind.POINTS_AS_CASH:
        raise RewardRefused(
            _("reward %(code)s is not points as cash") % {"code": reward.code}, field="reward_id"
        )
    return reward


# --- redeem a reward ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RewardRedemption:
    """A redemption as the API answers it: the ledger transaction, the coupon, and for
    points as cash the amount off the order."""

    points: PointsResult
    coupon: Coupon
    cash_value: Decimal | None

    def as_dict(self) -> dict:
        return {
            **self.points.as_dict(),
            "reward_id": self.coupon.reward_id,
            "coupon": coupon_as_dict(self.coupon),
            "cash_value": None if self.cash_value is None else str(self.cash_value),
        }


def _take_stock(reward: Reward) -> None:
    """One more redeemed, if any stock is left: one conditional UPDATE, so two redemptions
    at once cannot both take the last one (the second finds redeemed = stock)."""
    taken = (
        Reward.objects.filter(pk=reward.pk)
        .filter(Q(stock__isnull=True) | Q(redeemed__lt=F("stock")))
        .update(redeemed=F("redeemed") + 1)
    )
    if not taken:
        raise RewardRefused(
            _("reward %(code)s is out of stock") % {"code": reward.code}, field="reward_id"
        )


def _replay_redemption(request_no: str, *, customer_pk: int, reward: Reward) -> RewardRedemption:
    txn = PointsTransaction.objects.select_related("customer").get(request_no=request_no)
    coupon = Coupon.objects.select_related("reward", "customer").filter(redemption=txn).first()
    if txn.customer_id != customer_pk or coupon is None or coupon.reward_id != reward.pk:
        raise Conflict(
            _("request_no %(request_no)s was already used for another request")
            % {"request_no": request_no},
            field="request_no",
        )
    return RewardRedemption(
        points=_result(txn, customer_id=txn.customer.customer_id, replayed=True),
        coupon=coupon,
        cash_value=coupon.amount if coupon.kind == RewardKind.POINTS_AS_CASH else None,
    )


def redeem_reward(
    *,
    customer_id: str,
    request_no: str,
    reward_id,
    expected_balance: int | None = None,
    points: int | None = None,
    order_amount=None,
    order_id: str = "",
    created_by: str,
    now: datetime | None = None,
) -> RewardRedemption:
    """Spend a reward's points (soonest-expiring lots first) and issue its coupon, valid for
    the reward's ``valid_days``; for points as cash, spend ``points`` (default: all the order
    allows) on an order of ``order_amount`` and record the coupon as used on it. The same
    ``request_no`` again answers the first result. Refused with nothing changed:
    RewardRefused (unknown, inactive, out of stock, per-member limit reached), NotEnoughPoints,
    Conflict (another ``expected_balance``). Emits ``loyalty.reward_redeemed``."""
    request_no = _check_request_no(request_no)
    if expected_balance is not None and (
        isinstance(expected_balance, bool) or not isinstance(expected_balance, int)
    ):
        raise InvalidInput([FieldError("expected_balance", _("must be a whole number"))])
    reward = _reward(reward_id)
    as_cash = reward.kind == RewardKind.POINTS_AS_CASH
    if points is not None and not as_cash:
        raise InvalidInput([FieldError("points", _("give points or reward_id, not both"))])
    if points is not None and (isinstance(points, bool) or not isinstance(points, int)):
        raise InvalidInput([FieldError("points", _("must be a whole number"))])
    amount = check_order_amount(order_amount, required=as_cash)
    order_id = (order_id or "").strip()[:100]
    customer_pk = _customer_pk(customer_id)
    now = now or timezone.now()

    def write(account: PointsAccount) -> RewardRedemption:
        _apply_time(account, now)
        if expected_balance is not None and expected_balance != account.balance:
            raise Conflict(
                _("the balance is %(balance)s, not the expected %(expected)s")
                % {"balance": account.balance, "expected": expected_balance},
                field="expected_balance",
            )
        current = Reward.objects.get(pk=reward.pk)
        _check_available(current, now)
        if current.per_member_limit is not None:
            # Under the member's account lock: two redemptions of one member queue here.
            taken = (
                Coupon.objects.filter(reward=current, customer_id=customer_pk)
                .exclude(state=CouponState.CANCELLED)
                .count()
            )
            if taken >= current.per_member_limit:
                raise RewardRefused(
                    _("the limit of %(limit)s per member for reward %(code)s is reached")
                    % {"limit": current.per_member_limit, "code": current.code},
                    field="reward_id",
                )
        cost, cash_value = _cost(current, account, amount, points)
        if cost > account.balance:
            raise NotEnoughPoints(
                _("not enough points: %(balance)s can be spent, %(points)s asked")
                % {"balance": max(account.balance, 0), "points": cost},
                field="points" if as_cash else "reward_id",
            )
        _take_stock(current)
        lots = list(
            _fifo(
                PointsLot.objects.filter(customer_id=customer_pk, is_pending=False, remaining__gt=0)
            )
        )
        movements = _consume(lots, cost)
        account.balance -= cost
        txn = _record(
            account,
            kind=Kind.REDEEM,
            points=-cost,
            request_no=request_no,
            created_by=created_by,
            now=now,
            movements=movements,
            reason=f"reward {current.code}",
            order_id=order_id,
            order_amount=amount,
        )
        coupon = Coupon.objects.create(
            code=new_coupon_code(),
            reward=current,
            customer_id=customer_pk,
            redemption=txn,
            kind=current.kind,
            amount=cash_value if as_cash else current.amount,
            percent=current.percent,
            minimum_spend=current.minimum_spend,
            cash=current.cash,
            issued_at=now,
            valid_until=now if as_cash else now + timedelta(days=current.valid_days),
            state=CouponState.BURNED if as_cash else CouponState.ISSUED,
            burned_at=now if as_cash else None,
            burn_request_no=request_no if as_cash else None,
            burned_order_id=order_id if as_cash else "",
            burned_order_amount=amount if as_cash else None,
            burned_by=created_by[:150] if as_cash else "",
        )
        emit(
            "loyalty.reward_redeemed",
            {
                "customer_id": customer_id,
                "reward": current.code,
                "points": cost,
                "balance": account.balance,
                "coupon": coupon.code,
                "transaction_id": txn.pk,
            },
        )
        coupon.reward = current
        return RewardRedemption(
            points=_result(txn, customer_id=customer_id),
            coupon=coupon,
            cash_value=cash_value,
        )

    try:
        with transaction.atomic():
            account = _lock_account(customer_pk)
            if PointsTransaction.objects.filter(request_no=request_no).exists():
                return _replay_redemption(request_no, customer_pk=customer_pk, reward=reward)
            return write(account)
    except IntegrityError:
        if not PointsTransaction.objects.filter(request_no=request_no).exists():
            raise
        return _replay_redemption(request_no, customer_pk=customer_pk, reward=reward)


def _cost(
    reward: Reward, account: PointsAccount, amount: Decimal | None, points: int | None
) -> tuple[int, Decimal | None]:
    """The points a redemption spends, and for points as cash the CNY they take off."""
    if reward.kind != RewardKind.POINTS_AS_CASH:
        return reward.points, None
    if amount < reward.minimum_spend:
        raise CouponRefused(
            _("the order is below the minimum spend of %(minimum)s")
            % {"minimum": reward.minimum_spend},
            field="order_amount",
        )
    most, usable = usable_points(
        order_amount=amount,
        points_per_cny=reward.points_per_cny,
        max_share=reward.max_share,
        balance=account.balance,
    )
    wanted = usable if points is None else points
    if points is not None and (points <= 0 or points > most):
        raise InvalidInput(
            [
                FieldError(
                    "points",
                    _("this order takes 1 to %(most)s points") % {"most": most},
                )
            ]
        )
    if points is not None and points % points_step(reward.points_per_cny):
        raise InvalidInput(
            [
                FieldError(
                    "points",
                    _("must be a multiple of %(step)s (a whole number of cents)")
                    % {"step": points_step(reward.points_per_cny)},
                )
            ]
        )
    if wanted <= 0:
        raise NotEnoughPoints(
            _("not enough points: %(balance)s can be spent") % {"balance": max(account.balance, 0)},
            field="points",
        )
    return wanted, points_value(wanted, reward.points_per_cny)


# --- validate and burn a coupon ----------------------------------------------------------------


@dataclass(frozen=True)
class BurnResult:
    coupon: Coupon
    replayed: bool

    def as_dict(self) -> dict:
        return {**coupon_as_dict(self.coupon), "replayed": self.replayed}


def burn_coupon(
    *,
    code: str,
    request_no: str,
    order_id: str = "",
    order_amount=None,
    created_by: str,
    now: datetime | None = None,
) -> BurnResult:
    """Use a coupon once (at a till, on an order): its state goes from issued to burned
    under its row lock. The same ``request_no`` again answers the first result; another
    request on a burned coupon is a Conflict (409). Refused with nothing changed:
    CouponRefused for an expired or cancelled coupon, or an ``order_amount`` below its
    minimum spend (required when it has one). Emits ``loyalty.coupon_burned``."""
    request_no = _check_request_no(request_no)
    amount = check_order_amount(order_amount, required=False)
    order_id = (order_id or "").strip()[:100]
    now = now or timezone.now()
    found = get_coupon(code)
    try:
        with transaction.atomic():
            coupon = (
                Coupon.objects.select_for_update(of=("self",))
                .select_related("reward", "customer")
                .get(pk=found.pk)
            )
            if coupon.state == CouponState.BURNED:
                if coupon.burn_request_no == request_no:
                    return BurnResult(coupon, replayed=True)
                raise Conflict(
                    _("coupon %(code)s was already used at %(when)s")
                    % {"code": coupon.code, "when": coupon.burned_at.isoformat()},
                    field="code",
                )
            _check_usable(coupon, amount, now)
            coupon.state = CouponState.BURNED
            coupon.burned_at = now
            coupon.burn_request_no = request_no
            coupon.burned_order_id = order_id
            coupon.burned_order_amount = amount
            coupon.burned_by = created_by[:150]
            coupon.save(
                update_fields=[
                    "state",
                    "burned_at",
                    "burn_request_no",
                    "burned_order_id",
                    "burned_order_amount",
                    "burned_by",
                ]
            )
            emit(
                "loyalty.coupon_burned",
                {
                    "code": coupon.code,
                    "customer_id": coupon.customer.customer_id,
                    "reward": coupon.reward.code,
                    "order_id": order_id,
                    "order_amount": None if amount is None else str(amount),
                },
            )
            return BurnResult(coupon, replayed=False)
    except IntegrityError:
        # The request number burned another coupon (unique burn_request_no).
        raise Conflict(
            _("request_no %(request_no)s was already used for another request")
            % {"request_no": request_no},
            field="request_no",
        ) from None


def _check_usable(coupon: Coupon, amount: Decimal | None, now: datetime) -> None:
    refusal = coupon_refusal(coupon, amount, now=now)
    if refusal is None:
        return
    field, reason = refusal
    if field == "order_amount" and amount is None:
        raise InvalidInput([FieldError(field, reason)])
    raise CouponRefused(reason, field=field)


def expire_coupons(*, now: datetime | None = None) -> int:
    """Issued coupons past their validity become expired (one UPDATE); how many. Burns
    already refuse them by their date; this keeps the stored state and the lists current.
    Emits nothing."""
    now = now or timezone.now()
    return Coupon.objects.filter(state=CouponState.ISSUED, valid_until__lte=now).update(
        state=CouponState.EXPIRED
    )
