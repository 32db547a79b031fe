"""The touchpoint-activity fields segment rules can test (registered in TrackingConfig.ready):
"had an event at this touchpoint / on this channel (within the last N days)" and the date of
the latest event."""

from datetime import timedelta

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from kesheng.customers.segments import (
    DATE,
    TEXT,
    Condition,
    SegmentField,
    register_segment_field,
    since,
    start_of_day,
)
from kesheng.tracking.models import Event


def _events(condition: Condition):
    events = Event.objects.filter(customer_id=OuterRef("pk"))
    start = since(condition)
    if start is not None:
        events = events.filter(occurred_at__gte=start, occurred_at__lte=condition.now)
    return events


def _code_q(relation: str):
    def to_q(condition: Condition) -> Q:
        values = [condition.value] if condition.op == "eq" else condition.value
        return Q(Exists(_events(condition).filter(**{f"{relation}__code__in": values})))

    return to_q


def _last_event_q(condition: Condition) -> Q:
    """Tests the customer's newest event; a customer without events matches none of them."""
    events = Event.objects.filter(customer_id=OuterRef("pk"))
    op, value = condition.op, condition.value
    if op == "after":
        return Q(Exists(events.filter(occurred_at__gte=start_of_day(value + timedelta(days=1)))))
    if op == "before":
        return Q(Exists(events)) & ~Q(Exists(events.filter(occurred_at__gte=start_of_day(value))))
    recent = Q(Exists(events.filter(occurred_at__gte=condition.now - timedelta(days=value))))
    if op == "within_last_days":
        return recent
    return Q(Exists(events)) & ~recent


def register_event_fields() -> None:
    group = _("Touchpoint activity")
    register_segment_field(
        SegmentField(
            key="events.touchpoint",
            label=_("had an event at touchpoint (code)"),
            kind=TEXT,
            ops=("eq", "in"),
            takes_days=True,
            to_q=_code_q("touchpoint"),
            group=group,
        )
    )
    register_segment_field(
        SegmentField(
            key="events.channel",
            label=_("had an event on channel (code)"),
            kind=TEXT,
            ops=("eq", "in"),
            takes_days=True,
            to_q=_code_q("channel"),
            group=group,
        )
    )
    register_segment_field(
        SegmentField(
            key="events.last_occurred_at",
            label=_("last activity"),
            kind=DATE,
            to_q=_last_event_q,
            group=group,
        )
    )
