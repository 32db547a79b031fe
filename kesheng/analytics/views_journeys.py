"""The staff page of journeys and personas (``/analytics/journeys/``): a funnel of the steps
the analyst names, the most common paths before a purchase and before a complaint, and the
personas with their descriptions. Thin: the numbers come from ``kesheng.analytics.queries``."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kesheng.analytics.queries import compute_funnel_report, list_personas
from kesheng.analytics.queries.journeys import (
    DEFAULT_WINDOW_DAYS,
    compute_path_reports,
    known_steps,
)
from kesheng.core.errors import InvalidInput

VIEW_CUSTOMERS = "customers.view_customer"


@login_required
@permission_required(VIEW_CUSTOMERS, raise_exception=True)
def journeys_page(request: HttpRequest) -> HttpResponse:
    steps = request.GET.get("steps", "").strip()
    window_days = request.GET.get("window_days", "").strip() or str(DEFAULT_WINDOW_DAYS)
    funnel = None
    errors: list = []
    if steps:
        try:
            funnel = compute_funnel_report(steps, window_days)
        except InvalidInput as invalid:
            errors = invalid.errors
    # Both reports from one read of the year's events (the slow part of the page).
    paths = compute_path_reports(("purchase", "complaint"))
    chart_data = {
        "funnel": None
        if funnel is None
        else {
            "labels": [step["label"] for step in funnel["steps"]],
            "values": [step["customers"] for step in funnel["steps"]],
        },
        "paths": {
            before: {
                "labels": [" → ".join(row["labels"]) for row in report["paths"]],
                "values": [row["count"] for row in report["paths"]],
            }
            for before, report in paths.items()
        },
    }
    return render(
        request,
        "analytics/journeys.html",
        {
            "section": "analytics",
            "steps": steps,
            "window_days": window_days,
            "funnel": funnel,
            "errors": errors,
            "paths": paths,
            "personas": list_personas(),
            "step_choices": sorted(known_steps()),
            "chart_data": chart_data,
        },
        status=400 if errors else 200,
    )
