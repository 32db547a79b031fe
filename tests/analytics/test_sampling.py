"""The sample-size planner against hand-worked figures."""

import pytest

from kesheng.analytics.sampling import margin_of_error, required_sample_size


def test_95_percent_plus_minus_3_percent_needs_1068_responses():
    # 1.959964² · 0.25 / 0.03² = 1067.07, rounded up.
    assert required_sample_size(0.03) == 1068


def test_a_small_population_needs_fewer_with_the_finite_population_correction():
    # 1067.07 / (1 + 1066.07 / 1000) = 516.47, rounded up.
    assert required_sample_size(0.03, population=1000) == 517


def test_an_expected_proportion_away_from_half_needs_fewer():
    # 1.959964² · 0.2 · 0.8 / 0.05² = 245.86.
    assert required_sample_size(0.05, proportion=0.2) == 246


def test_the_margin_that_400_responses_give():
    assert margin_of_error(400) == pytest.approx(1.959964 * 0.025, abs=1e-6)
    # With N = 1000: × √(600 / 999).
    assert margin_of_error(400, population=1000) == pytest.approx(
        0.0489991 * (600 / 999) ** 0.5, abs=1e-6
    )


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"margin": 0}, "margin"),
        ({"margin": 0.03, "confidence": 1.0}, "confidence"),
        ({"margin": 0.03, "proportion": 1.5}, "proportion"),
        ({"margin": 0.03, "population": 0}, "population"),
    ],
)
def test_impossible_plans_are_refused_naming_the_argument(arguments, named):
    with pytest.raises(ValueError, match=named):
        required_sample_size(**arguments)
