"""A campaign's uplift chart draws in a real browser: one bar per group with error bars."""

import re

import pytest

from kesheng.customers.actions import CustomerRecord, upsert_customer
from kesheng.loyalty.actions.campaigns import create_campaign, launch_campaign
from kesheng.loyalty.actions.programme import configure_programme
from kesheng.loyalty.programme import check_programme
from tests.loyalty.campaign_fixtures import COUPON, campaign_values
from tests.loyalty.conftest import programme_document
from tests.staff_fixtures import STAFF_PASSWORD, create_staff_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def launched(transactional_db):
    configure_programme(programme_settings=check_programme(programme_document(rewards=[COUPON])))
    for index in range(6):
        upsert_customer(
            record=CustomerRecord(
                customer_id=f"V{index:03d}", email=f"v{index}@example.com", tags=["vip"]
            )
        )
    campaign = create_campaign(values=campaign_values())
    launch_campaign(campaign_id=campaign.pk, launched_by="tester")
    create_staff_user("cx.wang", role="cx_manager")
    return campaign


def test_the_uplift_chart_draws_bars_per_group(live_server, launched, page):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("cx.wang")
    page.get_by_label("密码").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/customers/$"))
    page.goto(f"{live_server.url}/loyalty/campaigns/{launched.pk}/")
    for key in ("redemption_rate", "ordered_share", "orders_per_member", "revenue_per_member"):
        page.wait_for_selector(f"#chart-{key} .main-svg")
        assert page.locator(f"#chart-{key} .bars .point").count() == 2
