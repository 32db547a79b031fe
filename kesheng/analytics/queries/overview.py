"""The analytics page's numbers (``/analytics/``), from the stored customer scores: the RFM
grid and segments, the CLV distribution and the top customers by CLV, the churn-risk list with
its reasons, and the last scoring run's report. Every read is limited to a store manager's
customers (those who ordered at one of their stores); a handful of grouped queries whatever
the number of customers."""

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    F,
    FloatField,
    IntegerField,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Floor
from django.utils import translation

from kesheng.analytics.models import ChurnMethod, CustomerScore, RfmSegment, ScoringRun
from kesheng.analytics.queries.scores import describe_churn_reasons
from kesheng.analytics.rfm import SEGMENT_GRID, SEGMENTS
from kesheng.commerce.queries import customers_of_stores

HISTOGRAM_BINS = 20
# The histogram spans CLV 0 to this quantile; the long tail above is one last bar.
HISTOGRAM_TOP_QUANTILE = 0.99


def visible_scores(store_ids: frozenset[int] | None) -> QuerySet[CustomerScore]:
    """Every customer's scores, or for a store manager only those of the customers who ordered
    at one of their stores."""
    scores = CustomerScore.objects.all()
    if store_ids is not None:
        scores = scores.filter(customer_id__in=customers_of_stores(store_ids))
    return scores


def _money(value: Decimal | float | None) -> float:
    return round(float(value or 0), 2)


def segment_labels() -> dict[str, dict[str, str]]:
    """Each segment's label in Chinese and English, whatever the reader's language."""
    labels: dict[str, dict[str, str]] = {key: {} for key in SEGMENTS}
    for language, code in (("zh", "zh-hans"), ("en", "en")):
        with translation.override(code):
            for key, label in RfmSegment.choices:
                labels[key][language] = str(label)
    return labels


def rfm_grid(scores: QuerySet[CustomerScore]) -> dict[str, Any]:
    """The R × F grid (rows R 5 to 1, columns F 1 to 5; each cell its segment, customers and
    spend) and the segment table (customers, share, total and mean spend, CLV), in one grouped
    query."""
    rows = list(
        scores.order_by()
        .values("r", "f", "segment")
        .annotate(customers=Count("pk"), monetary=Sum("monetary"), clv=Sum("clv"))
    )
    cells = {(row["r"], row["f"]): row for row in rows}
    total = sum(row["customers"] for row in rows)
    largest = max((row["customers"] for row in rows), default=0)
    names = dict(RfmSegment.choices)
    grid = []
    for r in range(5, 0, -1):
        line = []
        for f in range(1, 6):
            row = cells.get((r, f), {})
            customers = row.get("customers", 0)
            line.append(
                {
                    "r": r,
                    "f": f,
                    "segment": SEGMENT_GRID[r - 1][f - 1],
                    "label": str(names[SEGMENT_GRID[r - 1][f - 1]]),
                    "customers": customers,
                    "monetary": _money(row.get("monetary")),
                    "intensity": round(customers / largest, 3) if largest else 0.0,
                }
            )
        grid.append({"r": r, "cells": line})
    labels = segment_labels()
    segments = []
    for key in SEGMENTS:
        mine = [row for row in rows if row["segment"] == key]
        customers = sum(row["customers"] for row in mine)
        monetary = sum(float(row["monetary"] or 0) for row in mine)
        clv_values = [float(row["clv"]) for row in mine if row["clv"] is not None]
        segments.append(
            {
                "segment": key,
                "label_zh": labels[key]["zh"],
                "label_en": labels[key]["en"],
                "customers": customers,
                "share": round(customers / total, 4) if total else 0.0,
                "monetary": round(monetary, 2),
                "mean_monetary": round(monetary / customers, 2) if customers else None,
                "clv": round(sum(clv_values), 2) if clv_values else None,
            }
        )
    return {"customers": total, "grid": grid, "segments": segments}


def _nice_step(span: float, bins: int) -> float:
    """A bar width of 1, 2 or 5 times a power of ten that covers ``span`` in at most
    ``bins`` bars."""
    raw = span / bins
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return factor * power
    return 10 * power  # pragma: no cover - the loop always returns


def clv_histogram(scores: QuerySet[CustomerScore]) -> dict[str, Any]:
    """The CLV distribution as bars of equal width from 0 to about the 99th percentile (the
    customers above it in a last bar "≥ x"), in three queries: the count, the percentile and
    the grouped bars. Customers without a CLV (models not fitted) are left out."""
    valued = scores.filter(clv__isnull=False)
    n = valued.count()
    if n == 0:
        return {"n": 0, "bars": [], "step": None}
    position = min(n - 1, int(HISTOGRAM_TOP_QUANTILE * n))
    cap = float(valued.order_by("clv").values_list("clv", flat=True)[position])
    step = _nice_step(max(cap, 1.0), HISTOGRAM_BINS)
    bins = math.ceil(max(cap, 1.0) / step)
    value = Cast(F("clv"), FloatField())
    index = Case(
        When(clv__lt=0, then=Value(0)),
        When(clv__gte=Decimal(str(round(bins * step, 6))), then=Value(bins)),
        default=Cast(Floor(value / step), IntegerField()),
        output_field=IntegerField(),
    )
    counts = dict(
        valued.order_by()
        .annotate(bar=index)
        .values("bar")
        .annotate(customers=Count("pk"))
        .values_list("bar", "customers")
    )
    bars = [
        {
            "low": round(i * step, 2),
            "high": round((i + 1) * step, 2) if i < bins else None,
            "customers": counts.get(i, 0),
        }
        for i in range(bins + 1)
    ]
    if bars[-1]["customers"] == 0:
        bars.pop()
    return {"n": n, "bars": bars, "step": step}


def _customer_rows(scores: QuerySet[CustomerScore]) -> list[dict[str, Any]]:
    labels = dict(RfmSegment.choices)
    methods = dict(ChurnMethod.choices)
    return [
        {
            "customer_id": score.customer.customer_id,
            "name": score.customer.name,
            "segment": score.segment,
            "segment_label": str(labels.get(score.segment, score.segment)),
            "clv": None if score.clv is None else _money(score.clv),
            "monetary": _money(score.monetary),
            "p_alive": score.p_alive,
            "churn_risk": score.churn_risk,
            "churn_method": score.churn_method,
            "churn_method_label": str(methods.get(score.churn_method, "")),
            "recency_days": score.recency_days,
            "frequency": score.frequency,
            "reasons": describe_churn_reasons(score.churn_reasons),
        }
        for score in scores
    ]


def top_customers_by_clv(scores: QuerySet[CustomerScore], limit: int) -> list[dict[str, Any]]:
    ranked = (
        scores.filter(clv__isnull=False)
        .select_related("customer")
        .order_by("-clv", "customer__customer_id")[:limit]
    )
    return _customer_rows(ranked)


def riskiest_customers(scores: QuerySet[CustomerScore], limit: int) -> list[dict[str, Any]]:
    ranked = (
        scores.filter(churn_risk__isnull=False)
        .select_related("customer")
        .order_by("-churn_risk", "customer__customer_id")[:limit]
    )
    return _customer_rows(ranked)


def latest_scoring_run() -> dict[str, Any] | None:
    """The last scoring run's report, with its churn method and (when a classifier was
    trained) its evaluation on the held-out period."""
    run = ScoringRun.objects.order_by("-computed_at", "-pk").first()
    if run is None:
        return None
    churn = (run.summary or {}).get("churn") or {}
    return {
        "computed_at": run.computed_at,
        "customers": run.customers,
        "orders": run.orders,
        "clv_error": (run.summary or {}).get("clv_error"),
        "churn_method": churn.get("method"),
        "churn_fallback_reason": churn.get("fallback_reason"),
        "churn_evaluation": churn.get("evaluation"),
        "at_risk": churn.get("at_risk"),
    }


@dataclass
class CustomerAnalytics:
    """Everything the analytics page shows."""

    currency: str
    run: dict[str, Any] | None
    rfm: dict[str, Any]
    histogram: dict[str, Any]
    top_clv: list[dict[str, Any]]
    churn: list[dict[str, Any]]
    store_limited: bool


def get_customer_analytics(
    *, store_ids: frozenset[int] | None, top: int = 20, churn_top: int = 20
) -> CustomerAnalytics:
    """The analytics page's numbers for a reader who may see ``store_ids`` (None: every
    store), in seven queries."""
    scores = visible_scores(store_ids)
    return CustomerAnalytics(
        currency=settings.KESHENG_DEFAULT_CURRENCY,
        run=latest_scoring_run(),
        rfm=rfm_grid(scores),
        histogram=clv_histogram(scores),
        top_clv=top_customers_by_clv(scores, top),
        churn=riskiest_customers(scores, churn_top),
        store_limited=store_ids is not None,
    )
