"""Churn early warning: a risk score per customer from the indicators a CX team watches, with
the reasons for it (docs/analytics.md, "Churn early warning").

Pure NumPy on arrays aligned with a sorted array of customer ids; no Django. Two paths:

- **Rules** (``rule_scores``): each indicator becomes a component in [0, 1], the risk is their
  weighted sum (weights in ``WEIGHTS``, summing to 1), and every component at or above
  ``REASON_THRESHOLD`` is a reason, strongest contribution first, at most ``MAX_REASONS``.
- **Classifier** (``train_classifier``): a logistic regression on the business's own history,
  trained on the customers as they stood at one cut-off (label: no order in the window after
  it) and evaluated on a later cut-off it never saw (AUC, lift at the top decile). Callers use
  it only when ``has_enough_history`` says so; the reasons still come from the rules.

Reasons are structured codes with numbers (``{"code": "overdue", "days": 94, "usual": 30}``);
words are made from them at display time, in the reader's language.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

# How the rule-based score weighs each component (sums to 1).
WEIGHTS: dict[str, float] = {
    "overdue": 0.25,
    "low_p_alive": 0.15,
    "satisfaction": 0.25,
    "engagement_drop": 0.15,
    "cases": 0.20,
}
REASON_THRESHOLD = 0.25  # a component this strong or stronger is named as a reason
MAX_REASONS = 3
AT_RISK = 0.5  # the risk from which a customer is counted at risk in the scoring summary
ENGAGEMENT_WINDOW_DAYS = 90  # events in the last 90 days against the 90 before
COMPLAINT_WINDOW_DAYS = 90  # cases opened in the last 90 days
MIN_EVENTS_BEFORE = 3  # fewer events in the earlier window say nothing about a drop
DEFAULT_GAP_DAYS = 90.0  # the usual gap assumed when nobody has two orders yet

# The classifier path: the history it needs (see has_enough_history).
CHURN_WINDOW_DAYS = 90
MIN_TRAINING_CUSTOMERS = 200
MIN_CLASS_SIZE = 20  # churners and stayers, each, at both cut-offs
MIN_HOLDOUT_AUC = 0.6  # a classifier that does not beat this on the later period is not used


@dataclass(frozen=True)
class Indicators:
    """Every indicator of every customer, aligned with ``customer_ids`` (sorted). NaN where a
    value is unknown (no second order, no answer, P(alive) not fitted)."""

    customer_ids: np.ndarray
    days_since_last_order: np.ndarray
    usual_gap_days: np.ndarray
    orders: np.ndarray
    p_alive: np.ndarray
    nps: np.ndarray
    nps_change: np.ndarray
    nps_days_ago: np.ndarray
    csat: np.ndarray
    csat_change: np.ndarray
    csat_days_ago: np.ndarray
    events_recent: np.ndarray
    events_before: np.ndarray
    complaints: np.ndarray
    open_cases: np.ndarray


def _index_of(customer_ids: np.ndarray, pks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Position of each pk in the sorted ``customer_ids`` and a mask of the pks found there."""
    if len(customer_ids) == 0:
        return np.zeros(len(pks), dtype=np.int64), np.zeros(len(pks), dtype=bool)
    position = np.searchsorted(customer_ids, pks)
    position = np.minimum(position, len(customer_ids) - 1)
    return position, customer_ids[position] == pks


def order_rhythm(
    customer_ids: np.ndarray, customer_pks: np.ndarray, order_dates: np.ndarray, as_of: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Days since the last order, the usual gap (median days between distinct order days;
    NaN with one order day) and the number of order days, per customer, from the orders on or
    before ``as_of`` (a day). Customers without such orders get NaN, NaN, 0."""
    n = len(customer_ids)
    day = np.datetime64(as_of, "D").astype(np.int64)
    days = order_dates.astype("datetime64[D]").astype(np.int64)
    keep = days <= day
    position, found = _index_of(customer_ids, customer_pks[keep])
    group, days = position[found], days[keep][found]
    # Distinct order days per customer, in order: one int64 key per (customer, day) pair,
    # which np.unique sorts many times faster than the pairs as rows (10M orders: ~1 s).
    if len(group):
        first = days.min()
        span = int(days.max() - first) + 1
        keys = group.astype(np.int64) * span + (days - first)
        if len(keys) > 1 and bool(np.all(keys[1:] >= keys[:-1])):
            # Orders already sorted by customer and day (``sort_orders``): one linear pass.
            keys = keys[np.r_[True, keys[1:] != keys[:-1]]]
        else:
            keys = np.unique(keys)
        group, days = keys // span, keys % span + first
    else:
        group, days = np.zeros(0, np.int64), np.zeros(0, np.int64)
    counts = np.bincount(group, minlength=n)
    last = np.full(n, np.nan)
    if len(group):
        ends = np.flatnonzero(np.r_[group[1:] != group[:-1], True])
        last[group[ends]] = days[ends]
    since = day - last
    # Gaps between consecutive order days of the same customer; median per customer.
    same = group[1:] == group[:-1]
    gap_group, gaps = group[1:][same], np.diff(days)[same]
    usual = np.full(n, np.nan)
    if len(gaps):
        # Gaps sorted within each customer: one sort of an int64 key (faster than lexsort).
        gap_span = int(gaps.max()) + 1
        combined = np.sort(gap_group.astype(np.int64) * gap_span + gaps)
        gap_group, gaps = combined // gap_span, combined % gap_span
        gap_counts = np.bincount(gap_group, minlength=n)
        starts = np.r_[0, np.cumsum(gap_counts)[:-1]]
        has = gap_counts > 0
        low = starts[has] + (gap_counts[has] - 1) // 2
        high = starts[has] + gap_counts[has] // 2
        usual[has] = (gaps[low] + gaps[high]) / 2.0
    return since, usual, counts


def latest_answers(
    customer_ids: np.ndarray,
    customer_pks: np.ndarray,
    answer_dates: np.ndarray,
    values: np.ndarray,
    as_of: Any,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per customer, from the answers on or before ``as_of``: the latest value, its change
    from the one before (NaN with one answer) and how many days ago it was given."""
    n = len(customer_ids)
    day = np.datetime64(as_of, "D").astype(np.int64)
    days = answer_dates.astype("datetime64[D]").astype(np.int64)
    keep = days <= day
    position, found = _index_of(customer_ids, customer_pks[keep])
    group, days, values = position[found], days[keep][found], values[keep][found]
    latest, change, ago = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    if not len(group):
        return latest, change, ago
    # Stable on equal days: the answers keep the order they were given in.
    order = np.lexsort((days, group))
    group, days, values = group[order], days[order], values[order]
    ends = np.flatnonzero(np.r_[group[1:] != group[:-1], True])
    latest[group[ends]] = values[ends]
    ago[group[ends]] = day - days[ends]
    with_previous = ends[(ends > 0) & (group[np.maximum(ends - 1, 0)] == group[ends])]
    change[group[with_previous]] = values[with_previous] - values[with_previous - 1]
    return latest, change, ago


def count_per_customer(customer_ids: np.ndarray, customer_pks: np.ndarray, counts: np.ndarray):
    """Counts grouped elsewhere (``customer_pks``, ``counts``) spread onto ``customer_ids``."""
    position, found = _index_of(customer_ids, np.asarray(customer_pks, dtype=np.int64))
    result = np.zeros(len(customer_ids), dtype=np.int64)
    np.add.at(result, position[found], np.asarray(counts, dtype=np.int64)[found])
    return result


def components(ind: Indicators) -> dict[str, np.ndarray]:
    """Each rule component in [0, 1] (0 where its indicator is unknown):

    - overdue: days since the last order against the usual gap, 0 up to the usual gap and 1
      at three times it; a customer with one order day is measured against the median usual
      gap of everyone (``DEFAULT_GAP_DAYS`` when nobody has one).
    - low_p_alive: 1 - P(alive).
    - satisfaction: the worst of latest NPS (0 at 7 and above, 1 at 0), latest CSAT on 1-5
      (0 at 3 and above, 1 at 1), a fall in NPS (1 at a fall of 6 points) or in CSAT (1 at 2).
    - engagement_drop: 1 - events in the last 90 days / events in the 90 before, when there
      were at least ``MIN_EVENTS_BEFORE`` before.
    - cases: cases opened in the last 90 days, 0.5 each, and 0.5 for any still open.
    """
    known_gaps = ind.usual_gap_days[~np.isnan(ind.usual_gap_days)]
    fallback = float(np.median(known_gaps)) if len(known_gaps) else DEFAULT_GAP_DAYS
    gap = np.where(np.isnan(ind.usual_gap_days), fallback, ind.usual_gap_days)
    ratio = ind.days_since_last_order / np.maximum(gap, 1.0)
    overdue = np.nan_to_num(np.clip((ratio - 1.0) / 2.0, 0.0, 1.0))
    low_p_alive = np.nan_to_num(np.clip(1.0 - ind.p_alive, 0.0, 1.0))
    satisfaction = np.nan_to_num(
        np.fmax.reduce(
            [
                np.clip((7.0 - ind.nps) / 7.0, 0.0, 1.0),
                np.clip((3.0 - ind.csat) / 2.0, 0.0, 1.0),
                np.clip(-ind.nps_change / 6.0, 0.0, 1.0),
                np.clip(-ind.csat_change / 2.0, 0.0, 1.0),
            ]
        )
    )
    before = ind.events_before.astype(float)
    drop = 1.0 - ind.events_recent / np.maximum(before, 1.0)
    engagement = np.where(before >= MIN_EVENTS_BEFORE, np.clip(drop, 0.0, 1.0), 0.0)
    cases = np.clip(0.5 * ind.complaints + 0.5 * (ind.open_cases > 0), 0.0, 1.0)
    return {
        "overdue": overdue,
        "low_p_alive": low_p_alive,
        "satisfaction": satisfaction,
        "engagement_drop": engagement,
        "cases": cases,
    }


def _as_lists(ind: Indicators) -> Indicators:
    """The indicators with every array as a Python list (same fields), for per-row reads."""
    return Indicators(
        **{
            name: value.tolist() if isinstance(value, np.ndarray) else value
            for name, value in ind.__dict__.items()
        }
    )


def _reason(name: str, ind: Indicators, i: int, fallback_gap: float) -> list[dict[str, Any]]:
    """The structured reason(s) one component names for customer ``i``."""
    if name == "overdue":
        usual = ind.usual_gap_days[i]
        return [
            {
                "code": "overdue",
                "days": int(ind.days_since_last_order[i]),
                "usual": round(float(fallback_gap if math.isnan(usual) else usual)),
            }
        ]
    if name == "low_p_alive":
        return [{"code": "low_p_alive", "percent": round(100 * float(ind.p_alive[i]))}]
    if name == "engagement_drop":
        return [
            {
                "code": "engagement_drop",
                "recent": int(ind.events_recent[i]),
                "before": int(ind.events_before[i]),
                "days": ENGAGEMENT_WINDOW_DAYS,
            }
        ]
    if name == "cases":
        reasons: list[dict[str, Any]] = []
        if ind.complaints[i]:
            reasons.append(
                {
                    "code": "complaints",
                    "count": int(ind.complaints[i]),
                    "days": COMPLAINT_WINDOW_DAYS,
                }
            )
        elif ind.open_cases[i]:
            # An older case still open; recent complaints already say more.
            reasons.append({"code": "open_cases", "count": int(ind.open_cases[i])})
        return reasons
    # satisfaction: the scores and falls that are bad enough, NPS first.
    reasons = []
    for metric, floor, scale, fall in (("nps", 7.0, 7.0, 6.0), ("csat", 3.0, 2.0, 2.0)):
        latest = getattr(ind, metric)[i]
        change = getattr(ind, f"{metric}_change")[i]
        days = getattr(ind, f"{metric}_days_ago")[i]
        if not math.isnan(latest) and (floor - latest) / scale >= REASON_THRESHOLD:
            reasons.append({"code": f"low_{metric}", "score": _number(latest), "days": int(days)})
        elif not math.isnan(change) and -change / fall >= REASON_THRESHOLD:
            reasons.append(
                {
                    "code": f"{metric}_drop",
                    "from": _number(latest - change),
                    "to": _number(latest),
                    "days": int(days),
                }
            )
    return reasons


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(float(value), 1)


def sort_orders(
    customer_pks: np.ndarray, order_dates: np.ndarray, amounts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The orders sorted by customer and day: ``order_rhythm`` then finds each customer's
    distinct days in one pass instead of a sort, at every cut-off."""
    if len(customer_pks) == 0:
        return customer_pks, order_dates, amounts
    days = order_dates.astype("datetime64[D]").astype(np.int64)
    first = days.min()
    span = int(days.max() - first) + 1
    order = np.argsort(customer_pks.astype(np.int64) * span + (days - first))
    return customer_pks[order], order_dates[order], amounts[order]


@dataclass(frozen=True)
class RuleResult:
    risk: np.ndarray  # float in [0, 1], aligned with the indicators' customer ids
    reasons: list[list[dict[str, Any]]]


def rule_scores(ind: Indicators) -> RuleResult:
    """The rule-based risk (weighted sum of ``components``) and each customer's reasons."""
    parts = components(ind)
    names = list(WEIGHTS)
    matrix = np.stack([parts[name] for name in names], axis=1)
    weights = np.array([WEIGHTS[name] for name in names])
    risk = np.round(matrix @ weights, 4)
    known_gaps = ind.usual_gap_days[~np.isnan(ind.usual_gap_days)]
    fallback = float(np.median(known_gaps)) if len(known_gaps) else DEFAULT_GAP_DAYS
    contribution = np.where(matrix >= REASON_THRESHOLD, matrix * weights, 0.0)
    # Strongest contribution first; ties in the order of WEIGHTS.
    ranking = np.argsort(-contribution, axis=1, kind="stable")
    reasons: list[list[dict[str, Any]]] = [[] for _ in range(len(risk))]
    explained = np.flatnonzero(contribution.max(axis=1, initial=0.0) > 0)
    # Plain Python lists for the per-customer loop: indexing a NumPy array one element at a
    # time costs several times more, and a million customers may need reasons.
    columns = _as_lists(ind)
    ranked = ranking[explained].tolist()
    contributions = contribution[explained].tolist()
    for i, order, row in zip(explained.tolist(), ranked, contributions, strict=True):
        found: list[dict[str, Any]] = []
        for k in order:
            if row[k] <= 0:
                break
            found.extend(_reason(names[k], columns, i, fallback))
        reasons[i] = found[:MAX_REASONS]
    return RuleResult(risk=risk, reasons=reasons)


# --------------------------------------------------------------------------------------------
# The classifier path


def features(ind: Indicators) -> np.ndarray:
    """The classifier's inputs: the rule components and the raw order rhythm, scaled so that a
    logistic regression with default regularisation reads them alike."""
    parts = components(ind)
    recency = np.log1p(np.nan_to_num(ind.days_since_last_order, nan=365.0))
    orders = np.log1p(ind.orders.astype(float))
    return np.column_stack([*(parts[name] for name in WEIGHTS), recency, orders])


def churn_labels(
    customer_ids: np.ndarray,
    customer_pks: np.ndarray,
    order_dates: np.ndarray,
    cutoff: Any,
    window_days: int = CHURN_WINDOW_DAYS,
) -> np.ndarray:
    """True for each customer with no order in the ``window_days`` after ``cutoff``."""
    start = np.datetime64(cutoff, "D").astype(np.int64)
    days = order_dates.astype("datetime64[D]").astype(np.int64)
    inside = (days > start) & (days <= start + window_days)
    position, found = _index_of(customer_ids, customer_pks[inside])
    ordered = np.zeros(len(customer_ids), dtype=bool)
    ordered[position[found]] = True
    return ~ordered


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney, ties counted half)."""
    positives = labels.astype(bool)
    n_pos, n_neg = int(positives.sum()), int((~positives).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="stable")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    # Average ranks over ties.
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    average = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(average, counts)
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def lift_at_top_decile(labels: np.ndarray, scores: np.ndarray) -> float:
    """Churn rate among the riskiest tenth (at least one customer) over the overall rate."""
    base = float(np.mean(labels))
    if base == 0:
        return float("nan")
    top = max(1, int(np.ceil(len(scores) / 10)))
    riskiest = np.argsort(-scores, kind="stable")[:top]
    return float(np.mean(labels[riskiest]) / base)


def has_enough_history(
    first_order_day: Any, as_of: Any, train_labels: np.ndarray, test_labels: np.ndarray
) -> tuple[bool, str]:
    """Whether a classifier can be trained and checked, and if not why (a code): the orders
    must span two windows plus one for the indicators before the first cut-off, and each
    cut-off must have ``MIN_TRAINING_CUSTOMERS`` customers with ``MIN_CLASS_SIZE`` churners
    and as many stayers."""
    span = int(np.datetime64(as_of, "D").astype(np.int64)) - int(
        np.datetime64(first_order_day, "D").astype(np.int64)
    )
    if span < 3 * CHURN_WINDOW_DAYS:
        return False, "history_too_short"
    for labels in (train_labels, test_labels):
        churners = int(labels.sum())
        if len(labels) < MIN_TRAINING_CUSTOMERS:
            return False, "too_few_customers"
        if churners < MIN_CLASS_SIZE or len(labels) - churners < MIN_CLASS_SIZE:
            return False, "too_few_churners_or_stayers"
    return True, ""


@dataclass
class ClassifierResult:
    model: Any  # sklearn LogisticRegression
    auc: float
    lift_top_decile: float
    train_customers: int
    test_customers: int
    train_churn_rate: float
    test_churn_rate: float

    def predict(self, x: np.ndarray) -> np.ndarray:
        with threadpool_limits(limits=1):
            return np.round(self.model.predict_proba(x)[:, 1], 4)

    def to_json(self) -> dict[str, Any]:
        return {
            "auc": round(self.auc, 4),
            "lift_top_decile": round(self.lift_top_decile, 4),
            "train_customers": self.train_customers,
            "test_customers": self.test_customers,
            "train_churn_rate": round(self.train_churn_rate, 4),
            "test_churn_rate": round(self.test_churn_rate, 4),
            "coefficients": dict(
                zip(
                    [*WEIGHTS, "log_recency", "log_orders"],
                    [round(float(c), 4) for c in self.model.coef_[0]],
                    strict=True,
                )
            ),
        }


def train_classifier(
    x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray
) -> ClassifierResult:
    """Fit a logistic regression on the earlier cut-off and evaluate it on the later one."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(max_iter=1000)
    # One BLAS/OpenMP thread: on a shared machine (the nightly run beside the web and the
    # workers) threads fighting over the cores were many times slower than one (as k-means).
    with threadpool_limits(limits=1):
        model.fit(x_train, y_train.astype(int))
        scores = model.predict_proba(x_test)[:, 1]
    return ClassifierResult(
        model=model,
        auc=auc(y_test, scores),
        lift_top_decile=lift_at_top_decile(y_test, scores),
        train_customers=len(y_train),
        test_customers=len(y_test),
        train_churn_rate=float(np.mean(y_train)),
        test_churn_rate=float(np.mean(y_test)),
    )
