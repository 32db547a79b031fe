"""Runs over every member: release the points whose return window has closed, and expire the
lots whose expiry has passed.

Both are set-based SQL over ranges of members, not a Python loop per member: a yearly clearing
date expires the lots of every member at once (a million members with ten lots each in the
benchmark), and each range is one short transaction that locks its members' accounts in order,
so a till that earns or redeems for one of them waits a moment at most. The SQL is plain enough
for PostgreSQL and SQLite (3.33 or later, for UPDATE ... FROM).
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Max, Min, Sum
from django.utils import timezone

from kesheng.core.events import emit
from kesheng.loyalty.models import PointsAccount, PointsLot, PointsMovement, PointsTransaction
from kesheng.loyalty.models import TransactionKind as Kind

SYSTEM = "system"
# Members per transaction, by customer id: big enough that a million members take a few dozen
# statements, small enough that the accounts of one range stay locked for well under a second.
MEMBER_RANGE = 25_000


@dataclass
class LedgerRun:
    members: int = 0
    lots: int = 0
    points: int = 0
    dry_run: bool = False

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _ranges(lots) -> list[tuple[int, int]]:
    bounds = lots.aggregate(low=Min("customer_id"), high=Max("customer_id"))
    if bounds["low"] is None:
        return []
    low, high = bounds["low"], bounds["high"] + 1
    return [(start, min(start + MEMBER_RANGE, high)) for start in range(low, high, MEMBER_RANGE)]


def _lock_accounts(low: int, high: int) -> None:
    """Lock the range's accounts in primary-key order, as every single-member write does, so
    a run and a till never wait on each other in a circle."""
    list(
        PointsAccount.objects.select_for_update()
        .filter(customer_id__gte=low, customer_id__lt=high)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def release_pending_points(*, now: datetime | None = None) -> LedgerRun:
    """Make every lot whose return window has closed spendable: pending goes down and balance
    up by what remains in them, one range of members per transaction. Reads already count such
    lots as spendable; this keeps the stored balances current. Emits nothing (the points were
    announced when earned)."""
    now = now or timezone.now()
    run = LedgerRun()
    due = PointsLot.objects.filter(is_pending=True, available_at__lte=now)
    lots, accounts = PointsLot._meta.db_table, PointsAccount._meta.db_table
    due_sql = "is_pending = %s AND available_at <= %s AND customer_id >= %s AND customer_id < %s"
    for low, high in _ranges(due):
        parameters = [True, now, low, high]
        with transaction.atomic(), connection.cursor() as cursor:
            _lock_accounts(low, high)
            cursor.execute(
                f"SELECT COUNT(DISTINCT customer_id), COUNT(*), COALESCE(SUM(remaining), 0) "
                f"FROM {lots} WHERE {due_sql}",
                parameters,
            )
            members, lot_count, points = cursor.fetchone()
            cursor.execute(
                f"UPDATE {accounts} SET pending = {accounts}.pending - due.points, "
                f"balance = {accounts}.balance + due.points, updated_at = %s "
                f"FROM (SELECT customer_id, SUM(remaining) AS points FROM {lots} "
                f"WHERE {due_sql} GROUP BY customer_id) AS due "
                f"WHERE {accounts}.customer_id = due.customer_id",
                [now, *parameters],
            )
            cursor.execute(
                f"UPDATE {lots} SET is_pending = %s WHERE {due_sql}", [False, *parameters]
            )
        run.members += members
        run.lots += lot_count
        run.points += int(points)
    return run


def expire_points(*, now: datetime | None = None, dry_run: bool = False) -> LedgerRun:
    """Expire what remains in every lot whose expiry has passed, for all members: one
    ``expire`` transaction per member (request number ``expire:lot:<its first lot>``, so a run
    repeated or interrupted never expires a lot twice) with a movement per lot, balances
    lowered, one range of members per database transaction. Pending lots that are due are
    released first. ``dry_run`` counts and changes nothing. Emits one
    ``loyalty.points_expired`` with the totals when something expired."""
    now = now or timezone.now()
    lapsed = PointsLot.objects.filter(remaining__gt=0, expires_at__lte=now)
    if dry_run:
        totals = lapsed.aggregate(points=Sum("remaining"))
        return LedgerRun(
            members=lapsed.order_by().values("customer_id").distinct().count(),
            lots=lapsed.count(),
            points=totals["points"] or 0,
            dry_run=True,
        )
    release_pending_points(now=now)
    run = LedgerRun()
    for low, high in _ranges(lapsed.filter(is_pending=False)):
        with transaction.atomic():
            _expire_range(low, high, now, run)
    if run.points:
        with transaction.atomic():
            emit("loyalty.points_expired", {**run.as_dict(), "at": now.isoformat()})
    return run


def _expire_range(low: int, high: int, now: datetime, run: LedgerRun) -> None:
    lots = PointsLot._meta.db_table
    accounts = PointsAccount._meta.db_table
    transactions = PointsTransaction._meta.db_table
    movements = PointsMovement._meta.db_table
    lapsed_sql = (
        "remaining > 0 AND expires_at <= %s AND is_pending = %s "
        "AND customer_id >= %s AND customer_id < %s"
    )
    lapsed = [now, False, low, high]
    by_member = (
        f"SELECT customer_id, SUM(remaining) AS points, MIN(id) AS first_lot "
        f"FROM {lots} WHERE {lapsed_sql} GROUP BY customer_id"
    )
    _lock_accounts(low, high)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(DISTINCT customer_id), COUNT(*), COALESCE(SUM(remaining), 0) "
            f"FROM {lots} WHERE {lapsed_sql}",
            lapsed,
        )
        members, lot_count, points = cursor.fetchone()
        if not lot_count:
            return
        cursor.execute(
            f"INSERT INTO {transactions} (customer_id, kind, points, balance_after, "
            f"pending_after, reason, order_id, order_amount, request_no, created_by, created_at) "
            f"SELECT account.customer_id, %s, -member.points, account.balance - member.points, "
            f"account.pending, %s, '', NULL, %s || member.first_lot, %s, %s "
            f"FROM {accounts} AS account JOIN ({by_member}) AS member "
            f"ON member.customer_id = account.customer_id",
            [Kind.EXPIRE, "expiry", "expire:lot:", SYSTEM, now, *lapsed],
        )
        cursor.execute(
            f"INSERT INTO {movements} (transaction_id, lot_id, points) "
            f"SELECT txn.id, lot.id, -lot.remaining FROM {lots} AS lot "
            f"JOIN ({by_member}) AS member ON member.customer_id = lot.customer_id "
            f"JOIN {transactions} AS txn ON txn.request_no = %s || member.first_lot "
            f"WHERE lot.remaining > 0 AND lot.expires_at <= %s AND lot.is_pending = %s "
            f"AND lot.customer_id >= %s AND lot.customer_id < %s",
            [*lapsed, "expire:lot:", *lapsed],
        )
        cursor.execute(
            f"UPDATE {accounts} SET balance = {accounts}.balance - member.points, updated_at = %s "
            f"FROM ({by_member}) AS member WHERE {accounts}.customer_id = member.customer_id",
            [now, *lapsed],
        )
        cursor.execute(f"UPDATE {lots} SET remaining = 0 WHERE {lapsed_sql}", lapsed)
    run.members += members
    run.lots += lot_count
    run.points += int(points)
