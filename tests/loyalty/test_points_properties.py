"""Property test of the ledger: any sequence of earns, redemptions, deductions, refunds,
expiries and time passing keeps the invariants (docs/loyalty.md, "Points")."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kesheng.commerce.actions import record_orders
from kesheng.core.errors import DomainError
from kesheng.loyalty.actions.ledger_runs import expire_points, release_pending_points
from kesheng.loyalty.actions.points import (
    adjust_points,
    earn_points_for_order,
    redeem_points,
    reverse_order_points,
)
from kesheng.loyalty.actions.programme import configure_programme
from kesheng.loyalty.models import PointsAccount, PointsLot, PointsMovement, PointsTransaction
from kesheng.loyalty.programme import check_programme
from kesheng.loyalty.queries import get_member_points, verify_points_ledger
from tests.loyalty.conftest import programme_document

START = datetime(2025, 1, 6, 4, 0, tzinfo=UTC)

steps = st.lists(
    st.one_of(
        st.tuples(st.just("order"), st.integers(1, 500)),
        st.tuples(st.just("give"), st.integers(1, 300)),
        st.tuples(st.just("take"), st.integers(1, 400), st.booleans()),
        st.tuples(st.just("redeem"), st.integers(1, 400)),
        st.tuples(st.just("refund"), st.integers(0, 9), st.integers(1, 100)),
        st.tuples(st.just("tick"), st.integers(1, 40)),
        st.just(("expire",)),
        st.just(("release",)),
    ),
    max_size=25,
)


class Rollback(Exception):
    pass


@pytest.fixture
def member(db):
    document = programme_document(
        earn_rules=[{"code": "base", "points_per_cny": 1}],
        expiry={"mode": "rolling", "months": 1},
        return_window_days=7,
    )
    configure_programme(programme_settings=check_programme(document))
    from kesheng.customers.actions import CustomerRecord, upsert_customer

    return upsert_customer(record=CustomerRecord(customer_id="C001")).customer


def check_invariants(customer_pk: int, now: datetime) -> None:
    assert verify_points_ledger() == []
    account = PointsAccount.objects.filter(customer_id=customer_pk).first() or PointsAccount()
    lots = list(PointsLot.objects.filter(customer_id=customer_pk))
    ledger_sum = sum(PointsTransaction.objects.values_list("points", flat=True))
    assert account.balance + account.pending == ledger_sum
    assert account.pending == sum(lot.remaining for lot in lots if lot.is_pending)
    released = sum(lot.remaining for lot in lots if not lot.is_pending)
    if account.balance >= 0:
        assert account.balance == released  # balance = what remains in the lots
    else:
        assert released == 0 and account.pending == 0  # owed only with nothing left
    # What can be spent now never counts pending or lapsed lots.
    spendable = sum(
        lot.remaining
        for lot in lots
        if lot.available_at <= now and (lot.expires_at is None or lot.expires_at > now)
    )
    assert get_member_points(customer_pk, now=now).balance == spendable - max(-account.balance, 0)


def check_redemption(result, now: datetime) -> None:
    touched = list(
        PointsMovement.objects.filter(transaction_id=result.transaction_id).select_related("lot")
    )
    for movement in touched:
        lot = movement.lot
        assert lot.available_at <= now and (lot.expires_at is None or lot.expires_at > now)
    latest = max(movement.lot.expires_at for movement in touched)
    # Soonest-expiring first: every spendable lot expiring before the last one touched is empty.
    left_before = PointsLot.objects.filter(
        customer_id=touched[0].lot.customer_id,
        remaining__gt=0,
        available_at__lte=now,
        expires_at__gt=now,
        expires_at__lt=latest,
    )
    assert not left_before.exists()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=steps)
def test_the_ledger_invariants_hold_for_any_sequence(member, steps):
    try:
        with transaction.atomic():
            run(member.pk, steps)
            raise Rollback
    except Rollback:
        pass


def run(customer_pk: int, steps: list[tuple]) -> None:
    now = START
    orders: list[str] = []
    for number, step in enumerate(steps):
        kind = step[0]
        if kind == "order":
            order_id = f"O{number}"
            record_orders(
                items=[
                    {
                        "order_id": order_id,
                        "customer_id": "C001",
                        "ordered_at": now.isoformat(),
                        "amount": str(step[1]),
                        "channel": "web",
                    }
                ]
            )
            earn_points_for_order(order_id=order_id, now=now)
            orders.append(order_id)
        elif kind == "give":
            adjust_points(
                customer_id="C001",
                request_no=f"G{number}",
                points=step[1],
                reason="x",
                created_by="t",
                now=now,
            )
        elif kind == "take":
            try:
                adjust_points(
                    customer_id="C001",
                    request_no=f"T{number}",
                    points=-step[1],
                    reason="x",
                    created_by="t",
                    allow_negative=step[2],
                    now=now,
                )
            except DomainError:
                assert not step[2]
        elif kind == "redeem":
            before = get_member_points(customer_pk, now=now).balance
            try:
                result = redeem_points(
                    customer_id="C001",
                    request_no=f"R{number}",
                    points=step[1],
                    created_by="t",
                    now=now,
                )
            except DomainError:
                assert step[1] > before
            else:
                assert step[1] <= before
                check_redemption(result, now)
        elif kind == "refund" and orders:
            order_id = orders[step[1] % len(orders)]
            reverse_order_points(
                order_id=order_id,
                refunded_amount=Decimal(step[2]),
                refund_no=f"F{number}",
                now=now,
            )
        elif kind == "tick":
            now += timedelta(days=step[1])
        elif kind == "expire":
            expire_points(now=now)
        elif kind == "release":
            release_pending_points(now=now)
        check_invariants(customer_pk, now)
