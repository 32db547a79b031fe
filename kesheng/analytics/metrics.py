"""CSAT, NPS and CES from the count of each answer value, and the change between two of them
(pure maths, no Django; the method of each is written in docs/metrics.md).

The database groups answers (``GROUP BY value``) and hands over ``{value: count}``; these
functions turn the counts into a score with its n, its 95 % interval and the small-sample flag,
so the page, the CLI, the API and the reports all give the same number.

- NPS: share of 9-10 minus share of 0-6, in points (-100..100); interval
  NPS ± z·√((p_P + p_D − (p_P − p_D)²)/n)·100.
- CSAT: share of 4-5 on the 1-5 scale in % with the Wilson interval, and the mean.
- CES: mean on the 1-7 scale with the t interval, and the share answering 5-7 ("easy").
- A change between two independent groups: the difference with its interval, significant when
  the interval excludes 0 and both sides have n ≥ 30. NPS: the variances of the two NPS add.
  CSAT: Newcombe's hybrid score interval for a difference of proportions (built from each
  side's Wilson interval; it behaves at small n and near 0 % or 100 %, where the Wald interval
  does not). CES: Welch's t interval.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scipy import stats

from kesheng.core.statistics import (
    DEFAULT_CONFIDENCE,
    Score,
    mean_score_from_counts,
    nps_groups,
    nps_score,
    proportion_score,
    wilson_interval,
    z_value,
)

METRICS = ("nps", "csat", "ces")
# The scale of each metric's question type, both ends included.
SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
CSAT_SATISFIED = 4  # top-2-box: 4 and 5 on the 1-5 scale
CES_EASY = 5  # 5, 6 and 7 on the 1-7 scale ("somewhat easy" and better)


@dataclass(frozen=True)
class MetricResult:
    """One metric for one group of answers. ``score`` is NPS in points, CSAT's top-2-box share
    in %, or CES's mean; ``extra`` carries the metric's own figures (NPS shares, CSAT mean,
    CES share easy)."""

    metric: str
    score: Score
    extra: Mapping[str, float | None]
    counts: Mapping[int, int]

    @property
    def n(self) -> int:
        return self.score.n

    def to_json(self) -> dict[str, Any]:
        """The CLI and API shape: score, n, ci_low, ci_high, small_sample, then the extras."""
        document: dict[str, Any] = {
            "score": _rounded(self.score.value),
            "n": self.score.n,
            "ci_low": _rounded(self.score.low),
            "ci_high": _rounded(self.score.high),
            "small_sample": self.score.is_small_sample,
        }
        document.update({key: _rounded(value) for key, value in self.extra.items()})
        return document


def _rounded(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def _clean_counts(counts: Mapping[Any, int], metric: str) -> dict[int, int]:
    """Counts per whole scale point; values off the metric's scale are refused, because they
    mean the question is not what the caller thinks it is."""
    low, high = SCALES[metric]
    cleaned: dict[int, int] = {}
    for value, count in counts.items():
        if value is None or count == 0:
            continue
        point = float(value)
        if not point.is_integer() or not low <= point <= high:
            raise ValueError(f"{metric} answers must be whole points {low}..{high}, got {value}")
        if count < 0:
            raise ValueError("counts cannot be negative")
        cleaned[int(point)] = cleaned.get(int(point), 0) + int(count)
    return cleaned


def nps_from_counts(
    counts: Mapping[Any, int], confidence: float = DEFAULT_CONFIDENCE
) -> MetricResult:
    cleaned = _clean_counts(counts, "nps")
    promoters, passives, detractors = nps_groups(cleaned)
    n = promoters + passives + detractors
    score = nps_score(promoters, passives, detractors, confidence)
    shares: dict[str, float | None] = {
        "promoters": promoters / n if n else None,
        "passives": passives / n if n else None,
        "detractors": detractors / n if n else None,
    }
    return MetricResult("nps", score, shares, cleaned)


def csat_from_counts(
    counts: Mapping[Any, int], confidence: float = DEFAULT_CONFIDENCE
) -> MetricResult:
    cleaned = _clean_counts(counts, "csat")
    n = sum(cleaned.values())
    satisfied = sum(count for point, count in cleaned.items() if point >= CSAT_SATISFIED)
    mean = mean_score_from_counts({float(k): v for k, v in cleaned.items()}, confidence)
    extra: dict[str, float | None] = {"mean": mean.value}
    return MetricResult("csat", proportion_score(satisfied, n, confidence), extra, cleaned)


def ces_from_counts(
    counts: Mapping[Any, int], confidence: float = DEFAULT_CONFIDENCE
) -> MetricResult:
    cleaned = _clean_counts(counts, "ces")
    n = sum(cleaned.values())
    easy = sum(count for point, count in cleaned.items() if point >= CES_EASY)
    score = mean_score_from_counts({float(k): v for k, v in cleaned.items()}, confidence)
    extra: dict[str, float | None] = {"percent_easy": 100 * easy / n if n else None}
    return MetricResult("ces", score, extra, cleaned)


METRIC_FROM_COUNTS = {"nps": nps_from_counts, "csat": csat_from_counts, "ces": ces_from_counts}


def metric_from_counts(
    metric: str, counts: Mapping[Any, int], confidence: float = DEFAULT_CONFIDENCE
) -> MetricResult:
    if metric not in METRIC_FROM_COUNTS:
        raise ValueError(f"metric must be one of {', '.join(METRICS)}")
    return METRIC_FROM_COUNTS[metric](counts, confidence)


@dataclass(frozen=True)
class Change:
    """``second − first`` with its interval; ``significant`` when the interval excludes 0.
    ``difference`` is None when either side has no answers (nothing to compare)."""

    metric: str
    first: MetricResult
    second: MetricResult
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    confidence: float = DEFAULT_CONFIDENCE

    @property
    def small_sample(self) -> bool:
        return self.first.score.is_small_sample or self.second.score.is_small_sample

    @property
    def significant(self) -> bool:
        """The interval excludes 0 and both sides have at least 30 answers: below that the
        normal approximations behind these intervals are unreliable (one answer of 10 gives
        an NPS variance of 0), and a change there is not claimed."""
        if self.ci_low is None or self.ci_high is None or self.small_sample:
            return False
        return self.ci_low > 0 or self.ci_high < 0

    def to_json(self) -> dict[str, Any]:
        return {
            "difference": _rounded(self.difference),
            "ci_low": _rounded(self.ci_low),
            "ci_high": _rounded(self.ci_high),
            "significant": self.significant,
            "small_sample": self.small_sample,
        }


def _nps_variance(result: MetricResult) -> float:
    """The variance of one NPS, in points²."""
    promoters = result.extra["promoters"] or 0.0
    detractors = result.extra["detractors"] or 0.0
    difference = promoters - detractors
    return 10_000 * (promoters + detractors - difference * difference) / result.n


def compare(
    first: MetricResult, second: MetricResult, confidence: float = DEFAULT_CONFIDENCE
) -> Change:
    """The change from ``first`` to ``second`` (two independent groups: two periods, two
    stores), with its interval at ``confidence``."""
    if first.metric != second.metric:
        raise ValueError("both results must be of the same metric")
    metric = first.metric
    if first.n == 0 or second.n == 0:
        return Change(metric, first, second, None, None, None, confidence)
    if metric == "nps":
        difference = second.score.value - first.score.value  # type: ignore[operator]
        margin = z_value(confidence) * math.sqrt(_nps_variance(first) + _nps_variance(second))
        low, high = difference - margin, difference + margin
    elif metric == "csat":
        low, high, difference = _newcombe_difference(first, second, confidence)
    else:
        low, high, difference = _welch_difference(first, second, confidence)
    return Change(metric, first, second, difference, low, high, confidence)


def _satisfied(result: MetricResult) -> int:
    return sum(count for point, count in result.counts.items() if point >= CSAT_SATISFIED)


def _newcombe_difference(
    first: MetricResult, second: MetricResult, confidence: float
) -> tuple[float, float, float]:
    """Newcombe (1998) method 10: the difference p2 − p1 in points of %, with bounds built from
    each proportion's Wilson interval."""
    p1, p2 = _satisfied(first) / first.n, _satisfied(second) / second.n
    low1, high1 = wilson_interval(_satisfied(first), first.n, confidence)
    low2, high2 = wilson_interval(_satisfied(second), second.n, confidence)
    difference = p2 - p1
    low = difference - math.sqrt((p2 - low2) ** 2 + (high1 - p1) ** 2)
    high = difference + math.sqrt((high2 - p2) ** 2 + (p1 - low1) ** 2)
    return 100 * low, 100 * high, 100 * difference


def _moments(result: MetricResult) -> tuple[int, float, float]:
    """n, mean and sample variance from the counts."""
    n = result.n
    total = sum(point * count for point, count in result.counts.items())
    mean = total / n
    squares = sum(count * (point - mean) ** 2 for point, count in result.counts.items())
    return n, mean, squares / (n - 1) if n > 1 else 0.0


def _welch_difference(
    first: MetricResult, second: MetricResult, confidence: float
) -> tuple[float | None, float | None, float]:
    """Welch's t interval for the difference of two means (unequal variances, with the
    Welch-Satterthwaite degrees of freedom)."""
    n1, mean1, variance1 = _moments(first)
    n2, mean2, variance2 = _moments(second)
    difference = mean2 - mean1
    if n1 < 2 or n2 < 2:
        return None, None, difference
    part1, part2 = variance1 / n1, variance2 / n2
    standard_error = math.sqrt(part1 + part2)
    if standard_error == 0:
        return difference, difference, difference
    degrees = (part1 + part2) ** 2 / (part1**2 / (n1 - 1) + part2**2 / (n2 - 1))
    margin = float(stats.t.ppf(0.5 + confidence / 2, degrees)) * standard_error
    return difference - margin, difference + margin, difference
