"""Points history loaded in bulk gives the ledger the live actions would have written."""

from datetime import UTC, datetime, timedelta

import pytest

from kesheng.commerce.actions import record_orders
from kesheng.loyalty.actions.history import load_points_history
from kesheng.loyalty.actions.ledger_runs import expire_points
from kesheng.loyalty.actions.points import adjust_points, earn_points_for_order, redeem_points
from kesheng.loyalty.actions.programme import configure_programme
from kesheng.loyalty.models import PointsAccount, PointsLot, PointsMovement, PointsTransaction
from kesheng.loyalty.programme import check_programme
from kesheng.loyalty.queries import verify_points_ledger
from tests.loyalty.conftest import programme_document

START = datetime(2025, 1, 6, 4, 0, tzinfo=UTC)  # a Monday
NOW = START + timedelta(days=500)


@pytest.fixture
def history(customer, make_customer):
    document = programme_document(
        earn_rules=[
            {"code": "base", "points_per_cny": 1},
            {"code": "member-day", "multiplier": 2, "weekday": 3},
        ],
        expiry={"mode": "rolling", "months": 12},
        return_window_days=7,
    )
    configure_programme(programme_settings=check_programme(document))
    make_customer("C002")
    # C001 buys every 40 days (some on Wednesdays), C002 twice; lots of C001's first year lapse.
    items = [
        {
            "order_id": f"A{number}",
            "customer_id": "C001",
            "ordered_at": (START + timedelta(days=40 * number + number % 3)).isoformat(),
            "amount": f"{300 + 50 * number}.00",
            "channel": "web",
        }
        for number in range(12)
    ] + [
        {
            "order_id": f"B{number}",
            "customer_id": "C002",
            "ordered_at": (START + timedelta(days=90 * number)).isoformat(),
            "amount": "99.90",
            "channel": "store",
        }
        for number in range(2)
    ]
    record_orders(items=items)
    return items


def pay_at_the_till(order, spendable: int) -> int:
    # Every third order of C001 pays 500 points when it can.
    return 500 if order.order_id in {"A3", "A6", "A9"} and spendable >= 500 else 0


def ledger_state() -> dict:
    return {
        "accounts": sorted(
            PointsAccount.objects.values_list("customer__customer_id", "balance", "pending")
        ),
        "by_kind": sorted(
            (kind, points)
            for kind, points in PointsTransaction.objects.exclude(kind="expire").values_list(
                "kind", "points"
            )
        ),
        "expired": sum(
            PointsTransaction.objects.filter(kind="expire").values_list("points", flat=True)
        ),
        "lots": sorted(
            PointsLot.objects.exclude(order_id="").values_list("order_id", "points", "remaining")
        ),
    }


def test_history_equals_the_live_actions_replayed_in_time(history):
    loaded = load_points_history(redeem=pay_at_the_till, now=NOW)
    assert (loaded.members, loaded.skipped_members) == (2, 0)
    assert verify_points_ledger() == []
    from_history = ledger_state()
    assert from_history["expired"] < 0  # the first year's unspent points lapsed

    PointsMovement.objects.all().delete()
    PointsLot.objects.all().delete()
    PointsTransaction.objects.all().delete()
    PointsAccount.objects.all().delete()
    for item in sorted(history, key=lambda item: item["ordered_at"]):
        at = datetime.fromisoformat(item["ordered_at"])
        if item["order_id"] in {"A3", "A6", "A9"}:
            redeem_points(
                customer_id=item["customer_id"],
                request_no=f"cash-{item['order_id']}",
                points=500,
                created_by="pos",
                now=at,
            )
        earn_points_for_order(order_id=item["order_id"], now=at)
    expire_points(now=NOW)  # the daily run: releases and expires up to today
    live = ledger_state()
    assert from_history == live


def test_history_leaves_members_with_a_ledger_alone_and_adds_nothing_twice(history):
    adjust_points(
        customer_id="C002",
        request_no="G1",
        points=50,
        reason="goodwill",
        created_by="t",
        now=START,
    )
    first = load_points_history(now=NOW)
    again = load_points_history(now=NOW)
    assert (first.members, first.skipped_members) == (1, 1)
    assert (again.members, again.transactions) == (0, 0)
    assert PointsTransaction.objects.filter(customer__customer_id="C002").count() == 1
    # An order loaded here never earns twice through the live action.
    assert earn_points_for_order(order_id="A0", now=NOW).replayed
    assert verify_points_ledger() == []
