"""The periodic SLA check: warnings at 75 % and missed deadlines (escalated), each once.

Set-based, so a check over a hundred thousand open cases stays within seconds (bench/cases.py):
the candidates are locked and marked a chunk at a time with one UPDATE per kind of mark, their
history rows written with one INSERT and their domain events with another; the emails to assignees
and team leads and the events' dispatch are enqueued after commit in batches, one task each.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from kesheng.cases.actions.common import _payload
from kesheng.cases.actions.notifications import (
    escalation_message,
    notify_staff_many,
    warning_message,
)
from kesheng.cases.models import OPEN_STATUSES, Case, CaseEvent, CaseEventKind, CaseStatus
from kesheng.core.events import emit_many

# Cases locked, marked and recorded per transaction.
CHUNK = 2000

# --- SLA check --------------------------------------------------------------------------------


def check_sla_breaches(*, now: datetime | None = None) -> dict[str, int]:
    """Mark every missed deadline of open cases once: a first response not given by its due
    time, a resolution not reached by its due time (not while waiting on the customer, whose
    clock is paused). The breach time is the deadline itself. Each breach gets a history entry
    and one ``case.breached``, and is escalated to the lead of the case's team: the case is
    marked escalated (at its first breach), an ``escalated`` history entry written, the lead
    emailed and ``case.escalated`` emitted. Returns how many of each were found."""
    now = now or timezone.now()
    found = {"first_response": 0, "resolution": 0}
    open_cases = Case.objects.filter(status__in=OPEN_STATUSES)
    checks = {
        "first_response": open_cases.filter(
            first_responded_at__isnull=True,
            first_response_breached_at__isnull=True,
            first_response_due__lt=now,
        ),
        "resolution": open_cases.exclude(status=CaseStatus.WAITING_ON_CUSTOMER).filter(
            resolution_breached_at__isnull=True, resolution_due__lt=now
        ),
    }
    for deadline, candidates in checks.items():
        ids = list(candidates.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), CHUNK):
            with transaction.atomic():
                # Locked and filtered again: a concurrent check or a late answer wins cleanly.
                cases = list(
                    candidates.select_for_update(of=("self",))
                    .select_related("assignee", "handling_team__lead")
                    .filter(pk__in=ids[start : start + CHUNK])
                    .order_by("pk")
                )
                _mark_breaches(cases, deadline, now)
                found[deadline] += len(cases)
    return found


def _mark_breaches(cases: list[Case], deadline: str, now: datetime) -> None:
    if not cases:
        return
    pks = [case.pk for case in cases]
    Case.objects.filter(pk__in=pks).update(**{f"{deadline}_breached_at": F(f"{deadline}_due")})
    # The first breach escalates: to the team's lead, one UPDATE per lead.
    by_lead: dict[int | None, list[int]] = defaultdict(list)
    leads = [
        case.handling_team.lead if case.handling_team_id and case.handling_team else None
        for case in cases
    ]
    mails = [
        (lead, *escalation_message(case, deadline, getattr(case, f"{deadline}_due")))
        for case, lead in zip(cases, leads, strict=True)
        if lead is not None
    ]
    emailed_to = iter(notify_staff_many(mails))
    history: list[CaseEvent] = []
    breached, escalated = [], []
    for case, lead in zip(cases, leads, strict=True):
        due = getattr(case, f"{deadline}_due")
        setattr(case, f"{deadline}_breached_at", due)
        if case.escalated_at is None:
            case.escalated_at, case.escalated_to = now, lead
            by_lead[lead.pk if lead else None].append(case.pk)
        emailed = next(emailed_to) if lead is not None else False
        history.append(
            CaseEvent(
                case=case,
                kind=CaseEventKind.BREACHED,
                created_at=now,
                to_value=deadline,
                data={"due": due.isoformat()},
            )
        )
        history.append(
            CaseEvent(
                case=case,
                kind=CaseEventKind.ESCALATED,
                created_at=now,
                to_value=str(lead.pk) if lead else "",
                data={
                    "deadline": deadline,
                    "lead": lead.get_username() if lead else "",
                    "emailed": emailed,
                },
            )
        )
        breached.append(_payload(case, deadline=deadline, due=due.isoformat()))
        escalated.append(_payload(case, deadline=deadline, lead_id=lead.pk if lead else None))
    for lead_pk, lead_cases in by_lead.items():
        Case.objects.filter(pk__in=lead_cases, escalated_at__isnull=True).update(
            escalated_at=now, escalated_to_id=lead_pk
        )
    CaseEvent.objects.bulk_create(history)
    emit_many("case.breached", breached)
    emit_many("case.escalated", escalated)


def warn_before_deadlines(*, now: datetime | None = None) -> dict[str, int]:
    """Warn the assignee of every open case that has used 75 % of a deadline's working time
    without meeting it, once per deadline: ``*_warned_at`` is set, a history entry written,
    the assignee emailed (if assigned and with an address) and ``case.warned`` emitted. A case
    already past the deadline gets the breach and escalation instead, not a late warning; the
    resolution warning waits while the case waits on the customer. Returns how many of each
    were warned."""
    now = now or timezone.now()
    found = {"first_response": 0, "resolution": 0}
    open_cases = Case.objects.filter(status__in=OPEN_STATUSES)
    checks = {
        "first_response": open_cases.filter(
            first_responded_at__isnull=True,
            first_response_warned_at__isnull=True,
            first_response_warn_at__lte=now,
            first_response_due__gte=now,
        ),
        "resolution": open_cases.exclude(status=CaseStatus.WAITING_ON_CUSTOMER).filter(
            resolution_warned_at__isnull=True,
            resolution_warn_at__lte=now,
            resolution_due__gte=now,
        ),
    }
    for deadline, candidates in checks.items():
        ids = list(candidates.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), CHUNK):
            with transaction.atomic():
                cases = list(
                    candidates.select_for_update(of=("self",))
                    .select_related("assignee")
                    .filter(pk__in=ids[start : start + CHUNK])
                    .order_by("pk")
                )
                if not cases:
                    continue
                Case.objects.filter(pk__in=[case.pk for case in cases]).update(
                    **{f"{deadline}_warned_at": now}
                )
                emailed_to = notify_staff_many(
                    [
                        (
                            case.assignee,
                            *warning_message(case, deadline, getattr(case, f"{deadline}_due")),
                        )
                        for case in cases
                    ]
                )
                history, payloads = [], []
                for case, emailed in zip(cases, emailed_to, strict=True):
                    setattr(case, f"{deadline}_warned_at", now)
                    due = getattr(case, f"{deadline}_due")
                    history.append(
                        CaseEvent(
                            case=case,
                            kind=CaseEventKind.WARNED,
                            created_at=now,
                            to_value=deadline,
                            data={"due": due.isoformat(), "emailed": emailed},
                        )
                    )
                    payloads.append(_payload(case, deadline=deadline, due=due.isoformat()))
                CaseEvent.objects.bulk_create(history)
                emit_many("case.warned", payloads)
                found[deadline] += len(cases)
    return found
