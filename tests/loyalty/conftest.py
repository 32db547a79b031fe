"""Fixtures of the loyalty tests: a four-tier programme on spend, orders through the real
actions, and the domain events dispatched as they would be after commit."""

from datetime import UTC, datetime

import pytest

from kesheng.commerce.actions import record_orders
from kesheng.loyalty.actions.programme import configure_programme
from kesheng.loyalty.programme import check_programme

# The event handlers decide at the real time, so the tests place orders relative to it.
NOW = datetime.now(UTC).replace(microsecond=0)


def programme_document(**overrides) -> dict:
    document = {
        "qualification": "spend",
        "review": {"period": "quarterly", "grace_days": 30},
        "tiers": [
            {"code": "member", "name": {"zh-Hans": "普通会员", "en": "Member"}, "threshold": 0},
            {
                "code": "silver",
                "name": {"zh-Hans": "银卡", "en": "Silver"},
                "threshold": 1000,
                "privileges": {"points_multiplier": 1.2, "birthday_gift": "生日券 20 元"},
            },
            {
                "code": "gold",
                "name": {"zh-Hans": "金卡", "en": "Gold"},
                "threshold": 5000,
                "privileges": {"points_multiplier": 1.5, "free_shipping": True},
            },
            {
                "code": "diamond",
                "name": {"zh-Hans": "钻石卡", "en": "Diamond"},
                "threshold": 20000,
                "privileges": {
                    "points_multiplier": 2,
                    "free_shipping": True,
                    "priority_service": True,
                },
            },
        ],
    }
    document.update(overrides)
    return document


@pytest.fixture
def programme(db):
    return configure_programme(programme_settings=check_programme(programme_document()))


@pytest.fixture
def place_order(db, django_capture_on_commit_callbacks):
    """Record one order through the API's action; its order.placed is dispatched."""
    counter = iter(range(1, 10_000))

    def place(customer_id: str, amount: str, ordered_at: datetime = NOW, **fields):
        item = {
            "order_id": fields.pop("order_id", f"O{next(counter)}"),
            "customer_id": customer_id,
            "ordered_at": ordered_at.isoformat(),
            "amount": amount,
            "channel": "web",
            **fields,
        }
        with django_capture_on_commit_callbacks(execute=True):
            result = record_orders(items=[item])
        assert result.rejected == [], result.rejected
        return result

    return place


@pytest.fixture
def sms(settings):
    """SMS through a backend that keeps each text; rate-limit counts start from zero."""
    from django.core.cache import cache

    from tests.loyalty.member_helpers import RECORDING_BACKEND, RecordingSmsBackend

    settings.KESHENG_SMS_BACKEND = RECORDING_BACKEND
    RecordingSmsBackend.sent = []
    cache.clear()
    yield RecordingSmsBackend.sent
    cache.clear()


# Campaign fixtures live in their own module (they use programme_document above).
from tests.loyalty.campaign_fixtures import (  # noqa: E402, F401
    campaign_audience,
    campaign_catalogue,
)
