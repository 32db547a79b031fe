"""Segment fields on touchpoint activity: an event at a touchpoint or on a channel (in the last
N days), and the date of the latest event."""

from datetime import UTC, datetime

import pytest

from kesheng.customers.models import Customer
from kesheng.customers.segments import compile_rules, validate_rules
from kesheng.tracking.actions import record_events

NOW = datetime(2026, 6, 15, 4, 0, tzinfo=UTC)


@pytest.fixture
def visitors(make_customer):
    for customer_id in ("A", "B", "C"):
        make_customer(customer_id)
    result = record_events(
        items=[
            {
                "event_id": "A1",
                "customer_id": "A",
                "type": "visit",
                "touchpoint": "store_checkout",
                "occurred_at": "2026-06-10T10:00:00+08:00",
            },
            {
                "event_id": "B1",
                "customer_id": "B",
                "type": "page_view",
                "touchpoint": "web_browse",
                "occurred_at": "2026-01-10T10:00:00+08:00",
            },
        ]
    )
    assert result.accepted == 2


def members(field, op, value, **extra) -> set[str]:
    rules = validate_rules({"all": [{"field": field, "op": op, "value": value, **extra}]})
    return set(
        Customer.objects.filter(compile_rules(rules, now=NOW)).values_list("customer_id", flat=True)
    )


def test_event_at_touchpoint_within_days(visitors):
    assert members("events.touchpoint", "eq", "store_checkout") == {"A"}
    assert members("events.touchpoint", "in", ["store_checkout", "web_browse"]) == {"A", "B"}
    assert members("events.touchpoint", "in", ["store_checkout", "web_browse"], days=30) == {"A"}


def test_event_on_channel(visitors):
    assert members("events.channel", "eq", "web") == {"B"}
    assert members("events.channel", "eq", "web", days=30) == set()


def test_last_activity(visitors):
    assert members("events.last_occurred_at", "within_last_days", 30) == {"A"}
    assert members("events.last_occurred_at", "not_within_last_days", 30) == {"B"}
    assert members("events.last_occurred_at", "before", "2026-02-01") == {"B"}
    assert members("events.last_occurred_at", "after", "2026-02-01") == {"A"}
