"""Campaign test data: a programme with a coupon reward, an audience of tagged members
(half of them consenting to marketing by email, every third in English), the builder's
values."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kesheng.loyalty.actions.programme import configure_programme
from kesheng.loyalty.programme import check_programme

COUPON = {
    "code": "coupon-20",
    "name": {"zh-Hans": "满 100 减 20 元券", "en": "20 CNY off 100"},
    "kind": "coupon_amount",
    "points": 2000,
    "amount": 20,
    "minimum_spend": 100,
    "valid_days": 30,
}
VIP = {"all": [{"field": "tag", "op": "has", "value": "vip"}]}


@pytest.fixture
def campaign_catalogue(db):
    from tests.loyalty.conftest import programme_document

    return configure_programme(
        programme_settings=check_programme(programme_document(rewards=[COUPON]))
    )


@pytest.fixture
def campaign_audience(make_customer):
    """Members tagged vip, half of them with marketing consent by email, one not tagged."""

    def build(count: int):
        customers = [
            make_customer(
                f"V{index:03d}",
                name=f"Member {index}",
                email=f"v{index}@example.com",
                tags=["vip"],
                consents={"email:marketing": index % 2 == 0},
                attributes={"language": "en" if index % 3 == 0 else "zh-Hans"},
            )
            for index in range(count)
        ]
        make_customer("OTHER", email="other@example.com")
        return customers

    return build


def campaign_values(**overrides) -> dict:
    today = timezone.localdate()
    document = {
        "name": "Spring bonus",
        "rules": VIP,
        "starts_on": (today - timedelta(days=1)).isoformat(),
        "ends_on": (today + timedelta(days=30)).isoformat(),
        "offer_kind": "points",
        "bonus_points": 200,
        "channel": "email",
        "subject_zh": "{name}，送您 {points} 积分",
        "body_zh": "{name}，您好：{points} 积分已到账，活动截止 {ends_on}。",
        "subject_en": "{points} points for you, {name}",
        "body_en": "Hello {name}: {points} points are in your account until {ends_on}.",
        "control_share": "0.5",
    }
    document.update(overrides)
    return document
