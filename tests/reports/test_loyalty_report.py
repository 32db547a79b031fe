"""The loyalty report as a page, a PDF, an XLSX and a command."""

import io
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from openpyxl import load_workbook
from pypdf import PdfReader

from kesheng.loyalty.actions.points import adjust_points
from kesheng.loyalty.actions.programme import configure_programme
from kesheng.loyalty.actions.tiers import review_tiers
from kesheng.loyalty.programme import check_programme
from tests.loyalty.conftest import programme_document
from tests.staff_fixtures import STAFF_PASSWORD, create_staff_user

URL = "/reports/loyalty/"
NOVEMBER = {"date_from": "2026-11-01", "date_to": "2026-11-30"}


@pytest.fixture
def ledger(customer):
    document = programme_document(
        earn_rules=[{"code": "base", "points_per_cny": 1}],
        expiry={"mode": "rolling", "months": 12},
        value_per_point=0.01,
    )
    configure_programme(programme_settings=check_programme(document))
    review_tiers(now=datetime(2026, 11, 2, tzinfo=UTC), force=True)
    adjust_points(
        customer_id="C001",
        request_no="G1",
        points=1234,
        reason="goodwill",
        created_by="test",
        now=datetime(2026, 11, 5, tzinfo=UTC),
    )


def signed_in(client, username: str, role: str):
    create_staff_user(username, role=role)
    client.login(username=username, password=STAFF_PASSWORD)
    return client


def test_the_page_shows_the_figures_of_last_month_by_default(client, ledger):
    page = signed_in(client, "cx.zhang", "cx_manager").get(URL)
    assert page.status_code == 200
    assert b"<svg" in page.content  # the charts, drawn on the server, no script needed


def test_the_page_for_a_period_shows_points_issued(client, ledger):
    page = signed_in(client, "cx.zhang", "cx_manager").get(URL, NOVEMBER)
    assert page.status_code == 200
    assert "1234" in page.content.decode()
    assert "file_format=pdf" in page.content.decode()


def test_bad_dates_are_a_400_with_the_form(client, ledger):
    page = signed_in(client, "cx.zhang", "cx_manager").get(
        URL, {"date_from": "2026-11-30", "date_to": "2026-11-01"}
    )
    assert page.status_code == 400
    assert 'role="alert"' in page.content.decode()


def test_a_store_manager_may_not_see_it(client, ledger):
    assert signed_in(client, "store.wu", "store_manager").get(URL).status_code == 403


def test_the_pdf_and_the_xlsx_download(client, ledger):
    signed_in(client, "analyst.he", "analyst")
    pdf = client.get(URL, {**NOVEMBER, "file_format": "pdf"})
    xlsx = client.get(URL, {**NOVEMBER, "file_format": "xlsx"})
    assert pdf["Content-Type"] == "application/pdf"
    assert 'filename="kesheng-loyalty-20261101-20261130.pdf"' in pdf["Content-Disposition"]
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "1234" in text and "积分" in text
    workbook = load_workbook(io.BytesIO(xlsx.content))
    assert len(workbook.sheetnames) == 5
    summary = [row[1] for row in workbook.worksheets[0].iter_rows(values_only=True)]
    assert 1234 in summary  # points issued, and the outstanding points


def test_the_command_writes_the_xlsx_in_english(ledger, tmp_path):
    output = tmp_path / "loyalty.xlsx"
    call_command(
        "report",
        "loyalty",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--format",
        "xlsx",
        "--output",
        str(output),
        "--language",
        "en",
    )
    summary = dict(load_workbook(output)["Summary"].iter_rows(values_only=True))
    assert summary["points issued"] == 1234
    assert summary["outstanding liability (CNY)"] == pytest.approx(12.34)


def test_the_command_refuses_a_bad_date_with_exit_code_2(db, tmp_path):
    output = tmp_path / "loyalty.pdf"
    with translation.override("en"), pytest.raises(CommandError) as refused:
        call_command(
            "report",
            "loyalty",
            "--from",
            "November",
            "--to",
            "2026-11-30",
            "--format",
            "pdf",
            "--output",
            str(output),
        )
    assert refused.value.returncode == 2
    assert "--from" in str(refused.value)
    assert not output.exists()
