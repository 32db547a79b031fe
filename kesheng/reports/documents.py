"""The CX report as files: a PDF (HTML laid out by WeasyPrint, charts as SVG, the shipped
Chinese font embedded) and an XLSX with the tables behind it (openpyxl, a native chart for the
trend)."""

from io import BytesIO
from pathlib import Path

from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference
from openpyxl.styles import Font

from kesheng.analytics.ipa import QUADRANTS
from kesheng.reports import charts
from kesheng.reports.content import CxReport

FONT_FILE = Path(__file__).resolve().parent / "fonts" / "NotoSansSC-subset.woff2"
# The score axis of each metric's charts.
CHART_RANGES = {"nps": (-100.0, 100.0), "csat": (0.0, 100.0), "ces": (1.0, 7.0)}


def metric_names() -> dict[str, str]:
    return {"nps": _("NPS"), "csat": _("CSAT (share satisfied)"), "ces": _("CES (mean effort)")}


def quadrant_names() -> dict[str, str]:
    return {
        "concentrate_here": _("Concentrate here"),
        "keep_up_the_good_work": _("Keep up the good work"),
        "low_priority": _("Low priority"),
        "possible_overkill": _("Possible overkill"),
    }


def _bars(groups) -> list[charts.Bar]:
    return [
        charts.Bar(
            group.label,
            group.result.score.value,
            group.result.score.low,
            group.result.score.high,
            group.result.score.is_small_sample,
        )
        for group in groups
    ]


def _charts(report: CxReport) -> dict:
    names = metric_names()
    trend = {}
    by_touchpoint = {}
    for metric, groups in report.trend.items():
        low, high = CHART_RANGES[metric]
        points = [
            charts.Bar(
                group.key[:7],
                group.result.score.value,
                group.result.score.low,
                group.result.score.high,
                group.result.score.is_small_sample,
            )
            for group in groups
        ]
        trend[metric] = charts.line_chart(points, low=low, high=high, title=names[metric])
        by_touchpoint[metric] = charts.bar_chart(
            _bars(report.by_touchpoint[metric]), low=low, high=high, title=names[metric]
        )
    ipa = {}
    for survey in report.drivers:
        if survey.ipa is None:
            continue
        items = survey.ipa.result.items
        values = [item.importance for item in items] + [item.performance for item in items]
        axis = (min(1.0, min(values)), max(10.0, max(values)))
        points = [
            charts.Point(
                item.name, item.importance, item.performance, charts.QUADRANT_COLOURS[item.quadrant]
            )
            for item in items
        ]
        ipa[survey.survey_id] = charts.quadrant_chart(
            points,
            x_cut=survey.ipa.result.importance_cut,
            y_cut=survey.ipa.result.performance_cut,
            x_range=axis,
            y_range=axis,
            x_title=_("Importance (stated)"),
            y_title=_("Satisfaction"),
            title=survey.survey_title,
        )
    return {"trend": trend, "by_touchpoint": by_touchpoint, "ipa": ipa}


def render_pdf(report: CxReport) -> bytes:
    """The report as PDF bytes."""
    from weasyprint import HTML

    context = {
        "report": report,
        "charts": _charts(report),
        "metric_names": metric_names(),
        "quadrant_names": quadrant_names(),
        "quadrant_colours": charts.QUADRANT_COLOURS,
        "font_url": FONT_FILE.as_uri(),
    }
    html = render_to_string("reports/cx_report.html", context)
    return HTML(string=html, base_url=str(FONT_FILE.parent)).write_pdf()


def _figure(value, digits: int = 1):
    return None if value is None else round(value, digits)


def _case_row(key: str, label: str, summary: dict) -> list:
    first, resolution = summary["first_response_minutes"], summary["resolution_minutes"]
    compliance, reopen = summary["sla_compliance"], summary["reopen_rate"]
    return [
        key,
        label,
        summary["cases"],
        summary["complaints"],
        summary["orders"],
        summary["complaints_per_1000_orders"],
        first["median"],
        first["p90"],
        first["n"],
        resolution["median"],
        resolution["p90"],
        resolution["n"],
        compliance["share"],
        compliance["n"],
        reopen["share"],
        reopen["n"],
    ]


def render_xlsx(report: CxReport) -> bytes:
    """The report's tables as an XLSX workbook, one sheet per table."""
    names = metric_names()
    workbook = Workbook()
    bold = Font(bold=True)

    def sheet(title: str, header: list[str], rows: list[list]):
        worksheet = workbook.create_sheet(title)
        worksheet.append(header)
        for cell in worksheet[1]:
            cell.font = bold
        for row in rows:
            worksheet.append(row)
        for column in worksheet.columns:
            worksheet.column_dimensions[column[0].column_letter].width = 16
        return worksheet

    workbook.remove(workbook.active)
    score_header = [
        _("score"),
        "n",
        _("interval low (95 percent)"),
        _("interval high (95 percent)"),
        _("n < 30"),
    ]
    sheet(
        _("Headline"),
        [
            _("metric"),
            *score_header,
            _("previous"),
            _("change"),
            _("change low"),
            _("change high"),
            _("significant"),
        ],
        [
            [
                names[h.metric],
                _figure(h.result.score.value),
                h.result.n,
                _figure(h.result.score.low),
                _figure(h.result.score.high),
                h.result.score.is_small_sample,
                _figure(h.change.first.score.value),
                _figure(h.change.difference),
                _figure(h.change.ci_low),
                _figure(h.change.ci_high),
                h.change.significant,
            ]
            for h in report.headlines
        ],
    )
    for title, tables in (
        (_("Trend by month"), report.trend),
        (_("By touchpoint"), report.by_touchpoint),
        (_("By store"), report.by_store),
    ):
        rows = [
            [
                names[metric],
                group.key,
                group.label,
                _figure(group.result.score.value),
                group.result.n,
                _figure(group.result.score.low),
                _figure(group.result.score.high),
                group.result.score.is_small_sample,
            ]
            for metric, groups in tables.items()
            for group in groups
        ]
        worksheet = sheet(title, [_("metric"), _("key"), _("name"), *score_header], rows)
        if title == _("Trend by month") and report.trend.get("nps"):
            chart = LineChart()
            chart.title = names["nps"]
            count = len(report.trend["nps"])
            chart.add_data(
                Reference(worksheet, min_col=4, min_row=1, max_row=count + 1), titles_from_data=True
            )
            chart.set_categories(Reference(worksheet, min_col=2, min_row=2, max_row=count + 1))
            worksheet.add_chart(chart, "K2")
    sheet(
        _("Drivers"),
        [
            _("survey"),
            _("item"),
            _("weight"),
            _("share of R² (%)"),
            _("correlation"),
            _("rank"),
            "R²",
            "n",
            _("method"),
        ],
        [
            [
                survey.survey_title,
                survey.labels.get(driver.name, driver.name),
                round(driver.weight, 4),
                round(driver.share, 1),
                round(driver.correlation, 3),
                driver.rank,
                round(survey.analysis.r_squared, 4),
                survey.analysis.n,
                survey.analysis.method,
            ]
            for survey in report.drivers
            if survey.analysis is not None
            for driver in survey.analysis.drivers
        ],
    )
    quadrants = quadrant_names()
    sheet(
        _("Importance-performance"),
        [_("survey"), _("item"), _("importance"), _("satisfaction"), _("quadrant"), "n"],
        [
            [
                survey.survey_title,
                survey.ipa.labels.get(item.name, item.name),
                round(item.importance, 2),
                round(item.performance, 2),
                quadrants[item.quadrant],
                survey.ipa.counts.get(item.name),
            ]
            for survey in report.drivers
            if survey.ipa is not None
            for item in sorted(survey.ipa.result.items, key=lambda i: QUADRANTS.index(i.quadrant))
        ],
    )
    sheet(
        _("Cases"),
        [
            _("store"),
            _("name"),
            _("cases"),
            _("complaints"),
            _("orders"),
            _("complaints per 1,000 orders"),
            _("first response median (min)"),
            _("first response p90 (min)"),
            "n",
            _("resolution median (min)"),
            _("resolution p90 (min)"),
            "n",
            _("SLA compliance"),
            "n",
            _("reopen rate"),
            "n",
        ],
        [
            _case_row(key, label, summary)
            for key, label, summary in (
                [("", _("All stores"), report.cases["overall"])] if report.cases else []
            )
            + [(row["key"], row["label"], row) for row in report.cases.get("by_store", [])]
        ],
    )
    sheet(
        _("Comments"),
        [_("date"), _("survey"), _("store"), _("question"), _("comment")],
        [
            [
                comment.completed_on,
                comment.survey_title,
                comment.store,
                comment.question,
                comment.text,
            ]
            for comment in report.comments
        ],
    )
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
