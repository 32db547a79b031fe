"""JSON API of customers: upsert through identity resolution, the profile, the timeline."""

import base64
import binascii
import json
from datetime import UTC, date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from kesheng.accounts.api_auth import ApiKeyAuth
from kesheng.accounts.models import Scope
from kesheng.core.api import ErrorOut, ValidationErrorOut
from kesheng.core.errors import FieldError, InvalidInput
from kesheng.customers.actions import CustomerRecord, upsert_customer
from kesheng.customers.contributions import TimelineCursor, TimelineEntry
from kesheng.customers.identity import normalize_identity
from kesheng.customers.models import (
    ConsentChannel,
    ConsentPurpose,
    Customer,
    Gender,
    IncomeBand,
    Segment,
)
from kesheng.customers.queries import (
    count_segment_members,
    get_customer,
    get_customer_detail,
    get_profile_sections,
    get_segment,
    list_segments,
    segment_members,
)
from kesheng.customers.queries import list_timeline as list_customer_timeline

router = Router(tags=["customers"])

_MAX_ATTRIBUTES_BYTES = 16_384
_Identifier = Annotated[str, StringConstraints(max_length=200)]
_TagName = Annotated[str, StringConstraints(min_length=1, max_length=64)]


def _check_consent_key(key: str) -> str:
    channel, _separator, purpose = key.partition(":")
    if channel not in ConsentChannel.values or purpose not in ConsentPurpose.values:
        raise ValueError(
            f"must be channel:purpose with channel in {', '.join(ConsentChannel.values)} "
            f"and purpose in {', '.join(ConsentPurpose.values)}"
        )
    return key


_ConsentKey = Annotated[str, AfterValidator(_check_consent_key)]


class CustomerIn(Schema):
    """What you know about one person; every field is optional but one identity
    (customer_id, email, phone, wechat_openid, wechat_unionid or external_ids). Fields you
    leave out are left alone on an existing profile."""

    model_config = ConfigDict(extra="forbid")

    customer_id: str | None = Field(None, max_length=64, examples=["C10001"])
    email: str | None = Field(None, max_length=200, examples=["wang.fang@example.com"])
    phone: str | None = Field(None, max_length=50, examples=["138 0013 8000"])
    wechat_openid: str | None = Field(None, max_length=200)
    wechat_unionid: str | None = Field(None, max_length=200)
    external_ids: list[_Identifier] = Field(
        default_factory=list, max_length=50, description='"system:id", e.g. "pos:88812"'
    )
    name: str | None = Field(None, max_length=200)
    gender: Gender | None = None
    birthday: date | None = None
    city: str | None = Field(None, max_length=100)
    occupation: str | None = Field(None, max_length=100)
    income_band: IncomeBand | None = None
    signed_up_at: datetime | None = None
    attributes: dict[str, Any] = Field(default_factory=dict, description="at most 16 KB as JSON")
    tags: list[_TagName] = Field(default_factory=list, max_length=100)
    consents: dict[_ConsentKey, bool] = Field(
        default_factory=dict,
        description='"channel:purpose" -> granted, e.g. {"email:surveys": true}',
        examples=[{"email:surveys": True, "sms:marketing": False}],
    )
    source: str = Field("api", max_length=50, description="where this record came from")

    # The checks the upsert makes too, here as well so one answer names every bad field.
    @field_validator("email", "phone")
    @classmethod
    def _identity(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value not in (None, ""):
            normalize_identity(info.field_name, value)
        return value

    @field_validator("signed_up_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        # Time without an offset means the business's own zone, as in the import files.
        if value.tzinfo is None:
            value = value.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise ValueError("is out of range") from None

    @field_validator("attributes")
    @classmethod
    def _small(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(json.dumps(value, ensure_ascii=False)) > _MAX_ATTRIBUTES_BYTES:
            raise ValueError(f"is larger than {_MAX_ATTRIBUTES_BYTES} bytes as JSON")
        return value


class UpsertOut(Schema):
    customer_id: str
    created: bool
    changed: bool
    merged_customer_ids: list[str]


class IdentityOut(Schema):
    kind: str
    value: str
    source: str
    first_seen_at: datetime
    last_seen_at: datetime


class ConsentOut(Schema):
    channel: str
    purpose: str
    is_granted: bool
    source: str
    recorded_at: datetime


class OrderTotalsOut(Schema):
    count: int
    totals: dict[str, str] = Field(description='currency -> total spent, e.g. {"CNY": "99.50"}')
    first_at: datetime | None
    last_at: datetime | None


class EventSummaryOut(Schema):
    count: int
    last_at: datetime | None


class CustomerProfileOut(Schema):
    """The profile; besides ``orders`` and ``events`` each installed app may add a section."""

    model_config = ConfigDict(extra="allow")

    customer_id: str
    name: str
    gender: str
    birthday: date | None
    city: str
    occupation: str
    income_band: str
    signed_up_at: datetime | None
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    identities: list[IdentityOut]
    consents: list[ConsentOut]
    tags: list[str]
    orders: OrderTotalsOut | None = None
    events: EventSummaryOut | None = None


class TimelineItemOut(Schema):
    kind: str = Field(description='"event", "order", or a kind a later app adds')
    occurred_at: datetime
    title: str
    channel: str | None
    touchpoint: str | None
    data: dict[str, Any]


class TimelinePageOut(Schema):
    items: list[TimelineItemOut]
    next_cursor: str | None = Field(
        description="pass as ?cursor= for the next page; null at the end"
    )


class TimelineQuery(Schema):
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, max_length=500)


@router.post(
    "/customers",
    auth=ApiKeyAuth(Scope.CUSTOMERS_WRITE),
    response={
        200: UpsertOut,
        201: UpsertOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        422: ValidationErrorOut,
    },
    summary="Create or update a customer through identity resolution",
    description=(
        "201 when a new customer was created, 200 when an existing one was updated (or nothing "
        "changed). A record whose identities belong to several customers merges them into one; "
        "merged_customer_ids lists the ids that were merged away. Scope: customers:write."
    ),
)
def post_customer(request: HttpRequest, payload: CustomerIn):
    result = upsert_customer(record=CustomerRecord(**payload.model_dump()))
    body = {
        "customer_id": result.customer.customer_id,
        "created": result.created,
        "changed": result.changed,
        "merged_customer_ids": result.merged_customer_ids,
    }
    return Status(201 if result.created else 200, body)


@router.get(
    "/customers/{customer_id}",
    auth=ApiKeyAuth(Scope.CUSTOMERS_READ),
    response={200: CustomerProfileOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="A customer's profile with identities, consents, tags, order totals and events",
    description=(
        "A merged-away customer_id still finds the surviving profile. Scope: customers:read."
    ),
)
def get_customer_profile(request: HttpRequest, customer_id: str):
    customer = get_customer_detail(customer_id)
    return _profile(customer, get_profile_sections(customer))


@router.get(
    "/customers/{customer_id}/timeline",
    auth=ApiKeyAuth(Scope.CUSTOMERS_READ),
    response={
        200: TimelinePageOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        422: ValidationErrorOut,
    },
    summary="A customer's events and orders, newest first, a page at a time",
    description=(
        "Follow next_cursor until it is null to read the whole timeline; entries at the same "
        "time are neither lost nor repeated between pages. Scope: customers:read."
    ),
)
def get_customer_timeline(request: HttpRequest, customer_id: str, query: Query[TimelineQuery]):
    cursor = decode_cursor(query.cursor) if query.cursor else None
    entries, next_cursor = list_customer_timeline(
        get_customer(customer_id), cursor=cursor, limit=query.limit
    )
    return {
        "items": [_timeline_item(entry) for entry in entries],
        "next_cursor": encode_cursor(next_cursor) if next_cursor else None,
    }


def _profile(customer: Customer, sections: dict[str, Any]) -> dict[str, Any]:
    return {
        "customer_id": customer.customer_id,
        "name": customer.name,
        "gender": customer.gender,
        "birthday": customer.birthday,
        "city": customer.city,
        "occupation": customer.occupation,
        "income_band": customer.income_band,
        "signed_up_at": customer.signed_up_at,
        "attributes": customer.attributes,
        "created_at": customer.created_at,
        "updated_at": customer.updated_at,
        "identities": list(customer.identities.all()),
        "consents": list(customer.consents.all()),
        "tags": [tag.name for tag in customer.tags.all()],
        **sections,
    }


def _timeline_item(entry: TimelineEntry) -> dict[str, Any]:
    return {
        "kind": entry.kind,
        "occurred_at": entry.occurred_at,
        "title": entry.title,
        "channel": entry.channel,
        "touchpoint": entry.touchpoint,
        "data": entry.data,
    }


def encode_cursor(cursor: TimelineCursor) -> str:
    """An opaque, URL-safe token for a timeline position."""
    raw = json.dumps([cursor.occurred_at.isoformat(), cursor.kind, cursor.id])
    return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(token: str) -> TimelineCursor:
    """The position a token from ``encode_cursor`` names; InvalidInput for anything else."""
    invalid = InvalidInput(
        [FieldError("cursor", _("is not a cursor from this API; use next_cursor as given"))]
    )
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        occurred_at, kind, entry_id = json.loads(raw)
        moment = datetime.fromisoformat(occurred_at)
        if moment.tzinfo is None:
            raise ValueError("a cursor's time has an offset")
        moment = moment.astimezone(UTC)
    except (binascii.Error, ValueError, TypeError, RecursionError, OverflowError):
        raise invalid from None
    valid = (
        isinstance(kind, str)
        and 0 < len(kind) <= 40
        and isinstance(entry_id, int)
        and not isinstance(entry_id, bool)
        and 0 <= entry_id < 2**63
    )
    if not valid:
        raise invalid
    return TimelineCursor(occurred_at=moment, kind=kind, id=entry_id)


# --- segments ----------------------------------------------------------------------------------


class SegmentOut(Schema):
    id: int
    name: str
    description: str
    rules: dict[str, Any] = Field(description="the rules as JSON (docs/segments.md)")
    member_count: int | None = Field(
        description="members when last counted (list) or now (detail); null if never counted"
    )
    counted_at: datetime | None
    created_at: datetime
    updated_at: datetime


class SegmentListOut(Schema):
    items: list[SegmentOut]


class SegmentMemberOut(Schema):
    customer_id: str
    name: str
    gender: str
    birthday: date | None
    city: str
    signed_up_at: datetime | None
    created_at: datetime
    tags: list[str]


class SegmentMembersPageOut(Schema):
    items: list[SegmentMemberOut]
    next_cursor: str | None = Field(
        description="pass as ?cursor= for the next page; null at the end"
    )


class SegmentMembersQuery(Schema):
    limit: int = Field(100, ge=1, le=500)
    cursor: str | None = Field(None, max_length=100)


def _segment(segment: Segment, *, member_count: int | None = None, counted_at=None) -> dict:
    return {
        "id": segment.pk,
        "name": segment.name,
        "description": segment.description,
        "rules": segment.rules,
        "member_count": segment.member_count if member_count is None else member_count,
        "counted_at": segment.counted_at if counted_at is None else counted_at,
        "created_at": segment.created_at,
        "updated_at": segment.updated_at,
    }


@router.get(
    "/segments",
    auth=ApiKeyAuth(Scope.CUSTOMERS_READ),
    response={200: SegmentListOut, 401: ErrorOut, 403: ErrorOut},
    summary="Every customer segment with its member count when last counted",
    description="Ordered by name. Scope: customers:read.",
)
def get_segments(request: HttpRequest):
    return {"items": [_segment(segment) for segment in list_segments()]}


@router.get(
    "/segments/{segment_id}",
    auth=ApiKeyAuth(Scope.CUSTOMERS_READ),
    response={200: SegmentOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="One segment with its rules and its member count now",
    description="member_count is counted as the request is answered. Scope: customers:read.",
)
def get_segment_detail(request: HttpRequest, segment_id: int):
    segment = get_segment(segment_id)
    counted_at = datetime.now(tz=UTC)
    return _segment(segment, member_count=count_segment_members(segment), counted_at=counted_at)


@router.get(
    "/segments/{segment_id}/customers",
    auth=ApiKeyAuth(Scope.CUSTOMERS_READ),
    response={
        200: SegmentMembersPageOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        422: ValidationErrorOut,
    },
    summary="The segment's members now, a page at a time",
    description=(
        "Members in a stable order; follow next_cursor until it is null to read them all. "
        "Membership is computed from the rules at each request, so a customer who joins or "
        "leaves between pages is seen or missed as on a live list. Scope: customers:read."
    ),
)
def get_segment_customers(request: HttpRequest, segment_id: int, query: Query[SegmentMembersQuery]):
    segment = get_segment(segment_id)
    members = segment_members(segment)
    if query.cursor:
        members = members.filter(pk__gt=decode_member_cursor(query.cursor))
    page = list(members.prefetch_related("tags")[: query.limit + 1])
    next_cursor = None
    if len(page) > query.limit:
        page = page[: query.limit]
        next_cursor = encode_member_cursor(page[-1].pk)
    return {
        "items": [
            {
                "customer_id": customer.customer_id,
                "name": customer.name,
                "gender": customer.gender,
                "birthday": customer.birthday,
                "city": customer.city,
                "signed_up_at": customer.signed_up_at,
                "created_at": customer.created_at,
                "tags": sorted(tag.name for tag in customer.tags.all()),
            }
            for customer in page
        ],
        "next_cursor": next_cursor,
    }


def encode_member_cursor(customer_pk: int) -> str:
    raw = json.dumps(["m", customer_pk]).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_member_cursor(token: str) -> int:
    """The position an ``encode_member_cursor`` token names; InvalidInput for anything else."""
    invalid = InvalidInput(
        [FieldError("cursor", _("is not a cursor from this API; use next_cursor as given"))]
    )
    try:
        marker, customer_pk = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, TypeError, RecursionError):
        raise invalid from None
    if marker != "m" or not isinstance(customer_pk, int) or isinstance(customer_pk, bool):
        raise invalid
    if not 0 <= customer_pk < 2**63:
        raise invalid
    return customer_pk
