"""Reads for the results pages: per-question summaries aggregated with GROUP BY on
ResponseValue, response counts, the filtered list of responses and a single response.

A summary covers the completed responses that match the filters. It reads the current
version's questions; answers given to an earlier version under the same question name count
too (a question's name is its identity across versions).
"""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Q, Sum, Window
from django.db.models.functions import Coalesce, RowNumber, TruncDate
from django.utils import timezone
from django.utils.translation import gettext

from kesheng.core.errors import NotFound
from kesheng.core.statistics import (
    Score,
    mean_score,
    mean_score_from_counts,
    nps_groups,
    nps_score,
    proportion_score,
)
from kesheng.surveys.exports import (
    CHOICE_TYPES,
    SCALE_TYPES,
    TEXT_TYPES,
    iter_definition_questions,
    localized_text,
    scale_labels,
    scale_range,
)
from kesheng.surveys.models import Response, ResponseStatus, ResponseValue, Survey

RESPONSES_PER_PAGE = 25
RECENT_TEXTS = 5


@dataclass(frozen=True)
class ResponseFilters:
    """Which responses a results page covers. Dates are days in the business time zone,
    both ends included; ``status`` only narrows the list of responses."""

    date_from: date | None = None
    date_to: date | None = None
    distribution_id: int | None = None
    status: str = ""


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    percent: float


@dataclass
class ItemSummary:
    """One row of a matrix (its distribution and mean) or one choice of a ranking (its mean
    rank)."""

    label: str
    n: int
    bars: list[Bar] = field(default_factory=list)
    mean: Score | None = None


@dataclass
class QuestionSummary:
    name: str
    type: str
    title: str
    n: int
    bars: list[Bar] = field(default_factory=list)
    score: Score | None = None
    score_kind: str = ""  # "nps", "csat", "ces" or "mean"
    nps_groups: tuple[int, int, int] | None = None
    items: list[ItemSummary] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)


@dataclass
class SurveyResults:
    survey: Survey
    counts_by_status: dict[str, int]
    completed_by_day: list[tuple[date, int]]
    questions: list[QuestionSummary]

    @property
    def completed(self) -> int:
        return self.counts_by_status.get(ResponseStatus.COMPLETED, 0)

    @property
    def in_progress(self) -> int:
        return self.counts_by_status.get(ResponseStatus.IN_PROGRESS, 0)


@dataclass
class AnswerLine:
    name: str
    title: str
    text: str


@dataclass
class ResponseDetail:
    response: Response
    answers: list[AnswerLine]


# --- filters -----------------------------------------------------------------------------------


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def _response_filter(survey: Survey, filters: ResponseFilters, prefix: str = "") -> Q:
    """The filters as a Q on Response (``prefix`` = "response__" from ResponseValue)."""
    condition = Q(**{f"{prefix}survey": survey})
    if filters.distribution_id:
        condition &= Q(**{f"{prefix}distribution_id": filters.distribution_id})
    if filters.date_from:
        condition &= Q(**{f"{prefix}activity_at__gte": _day_start(filters.date_from)})
    if filters.date_to:
        next_day = _day_start(filters.date_to + timedelta(days=1))
        condition &= Q(**{f"{prefix}activity_at__lt": next_day})
    return condition


def _responses(survey: Survey, filters: ResponseFilters):
    # The day a response belongs to: when it was completed, or started while in progress.
    return Response.objects.annotate(activity_at=Coalesce("completed_at", "started_at")).filter(
        _response_filter(survey, filters)
    )


def _values(survey: Survey, filters: ResponseFilters):
    condition = Q(survey=survey, response__status=ResponseStatus.COMPLETED)
    if filters.distribution_id:
        condition &= Q(response__distribution_id=filters.distribution_id)
    if filters.date_from:
        condition &= Q(response__completed_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        condition &= Q(response__completed_at__lt=_day_start(filters.date_to + timedelta(days=1)))
    return ResponseValue.objects.filter(condition)


# --- counts ------------------------------------------------------------------------------------


def count_responses_by_status(survey: Survey, filters: ResponseFilters) -> dict[str, int]:
    counts = dict.fromkeys(ResponseStatus.values, 0)
    rows = _responses(survey, filters).values("status").annotate(count=Count("id"))
    for row in rows.order_by():
        counts[row["status"]] = row["count"]
    return counts


def count_completed_by_day(survey: Survey, filters: ResponseFilters) -> list[tuple[date, int]]:
    rows = (
        _responses(survey, filters)
        .filter(status=ResponseStatus.COMPLETED)
        .annotate(day=TruncDate("completed_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(count=Count("id"))
        .order_by("day")
    )
    return [(row["day"], row["count"]) for row in rows]


# --- per-question summaries --------------------------------------------------------------------


def _percent(count: int, total: int) -> float:
    return 100 * count / total if total else 0.0


def _point(number: float | None) -> int | float | None:
    if number is None:
        return None
    return int(number) if float(number).is_integer() else number


def _choice_bars(question: Mapping, counts: dict, n: int, language: str) -> list[Bar]:
    """A bar per offered choice, in the definition's order, then one for "other" answers."""
    default = language
    offered = {str(choice["value"]) for choice in question.get("choices") or []}
    bars = [
        Bar(
            localized_text(choice.get("text"), language, default) or str(choice["value"]),
            counts.get(str(choice["value"]), 0),
            _percent(counts.get(str(choice["value"]), 0), n),
        )
        for choice in question.get("choices") or []
    ]
    other = sum(count for value, count in counts.items() if value not in offered)
    if other or question.get("has_other"):
        bars.append(Bar(gettext("Other"), other, _percent(other, n)))
    return bars


def _scale_bars(question: Mapping, counts: dict, n: int, language: str) -> list[Bar]:
    bounds = scale_range(question)
    labels = scale_labels(question, language, language)
    points = range(bounds[0], bounds[1] + 1) if bounds else sorted(counts)
    bars = []
    for point in points:
        label = f"{point} · {labels[point]}" if point in labels else str(point)
        bars.append(Bar(label, counts.get(point, 0), _percent(counts.get(point, 0), n)))
    return bars


def _yes_no_key(number: float | None, text: str) -> str:
    if number is not None:
        return "yes" if number else "no"
    return "yes" if text.lower() in {"true", "yes", "1"} else "no"


def _summarize(
    question: Mapping,
    language: str,
    n: int,
    groups: list[tuple[str, str, float | None, int]],
    numeric: dict | None,
    texts: list[str],
) -> QuestionSummary:
    question_type = question.get("type", "")
    summary = QuestionSummary(
        name=question["name"],
        type=question_type,
        title=localized_text(question.get("title"), language, language) or question["name"],
        n=n,
    )
    if question_type in CHOICE_TYPES or question_type == "multiple_choice":
        counts: dict[str, int] = defaultdict(int)
        for item, text, _number, count in groups:
            counts["\0other" if item == "other" else text] += count
        summary.bars = _choice_bars(question, counts, n, language)
    elif question_type == "yes_no":
        counts = defaultdict(int)
        for _item, text, number, count in groups:
            counts[_yes_no_key(number, text)] += count
        summary.bars = [
            Bar(gettext("Yes"), counts["yes"], _percent(counts["yes"], n)),
            Bar(gettext("No"), counts["no"], _percent(counts["no"], n)),
        ]
    elif question_type in SCALE_TYPES:
        points = defaultdict(int)
        for _item, _text, number, count in groups:
            if number is not None:
                points[_point(number)] += count
        summary.bars = _scale_bars(question, points, n, language)
        if question_type == "nps":
            summary.nps_groups = nps_groups(points)
            summary.score, summary.score_kind = nps_score(*summary.nps_groups), "nps"
        elif question_type == "csat":
            satisfied = sum(count for point, count in points.items() if point >= 4)
            summary.score = proportion_score(satisfied, sum(points.values()))
            summary.score_kind = "csat"
        else:
            summary.score = mean_score_from_counts(points)
            summary.score_kind = "ces" if question_type == "ces" else "mean"
    elif question_type in {"matrix", "ranking"}:
        by_item: dict[str, dict] = defaultdict(lambda: defaultdict(int))
        for item, _text, number, count in groups:
            if number is not None:
                by_item[item][_point(number)] += count
        source = question.get("rows" if question_type == "matrix" else "choices") or []
        for entry in source:
            points = by_item.get(str(entry["value"]), {})
            answered = sum(points.values())
            label = localized_text(entry.get("text"), language, language) or str(entry["value"])
            item_summary = ItemSummary(label, answered, mean=mean_score_from_counts(points))
            if question_type == "matrix":
                item_summary.bars = _scale_bars(question, points, answered, language)
            summary.items.append(item_summary)
    elif question_type == "numeric" and numeric:
        summary.score = mean_score(numeric["count"], numeric["total"] or 0, numeric["squares"] or 0)
        summary.score_kind = "mean"
    summary.texts = texts
    return summary


def summarize_questions(
    survey: Survey, filters: ResponseFilters, language: str
) -> list[QuestionSummary]:
    """A summary per question of the current version, in four queries whatever the number
    of questions: counts per (question, item, value), respondents per question, numeric
    sums, and the latest few texts of open questions."""
    definition = survey.current_version.definition if survey.current_version else {}
    questions = list(iter_definition_questions(definition))
    numeric_names = [q["name"] for q in questions if q.get("type") == "numeric"]
    text_names = [q["name"] for q in questions if q.get("type") in TEXT_TYPES]
    grouped_names = [q["name"] for q in questions if q["name"] not in numeric_names + text_names]
    values = _values(survey, filters)

    respondents = dict(
        values.values("question")
        .annotate(n=Count("response_id", distinct=True))
        .order_by()
        .values_list("question", "n")
    )
    groups: dict[str, list] = defaultdict(list)
    rows = (
        values.filter(question__in=grouped_names)
        .values("question", "item", "text", "number")
        .annotate(count=Count("id"))
        .order_by()
    )
    for row in rows:
        groups[row["question"]].append((row["item"], row["text"], row["number"], row["count"]))
    numeric: dict[str, dict] = {}
    if numeric_names:
        for row in (
            values.filter(question__in=numeric_names, number__isnull=False)
            .values("question")
            .annotate(
                count=Count("number"), total=Sum("number"), squares=Sum(F("number") * F("number"))
            )
            .order_by()
        ):
            numeric[row["question"]] = row
    texts: dict[str, list[str]] = defaultdict(list)
    if text_names:
        latest = (
            values.filter(question__in=text_names)
            .exclude(text="")
            .annotate(
                position=Window(
                    RowNumber(), partition_by=[F("question")], order_by=F("response_id").desc()
                )
            )
            .filter(position__lte=RECENT_TEXTS)
            .order_by("question", "position")
            .values_list("question", "text")
        )
        for name, text in latest:
            texts[name].append(text)
    return [
        _summarize(
            question,
            language,
            respondents.get(question["name"], 0),
            groups.get(question["name"], []),
            numeric.get(question["name"]),
            texts.get(question["name"], []),
        )
        for question in questions
    ]


def get_survey_results(survey: Survey, filters: ResponseFilters, language: str) -> SurveyResults:
    return SurveyResults(
        survey=survey,
        counts_by_status=count_responses_by_status(survey, filters),
        completed_by_day=count_completed_by_day(survey, filters),
        questions=summarize_questions(survey, filters, language),
    )


# --- responses ---------------------------------------------------------------------------------


def list_responses(survey: Survey, filters: ResponseFilters, page_number: Any = 1) -> Page:
    """One page of the survey's responses, newest first, with what the list shows joined."""
    responses = _responses(survey, filters)
    if filters.status in ResponseStatus.values:
        responses = responses.filter(status=filters.status)
    responses = responses.select_related(
        "customer", "distribution", "channel", "touchpoint", "store", "version"
    ).order_by("-activity_at", "-id")
    return Paginator(responses, RESPONSES_PER_PAGE).get_page(page_number)


def describe_answer(question: Mapping, answer: Any, language: str) -> str:
    """An answer as a person reads it: choice texts instead of values, ranks numbered."""
    question_type = question.get("type")

    def text_of(value: Any, items_key: str = "choices") -> str:
        if isinstance(value, Mapping) and "other" in value:
            return f"{gettext('Other')}: {value['other']}"
        for item in question.get(items_key) or []:
            if str(item["value"]) == str(value):
                return localized_text(item.get("text"), language, language) or str(value)
        return str(value)

    if answer is None or answer == "" or answer == []:
        return ""
    if question_type in CHOICE_TYPES:
        return text_of(answer)
    if question_type == "multiple_choice":
        return "; ".join(text_of(value) for value in answer)
    if question_type == "ranking":
        return "; ".join(f"{rank}. {text_of(value)}" for rank, value in enumerate(answer, 1))
    if question_type == "matrix" and isinstance(answer, Mapping):
        labels = scale_labels(question, language, language)
        parts = []
        for row in question.get("rows") or []:
            if str(row["value"]) in answer:
                point = answer[str(row["value"])]
                shown = f"{point} ({labels[point]})" if point in labels else str(point)
                parts.append(f"{text_of(row['value'], 'rows')}: {shown}")
        return "; ".join(parts)
    if question_type == "yes_no":
        return gettext("Yes") if answer else gettext("No")
    if question_type in SCALE_TYPES:
        labels = scale_labels(question, language, language)
        return f"{answer} ({labels[answer]})" if answer in labels else str(answer)
    return str(answer)


def get_response_detail(survey: Survey, response_id: int, language: str) -> ResponseDetail:
    """One response of the survey with its answers described against the version it
    answered. Raises NotFound."""
    response = (
        Response.objects.select_related(
            "customer", "distribution", "channel", "touchpoint", "store", "version", "invitation"
        )
        .filter(survey=survey, pk=response_id)
        .first()
    )
    if response is None:
        raise NotFound(f"survey {survey.pk} has no response {response_id}")
    answers = response.answers or {}
    lines = [
        AnswerLine(
            name=question["name"],
            title=localized_text(question.get("title"), language, language) or question["name"],
            text=describe_answer(question, answers.get(question["name"]), language),
        )
        for question in iter_definition_questions(response.version.definition)
        if question["name"] in answers
    ]
    return ResponseDetail(response=response, answers=lines)
