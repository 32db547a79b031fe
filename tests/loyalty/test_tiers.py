from datetime import UTC, datetime
from decimal import Decimal

import numpy as np

from kesheng.loyalty import tiers as maths

LEVELS = [
    maths.Level("member", Decimal("0")),
    maths.Level("silver", Decimal("1000")),
    maths.Level("gold", Decimal("5000")),
]


def test_a_value_reaches_the_highest_tier_whose_threshold_it_meets_in_whole_cents():
    values = np.array([maths.to_cents(v) for v in ("0", "999.99", "1000", "4999.999", "9000")])
    assert maths.qualifying_positions(values, LEVELS).tolist() == [0, 0, 1, 1, 2]
    assert maths.qualifying_level(Decimal("1000.00"), LEVELS).code == "silver"


def test_next_level_says_what_remains():
    assert maths.next_level(Decimal("250.50"), LEVELS) == maths.NextLevel(
        "silver", Decimal("1000"), Decimal("749.50")
    )
    assert maths.next_level(Decimal("5000"), LEVELS) is None


def test_the_window_is_twelve_calendar_months_with_the_day_clamped():
    assert maths.window_start(datetime(2025, 6, 15, 4, tzinfo=UTC)) == datetime(
        2024, 6, 15, 4, tzinfo=UTC
    )
    assert maths.months_before(datetime(2025, 3, 31, tzinfo=UTC), 1) == datetime(
        2025, 2, 28, tzinfo=UTC
    )
    assert maths.window_start(datetime(2024, 2, 29, tzinfo=UTC)) == datetime(
        2023, 2, 28, tzinfo=UTC
    )


def test_a_review_is_due_once_per_period():
    now = datetime(2025, 8, 20, 9, tzinfo=UTC)
    assert maths.period_start("quarterly", now) == datetime(2025, 7, 1, tzinfo=UTC)
    assert maths.period_start("yearly", now) == datetime(2025, 1, 1, tzinfo=UTC)
    assert maths.period_start("monthly", now) == datetime(2025, 8, 1, tzinfo=UTC)
    assert maths.is_review_due("quarterly", None, now)
    assert maths.is_review_due("quarterly", datetime(2025, 6, 30, tzinfo=UTC), now)
    assert not maths.is_review_due("quarterly", datetime(2025, 7, 1, tzinfo=UTC), now)


def _decide(values, current, in_grace, grace_over, *, reviewing, grace_days=30):
    return maths.decide(
        value_cents=np.array([maths.to_cents(Decimal(v)) for v in values], dtype=np.int64),
        current=np.array(current, dtype=np.int64),
        in_grace=np.array(in_grace, dtype=bool),
        grace_over=np.array(grace_over, dtype=bool),
        levels=LEVELS,
        reviewing=reviewing,
        grace_days=grace_days,
    )


def test_between_reviews_tiers_only_go_up_and_ended_graces_go_down():
    # new customer, upgrade, below without grace, below with grace over, in grace requalified
    decisions = _decide(
        ["1500", "6000", "10", "10", "2000"],
        [-1, 1, 2, 2, 1],
        [False, False, False, True, True],
        [False, False, False, True, False],
        reviewing=False,
    )
    assert decisions.target.tolist() == [1, 2, 0, 0, 1]
    assert decisions.assign.tolist() == [0]
    assert decisions.upgrade.tolist() == [1]
    assert decisions.downgrade.tolist() == [3]
    assert decisions.start_grace.tolist() == []
    assert decisions.clear_grace.tolist() == [4]


def test_a_review_starts_the_grace_period_or_goes_down_at_once_without_one():
    with_grace = _decide(["10"], [2], [False], [False], reviewing=True)
    assert (with_grace.start_grace.tolist(), with_grace.downgrade.tolist()) == ([0], [])
    without = _decide(["10"], [2], [False], [False], reviewing=True, grace_days=0)
    assert (without.start_grace.tolist(), without.downgrade.tolist()) == ([], [0])
    waiting = _decide(["10"], [2], [True], [False], reviewing=True)
    assert (waiting.start_grace.tolist(), waiting.downgrade.tolist()) == ([], [])
