"""Reads of cases, limited to the stores the caller may see (a store manager: their stores'
cases only; cases without a store belong to no store manager)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from kesheng.cases import pauses, sla
from kesheng.cases.models import OPEN_STATUSES, Case, CaseEventKind, CaseStatus, Team
from kesheng.core.errors import NotFound
from kesheng.feedback.queries import visible_feedback
from kesheng.surveys.models import Response, ResponseStatus

OPEN = "open"  # the status filter for every open status at once


@dataclass(frozen=True)
class CaseFilters:
    status: str = ""  # a CaseStatus value, "open", or "" for all
    urgency: str = ""
    store_id: int | None = None
    assignee_id: int | None = None
    is_overdue: bool = False
    customer_pk: int | None = None
    team_of_user_id: int | None = None  # cases of the teams this person is a member or lead of
    breaching_within_hours: int | None = None  # open, a deadline due soon or past 75 %


def visible_cases(store_ids: frozenset[int] | None) -> QuerySet[Case]:
    cases = Case.objects.all()
    if store_ids is not None:
        cases = cases.filter(store_id__in=sorted(store_ids))
    return cases


def overdue_filter(now: datetime) -> Q:
    """Open cases past a deadline not met yet (the resolution clock is paused while waiting
    on the customer)."""
    first = Q(first_responded_at__isnull=True, first_response_due__lt=now)
    resolution = Q(resolution_due__lt=now) & ~Q(status=CaseStatus.WAITING_ON_CUSTOMER)
    return Q(status__in=OPEN_STATUSES) & (first | resolution)


def breaching_soon_filter(now: datetime, hours: int) -> Q:
    """Open cases with a deadline not met yet that falls due within ``hours`` (or is already
    past), or whose 75 % warning time has come. The resolution deadline does not count while
    waiting on the customer (its clock is paused)."""
    horizon = now + timedelta(hours=hours)
    first = Q(first_responded_at__isnull=True) & (
        Q(first_response_due__lte=horizon) | Q(first_response_warn_at__lte=now)
    )
    resolution = (Q(resolution_due__lte=horizon) | Q(resolution_warn_at__lte=now)) & ~Q(
        status=CaseStatus.WAITING_ON_CUSTOMER
    )
    return Q(status__in=OPEN_STATUSES) & (first | resolution)


def teams_of_user_filter(user_id: int) -> Q:
    """Cases handled by a team this person is a member or the lead of."""
    teams = Team.objects.filter(Q(members__pk=user_id) | Q(lead_id=user_id)).values("pk")
    return Q(handling_team_id__in=teams)


def list_cases(
    filters: CaseFilters, *, store_ids: frozenset[int] | None, now: datetime | None = None
) -> QuerySet[Case]:
    """Cases matching the filters, most urgent first, then the soonest resolution deadline;
    customer, store and assignee joined (one query per page)."""
    cases = visible_cases(store_ids).select_related("customer", "store", "assignee")
    if filters.status == OPEN:
        cases = cases.filter(status__in=OPEN_STATUSES)
    elif filters.status:
        cases = cases.filter(status=filters.status)
    if filters.urgency:
        cases = cases.filter(urgency=filters.urgency)
    if filters.store_id is not None:
        cases = cases.filter(store_id=filters.store_id)
    if filters.assignee_id is not None:
        cases = cases.filter(assignee_id=filters.assignee_id)
    if filters.customer_pk is not None:
        cases = cases.filter(customer_id=filters.customer_pk)
    if filters.is_overdue:
        cases = cases.filter(overdue_filter(now or timezone.now()))
    if filters.team_of_user_id is not None:
        cases = cases.filter(teams_of_user_filter(filters.team_of_user_id))
    if filters.breaching_within_hours is not None:
        cases = cases.filter(
            breaching_soon_filter(now or timezone.now(), filters.breaching_within_hours)
        )
    return cases.order_by("urgency", "resolution_due", "id")


def get_case(case_id: int, *, store_ids: frozenset[int] | None) -> Case:
    """One case with its history (who did what), or NotFound if it does not exist or is not
    one of the caller's stores'."""
    case = (
        visible_cases(store_ids)
        .select_related(
            "customer", "store", "assignee", "opened_by", "feedback_item", "response", "sla_policy"
        )
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise NotFound(f"no case {case_id}")
    return case


def list_case_history(case: Case) -> list:
    return list(case.events.select_related("actor").order_by("created_at", "id"))


def explain_pauses(case: Case, history: list, *, now: datetime | None = None) -> list[dict]:
    """The periods the case waited on the customer (only the resolution clock pauses), oldest
    first: ``start``, ``end`` (None while waiting), the paused ``working_minutes`` that moved
    the resolution deadline on, and ``customer_wrote``: what the customer sent meanwhile (new
    feedback items, completed survey responses, sources linked to the case), each
    ``{"kind", "id", "at"}`` in time order. ``history`` is ``list_case_history(case)``."""
    now = now or timezone.now()
    changes = [
        (event.created_at, event.from_value, event.to_value)
        for event in history
        if event.kind == CaseEventKind.STATUS
    ]
    periods = pauses.pause_periods(changes, CaseStatus.WAITING_ON_CUSTOMER)
    if not periods:
        return []
    from kesheng.cases.actions.common import hours_of

    hours = hours_of(case.sla_terms)
    span = (periods[0].start, now if periods[-1].end is None else periods[-1].end)
    wrote: list[tuple[datetime, str, int]] = [
        (event.created_at, "linked", event.pk)
        for event in history
        if event.kind == CaseEventKind.LINKED
    ]
    if case.customer_id is not None:
        wrote += [
            (at, "feedback", pk)
            for pk, at in visible_feedback(None)
            .filter(customer_id=case.customer_id, occurred_at__gte=span[0], occurred_at__lt=span[1])
            .values_list("pk", "occurred_at")
        ]
        wrote += [
            (at, "response", pk)
            for pk, at in Response.objects.filter(
                customer_id=case.customer_id,
                status=ResponseStatus.COMPLETED,
                completed_at__gte=span[0],
                completed_at__lt=span[1],
            ).values_list("pk", "completed_at")
        ]
    wrote.sort()
    explained = []
    for period in periods:
        end = period.end or now
        explained.append(
            {
                "start": period.start,
                "end": period.end,
                "working_minutes": round(
                    sla.working_time_between(period.start, end, hours).total_seconds() / 60
                ),
                "customer_wrote": [
                    {"kind": kind, "id": pk, "at": at}
                    for at, kind, pk in wrote
                    if period.start <= at < end
                ],
            }
        )
    return explained


def list_cases_after(
    *, after_id: int | None, limit: int, status: str = "", customer_pk: int | None = None
) -> list[Case]:
    """A page for the API, oldest first after a cursor (the last id seen)."""
    cases = Case.objects.select_related("customer", "store", "assignee").order_by("id")
    if after_id is not None:
        cases = cases.filter(pk__gt=after_id)
    if status == OPEN:
        cases = cases.filter(status__in=OPEN_STATUSES)
    elif status:
        cases = cases.filter(status=status)
    if customer_pk is not None:
        cases = cases.filter(customer_id=customer_pk)
    return list(cases[:limit])


def get_cases_panel(customer_pk: int) -> dict:
    """The cases panel of the customer-360 page: open cases first, then the last few closed."""
    cases = Case.objects.select_related("store", "assignee").filter(customer_id=customer_pk)
    return {
        "open": list(cases.filter(status__in=OPEN_STATUSES).order_by("urgency", "opened_at")),
        "recent": list(cases.exclude(status__in=OPEN_STATUSES).order_by("-opened_at", "-id")[:5]),
        "now": timezone.now(),
    }


def count_cases_by_customer(
    *, opened_from: datetime, opened_to: datetime
) -> tuple[list[int], list[int]]:
    """Cases of known customers opened in [opened_from, opened_to), whatever their store and
    status, grouped in the database: parallel lists of customer pks and counts (for the churn
    indicators, which look at every store)."""
    rows = (
        Case.objects.filter(
            customer__isnull=False, opened_at__gte=opened_from, opened_at__lt=opened_to
        )
        .order_by()
        .values_list("customer_id")
        .annotate(count=Count("id"))
    )
    return _columns(rows)


def count_open_cases_by_customer(*, at: datetime) -> tuple[list[int], list[int]]:
    """Cases of known customers open at the moment ``at``: opened by then and either open now
    or resolved or closed after it; grouped in the database as parallel lists of customer pks
    and counts. A case open now counts from its opening (a reopening is not replayed)."""
    finished_later = Q(resolved_at__gt=at) | Q(closed_at__gt=at)
    rows = (
        Case.objects.filter(customer__isnull=False, opened_at__lte=at)
        .filter(Q(status__in=OPEN_STATUSES) | finished_later)
        .order_by()
        .values_list("customer_id")
        .annotate(count=Count("id"))
    )
    return _columns(rows)


def _columns(rows) -> tuple[list[int], list[int]]:
    pks: list[int] = []
    counts: list[int] = []
    for customer_pk, count in rows.iterator(chunk_size=10_000):
        pks.append(customer_pk)
        counts.append(count)
    return pks, counts


def list_case_openings(*, start: datetime, end: datetime) -> tuple[list[int], list[datetime]]:
    """When each case of a known customer was opened in [start, end), any store: parallel
    lists of customer pks and moments (the complaints of the journey paths)."""
    rows = (
        Case.objects.filter(customer__isnull=False, opened_at__gte=start, opened_at__lt=end)
        .order_by()
        .values_list("customer_id", "opened_at")
    )
    pks: list[int] = []
    moments: list[datetime] = []
    for customer_pk, opened_at in rows.iterator(chunk_size=10_000):
        pks.append(customer_pk)
        moments.append(opened_at)
    return pks, moments
