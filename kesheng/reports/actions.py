"""Making and sending reports."""

from kesheng.analytics.queries import MetricFilters
from kesheng.core.errors import FieldError, InvalidInput
from kesheng.reports.content import build_cx_report
from kesheng.reports.documents import render_pdf, render_xlsx

RENDERERS = {"pdf": render_pdf, "xlsx": render_xlsx}
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def render_cx_report(*, filters: MetricFilters, file_format: str, store_ids=None) -> bytes:
    """The CX report for the filters' period (both dates required) as PDF or XLSX bytes, in
    the active language. Changes nothing."""
    problems = []
    if filters.date_from is None:
        problems.append(FieldError("from", "is required"))
    if filters.date_to is None:
        problems.append(FieldError("to", "is required"))
    if file_format not in RENDERERS:
        problems.append(FieldError("format", "expected pdf or xlsx"))
    if problems:
        raise InvalidInput(problems)
    report = build_cx_report(
        date_from=filters.date_from,  # type: ignore[arg-type]
        date_to=filters.date_to,  # type: ignore[arg-type]
        filters=filters,
        store_ids=store_ids,
    )
    return RENDERERS[file_format](report)
