"""``GET /api/v1/metrics/{nps|csat|ces}``: the same scores and breakdowns as
``kesheng analytics``, with the same JSON (scope ``metrics:read``); a customer's stored scores
the RFM segments and the churn-risk list (scope ``customers:read``)."""

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
    compute_metric,
    compute_metric_by,
    get_customer_scores,
    get_win_back_result,
    list_churn_risk,
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
