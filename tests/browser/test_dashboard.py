"""The dashboard's charts draw in a real browser from the Plotly shipped in the package."""

import re

import pytest

from tests.staff_fixtures import STAFF_PASSWORD, create_staff_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def answered(transactional_db, survey):
    create_staff_user("cx.wang", role="cx_manager")
    return survey


def test_the_trend_and_breakdown_charts_are_drawn(live_server, answered, page):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("cx.wang")
    page.get_by_label("密码").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/customers/$"))
    page.goto(f"{live_server.url}/reports/?date_from=2026-10-01&date_to=2026-11-30")
    for chart in ("#chart-trend", "#chart-touchpoints", "#chart-stores"):
        page.wait_for_selector(f"{chart} .main-svg")
    # One bar per store, drawn by Plotly.
    assert page.locator("#chart-stores .bars .point").count() == 2
