"""The CX report page: the form, the download, bad input, permissions and store scoping."""

import io

from openpyxl import load_workbook
from pypdf import PdfReader

from kesheng.commerce.actions import grant_store_access
from tests.staff_fixtures import STAFF_PASSWORD, create_staff_user

URL = "/reports/cx/"
NOVEMBER = {"date_from": "2026-11-01", "date_to": "2026-11-30", "language": "en"}


def signed_in(client, username: str, role: str):
    create_staff_user(username, role=role)
    client.login(username=username, password=STAFF_PASSWORD)
    return client


def test_the_form_offers_last_month(client, survey):
    page = signed_in(client, "cx.zhang", "cx_manager").get(URL)
    assert page.status_code == 200
    assert b'name="date_from"' in page.content


def test_the_pdf_downloads(client, survey):
    answer = signed_in(client, "cx.zhang", "cx_manager").get(
        URL, {**NOVEMBER, "file_format": "pdf"}
    )
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf"
    assert 'filename="kesheng-cx-20261101-20261130.pdf"' in answer["Content-Disposition"]
    assert len(PdfReader(io.BytesIO(answer.content)).pages) >= 2


def headline_n(content: bytes) -> int:
    rows = list(load_workbook(io.BytesIO(content))["Headline"].iter_rows(values_only=True))
    return rows[1][2]


def test_a_store_manager_gets_only_their_stores(client, survey):
    manager = create_staff_user("manager.wang", role="store_manager")
    grant_store_access(user=manager, store_codes=["bj01"])
    client.login(username="manager.wang", password=STAFF_PASSWORD)
    answer = client.get(URL, {**NOVEMBER, "file_format": "xlsx"})
    assert answer.status_code == 200
    assert headline_n(answer.content) == 2  # Beijing's two November answers, not all seven


def test_bad_dates_show_the_form_with_the_reason(client, survey):
    answer = signed_in(client, "cx.zhang", "cx_manager").get(
        URL,
        {
            "date_from": "2026-12-01",
            "date_to": "2026-11-01",
            "file_format": "pdf",
            "language": "en",
        },
        headers={"Accept-Language": "en"},
    )
    assert answer.status_code == 400
    assert b"The end must be on or after the start." in answer.content


def test_signing_in_is_required(client, db):
    answer = client.get(URL)
    assert answer.status_code == 302
    assert "/accounts/login/" in answer["Location"]
