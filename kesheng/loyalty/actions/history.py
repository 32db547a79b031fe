"""Loading the points history of past orders in bulk: the demo chain's two years of points, or
a business that starts Kesheng with its order history and wants members to have the points those
orders earned.

Calling ``earn_points_for_order`` for each of ten thousand past orders takes minutes (a locked
transaction, a dozen queries and an event each). This replays the same ledger in memory instead
— the same earn rules (``earning``), the same pending window, lots spent soonest-expiring first,
lapsed lots expired at their expiry moment — and writes the transactions, lots, movements and
balances with a few bulk inserts. Members who already have a points account are left alone, so
it never rewrites a live ledger; the earn transactions carry the request number the live action
uses (``order:<id>:earn``), so an order loaded here never earns twice. History emits no events:
today's care messages must not fire for last year's points. ``kesheng loyalty verify`` checks the
result like any other ledger.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kesheng.commerce.queries import OrderForPoints, list_orders_for_points
from kesheng.loyalty import earning
from kesheng.loyalty.actions.points import SYSTEM, _programme_settings, _zone
from kesheng.loyalty.models import (
    Membership,
    PointsAccount,
    PointsLot,
    PointsMovement,
    PointsTransaction,
)
from kesheng.loyalty.models import TransactionKind as Kind

# How many points a member pays at the till before an order, given the order and the points
# they could spend then (0: none). The demo's policy; a migration passes none.
RedeemPolicy = Callable[[OrderForPoints, int], int]


@dataclass
class _Lot:
    customer_pk: int
    transaction: int  # index of the earning transaction
    points: int
    remaining: int
    is_pending: bool
    available_at: datetime
    expires_at: datetime | None
    order_id: str


@dataclass
class _Transaction:
    customer_pk: int
    kind: str
    points: int
    balance_after: int
    pending_after: int
    request_no: str
    created_at: datetime
    reason: str = ""
    order_id: str = ""
    order_amount: Decimal | None = None
    movements: list[tuple[int, int]] = field(default_factory=list)  # (lot index, points)


@dataclass
class _Member:
    lots: list[int] = field(default_factory=list)
    balance: int = 0
    pending: int = 0


@dataclass
class HistoryLoad:
    members: int = 0
    transactions: int = 0
    skipped_members: int = 0  # they had a points account already

    def as_dict(self) -> dict:
        return dict(self.__dict__)


class _Ledger:
    """The ledger of many members in memory, replayed in time order."""

    def __init__(self, programme: dict):
        self.rules = earning.rules_from_settings(programme.get("earn_rules", []))
        self.expiry = programme.get("expiry")
        self.window = timedelta(days=programme.get("return_window_days", 7))
        self.zone = _zone()
        self.lots: list[_Lot] = []
        self.transactions: list[_Transaction] = []
        self.members: dict[int, _Member] = {}

    def _record(self, member: _Member, customer_pk: int, **fields) -> _Transaction:
        txn = _Transaction(
            customer_pk=customer_pk,
            balance_after=member.balance,
            pending_after=member.pending,
            **fields,
        )
        self.transactions.append(txn)
        return txn

    def apply_time(self, customer_pk: int, now: datetime) -> None:
        """Release the lots whose window closed, then expire the lapsed ones, one expire
        transaction per expiry moment (as the daily run would have)."""
        member = self.members[customer_pk]
        for index in member.lots:
            lot = self.lots[index]
            if lot.is_pending and lot.available_at <= now:
                lot.is_pending = False
                member.pending -= lot.remaining
                member.balance += lot.remaining
        lapsed = [
            index
            for index in member.lots
            if not self.lots[index].is_pending
            and self.lots[index].remaining > 0
            and self.lots[index].expires_at is not None
            and self.lots[index].expires_at <= now  # type: ignore[operator]
        ]
        moments = sorted({self.lots[index].expires_at for index in lapsed})  # type: ignore[type-var]
        for moment in moments:
            movements = []
            for index in lapsed:
                lot = self.lots[index]
                if lot.expires_at == moment:
                    movements.append((index, -lot.remaining))
                    member.balance -= lot.remaining
                    lot.remaining = 0
            total = -sum(points for _index, points in movements)
            self._record(
                member,
                customer_pk,
                kind=Kind.EXPIRE,
                points=-total,
                request_no=f"expire:history:{customer_pk}:{moment.timestamp():.0f}",  # type: ignore[union-attr]
                created_at=moment,  # type: ignore[arg-type]
                reason="expiry",
                movements=movements,
            )

    def redeem(self, order: OrderForPoints, points: int) -> None:
        member = self.members[order.customer_pk]
        spendable = sorted(
            (index for index in member.lots if self.lots[index].remaining > 0),
            key=lambda index: (
                self.lots[index].is_pending,
                self.lots[index].expires_at is None,
                self.lots[index].expires_at or order.ordered_at,
                self.lots[index].available_at,
                index,
            ),
        )
        movements = []
        left = points
        for index in spendable:
            lot = self.lots[index]
            if left <= 0 or lot.is_pending:
                break
            take = min(lot.remaining, left)
            lot.remaining -= take
            left -= take
            movements.append((index, -take))
        member.balance -= points
        self._record(
            member,
            order.customer_pk,
            kind=Kind.REDEEM,
            points=-points,
            request_no=f"history:{order.order_id}:cash"[:120],
            created_at=order.ordered_at,
            reason="积分抵现",
            movements=movements,
        )

    def earn(self, order: OrderForPoints, multiplier: Decimal) -> None:
        facts = earning.OrderFacts(
            amount=order.amount,
            channel=order.channel,
            local_date=order.ordered_at.astimezone(self.zone).date(),
            category_amounts=order.category_amounts,
        )
        earned = earning.points_for_order(facts, self.rules, multiplier)
        if earned.points <= 0:
            return
        member = self.members[order.customer_pk]
        available_at = order.ordered_at + self.window
        lot = _Lot(
            customer_pk=order.customer_pk,
            transaction=len(self.transactions),
            points=earned.points,
            remaining=earned.points,
            is_pending=True,
            available_at=available_at,
            expires_at=earning.expiry_moment(available_at, self.expiry, self.zone),
            order_id=order.order_id,
        )
        self.lots.append(lot)
        member.lots.append(len(self.lots) - 1)
        member.pending += earned.points
        rules = ", ".join(f"{code} {points}" for code, points in earned.by_rule.items())
        txn = self._record(
            member,
            order.customer_pk,
            kind=Kind.EARN,
            points=earned.points,
            request_no=f"order:{order.order_id}:earn",
            created_at=order.ordered_at,
            reason=f"{rules}; × {multiplier.normalize()}"[:500],
            order_id=order.order_id,
            order_amount=order.amount,
        )
        txn.movements.append((len(self.lots) - 1, earned.points))


def load_points_history(
    *, redeem: RedeemPolicy | None = None, now: datetime | None = None
) -> HistoryLoad:
    """Give every member without a points account the points their kept orders earned, in
    time order, with the till redemptions ``redeem`` decides before each order, and expire what
    lapsed up to ``now``. The tier multiplier is the member's current tier (their tier at each
    order is not known for history). One transaction; emits nothing."""
    now = now or timezone.now()
    programme = _programme_settings()
    result = HistoryLoad()
    if not programme:
        return result
    ledger = _Ledger(programme)
    skipped: set[int] = set()
    with transaction.atomic():
        has_account = set(PointsAccount.objects.values_list("customer_id", flat=True))
        multipliers = dict(Membership.objects.values_list("customer_id", "tier__points_multiplier"))
        for order in list_orders_for_points(currency=settings.KESHENG_DEFAULT_CURRENCY):
            if order.customer_pk in has_account:
                skipped.add(order.customer_pk)
                continue
            if order.ordered_at > now:
                continue
            ledger.members.setdefault(order.customer_pk, _Member())
            ledger.apply_time(order.customer_pk, order.ordered_at)
            points = redeem(order, ledger.members[order.customer_pk].balance) if redeem else 0
            if 0 < points <= ledger.members[order.customer_pk].balance:
                ledger.redeem(order, points)
            ledger.earn(order, Decimal(multipliers.get(order.customer_pk, 1)))
        for customer_pk in ledger.members:
            ledger.apply_time(customer_pk, now)
        _write(ledger, now)
    result.members = len(ledger.members)
    result.transactions = len(ledger.transactions)
    result.skipped_members = len(skipped)
    return result


def _write(ledger: _Ledger, now: datetime) -> None:
    transactions = PointsTransaction.objects.bulk_create(
        [
            PointsTransaction(
                customer_id=txn.customer_pk,
                kind=txn.kind,
                points=txn.points,
                balance_after=txn.balance_after,
                pending_after=txn.pending_after,
                reason=txn.reason,
                order_id=txn.order_id,
                order_amount=txn.order_amount,
                request_no=txn.request_no,
                created_by=SYSTEM,
                created_at=txn.created_at,
            )
            for txn in ledger.transactions
        ],
        batch_size=1000,
    )
    lots = PointsLot.objects.bulk_create(
        [
            PointsLot(
                customer_id=lot.customer_pk,
                earned_by_id=transactions[lot.transaction].pk,
                points=lot.points,
                remaining=lot.remaining,
                is_pending=lot.is_pending,
                available_at=lot.available_at,
                expires_at=lot.expires_at,
                order_id=lot.order_id,
            )
            for lot in ledger.lots
        ],
        batch_size=1000,
    )
    PointsMovement.objects.bulk_create(
        [
            PointsMovement(transaction_id=transactions[index].pk, lot_id=lots[lot].pk, points=delta)
            for index, txn in enumerate(ledger.transactions)
            for lot, delta in txn.movements
            if delta
        ],
        batch_size=2000,
    )
    PointsAccount.objects.bulk_create(
        [
            PointsAccount(customer_id=customer_pk, balance=member.balance, pending=member.pending)
            for customer_pk, member in ledger.members.items()
        ],
        batch_size=1000,
    )
