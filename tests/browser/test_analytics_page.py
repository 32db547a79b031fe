"""The analytics page's CLV histogram draws in a real browser from the Plotly shipped in the
package."""

import re

import pytest

from tests.analytics.winback_fixtures import build_shop
from tests.staff_fixtures import STAFF_PASSWORD, create_staff_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def scored(transactional_db, make_customer):
    create_staff_user("analyst.wu", role="analyst")
    return build_shop(make_customer)


def test_the_clv_histogram_is_drawn(live_server, scored, page):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("analyst.wu")
    page.get_by_label("密码").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/customers/$"))
    page.goto(f"{live_server.url}/analytics/")
    page.wait_for_selector("#chart-clv .main-svg")
    assert page.locator("#chart-clv .bars .point").count() >= 5
