"""Staff pages of the reports: the CX report download."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation

from kesheng.commerce.queries import visible_store_ids
from kesheng.reports.actions import CONTENT_TYPES, render_cx_report
from kesheng.reports.forms import CxReportForm, last_month

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
