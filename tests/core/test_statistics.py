"""Score maths, checked against values worked by hand (and against published tables)."""

import pytest

from kesheng.core.statistics import (
    SMALL_SAMPLE,
    difference_of_means,
    difference_of_proportions,
    mean_score,
    mean_score_from_counts,
    nps_groups,
    nps_score,
    proportion_score,
    t_critical,
    wilson_interval,
    z_value,
)


def test_z_value_for_95_percent_is_1_96():
    assert z_value(0.95) == pytest.approx(1.959964, abs=1e-6)


@pytest.mark.parametrize(
    ("degrees_of_freedom", "expected"),
    [(1, 12.706205), (4, 2.776445), (9, 2.262157), (29, 2.045230), (120, 1.979930)],
)
def test_t_critical_matches_the_published_table(degrees_of_freedom, expected):
    assert t_critical(degrees_of_freedom, 0.95) == pytest.approx(expected, abs=1e-5)


def test_wilson_interval_of_8_out_of_10():
    # p = 0.8, z² = 3.841459; centre = (0.8 + 0.192073) / 1.384146 = 0.716740;
    # half width = 1.959964 · sqrt(0.016 + 0.009604) / 1.384146 = 0.226578.
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.490162, abs=1e-6)
    assert high == pytest.approx(0.943318, abs=1e-6)


def test_wilson_interval_stays_inside_zero_and_one_at_the_edges():
    low, high = wilson_interval(0, 20)
    assert low == 0.0
    assert high == pytest.approx(0.161125, abs=1e-6)  # z² / (n + z²) = 3.841459 / 23.841459
    low, high = wilson_interval(20, 20)
    assert low == pytest.approx(0.838875, abs=1e-6)
    assert high == 1.0


def test_wilson_interval_refuses_impossible_counts():
    with pytest.raises(ValueError):
        wilson_interval(3, 0)
    with pytest.raises(ValueError):
        wilson_interval(11, 10)


def test_proportion_score_is_in_percent_with_its_margin():
    score = proportion_score(8, 10)
    assert score.value == 80.0
    assert score.n == 10
    assert score.low == pytest.approx(49.0162, abs=1e-4)
    assert score.high == pytest.approx(94.3318, abs=1e-4)
    assert score.margin == pytest.approx(22.6578, abs=1e-4)
    assert score.is_small_sample is True


def test_nps_of_5_promoters_3_passives_2_detractors():
    # NPS = 50 % - 20 % = 30; variance = (0.5 + 0.2 - 0.3²) / 10 = 0.061;
    # margin = 100 · 1.959964 · sqrt(0.061) = 48.4076.
    score = nps_score(5, 3, 2)
    assert score.value == pytest.approx(30.0)
    assert score.n == 10
    assert score.margin == pytest.approx(48.4076, abs=1e-4)
    assert score.low == pytest.approx(-18.4076, abs=1e-4)
    assert score.high == pytest.approx(78.4076, abs=1e-4)


def test_nps_interval_is_clipped_to_its_range():
    score = nps_score(3, 0, 0)
    assert score.value == 100.0
    assert score.margin == 0.0
    assert score.high == 100.0
    score = nps_score(2, 0, 1)
    assert score.high == 100.0  # 33.3 + 100 · 1.96 · sqrt((1 - 1/9) / 3) = 140.0, clipped
    assert score.low == pytest.approx(-73.3536, abs=1e-4)


def test_nps_groups_split_answers_at_6_and_9():
    counts = {0: 1, 6: 2, 7: 3, 8: 4, 9: 5, 10: 6}
    assert nps_groups(counts) == (11, 7, 3)


def test_mean_score_has_a_t_interval():
    # 1, 2, 3, 4, 5: mean 3, sample variance (55 - 45) / 4 = 2.5, standard error sqrt(0.5),
    # margin 2.776445 · 0.707107 = 1.963243.
    score = mean_score(5, 15, 55)
    assert score.value == 3.0
    assert score.margin == pytest.approx(1.963243, abs=1e-6)
    assert score.low == pytest.approx(1.036757, abs=1e-6)
    assert score.high == pytest.approx(4.963243, abs=1e-6)


def test_mean_score_from_counts_equals_mean_score_from_sums():
    assert mean_score_from_counts({1: 1, 2: 1, 3: 1, 4: 1, 5: 1}) == mean_score(5, 15, 55)


def test_a_single_answer_has_a_mean_but_no_interval():
    score = mean_score(1, 4, 16)
    assert (score.value, score.low, score.high, score.margin) == (4.0, None, None, None)


def test_no_answers_give_no_score():
    for score in (proportion_score(0, 0), nps_score(0, 0, 0), mean_score(0, 0, 0)):
        assert score.value is None
        assert score.n == 0
        assert score.is_small_sample is True


def test_thirty_answers_are_no_longer_a_small_sample():
    assert SMALL_SAMPLE == 30
    assert proportion_score(15, 29).is_small_sample is True
    assert proportion_score(15, 30).is_small_sample is False


def test_difference_of_proportions_matches_newcombe_1998_example():
    # Newcombe (1998), Statistics in Medicine 17:873-890, table II: 56/70 against 48/80,
    # method 10 gives the interval 0.0524 to 0.3339 around a difference of 0.2.
    difference = difference_of_proportions(56, 70, 48, 80)
    assert difference.value == pytest.approx(0.2)
    assert difference.low == pytest.approx(0.0524, abs=5e-5)
    assert difference.high == pytest.approx(0.3339, abs=5e-5)
    assert difference.p_value == pytest.approx(0.00805, abs=5e-5)
    assert difference.is_significant()


def test_difference_of_proportions_with_an_empty_group_is_unknown():
    difference = difference_of_proportions(3, 10, 0, 0)
    assert difference.value is None and difference.p_value is None
    assert not difference.is_significant()


def test_difference_of_means_matches_welch_t_test():
    # Checked against scipy.stats.ttest_ind(equal_var=False) on
    # [3, 0, 5, 2, 0, 0, 7, 1, 4, 0] against [0, 1, 0, 2, 0, 0, 1, 0].
    difference = difference_of_means((10, 22.0, 104.0), (8, 4.0, 6.0))
    assert difference.value == pytest.approx(1.7)
    assert difference.low == pytest.approx(-0.126976, abs=1e-5)
    assert difference.high == pytest.approx(3.526976, abs=1e-5)
    assert difference.p_value == pytest.approx(0.065201, abs=1e-5)
    assert not difference.is_significant()


def test_difference_of_means_needs_two_in_each_group_for_an_interval():
    difference = difference_of_means((1, 5.0, 25.0), (3, 3.0, 5.0))
    assert difference.value == pytest.approx(4.0)
    assert difference.low is None and difference.p_value is None
