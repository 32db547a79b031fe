"""The loyalty report's figures, worked by hand on a small ledger."""

from datetime import UTC, datetime, timedelta

import pytest

from kesheng.commerce.actions import record_orders
from kesheng.loyalty.actions.ledger_runs import expire_points
from kesheng.loyalty.actions.points import adjust_points, redeem_points
from kesheng.loyalty.actions.programme import configure_programme
from kesheng.loyalty.actions.tiers import review_tiers
from kesheng.loyalty.models import Membership
from kesheng.loyalty.programme import check_programme
from kesheng.loyalty.report import get_loyalty_figures, get_repeat_purchase
from tests.loyalty.conftest import programme_document

# November 2026 in Shanghai time.
START = datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
END = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)


@pytest.fixture
def programme(db):
    document = programme_document(
        earn_rules=[{"code": "base", "points_per_cny": 1}],
        expiry={"mode": "rolling", "months": 12},
        value_per_point=0.01,
    )
    return configure_programme(programme_settings=check_programme(document))


def give(customer_id, points, at, number):
    adjust_points(
        customer_id=customer_id,
        request_no=f"give-{number}",
        points=points,
        reason="test",
        created_by="test",
        now=at,
    )


def spend(customer_id, points, at, number):
    redeem_points(
        customer_id=customer_id,
        request_no=f"spend-{number}",
        points=points,
        created_by="pos",
        now=at,
    )


def test_points_flows_rates_and_liability_of_a_period(programme, customer, make_customer):
    make_customer("C002")
    last_year = START - timedelta(days=400)
    give("C001", 300, last_year, 1)  # expires inside the year before the period's end
    give("C001", 1000, START + timedelta(days=2), 2)
    give("C002", 500, START + timedelta(days=3), 3)
    spend("C001", 400, START + timedelta(days=10), 4)
    spend("C002", 100, END + timedelta(days=1), 5)  # after the period: not counted in it
    expire_points(now=START + timedelta(days=5))
    figures = get_loyalty_figures(START, END)
    assert (figures.period.issued, figures.period.redeemed, figures.period.expired) == (
        1500,
        400,
        300,
    )
    assert figures.redemption_rate == pytest.approx(400 / 1500)
    # Of the 700 points whose fate was settled in the year, 300 lapsed.
    assert figures.breakage == pytest.approx(300 / 700)
    november = [flow for flow in figures.monthly if flow.label == "2026-11"]
    assert figures.monthly[-1].label == "2026-11" and len(figures.monthly) == 12
    assert (november[0].issued, november[0].redeemed, november[0].expired) == (1500, 400, 300)
    # Outstanding now: 600 + 400 points at 0.01 CNY.
    assert (figures.liability["points"], figures.liability["value"]) == (1000, "10.00")


def test_tier_counts_and_movements(programme, customer, make_customer):
    make_customer("C002")
    record_orders(
        items=[
            {
                "order_id": "A1",
                "customer_id": "C001",
                "ordered_at": (START + timedelta(days=1)).isoformat(),
                "amount": "1200.00",
                "channel": "web",
            }
        ]
    )
    review_tiers(now=START + timedelta(days=2), force=True)
    figures = get_loyalty_figures(START, END)
    assert [(tier.code, tier.members) for tier in figures.tiers] == [
        ("member", 1),
        ("silver", 1),
        ("gold", 0),
        ("diamond", 0),
    ]
    assert sorted((m.to_name, m.reason, m.changes) for m in figures.movements) == [
        ("普通会员", "initial", 1),
        ("银卡", "initial", 1),
    ]


def test_repeat_purchase_of_members_and_non_members(programme, make_customer):
    for number in range(1, 7):
        make_customer(f"C00{number}")
    orders = [("C001", 2), ("C002", 1), ("C003", 3), ("C004", 1), ("C005", 1), ("C006", 2)]
    items = [
        {
            "order_id": f"{customer}-{index}",
            "customer_id": customer,
            "ordered_at": (END - timedelta(days=30 + index)).isoformat(),
            "amount": "10.00",
            "channel": "web",
        }
        for customer, count in orders
        for index in range(count)
    ]
    record_orders(items=items)
    review_tiers(now=END - timedelta(days=1), force=True)  # every buyer becomes a member
    Membership.objects.filter(customer__customer_id__in=["C004", "C005", "C006"]).delete()
    repeat = get_repeat_purchase(END)
    # Members C001-C003: 2 of 3 bought twice; non-members C004-C006: 1 of 3.
    assert (repeat.members.n, repeat.members.value) == (3, pytest.approx(200 / 3))
    assert (repeat.non_members.n, repeat.non_members.value) == (3, pytest.approx(100 / 3))
    assert repeat.difference.value == pytest.approx(1 / 3)
    assert not repeat.difference.is_significant()
