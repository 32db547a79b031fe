"""The spike tests of feedback alerts on known cases (pure maths, no database)."""

import math

import pytest
from scipy.stats import binom

from kesheng.feedback.spikes import (
    NEGATIVE_SHARE,
    VOLUME,
    Counts,
    ScopeCounts,
    SpikeRule,
    find_spikes,
    negative_share_test,
    volume_test,
)

RULE = SpikeRule()


def test_no_share_test_is_run_below_the_minimum_count():
    # 19 of 19 negative is alarming, but 19 < 20 items: no test, no alert.
    result = negative_share_test(Counts(n=19, negative=19), Counts(n=400, negative=40), RULE)
    assert result.p_value is None
    assert result.is_spike is False


def test_a_clear_rise_in_negative_share_is_a_spike_with_the_z_test_p_value():
    result = negative_share_test(Counts(n=50, negative=20), Counts(n=400, negative=40), RULE)
    pooled = 60 / 450
    z = (0.4 - 0.1) / math.sqrt(pooled * (1 - pooled) * (1 / 50 + 1 / 400))
    assert result.observed == pytest.approx(0.4)
    assert result.expected == pytest.approx(0.1)
    assert result.p_value == pytest.approx(0.5 * math.erfc(z / math.sqrt(2)))
    assert result.p_value < 1e-6
    assert result.is_spike is True
    assert (result.n, result.baseline_n) == (50, 400)


def test_a_steady_negative_share_is_no_spike():
    result = negative_share_test(Counts(n=50, negative=6), Counts(n=400, negative=40), RULE)
    assert result.p_value > 0.3
    assert result.is_spike is False


def test_a_fall_in_negative_share_is_no_spike():
    result = negative_share_test(Counts(n=50, negative=0), Counts(n=400, negative=200), RULE)
    assert result.is_spike is False


def test_the_share_counts_only_analysed_items():
    result = negative_share_test(
        Counts(n=100, negative=10, analysed=20), Counts(n=400, negative=40), RULE
    )
    assert result.observed == pytest.approx(0.5)
    assert result.n == 20


def test_few_negative_items_are_not_enough_even_in_a_large_week():
    result = negative_share_test(Counts(n=20, negative=4), Counts(n=400, negative=0), RULE)
    assert result.p_value is None


def test_a_volume_spike_uses_the_conditional_binomial_test_of_two_rates():
    # 8 baseline weeks of 10 items; 40 items this week.
    result = volume_test(40, 80, RULE, current_exposure=1.0, baseline_exposure=8.0)
    assert result.expected == pytest.approx(10.0)
    assert result.p_value == pytest.approx(binom.sf(39, 120, 1 / 9))
    assert result.is_spike is True


def test_a_steady_volume_is_no_spike():
    result = volume_test(22, 160, RULE, current_exposure=1.0, baseline_exposure=8.0)
    assert result.expected == pytest.approx(20.0)
    assert result.is_spike is False


def test_a_part_week_is_compared_with_the_same_part_of_the_baseline_rate():
    # Half a week with 20 items against 20 a week: steady.
    result = volume_test(20, 160, RULE, current_exposure=0.5, baseline_exposure=8.0)
    assert result.expected == pytest.approx(10.0)
    assert result.is_spike is True  # 20 in half a week is twice the rate
    steady = volume_test(20, 320, RULE, current_exposure=0.5, baseline_exposure=8.0)
    assert steady.is_spike is False


def test_no_volume_test_below_the_minimum_count_or_without_a_baseline():
    assert volume_test(19, 8, RULE).p_value is None
    assert volume_test(200, 0, RULE).p_value is None


def test_find_spikes_returns_both_kinds_most_significant_first():
    scopes = [
        ScopeCounts("store", "sh01", Counts(n=60, negative=30), Counts(n=160, negative=16)),
        ScopeCounts("store", "bj01", Counts(n=20, negative=2), Counts(n=160, negative=16)),
    ]
    found = find_spikes(scopes, RULE)
    # sh01: 60 items against 20 a week (p = 3.1e-11), 50 % negative against 10 % (4.1e-11).
    assert [(scope.scope_key, test.kind) for scope, test in found] == [
        ("sh01", VOLUME),
        ("sh01", NEGATIVE_SHARE),
    ]
    assert found[0][1].p_value == pytest.approx(3.136e-11, rel=1e-3)
    assert found[0][1].p_value <= found[1][1].p_value
