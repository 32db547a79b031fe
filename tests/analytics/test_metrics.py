"""CSAT, NPS and CES from counts, and changes between groups, against hand-worked figures,
SciPy and Newcombe's published example."""

import math

import numpy as np
import pytest
from scipy import stats

from kesheng.analytics.metrics import (
    ces_from_counts,
    compare,
    csat_from_counts,
    metric_from_counts,
    nps_from_counts,
)


def test_nps_from_counts_gives_the_score_interval_and_shares():
    # 5 promoters, 3 passives, 2 detractors: NPS 30; margin 1.959964·√0.061·100 = 48.4076.
    result = nps_from_counts({0: 2, 7: 3, 9: 4, 10: 1})
    assert result.to_json() == {
        "score": 30.0,
        "n": 10,
        "ci_low": -18.4075,
        "ci_high": 78.4075,
        "small_sample": True,
        "promoters": 0.5,
        "passives": 0.3,
        "detractors": 0.2,
    }


def test_csat_is_the_top_two_box_share_with_the_wilson_interval_and_the_mean():
    result = csat_from_counts({5: 5, 4: 3, 3: 1, 1: 1})
    assert result.to_json() == {
        "score": 80.0,
        "n": 10,
        "ci_low": 49.0162,
        "ci_high": 94.3318,
        "small_sample": True,
        "mean": 4.1,
    }


def test_ces_is_the_mean_with_the_t_interval_and_the_share_easy():
    result = ces_from_counts({7: 2, 5: 2, 3: 1})
    sample = [7, 7, 5, 5, 3]
    low, high = stats.t.interval(0.95, 4, loc=np.mean(sample), scale=stats.sem(sample))
    assert result.score.value == pytest.approx(5.4)
    assert result.score.low == pytest.approx(low, abs=1e-6)
    assert result.score.high == pytest.approx(high, abs=1e-6)
    assert result.extra["percent_easy"] == 80.0


def test_thirty_answers_are_no_longer_a_small_sample():
    assert nps_from_counts({10: 29}).score.is_small_sample is True
    assert nps_from_counts({10: 30}).score.is_small_sample is False


def test_no_answers_give_an_empty_score():
    assert nps_from_counts({}).to_json() == {
        "score": None,
        "n": 0,
        "ci_low": None,
        "ci_high": None,
        "small_sample": True,
        "promoters": None,
        "passives": None,
        "detractors": None,
    }


@pytest.mark.parametrize(("metric", "value"), [("nps", 11), ("csat", 0), ("ces", 2.5)])
def test_answers_off_the_scale_are_refused(metric, value):
    with pytest.raises(ValueError, match="whole points"):
        metric_from_counts(metric, {value: 1})


def test_change_of_nps_adds_the_two_variances():
    # 30 (variance 0.061·100² = 610 points²) -> 70 (variance 410):
    # 40 ± 1.959964·√1020 = 40 ± 62.5962, not significant with ten answers a side.
    change = compare(nps_from_counts({10: 5, 8: 3, 0: 2}), nps_from_counts({10: 8, 7: 1, 3: 1}))
    assert change.to_json() == {
        "difference": 40.0,
        "ci_low": -22.5962,
        "ci_high": 102.5962,
        "significant": False,
        "small_sample": True,
    }
    # The same shares with a hundred answers a side: 40 ± 1.959964·√102 = 40 ± 19.7947.
    change = compare(
        nps_from_counts({10: 50, 8: 30, 0: 20}), nps_from_counts({10: 80, 7: 10, 3: 10})
    )
    assert change.to_json() == {
        "difference": 40.0,
        "ci_low": 20.2053,
        "ci_high": 59.7947,
        "significant": True,
        "small_sample": False,
    }


def test_change_of_csat_reproduces_newcombes_published_example():
    # Newcombe (1998), Statistics in Medicine 17:873-890, table II, 56/70 − 48/80:
    # difference 0.2000, method 10 interval 0.0524 to 0.3339.
    first = csat_from_counts({5: 48, 2: 32})
    second = csat_from_counts({5: 56, 2: 14})
    change = compare(first, second)
    assert change.difference == pytest.approx(20.0)
    assert change.ci_low == pytest.approx(5.24, abs=0.005)
    assert change.ci_high == pytest.approx(33.39, abs=0.005)
    assert change.significant is True


def test_change_of_ces_is_welchs_interval():
    first_sample = [7] * 3 + [5] * 6 + [2] * 4
    second_sample = [7] * 9 + [6] * 5 + [4] * 2
    change = compare(ces_from_counts({7: 3, 5: 6, 2: 4}), ces_from_counts({7: 9, 6: 5, 4: 2}))
    welch = stats.ttest_ind(second_sample, first_sample, equal_var=False)
    interval = welch.confidence_interval(0.95)
    assert change.difference == pytest.approx(np.mean(second_sample) - np.mean(first_sample))
    assert change.ci_low == pytest.approx(interval.low, abs=1e-9)
    assert change.ci_high == pytest.approx(interval.high, abs=1e-9)
    # The interval excludes 0 (p = 0.008), but 13 and 16 answers are under 30: not claimed.
    assert welch.pvalue < 0.05
    assert change.significant is False
    assert change.small_sample is True


def test_a_change_whose_interval_covers_zero_is_not_significant():
    change = compare(nps_from_counts({10: 50, 0: 50}), nps_from_counts({10: 60, 0: 40}))
    assert change.difference == pytest.approx(20.0)
    assert change.ci_low < 0 < change.ci_high
    assert change.significant is False


def test_a_change_against_an_empty_group_has_no_difference():
    change = compare(nps_from_counts({}), nps_from_counts({10: 3}))
    assert change.to_json() == {
        "difference": None,
        "ci_low": None,
        "ci_high": None,
        "significant": False,
        "small_sample": True,
    }
    assert math.isclose(nps_from_counts({10: 3}).score.value, 100.0)


def test_results_of_different_metrics_cannot_be_compared():
    with pytest.raises(ValueError):
        compare(nps_from_counts({10: 1}), csat_from_counts({5: 1}))
