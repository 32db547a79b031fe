"""Spike detection for feedback alerts: is this week's negative share, or this week's volume,
for one store, category or product significantly above its own baseline?

Pure functions (no Django): the caller counts items per scope for the current period and the
baseline weeks before it, and this module decides.

- **Negative share**: one-sided two-proportion z-test (pooled standard error) of the current
  period's negative share against the baseline's. H1: the current share is higher.
- **Volume**: the conditional (binomial) test of two Poisson rates (Przyborowski & Wilenski
  1940): given ``k`` items now over exposure ``t1`` and ``b`` items in the baseline over
  exposure ``t0``, under H0 (same rate) ``k ~ Binomial(k + b, t1 / (t0 + t1))``; the p-value
  is ``P(X >= k)``. It accounts for the baseline being an estimate too, unlike a Poisson test
  against a fixed expected rate.

A spike needs a minimum count (the current period and the baseline each at least
``min_count`` items; for the share test also at least ``min_negative`` negative items now) and
a p-value below ``alpha``. Below the minimum count no test is run: small stores stay quiet.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.stats import binom, norm

NEGATIVE_SHARE = "negative_share"
VOLUME = "volume"

DEFAULT_ALPHA = 0.01
DEFAULT_MIN_COUNT = 20
DEFAULT_MIN_NEGATIVE = 5
DEFAULT_BASELINE_WEEKS = 8


@dataclass(frozen=True)
class SpikeRule:
    """The test's settings: significance level, minimum counts, baseline length in weeks."""

    alpha: float = DEFAULT_ALPHA
    min_count: int = DEFAULT_MIN_COUNT
    min_negative: int = DEFAULT_MIN_NEGATIVE
    baseline_weeks: int = DEFAULT_BASELINE_WEEKS


@dataclass(frozen=True)
class Counts:
    """Items of one scope in one window: all of them (``n``, for volume), those with a
    sentiment (``analysed``, the share's denominator; None means all) and the negative ones."""

    n: int
    negative: int = 0
    analysed: int | None = None

    @property
    def rated(self) -> int:
        return self.n if self.analysed is None else self.analysed


@dataclass(frozen=True)
class SpikeTest:
    """One test's result. ``observed`` and ``expected`` are shares (0–1) for the share test and
    item counts for the volume test (expected = the baseline rate over the current exposure).
    ``p_value`` is None when the minimum count was not met (no test run)."""

    kind: str
    observed: float
    expected: float
    n: int
    baseline_n: int
    p_value: float | None
    is_spike: bool


def negative_share_test(current: Counts, baseline: Counts, rule: SpikeRule) -> SpikeTest:
    """One-sided pooled two-proportion z-test: is the current negative share above the
    baseline's?"""
    now_n, base_n = current.rated, baseline.rated
    observed = current.negative / now_n if now_n else 0.0
    expected = baseline.negative / base_n if base_n else 0.0
    enough = (
        now_n >= rule.min_count
        and base_n >= rule.min_count
        and current.negative >= rule.min_negative
    )
    p_value: float | None = None
    if enough:
        pooled = (current.negative + baseline.negative) / (now_n + base_n)
        variance = pooled * (1 - pooled) * (1 / now_n + 1 / base_n)
        if variance <= 0:
            p_value = 1.0  # every item negative in both windows (or none): no change to see
        else:
            z = (observed - expected) / math.sqrt(variance)
            p_value = float(norm.sf(z))
    return SpikeTest(
        kind=NEGATIVE_SHARE,
        observed=observed,
        expected=expected,
        n=now_n,
        baseline_n=base_n,
        p_value=p_value,
        is_spike=p_value is not None and p_value < rule.alpha and observed > expected,
    )


def volume_test(
    current_n: int,
    baseline_n: int,
    rule: SpikeRule,
    *,
    current_exposure: float = 1.0,
    baseline_exposure: float | None = None,
) -> SpikeTest:
    """Conditional binomial test of two Poisson rates: is the current rate of items above the
    baseline's? Exposures are in weeks (the current one may be a part of a week)."""
    if baseline_exposure is None:
        baseline_exposure = float(rule.baseline_weeks)
    if current_exposure <= 0 or baseline_exposure <= 0:
        raise ValueError("exposures must be positive")
    expected = baseline_n / baseline_exposure * current_exposure
    p_value: float | None = None
    if current_n >= rule.min_count and baseline_n >= rule.min_count:
        share_now = current_exposure / (current_exposure + baseline_exposure)
        # P(X >= k) = sf(k - 1)
        p_value = float(binom.sf(current_n - 1, current_n + baseline_n, share_now))
    return SpikeTest(
        kind=VOLUME,
        observed=float(current_n),
        expected=expected,
        n=current_n,
        baseline_n=baseline_n,
        p_value=p_value,
        is_spike=p_value is not None and p_value < rule.alpha and current_n > expected,
    )


@dataclass(frozen=True)
class ScopeCounts:
    """One scope's counts: ``scope_kind`` is ``store``, ``category`` or ``product``."""

    scope_kind: str
    scope_key: str
    current: Counts
    baseline: Counts


def find_spikes(
    scopes: list[ScopeCounts],
    rule: SpikeRule,
    *,
    current_exposure: float = 1.0,
) -> list[tuple[ScopeCounts, SpikeTest]]:
    """Both tests on every scope; the spikes only, most significant first."""
    found: list[tuple[ScopeCounts, SpikeTest]] = []
    for scope in scopes:
        for test in (
            negative_share_test(scope.current, scope.baseline, rule),
            volume_test(
                scope.current.n,
                scope.baseline.n,
                rule,
                current_exposure=current_exposure,
                baseline_exposure=float(rule.baseline_weeks),
            ),
        ):
            if test.is_spike:
                found.append((scope, test))
    found.sort(key=lambda pair: (pair[1].p_value or 0.0, pair[0].scope_kind, pair[0].scope_key))
    return found
