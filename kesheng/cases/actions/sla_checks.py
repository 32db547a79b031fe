"""The periodic SLA check: warnings at 75 % and missed deadlines (escalated), each once."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from kesheng.cases.actions.common import _payload, _record, _record_breach
from kesheng.cases.actions.notifications import notify_staff, warning_message
from kesheng.cases.models import OPEN_STATUSES, Case, CaseEventKind, CaseStatus
from kesheng.core.events import emit

# --- SLA check --------------------------------------------------------------------------------


def check_sla_breaches(*, now: datetime | None = None) -> dict[str, int]:
    """Mark every missed deadline of open cases once: a first response not given by its due
    time, a resolution not reached by its due time (not while waiting on the customer, whose
    clock is paused). The breach time is the deadline itself. Each breach gets a history entry
    and one ``case.breached``. Returns how many of each were found."""
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
        for start in range(0, len(ids), 500):
            with transaction.atomic():
                # Locked and filtered again: a concurrent check or a late answer wins cleanly.
                for case in candidates.select_for_update().filter(pk__in=ids[start : start + 500]):
                    if deadline == "first_response":
                        case.first_response_breached_at = case.first_response_due
                    else:
                        case.resolution_breached_at = case.resolution_due
                    case.save(update_fields=[f"{deadline}_breached_at"])
                    _record_breach(case, deadline, now)
                    found[deadline] += 1
    return found


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
        for start in range(0, len(ids), 500):
            with transaction.atomic():
                chunk = (
                    candidates.select_for_update(of=("self",))
                    .select_related("assignee")
                    .filter(pk__in=ids[start : start + 500])
                )
                for case in chunk:
                    setattr(case, f"{deadline}_warned_at", now)
                    case.save(update_fields=[f"{deadline}_warned_at"])
                    due = getattr(case, f"{deadline}_due")
                    subject, body = warning_message(case, deadline, due)
                    emailed = notify_staff(user=case.assignee, subject=subject, body=body)
                    _record(
                        case,
                        CaseEventKind.WARNED,
                        now=now,
                        to_value=deadline,
                        data={"due": due.isoformat(), "emailed": emailed},
                    )
                    emit("case.warned", _payload(case, deadline=deadline, due=due.isoformat()))
                    found[deadline] += 1
    return found
