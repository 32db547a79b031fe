"""Reads of the analytics app, by topic: ``metrics`` (CSAT, NPS, CES and their breakdowns) and
``drivers`` (key drivers and importance-performance of a survey's items), ``scores`` (the
stored RFM and CLV scores per customer), ``overview`` (the analytics page), ``winback``
(win-back lists and their result), ``journeys`` (funnels and paths), ``personas`` and
``crosssell`` (recommendations). The names callers
use are importable from here."""

from kesheng.analytics.queries.crosssell import get_customer_recommendations
from kesheng.analytics.queries.drivers import (
    DriverQuestionError,
    compute_drivers,
    compute_importance_performance,
    list_driver_candidates,
)
from kesheng.analytics.queries.journeys import compute_funnel_report, compute_path_report
from kesheng.analytics.queries.metrics import (
    BY_CHOICES,
    CROSS_CHOICES,
    CrossTab,
    GroupResult,
    MetricFilters,
    check_by,
    check_crosstab,
    check_metric,
    compare_filters,
    compute_crosstab,
    compute_metric,
    compute_metric_by,
    compute_response_rate,
    compute_trend,
    metric_questions,
    parse_metric_filters,
)
from kesheng.analytics.queries.overview import CustomerAnalytics, get_customer_analytics
from kesheng.analytics.queries.personas import list_personas
from kesheng.analytics.queries.scores import (
    describe_churn_reasons,
    fit_lifetime_value,
    get_customer_scores,
    get_score_panel,
    list_churn_risk,
    summarise_rfm_segments,
)
from kesheng.analytics.queries.winback import (
    get_win_back_result,
    list_win_back_lists,
    parse_window_days,
    win_back_result_json,
)

__all__ = [
    "BY_CHOICES",
    "CROSS_CHOICES",
    "CrossTab",
    "CustomerAnalytics",
    "DriverQuestionError",
    "GroupResult",
    "MetricFilters",
    "check_by",
    "check_crosstab",
    "check_metric",
    "compare_filters",
    "compute_crosstab",
    "compute_drivers",
    "compute_funnel_report",
    "compute_importance_performance",
    "compute_metric",
    "compute_metric_by",
    "compute_path_report",
    "compute_response_rate",
    "compute_trend",
    "describe_churn_reasons",
    "fit_lifetime_value",
    "get_customer_analytics",
    "get_customer_recommendations",
    "get_customer_scores",
    "get_score_panel",
    "get_win_back_result",
    "list_churn_risk",
    "list_driver_candidates",
    "list_personas",
    "list_win_back_lists",
    "metric_questions",
    "parse_metric_filters",
    "parse_window_days",
    "summarise_rfm_segments",
    "win_back_result_json",
]
