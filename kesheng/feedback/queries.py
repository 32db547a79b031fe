"""Reads of the feedback hub, limited to the stores the caller may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q, QuerySet

from kesheng.core.errors import NotFound
from kesheng.feedback.models import FeedbackItem, FeedbackSource


@dataclass(frozen=True)
class FeedbackFilters:
    source: str = ""
    sentiment: str = ""
    store_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    search: str = ""


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, ZoneInfo(settings.TIME_ZONE))


def visible_feedback(store_ids: frozenset[int] | None) -> QuerySet[FeedbackItem]:
    """Every item, or for a store manager (``store_ids`` given) only their stores' items:
    items without a store belong to no store manager."""
    items = FeedbackItem.objects.all()
    if store_ids is not None:
        items = items.filter(store_id__in=sorted(store_ids))
    return items


def list_feedback(
    filters: FeedbackFilters, *, store_ids: frozenset[int] | None
) -> QuerySet[FeedbackItem]:
    """Items matching the filters, newest first, with store, channel, touchpoint and customer
    joined (one query per page). The search matches a substring of the text, which works for
    Chinese without segmentation (a full-text index comes with the inbox's later steps)."""
    items = visible_feedback(store_ids).select_related(
        "store", "channel", "touchpoint", "customer", "product"
    )
    if filters.source:
        items = items.filter(source=filters.source)
    if filters.sentiment:
        items = items.filter(sentiment=filters.sentiment)
    if filters.store_id is not None:
        items = items.filter(store_id=filters.store_id)
    if filters.date_from:
        items = items.filter(occurred_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        items = items.filter(
            occurred_at__lt=_day_start(date.fromordinal(filters.date_to.toordinal() + 1))
        )
    search = filters.search.replace("\x00", "").strip()
    if search:
        items = items.filter(Q(text__icontains=search) | Q(author__icontains=search))
    return items.order_by("-occurred_at", "-id")


def get_feedback_item(item_id: int, *, store_ids: frozenset[int] | None) -> FeedbackItem:
    item = (
        visible_feedback(store_ids)
        .select_related(
            "store", "channel", "touchpoint", "customer", "product", "response", "complaint"
        )
        .filter(pk=item_id)
        .first()
    )
    if item is None:
        raise NotFound(f"no feedback item {item_id}")
    return item


def list_feedback_after(
    *, after_id: int | None, limit: int, source: str = "", sentiment: str = ""
) -> list[FeedbackItem]:
    """A page for the API, oldest first after a cursor (the last id seen)."""
    items = FeedbackItem.objects.select_related("store", "customer").order_by("id")
    if after_id is not None:
        items = items.filter(pk__gt=after_id)
    if source:
        items = items.filter(source=source)
    if sentiment:
        items = items.filter(sentiment=sentiment)
    return list(items[:limit])


def list_complaint_moments(*, start: datetime, end: datetime) -> tuple[list[int], list[datetime]]:
    """When each complaint-form feedback item of a known customer was written in [start, end),
    any store: parallel lists of customer pks and moments (the journey paths' complaints)."""
    rows = (
        FeedbackItem.objects.filter(
            source=FeedbackSource.COMPLAINT,
            customer__isnull=False,
            occurred_at__gte=start,
            occurred_at__lt=end,
        )
        .order_by()
        .values_list("customer_id", "occurred_at")
    )
    pks: list[int] = []
    moments: list[datetime] = []
    for customer_pk, occurred_at in rows.iterator(chunk_size=10_000):
        pks.append(customer_pk)
        moments.append(occurred_at)
    return pks, moments
