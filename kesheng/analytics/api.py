"""``GET /api/v1/metrics/{nps|csat|ces}``: the same scores and breakdowns as
``kesheng analytics``, with the same JSON (scope ``metrics:read``)."""

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
    parse_metric_filters,
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
