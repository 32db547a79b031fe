"""Reads of the feedback hub, limited to the stores the caller may see."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from kesheng.commerce.models import Store
from kesheng.core.errors import NotFound
from kesheng.core.statistics import proportion_score
from kesheng.feedback.models import (
    AlertKind,
    AlertScope,
    CategoryModel,
    FeedbackAlert,
    FeedbackCorrection,
    FeedbackItem,
    FeedbackItemTag,
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
    rating_min: float | None = None
    rating_max: float | None = None
    tag: str = ""


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
    joined (one query per page). The search matches each space-separated term as a
    substring of the text, the author or a tag (see ``search_terms``)."""
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
    if filters.rating_min is not None:
        items = items.filter(rating__gte=filters.rating_min)
    if filters.rating_max is not None:
        items = items.filter(rating__lte=filters.rating_max)
    # Tags through a subquery, not a join: a join would repeat an item once per tag and skew
    # the counts of the keyword chart and sentiment trend built on this queryset.
    if filters.tag:
        items = items.filter(pk__in=_tagged(filters.tag))
    for term in search_terms(filters.search):
        items = items.filter(
            Q(text__icontains=term) | Q(author__icontains=term) | Q(pk__in=_tagged(term))
        )
    return items.order_by("-occurred_at", "-id")


MAX_SEARCH_TERMS = 8


def _tagged(tag: str) -> QuerySet:
    return FeedbackItemTag.objects.filter(tag=tag).values("item_id")


def search_terms(search: str) -> list[str]:
    """The inbox search's terms: the words between spaces, each matched as a substring (so
    "排队 态度" finds texts holding both, in any order; Chinese needs no segmentation for a
    substring match, and a segmenter's cut would miss words it cuts differently)."""
    cleaned = search.replace("\x00", "").strip()
    return [term for term in cleaned.split() if term][:MAX_SEARCH_TERMS]


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


def _week_start(moment: datetime) -> date:
    day = moment.astimezone(ZoneInfo(settings.TIME_ZONE)).date()
    return day - timedelta(days=day.weekday())


def visible_alerts(store_ids: frozenset[int] | None) -> QuerySet[FeedbackAlert]:
    """Every alert, or for a store manager only their stores' alerts."""
    alerts = FeedbackAlert.objects.all()
    if store_ids is not None:
        codes = Store.objects.filter(pk__in=sorted(store_ids)).values_list("code", flat=True)
        alerts = alerts.filter(scope_kind=AlertScope.STORE, scope_key__in=list(codes))
    return alerts


def recent_alerts(
    *, store_ids: frozenset[int] | None, now: datetime | None = None, weeks: int = 4
) -> list[FeedbackAlert]:
    """The alerts of the last ``weeks`` weeks (this one included), newest week first."""
    since = _week_start(now or timezone.now()) - timedelta(weeks=weeks - 1)
    return list(visible_alerts(store_ids).filter(period_start__gte=since)[:50])


def describe_alert(alert: FeedbackAlert) -> str:
    """One line saying what rose, where, by how much and how sure (in the active language)."""
    scope = f"{alert.get_scope_kind_display()} {alert.scope_label or alert.scope_key}"
    if alert.kind == AlertKind.NEGATIVE_SHARE:
        return _(
            "%(scope)s: negative share %(observed).0f %% this week (n = %(n)d) against "
            "%(expected).0f %% in the baseline (n = %(baseline)d), p = %(p).2g"
        ) % {
            "scope": scope,
            "observed": alert.observed * 100,
            "expected": alert.expected * 100,
            "n": alert.n,
            "baseline": alert.baseline_n,
            "p": alert.p_value,
        }
    return _(
        "%(scope)s: %(observed).0f items this week against %(expected).1f expected from the "
        "baseline (%(baseline)d items in the baseline weeks), p = %(p).2g"
    ) % {
        "scope": scope,
        "observed": alert.observed,
        "expected": alert.expected,
        "baseline": alert.baseline_n,
        "p": alert.p_value,
    }


def alert_panel(*, store_ids: frozenset[int] | None, now: datetime | None = None) -> list[dict]:
    """The recent alerts with their one-line descriptions, for the inbox and the dashboard."""
    return [
        {"alert": alert, "text": describe_alert(alert)}
        for alert in recent_alerts(store_ids=store_ids, now=now)
    ]


KEYWORD_SAMPLE = 20_000


def keyword_counts(items: QuerySet[FeedbackItem], *, limit: int = 20) -> list[tuple[str, int]]:
    """The most frequent keywords of the filtered items (each item's analysed keywords; the
    most recent ``KEYWORD_SAMPLE`` items when there are more), most frequent first."""
    counts: Counter[str] = Counter()
    recent = items.order_by("-occurred_at", "-id").values_list("keywords", flat=True)
    for keywords in recent[:KEYWORD_SAMPLE]:
        counts.update(set(keywords or []))
    return sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))[:limit]


def sentiment_trend(items: QuerySet[FeedbackItem]) -> list[dict]:
    """Weekly shares of positive, neutral and negative items among the analysed ones, with n
    and the 95 % Wilson interval of the negative share, oldest week first."""
    zone = ZoneInfo(settings.TIME_ZONE)
    rows = (
        items.exclude(sentiment="")
        .annotate(week=TruncWeek("occurred_at", tzinfo=zone))
        .values("week", "sentiment")
        .annotate(count=Count("id"))
        .order_by()
    )
    weeks: dict[date, Counter[str]] = {}
    for row in rows:
        week = row["week"].date() if isinstance(row["week"], datetime) else row["week"]
        weeks.setdefault(week, Counter())[row["sentiment"]] += row["count"]
    trend = []
    for week in sorted(weeks):
        counts = weeks[week]
        n = sum(counts.values())
        negative = proportion_score(counts["negative"], n)
        trend.append(
            {
                "week": week,
                "n": n,
                "positive": 100 * counts["positive"] / n,
                "neutral": 100 * counts["neutral"] / n,
                "negative": 100 * counts["negative"] / n,
                "negative_low": negative.low,
                "negative_high": negative.high,
            }
        )
    return trend


def tags_of(item_ids: list[int]) -> dict[int, list[str]]:
    """Each item's tags, alphabetical."""
    tags: dict[int, list[str]] = {}
    for item_id, tag in (
        FeedbackItemTag.objects.filter(item_id__in=item_ids)
        .order_by("tag")
        .values_list("item_id", "tag")
    ):
        tags.setdefault(item_id, []).append(tag)
    return tags


def known_tags() -> list[str]:
    return list(FeedbackItemTag.objects.order_by("tag").values_list("tag", flat=True).distinct())
