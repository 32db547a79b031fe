"""Importance–performance quadrants."""

import pytest

from kesheng.analytics.ipa import analyse_importance_performance, quadrant_of


def test_items_fall_in_the_four_quadrants_around_the_means():
    # Mean importance 3.5, mean performance 3.5.
    result = analyse_importance_performance(
        ["delivery", "returns", "page_design", "search"],
        importance=[4.8, 4.6, 2.2, 2.4],
        performance=[4.5, 2.1, 4.4, 3.0],
    )
    assert (result.importance_cut, result.performance_cut) == pytest.approx((3.5, 3.5))
    assert [(item.name, item.quadrant) for item in result.items] == [
        ("delivery", "keep_up_the_good_work"),
        ("returns", "concentrate_here"),
        ("page_design", "possible_overkill"),
        ("search", "low_priority"),
    ]


def test_a_fixed_crosshair_such_as_the_scale_midpoint():
    result = analyse_importance_performance(
        ["a"], importance=[2.9], performance=[3.1], importance_cut=3, performance_cut=3
    )
    assert result.items[0].quadrant == "possible_overkill"


def test_a_point_on_the_line_counts_as_high():
    assert quadrant_of(3.0, 3.0, 3.0, 3.0) == "keep_up_the_good_work"


def test_mismatched_lists_are_refused():
    with pytest.raises(ValueError):
        analyse_importance_performance(["a", "b"], importance=[1], performance=[1, 2])
