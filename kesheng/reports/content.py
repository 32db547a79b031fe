"""What the CX report says, gathered once from the analytics queries into plain data, so the
PDF, the XLSX and the page show the same numbers.

A report covers a period (usually a month): headline NPS, CSAT and CES with their intervals and
the change against the previous period of the same length; the monthly trend of the last twelve
months; tables by touchpoint and by store; the key drivers and importance-performance quadrants
of the X-VOC surveys answered in the period; the closed loop's case KPIs (complaints per
1,000 orders, first response and resolution times, SLA compliance, reopen rate), overall and by
store; and the latest verbatim comments.
"""

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kesheng.analytics.drivers import DriverAnalysis, DriverAnalysisError
from kesheng.analytics.metrics import METRICS, Change, MetricResult, compare
from kesheng.analytics.queries import (
    DriverQuestionError,
    GroupResult,
    MetricFilters,
    compute_drivers,
    compute_importance_performance,
    compute_metric,
    compute_metric_by,
)
from kesheng.analytics.queries.drivers import IpaReport
from kesheng.analytics.queries.metrics import response_condition
from kesheng.cases.queries.kpis import case_kpis
from kesheng.commerce.models import Store
from kesheng.surveys.exports import iter_definition_questions
from kesheng.surveys.models import ResponseValue, Survey

COMMENT_TYPES = {"long_text", "short_text"}
COMMENTS_SHOWN = 20
TREND_MONTHS = 12
XVOC_TEMPLATE_PREFIX = "xvoc_"


@dataclass(frozen=True)
class Headline:
    metric: str
    result: MetricResult
    change: Change  # against the previous period of the same length


@dataclass(frozen=True)
class SurveyDrivers:
    survey_id: int
    survey_title: str
    analysis: DriverAnalysis | None
    labels: dict[str, str]
    ipa: IpaReport | None
    problem: str = ""  # why there is no analysis (too few answers ...)


@dataclass(frozen=True)
class Comment:
    survey_title: str
    question: str
    text: str
    store: str
    completed_on: date


@dataclass
class CxReport:
    date_from: date
    date_to: date
    previous_from: date
    previous_to: date
    trend_from: date
    headlines: list[Headline] = field(default_factory=list)
    trend: dict[str, list[GroupResult]] = field(default_factory=dict)
    by_touchpoint: dict[str, list[GroupResult]] = field(default_factory=dict)
    by_store: dict[str, list[GroupResult]] = field(default_factory=dict)
    drivers: list[SurveyDrivers] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    # The case KPIs of cases opened in the period (cases.queries.kpis): "overall", "by_store".
    cases: dict = field(default_factory=dict)

    @property
    def response_count(self) -> int:
        return max((headline.result.n for headline in self.headlines), default=0)

    @property
    def store_table(self) -> list[tuple[str, str, list[MetricResult | None]]]:
        """One row per store: its key, name and the result of each metric (None: no answer)."""
        names: dict[str, str] = {}
        results: dict[str, dict[str, MetricResult]] = {}
        for metric, groups in self.by_store.items():
            for group in groups:
                names.setdefault(group.key, group.label)
                results.setdefault(group.key, {})[metric] = group.result
        return [
            (key, names[key], [results[key].get(metric) for metric in METRICS])
            for key in sorted(names, key=lambda key: names[key])
        ]

    @property
    def is_empty(self) -> bool:
        return all(headline.result.n == 0 for headline in self.headlines)


def _months_back(day: date, months: int) -> date:
    """The first day of the month ``months`` before ``day``'s month."""
    month_index = day.year * 12 + day.month - 1 - months
    return date(month_index // 12, month_index % 12 + 1, 1)


def build_cx_report(
    *, date_from: date, date_to: date, filters: MetricFilters | None = None, store_ids=None
) -> CxReport:
    """Gather the CX report for the days ``date_from``..``date_to`` (both included) under the
    other filters (surveys, stores, channels ...); ``store_ids`` limits it to the stores a
    person may see."""
    base = filters or MetricFilters()
    period = replace(base, date_from=date_from, date_to=date_to)
    length = (date_to - date_from).days + 1
    previous_to = date_from - timedelta(days=1)
    previous_from = previous_to - timedelta(days=length - 1)
    previous = replace(base, date_from=previous_from, date_to=previous_to)
    trend_from = _months_back(date_to, TREND_MONTHS - 1)
    report = CxReport(date_from, date_to, previous_from, previous_to, trend_from)
    trend_filters = replace(base, date_from=trend_from, date_to=date_to)
    for metric in METRICS:
        result = compute_metric(metric, period, store_ids=store_ids)
        # The current period is counted once, for the headline and for the change.
        change = compare(compute_metric(metric, previous, store_ids=store_ids), result)
        report.headlines.append(Headline(metric, result, change))
        report.trend[metric] = compute_metric_by(
            metric, trend_filters, "month", store_ids=store_ids
        )
        report.by_touchpoint[metric] = compute_metric_by(
            metric, period, "touchpoint", store_ids=store_ids
        )
        report.by_store[metric] = compute_metric_by(metric, period, "store", store_ids=store_ids)
    # Drivers need many answers: a month of an X-VOC survey rarely has enough.
    report.drivers = xvoc_drivers(trend_filters, store_ids)
    report.comments = _latest_comments(period, store_ids)
    report.cases = case_kpis_of_days(
        date_from, date_to, store_ids=store_ids, store_codes=base.store_codes
    )
    return report


def case_kpis_of_days(
    date_from: date, date_to: date, *, store_ids=None, store_codes: tuple[str, ...] = ()
) -> dict:
    """The case KPIs (docs/cases.md) of cases opened from ``date_from`` to ``date_to``
    (inclusive, days in the business's zone), overall and by store, category and agent, each
    figure with its n. Limited to the stores a store manager may see and, when the report or
    dashboard filters stores, to those."""
    zone = timezone.get_default_timezone()
    if store_codes:
        chosen = frozenset(Store.objects.filter(code__in=store_codes).values_list("pk", flat=True))
        store_ids = chosen if store_ids is None else store_ids & chosen
    return case_kpis(
        opened_from=datetime.combine(date_from, time.min, zone),
        opened_to=datetime.combine(date_to + timedelta(days=1), time.min, zone),
        store_ids=store_ids,
    )


def xvoc_drivers(period: MetricFilters, store_ids) -> list[SurveyDrivers]:
    surveys = Survey.objects.filter(template_key__startswith=XVOC_TEMPLATE_PREFIX).order_by("pk")
    if period.survey_ids:
        surveys = surveys.filter(pk__in=period.survey_ids)
    found = []
    for survey in surveys.select_related("current_version"):
        analysis, labels, ipa, problem = None, {}, None, ""
        try:
            analysis, labels = compute_drivers(
                survey_id=survey.pk,
                outcome="overall_satisfaction",
                items="satisfaction",
                filters=period,
                store_ids=store_ids,
            )
            ipa = compute_importance_performance(
                survey_id=survey.pk, filters=period, store_ids=store_ids
            )
        except (DriverAnalysisError, DriverQuestionError) as refused:
            problem = str(refused)
        if analysis is None and "too few" in problem and problem.startswith("0 "):
            continue  # not answered in the period: nothing to say
        found.append(SurveyDrivers(survey.pk, survey.title, analysis, dict(labels), ipa, problem))
    return found


def _latest_comments(period: MetricFilters, store_ids) -> list[Comment]:
    """The newest open-text answers of the period, from the text questions of the surveys."""
    text_questions: dict[int, set[str]] = {}
    surveys = Survey.objects.select_related("current_version").order_by()
    if period.survey_ids:
        surveys = surveys.filter(pk__in=period.survey_ids)
    titles = {}
    for survey in surveys:
        definition = survey.current_version.definition if survey.current_version else {}
        names = {
            str(question["name"])
            for question in iter_definition_questions(definition or {})
            if question.get("type") in COMMENT_TYPES and question.get("name") != "best_provider"
        }
        if names:
            text_questions[survey.pk] = names
            titles[survey.pk] = survey.title
    if not text_questions:
        return []
    which = Q()
    for survey_id, names in text_questions.items():
        which |= Q(survey_id=survey_id, question__in=sorted(names))
    rows = (
        ResponseValue.objects.filter(which, response_condition(period, store_ids))
        .exclude(text="")
        .select_related("response__store")
        .order_by("-response__completed_at", "-pk")[:COMMENTS_SHOWN]
    )
    from django.utils import timezone

    return [
        Comment(
            survey_title=titles[row.survey_id],
            question=row.question,
            text=row.text,
            store=row.response.store.name if row.response.store else _("(none)"),
            completed_on=timezone.localtime(row.response.completed_at).date(),
        )
        for row in rows
    ]
