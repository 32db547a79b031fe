"""Emerging topics: log-likelihood G², one-sided p, Benjamini–Hochberg, minimum count."""

import math

import numpy as np
import pytest
from scipy.stats import chi2, chi2_contingency, false_discovery_control

from kesheng.feedback.text.topics import (
    benjamini_hochberg,
    document_frequencies,
    emerging_topics,
    log_likelihood_g2,
    one_sided_p,
)


def test_g2_equals_scipys_log_likelihood_statistic_on_the_2x2_table():
    table = np.array([[20, 80], [10, 390]])
    expected = chi2_contingency(table, correction=False, lambda_="log-likelihood")[0]
    assert log_likelihood_g2(20, 100, 10, 400) == pytest.approx(expected, rel=1e-12)
    assert log_likelihood_g2(20, 100, 10, 400) == pytest.approx(33.361558482941945)


def test_g2_is_zero_for_equal_shares_and_for_an_empty_period():
    assert log_likelihood_g2(10, 100, 40, 400) == pytest.approx(0.0, abs=1e-12)
    assert log_likelihood_g2(0, 0, 5, 100) == 0.0


def test_the_one_sided_p_is_half_the_chi_squared_tail_when_the_share_rose():
    g2 = 6.0
    assert one_sided_p(g2, rose=True) == pytest.approx(chi2.sf(g2, 1) / 2)
    assert one_sided_p(g2, rose=False) == pytest.approx(1 - chi2.sf(g2, 1) / 2)
    assert one_sided_p(0.0, rose=True) == 0.5


def test_benjamini_hochberg_matches_scipy():
    p_values = [0.01, 0.04, 0.03, 0.2, 0.001, 0.5]
    assert benjamini_hochberg(p_values) == pytest.approx(list(false_discovery_control(p_values)))
    assert benjamini_hochberg([]) == []


def test_document_frequency_counts_a_term_once_per_comment():
    counts, total = document_frequencies([["排队", "排队", "慢"], ["排队"], []])
    assert (dict(counts), total) == ({"排队": 2, "慢": 1}, 3)


def _comments(term_counts: dict[str, int], total: int) -> list[list[str]]:
    comments = [["店员"] for _ in range(total)]
    position = 0
    for term, count in term_counts.items():
        for index in range(count):
            comments[(position + index) % total].append(term)
        position += count
    return comments


def test_a_keyword_whose_share_jumped_emerges_with_its_figures():
    current = _comments({"冷柜": 12, "热情": 10}, 100)
    baseline = _comments({"冷柜": 4, "热情": 40}, 400)
    topics = emerging_topics(current, baseline)
    assert [topic.term for topic in topics] == ["冷柜"]
    topic = topics[0]
    assert (topic.count, topic.share, topic.baseline_count, topic.baseline_share) == (
        12,
        0.12,
        4,
        0.01,
    )
    assert topic.lift == pytest.approx(12.0)
    assert topic.g2 == pytest.approx(log_likelihood_g2(12, 100, 4, 400))
    assert topic.p_value == pytest.approx(chi2.sf(topic.g2, 1) / 2)
    assert topic.q_value <= 0.05
    assert topic.as_dict()["lift"] == 12.0


def test_a_steady_keyword_and_a_falling_one_do_not_emerge():
    current = _comments({"热情": 10, "排队": 2}, 100)
    baseline = _comments({"热情": 40, "排队": 80}, 400)
    assert emerging_topics(current, baseline) == []


def test_fewer_comments_than_the_minimum_count_are_not_tested():
    current = _comments({"闪退": 4}, 50)
    baseline = _comments({}, 400)
    assert emerging_topics(current, baseline) == []
    assert [topic.term for topic in emerging_topics(current, baseline, min_count=4)] == ["闪退"]


def test_a_new_term_can_emerge_and_without_a_baseline_nothing_does():
    current = _comments({"闪退": 9}, 60)
    topics = emerging_topics(current, _comments({}, 300))
    assert [(topic.term, topic.baseline_count, topic.lift) for topic in topics] == [
        ("闪退", 0, None)
    ]
    assert emerging_topics(current, []) == []


def test_many_small_rises_are_held_back_by_the_false_discovery_rate():
    # Each term rose a little: alone some p-values are under 5 %, adjusted none are.
    terms = {f"词{index}": 6 for index in range(12)}
    current = _comments(terms, 300)
    baseline = _comments({term: 12 for term in terms}, 900)
    raw = [one_sided_p(log_likelihood_g2(6, 300, 12, 900), True) for _ in terms]
    assert all(p < 0.5 for p in raw)
    assert emerging_topics(current, baseline) == []
    assert math.isclose(benjamini_hochberg(raw)[0], raw[0])
