"""The CX report as PDF and XLSX, read back with pypdf and openpyxl, and from the command."""

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from openpyxl import load_workbook
from pypdf import PdfReader

from kesheng.analytics.queries import MetricFilters, compute_metric
from kesheng.cases.actions import acknowledge_case, open_case, resolve_case
from kesheng.commerce.models import Store
from kesheng.reports.actions import render_cx_report
from kesheng.reports.content import build_cx_report

NOVEMBER = MetricFilters(date_from=date(2026, 11, 1), date_to=date(2026, 11, 30))


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_report_holds_the_headline_scores_and_the_change(survey):
    report = build_cx_report(date_from=date(2026, 11, 1), date_to=date(2026, 11, 30))
    nps = report.headlines[0]
    assert nps.metric == "nps"
    assert nps.result.to_json() == compute_metric("nps", NOVEMBER).to_json()
    assert (report.previous_from, report.previous_to) == (date(2026, 10, 2), date(2026, 10, 31))
    assert nps.change.first.n == 1  # the one October answer
    assert [group.key for group in report.trend["nps"]] == ["2026-10-01", "2026-11-01"]
    assert [group.key for group in report.by_store["nps"]] == ["bj01", "sh01"]


def test_the_pdf_shows_the_numbers_charts_and_chinese_text(survey):
    with translation.override("zh-hans"):
        content = render_cx_report(filters=NOVEMBER, file_format="pdf")
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) >= 2
    text = pdf_text(content)
    # NPS of November: 3 promoters, 1 passive, 3 detractors of 7 = 0.0, n = 7.
    assert "n = 7" in text
    assert "上海一店" in text  # a store name: the Chinese glyphs are embedded, not boxes
    fonts = {
        str(font.get_object()["/BaseFont"])
        for page in reader.pages
        for font in (page["/Resources"].get("/Font") or {}).values()
    }
    # The shipped font is embedded (a subset named after the report's font family).
    assert any(name.endswith("+Kesheng-CJK") for name in fonts)
    # The trend chart's axis and its month labels are there, as text inside the drawing.
    lines = [line.strip() for line in text.splitlines()]
    assert "-100" in lines
    assert "2026-10" in lines and "2026-11" in lines


def test_an_empty_period_gives_a_valid_report_saying_so(db):
    with translation.override("en"):
        content = render_cx_report(
            filters=MetricFilters(date_from=date(2020, 1, 1), date_to=date(2020, 1, 31)),
            file_format="pdf",
        )
    assert "No survey responses were completed in this period." in pdf_text(content)


def test_the_xlsx_holds_the_tables(survey):
    with translation.override("en"):
        content = render_cx_report(filters=NOVEMBER, file_format="xlsx")
    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == [
        "Headline",
        "Trend by month",
        "By touchpoint",
        "By store",
        "Drivers",
        "Importance-performance",
        "Cases",
        "Comments",
    ]
    headline = list(workbook["Headline"].iter_rows(values_only=True))
    assert headline[1][:3] == ("NPS", 0.0, 7)
    stores = list(workbook["By store"].iter_rows(values_only=True))
    assert stores[2][:5] == ("NPS", "sh01", "Shanghai 1", 40.0, 5)
    assert workbook["Trend by month"]._charts  # the native trend chart


@pytest.fixture
def november_cases(survey, make_customer):
    """Two cases opened in November in Shanghai 1: one answered within an hour and resolved,
    one still new; one case in October (outside the report)."""
    shanghai = Store.objects.get(code="sh01")
    first, second = make_customer("K001"), make_customer("K002")
    answered = open_case(
        category="complaint", customer=first, summary="s", store_id=shanghai.pk, now=at(11, 3, 9)
    )
    acknowledge_case(case=answered, actor=None, now=at(11, 3, 10))
    resolve_case(case=answered, actor=None, now=at(11, 4, 9))
    open_case(
        category="delivery", customer=second, summary="s", store_id=shanghai.pk, now=at(11, 5, 9)
    )
    open_case(category="price", customer=first, summary="s", now=at(10, 5, 9))


def at(month: int, day: int, hour: int) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_the_report_holds_the_case_kpis_in_all_three_forms(november_cases):
    report = build_cx_report(date_from=date(2026, 11, 1), date_to=date(2026, 11, 30))
    overall = report.cases["overall"]
    assert (overall["cases"], overall["complaints"]) == (2, 2)
    assert overall["first_response_minutes"] == {"n": 1, "median": 60.0, "p90": 60.0}
    assert [row["key"] for row in report.cases["by_store"]] == ["sh01"]
    with translation.override("en"):
        workbook = load_workbook(io.BytesIO(render_cx_report(filters=NOVEMBER, file_format="xlsx")))
        text = pdf_text(render_cx_report(filters=NOVEMBER, file_format="pdf"))
    rows = list(workbook["Cases"].iter_rows(values_only=True))
    assert rows[1][:3] == (None, "All stores", 2)
    assert rows[1][6:9] == (60.0, 60.0, 1)
    assert rows[2][:3] == ("sh01", "Shanghai 1", 2)
    assert "Complaints and cases" in text
    assert "60 / 60 (n=1)" in text


def test_the_command_writes_both_formats(survey, tmp_path):
    for file_format in ("pdf", "xlsx"):
        output = tmp_path / f"report.{file_format}"
        printed = io.StringIO()
        call_command(
            "report",
            "cx",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
            "--format",
            file_format,
            "--output",
            str(output),
            stdout=printed,
        )
        assert printed.getvalue().strip() == str(output)
        assert output.stat().st_size > 1000
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        (("--from", "2026-11-31", "--to", "2026-12-01"), "--from: expected a date"),
        (("--from", "2026-12-01", "--to", "2026-11-01"), "--to: must be on or after from"),
        (("--from", "2026-11-01", "--to", "2026-11-30", "--survey", "999"), "no survey"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(survey, tmp_path, arguments, reason):
    output = tmp_path / "report.pdf"
    with pytest.raises(CommandError) as refused:
        call_command("report", "cx", *arguments, "--format", "pdf", "--output", str(output))
    assert refused.value.returncode == 2
    assert reason in str(refused.value)
    assert not output.exists()
