"""The journeys page's funnel and path charts draw in a real browser from the packaged Plotly."""

import re

import pytest

from tests.analytics.test_journeys import journey_data  # noqa: F401  (fixture)
from tests.staff_fixtures import STAFF_PASSWORD, create_staff_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def analyst(transactional_db, journey_data):  # noqa: F811
    create_staff_user("analyst.wu", role="analyst")


def test_the_funnel_and_path_charts_are_drawn(live_server, analyst, page):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("analyst.wu")
    page.get_by_label("密码").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/customers/$"))
    page.goto(
        f"{live_server.url}/analytics/journeys/?steps=web_browse,web_product_page,web_checkout"
    )
    page.wait_for_selector("#chart-funnel .main-svg")
    assert page.locator("#chart-funnel .point").count() == 3
    page.wait_for_selector("#chart-paths-purchase .main-svg")
    page.wait_for_selector("#chart-paths-complaint .main-svg")
