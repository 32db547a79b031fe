from datetime import UTC, datetime

import pytest

from kesheng.tracking.actions import prepare_events, record_events, write_events
from kesheng.tracking.models import Event, Touchpoint


def event(**overrides):
    item = {
        "event_id": "E1",
        "customer_id": "C001",
        "type": "store_visit",
        "channel": "store",
        "touchpoint": "store_entrance",
        "occurred_at": "2025-03-01T14:30:00+08:00",
        "properties": {"store": "SH01"},
    }
    item.update(overrides)
    return item


def test_records_valid_events_and_reports_bad_ones_with_field_and_reason(customer):
    result = record_events(
        items=[
            event(),
            event(event_id="E2", customer_id="NOPE"),
            event(event_id="E3", occurred_at="yesterday"),
            event(event_id="E4", channel="fax"),
            "not an object",
        ]
    )
    assert result.accepted == 1
    assert result.duplicates == 0
    assert [(r.index, r.field) for r in result.rejected] == [
        (1, "customer_id"),
        (2, "occurred_at"),
        (3, "channel"),
        (4, "event"),
    ]
    assert result.rejected[0].reason == "unknown customer 'NOPE'"
    stored = Event.objects.get()
    assert stored.event_id == "E1"
    assert stored.occurred_at == datetime(2025, 3, 1, 6, 30, tzinfo=UTC)
    assert stored.properties == {"store": "SH01"}
    assert stored.touchpoint.code == "store_entrance"


def test_same_batch_twice_counts_duplicates_and_changes_nothing(customer):
    items = [event(), event(event_id="E2"), event(event_id="E2")]
    first = record_events(items=items)
    assert (first.accepted, first.duplicates) == (2, 1)
    second = record_events(items=items)
    assert (second.accepted, second.duplicates) == (0, 3)
    assert Event.objects.count() == 2


def test_naive_time_is_read_in_the_business_time_zone(customer):
    record_events(items=[event(occurred_at="2025-03-01 14:30:00")])
    assert Event.objects.get().occurred_at == datetime(2025, 3, 1, 6, 30, tzinfo=UTC)


def test_unknown_touchpoint_on_a_known_channel_is_created_unassigned(customer):
    result = record_events(items=[event(touchpoint="store_fitting_room")])
    assert result.accepted == 1
    assert result.created_references == {"touchpoints": 1}
    created = Touchpoint.objects.get(code="store_fitting_room")
    assert (created.channel.code, created.journey_stage) == ("store", "unassigned")


def test_touchpoint_of_another_channel_is_refused(customer):
    result = record_events(items=[event(channel="web", touchpoint="store_checkout")])
    assert result.accepted == 0
    assert result.rejected[0].field == "touchpoint"
    assert Event.objects.count() == 0


def test_channel_is_taken_from_a_known_touchpoint(customer):
    record_events(items=[event(channel=None, touchpoint="web_browse")])
    assert Event.objects.get().channel.code == "web"


@pytest.mark.parametrize("fast", [False, True])
def test_both_write_paths_store_the_same_values(customer, fast):
    prepared = prepare_events([event(properties={"页面": "首页", "n": 3})])
    write_events(prepared, fast=fast)
    stored = Event.objects.get()
    assert stored.properties == {"页面": "首页", "n": 3}
    assert stored.occurred_at == datetime(2025, 3, 1, 6, 30, tzinfo=UTC)
    assert stored.customer_id == customer.pk
