"""``GET /api/v1/metrics/{nps|csat|ces}``: the same scores and breakdowns as
``kesheng analytics``, with the same JSON (scope ``metrics:read``); a customer's stored scores
the RFM segments and the churn-risk list, journeys (funnels, paths), personas and a customer's
cross-sell recommendations (scope ``customers:read``)."""

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router

from kesheng.accounts.api_auth import ApiKeyAuth
from kesheng.accounts.models import Scope
from kesheng.analytics.queries import (
    BY_CHOICES,
    CROSS_CHOICES,
    check_by,
    compute_crosstab,
    compute_funnel_report,
    compute_metric,
    compute_metric_by,
    compute_path_report,
    get_customer_recommendations,
    get_customer_scores,
    get_win_back_result,
    list_churn_risk,
    list_personas,
    parse_metric_filters,
    summarise_rfm_segments,
)
from kesheng.core.api import ErrorOut, ValidationErrorOut

router = Router(tags=["metrics"])


@router.get(
    "/metrics/{metric}",
    auth=ApiKeyAuth(Scope.METRICS_READ),
    response={
        200: Any,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        422: ValidationErrorOut,
    },
    summary="NPS, CSAT or CES with n and the 95 % interval, whole, by a breakdown or crossed",
    description=(
        "Completed responses of the chosen surveys (default: all). One object "
        '{"score", "n", "ci_low", "ci_high", "small_sample", ...} ("promoters", "passives", '
        '"detractors" for NPS; "mean" for CSAT; "percent_easy" for CES), or with `by` a list '
        'of them each with "group" and "label". `by`: ' + ", ".join(BY_CHOICES) + ". With `by` "
        "and `cross` (" + ", ".join(CROSS_CHOICES) + ") a cross-tab "
        '{"metric", "by", "cross", "rows": [{"key", "label"}], "columns": [...], '
        '"cells": [{"row", "column", "score", "n", ...}]} (pairs without answers absent). Dates '
        "YYYY-MM-DD in the business time zone, both included; codes comma-separated. "
        "Scope: metrics:read. Methods: docs/metrics.md."
    ),
)
def get_metric(
    request: HttpRequest,
    metric: Literal["nps", "csat", "ces"],
    survey: str | None = None,
    question: str | None = None,
    by: str | None = None,
    cross: str | None = None,
    date_from: str | None = Query(None, alias="from"),
    date_to: str | None = Query(None, alias="to"),
    store: str | None = None,
    channel: str | None = None,
    touchpoint: str | None = None,
    segment: str | None = None,
    staff: str | None = None,
):
    filters = parse_metric_filters(
        survey=survey,
        question=question,
        date_from=date_from,
        date_to=date_to,
        store=store,
        channel=channel,
        touchpoint=touchpoint,
        segment=segment,
        staff=staff,
    )
    if cross:
        return compute_crosstab(metric, filters, by or "", cross).to_json()
    if by:
        return [group.to_json() for group in compute_metric_by(metric, filters, check_by(by))]
    return compute_metric(metric, filters).to_json()


@router.get(
    "/customers/{customer_id}/scores",
    auth=ApiKeyAuth(Scope.CUSTOMERS_READ),
    response={200: Any, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    tags=["customers"],
    summary="A customer's stored scores: RFM segment, P(alive), CLV, churn risk",
    description=(
        '{"customer_id", "rfm": {"r", "f", "m", "segment", "segment_label", "recency_days", '
        '"frequency", "monetary"}, "p_alive", "expected_purchases", "clv", "churn_risk", '
        '"churn_reasons": [...], "churn_reason_codes": [...], "churn_method", "computed_at"} '
        "from the last scoring run; churn_reasons in words in the request's language, "
        'churn_reason_codes the same as codes with numbers ({"code": "overdue", "days": 94, '
        '"usual": 30}), churn_method "rules" or "classifier". A known customer '
        "not scored yet (no kept order, or none before the last run) has rfm, p_alive, clv, "
        "churn_risk and computed_at null; an unknown customer_id is a 404. "
        "Scope: customers:read. docs/analytics.md."
    ),
)
def get_scores(request: HttpRequest, customer_id: str):
    return get_customer_scores(customer_id)


@router.get(
    "/analytics/rfm",
    auth=ApiKeyAuth(Scope.CUSTOMERS_READ),
    response={200: Any, 401: ErrorOut, 403: ErrorOut},
    tags=["analytics"],
    summary="Customers, spend and CLV per RFM segment",
    description=(
        '{"customers", "currency", "computed_at", "segments": [{"segment", "label", '
        '"customers", "share", "monetary", "clv", "mean_clv", "mean_p_alive"}]}, every '
        "segment listed in a fixed order. Scope: customers:read. docs/analytics.md."
    ),
)
def get_rfm_segments(request: HttpRequest):
    return summarise_rfm_segments()


@router.get(
    "/analytics/churn-risk",
    auth=ApiKeyAuth(Scope.CUSTOMERS_READ),
    response={200: Any, 401: ErrorOut, 403: ErrorOut, 422: ValidationErrorOut},
    tags=["analytics"],
    summary="The customers most at risk of leaving, with the reasons",
    description=(
        '[{"customer_id", "churn_risk", "reasons": [...], "method"}] from the last scoring run, '
        "riskiest first; `top` (1-1000, default 20) customers; reasons in words in the "
        'request\'s language; method "rules" or "classifier". Scope: customers:read. '
        "docs/analytics.md."
    ),
)
def get_churn_risk(request: HttpRequest, top: str = "20"):
    return list_churn_risk(top)


@router.get(
    "/analytics/winback/{list_id}",
    auth=ApiKeyAuth(Scope.CUSTOMERS_READ),
    response={200: Any, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    tags=["analytics"],
    summary="A win-back list's result: treated against control, ordered again within N days",
    description=(
        '{"id", "name", "created_at", "selection", "top", "min_risk", "control_share", "seed", '
        '"segment_id", "days", "window_end", "window_complete", "treated": {"members", '
        '"ordered", "rate"}, "control": {...}, "difference": {"value", "low", "high", '
        '"p_value", "confidence", "significant"}}: of the list\'s treated members and of its '
        "held-out control group, how many placed a kept order within `days` (1-365, default "
        "30) days after the list was made; the difference treated - control with its 95 % "
        "interval (Newcombe) and two-sided p-value. Unknown list: 404; bad days: 422. "
        "Scope: customers:read. docs/analytics.md."
    ),
)
def get_win_back(request: HttpRequest, list_id: int, days: str = "30"):
    return get_win_back_result(list_id, days=days)


@router.get(
    "/analytics/funnel",
    auth=ApiKeyAuth(Scope.CUSTOMERS_READ),
    response={200: Any, 401: ErrorOut, 403: ErrorOut, 422: ValidationErrorOut},
    tags=["analytics"],
    summary="A funnel over the touchpoint events: conversion, drop-off and time between steps",
    description=(
        "`steps`: 2-8 comma-separated touchpoint codes or event types, in order; "
        "`window_days` (1-365, default 30): how long after entering a customer may take to "
        'convert. {"steps": [{"step", "label", "customers", "conversion", "step_conversion", '
        '"drop_off", "median_hours", "p90_hours"}], "window_days", "entered", "converted", '
        '"by_channel": [{"channel", "label", "entered", "customers": [...], "conversion"}]}. '
        "Scope: customers:read. docs/analytics.md."
    ),
)
def get_funnel(request: HttpRequest, steps: str = "", window_days: str = "30"):
    return compute_funnel_report(steps, window_days)


@router.get(
    "/analytics/paths",
    auth=ApiKeyAuth(Scope.CUSTOMERS_READ),
    response={200: Any, 401: ErrorOut, 403: ErrorOut, 422: ValidationErrorOut},
    tags=["analytics"],
    summary="The most common paths of touchpoints before a purchase or a complaint",
    description=(
        "`before`: purchase or complaint; `length` (1-6, default 3) steps; `days` (1-730, "
        "default 365) of purchases or complaints; `top` (1-50, default 10) paths. "
        '{"before", "length", "days", "lookback_days", "anchors", "with_path", "paths": '
        '[{"steps": [...], "labels": [...], "count", "share"}]}. Scope: customers:read. '
        "docs/analytics.md."
    ),
)
def get_paths(
    request: HttpRequest,
    before: str = "",
    length: str = "3",
    days: str = "365",
    top: str = "10",
):
    return compute_path_report(before, length, days, top)


@router.get(
    "/analytics/personas",
    auth=ApiKeyAuth(Scope.CUSTOMERS_READ),
    response={200: Any, 401: ErrorOut, 403: ErrorOut},
    tags=["analytics"],
    summary="The personas of the last run, each described in words",
    description=(
        '{"k", "silhouette", "computed_at", "currency", "personas": [{"persona", "name", '
        '"description", "descriptions": {"zh-hans", "en"}, "customers", "share", '
        '"mean_monetary", "mean_frequency", "mean_recency_days", "value_index", "mean_nps", '
        '"nps_answers", "channels", "categories"}]}. Scope: customers:read. docs/analytics.md.'
    ),
)
def get_personas(request: HttpRequest):
    return list_personas()


@router.get(
    "/customers/{customer_id}/recommendations",
    auth=ApiKeyAuth(Scope.CUSTOMERS_READ),
    response={200: Any, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    tags=["customers"],
    summary="Products often bought together with the customer's, that they have not bought",
    description=(
        '{"customer_id", "baskets", "min_orders_together", "recommendations": [{"sku", '
        '"name", "category", "lift", "confidence", "support", "orders_together", "because": '
        '{"sku", "name"}}]}, best lift first; `top` (1-20, default 5). An unknown customer_id '
        "is a 404. Scope: customers:read. docs/analytics.md."
    ),
)
def get_recommendations(request: HttpRequest, customer_id: str, top: str = "5"):
    return get_customer_recommendations(customer_id, top)
