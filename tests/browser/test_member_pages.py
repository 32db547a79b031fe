"""A member on a phone signs in with the code sent by SMS, sees their points and tier,
switches to English, redeems a reward and finds the coupon code."""

import re

import pytest

from tests.loyalty.member_helpers import RECORDING_BACKEND, RecordingSmsBackend, last_code

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def member(transactional_db, settings):
    from django.core.cache import cache

    from kesheng.customers.actions import CustomerRecord, upsert_customer
    from kesheng.loyalty.actions.points import adjust_points
    from kesheng.loyalty.actions.programme import configure_programme
    from kesheng.loyalty.programme import check_programme
    from tests.loyalty.conftest import programme_document

    settings.KESHENG_SMS_BACKEND = RECORDING_BACKEND
    RecordingSmsBackend.sent = []
    cache.clear()
    reward = {
        "code": "coupon-20",
        "name": {"zh-Hans": "满 100 减 20 元券", "en": "20 CNY off 100"},
        "kind": "coupon_amount",
        "points": 2000,
        "amount": 20,
        "minimum_spend": 100,
    }
    configure_programme(programme_settings=check_programme(programme_document(rewards=[reward])))
    upsert_customer(record=CustomerRecord(customer_id="C001", name="王芳", phone="13800138000"))
    adjust_points(
        customer_id="C001", request_no="seed", points=5000, reason="seed", created_by="test"
    )


def test_a_member_signs_in_on_a_phone_and_redeems_a_reward(live_server, member, page):
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{live_server.url}/m/")
    # Located by id, not by label: the labels' Chinese comes with the integrator's catalogue.
    page.locator("#phone").fill("138 0013 8000")
    page.locator("button.mb-button").click()
    page.wait_for_url(re.compile(r"/m/sign-in/code/$"))
    page.locator("#code").fill(last_code())
    page.locator("button.mb-button").click()
    page.wait_for_url(re.compile(r"/m/$"))
    assert page.get_by_test_id("balance").inner_text() == "5000"
    # Phone first: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.locator("button[name=language][value=en]").click()
    page.wait_for_selector("html[lang=en]")
    page.get_by_role("link", name="Rewards").click()
    page.get_by_role("link", name="Redeem").click()
    page.get_by_role("button", name="Redeem for 2000 points").click()
    page.wait_for_url(re.compile(r"/m/coupons/\?redeemed="))
    assert "Redeemed: your coupon code is" in page.get_by_role("status").inner_text()
    assert page.get_by_test_id("coupon").count() == 1
    page.get_by_role("link", name="Points").click()
    assert page.get_by_test_id("balance").inner_text() == "3000"
