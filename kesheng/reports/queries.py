"""Reads for the dashboard: every panel's numbers for one set of filters, from the analytics
queries (each a GROUP BY in the database, so the page's query count does not grow with the
number of stores, touchpoints or periods)."""

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from kesheng.analytics.metrics import METRICS, compare
from kesheng.analytics.queries import (
    GroupResult,
    MetricFilters,
    compute_metric,
    compute_metric_by,
    compute_response_rate,
    compute_trend,
)
from kesheng.analytics.queries.metrics import ResponseRate
from kesheng.reports.content import Headline, SurveyDrivers, case_kpis_of_days, xvoc_drivers

# Up to this many days the trend is drawn per day, beyond per week, beyond a year per month.
DAILY_UP_TO = 31
WEEKLY_UP_TO = 366


@dataclass
class Dashboard:
    filters: MetricFilters
    previous: MetricFilters
    grain: str
    headlines: list[Headline] = field(default_factory=list)
    trend: list[GroupResult] = field(default_factory=list)
    by_touchpoint: list[GroupResult] = field(default_factory=list)
    by_store: list[GroupResult] = field(default_factory=list)
    response_rate: ResponseRate | None = None
    drivers: SurveyDrivers | None = None


def trend_grain(filters: MetricFilters) -> str:
    days = (filters.date_to - filters.date_from).days + 1  # type: ignore[operator]
    if days <= DAILY_UP_TO:
        return "day"
    return "week" if days <= WEEKLY_UP_TO else "month"


def get_dashboard(filters: MetricFilters, *, store_ids=None) -> Dashboard:
    """Tiles (NPS, CSAT, CES with the change against the previous period of the same length),
    the NPS trend, NPS by touchpoint and by store, the response rate, and the key drivers of
    the first X-VOC survey answered in the period. ``filters`` must carry both dates."""
    length = (filters.date_to - filters.date_from).days + 1  # type: ignore[operator]
    previous_to = filters.date_from - timedelta(days=1)  # type: ignore[operator]
    previous = replace(
        filters, date_from=previous_to - timedelta(days=length - 1), date_to=previous_to
    )
    dashboard = Dashboard(filters=filters, previous=previous, grain=trend_grain(filters))
    for metric in METRICS:
        result = compute_metric(metric, filters, store_ids=store_ids)
        # The current period is counted once, for the tile and for the change.
        change = compare(compute_metric(metric, previous, store_ids=store_ids), result)
        dashboard.headlines.append(Headline(metric, result, change))
    dashboard.trend = compute_trend("nps", filters, dashboard.grain, store_ids=store_ids)
    dashboard.by_touchpoint = compute_metric_by("nps", filters, "touchpoint", store_ids=store_ids)
    dashboard.by_store = compute_metric_by("nps", filters, "store", store_ids=store_ids)
    dashboard.response_rate = compute_response_rate(filters, store_ids=store_ids)
    answered = [survey for survey in xvoc_drivers(filters, store_ids) if survey.analysis]
    dashboard.drivers = answered[0] if answered else None
    return dashboard


def case_kpi_summary(
    date_from: date, date_to: date, *, store_ids=None, store_codes: tuple[str, ...] = ()
) -> dict:
    """The dashboard's case panel: the overall case KPIs of cases opened from ``date_from`` to
    ``date_to`` (see ``content.case_kpis_of_days``)."""
    return case_kpis_of_days(date_from, date_to, store_ids=store_ids, store_codes=store_codes)[
        "overall"
    ]
