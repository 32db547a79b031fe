"""The loyalty report: members by tier, tier movements, points issued, redeemed and expired,
the outstanding liability by month of expiry, redemption rate, breakage and the repeat-purchase
rate of members against non-members. The same figures as a staff page, a PDF (WeasyPrint, SVG
charts, the shipped Chinese font) and an XLSX (openpyxl) — definitions in kesheng/loyalty/report.py
and docs/loyalty.md."""

from datetime import date, datetime, time, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font

from kesheng.core.errors import FieldError, InvalidInput
from kesheng.loyalty.report import LoyaltyFigures, get_loyalty_figures
from kesheng.reports import charts
from kesheng.reports.documents import FONT_FILE


def period_bounds(date_from: date | None, date_to: date | None) -> tuple[datetime, datetime]:
    """[start, end) of the local days ``date_from`` to ``date_to`` inclusive; both required."""
    problems = []
    if date_from is None:
        problems.append(FieldError("from", _("is required")))
    if date_to is None:
        problems.append(FieldError("to", _("is required")))
    if date_from and date_to and date_from > date_to:
        problems.append(FieldError("to", _("must not be before the start")))
    if problems:
        raise InvalidInput(problems)
    zone = ZoneInfo(settings.TIME_ZONE)
    start = datetime.combine(date_from, time.min, tzinfo=zone)  # type: ignore[arg-type]
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=zone)  # type: ignore[operator]
    return start, end


def build_loyalty_figures(date_from: date | None, date_to: date | None) -> LoyaltyFigures:
    start, end = period_bounds(date_from, date_to)
    return get_loyalty_figures(start, end)


def loyalty_charts(figures: LoyaltyFigures) -> dict[str, str]:
    """SVG charts of the figures (for the PDF and the page alike)."""
    most_members = max([tier.members for tier in figures.tiers] + [1])
    liability = figures.liability.get("by_expiry_month", [])
    most_points = max([row["points"] for row in liability] + [1])
    most_flow = max([max(f.issued, f.redeemed, f.expired) for f in figures.monthly] + [1])
    return {
        "tiers": charts.bar_chart(
            [charts.Bar(tier.name, tier.members) for tier in figures.tiers],
            low=0,
            high=most_members,
            title=_("Members by tier"),
        ),
        "liability": charts.bar_chart(
            [charts.Bar(row["month"] or _("never"), row["points"]) for row in liability],
            low=0,
            high=most_points,
            title=_("Outstanding points by month of expiry"),
        ),
        "issued": charts.line_chart(
            [charts.Bar(flow.label, flow.issued) for flow in figures.monthly],
            low=0,
            high=most_flow,
            title=_("Points issued per month"),
        ),
        "redeemed": charts.line_chart(
            [charts.Bar(flow.label, flow.redeemed) for flow in figures.monthly],
            low=0,
            high=most_flow,
            title=_("Points redeemed per month"),
        ),
    }


def _context(figures: LoyaltyFigures) -> dict:
    return {
        "figures": figures,
        "charts": loyalty_charts(figures),
        "date_from": figures.start.date(),
        "date_to": (figures.end - timedelta(days=1)).date(),
    }


def render_loyalty_pdf(figures: LoyaltyFigures) -> bytes:
    from weasyprint import HTML

    context = {**_context(figures), "font_url": FONT_FILE.name}
    html = render_to_string("reports/loyalty_report.html", context)
    return HTML(string=html, base_url=str(FONT_FILE.parent)).write_pdf()


def _share(value: float | None):
    return None if value is None else round(100 * value, 2)


def render_loyalty_xlsx(figures: LoyaltyFigures) -> bytes:
    workbook = Workbook()
    bold = Font(bold=True)

    def sheet(title: str, header: list[str], rows: list[list], first: bool = False):
        worksheet = workbook.active if first else workbook.create_sheet()
        worksheet.title = title[:31]
        worksheet.append(header)
        for cell in worksheet[1]:
            cell.font = bold
        for row in rows:
            worksheet.append(row)
        return worksheet

    repeat = figures.repeat_purchase
    sheet(
        _("Summary"),
        [_("figure"), _("value")],
        [
            [_("period start"), figures.start.date().isoformat()],
            [_("period end"), (figures.end - timedelta(days=1)).date().isoformat()],
            [_("points issued"), figures.period.issued],
            [_("points redeemed"), figures.period.redeemed],
            [_("points expired"), figures.period.expired],
            [_("points reversed"), figures.period.reversed],
            [_("redemption rate (%)"), _share(figures.redemption_rate)],
            [_("breakage over 12 months (%)"), _share(figures.breakage)],
            [_("outstanding points"), figures.liability.get("points", 0)],
            [
                _("outstanding liability (%(currency)s)")
                % {"currency": figures.liability.get("currency", "")},
                float(figures.liability.get("value", 0)),
            ],
            [_("points owed by members"), figures.liability.get("owed_points", 0)],
            [_("repeat-purchase rate, members (%)"), repeat.members.value],
            [_("members who bought (n)"), repeat.members.n],
            [_("repeat-purchase rate, non-members (%)"), repeat.non_members.value],
            [_("non-members who bought (n)"), repeat.non_members.n],
            [
                _("difference (points of %)"),
                None
                if repeat.difference.value is None
                else round(100 * repeat.difference.value, 2),
            ],
            [_("p-value"), repeat.difference.p_value],
        ],
        first=True,
    )
    tiers = sheet(
        _("Tiers"), [_("tier"), _("members")], [[t.name, t.members] for t in figures.tiers]
    )
    if figures.tiers:
        chart = BarChart()
        chart.title = _("Members by tier")
        chart.add_data(
            Reference(tiers, min_col=2, min_row=1, max_row=len(figures.tiers) + 1),
            titles_from_data=True,
        )
        chart.set_categories(Reference(tiers, min_col=1, min_row=2, max_row=len(figures.tiers) + 1))
        tiers.add_chart(chart, "D2")
    sheet(
        _("Tier movements"),
        [_("from"), _("to"), _("reason"), _("changes")],
        [[m.from_name, m.to_name, m.reason, m.changes] for m in figures.movements],
    )
    sheet(
        _("Points per month"),
        [_("month"), _("issued"), _("redeemed"), _("expired"), _("reversed")],
        [[f.label, f.issued, f.redeemed, f.expired, f.reversed] for f in figures.monthly],
    )
    sheet(
        _("Liability"),
        [_("month of expiry"), _("points"), _("value")],
        [
            [row["month"] or _("never"), row["points"], float(row["value"])]
            for row in figures.liability.get("by_expiry_month", [])
        ],
    )
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


RENDERERS = {"pdf": render_loyalty_pdf, "xlsx": render_loyalty_xlsx}


def render_loyalty_report(
    *, date_from: date | None, date_to: date | None, file_format: str
) -> bytes:
    """The loyalty report of the days ``date_from`` to ``date_to`` as PDF or XLSX bytes, in the
    active language. Changes nothing."""
    if file_format not in RENDERERS:
        raise InvalidInput([FieldError("format", _("expected pdf or xlsx"))])
    return RENDERERS[file_format](build_loyalty_figures(date_from, date_to))
