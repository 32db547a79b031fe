"""The sample-size planner (pure maths): how many responses a proportion needs for a margin of
error, and the margin the responses in hand give.

For a large population n0 = z²·p(1−p)/e². For a population of N people, the finite-population
correction gives n = n0 / (1 + (n0 − 1)/N). Rounded up, because a fraction of a respondent
cannot be surveyed: 95 %, ±3 %, p = 0.5 and a large population need 1,068 responses.
"""

import math
from dataclasses import dataclass

from kesheng.core.statistics import DEFAULT_CONFIDENCE, z_value


def _check(confidence: float, proportion: float, population: int | None) -> None:
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1, e.g. 0.95")
    if not 0 <= proportion <= 1:
        raise ValueError("proportion must be between 0 and 1, e.g. 0.5")
    if population is not None and population < 1:
        raise ValueError("population must be at least 1")


def required_sample_size(
    margin: float,
    *,
    confidence: float = DEFAULT_CONFIDENCE,
    proportion: float = 0.5,
    population: int | None = None,
) -> int:
    """Responses needed so that a proportion's interval is ± ``margin`` (a fraction: 0.03)."""
    _check(confidence, proportion, population)
    if not 0 < margin < 1:
        raise ValueError("margin must be between 0 and 1, e.g. 0.03 for ±3 %")
    z = z_value(confidence)
    needed = z * z * proportion * (1 - proportion) / (margin * margin)
    if population is not None:
        needed = needed / (1 + (needed - 1) / population)
    # A hair of floating-point noise above a whole number must not add a respondent.
    return max(1, math.ceil(round(needed, 9)))


def margin_of_error(
    n: int,
    *,
    confidence: float = DEFAULT_CONFIDENCE,
    proportion: float = 0.5,
    population: int | None = None,
) -> float:
    """The ± margin (a fraction) that ``n`` responses give for a proportion; with the
    finite-population correction √((N − n)/(N − 1)) when the population is known."""
    _check(confidence, proportion, population)
    if n < 1:
        raise ValueError("n must be at least 1")
    if population is not None and n > population:
        raise ValueError("n cannot be larger than the population")
    margin = z_value(confidence) * math.sqrt(proportion * (1 - proportion) / n)
    if population is not None:
        margin *= math.sqrt((population - n) / (population - 1)) if population > 1 else 0.0
    return margin


@dataclass(frozen=True)
class SamplePlan:
    """A planner's answer, in percent as people say it: ``needed`` responses for ± ``margin``
    %, and the ± ``margin_given`` % that ``responses`` in hand give (None without them)."""

    confidence: float
    margin: float
    proportion: float
    population: int | None
    needed: int
    responses: int | None
    margin_given: float | None

    @property
    def confidence_percent(self) -> float:
        return self.confidence * 100

    def to_json(self) -> dict[str, float | int | None]:
        return {
            "confidence": self.confidence,
            "margin": self.margin,
            "proportion": self.proportion,
            "population": self.population,
            "responses_needed": self.needed,
            "responses": self.responses,
            "margin_given": self.margin_given,
        }


def plan_sample(
    *,
    margin: float,
    confidence: float = DEFAULT_CONFIDENCE,
    proportion: float = 50.0,
    population: int | None = None,
    responses: int | None = None,
) -> SamplePlan:
    """The planner in percent: ``margin`` 3 means ±3 %, ``proportion`` 50 means 50 %."""
    margin, proportion = float(margin), float(proportion)
    needed = required_sample_size(
        margin / 100, confidence=confidence, proportion=proportion / 100, population=population
    )
    given = None
    if responses is not None:
        given = 100 * margin_of_error(
            responses, confidence=confidence, proportion=proportion / 100, population=population
        )
    return SamplePlan(confidence, margin, proportion, population, needed, responses, given)
