"""Reads of the feedback hub, limited to the stores the caller may see."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from kesheng.core.errors import NotFound
from kesheng.feedback.models import (
    CategoryModel,
    FeedbackCorrection,
    FeedbackItem,
    FeedbackSource,
)
from kesheng.feedback.text.categories import (
    CategoryClassifier,
    CorrectedExample,
    active_taxonomy,
)
from kesheng.feedback.text.topics import EmergingTopic, emerging_topics


@dataclass(frozen=True)
class FeedbackFilters:
    source: str = ""
    sentiment: str = ""
    store_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    search: str = ""
    category: str = ""


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
    if filters.category:
        items = with_category(items, filters.category)
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


# --- categories ---------------------------------------------------------------------------


def with_category(items: QuerySet[FeedbackItem], key: str) -> QuerySet[FeedbackItem]:
    """Items whose categories include ``key``. The JSON list is matched as text with the
    key's quotes (``"delivery"``), which SQLite and PostgreSQL both answer; keys are lower-case
    letters, digits and _, so the quotes make the match exact."""
    return items.filter(categories__icontains=f'"{key}"')


@dataclass(frozen=True)
class CategoryStoreCell:
    category: str
    store_id: int | None
    store_name: str
    count: int
    negative: int


def count_categories_by_store(
    filters: FeedbackFilters, *, store_ids: frozenset[int] | None
) -> list[CategoryStoreCell]:
    """Items per category × store (and how many of them negative) among the items the
    filters select: one grouped query per category of the taxonomy, counted in the
    database. Items without a store count under an empty store name."""
    base = list_feedback(replace(filters, category=""), store_ids=store_ids)
    keys = [filters.category] if filters.category else list(active_taxonomy().keys)
    cells = []
    for key in keys:
        rows = (
            with_category(base, key)
            .order_by()
            .values("store_id", "store__name_zh", "store__name_en")
            .annotate(count=Count("pk"), negative=Count("pk", filter=Q(sentiment="negative")))
        )
        for row in rows:
            cells.append(
                CategoryStoreCell(
                    category=key,
                    store_id=row["store_id"],
                    store_name=_store_name(row["store__name_zh"], row["store__name_en"]),
                    count=row["count"],
                    negative=row["negative"],
                )
            )
    return cells


def _store_name(name_zh: str | None, name_en: str | None) -> str:
    from django.utils.translation import get_language

    if (get_language() or "").startswith("en"):
        return name_en or name_zh or ""
    return name_zh or name_en or ""


_classifier_lock = threading.Lock()
_classifier_cache: dict[str, object] = {}


def current_category_classifier() -> CategoryClassifier | None:
    """The newest category model trained from corrections, or None (rules alone). Read once
    per process and model: one small query tells whether a newer one was trained."""
    latest = CategoryModel.objects.order_by("-trained_at", "-id").values_list("pk", flat=True)
    latest_pk = latest.first()
    if latest_pk is None:
        return None
    with _classifier_lock:
        if _classifier_cache.get("pk") != latest_pk:
            arrays = CategoryModel.objects.values_list("arrays", flat=True).get(pk=latest_pk)
            _classifier_cache["classifier"] = CategoryClassifier.from_bytes(bytes(arrays))
            _classifier_cache["pk"] = latest_pk
        return _classifier_cache["classifier"]  # type: ignore[return-value]


def list_category_examples() -> list[CorrectedExample]:
    """The training examples of the category classifier: for each item, its latest
    correction of categories, with the text it was made on (oldest item first, so training
    is deterministic)."""
    latest: dict[int, CorrectedExample] = {}
    rows = (
        FeedbackCorrection.objects.filter(categories__isnull=False)
        .order_by("item_id", "corrected_at", "pk")
        .values_list("item_id", "text", "categories")
    )
    for item_id, text, categories in rows.iterator(chunk_size=2000):
        latest[item_id] = CorrectedExample(text=text, categories=frozenset(categories or []))
    return list(latest.values())


def list_sentiment_corrections() -> list[tuple[str, str]]:
    """``(text, label)`` pairs of every item's latest sentiment correction (labels
    ``positive`` / ``neutral`` / ``negative``), oldest item first: staff corrections for the
    sentiment trainer, the same shape as a labelled CSV's rows
    (``kesheng.feedback.text.training`` reads them as extra pairs)."""
    latest: dict[int, tuple[str, str]] = {}
    rows = (
        FeedbackCorrection.objects.exclude(sentiment="")
        .order_by("item_id", "corrected_at", "pk")
        .values_list("item_id", "text", "sentiment")
    )
    for item_id, text, sentiment in rows.iterator(chunk_size=2000):
        latest[item_id] = (text, sentiment)
    return list(latest.values())


def list_item_corrections(item: FeedbackItem) -> list[FeedbackCorrection]:
    return list(item.corrections.select_related("corrected_by").order_by("-corrected_at", "-pk"))


# --- emerging topics ----------------------------------------------------------------------


@dataclass(frozen=True)
class EmergingTopicsReport:
    start: datetime
    end: datetime
    baseline_start: datetime
    comments: int
    baseline_comments: int
    topics: list[EmergingTopic]


def list_emerging_topics(
    *,
    store_ids: frozenset[int] | None,
    days: int = 7,
    baseline_periods: int = 4,
    now: datetime | None = None,
    limit: int = 10,
) -> EmergingTopicsReport:
    """The keywords whose share of analysed comments in the last ``days`` rose significantly
    against the ``baseline_periods`` periods of the same length before (docs/feedback.md,
    "Emerging topics"). Reads only the keywords of the items in those weeks."""
    end = now or timezone.now()
    start = end - timedelta(days=days)
    baseline_start = start - timedelta(days=days * baseline_periods)
    items = visible_feedback(store_ids).filter(
        analysis_status="analysed", occurred_at__gte=baseline_start, occurred_at__lt=end
    )
    current: list[list[str]] = []
    baseline: list[list[str]] = []
    for occurred_at, keywords in items.values_list("occurred_at", "keywords").iterator(
        chunk_size=2000
    ):
        (current if occurred_at >= start else baseline).append(keywords or [])
    return EmergingTopicsReport(
        start=start,
        end=end,
        baseline_start=baseline_start,
        comments=len(current),
        baseline_comments=len(baseline),
        topics=emerging_topics(current, baseline, limit=limit),
    )
