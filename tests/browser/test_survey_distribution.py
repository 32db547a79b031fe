"""A CX manager imports a LimeSurvey file in a real browser, opens the survey, makes QR codes
for two stores and gets the printable sheet with one code per store."""

import os
import re
from pathlib import Path

import pytest

from tests.staff_fixtures import STAFF_PASSWORD, create_staff_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

LIMESURVEY_FILE = (
    Path(__file__).parents[1] / "surveys" / "fixtures" / "kesheng_ls3_store_zh_hans.lss"
)


@pytest.fixture
def cx_manager_and_stores(transactional_db, settings):
    from kesheng.commerce.actions import save_store

    settings.KESHENG_PUBLIC_URL = "http://survey.example.com"
    create_staff_user("cx.zhao", role="cx_manager")
    save_store(code="sh-001", name_zh="南京路店", name_en="Nanjing Road")
    save_store(code="sh-002", name_zh="淮海路店", name_en="Huaihai Road")
    save_store(code="bj-001", name_zh="王府井店", name_en="Wangfujing")


def _screenshot(page, tmp_path: Path, name: str) -> None:
    folder = Path(os.environ.get("KESHENG_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_cx_manager_imports_a_survey_and_prints_qr_codes_for_two_stores(
    live_server, cx_manager_and_stores, page, tmp_path
):
    page.goto(f"{live_server.url}/surveys/")
    page.get_by_label("用户名").fill("cx.zhao")
    page.get_by_label("密码").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/surveys/$"))
    page.get_by_role("button", name="English").click()
    page.wait_for_selector("html[lang=en]")

    page.get_by_role("link", name="Import a file").click()
    page.get_by_label("Survey file").set_input_files(str(LIMESURVEY_FILE))
    page.get_by_role("button", name="Import").click()
    page.wait_for_selector("table.unmapped-table")
    assert page.get_by_role("status").inner_text() == "Survey imported as a draft."
    assert page.locator("table.unmapped-table tbody tr").count() == 4
    assert "Q4" in page.locator("table.unmapped-table").inner_text()
    _screenshot(page, tmp_path, "survey-import-en")

    page.get_by_role("link", name="Open in the editor").click()
    page.wait_for_url(re.compile(r"/surveys/\d+/$"))
    page.locator("button[name=status][value=open]").click()
    page.wait_for_selector("text=The survey is now open.")

    page.get_by_role("link", name="Distributions").click()
    page.wait_for_url(re.compile(r"/distributions/$"))
    _screenshot(page, tmp_path, "survey-distribute-en")
    page.get_by_label("Nanjing Road").check()
    page.get_by_label("Wangfujing").check()
    page.get_by_role("button", name="Create the QR codes").click()
    page.wait_for_url(re.compile(r"/distributions/qr/print/\?ids="))
    assert page.get_by_role("status").inner_text() == "2 QR codes created."
    cards = page.locator("figure.qr-card")
    assert cards.count() == 2
    places = page.locator(".qr-place").all_inner_texts()
    assert places == ["Wangfujing", "Nanjing Road"]
    # Each image has loaded and is drawn at print size (not a broken image).
    page.wait_for_function(
        "Array.from(document.images).filter(i => i.classList.contains('qr-image'))"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    page.emulate_media(media="print")
    assert page.locator("header.topbar").is_hidden()
    assert page.locator(".qr-card").first.is_visible()
    _screenshot(page, tmp_path, "survey-qr-print")
