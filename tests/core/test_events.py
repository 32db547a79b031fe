from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from kesheng.core import events
from kesheng.core.events import dispatch, emit, emit_many, subscribe, unsubscribe
from kesheng.core.models import DomainEvent
from kesheng.core.tasks import (
    dispatch_domain_event,
    dispatch_domain_events,
    redispatch_domain_events,
)


@pytest.fixture
def received():
    """Payloads of "test.happened" events, in the order the subscriber saw them."""
    payloads: list[dict] = []

    def handler(payload: dict) -> None:
        payloads.append(payload)

    subscribe("test.happened", handler)
    yield payloads
    unsubscribe("test.happened", handler)


def test_emit_writes_the_outbox_row_in_the_callers_transaction(db, received):
    with transaction.atomic():
        emit("test.happened", {"order_id": "O1"})
        event = DomainEvent.objects.get()
        assert (event.name, event.payload, event.dispatched_at) == (
            "test.happened",
            {"order_id": "O1"},
            None,
        )
    # the test's own transaction never commits, so nothing was dispatched
    assert received == []


def test_emit_rolled_back_with_its_transaction_leaves_nothing(db, received):
    with pytest.raises(RuntimeError), transaction.atomic():
        emit("test.happened", {"order_id": "O1"})
        raise RuntimeError("the change failed")
    assert DomainEvent.objects.count() == 0


def test_dispatch_after_commit_calls_each_subscriber_once(
    db, received, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        emit("test.happened", {"order_id": "O1"})
    assert len(callbacks) == 1
    assert received == [{"order_id": "O1"}]
    event = DomainEvent.objects.get()
    assert event.dispatched_at is not None
    assert dispatch(event.pk) is False
    assert received == [{"order_id": "O1"}]


def test_emit_many_writes_every_row_and_dispatches_them_in_batches(
    db, received, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(events, "EMIT_BATCH", 2)
    batches: list[list[int]] = []
    original = dispatch_domain_events.delay
    monkeypatch.setattr(
        dispatch_domain_events,
        "delay",
        lambda ids: (batches.append(ids), original(ids))[1],
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        emit_many("test.happened", [{"n": 1}, {"n": 2}, {"n": 3}])
        emit_many("test.happened", [])
    assert len(callbacks) == 1
    assert received == [{"n": 1}, {"n": 2}, {"n": 3}]
    assert [len(batch) for batch in batches] == [2, 1]
    assert DomainEvent.objects.filter(dispatched_at__isnull=True).count() == 0


def test_wildcard_subscribers_see_every_event(db, received, django_capture_on_commit_callbacks):
    seen: list[dict] = []

    def everything(payload):
        seen.append(payload)

    subscribe("*", everything)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            emit("test.happened", {"n": 1})
            emit("other.happened", {"n": 2})
    finally:
        unsubscribe("*", everything)
    assert received == [{"n": 1}]
    assert seen == [{"n": 1}, {"n": 2}]


def test_a_failing_subscriber_leaves_the_event_undispatched(db):
    def broken(payload):
        raise ValueError("handler failed")

    subscribe("test.broken", broken)
    try:
        event = DomainEvent.objects.create(name="test.broken", payload={})
        with pytest.raises(ValueError):
            dispatch(event.pk)
    finally:
        unsubscribe("test.broken", broken)
    event.refresh_from_db()
    assert event.dispatched_at is None


def test_broker_down_keeps_the_event_in_the_outbox(
    db, received, monkeypatch, django_capture_on_commit_callbacks
):
    def refuse(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(dispatch_domain_event, "delay", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        emit("test.happened", {"order_id": "O1"})
    assert received == []
    assert DomainEvent.objects.get().dispatched_at is None


def test_redispatch_picks_up_stragglers_only(db, received):
    old = timezone.now() - timedelta(minutes=10)
    straggler = DomainEvent.objects.create(name="test.happened", payload={"n": "old"})
    recent = DomainEvent.objects.create(name="test.happened", payload={"n": "recent"})
    done = DomainEvent.objects.create(
        name="test.happened", payload={"n": "done"}, dispatched_at=old
    )
    DomainEvent.objects.filter(pk__in=[straggler.pk, done.pk]).update(created_at=old)

    assert redispatch_domain_events(older_than_seconds=300) == 1
    assert received == [{"n": "old"}]
    straggler.refresh_from_db()
    recent.refresh_from_db()
    assert straggler.dispatched_at is not None
    assert recent.dispatched_at is None
    assert redispatch_domain_events(older_than_seconds=300) == 0
    assert received == [{"n": "old"}]


def test_subscribing_twice_calls_the_handler_once(db, received):
    handler = events.subscribers_of("test.happened")[0]
    subscribe("test.happened", handler)
    event = DomainEvent.objects.create(name="test.happened", payload={"n": 1})
    dispatch(event.pk)
    assert received == [{"n": 1}]
