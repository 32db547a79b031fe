"""kesheng/analytics/rfm.py: hand-worked RFM scores and segments."""

from datetime import date

import numpy as np
import pytest

from kesheng.analytics.rfm import SEGMENT_GRID, SEGMENTS, compute_rfm, quintile_scores, segment_of

AS_OF = date(2026, 12, 1)


def _day(days_before: int) -> np.datetime64:
    return np.datetime64(AS_OF, "D") - np.timedelta64(days_before, "D")


def test_five_customers_worked_by_hand():
    # customer: (days before AS_OF, amount) per order
    orders = {
        1: [(1, 100.0), (10, 50.0)],  # recency 1, 2 orders, 150
        2: [(100, 20.0)],  # 100, 1, 20
        3: [(5, 10.0), (6, 10.0), (7, 10.0)],  # 5, 3, 30
        4: [(30, 500.0)],  # 30, 1, 500
        5: [(400, 5.0)],  # 400, 1, 5
    }
    ids = [customer for customer, rows in orders.items() for _ in rows]
    dates = [_day(days) for rows in orders.values() for days, _amount in rows]
    amounts = [amount for rows in orders.values() for _days, amount in rows]
    table = compute_rfm(ids, dates, amounts, as_of=AS_OF)
    assert table.customer_ids.tolist() == [1, 2, 3, 4, 5]
    assert table.recency_days.tolist() == [1, 100, 5, 30, 400]
    assert table.frequency.tolist() == [2, 1, 3, 1, 1]
    assert table.monetary.tolist() == [150.0, 20.0, 30.0, 500.0, 5.0]
    # R: customers with a strictly longer recency are worse: 4, 1, 3, 2, 0 of 5.
    assert table.r.tolist() == [5, 2, 4, 3, 1]
    # F: the three one-order customers tie at the lowest place: score 1 for all three.
    assert table.f.tolist() == [4, 1, 5, 1, 1]
    assert table.m.tolist() == [4, 2, 3, 5, 1]
    assert table.segment_keys == ["champions", "hibernating", "loyal", "about_to_sleep", "lost"]


def test_orders_after_the_scoring_date_are_ignored():
    table = compute_rfm([7, 7], [_day(3), np.datetime64("2026-12-05")], [10.0, 99.0], as_of=AS_OF)
    assert table.frequency.tolist() == [1]
    assert table.monetary.tolist() == [10.0]
    assert table.recency_days.tolist() == [3]


def test_equal_values_share_a_score_and_a_crowded_value_takes_its_lowest_place():
    # 6 of 10 customers have one order: all score 1; the next value starts at place 6 -> 4.
    assert quintile_scores([1, 1, 1, 1, 1, 1, 2, 2, 3, 9]).tolist() == [1] * 6 + [4, 4, 5, 5]
    assert quintile_scores([4, 4, 4]).tolist() == [1, 1, 1]
    assert quintile_scores(list(range(10))).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert quintile_scores([0, 10, 20], higher_is_better=False).tolist() == [4, 2, 1]
    assert quintile_scores([]).tolist() == []


def test_the_grid_names_every_cell_with_a_known_segment_and_uses_all_of_them():
    cells = {name for row in SEGMENT_GRID for name in row}
    assert cells == set(SEGMENTS)
    assert len(SEGMENTS) == 11
    r, f = np.meshgrid(np.arange(1, 6), np.arange(1, 6), indexing="ij")
    assert [SEGMENTS[i] for i in segment_of(r.ravel(), f.ravel())][:5] == [
        "lost",
        "lost",
        "at_risk",
        "at_risk",
        "cant_lose_them",
    ]
    assert SEGMENTS[int(segment_of([5], [1])[0])] == "new"
    assert SEGMENTS[int(segment_of([4], [1])[0])] == "promising"
    assert SEGMENTS[int(segment_of([3], [3])[0])] == "needs_attention"


def test_scores_outside_one_to_five_are_refused():
    with pytest.raises(ValueError, match="from 1 to 5"):
        segment_of([0], [3])


def test_mismatched_arrays_are_refused():
    with pytest.raises(ValueError, match="same length"):
        compute_rfm([1, 2], [_day(1)], [1.0, 2.0], as_of=AS_OF)


def test_no_orders_give_an_empty_table():
    table = compute_rfm([], np.array([], dtype="datetime64[D]"), [], as_of=AS_OF)
    assert table.customer_ids.tolist() == []
    assert table.segment_keys == []
