from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone, translation

from kesheng.loyalty.actions.members import member_link_token
from kesheng.loyalty.actions.points import adjust_points
from kesheng.loyalty.actions.programme import configure_programme
from kesheng.loyalty.models import Coupon, PointsAccount, PointsTransaction, Reward
from kesheng.loyalty.programme import check_programme
from tests.loyalty.conftest import programme_document

REWARDS = [
    {
        "code": "coupon-20",
        "name": {"zh-Hans": "满 100 减 20 元券", "en": "20 CNY off 100"},
        "kind": "coupon_amount",
        "points": 2000,
        "amount": 20,
        "minimum_spend": 100,
        "per_member_limit": 1,
    },
    {
        "code": "thermos",
        "name": {"zh-Hans": "保温杯", "en": "Thermos flask"},
        "kind": "gift",
        "points": 9000,
    },
    {
        "code": "cash",
        "name": {"zh-Hans": "积分抵现", "en": "Points as cash"},
        "kind": "points_as_cash",
        "points_per_cny": 100,
    },
]


@pytest.fixture
def members(db, make_customer, place_order):
    configure_programme(
        programme_settings=check_programme(
            programme_document(
                rewards=REWARDS,
                earn_rules=[{"code": "base", "points_per_cny": 1}],
                expiry={"mode": "rolling", "months": 12},
            )
        )
    )
    make_customer("C001", name="王芳", phone="13800138000")
    make_customer("C002", name="李雷", phone="13900139000")
    adjust_points(
        customer_id="C001", request_no="seed-1", points=5000, reason="seed", created_by="t"
    )
    adjust_points(
        customer_id="C002", request_no="seed-2", points=777, reason="seed", created_by="t"
    )
    place_order("C001", "1200.00", ordered_at=timezone.now() - timedelta(days=1))


def pk(code: str) -> int:
    return Reward.objects.get(code=code).pk


def signed_in(customer_id: str, language: str = "en") -> Client:
    client = Client(headers={"Accept-Language": language})
    response = client.get(f"/m/link/{member_link_token(customer_id)}/")
    assert response.status_code == 302
    return client


def test_the_home_page_shows_the_members_balance_pending_tier_and_lots(members):
    with translation.override("en"):
        page = signed_in("C001").get("/m/").content.decode()
    assert 'data-testid="balance">5000<' in page
    assert "1440 more points are pending" in page  # 1200 × 1.2 at silver
    assert 'data-testid="tier">Silver<' in page
    assert "Spend 3800.00 CNY more in 12 months to reach Gold." in page
    assert page.count('data-testid="lot"') == 2
    assert "777" not in page  # the other member's balance


def test_the_home_page_speaks_chinese_by_default(members):
    page = signed_in("C001", language="zh-hans").get("/m/").content.decode()
    assert 'data-testid="tier">银卡<' in page
    assert 'lang="zh-hans"' in page


def test_the_history_lists_only_the_members_own_transactions(members):
    page = signed_in("C002").get("/m/history/").content.decode()
    assert page.count('data-testid="transaction"') == 1
    assert "+777" in page and "5000" not in page


def test_no_page_takes_another_members_id(members):
    client = signed_in("C002")
    assert client.get("/m/?customer_id=C001").content.decode().count(">5000<") == 0
    assert client.get("/m/C001/").status_code == 404


def test_rewards_list_what_can_be_redeemed_here(members):
    with translation.override("en"):
        page = signed_in("C001").get("/m/rewards/").content.decode()
    assert page.count('data-testid="reward"') == 2  # points as cash is for the till
    assert "You can spend 5000 points." in page
    assert f"/m/rewards/{pk('coupon-20')}/" in page
    assert f"/m/rewards/{pk('thermos')}/" not in page  # 9000 points: more than the balance


def test_redeeming_from_the_page_spends_points_and_shows_the_coupon(members):
    client = signed_in("C001")
    confirm = client.get(f"/m/rewards/{pk('coupon-20')}/")
    assert confirm.status_code == 200
    request_no = confirm.context["request_no"]
    response = client.post(f"/m/rewards/{pk('coupon-20')}/", {"request_no": request_no})
    coupon = Coupon.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/m/coupons/?redeemed={coupon.code}"
    assert PointsAccount.objects.get(customer__customer_id="C001").balance == 3000
    # A double tap sends the same request number: redeemed once.
    client.post(f"/m/rewards/{pk('coupon-20')}/", {"request_no": request_no})
    assert Coupon.objects.count() == 1
    page = client.get(response["Location"]).content.decode()
    assert coupon.code in page and page.count('data-testid="coupon"') == 1


def test_a_refused_redemption_is_explained_and_changes_nothing(members):
    client = signed_in("C001")
    client.post(f"/m/rewards/{pk('coupon-20')}/", {"request_no": "m-first"})
    before = PointsTransaction.objects.count()
    with translation.override("en"):
        response = client.post(f"/m/rewards/{pk('coupon-20')}/", {"request_no": "m-second"})
    assert response.status_code == 422
    assert "the limit of 1 per member for reward coupon-20 is reached" in response.content.decode()
    assert PointsTransaction.objects.count() == before
    assert PointsAccount.objects.get(customer__customer_id="C001").balance == 3000


def test_not_enough_points_is_explained(members):
    with translation.override("en"):
        response = signed_in("C002").post(
            f"/m/rewards/{pk('coupon-20')}/", {"request_no": "m-poor"}
        )
    assert response.status_code == 422
    assert "Not enough points for this reward." in response.content.decode()
    assert Coupon.objects.count() == 0


def test_coupons_show_only_the_members_own(members):
    signed_in("C001").post(f"/m/rewards/{pk('coupon-20')}/", {"request_no": "m-1"})
    page = signed_in("C002").get("/m/coupons/").content.decode()
    assert 'data-testid="coupon"' not in page


def test_the_invite_page_shows_the_referral_code_link_and_qr(members):
    page = signed_in("C001").get("/m/invite/").content.decode()
    code = members_code("C001")
    assert f'data-testid="referral-code">{code}<' in page
    assert f"http://127.0.0.1:8000/m/r/{code}/" in page
    assert "<svg" in page


def members_code(customer_id: str) -> str:
    from kesheng.loyalty.models import ReferralCode

    return ReferralCode.objects.get(customer__customer_id=customer_id).code
