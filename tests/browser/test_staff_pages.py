"""A staff member's first visit, end to end in a real browser against a live server."""

import os
import re
from pathlib import Path

import pytest

from kesheng.customers.actions import CustomerRecord, upsert_customer
from tests.staff_fixtures import STAFF_PASSWORD, build_customer_with_history, create_staff_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def shop(transactional_db):
    """Two customers (one with orders and events) and an agent who may read them."""
    build_customer_with_history("C001", events=4, orders=2)
    upsert_customer(record=CustomerRecord(customer_id="C002", name="李雷", city="北京"))
    create_staff_user("agent.li", role="agent")


def _screenshot(page, tmp_path: Path, name: str) -> None:
    # Kept outside the repository; KESHENG_SCREENSHOT_DIR collects them for a person to look at.
    folder = Path(os.environ.get("KESHENG_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_staff_member_logs_in_finds_a_customer_and_reads_the_timeline(
    live_server, shop, page, tmp_path
):
    page.goto(f"{live_server.url}/")
    assert page.locator("h1").inner_text() == "登录客声"
    page.get_by_label("用户名").fill("agent.li")
    page.get_by_label("密码").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="登录").click()

    page.wait_for_url(re.compile(r"/customers/$"))
    assert page.locator("h1").inner_text() == "客户"
    assert page.locator("table.customer-table tbody tr").count() == 2

    page.get_by_label("搜索").fill("王芳")
    page.get_by_role("button", name="搜索").click()
    page.wait_for_url(re.compile(r"q=%E7%8E%8B%E8%8A%B3"))
    rows = page.locator("table.customer-table tbody tr")
    assert rows.count() == 1
    assert "¥256.00" in rows.first.inner_text()

    page.get_by_role("link", name="王芳").click()
    page.wait_for_url(re.compile(r"/customers/C001/$"))
    timeline = page.locator("ol.timeline > li")
    assert timeline.count() == 6
    first_entry = timeline.first.inner_text()
    assert "订单 C001-O1" in first_entry
    assert "购买" in first_entry
    assert "2025-02-02 10:30" in first_entry
    assert page.get_by_text("微信客服").first.is_visible()
    _screenshot(page, tmp_path, "customer-360-zh")

    page.get_by_role("button", name="English").click()
    page.wait_for_selector("html[lang=en]")
    assert page.locator("h2#timeline-heading").inner_text() == "Timeline"
    assert "Order C001-O1" in page.locator("ol.timeline > li").first.inner_text()
    assert page.get_by_text("WeChat customer service").first.is_visible()
    _screenshot(page, tmp_path, "customer-360-en")

    page.get_by_role("link", name="Touchpoint map").click()
    page.wait_for_url(re.compile(r"/touchpoints/$"))
    assert page.locator("h1").inner_text() == "Touchpoint map"
    checkout = page.locator(".touchpoint", has_text="Checkout").first
    assert checkout.locator(".touchpoint-count").inner_text() == "2"
    _screenshot(page, tmp_path, "touchpoint-map-en")


def test_wrong_password_keeps_the_visitor_on_the_login_page(live_server, shop, page):
    page.goto(f"{live_server.url}/customers/")
    page.get_by_label("用户名").fill("agent.li")
    page.get_by_label("密码").fill("not-the-password")
    page.get_by_role("button", name="登录").click()
    assert page.get_by_role("alert").is_visible()
    assert re.search(r"/accounts/login/", page.url)
