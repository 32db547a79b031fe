"""Building a segment in a real browser with the condition rows (no script needed): preview,
save, and send a survey to it from the distribute page."""

import os
import re
from pathlib import Path

import pytest

from kesheng.customers.actions import CustomerRecord, upsert_customer
from tests.staff_fixtures import STAFF_PASSWORD, create_staff_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def shoppers(transactional_db):
    for customer_id, name, city, tags in [
        ("C1", "王芳", "上海", ["vip"]),
        ("C2", "李雷", "北京", ["vip"]),
        ("C3", "韩梅梅", "上海", []),
    ]:
        upsert_customer(
            record=CustomerRecord(customer_id=customer_id, name=name, city=city, tags=tags)
        )
    create_staff_user("cx.wang", role="cx_manager")


def _screenshot(page, tmp_path: Path, name: str) -> None:
    folder = Path(os.environ.get("KESHENG_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_a_manager_builds_previews_and_saves_a_segment(live_server, shoppers, page, tmp_path):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("cx.wang")
    page.get_by_label("密码").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/customers/$"))
    page.get_by_role("button", name="English").click()
    page.wait_for_selector("html[lang=en]")

    page.get_by_role("link", name="Segments").first.click()
    page.wait_for_url(re.compile(r"/customers/segments/$"))
    page.get_by_role("link", name="New segment").click()
    page.get_by_label("Name").fill("上海 VIP")
    page.get_by_label("Field 1").select_option("tag")
    page.get_by_label("Condition 1").select_option("has")
    page.get_by_label("Value 1").fill("vip")
    page.get_by_label("Field 2").select_option("city")
    page.get_by_label("Condition 2").select_option("eq")
    page.get_by_label("Value 2").fill("上海")
    page.get_by_role("button", name="Preview").click()
    assert page.locator("#preview-title").inner_text() == "1 customer matches now"
    assert "王芳" in page.locator(".segment-preview").inner_text()
    _screenshot(page, tmp_path, "segment-preview-en")

    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/customers/segments/\d+/$"))
    assert page.locator("h1").inner_text() == "上海 VIP"
    page.get_by_role("link", name="Segments").last.click()
    row = page.locator("table.segment-table tbody tr")
    assert row.count() == 1
    assert "上海 VIP" in row.inner_text() and "1" in row.locator("td.number").inner_text()
    _screenshot(page, tmp_path, "segment-list-en")
