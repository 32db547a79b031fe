"""CSAT, NPS and CES over the completed survey responses, whole or broken down, aggregated in
the database (one GROUP BY per call: a count per group and answer value) and turned into
scores by the pure functions of ``kesheng.analytics.metrics``.

Which answers count: the answers to questions of the metric's type (``nps``, ``csat``,
``ces``) in the version of the survey each response answered, in the chosen surveys (all
surveys when none is chosen); or to the one question named. Dates are days in the business time
zone, both ends included, on the response's completion time.

Where the pre-counted tables of ``answer_counts`` can answer (every filter and breakdown but a
segment or another question's answer), they do, and only the days they cannot cover are read
from the answers: the same counts, from thousands of rows instead of millions.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext

from kesheng.analytics.metrics import METRICS, Change, MetricResult, compare, metric_from_counts
from kesheng.analytics.queries.answer_counts import Counts, Labels, counted_answers
from kesheng.core.errors import FieldError, InvalidInput, NotFound
from kesheng.core.parsing import parse_date
from kesheng.customers.queries import get_segment, list_segments, segment_members
from kesheng.surveys.exports import iter_definition_questions
from kesheng.surveys.models import (
    Invitation,
    InvitationStatus,
    ResponseStatus,
    ResponseValue,
    Survey,
    SurveyVersion,
)

# Breakdowns by a column of the response, with the column that labels the group.
GROUP_COLUMNS = {
    "store": ("response__store__code", "response__store__name_zh", "response__store__name_en"),
    "city": ("response__store__city", None, None),
    "staff": ("response__staff__code", "response__staff__name", None),
    "channel": (
        "response__channel__code",
        "response__channel__name_zh",
        "response__channel__name_en",
    ),
    "touchpoint": (
        "response__touchpoint__code",
        "response__touchpoint__name_zh",
        "response__touchpoint__name_en",
    ),
    "survey": ("survey__slug", "survey__title", None),
    "language": ("response__language", None, None),
    # The respondent's loyalty tier now (not at the time of answering: tiers keep no dated
    # membership per response); anonymous answers and non-members fall in "(none)".
    "tier": (
        "response__customer__loyalty_membership__tier__code",
        "response__customer__loyalty_membership__tier__name_zh",
        "response__customer__loyalty_membership__tier__name_en",
    ),
}
TIME_GRAINS = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}
QUESTION_PREFIX = "question:"
SEGMENT_BY = "segment"
BY_CHOICES = (*GROUP_COLUMNS, *TIME_GRAINS, SEGMENT_BY, f"{QUESTION_PREFIX}<name>")
# A cross-tab's two breakdowns: any of the breakdowns (segments overlap: a response counts in
# every segment its customer belongs to, on either side).
CROSS_CHOICES = BY_CHOICES
# The choice types whose answer can name a group.
GROUPING_TYPES = {"single_choice", "dropdown", "yes_no"}


@dataclass(frozen=True)
class MetricFilters:
    """Which completed responses count. Empty tuples mean "all"."""

    survey_ids: tuple[int, ...] = ()
    question: str = ""
    date_from: date | None = None
    date_to: date | None = None
    store_codes: tuple[str, ...] = ()
    staff_codes: tuple[str, ...] = ()
    channel_codes: tuple[str, ...] = ()
    touchpoint_codes: tuple[str, ...] = ()
    segment_id: int | None = None


@dataclass(frozen=True)
class GroupResult:
    """One group of a breakdown: its key (a store code, "2026-11-01" for a period), its label
    for people, and the metric."""

    key: str
    label: str
    result: MetricResult

    def to_json(self) -> dict[str, Any]:
        return {"group": self.key, "label": self.label, **self.result.to_json()}


@dataclass
class CrossTab:
    """A metric for every pair of two breakdowns (rows × columns); a missing pair had no
    answers."""

    row_by: str
    column_by: str
    rows: list[tuple[str, str]] = field(default_factory=list)
    columns: list[tuple[str, str]] = field(default_factory=list)
    cells: dict[tuple[str, str], MetricResult] = field(default_factory=dict)
    metric: str = ""

    def to_json(self) -> dict[str, Any]:
        """The CLI and API shape: the rows and columns with their labels, then one object per
        pair that has answers (rows in order, columns in order within a row), each with the
        same keys as one score."""
        return {
            "metric": self.metric,
            "by": self.row_by,
            "cross": self.column_by,
            "rows": [{"key": key, "label": label} for key, label in self.rows],
            "columns": [{"key": key, "label": label} for key, label in self.columns],
            "cells": [
                {"row": row, "column": column, **self.cells[(row, column)].to_json()}
                for row, _row_label in self.rows
                for column, _column_label in self.columns
                if (row, column) in self.cells
            ],
        }


def _invalid(name: str, reason: str) -> InvalidInput:
    return InvalidInput([FieldError(name, reason)])


def check_metric(metric: str) -> str:
    if metric not in METRICS:
        raise _invalid("metric", f"expected one of {', '.join(METRICS)}")
    return metric


def check_by(by: str) -> str:
    if by in GROUP_COLUMNS or by in TIME_GRAINS or by == SEGMENT_BY:
        return by
    if by.startswith(QUESTION_PREFIX) and by[len(QUESTION_PREFIX) :]:
        return by
    raise _invalid("by", f"expected one of {', '.join(BY_CHOICES)}")


def check_crosstab(row_by: str | None, column_by: str) -> tuple[str, str]:
    """The two breakdowns of a cross-tab, ``by`` (rows) and ``cross`` (columns) as the CLI and
    the API name them; every problem is reported with the field it belongs to."""
    if not row_by:
        raise _invalid("cross", "needs by as well (by gives the rows, cross the columns)")
    errors: list[FieldError] = []
    for name, value in (("by", row_by), ("cross", column_by)):
        try:
            check_by(value)
        except InvalidInput:
            errors.append(FieldError(name, f"expected one of {', '.join(CROSS_CHOICES)}"))
    if not errors and row_by == column_by:
        errors.append(FieldError("cross", "must not be the same breakdown as by"))
    if errors:
        raise InvalidInput(errors)
    return row_by, column_by


def _question_names(
    metric: str, filters: MetricFilters
) -> tuple[dict[int, set[str]], dict[int, list[str]]]:
    """The names of the metric's questions per survey id and per version id, read in one query
    over the versions. Raises NotFound for an unknown survey and InvalidInput when the named
    question is not of the metric's type in any chosen survey."""
    check_metric(metric)
    versions = SurveyVersion.objects.order_by()
    if filters.survey_ids:
        found = set(Survey.objects.filter(pk__in=filters.survey_ids).values_list("pk", flat=True))
        missing = sorted(set(filters.survey_ids) - found)
        if missing:
            raise NotFound(f"no survey with id {missing[0]}", field="survey")
        versions = versions.filter(survey_id__in=filters.survey_ids)
    by_survey: dict[int, set[str]] = defaultdict(set)
    by_version: dict[int, list[str]] = {}
    for version_id, survey_id, definition in versions.values_list("pk", "survey_id", "definition"):
        for question in iter_definition_questions(definition or {}):
            if question.get("type") != metric:
                continue
            if filters.question and question.get("name") != filters.question:
                continue
            by_survey[survey_id].add(str(question["name"]))
            by_version.setdefault(version_id, []).append(str(question["name"]))
    if filters.question and not by_survey:
        raise _invalid("question", f"no {metric} question named {filters.question!r}")
    return dict(by_survey), by_version


def metric_questions(metric: str, filters: MetricFilters) -> dict[int, set[str]]:
    """The question names per survey id whose answers make the metric (a question's name is
    its identity across versions). Raises NotFound for an unknown survey and InvalidInput when
    the named question is not of the metric's type in any chosen survey."""
    return _question_names(metric, filters)[0]


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def _check_dates(filters: MetricFilters) -> None:
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise _invalid("to", "must be on or after from")


def response_condition(filters: MetricFilters, store_ids: Iterable[int] | None) -> Q:
    """The filters (all but the survey and question) as a Q on ResponseValue: completed
    responses in the dates, stores, staff members, channels, touchpoints and segment;
    ``store_ids`` limits them to the stores a person may see (None: no limit)."""
    _check_dates(filters)
    condition = Q(response__status=ResponseStatus.COMPLETED)
    if filters.date_from:
        condition &= Q(response__completed_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        condition &= Q(response__completed_at__lt=_day_start(filters.date_to + timedelta(days=1)))
    if filters.store_codes:
        condition &= Q(response__store__code__in=filters.store_codes)
    if filters.staff_codes:
        condition &= Q(response__staff__code__in=filters.staff_codes)
    if filters.channel_codes:
        condition &= Q(response__channel__code__in=filters.channel_codes)
    if filters.touchpoint_codes:
        condition &= Q(response__touchpoint__code__in=filters.touchpoint_codes)
    if filters.segment_id is not None:
        members = segment_members(get_segment(filters.segment_id)).order_by().values("pk")
        condition &= Q(response__customer__in=members)
    if store_ids is not None:
        condition &= Q(response__store_id__in=list(store_ids))
    return condition


def _answers(metric: str, filters: MetricFilters, store_ids: Iterable[int] | None) -> QuerySet:
    """The ResponseValue rows that make the metric under the filters: answers to a question
    that is of the metric's type in the version the response answered."""
    condition = response_condition(filters, store_ids)
    questions = _question_names(metric, filters)[1]
    if not questions:
        return ResponseValue.objects.none()
    which = Q()
    for version_id, names in sorted(questions.items()):
        which |= Q(response__version_id=version_id, question__in=sorted(names))
    condition &= which & Q(item="", number__isnull=False)
    return ResponseValue.objects.filter(condition).order_by()


def _group_keys(
    bys: tuple[str, ...], filters: MetricFilters, field_names: tuple[str, ...]
) -> tuple[dict[str, Any], list[str]]:
    """The expression of each breakdown's key (``key_0``, ``key_1`` …) and the label columns
    they need, for a grouped query over the answers."""
    keys: dict[str, Any] = {}
    label_columns: list[str] = []
    for index, (by, field_name) in enumerate(zip(bys, field_names, strict=True)):
        expression, columns = _group_expression(by, filters, field_name)
        keys[f"key_{index}"] = expression
        label_columns.extend(column for column in columns if column not in label_columns)
    return keys, label_columns


def _row_keys(row: dict, bys: tuple[str, ...], labels: Labels) -> tuple[str, ...]:
    """A grouped row's key texts, noting each key's label on the way."""
    key = tuple(_group_key_text(row[f"key_{index}"]) for index in range(len(bys)))
    for index, by in enumerate(bys):
        _column, label_zh, label_en = GROUP_COLUMNS.get(by, (None, None, None))
        labels[by].setdefault(key[index], _label(row, key[index], label_zh, label_en))
    return key


def _answer_counts(
    metric: str,
    filters: MetricFilters,
    bys: tuple[str, ...],
    store_ids: Iterable[int] | None,
    field_names: tuple[str, ...],
) -> tuple[Counts, Labels]:
    """Counts per answer value for each tuple of group keys, read from the answers in one
    GROUP BY, and the label of each key per breakdown."""
    answers = _answers(metric, filters, store_ids)
    keys, label_columns = _group_keys(bys, filters, field_names)
    rows = (
        answers.annotate(**keys).values(*keys, *label_columns, "number").annotate(count=Count("id"))
    )
    counts: Counts = defaultdict(dict)
    names: Labels = {by: {} for by in bys}
    for row in rows:
        cell = counts[_row_keys(row, bys, names)]
        cell[row["number"]] = cell.get(row["number"], 0) + row["count"]
    return dict(counts), names


def grouped_counts(
    metric: str,
    filters: MetricFilters,
    bys: tuple[str, ...] = (),
    *,
    store_ids: Iterable[int] | None = None,
    field_names: tuple[str, ...] | None = None,
) -> tuple[Counts, Labels]:
    """Counts per answer value for each tuple of group keys (one key per breakdown of
    ``bys``; ``()`` for the whole) and each key's label: from the pre-counted tables where they
    can answer, from the answers for the rest. ``field_names`` name the input field of each
    breakdown in errors."""
    field_names = field_names or tuple("by" for _ in bys)
    _check_dates(filters)
    questions = metric_questions(metric, filters)
    counted = counted_answers(metric, questions, filters, bys, store_ids=store_ids)
    if counted is None:
        return _answer_counts(metric, filters, bys, store_ids, field_names)
    counts, labels, left = counted
    for date_from, date_to in left:
        part = replace(filters, date_from=date_from, date_to=date_to)
        more_counts, more_labels = _answer_counts(metric, part, bys, store_ids, field_names)
        for key, cell in more_counts.items():
            merged = counts.setdefault(key, {})
            for value, count in cell.items():
                merged[value] = merged.get(value, 0) + count
        for by, names in more_labels.items():
            for key, label in names.items():
                labels[by].setdefault(key, label)
    return counts, labels


def _label(row: dict, key: Any, label_zh: str | None, label_en: str | None) -> str:
    from django.utils.translation import get_language

    english = (get_language() or "").lower().startswith("en")
    chosen = row.get(label_en) if (english and label_en) else None
    if key in ("", None):
        return gettext("(none)")
    return str(chosen or (row.get(label_zh) if label_zh else None) or key)


def compute_metric(
    metric: str, filters: MetricFilters, *, store_ids: Iterable[int] | None = None
) -> MetricResult:
    """The metric over every answer the filters select."""
    counts, _labels = grouped_counts(metric, filters, store_ids=store_ids)
    return metric_from_counts(metric, counts.get((), {}))


def _group_expression(
    by: str, filters: MetricFilters, field_name: str = "by"
) -> tuple[Any, list[str]]:
    """The expression naming each answer's group for a breakdown, and the label columns;
    ``field_name`` is the field a bad question is reported under."""
    if by in TIME_GRAINS:
        truncate = TIME_GRAINS[by]
        return truncate("response__completed_at", tzinfo=timezone.get_current_timezone()), []
    if by.startswith(QUESTION_PREFIX):
        name = by[len(QUESTION_PREFIX) :]
        _check_grouping_question(name, filters, field_name)
        chosen = ResponseValue.objects.filter(response=OuterRef("response"), question=name)
        return Subquery(chosen.values("text")[:1]), []
    key, label_zh, label_en = GROUP_COLUMNS[by]
    return F(key), [column for column in (label_zh, label_en) if column]


def _check_grouping_question(name: str, filters: MetricFilters, field_name: str = "by") -> None:
    versions = SurveyVersion.objects.order_by()
    if filters.survey_ids:
        versions = versions.filter(survey_id__in=filters.survey_ids)
    for definition in versions.values_list("definition", flat=True):
        for question in iter_definition_questions(definition or {}):
            if question.get("name") == name and question.get("type") in GROUPING_TYPES:
                return
    raise _invalid(field_name, f"no single-choice, dropdown or yes/no question named {name!r}")


def _group_key_text(value: Any) -> str:
    if isinstance(value, datetime):
        return timezone.localtime(value).date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


def compute_metric_by(
    metric: str, filters: MetricFilters, by: str, *, store_ids: Iterable[int] | None = None
) -> list[GroupResult]:
    """The metric per group of ``by`` (see BY_CHOICES), in one query whatever the number of
    groups; groups without answers are absent. Ordered by key (periods in time order)."""
    check_by(by)
    if by == SEGMENT_BY:
        return _metric_by_segment(metric, filters, store_ids)
    counts, labels = grouped_counts(metric, filters, (by,), store_ids=store_ids)
    return [
        GroupResult(key, labels[by][key], metric_from_counts(metric, counts[(key,)]))
        for (key,) in sorted(counts)
    ]


def _segment_counts(
    metric: str,
    filters: MetricFilters,
    others: tuple[str, ...],
    store_ids: Iterable[int] | None,
    field_names: tuple[str, ...],
    segments: list | None = None,
) -> tuple[Counts, Labels]:
    """Counts for the members of each segment (a response counts in every segment its customer
    belongs to now), keyed by the segment's id and then by the ``others`` breakdowns, as one
    UNION ALL query of a grouped count per segment."""
    segments = list(list_segments()) if segments is None else segments
    labels: Labels = {SEGMENT_BY: {}, **{by: {} for by in others}}
    if not segments:
        return {}, labels
    answers = _answers(metric, filters, store_ids)
    keys, label_columns = _group_keys(others, filters, field_names)
    parts = [
        answers.filter(response__customer__in=segment_members(segment).order_by().values("pk"))
        .annotate(segment_key=Value(segment.pk), **keys)
        .values("segment_key", *keys, *label_columns, "number")
        .annotate(count=Count("id"))
        .order_by()
        for segment in segments
    ]
    rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    names = {segment.pk: segment.name for segment in segments}
    counts: Counts = defaultdict(dict)
    for row in rows:
        key = (str(row["segment_key"]), *_row_keys(row, others, labels))
        cell = counts[key]
        cell[row["number"]] = cell.get(row["number"], 0) + row["count"]
        labels[SEGMENT_BY].setdefault(key[0], names[row["segment_key"]])
    return dict(counts), labels


def _metric_by_segment(metric: str, filters: MetricFilters, store_ids) -> list[GroupResult]:
    """The metric for the members of each segment, in the order of the segments."""
    segments = list(list_segments())
    counts, _labels = _segment_counts(metric, filters, (), store_ids, (), segments)
    return [
        GroupResult(
            str(segment.pk), segment.name, metric_from_counts(metric, counts[(str(segment.pk),)])
        )
        for segment in segments
        if (str(segment.pk),) in counts
    ]


def compute_trend(
    metric: str, filters: MetricFilters, grain: str, *, store_ids: Iterable[int] | None = None
) -> list[GroupResult]:
    """The metric per day, week or month (the period's first day as key), with its interval:
    the band of a trend chart."""
    if grain not in TIME_GRAINS:
        raise _invalid("grain", f"expected one of {', '.join(TIME_GRAINS)}")
    return compute_metric_by(metric, filters, grain, store_ids=store_ids)


def compute_crosstab(
    metric: str,
    filters: MetricFilters,
    row_by: str,
    column_by: str,
    *,
    store_ids: Iterable[int] | None = None,
) -> CrossTab:
    """The metric for every pair of two breakdowns (see CROSS_CHOICES; a problem with the rows
    is reported under ``by``, with the columns under ``cross``), in one query."""
    check_crosstab(row_by, column_by)
    if SEGMENT_BY in (row_by, column_by):
        other, field_name = (column_by, "cross") if row_by == SEGMENT_BY else (row_by, "by")
        counts, labels = _segment_counts(metric, filters, (other,), store_ids, (field_name,))
        if column_by == SEGMENT_BY:
            counts = {(key[1], key[0]): cell for key, cell in counts.items()}
    else:
        counts, labels = grouped_counts(
            metric,
            filters,
            (row_by, column_by),
            store_ids=store_ids,
            field_names=("by", "cross"),
        )
    table = CrossTab(row_by=row_by, column_by=column_by, metric=metric)
    table.rows = sorted(labels[row_by].items())
    table.columns = sorted(labels[column_by].items())
    table.cells = {pair: metric_from_counts(metric, cell) for pair, cell in counts.items()}
    return table


def compare_filters(
    metric: str,
    first: MetricFilters,
    second: MetricFilters,
    *,
    store_ids: Iterable[int] | None = None,
) -> Change:
    """The change of the metric from the first set of filters (last month, store A) to the
    second (this month, store B), with its interval and significance."""
    return compare(
        compute_metric(metric, first, store_ids=store_ids),
        compute_metric(metric, second, store_ids=store_ids),
    )


def _codes(text: str | None) -> tuple[str, ...]:
    return tuple(code.strip() for code in (text or "").split(",") if code.strip())


def parse_metric_filters(
    *,
    survey: str | int | None = None,
    question: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    store: str | None = None,
    channel: str | None = None,
    touchpoint: str | None = None,
    segment: str | int | None = None,
    staff: str | None = None,
) -> MetricFilters:
    """Filters from the text a command line or a query string gives (ids, YYYY-MM-DD dates,
    comma-separated codes); every problem is reported with its field."""
    errors: list[FieldError] = []
    survey_ids: tuple[int, ...] = ()
    for name, text in (("survey", survey), ("segment", segment)):
        if text in (None, ""):
            continue
        try:
            numbers = tuple(int(part) for part in str(text).split(","))
        except ValueError:
            errors.append(FieldError(name, "expected a whole number id"))
            continue
        if name == "survey":
            survey_ids = numbers
        elif len(numbers) != 1:
            errors.append(FieldError(name, "expected one segment id"))
    days: dict[str, date | None] = {"from": None, "to": None}
    for name, text in (("from", date_from), ("to", date_to)):
        if text:
            try:
                days[name] = parse_date(text)
            except ValueError:
                errors.append(FieldError(name, "expected a date as YYYY-MM-DD"))
    if days["from"] and days["to"] and days["from"] > days["to"]:
        errors.append(FieldError("to", "must be on or after from"))
    if errors:
        raise InvalidInput(errors)
    return MetricFilters(
        survey_ids=survey_ids,
        question=(question or "").strip(),
        date_from=days["from"],
        date_to=days["to"],
        store_codes=_codes(store),
        staff_codes=_codes(staff),
        channel_codes=_codes(channel),
        touchpoint_codes=_codes(touchpoint),
        segment_id=int(segment) if segment not in (None, "") else None,
    )


@dataclass(frozen=True)
class ResponseRate:
    """Personal invitations (email, SMS, personal links) sent in the period and how many of
    them were answered; anonymous links and QR codes have no denominator and are left out."""

    sent: int
    completed: int

    @property
    def rate(self) -> float | None:
        return 100 * self.completed / self.sent if self.sent else None


def compute_response_rate(
    filters: MetricFilters, *, store_ids: Iterable[int] | None = None
) -> ResponseRate:
    """Invitations sent in the filters' days for their surveys, and those completed (one
    query)."""
    condition = Q(sent_at__isnull=False)
    if filters.survey_ids:
        condition &= Q(distribution__survey_id__in=filters.survey_ids)
    if filters.date_from:
        condition &= Q(sent_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        condition &= Q(sent_at__lt=_day_start(filters.date_to + timedelta(days=1)))
    if filters.store_codes:
        condition &= Q(distribution__store__code__in=filters.store_codes)
    if filters.staff_codes:
        condition &= Q(distribution__staff__code__in=filters.staff_codes)
    if store_ids is not None:
        condition &= Q(distribution__store_id__in=list(store_ids))
    counts = Invitation.objects.filter(condition).aggregate(
        sent=Count("pk"), completed=Count("pk", filter=Q(status=InvitationStatus.COMPLETED))
    )
    return ResponseRate(sent=counts["sent"], completed=counts["completed"])
