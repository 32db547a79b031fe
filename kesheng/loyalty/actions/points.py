"""The points ledger: earn, redeem, adjust, reverse, release and expire (docs/loyalty.md).

Every write on a member takes their ``PointsAccount`` row lock first (``select_for_update``),
then reads and changes their lots, writes one immutable ``PointsTransaction`` with its
movements and updates the account, all in one transaction. The runs over all members (release,
expire) lock the accounts of a chunk in primary-key order before touching lots, so they never
deadlock with a member's write. Each member write first applies what time has done to the
account (pending lots whose return window closed are released, lapsed lots expire), so a
redemption never spends expired or pending points whatever the beat jobs have done.

Invariants (checked by ``queries.verify_points_ledger`` and the property tests):
balance + pending = the sum of the member's transactions; pending = what remains in pending
lots; a lot's remaining = the sum of its movements; balance >= 0 = what remains in released
lots; balance < 0 (owed) only when no lot has anything left.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kesheng.commerce.queries import get_order_for_points
from kesheng.core.errors import Conflict, DomainError, FieldError, InvalidInput, NotFound
from kesheng.core.events import emit
from kesheng.customers.models import Customer
from kesheng.customers.queries import map_customer_ids
from kesheng.loyalty import earning
from kesheng.loyalty.models import (
    Membership,
    PointsAccount,
    PointsLot,
    PointsMovement,
    PointsTransaction,
    Programme,
)
from kesheng.loyalty.models import TransactionKind as Kind

SYSTEM = "system"
MAX_POINTS = 1_000_000_000
REQUEST_NO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class NotEnoughPoints(DomainError):
    """A redemption or deduction larger than the spendable balance (422, nothing changed)."""


@dataclass(frozen=True)
class PointsResult:
    """One ledger transaction as a caller sees it; ``replayed`` when the request number had
    been applied before and this is its first result again."""

    transaction_id: int
    customer_id: str
    kind: str
    points: int
    balance: int
    pending: int
    request_no: str
    reason: str
    order_id: str
    created_by: str
    created_at: datetime
    lots: list[dict] = field(default_factory=list)
    replayed: bool = False

    def as_dict(self) -> dict:
        return {
            "transaction_id": self.transaction_id,
            "customer_id": self.customer_id,
            "kind": self.kind,
            "points": self.points,
            "balance": self.balance,
            "pending": self.pending,
            "request_no": self.request_no,
            "reason": self.reason,
            "order_id": self.order_id,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "lots": self.lots,
            "replayed": self.replayed,
        }


def _result(txn: PointsTransaction, *, customer_id: str, replayed: bool = False) -> PointsResult:
    # Sorted here, not by ORDER BY pk: with that, PostgreSQL walked the whole movements table
    # in primary-key order filtering on the transaction (40 ms at 200,000 movements, growing
    # with the ledger) instead of using the (transaction, lot) index for a handful of rows.
    movements = sorted(
        txn.movements.order_by().values_list("pk", "lot_id", "points", "lot__expires_at")
    )
    lots = [
        {
            "lot_id": lot_id,
            "points": points,
            "expires_at": None if expires_at is None else expires_at.isoformat(),
        }
        for _pk, lot_id, points, expires_at in movements
    ]
    return PointsResult(
        transaction_id=txn.pk,
        customer_id=customer_id,
        kind=txn.kind,
        points=txn.points,
        balance=txn.balance_after,
        pending=txn.pending_after,
        request_no=txn.request_no,
        reason=txn.reason,
        order_id=txn.order_id,
        created_by=txn.created_by,
        created_at=txn.created_at,
        lots=lots,
        replayed=replayed,
    )


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _programme_settings() -> dict:
    programme = Programme.objects.filter(pk=1).only("settings").first()
    return {} if programme is None else programme.settings


def _lock_account(customer_pk: int) -> PointsAccount:
    PointsAccount.objects.get_or_create(customer_id=customer_pk)
    return PointsAccount.objects.select_for_update().get(customer_id=customer_pk)


def _fifo(queryset):
    """Soonest-expiring first; lots that never expire last; then oldest first."""
    return queryset.order_by(F("expires_at").asc(nulls_last=True), "available_at", "pk")


def _record(
    account: PointsAccount,
    *,
    kind: str,
    points: int,
    request_no: str,
    created_by: str,
    now: datetime,
    movements: list[tuple[PointsLot, int]] = (),
    reason: str = "",
    order_id: str = "",
    order_amount: Decimal | None = None,
    new_lot: dict | None = None,
) -> PointsTransaction:
    """Write one transaction, its lot (``new_lot``: the lot's fields) and movements, and save
    the account and lots already changed in memory by the caller."""
    txn = PointsTransaction.objects.create(
        customer_id=account.customer_id,
        kind=kind,
        points=points,
        balance_after=account.balance,
        pending_after=account.pending,
        reason=reason,
        order_id=order_id,
        order_amount=order_amount,
        request_no=request_no,
        created_by=created_by[:150],
        created_at=now,
    )
    rows = list(movements)
    if new_lot is not None:
        lot = PointsLot.objects.create(customer_id=account.customer_id, earned_by=txn, **new_lot)
        rows.insert(0, (lot, new_lot["remaining"]))
    PointsMovement.objects.bulk_create(
        [PointsMovement(transaction=txn, lot=lot, points=delta) for lot, delta in rows if delta]
    )
    for lot, _delta in movements:
        PointsLot.objects.filter(pk=lot.pk).update(
            remaining=lot.remaining, is_pending=lot.is_pending
        )
    account.save(update_fields=["balance", "pending", "updated_at"])
    return txn


def _consume(lots: list[PointsLot], points: int) -> list[tuple[PointsLot, int]]:
    """Take up to ``points`` from the lots in their order; the (lot, -taken) movements."""
    taken: list[tuple[PointsLot, int]] = []
    for lot in lots:
        if points <= 0:
            break
        take = min(lot.remaining, points)
        if take > 0:
            lot.remaining -= take
            points -= take
            taken.append((lot, -take))
    return taken


def _apply_time(account: PointsAccount, now: datetime) -> None:
    """Release this member's lots whose return window closed and expire lapsed ones (one
    ``expire`` transaction), under the account lock the caller holds."""
    due = PointsLot.objects.filter(
        customer_id=account.customer_id, is_pending=True, available_at__lte=now
    )
    released = due.aggregate(total=Sum("remaining"))["total"] or 0
    if due.update(is_pending=False) and released:
        account.pending -= released
        account.balance += released
        account.save(update_fields=["balance", "pending", "updated_at"])
    lapsed = list(
        _fifo(
            PointsLot.objects.filter(
                customer_id=account.customer_id,
                is_pending=False,
                remaining__gt=0,
                expires_at__lte=now,
            )
        )
    )
    if not lapsed:
        return
    total = sum(lot.remaining for lot in lapsed)
    movements = _consume(lapsed, total)
    account.balance -= total
    _record(
        account,
        kind=Kind.EXPIRE,
        points=-total,
        # A lot expires once (its remaining never grows again), so its pk names the run.
        request_no=f"expire:lot:{min(lot.pk for lot in lapsed)}",
        created_by=SYSTEM,
        now=now,
        movements=movements,
        reason="expiry",
    )


def _replay(request_no: str, *, customer_pk: int, kind: str, points: int | None) -> PointsResult:
    """The first result of a request number already applied; Conflict when it was used for
    another request (another member, kind or number of points)."""
    txn = PointsTransaction.objects.select_related("customer").get(request_no=request_no)
    if (
        txn.customer_id != customer_pk
        or txn.kind != kind
        or (points is not None and abs(txn.points) != points)
    ):
        raise Conflict(
            _("request_no %(request_no)s was already used for another request")
            % {"request_no": request_no},
            field="request_no",
        )
    return _result(txn, customer_id=txn.customer.customer_id, replayed=True)


def _idempotent(request_no: str, *, customer_pk: int, kind: str, points: int | None, write):
    """Run ``write()`` in a transaction unless the request number was applied already; a
    concurrent first use of the same number (unique constraint) answers as a replay too."""
    try:
        with transaction.atomic():
            account = _lock_account(customer_pk)
            if PointsTransaction.objects.filter(request_no=request_no).exists():
                return _replay(request_no, customer_pk=customer_pk, kind=kind, points=points)
            return write(account)
    except IntegrityError:
        if not PointsTransaction.objects.filter(request_no=request_no).exists():
            raise
        return _replay(request_no, customer_pk=customer_pk, kind=kind, points=points)


def _check_request_no(request_no) -> str:
    if not isinstance(request_no, str) or not REQUEST_NO.match(request_no):
        raise InvalidInput(
            [
                FieldError(
                    "request_no",
                    _(
                        "must be 1 to 64 letters, digits, _, . or -, "
                        "starting with a letter or a digit"
                    ),
                )
            ]
        )
    return request_no


def _check_points(points, *, allow_negative: bool) -> int:
    if isinstance(points, bool) or not isinstance(points, int):
        raise InvalidInput([FieldError("points", _("must be a whole number"))])
    low = -MAX_POINTS if allow_negative else 1
    if not low <= points <= MAX_POINTS or points == 0:
        raise InvalidInput(
            [
                FieldError(
                    "points",
                    _("must be a whole number from %(low)s to %(high)s, not 0")
                    % {"low": low, "high": MAX_POINTS},
                )
            ]
        )
    return points


def _new_lot(
    account: PointsAccount,
    points: int,
    *,
    available_at: datetime,
    now: datetime,
    order_id: str = "",
) -> tuple[dict, int]:
    """The fields of a lot of ``points`` and how many of them pay what the member owes
    (balance below 0): owed points are settled first, so a lot never sits beside a debt."""
    settled = min(points, max(-account.balance, 0))
    pending = available_at > now
    remaining = points - settled
    account.balance += settled
    if pending:
        account.pending += remaining
    else:
        account.balance += remaining
    expires_at = earning.expiry_moment(
        max(available_at, now), _programme_settings().get("expiry"), _zone()
    )
    return (
        {
            "points": points,
            "remaining": remaining,
            "is_pending": pending,
            "available_at": available_at,
            "expires_at": expires_at,
            "order_id": order_id,
        },
        settled,
    )


def _customer_pk(customer_id: str) -> int:
    found = map_customer_ids([customer_id])
    if customer_id not in found:
        raise NotFound(
            _("no customer with customer_id %(id)r") % {"id": customer_id}, field="customer_id"
        )
    return found[customer_id]


# --- earn --------------------------------------------------------------------------------------


def earn_points_for_order(*, order_id: str, now: datetime | None = None) -> PointsResult | None:
    """Points for a paid (placed or completed) order in the programme's currency, by the
    active earn rules and the member's tier multiplier, as a pending lot until the return
    window (``return_window_days`` after the order) closes. Idempotent on the order
    (``order:<id>:earn``). None when it earns nothing (no programme, not paid, 0 points).
    Emits ``loyalty.points_earned``."""
    now = now or timezone.now()
    order = get_order_for_points(order_id)
    if order is None:
        raise NotFound(_("no order %(id)r") % {"id": order_id}, field="order_id")
    programme = _programme_settings()
    if not programme or not order.is_kept or order.currency != settings.KESHENG_DEFAULT_CURRENCY:
        return None
    request_no = f"order:{order.order_id}:earn"

    def write(account: PointsAccount) -> PointsResult | None:
        _apply_time(account, now)
        membership = (
            Membership.objects.select_related("tier").filter(customer_id=order.customer_pk).first()
        )
        multiplier = Decimal(1) if membership is None else membership.tier.points_multiplier
        local_date = order.ordered_at.astimezone(_zone()).date()
        birthday = (
            Customer.objects.filter(pk=order.customer_pk).values_list("birthday", flat=True).first()
        )
        facts = earning.OrderFacts(
            amount=order.amount,
            channel=order.channel,
            local_date=local_date,
            category_amounts=order.category_amounts,
            birthday_month=earning.in_birthday_month(birthday, local_date),
        )
        earned = earning.points_for_order(
            facts, earning.rules_from_settings(programme.get("earn_rules", [])), multiplier
        )
        if earned.points <= 0:
            return None
        window = programme.get("return_window_days", 7)
        lot, _settled = _new_lot(
            account,
            earned.points,
            available_at=order.ordered_at + timedelta(days=window),
            now=now,
            order_id=order.order_id,
        )
        rules = ", ".join(f"{code} {points}" for code, points in earned.by_rule.items())
        txn = _record(
            account,
            kind=Kind.EARN,
            points=earned.points,
            request_no=request_no,
            created_by=SYSTEM,
            now=now,
            reason=f"{rules}; × {multiplier.normalize()}"[:500],
            order_id=order.order_id,
            order_amount=order.amount,
            new_lot=lot,
        )
        emit(
            "loyalty.points_earned",
            {
                "customer_id": order.customer_id,
                "order_id": order.order_id,
                "points": earned.points,
                "pending": lot["is_pending"],
                "available_at": lot["available_at"].isoformat(),
                "transaction_id": txn.pk,
            },
        )
        return _result(txn, customer_id=order.customer_id)

    return _idempotent(
        request_no, customer_pk=order.customer_pk, kind=Kind.EARN, points=None, write=write
    )


# --- redeem and adjust -------------------------------------------------------------------------


def redeem_points(
    *,
    customer_id: str,
    request_no: str,
    points: int,
    expected_balance: int | None = None,
    reason: str = "",
    created_by: str,
    now: datetime | None = None,
) -> PointsResult:
    """Spend points from the released, unexpired lots, soonest-expiring first. The same
    ``request_no`` again returns the first result, applied once. Refused with nothing
    changed: NotEnoughPoints (422) above the spendable balance; Conflict (409) when
    ``expected_balance`` is given and is not the balance now. Emits
    ``loyalty.points_redeemed``."""
    request_no = _check_request_no(request_no)
    points = _check_points(points, allow_negative=False)
    if expected_balance is not None and (
        isinstance(expected_balance, bool) or not isinstance(expected_balance, int)
    ):
        raise InvalidInput([FieldError("expected_balance", _("must be a whole number"))])
    customer_pk = _customer_pk(customer_id)
    now = now or timezone.now()

    def write(account: PointsAccount) -> PointsResult:
        _apply_time(account, now)
        if expected_balance is not None and expected_balance != account.balance:
            raise Conflict(
                _("the balance is %(balance)s, not the expected %(expected)s")
                % {"balance": account.balance, "expected": expected_balance},
                field="expected_balance",
            )
        if points > account.balance:
            raise NotEnoughPoints(
                _("not enough points: %(balance)s can be spent, %(points)s asked")
                % {"balance": max(account.balance, 0), "points": points},
                field="points",
            )
        lots = list(
            _fifo(
                PointsLot.objects.filter(customer_id=customer_pk, is_pending=False, remaining__gt=0)
            )
        )
        movements = _consume(lots, points)
        account.balance -= points
        txn = _record(
            account,
            kind=Kind.REDEEM,
            points=-points,
            request_no=request_no,
            created_by=created_by,
            now=now,
            movements=movements,
            reason=reason[:500],
        )
        emit(
            "loyalty.points_redeemed",
            {
                "customer_id": customer_id,
                "points": points,
                "balance": account.balance,
                "request_no": request_no,
                "transaction_id": txn.pk,
            },
        )
        return _result(txn, customer_id=customer_id)

    return _idempotent(
        request_no, customer_pk=customer_pk, kind=Kind.REDEEM, points=points, write=write
    )


def adjust_points(
    *,
    customer_id: str,
    request_no: str,
    points: int,
    reason: str,
    created_by: str,
    allow_negative: bool = False,
    now: datetime | None = None,
) -> PointsResult:
    """An admin's correction with a required reason. Added points form a lot spendable at
    once (it expires as the programme says); deducted points come from the spendable lots,
    soonest-expiring first. A deduction above the spendable balance is refused
    (NotEnoughPoints) unless ``allow_negative``: then pending lots are taken too and what is
    still missing is owed (a negative balance). Idempotent on ``request_no``. Emits
    ``loyalty.points_adjusted``."""
    request_no = _check_request_no(request_no)
    points = _check_points(points, allow_negative=True)
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason or len(reason) > 500:
        raise InvalidInput([FieldError("reason", _("is required (at most 500 characters)"))])
    customer_pk = _customer_pk(customer_id)
    now = now or timezone.now()

    def write(account: PointsAccount) -> PointsResult:
        _apply_time(account, now)
        movements: list[tuple[PointsLot, int]] = []
        lot = None
        if points > 0:
            lot, _settled = _new_lot(account, points, available_at=now, now=now)
        else:
            wanted = -points
            if wanted > account.balance and not allow_negative:
                raise NotEnoughPoints(
                    _(
                        "not enough points: %(balance)s can be spent, %(points)s to deduct "
                        "(allow a negative balance to deduct more)"
                    )
                    % {"balance": max(account.balance, 0), "points": wanted},
                    field="points",
                )
            movements = _debit(account, wanted)
        txn = _record(
            account,
            kind=Kind.ADJUST,
            points=points,
            request_no=request_no,
            created_by=created_by,
            now=now,
            movements=movements,
            reason=reason,
            new_lot=lot,
        )
        emit(
            "loyalty.points_adjusted",
            {
                "customer_id": customer_id,
                "points": points,
                "balance": account.balance,
                "reason": reason,
                "created_by": created_by,
                "transaction_id": txn.pk,
            },
        )
        return _result(txn, customer_id=customer_id)

    return _idempotent(
        request_no, customer_pk=customer_pk, kind=Kind.ADJUST, points=abs(points), write=write
    )


def _debit(
    account: PointsAccount, points: int, *, first: list[PointsLot] = ()
) -> list[tuple[PointsLot, int]]:
    """Take ``points`` that must go (a deduction allowed below zero, a reversal): from the
    ``first`` lots, then spendable lots, then pending ones, soonest-expiring first; what is
    still missing is owed (balance below 0). Updates the account in memory."""
    firsts = {lot.pk for lot in first}
    others = [
        lot
        for lot in PointsLot.objects.filter(
            customer_id=account.customer_id, remaining__gt=0
        ).order_by("is_pending", F("expires_at").asc(nulls_last=True), "available_at", "pk")
        if lot.pk not in firsts
    ]
    movements = _consume([*first, *others], points)
    from_pending = -sum(delta for lot, delta in movements if lot.is_pending)
    account.pending -= from_pending
    account.balance -= points - from_pending
    return movements


# --- reverse -----------------------------------------------------------------------------------


def reverse_order_points(
    *,
    order_id: str,
    refunded_amount: Decimal | None = None,
    refund_no: str | None = None,
    created_by: str = SYSTEM,
    reason: str = "",
    now: datetime | None = None,
) -> PointsResult | None:
    """Take back what an order earned when it is cancelled or refunded: all of it
    (``refunded_amount`` None), or pro rata for a partial refund (``refund_no`` names the
    refund, so each refund is applied once; several partial refunds never take back more
    than was earned). Points come from the order's own lot first, then the member's other
    lots; points already spent are owed (a negative balance). None when the order earned
    nothing or all is taken back already. Emits ``loyalty.points_reversed``."""
    now = now or timezone.now()
    earned = PointsTransaction.objects.filter(request_no=f"order:{order_id}:earn").first()
    if earned is None:
        return None
    if refunded_amount is None:
        request_no = f"order:{order_id}:reverse"
    else:
        if refund_no is None:
            raise InvalidInput([FieldError("refund_no", _("is required for a partial refund"))])
        if not isinstance(refunded_amount, Decimal) or not refunded_amount > 0:
            raise InvalidInput([FieldError("refunded_amount", _("must be more than 0"))])
        request_no = f"order:{order_id}:refund:{refund_no}"[:120]

    def write(account: PointsAccount) -> PointsResult | None:
        _apply_time(account, now)
        before = PointsTransaction.objects.filter(order_id=order_id, kind=Kind.REVERSE).aggregate(
            points=Sum("points"), amount=Sum("order_amount")
        )
        reversed_points = -(before["points"] or 0)
        refunded_before = Decimal(before["amount"] or 0)
        whole = earned.order_amount or Decimal(0)
        this_refund = whole - refunded_before if refunded_amount is None else refunded_amount
        total_refunded = min(refunded_before + this_refund, whole)
        target = earning.pro_rata(earned.points, total_refunded, whole)
        points = target - reversed_points
        if points <= 0:
            return None
        own = list(PointsLot.objects.filter(earned_by=earned, remaining__gt=0))
        movements = _debit(account, points, first=own)
        txn = _record(
            account,
            kind=Kind.REVERSE,
            points=-points,
            request_no=request_no,
            created_by=created_by,
            now=now,
            movements=movements,
            reason=(reason or ("refund" if refunded_amount is not None else "cancelled"))[:500],
            order_id=order_id,
            order_amount=total_refunded - refunded_before,
        )
        emit(
            "loyalty.points_reversed",
            {
                "order_id": order_id,
                "points": points,
                "balance": account.balance,
                "owed": max(-account.balance, 0),
                "transaction_id": txn.pk,
            },
        )
        return _result(txn, customer_id=earned.customer.customer_id)

    return _idempotent(
        request_no, customer_pk=earned.customer_id, kind=Kind.REVERSE, points=None, write=write
    )


# --- domain event handlers and merges ----------------------------------------------------------


def earn_after_order(payload: dict) -> None:
    """``order.placed``: earn by the rules (after the tier handler, so a first order that
    reaches a tier earns at its multiplier). A second delivery changes nothing."""
    order_id = payload.get("order_id")
    if order_id:
        earn_points_for_order(order_id=order_id)


def reverse_after_cancellation(payload: dict) -> None:
    """``order.cancelled`` / ``order.refunded`` (``{"order_id", "refunded_amount"?,
    "refund_id"?}``): not emitted by commerce yet (docs/loyalty.md), ready when it is."""
    order_id = payload.get("order_id")
    if not order_id:
        return
    amount = payload.get("refunded_amount")
    reverse_order_points(
        order_id=order_id,
        refunded_amount=None if amount in (None, "") else Decimal(str(amount)),
        refund_no=payload.get("refund_id"),
    )


def merge_points_account(merged_pk: int, surviving_pk: int) -> None:
    """Merge handler: the surviving profile's account gets the merged one's balance and
    pending points (their lots and transactions move with the other rows of the merge)."""
    accounts = list(
        PointsAccount.objects.select_for_update()
        .filter(customer_id__in=[merged_pk, surviving_pk])
        .order_by("pk")
    )
    merged = next((a for a in accounts if a.customer_id == merged_pk), None)
    surviving = next((a for a in accounts if a.customer_id == surviving_pk), None)
    if merged is None:
        return
    if surviving is None:
        PointsAccount.objects.filter(pk=merged.pk).update(customer_id=surviving_pk)
        return
    surviving.balance += merged.balance
    surviving.pending += merged.pending
    surviving.save(update_fields=["balance", "pending", "updated_at"])
    merged.delete()
