"""Reads of channels, touchpoints and events."""

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.db.models import Count, Max, Prefetch, Q

from kesheng.customers.contributions import TimelineCursor, TimelineEntry, cursor_filter
from kesheng.tracking.models import (
    JOURNEY_STAGE_ORDER,
    Channel,
    Event,
    JourneyStage,
    Touchpoint,
)


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


@dataclass(frozen=True)
class StageColumn:
    stage: str
    label: str
    event_count: int


@dataclass(frozen=True)
class ChannelRow:
    channel: Channel
    cells: list[list[Touchpoint]]  # one list of touchpoints per stage column, in column order
    event_count: int


@dataclass(frozen=True)
class TouchpointOverview:
    """Channels as rows, journey stages as columns, touchpoints (with event counts) in cells."""

    stages: list[StageColumn]
    rows: list[ChannelRow]
    event_count: int


def get_touchpoint_overview() -> TouchpointOverview:
    """The touchpoint map: every channel's touchpoints placed by journey stage, with event
    counts; a stage no touchpoint uses ("unassigned" usually) is left out."""
    channels = list_channels_with_touchpoints()
    used_stages = {
        touchpoint.journey_stage for channel in channels for touchpoint in channel.touchpoints.all()
    }
    stage_order = [stage for stage in JOURNEY_STAGE_ORDER if stage in used_stages]
    stage_order += sorted(used_stages - set(stage_order))
    stage_totals = dict.fromkeys(stage_order, 0)
    rows = []
    for channel in channels:
        cells: dict[str, list[Touchpoint]] = {stage: [] for stage in stage_order}
        for touchpoint in channel.touchpoints.all():
            cells[touchpoint.journey_stage].append(touchpoint)
            stage_totals[touchpoint.journey_stage] += touchpoint.event_count
        rows.append(
            ChannelRow(
                channel=channel,
                cells=[cells[stage] for stage in stage_order],
                event_count=sum(t.event_count for t in channel.touchpoints.all()),
            )
        )
    labels = dict(JourneyStage.choices)
    stages = [
        StageColumn(
            stage=stage, label=str(labels.get(stage, stage)), event_count=stage_totals[stage]
        )
        for stage in stage_order
    ]
    return TouchpointOverview(
        stages=stages, rows=rows, event_count=sum(row.event_count for row in rows)
    )


def get_event_panel(customer_pk: int) -> dict:
    """The events panel of the customer-360 page: how many events, the last one, and how many
    on each channel (two queries, whatever the history)."""
    per_channel = list(
        Event.objects.filter(customer_id=customer_pk)
        .values("channel_id")
        .annotate(count=Count("pk"), last_at=Max("occurred_at"))
        .order_by("-count", "channel_id")
    )
    channels = Channel.objects.in_bulk([row["channel_id"] for row in per_channel])
    return {
        "event_count": sum(row["count"] for row in per_channel),
        "last_at": max((row["last_at"] for row in per_channel), default=None),
        "channels": [
            {
                "channel": channels[row["channel_id"]],
                "count": row["count"],
                "last_at": row["last_at"],
            }
            for row in per_channel
        ],
    }


def count_events_by_customer(*, start: datetime, end: datetime) -> tuple[list[int], list[int]]:
    """Events per customer that occurred in [start, end), grouped in the database: parallel
    lists of customer pks and counts (customers without events absent), for the churn
    indicators."""
    rows = (
        Event.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
        .order_by()
        .values_list("customer_id")
        .annotate(count=Count("id"))
    )
    pks: list[int] = []
    counts: list[int] = []
    for customer_pk, count in rows.iterator(chunk_size=10_000):
        pks.append(customer_pk)
        counts.append(count)
    return pks, counts


@dataclass(frozen=True)
class EventArrays:
    """Touchpoint events as parallel arrays, one element per event (``list_event_arrays``)."""

    customer_pks: np.ndarray  # int64
    seconds: np.ndarray  # int64, seconds since the Unix epoch
    touchpoints: np.ndarray  # str, the touchpoint's code ("" for an event without one)
    types: np.ndarray  # str, the event's type
    channels: np.ndarray  # str, the channel's code


def list_event_arrays(
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    steps: list[str] | None = None,
) -> EventArrays:
    """Every event in [start, end) (either end open), or only those whose touchpoint code or
    type is one of ``steps``, as arrays in one query streamed in chunks: the input of the
    journey models (funnels, paths), which work on whole arrays."""
    events = Event.objects.all()
    if start is not None:
        events = events.filter(occurred_at__gte=start)
    if end is not None:
        events = events.filter(occurred_at__lt=end)
    if steps is not None:
        events = events.filter(Q(touchpoint__code__in=steps) | Q(type__in=steps))
    # Ids rather than joined codes: the rows stay narrow and the few codes are mapped once.
    rows = events.order_by().values_list(
        "customer_id", "occurred_at", "touchpoint_id", "type", "channel_id"
    )
    customers: list[int] = []
    seconds: list[float] = []
    touchpoint_ids: list[int] = []
    types: list[str] = []
    channel_ids: list[int] = []
    for customer_pk, occurred_at, touchpoint_pk, event_type, channel_pk in rows.iterator(
        chunk_size=10_000
    ):
        customers.append(customer_pk)
        seconds.append(occurred_at.timestamp())
        touchpoint_ids.append(touchpoint_pk or 0)
        types.append(event_type)
        channel_ids.append(channel_pk)
    touchpoint_codes = dict(Touchpoint.objects.values_list("pk", "code"))
    channel_codes = dict(Channel.objects.values_list("pk", "code"))
    return EventArrays(
        customer_pks=np.array(customers, dtype=np.int64),
        seconds=np.floor(np.array(seconds, dtype=np.float64)).astype(np.int64),
        touchpoints=_codes_of(touchpoint_ids, touchpoint_codes),
        types=np.array(types, dtype=str),
        channels=_codes_of(channel_ids, channel_codes),
    )


def _codes_of(pks: list[int], codes: dict[int, str]) -> np.ndarray:
    """The code of each pk ("" for 0, no row), mapped per distinct pk rather than per row."""
    distinct, index = np.unique(np.array(pks, dtype=np.int64), return_inverse=True)
    names = np.array([codes.get(pk, "") for pk in distinct.tolist()] or [""], dtype=str)
    return names[index.ravel()] if len(pks) else np.array([], dtype=str)


def list_event_types() -> list[str]:
    """The distinct event types recorded, sorted."""
    return list(Event.objects.order_by("type").values_list("type", flat=True).distinct())


def count_events_by_customer_and_channel() -> tuple[list[int], list[str], list[int]]:
    """Events per customer and channel, grouped in the database: parallel lists of customer
    pks, channel codes and counts (for the personas' channel mix)."""
    rows = (
        Event.objects.order_by()
        .values_list("customer_id", "channel__code")
        .annotate(count=Count("id"))
    )
    pks: list[int] = []
    codes: list[str] = []
    counts: list[int] = []
    for customer_pk, code, count in rows.iterator(chunk_size=10_000):
        pks.append(customer_pk)
        codes.append(code)
        counts.append(count)
    return pks, codes, counts


def get_step_labels() -> dict[str, str]:
    """Touchpoint and channel codes with their names in the active language."""
    labels = {code: str(name) for code, name in _named(Channel.objects.all())}
    labels.update({code: str(name) for code, name in _named(Touchpoint.objects.all())})
    return labels


def _named(queryset):
    return [(row.code, row.name) for row in queryset.only("code", "name_zh", "name_en")]
