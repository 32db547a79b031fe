"""Staff pages of the reports: the CX dashboard, the comparison of two periods or groups, and
the CX report download. Every number is limited to the stores the person may see."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext

from kesheng.analytics.metrics import METRICS
from kesheng.analytics.queries import compare_filters
from kesheng.commerce.queries import visible_store_ids
from kesheng.reports.actions import CONTENT_TYPES, render_cx_report
from kesheng.reports.charts import QUADRANT_COLOURS
from kesheng.reports.documents import metric_names, quadrant_names
from kesheng.reports.forms import ComparisonForm, CxReportForm, DashboardFilterForm, last_month
from kesheng.reports.queries import get_dashboard

VIEW_RESPONSES = "surveys.view_response"


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
