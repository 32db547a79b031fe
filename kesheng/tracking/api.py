"""JSON API of tracking: POST /events, a batch of touchpoint events, idempotent on event_id."""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from pydantic import ConfigDict, Field

from kesheng.accounts.api_auth import ApiKeyAuth
from kesheng.accounts.models import Scope
from kesheng.core.api import BATCH_RESPONSES, batch_request_body, batch_response, read_batch
from kesheng.tracking.actions import record_events

router = Router(tags=["events"])


class EventIn(Schema):
    """One event. Give ``channel``, ``touchpoint`` or both; a new touchpoint code on a known
    channel is created (journey stage unassigned). Time without an offset is read in the
    business's time zone."""

    model_config = ConfigDict(extra="forbid")

    event_id: str = Field(max_length=100, description="your id; a repeated id is a duplicate")
    customer_id: str = Field(max_length=64, description="an existing customer's customer_id")
    type: str = Field(max_length=60, examples=["page_view"])
    channel: str | None = Field(None, max_length=40, examples=["web"])
    touchpoint: str | None = Field(None, max_length=60, examples=["web_browse"])
    occurred_at: datetime
    properties: dict[str, Any] = Field(default_factory=dict, description="at most 16 KB as JSON")


@router.post(
    "/events",
    auth=ApiKeyAuth(Scope.EVENTS_WRITE),
    response=BATCH_RESPONSES,
    summary="Record a batch of events",
    description=(
        'A JSON array of events, {"events": [...]} or one event; at most '
        f"{settings.KESHENG_API_MAX_BATCH} per request. Valid events are stored even when "
        "others are rejected; an event_id already stored counts as a duplicate. Scope: "
        "events:write."
    ),
    openapi_extra=batch_request_body(
        EventIn, envelope="events", max_items=settings.KESHENG_API_MAX_BATCH
    ),
)
def post_events(request: HttpRequest):
    items = read_batch(request, envelope="events", max_items=settings.KESHENG_API_MAX_BATCH)
    result = record_events(items=items)
    return batch_response(result, nothing_accepted=_("no event was accepted; see rejected"))
