"""Case KPIs and staff scorecards for a period (docs/cases.md, "KPIs and scorecards").

The cases are those **opened** in ``[opened_from, opened_to)`` in the caller's stores. Rows are
read once (one query for the cases, one for the reopenings, one per other source) and
summarised in Python with ``kpi_math``; medians and percentiles are not portable SQL.

- complaint rate: complaint cases (every category but the survey-score ones ``detractor`` and
  ``low_satisfaction``) per 1,000 orders placed in the period (cancelled ones excluded);
- first response and resolution time: minutes (wall-clock) from opening to the first response
  or resolution, median and p90, over the cases that have one;
- SLA compliance: among cases whose two deadlines are decided (met or missed), the share that
  missed neither;
- reopen rate: among cases resolved or closed at least once, the share reopened;
- recovered detractors: detractor cases whose customer later gave an NPS of 7 or more (an
  answer completed on a later day than the case opened);
- handled-case CSAT: the handling survey's answers (1-5), mean with its margin and the share
  satisfied (4-5).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Count
from django.utils import timezone

from kesheng.cases import kpi_math
from kesheng.cases.models import Case, CaseCategory, CaseEvent, CaseEventKind, CaseStatus
from kesheng.commerce.models import Order, OrderStatus, StaffMember, Store
from kesheng.feedback.models import FeedbackItem, SentimentLabel
from kesheng.surveys.queries.scores import list_customer_metric_answers

SCORE_CATEGORIES = frozenset({CaseCategory.DETRACTOR.value, CaseCategory.LOW_SATISFACTION.value})
RECOVERED_NPS = 7
SATISFIED_CSAT = 4
NO_KEY = "none"


@dataclass(frozen=True)
class CaseRow:
    pk: int
    store_id: int | None
    category: str
    assignee_id: int | None
    customer_id: int | None
    opened_at: datetime
    first_responded_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    first_response_breached: bool
    resolution_breached: bool
    handling_csat: int | None


def _minutes(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else (end - start).total_seconds() / 60


def _case_rows(
    opened_from: datetime, opened_to: datetime, store_ids: frozenset[int] | None
) -> list[CaseRow]:
    cases = Case.objects.filter(opened_at__gte=opened_from, opened_at__lt=opened_to)
    if store_ids is not None:
        cases = cases.filter(store_id__in=sorted(store_ids))
    rows = cases.order_by("pk").values_list(
        "pk",
        "store_id",
        "category",
        "assignee_id",
        "customer_id",
        "opened_at",
        "first_responded_at",
        "resolved_at",
        "closed_at",
        "first_response_breached_at",
        "resolution_breached_at",
        "handling_csat",
    )
    return [
        CaseRow(
            *row[:9],
            first_response_breached=row[9] is not None,
            resolution_breached=row[10] is not None,
            handling_csat=row[11],
        )
        for row in rows.iterator(chunk_size=5000)
    ]


def _reopened_ids(case_pks: list[int]) -> set[int]:
    reopened: set[int] = set()
    for start in range(0, len(case_pks), 900):
        reopened.update(
            CaseEvent.objects.filter(
                case_id__in=case_pks[start : start + 900],
                kind=CaseEventKind.STATUS,
                to_value=CaseStatus.REOPENED,
            ).values_list("case_id", flat=True)
        )
    return reopened


def _recovered_ids(rows: list[CaseRow]) -> set[int]:
    detractors = [row for row in rows if row.category == CaseCategory.DETRACTOR and row.customer_id]
    if not detractors:
        return set()
    pks, days, values = list_customer_metric_answers("nps")
    promoted_days: dict[int, list] = defaultdict(list)
    for customer_pk, day, value in zip(pks, days, values, strict=True):
        if value >= RECOVERED_NPS:
            promoted_days[customer_pk].append(day)
    zone = timezone.get_default_timezone()
    recovered = set()
    for row in detractors:
        opened_day = row.opened_at.astimezone(zone).date()
        if any(day > opened_day for day in promoted_days.get(row.customer_id, [])):
            recovered.add(row.pk)
    return recovered


def _summary(
    rows: list[CaseRow],
    *,
    reopened: set[int],
    recovered: set[int],
    orders: int | None,
) -> dict:
    first = [
        minutes
        for row in rows
        if (minutes := _minutes(row.opened_at, row.first_responded_at)) is not None
    ]
    resolution = [
        minutes for row in rows if (minutes := _minutes(row.opened_at, row.resolved_at)) is not None
    ]
    decided = [
        row
        for row in rows
        if (row.first_responded_at is not None or row.first_response_breached)
        and (row.resolved_at is not None or row.resolution_breached)
    ]
    compliant = sum(
        1 for row in decided if not (row.first_response_breached or row.resolution_breached)
    )
    finished = [
        row
        for row in rows
        if row.resolved_at is not None or row.closed_at is not None or row.pk in reopened
    ]
    detractors = [row for row in rows if row.category == CaseCategory.DETRACTOR]
    complaints = sum(1 for row in rows if row.category not in SCORE_CATEGORIES)
    csat = [float(row.handling_csat) for row in rows if row.handling_csat is not None]
    return {
        "cases": len(rows),
        "complaints": complaints,
        "orders": orders,
        "complaints_per_1000_orders": (
            None if orders is None else kpi_math.rate_per_thousand(complaints, orders)
        ),
        "first_response_minutes": kpi_math.duration_summary(first),
        "resolution_minutes": kpi_math.duration_summary(resolution),
        "sla_compliance": kpi_math.share_summary(compliant, len(decided)),
        "reopen_rate": kpi_math.share_summary(
            sum(1 for row in finished if row.pk in reopened), len(finished)
        ),
        "recovered_detractors": kpi_math.share_summary(
            sum(1 for row in detractors if row.pk in recovered), len(detractors)
        ),
        "handling_csat": kpi_math.mean_summary(csat)
        | {
            "satisfied": kpi_math.share_summary(
                sum(1 for value in csat if value >= SATISFIED_CSAT), len(csat)
            )
        },
    }


def _orders_by_store(
    opened_from: datetime, opened_to: datetime, store_ids: frozenset[int] | None
) -> dict[int | None, int]:
    orders = Order.objects.filter(ordered_at__gte=opened_from, ordered_at__lt=opened_to).exclude(
        status=OrderStatus.CANCELLED
    )
    if store_ids is not None:
        orders = orders.filter(store_id__in=sorted(store_ids))
    return dict(
        orders.order_by()
        .values_list("store_id")
        .annotate(count=Count("pk"))
        .values_list("store_id", "count")
    )


def _labels(rows: list[CaseRow]) -> dict[str, dict]:
    store_ids = {row.store_id for row in rows if row.store_id}
    user_ids = {row.assignee_id for row in rows if row.assignee_id}
    stores = {store.pk: store for store in Store.objects.filter(pk__in=store_ids)}
    users = {user.pk: user for user in get_user_model().objects.filter(pk__in=user_ids)}
    return {
        "store": {pk: (store.code, store.name) for pk, store in stores.items()},
        "agent": {
            pk: (user.get_username(), user.get_full_name() or user.get_username())
            for pk, user in users.items()
        },
        "category": {value: (value, str(label)) for value, label in CaseCategory.choices},
    }


def _grouped(rows, attribute, labels, **context) -> list[dict]:
    groups: dict = defaultdict(list)
    for row in rows:
        groups[getattr(row, attribute)].append(row)
    result = []
    for key, members in groups.items():
        code, label = labels.get(key, (NO_KEY, ""))
        orders = context["orders_by_store"].get(key, 0) if attribute == "store_id" else None
        result.append(
            {"key": code, "label": label}
            | _summary(
                members, reopened=context["reopened"], recovered=context["recovered"], orders=orders
            )
        )
    return sorted(result, key=lambda item: (item["key"] == NO_KEY, item["key"]))


def case_kpis(
    *, opened_from: datetime, opened_to: datetime, store_ids: frozenset[int] | None = None
) -> dict:
    """The case KPIs of the period overall and by store, category and agent (``key`` is the
    store code, category or username; ``none`` for cases without one). Each figure carries its
    n. A store manager (``store_ids``) sees their stores only, and orders of those stores."""
    rows = _case_rows(opened_from, opened_to, store_ids)
    reopened = _reopened_ids([row.pk for row in rows])
    recovered = _recovered_ids(rows)
    orders_by_store = _orders_by_store(opened_from, opened_to, store_ids)
    labels = _labels(rows)
    context = {"reopened": reopened, "recovered": recovered, "orders_by_store": orders_by_store}
    return {
        "period": {"from": opened_from.isoformat(), "to": opened_to.isoformat()},
        "overall": _summary(
            rows, reopened=reopened, recovered=recovered, orders=sum(orders_by_store.values())
        ),
        "by_store": _grouped(rows, "store_id", labels["store"], **context),
        "by_category": _grouped(rows, "category", labels["category"], **context),
        "by_agent": _grouped(rows, "assignee_id", labels["agent"], **context),
    }


def _card(summary: dict) -> dict:
    """The scorecard's columns out of a KPI summary."""
    return {
        "cases": summary["cases"],
        "handling_csat": summary["handling_csat"],
        "first_response_minutes": summary["first_response_minutes"],
        "resolution_minutes": summary["resolution_minutes"],
        "sla_compliance": summary["sla_compliance"],
        "complaints": summary["complaints"],
    }


def staff_scorecards(
    *, opened_from: datetime, opened_to: datetime, store_ids: frozenset[int] | None = None
) -> dict:
    """Scorecards per agent (the staff user a case was assigned to) and per store: handled-case
    CSAT, first response and resolution times, SLA compliance, complaints; per store also the
    compliments (positive feedback about the store written in the period). Per staff member
    serving customers (``commerce.StaffMember``, named by a survey response): complaints
    (cases opened from a response naming them) and compliments (positive comments from
    responses naming them). Cases do not name the agent's own colleagues otherwise, so an
    agent's card has no compliments column."""
    kpis = case_kpis(opened_from=opened_from, opened_to=opened_to, store_ids=store_ids)
    feedback = FeedbackItem.objects.filter(
        occurred_at__gte=opened_from,
        occurred_at__lt=opened_to,
        sentiment=SentimentLabel.POSITIVE,
    )
    cases = Case.objects.filter(opened_at__gte=opened_from, opened_at__lt=opened_to)
    if store_ids is not None:
        feedback = feedback.filter(store_id__in=sorted(store_ids))
        cases = cases.filter(store_id__in=sorted(store_ids))
    compliments_by_store = dict(
        feedback.filter(store__isnull=False)
        .order_by()
        .values_list("store__code")
        .annotate(count=Count("pk"))
        .values_list("store__code", "count")
    )
    staff_compliments = dict(
        feedback.filter(response__staff__isnull=False)
        .order_by()
        .values_list("response__staff_id")
        .annotate(count=Count("pk"))
        .values_list("response__staff_id", "count")
    )
    staff_complaints = dict(
        cases.filter(response__staff__isnull=False)
        .order_by()
        .values_list("response__staff_id")
        .annotate(count=Count("pk"))
        .values_list("response__staff_id", "count")
    )
    named = StaffMember.objects.filter(pk__in=set(staff_compliments) | set(staff_complaints))
    return {
        "period": kpis["period"],
        "agents": [
            {"key": row["key"], "label": row["label"]} | _card(row) for row in kpis["by_agent"]
        ],
        "stores": [
            {"key": row["key"], "label": row["label"]}
            | _card(row)
            | {"compliments": compliments_by_store.get(row["key"], 0)}
            for row in kpis["by_store"]
        ],
        "staff_members": [
            {
                "key": member.code,
                "label": member.name,
                "complaints": staff_complaints.get(member.pk, 0),
                "compliments": staff_compliments.get(member.pk, 0),
            }
            for member in named.order_by("code")
        ],
    }
