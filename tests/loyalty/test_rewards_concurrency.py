"""Burns of one coupon and redemptions of a scarce reward at once (PostgreSQL: SQLite has
one writer, so nothing runs at the same time there)."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from kesheng.core.errors import Conflict
from kesheng.customers.actions import CustomerRecord, upsert_customer
from kesheng.loyalty.actions.points import adjust_points
from kesheng.loyalty.actions.programme import configure_programme
from kesheng.loyalty.actions.rewards import RewardRefused, burn_coupon, redeem_reward
from kesheng.loyalty.models import Coupon, PointsTransaction, Reward
from kesheng.loyalty.programme import check_programme
from kesheng.loyalty.queries import verify_points_ledger
from tests.loyalty.conftest import programme_document

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs concurrent writers (PostgreSQL)"
    ),
]

GIFT = {
    "code": "thermos",
    "name": {"zh-Hans": "保温杯", "en": "Thermos flask"},
    "kind": "gift",
    "points": 100,
    "stock": 5,
}
THREADS = 8


def run_together(work, count: int) -> list[BaseException]:
    failures: list[BaseException] = []
    start = threading.Barrier(count)

    def run(number: int) -> None:
        try:
            start.wait()
            work(number)
        except BaseException as error:  # reported by the main thread
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


def setup_members(count: int) -> None:
    configure_programme(programme_settings=check_programme(programme_document(rewards=[GIFT])))
    for number in range(count):
        customer_id = f"C{number:03d}"
        upsert_customer(record=CustomerRecord(customer_id=customer_id))
        adjust_points(
            customer_id=customer_id,
            request_no=f"seed-{number}",
            points=1000,
            reason="seed",
            created_by="t",
        )


def test_two_burns_of_one_coupon_at_once_burn_it_once():
    setup_members(1)
    code = redeem_reward(
        customer_id="C000", request_no="R", reward_id="thermos", created_by="t"
    ).coupon.code
    burned: list[str] = []
    conflicts: list[str] = []

    def burn(number: int) -> None:
        try:
            burn_coupon(
                code=code,
                request_no=f"B{number}",
                order_id=f"O{number}",
                order_amount=Decimal("10.00"),
                created_by="pos",
            )
            burned.append(f"B{number}")
        except Conflict:
            conflicts.append(f"B{number}")

    assert run_together(burn, THREADS) == []
    coupon = Coupon.objects.get()
    assert (len(burned), len(conflicts)) == (1, THREADS - 1)
    assert (coupon.state, coupon.burn_request_no) == ("burned", burned[0])


def test_concurrent_redemptions_never_give_out_more_than_the_stock():
    setup_members(THREADS * 2)
    refused: list[str] = []

    def redeem(number: int) -> None:
        # Two members a thread, so the stock's row (not a member's account) is the contention.
        for member in (number, number + THREADS):
            try:
                redeem_reward(
                    customer_id=f"C{member:03d}",
                    request_no=f"R{member}",
                    reward_id="thermos",
                    created_by="t",
                )
            except RewardRefused:
                refused.append(f"R{member}")

    assert run_together(redeem, THREADS) == []
    reward = Reward.objects.get()
    assert (reward.redeemed, reward.remaining) == (5, 0)
    assert Coupon.objects.count() == 5
    assert len(refused) == THREADS * 2 - 5
    assert PointsTransaction.objects.filter(kind="redeem").count() == 5
    assert verify_points_ledger() == []
