"""Metric answer counts read from the pre-counted tables (``kesheng.analytics.models``) instead
of the answers themselves: what makes a dashboard over millions of responses answer in tens of
milliseconds.

A period is read from the month table for the whole months it covers, and the days at its ends
(or the whole period, for a breakdown by day or week) from a day table: the one by store, or
the one by channel and touchpoint (across stores). When neither knows every dimension asked for
(a store and a touchpoint together, a staff member, a language), those days are left for the
caller to read from the answers. The result has the shape the answer-level
queries of ``metrics.py`` produce: counts per answer value for each tuple of group keys, and a
label for each key. ``None`` means "these tables cannot answer that" (a segment, a breakdown by
another question's answer): the caller reads the answers instead.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.db.models import F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils.translation import get_language, gettext

from kesheng.analytics.models import (
    AnswerCountByDay,
    AnswerCountByDayAndTouchpoint,
    AnswerCountByMonth,
)
from kesheng.commerce.models import StaffMember, Store
from kesheng.surveys.models import Survey
from kesheng.tracking.models import Channel, Touchpoint

# The breakdowns the tables can answer, and the column each one groups by.
COUNTED_BY = {
    "store": "store_id",
    "city": "store_id",
    "channel": "channel_id",
    "touchpoint": "touchpoint_id",
    "staff": "staff_id",
    "survey": "survey_id",
    "language": "language",
    "day": "day",
    "week": "day",
    "month": "month",
}

# What each day table can break down and filter by.
DAY_TABLES = (
    (AnswerCountByDay, {"store", "city", "survey", "day", "week", "month"}),
    (AnswerCountByDayAndTouchpoint, {"channel", "touchpoint", "survey", "day", "week", "month"}),
)

Counts = dict[tuple[str, ...], dict[float, int]]
Labels = dict[str, dict[str, str]]


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def split_period(date_from: date, date_to: date) -> tuple[tuple[date, date] | None, list]:
    """The whole months inside [date_from, date_to] (first and last month start, or None) and
    the day ranges left at either end."""
    first_month = date_from if date_from.day == 1 else _next_month(date_from)
    after_last = _month_start(date_to + timedelta(days=1))
    if first_month >= after_last:
        return None, [(date_from, date_to)]
    last_month = _month_start(after_last - timedelta(days=1))
    edges = []
    if date_from < first_month:
        edges.append((date_from, first_month - timedelta(days=1)))
    if after_last <= date_to:
        edges.append((after_last, date_to))
    return (first_month, last_month), edges


def _ids(model, codes: tuple[str, ...]) -> list[int]:
    return list(model.objects.filter(code__in=codes).values_list("pk", flat=True))


def _condition(metric: str, questions: dict[int, set[str]]) -> Q:
    """The rows of any table for the metric's questions."""
    which = Q()
    for survey_id, names in questions.items():
        which |= Q(survey_id=survey_id, question__in=sorted(names))
    return Q(metric=metric) & which


def _store_condition(filters, store_ids) -> Q:
    condition = Q()
    if filters.store_codes:
        condition &= Q(store_id__in=_ids(Store, filters.store_codes))
    if store_ids is not None:
        condition &= Q(store_id__in=list(store_ids))
    return condition


def _touchpoint_condition(filters) -> Q:
    condition = Q()
    if filters.channel_codes:
        condition &= Q(channel_id__in=_ids(Channel, filters.channel_codes))
    if filters.touchpoint_codes:
        condition &= Q(touchpoint_id__in=_ids(Touchpoint, filters.touchpoint_codes))
    return condition


def _staff_condition(filters) -> Q:
    condition = Q()
    if getattr(filters, "staff_codes", ()):
        condition &= Q(staff_id__in=_ids(StaffMember, filters.staff_codes))
    return condition


def _grouped(queryset: QuerySet, bys: tuple[str, ...], from_days: bool) -> QuerySet:
    columns: dict[str, Any] = {}
    for index, by in enumerate(bys):
        if by == "week":
            columns[f"g{index}"] = TruncWeek("day")
        elif by == "month":
            columns[f"g{index}"] = TruncMonth("day") if from_days else F("month")
        else:
            columns[f"g{index}"] = F(COUNTED_BY[by])
    return (
        queryset.annotate(**columns)
        .order_by()
        .values(*columns, "value")
        .annotate(total=Sum("count"))
    )


def _key_labels(bys: tuple[str, ...], raw_keys: list[set]) -> list[dict[Any, tuple[str, str]]]:
    """For each breakdown, the (key, label) of every raw value the tables gave."""
    english = (get_language() or "").lower().startswith("en")
    none = ("", gettext("(none)"))
    result = []
    for by, values in zip(bys, raw_keys, strict=True):
        names: dict[Any, tuple[str, str]] = {}
        if by in ("store", "city", "channel", "touchpoint"):
            model = {"channel": Channel, "touchpoint": Touchpoint}.get(by, Store)
            fields = ["pk", "code", "name_zh", "name_en", *(["city"] if by == "city" else [])]
            for row in model.objects.filter(pk__in=values).values(*fields):
                if by == "city":
                    names[row["pk"]] = (row["city"], row["city"]) if row["city"] else none
                else:
                    label = (row["name_en"] if english else "") or row["name_zh"] or row["code"]
                    names[row["pk"]] = (row["code"], label)
        elif by == "staff":
            for pk, code, name in StaffMember.objects.filter(pk__in=values).values_list(
                "pk", "code", "name"
            ):
                names[pk] = (code, name or code)
        elif by == "survey":
            for pk, slug, title in Survey.objects.filter(pk__in=values).values_list(
                "pk", "slug", "title"
            ):
                names[pk] = (slug, title or slug)
        for value in values:
            if value in names:
                continue
            if value in (0, "", None):
                names[value] = none
            elif isinstance(value, date):
                names[value] = (value.isoformat(), value.isoformat())
            else:  # a language, or a row deleted since it was counted
                names[value] = (str(value), str(value))
        result.append(names)
    return result


def _needed(filters, bys: tuple[str, ...], store_ids) -> set[str]:
    """The dimensions a query needs: its breakdowns and the filters it sets."""
    needed = set(bys)
    if filters.store_codes or store_ids is not None:
        needed.add("store")
    if filters.channel_codes:
        needed.add("channel")
    if filters.touchpoint_codes:
        needed.add("touchpoint")
    if getattr(filters, "staff_codes", ()):
        needed.add("staff")
    return needed


def _plan(filters, bys: tuple[str, ...], store_ids):
    """Where each part of the period is read: the whole months from the month table (None:
    not used; (None, None): all months), day ranges from a day table (None when no day table
    knows every dimension needed), and day ranges left to the answers."""
    needed = _needed(filters, bys, store_ids)
    day_table = next((table for table, known in DAY_TABLES if needed <= known), None)
    whole = (filters.date_from, filters.date_to)
    by_day = any(by in ("day", "week") for by in bys)
    if by_day or (filters.date_from is None) != (filters.date_to is None):
        return (None, day_table, [whole], []) if day_table else (None, None, [], [whole])
    if filters.date_from is None:
        return (None, None), None, [], []
    months, edges = split_period(filters.date_from, filters.date_to)
    return (months, day_table, edges, []) if day_table else (months, None, [], edges)


def _rows(
    metric, questions, filters, bys, store_ids, months, day_table, day_ranges
) -> list[QuerySet]:
    condition = _condition(metric, questions)
    stores, touchpoints = _store_condition(filters, store_ids), _touchpoint_condition(filters)
    parts: list[QuerySet] = []
    if months is not None:
        in_months = AnswerCountByMonth.objects.filter(
            condition, stores, touchpoints, _staff_condition(filters)
        )
        if months[0] is not None:
            in_months = in_months.filter(month__gte=months[0], month__lte=months[1])
        parts.append(_grouped(in_months, bys, False))
    for start, end in day_ranges:
        # The plan chose a table that has every dimension these conditions name.
        in_days = day_table.objects.filter(
            condition, stores if day_table is AnswerCountByDay else touchpoints
        )
        if start is not None:
            in_days = in_days.filter(day__gte=start)
        if end is not None:
            in_days = in_days.filter(day__lte=end)
        parts.append(_grouped(in_days, bys, True))
    return parts


def counted_answers(
    metric: str,
    questions: dict[int, set[str]],
    filters,
    bys: tuple[str, ...],
    *,
    store_ids: Iterable[int] | None = None,
) -> tuple[Counts, Labels, list[tuple[date | None, date | None]]] | None:
    """Counts per answer value for each tuple of group keys (``()`` without a breakdown), the
    label of each key per breakdown, and the day ranges the tables could not answer (to be
    read from the answers); None when the tables cannot answer at all."""
    if filters.segment_id is not None or any(by not in COUNTED_BY for by in bys):
        return None
    months, day_table, day_ranges, left = _plan(filters, bys, store_ids)
    raw: dict[tuple, dict[float, int]] = defaultdict(dict)
    raw_keys: list[set] = [set() for _ in bys]
    for part in _rows(metric, questions, filters, bys, store_ids, months, day_table, day_ranges):
        for row in part:
            key = tuple(row[f"g{index}"] for index in range(len(bys)))
            for index, value in enumerate(key):
                raw_keys[index].add(value)
            cell = raw[key]
            cell[row["value"]] = cell.get(row["value"], 0) + row["total"]
    names = _key_labels(bys, raw_keys)
    counts: Counts = defaultdict(dict)
    labels: Labels = {by: {} for by in bys}
    for key, cell in raw.items():
        text_key = tuple(names[index][value][0] for index, value in enumerate(key))
        merged = counts[text_key]
        for value, count in cell.items():
            merged[value] = merged.get(value, 0) + count
        for index, value in enumerate(key):
            text, label = names[index][value]
            labels[bys[index]].setdefault(text, label)
    return dict(counts), labels, left
