"""Many redemptions and earns on one member at once (PostgreSQL: SQLite has one writer)."""

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection, connections

from kesheng.customers.actions import CustomerRecord, upsert_customer
from kesheng.loyalty.actions.points import NotEnoughPoints, adjust_points, redeem_points
from kesheng.loyalty.actions.programme import configure_programme
from kesheng.loyalty.models import PointsAccount, PointsTransaction
from kesheng.loyalty.programme import check_programme
from kesheng.loyalty.queries import verify_points_ledger
from tests.loyalty.conftest import programme_document

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs concurrent writers (PostgreSQL)"
    ),
]

THREADS = 8
ROUNDS = 12


def test_parallel_redeems_and_earns_keep_the_ledger_exact():
    configure_programme(programme_settings=check_programme(programme_document()))
    upsert_customer(record=CustomerRecord(customer_id="C001"))
    now = datetime.now(UTC)
    adjust_points(
        customer_id="C001", request_no="seed", points=300, reason="seed", created_by="t", now=now
    )
    refused: list[str] = []
    failures: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def work(thread: int) -> None:
        try:
            start.wait()
            for round_no in range(ROUNDS):
                # Every thread reuses the others' request numbers too: each applies once.
                request_no = f"R{round_no}-{thread % 4}"
                try:
                    redeem_points(
                        customer_id="C001", request_no=request_no, points=40, created_by="t"
                    )
                except NotEnoughPoints:
                    refused.append(request_no)
                if round_no % 3 == 0:
                    adjust_points(
                        customer_id="C001",
                        request_no=f"E{round_no}-{thread}",
                        points=25,
                        reason="earn",
                        created_by="t",
                    )
        except BaseException as error:  # reported by the main thread
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    account = PointsAccount.objects.get()
    ledger = list(PointsTransaction.objects.values_list("request_no", "points", "balance_after"))
    assert account.balance == sum(points for _no, points, _after in ledger)
    assert account.balance >= 0
    assert min(after for _no, _points, after in ledger) >= 0
    request_nos = [no for no, _points, _after in ledger]
    assert len(request_nos) == len(set(request_nos))
    redeemed = [no for no in request_nos if no.startswith("R")]
    assert len(redeemed) + len(set(refused) - set(redeemed)) == ROUNDS * 4
    assert len([no for no in request_nos if no.startswith("E")]) == THREADS * 4
    assert verify_points_ledger() == []
