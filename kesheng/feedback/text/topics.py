"""Emerging topics: the keywords whose share of comments rose significantly this period.

For each term, the number of comments that mention it in the current period (``count`` of
``total``) is compared with the baseline (the previous periods pooled: ``baseline_count`` of
``baseline_total``) by **Dunning's log-likelihood ratio G²** on the 2×2 table (mentions /
not, current / baseline). G² is chi-squared with one degree of freedom under "same share";
its signed square root is about standard normal, which gives a **one-sided** p-value for
"the share rose". Terms mentioned in fewer than ``min_count`` comments this period are not
tested (a word in 3 of 40 comments is no topic), and the p-values of the tested terms are
adjusted for testing many at once by **Benjamini–Hochberg**: a term is emerging when its
adjusted value (q) is at most ``alpha`` (5 % by default: of the terms called emerging, about
5 % are expected to be noise). G² is used rather than a z-test because it stays accurate for
rare terms (Dunning 1993, *Accurate methods for the statistics of surprise and coincidence*).

A term new this period (never in the baseline) can emerge; with no baseline at all nothing
does (there is nothing to rise from).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

MIN_COUNT = 5
ALPHA = 0.05


@dataclass(frozen=True)
class EmergingTopic:
    term: str
    count: int  # comments mentioning it this period
    share: float  # count / comments this period
    baseline_count: int
    baseline_share: float
    g2: float
    p_value: float  # one-sided, the share rose
    q_value: float  # Benjamini–Hochberg adjusted

    @property
    def lift(self) -> float | None:
        """How many times its baseline share; None when it is new."""
        return self.share / self.baseline_share if self.baseline_share else None

    def as_dict(self) -> dict:
        return {
            "term": self.term,
            "count": self.count,
            "share": round(self.share, 4),
            "baseline_count": self.baseline_count,
            "baseline_share": round(self.baseline_share, 4),
            "lift": round(self.lift, 2) if self.lift is not None else None,
            "g2": round(self.g2, 3),
            "p_value": self.p_value,
            "q_value": self.q_value,
        }


def _x_log_x_over(observed: float, expected: float) -> float:
    return observed * math.log(observed / expected) if observed > 0 else 0.0


def log_likelihood_g2(count: int, total: int, baseline_count: int, baseline_total: int) -> float:
    """Dunning's G² for the 2×2 table of mentions in two periods (0 when either is empty)."""
    if total <= 0 or baseline_total <= 0:
        return 0.0
    grand = total + baseline_total
    mentions = count + baseline_count
    cells = (
        (count, total * mentions / grand),
        (total - count, total * (grand - mentions) / grand),
        (baseline_count, baseline_total * mentions / grand),
        (baseline_total - baseline_count, baseline_total * (grand - mentions) / grand),
    )
    return max(0.0, 2.0 * sum(_x_log_x_over(observed, expected) for observed, expected in cells))


def one_sided_p(g2: float, rose: bool) -> float:
    """P(a rise this large or larger | same share), from the signed root of G²."""
    root = math.sqrt(g2) if rose else -math.sqrt(g2)
    return 0.5 * math.erfc(root / math.sqrt(2.0))


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """The Benjamini–Hochberg adjusted values (q), in the order given."""
    count = len(p_values)
    order = sorted(range(count), key=lambda index: p_values[index])
    adjusted = [1.0] * count
    running = 1.0
    for rank in range(count, 0, -1):
        index = order[rank - 1]
        running = min(running, p_values[index] * count / rank)
        adjusted[index] = running
    return adjusted


def document_frequencies(documents: Iterable[Iterable[str]]) -> tuple[Counter[str], int]:
    """How many documents mention each term (once per document), and how many documents."""
    frequencies: Counter[str] = Counter()
    total = 0
    for terms in documents:
        total += 1
        frequencies.update(set(terms))
    return frequencies, total


def emerging_topics(
    current: Iterable[Iterable[str]],
    baseline: Iterable[Iterable[str]],
    *,
    min_count: int = MIN_COUNT,
    alpha: float = ALPHA,
    limit: int | None = 10,
) -> list[EmergingTopic]:
    """The terms of ``current`` (one list of terms per comment) whose share rose
    significantly against ``baseline``, strongest evidence first."""
    counts, total = document_frequencies(current)
    baseline_counts, baseline_total = document_frequencies(baseline)
    if total == 0 or baseline_total == 0:
        return []
    tested = []
    for term, count in counts.items():
        if count < min_count:
            continue
        baseline_count = baseline_counts.get(term, 0)
        share, baseline_share = count / total, baseline_count / baseline_total
        g2 = log_likelihood_g2(count, total, baseline_count, baseline_total)
        tested.append(
            (
                term,
                count,
                share,
                baseline_count,
                baseline_share,
                g2,
                one_sided_p(g2, share > baseline_share),
            )
        )
    q_values = benjamini_hochberg([row[6] for row in tested])
    topics = [
        EmergingTopic(term, count, share, baseline_count, baseline_share, g2, p, q)
        for (term, count, share, baseline_count, baseline_share, g2, p), q in zip(
            tested, q_values, strict=True
        )
        if q <= alpha and share > baseline_share
    ]
    topics.sort(key=lambda topic: (topic.p_value, -topic.count, topic.term))
    return topics[:limit] if limit is not None else topics
