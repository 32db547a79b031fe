"""Reads of channels, touchpoints and events."""

from django.db.models import Count, Max, Prefetch

from kesheng.customers.contributions import TimelineCursor, TimelineEntry, cursor_filter
from kesheng.tracking.models import JOURNEY_STAGE_ORDER, Channel, Event, Touchpoint


def list_channels_with_touchpoints() -> list[Channel]:
    """Every channel with its touchpoints, each annotated with its event count and last event."""
    touchpoints = Touchpoint.objects.annotate(
        event_count=Count("events"), last_event_at=Max("events__occurred_at")
    ).order_by("sort_order", "code")
    return list(
        Channel.objects.prefetch_related(Prefetch("touchpoints", queryset=touchpoints)).order_by(
            "sort_order", "code"
        )
    )


def get_touchpoint_map() -> list[dict]:
    """Touchpoints grouped by journey stage in journey order, each with channel and event count."""
    rows = (
        Touchpoint.objects.select_related("channel")
        .annotate(event_count=Count("events"))
        .order_by("sort_order", "code")
    )
    by_stage: dict[str, list[Touchpoint]] = {stage: [] for stage in JOURNEY_STAGE_ORDER}
    for touchpoint in rows:
        by_stage.setdefault(touchpoint.journey_stage, []).append(touchpoint)
    return [
        {
            "stage": stage,
            "touchpoints": touchpoints,
            "event_count": sum(t.event_count for t in touchpoints),
        }
        for stage, touchpoints in by_stage.items()
    ]


def count_events(*, customer_pk: int | None = None) -> int:
    events = Event.objects.all()
    if customer_pk is not None:
        events = events.filter(customer_id=customer_pk)
    return events.count()


def list_event_timeline(
    customer_pk: int, cursor: TimelineCursor | None, limit: int
) -> list[TimelineEntry]:
    events = (
        Event.objects.filter(customer_id=customer_pk)
        .filter(cursor_filter(cursor, kind="event", time_field="occurred_at"))
        .select_related("channel", "touchpoint")
        .order_by("-occurred_at", "-pk")[:limit]
    )
    return [
        TimelineEntry(
            kind="event",
            id=event.pk,
            occurred_at=event.occurred_at,
            title=event.type,
            channel=event.channel.code,
            touchpoint=event.touchpoint.code if event.touchpoint else None,
            data={
                "event_id": event.event_id,
                "type": event.type,
                "channel_name": event.channel.name,
                "touchpoint_name": event.touchpoint.name if event.touchpoint else None,
                "journey_stage": event.touchpoint.journey_stage if event.touchpoint else None,
                "properties": event.properties,
            },
        )
        for event in events
    ]


def get_event_summary(customer_pk: int) -> dict:
    summary = Event.objects.filter(customer_id=customer_pk).aggregate(
        count=Count("pk"), last_at=Max("occurred_at")
    )
    return {"count": summary["count"], "last_at": summary["last_at"]}
