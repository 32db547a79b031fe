"""Scores with their sample size and margin of error (pure maths, no Django).

- A proportion (CSAT: share of 4-5 answers) gets a Wilson score interval, which stays inside
  0-100 % and behaves at small n and at 0 % or 100 %, unlike the plain normal interval.
- NPS is the share of promoters (9-10) minus the share of detractors (0-6). Both shares come
  from one multinomial sample, so the variance of the difference is
  ``(p + d - (p - d)^2) / n``; the interval is NPS ± z · sqrt(that), in points of -100..100.
- A mean (CES, rating) gets a Student t interval from the sample standard deviation.

Every score says whether its n is under ``SMALL_SAMPLE`` (30), where the interval is wide and
the number should be read with care.
"""

import math
from dataclasses import dataclass
from statistics import NormalDist

SMALL_SAMPLE = 30
DEFAULT_CONFIDENCE = 0.95


@dataclass(frozen=True)
class Score:
    """A score, its interval (``low``..``high``) and margin (half the interval's width before
    clipping to the score's range). ``value`` is None when nobody answered."""

    value: float | None
    n: int
    low: float | None
    high: float | None
    margin: float | None
    confidence: float = DEFAULT_CONFIDENCE

    @property
    def is_small_sample(self) -> bool:
        return self.n < SMALL_SAMPLE


def _empty(confidence: float) -> Score:
    return Score(value=None, n=0, low=None, high=None, margin=None, confidence=confidence)


def z_value(confidence: float = DEFAULT_CONFIDENCE) -> float:
    """The two-sided standard normal critical value (1.959964 for 95 %)."""
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(
    successes: int, n: int, confidence: float = DEFAULT_CONFIDENCE
) -> tuple[float, float]:
    """The Wilson score interval of a proportion, as fractions 0..1."""
    if n <= 0:
        raise ValueError("n must be positive")
    if not 0 <= successes <= n:
        raise ValueError("successes must be between 0 and n")
    z = z_value(confidence)
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half_width = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    # At 0 % or 100 % the bound is exactly the edge; rounding would leave 1e-17.
    low = 0.0 if successes == 0 else max(0.0, centre - half_width)
    high = 1.0 if successes == n else min(1.0, centre + half_width)
    return low, high


def proportion_score(successes: int, n: int, confidence: float = DEFAULT_CONFIDENCE) -> Score:
    """A share in percent (0..100) with its Wilson interval in percent."""
    if n == 0:
        return _empty(confidence)
    low, high = wilson_interval(successes, n, confidence)
    return Score(
        value=100 * successes / n,
        n=n,
        low=100 * low,
        high=100 * high,
        margin=100 * (high - low) / 2,
        confidence=confidence,
    )


def nps_score(
    promoters: int, passives: int, detractors: int, confidence: float = DEFAULT_CONFIDENCE
) -> Score:
    """Net Promoter Score (-100..100) from the counts of 9-10, 7-8 and 0-6 answers."""
    n = promoters + passives + detractors
    if n == 0:
        return _empty(confidence)
    promoter_share = promoters / n
    detractor_share = detractors / n
    difference = promoter_share - detractor_share
    variance = (promoter_share + detractor_share - difference * difference) / n
    margin = 100 * z_value(confidence) * math.sqrt(max(variance, 0.0))
    value = 100 * difference
    return Score(
        value=value,
        n=n,
        low=max(-100.0, value - margin),
        high=min(100.0, value + margin),
        margin=margin,
        confidence=confidence,
    )


def nps_groups(counts: dict[int, int]) -> tuple[int, int, int]:
    """(promoters, passives, detractors) from a count per answer 0..10."""
    promoters = sum(count for point, count in counts.items() if point >= 9)
    passives = sum(count for point, count in counts.items() if 7 <= point <= 8)
    detractors = sum(count for point, count in counts.items() if point <= 6)
    return promoters, passives, detractors


def mean_score(
    n: int, total: float, total_of_squares: float, confidence: float = DEFAULT_CONFIDENCE
) -> Score:
    """A mean with its t interval, from n, the sum and the sum of squares (what SQL gives)."""
    if n == 0:
        return _empty(confidence)
    mean = total / n
    if n == 1:
        return Score(value=mean, n=1, low=None, high=None, margin=None, confidence=confidence)
    variance = max((total_of_squares - n * mean * mean) / (n - 1), 0.0)
    margin = t_critical(n - 1, confidence) * math.sqrt(variance / n)
    return Score(
        value=mean,
        n=n,
        low=mean - margin,
        high=mean + margin,
        margin=margin,
        confidence=confidence,
    )


@dataclass(frozen=True)
class Difference:
    """A treated-minus-control difference with its interval and two-sided p-value: the answer
    to "did it work?" for a campaign or a win-back list against its held-out control group.
    ``value``, ``low`` and ``high`` are None when either group is empty (or, for means, has
    fewer than two members); ``p_value`` is None then too."""

    value: float | None
    low: float | None
    high: float | None
    p_value: float | None
    confidence: float = DEFAULT_CONFIDENCE

    def is_significant(self) -> bool:
        return self.p_value is not None and self.p_value < 1 - self.confidence


def difference_of_proportions(
    treated_successes: int,
    treated_n: int,
    control_successes: int,
    control_n: int,
    confidence: float = DEFAULT_CONFIDENCE,
) -> Difference:
    """The difference of two independent proportions (treated − control) as fractions, with
    Newcombe's (1998, method 10) interval built from each group's Wilson interval, which keeps
    its coverage at small n and near 0 or 1, and the two-sided pooled two-proportion z-test."""
    if treated_n <= 0 or control_n <= 0:
        return Difference(None, None, None, None, confidence)
    treated = treated_successes / treated_n
    control = control_successes / control_n
    treated_low, treated_high = wilson_interval(treated_successes, treated_n, confidence)
    control_low, control_high = wilson_interval(control_successes, control_n, confidence)
    value = treated - control
    low = value - math.sqrt((treated - treated_low) ** 2 + (control_high - control) ** 2)
    high = value + math.sqrt((treated_high - treated) ** 2 + (control - control_low) ** 2)
    pooled = (treated_successes + control_successes) / (treated_n + control_n)
    standard_error = math.sqrt(pooled * (1 - pooled) * (1 / treated_n + 1 / control_n))
    if standard_error == 0:
        p_value = 1.0
    else:
        p_value = 2 * (1 - NormalDist().cdf(abs(value) / standard_error))
    return Difference(value, low, high, p_value, confidence)


def difference_of_means(
    treated: tuple[int, float, float],
    control: tuple[int, float, float],
    confidence: float = DEFAULT_CONFIDENCE,
) -> Difference:
    """The difference of two independent means (treated − control) with Welch's t interval and
    two-sided Welch t-test (unequal variances, Welch-Satterthwaite degrees of freedom). Each
    group is given as ``(n, sum, sum of squares)``, which SQL aggregates give directly (orders
    or revenue per member, zeros included for members who did nothing)."""
    (n1, total1, squares1), (n2, total2, squares2) = treated, control
    if n1 < 2 or n2 < 2:
        if n1 > 0 and n2 > 0:
            return Difference(total1 / n1 - total2 / n2, None, None, None, confidence)
        return Difference(None, None, None, None, confidence)
    mean1, mean2 = total1 / n1, total2 / n2
    variance1 = max((squares1 - n1 * mean1 * mean1) / (n1 - 1), 0.0)
    variance2 = max((squares2 - n2 * mean2 * mean2) / (n2 - 1), 0.0)
    value = mean1 - mean2
    part1, part2 = variance1 / n1, variance2 / n2
    standard_error = math.sqrt(part1 + part2)
    if standard_error == 0:
        return Difference(value, value, value, 1.0 if value == 0 else 0.0, confidence)
    degrees = (part1 + part2) ** 2 / (part1**2 / (n1 - 1) + part2**2 / (n2 - 1))
    margin = t_critical(degrees, confidence) * standard_error
    p_value = 2 * (1 - _t_cdf(abs(value) / standard_error, degrees))
    return Difference(value, value - margin, value + margin, min(1.0, p_value), confidence)


def mean_score_from_counts(
    counts: dict[float, int], confidence: float = DEFAULT_CONFIDENCE
) -> Score:
    """A mean with its t interval from a count per answer value (a scale's distribution)."""
    n = sum(counts.values())
    total = sum(value * count for value, count in counts.items())
    total_of_squares = sum(value * value * count for value, count in counts.items())
    return mean_score(n, total, total_of_squares, confidence)


def t_critical(degrees_of_freedom: float, confidence: float = DEFAULT_CONFIDENCE) -> float:
    """The two-sided Student t critical value (2.262157 for 9 degrees of freedom at 95 %),
    found by bisection on the t distribution function. Fractional degrees of freedom (Welch)
    are allowed."""
    if degrees_of_freedom < 1:
        raise ValueError("degrees of freedom must be at least 1")
    target = 0.5 + confidence / 2
    low, high = 0.0, 1.0
    while _t_cdf(high, degrees_of_freedom) < target:
        high *= 2
    for _ in range(200):
        middle = (low + high) / 2
        if _t_cdf(middle, degrees_of_freedom) < target:
            low = middle
        else:
            high = middle
        if high - low < 1e-12:
            break
    return (low + high) / 2


def _t_cdf(t: float, degrees_of_freedom: float) -> float:
    """P(T <= t) for t >= 0, through the regularised incomplete beta function."""
    x = degrees_of_freedom / (degrees_of_freedom + t * t)
    tail = 0.5 * _regularised_incomplete_beta(x, degrees_of_freedom / 2, 0.5)
    return 1 - tail


def _regularised_incomplete_beta(x: float, a: float, b: float) -> float:
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    front = math.exp(log_front)
    # The continued fraction converges fast only on this side of the mean; use the symmetry
    # I_x(a, b) = 1 - I_{1-x}(b, a) on the other.
    if x < (a + 1) / (a + b + 2):
        return front * _beta_continued_fraction(x, a, b) / a
    return 1 - front * _beta_continued_fraction(1 - x, b, a) / b


def _beta_continued_fraction(x: float, a: float, b: float) -> float:
    """The continued fraction of the incomplete beta function, by the modified Lentz method."""
    tiny = 1e-300
    c = 1.0
    d = 1 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 500):
        # Even step.
        numerator = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
        d = 1 + numerator * d
        d = 1 / (d if abs(d) > tiny else tiny)
        c = 1 + numerator / c
        c = c if abs(c) > tiny else tiny
        result *= d * c
        # Odd step.
        numerator = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
        d = 1 + numerator * d
        d = 1 / (d if abs(d) > tiny else tiny)
        c = 1 + numerator / c
        c = c if abs(c) > tiny else tiny
        step = d * c
        result *= step
        if abs(step - 1) < 1e-15:
            break
    return result
