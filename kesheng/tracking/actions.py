"""Recording touchpoint events: many at once, idempotent on event_id."""

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kesheng.core.events import emit
from kesheng.core.ingest import (
    IngestResult,
    Prepared,
    Rejection,
    insert_ignoring_duplicates,
    split_new_and_duplicates,
)
from kesheng.core.parsing import parse_datetime
from kesheng.customers.queries import map_customer_ids
from kesheng.tracking.models import Channel, Event, JourneyStage, Touchpoint

EVENT_FIELDS = (
    "event_id",
    "customer_id",
    "type",
    "channel",
    "touchpoint",
    "occurred_at",
    "properties",
)
_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")
_MAX_PROPERTIES_BYTES = 16_384


@dataclass(frozen=True)
class EventInput:
    event_id: str
    customer_id: str
    type: str
    channel: str
    touchpoint: str | None
    occurred_at: datetime
    properties: dict[str, Any]


def parse_event_item(item: Any, zone: ZoneInfo) -> EventInput:
    """Check one raw event (a dict from JSON or JSONL); raises ValueError("field: reason")."""
    if not isinstance(item, dict):
        raise ValueError("event: must be a JSON object")
    unknown = sorted(set(item) - set(EVENT_FIELDS))
    if unknown:
        raise ValueError(f"{unknown[0]}: is not an event field")

    def text(name: str, *, required: bool, max_length: int) -> str | None:
        value = item.get(name)
        if value is None or value == "":
            if required:
                raise ValueError(f"{name}: is required")
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ValueError(f"{name}: must be a string")
        value = str(value).strip()
        if len(value) > max_length:
            raise ValueError(f"{name}: is longer than {max_length} characters")
        return value

    event_id = text("event_id", required=True, max_length=100)
    customer_id = text("customer_id", required=True, max_length=64)
    event_type = text("type", required=True, max_length=60)
    channel = text("channel", required=False, max_length=40)
    touchpoint = text("touchpoint", required=False, max_length=60)
    if channel is None and touchpoint is None:
        raise ValueError("channel: is required when no touchpoint is given")
    for name, code in (("channel", channel), ("touchpoint", touchpoint)):
        if code is not None and not _CODE.match(code):
            raise ValueError(f"{name}: {code!r} is not a code (lower-case letters, digits, _ or -)")
    if item.get("occurred_at") in (None, ""):
        raise ValueError("occurred_at: is required")
    try:
        occurred_at = parse_datetime(item["occurred_at"], default_zone=zone)
    except (ValueError, OverflowError) as error:  # OverflowError: a time near year 1 or 9999
        raise ValueError(f"occurred_at: {error}") from None
    properties = item.get("properties")
    if properties is None:
        properties = {}
    if not isinstance(properties, dict):
        raise ValueError("properties: must be a JSON object")
    if len(json.dumps(properties, ensure_ascii=False)) > _MAX_PROPERTIES_BYTES:
        raise ValueError(f"properties: is larger than {_MAX_PROPERTIES_BYTES} bytes")
    return EventInput(
        event_id=event_id,
        customer_id=customer_id,
        type=event_type,
        channel=channel or "",
        touchpoint=touchpoint,
        occurred_at=occurred_at,
        properties=properties,
    )


@dataclass
class EventReferences:
    """Lookups a batch needs, loaded once: customers, channels and touchpoints by code."""

    customers: dict[str, int]
    channels: dict[str, int]
    touchpoints: dict[str, tuple[int, int]]  # code -> (touchpoint pk, channel pk)
    new_touchpoints: dict[str, int]  # code -> channel pk, created on write


def prepare_events(items: list[Any], *, first_index: int = 0) -> Prepared[EventInput]:
    """Parse and resolve a batch; nothing is written. Unknown touchpoints on a known channel are
    accepted and created on write (journey stage "unassigned", for staff to place)."""
    zone = ZoneInfo(settings.TIME_ZONE)
    prepared: Prepared[EventInput] = Prepared()
    parsed: list[tuple[int, EventInput]] = []
    for offset, item in enumerate(items):
        index = first_index + offset
        try:
            parsed.append((index, parse_event_item(item, zone)))
        except ValueError as error:
            field_name, _, reason = str(error).partition(": ")
            item_id = item.get("event_id") if isinstance(item, dict) else None
            prepared.rejected.append(
                Rejection(index=index, field=field_name, reason=reason, item_id=_as_id(item_id))
            )
    references = load_event_references([event for _, event in parsed])
    for index, event in parsed:
        problem = _reference_problem(event, references)
        if problem:
            field_name, reason = problem
            prepared.rejected.append(
                Rejection(index=index, field=field_name, reason=reason, item_id=event.event_id)
            )
        else:
            prepared.valid.append((index, event))
    prepared.rejected.sort(key=lambda rejection: rejection.index)
    prepared.context = references
    return prepared


def _as_id(value: Any) -> str | None:
    return None if value is None else str(value)[:100]


def load_event_references(events: list[EventInput]) -> EventReferences:
    return EventReferences(
        customers=map_customer_ids(event.customer_id for event in events),
        channels=dict(Channel.objects.values_list("code", "pk")),
        touchpoints={
            code: (pk, channel_pk)
            for code, pk, channel_pk in Touchpoint.objects.values_list("code", "pk", "channel_id")
        },
        new_touchpoints={},
    )


def _reference_problem(event: EventInput, references: EventReferences) -> tuple[str, str] | None:
    if event.customer_id not in references.customers:
        return "customer_id", f"unknown customer {event.customer_id!r}"
    channel_pk = references.channels.get(event.channel) if event.channel else None
    if event.channel and channel_pk is None:
        known = ", ".join(sorted(references.channels))
        return "channel", f"unknown channel {event.channel!r} (known: {known})"
    if event.touchpoint:
        known_touchpoint = references.touchpoints.get(event.touchpoint)
        if known_touchpoint is not None:
            if channel_pk is not None and known_touchpoint[1] != channel_pk:
                return "touchpoint", (
                    f"touchpoint {event.touchpoint!r} belongs to another channel than "
                    f"{event.channel!r}"
                )
        elif channel_pk is None:
            return "touchpoint", f"unknown touchpoint {event.touchpoint!r}; give its channel"
        else:
            pending_channel = references.new_touchpoints.setdefault(event.touchpoint, channel_pk)
            if pending_channel != channel_pk:
                return "touchpoint", (
                    f"new touchpoint {event.touchpoint!r} is given with two different channels"
                )
    return None


def _event_id_of(event: EventInput) -> str:
    return event.event_id


def write_events(prepared: Prepared[EventInput], *, fast: bool = False) -> IngestResult:
    """Insert the prepared events; the ones whose event_id exists already count as duplicates.

    Emits ``events.recorded`` once per batch with the new event ids' count and customers, so
    subscribers can react without one outbox row per event.
    """
    references: EventReferences = prepared.context
    result = IngestResult(rejected=list(prepared.rejected))
    with transaction.atomic():
        new_events, result.duplicates = split_new_and_duplicates(
            (event for _, event in prepared.valid), _event_id_of, Event, "event_id"
        )
        touchpoints = dict(references.touchpoints)
        created = _create_touchpoints(
            {
                code: channel
                for code, channel in references.new_touchpoints.items()
                if any(event.touchpoint == code for event in new_events)
            }
        )
        touchpoints.update(created)
        if created:
            result.created_references["touchpoints"] = len(created)
        now = timezone.now()
        rows = []
        for event in new_events:
            touchpoint = touchpoints.get(event.touchpoint) if event.touchpoint else None
            channel_pk = (
                references.channels[event.channel] if event.channel else touchpoint[1]  # type: ignore[index]
            )
            rows.append(
                (
                    event.event_id,
                    references.customers[event.customer_id],
                    channel_pk,
                    touchpoint[0] if touchpoint else None,
                    event.type,
                    event.occurred_at,
                    event.properties,
                    now,
                )
            )
        if fast:
            insert_ignoring_duplicates(
                Event,
                [
                    "event_id",
                    "customer",
                    "channel",
                    "touchpoint",
                    "type",
                    "occurred_at",
                    "properties",
                    "received_at",
                ],
                rows,
                unique_field="event_id",
            )
        else:
            Event.objects.bulk_create(
                [
                    Event(
                        event_id=row[0],
                        customer_id=row[1],
                        channel_id=row[2],
                        touchpoint_id=row[3],
                        type=row[4],
                        occurred_at=row[5],
                        properties=row[6],
                        received_at=row[7],
                    )
                    for row in rows
                ],
                batch_size=1000,
                ignore_conflicts=True,
            )
        result.accepted = len(rows)
        if rows:
            emit(
                "events.recorded",
                {
                    "count": len(rows),
                    "customer_pks": sorted({row[1] for row in rows})[:1000],
                },
            )
    return result


def _create_touchpoints(codes_to_channel: dict[str, int]) -> dict[str, tuple[int, int]]:
    if not codes_to_channel:
        return {}
    Touchpoint.objects.bulk_create(
        [
            Touchpoint(
                code=code,
                channel_id=channel_pk,
                name_zh=code,
                name_en=code,
                journey_stage=JourneyStage.UNASSIGNED,
            )
            for code, channel_pk in codes_to_channel.items()
        ],
        ignore_conflicts=True,
    )
    return {
        code: (pk, channel_pk)
        for code, pk, channel_pk in Touchpoint.objects.filter(
            code__in=list(codes_to_channel)
        ).values_list("code", "pk", "channel_id")
    }


def record_events(*, items: list[Any]) -> IngestResult:
    """Validate a batch of raw events and store the valid ones; bad items are reported, not
    dropped silently, and do not stop the good ones. Idempotent on ``event_id``.

    Takes the fast insert path: the API's hot path, where the ORM's per-row model instances
    would cost more than the insert itself."""
    return write_events(prepare_events(items), fast=True)
