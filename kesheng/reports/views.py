"""Staff pages of the reports: the CX dashboard, the comparison of two periods or groups, the
cross-tab of two breakdowns, and the CX report download. Every number is limited to the stores
the person may see."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext

from kesheng.analytics.metrics import METRICS
from kesheng.analytics.queries import compare_filters, compute_crosstab
from kesheng.analytics.sampling import plan_sample
from kesheng.commerce.queries import visible_store_ids
from kesheng.core.errors import DomainError, InvalidInput
from kesheng.feedback.queries import alert_panel
from kesheng.reports.actions import CONTENT_TYPES, render_cx_report
from kesheng.reports.charts import QUADRANT_COLOURS
from kesheng.reports.documents import metric_names, quadrant_names
from kesheng.reports.forms import (
    BREAKDOWN_NAMES,
    ComparisonForm,
    CrossTabForm,
    CxReportForm,
    DashboardFilterForm,
    LoyaltyReportForm,
    SampleSizeForm,
    last_month,
)
from kesheng.reports.loyalty_report import RENDERERS as LOYALTY_RENDERERS
from kesheng.reports.loyalty_report import build_loyalty_figures, loyalty_charts
from kesheng.reports.queries import case_kpi_summary, get_dashboard

VIEW_RESPONSES = "surveys.view_response"
VIEW_LOYALTY = "loyalty.view_coupon"  # admin, cx_manager, analyst, agent


@login_required
@permission_required(VIEW_RESPONSES, raise_exception=True)
def cx_report(request: HttpRequest) -> HttpResponse:
    """The form, and the file once it is valid (a GET, so a report has a link)."""
    if "date_from" not in request.GET:
        start, end = last_month()
        language = "en" if (translation.get_language() or "").startswith("en") else "zh-hans"
        form = CxReportForm(initial={"date_from": start, "date_to": end, "language": language})
        return render(request, "reports/cx_report_form.html", {"form": form, "section": "reports"})
    form = CxReportForm(request.GET)
    if not form.is_valid():
        return render(
            request,
            "reports/cx_report_form.html",
            {"form": form, "section": "reports"},
            status=400,
        )
    file_format = form.cleaned_data["file_format"]
    with translation.override(form.cleaned_data["language"]):
        content = render_cx_report(
            filters=form.filters(),
            file_format=file_format,
            store_ids=visible_store_ids(request.user),
        )
    response = HttpResponse(content, content_type=CONTENT_TYPES[file_format])
    start, end = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    response["Content-Disposition"] = (
        f'attachment; filename="kesheng-cx-{start:%Y%m%d}-{end:%Y%m%d}.{file_format}"'
    )
    return response


def _series(groups) -> dict:
    """A breakdown as chart data: labels, values and the interval's distances."""
    return {
        "labels": [group.label for group in groups],
        "values": [group.result.score.value for group in groups],
        "low": [group.result.score.low for group in groups],
        "high": [group.result.score.high for group in groups],
        "n": [group.result.n for group in groups],
    }


def _chart_data(dashboard) -> dict:
    data = {
        "trend": _series(dashboard.trend) | {"labels": [g.key for g in dashboard.trend]},
        "touchpoints": _series(dashboard.by_touchpoint),
        "stores": _series(dashboard.by_store),
        "ipa": None,
    }
    drivers = dashboard.drivers
    if drivers and drivers.ipa:
        items = drivers.ipa.result.items
        data["ipa"] = {
            "labels": [drivers.ipa.labels.get(item.name, item.name) for item in items],
            "importance": [item.importance for item in items],
            "performance": [item.performance for item in items],
            "quadrant": [item.quadrant for item in items],
            "importance_cut": drivers.ipa.result.importance_cut,
            "performance_cut": drivers.ipa.result.performance_cut,
            "titles": {"x": gettext("Importance (stated)"), "y": gettext("Satisfaction")},
            "colours": QUADRANT_COLOURS,
        }
    return data


@login_required
@permission_required(VIEW_RESPONSES, raise_exception=True)
def dashboard(request: HttpRequest) -> HttpResponse:
    store_ids = visible_store_ids(request.user)
    form = DashboardFilterForm(request.GET or None, store_ids=store_ids)
    status = 200
    if request.GET and not form.is_valid():
        status = 400
    filters = form.filters()
    content = get_dashboard(filters, store_ids=store_ids)
    return render(
        request,
        "reports/dashboard.html",
        {
            "section": "dashboard",
            "form": form,
            "dashboard": content,
            "chart_data": _chart_data(content),
            "metric_names": metric_names(),
            "quadrant_names": quadrant_names(),
            "store_limited": store_ids is not None,
            # Feedback spikes of the last weeks (docs/feedback.md), for whoever reads feedback.
            "alert_rows": alert_panel(store_ids=store_ids)
            if request.user.has_perm("feedback.view_feedbackitem")
            else None,
            # The closed loop's KPIs of the same period (docs/reports.md), for who sees cases.
            "case_kpis": case_kpi_summary(
                filters.date_from,
                filters.date_to,
                store_ids=store_ids,
                store_codes=filters.store_codes,
            )
            if request.user.has_perm("cases.view_case")
            else None,
        },
        status=status,
    )


@login_required
@permission_required(VIEW_RESPONSES, raise_exception=True)
def comparison(request: HttpRequest) -> HttpResponse:
    store_ids = visible_store_ids(request.user)
    form = ComparisonForm(request.GET or None, store_ids=store_ids)
    rows = []
    if request.GET and form.is_valid():
        first, second = form.side("first"), form.side("second")
        rows = [
            (metric_names()[metric], compare_filters(metric, first, second, store_ids=store_ids))
            for metric in METRICS
        ]
    status = 400 if request.GET and not form.is_valid() else 200
    return render(
        request,
        "reports/comparison.html",
        {"section": "dashboard", "form": form, "rows": rows},
        status=status,
    )


# The range each score can take, from the worst (red) to the best (green) shade.
SCORE_RANGES = {"nps": (-100.0, 100.0), "csat": (0.0, 100.0), "ces": (1.0, 7.0)}


def _shade(metric: str, value: float | None, small_sample: bool) -> str:
    """A cell's background as an HSL colour, red for the worst score to green for the best;
    paler under 30 answers, where the score is least certain."""
    if value is None:
        return ""
    low, high = SCORE_RANGES[metric]
    share = min(max((value - low) / (high - low), 0.0), 1.0)
    saturation = 35 if small_sample else 65
    return f"hsl({round(120 * share)}, {saturation}%, 85%)"


def _grid(table) -> list[dict]:
    """The cross-tab's rows for the template, each with one entry per column (None: no
    answers)."""
    grid = []
    for row_key, row_label in table.rows:
        cells = []
        for column_key, _label in table.columns:
            result = table.cells.get((row_key, column_key))
            if result is not None:
                score = result.score
                shade = _shade(table.metric, score.value, score.is_small_sample)
                cells.append({"result": result, "shade": shade})
            else:
                cells.append(None)
        grid.append({"label": row_label, "cells": cells})
    return grid


@login_required
@permission_required(VIEW_RESPONSES, raise_exception=True)
def crosstab(request: HttpRequest) -> HttpResponse:
    """A metric for every pair of two breakdowns; with no parameters, NPS by store and month
    over the dashboard's default period."""
    store_ids = visible_store_ids(request.user)
    form = CrossTabForm(request.GET, store_ids=store_ids)
    table = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            table = compute_crosstab(
                data["metric"], form.filters(), data["by"], data["cross"], store_ids=store_ids
            )
        except InvalidInput as invalid:
            for error in invalid.errors:
                form.add_error(error.field if error.field in form.fields else None, error.reason)
        except DomainError as error:
            form.add_error(None, error.message)
    return render(
        request,
        "reports/crosstab.html",
        {
            "section": "dashboard",
            "form": form,
            "table": table,
            "grid": _grid(table) if table else [],
            "metric_names": metric_names(),
            "breakdown_names": BREAKDOWN_NAMES,
            "store_limited": store_ids is not None,
        },
        status=200 if table is not None else 400,
    )


@login_required
@permission_required(VIEW_RESPONSES, raise_exception=True)
def sample_size(request: HttpRequest) -> HttpResponse:
    """How many responses a margin of error needs, and the margin the responses in hand give
    (for a proportion such as CSAT's top-2-box or the promoter share)."""
    form = SampleSizeForm(request.GET or None)
    plan = None
    if form.is_valid():
        plan = plan_sample(**form.cleaned_data)
    return render(
        request,
        "reports/sample_size.html",
        {"section": "dashboard", "form": form, "plan": plan},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@login_required
@permission_required(VIEW_LOYALTY, raise_exception=True)
def loyalty_report(request: HttpRequest) -> HttpResponse:
    """The loyalty report of a period on the page, and as PDF or XLSX with ``file_format``."""
    if "date_from" not in request.GET:
        start, end = last_month()
        form = LoyaltyReportForm({"date_from": start, "date_to": end})
    else:
        form = LoyaltyReportForm(request.GET)
    if not form.is_valid():
        return render(
            request, "reports/loyalty.html", {"form": form, "section": "reports"}, status=400
        )
    start, end = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    figures = build_loyalty_figures(start, end)
    file_format = request.GET.get("file_format")
    if file_format in LOYALTY_RENDERERS:
        response = HttpResponse(
            LOYALTY_RENDERERS[file_format](figures), content_type=CONTENT_TYPES[file_format]
        )
        response["Content-Disposition"] = (
            f'attachment; filename="kesheng-loyalty-{start:%Y%m%d}-{end:%Y%m%d}.{file_format}"'
        )
        return response
    return render(
        request,
        "reports/loyalty.html",
        {
            "form": form,
            "section": "reports",
            "figures": figures,
            "charts": loyalty_charts(figures),
            "query": f"date_from={start:%Y-%m-%d}&date_to={end:%Y-%m-%d}",
        },
    )
