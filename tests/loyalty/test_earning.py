from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from kesheng.loyalty.earning import (
    EarnRule,
    OrderFacts,
    add_months,
    expiry_moment,
    points_for_order,
    pro_rata,
    rules_from_settings,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEDNESDAY = date(2026, 3, 4)


def order(amount="100.00", channel="web", day=WEDNESDAY, **categories):
    return OrderFacts(
        amount=Decimal(amount),
        channel=channel,
        local_date=day,
        category_amounts={name: Decimal(value) for name, value in categories.items()},
    )


def test_rate_rules_add_up_by_channel_and_category_and_round_down():
    rules = rules_from_settings(
        [
            {"code": "base", "points_per_cny": "1"},
            {"code": "app", "points_per_cny": "0.5", "channels": ["app"]},
            {"code": "beauty", "points_per_cny": "2", "categories": ["beauty"]},
        ]
    )
    earned = points_for_order(order("99.90", beauty="30.50"), rules, Decimal("1"))
    assert (earned.points, earned.by_rule) == (160, {"base": 99, "beauty": 61})
    in_app = points_for_order(order("99.90", channel="app"), rules, Decimal("1"))
    assert (in_app.points, in_app.by_rule) == (148, {"base": 99, "app": 49})


def test_bonus_rules_multiply_the_rate_points_on_their_days_with_caps_and_the_tier():
    rules = [
        EarnRule(code="base", points_per_cny=Decimal("1")),
        EarnRule(code="member-day", multiplier=Decimal("2"), weekdays=frozenset({3})),
        EarnRule(code="spring", multiplier=Decimal("1.5"), cap=20),
    ]
    earned = points_for_order(order("100.00"), rules, Decimal("1.2"))
    # base 100, member day +100, spring +50 capped at 20: 220 × 1.2
    assert (earned.points, earned.by_rule) == (264, {"base": 100, "member-day": 100, "spring": 20})
    thursday = points_for_order(order("100.00", day=date(2026, 3, 5)), rules, Decimal("1"))
    assert thursday.points == 120


def test_rules_count_only_between_their_start_and_end_dates():
    rules = rules_from_settings(
        [{"code": "base", "points_per_cny": 1, "starts": "2026-03-01", "ends": "2026-03-04"}]
    )
    assert points_for_order(order(day=date(2026, 2, 28)), rules, Decimal(1)).points == 0
    assert points_for_order(order(day=date(2026, 3, 4)), rules, Decimal(1)).points == 100
    assert points_for_order(order(day=date(2026, 3, 5)), rules, Decimal(1)).points == 0


def test_rolling_expiry_counts_calendar_months_and_yearly_clears_a_year_after():
    spendable = datetime(2026, 1, 31, 2, 0, tzinfo=UTC)
    assert expiry_moment(spendable, {"mode": "rolling", "months": 1}, SHANGHAI) == datetime(
        2026, 2, 28, 2, 0, tzinfo=UTC
    )
    # Earned in 2026 (local time): gone at the end of 2027-12-31 in Shanghai.
    assert expiry_moment(spendable, {"mode": "yearly", "date": "12-31"}, SHANGHAI) == datetime(
        2027, 12, 31, 16, 0, tzinfo=UTC
    )
    assert expiry_moment(spendable, None, SHANGHAI) is None
    assert add_months(datetime(2024, 1, 31), 1) == datetime(2024, 2, 29)


def test_pro_rata_rounds_down_and_a_whole_refund_takes_all():
    assert pro_rata(101, Decimal("50"), Decimal("100")) == 50
    assert pro_rata(101, Decimal("100"), Decimal("100")) == 101
    assert pro_rata(101, Decimal("0"), Decimal("100")) == 0
