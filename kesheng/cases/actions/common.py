"""What every case action shares: the SLA terms a case keeps, the history record, the row lock,
the domain-event payload and text checks."""

from __future__ import annotations

import logging
import math
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext as _

from kesheng.cases import sla
from kesheng.cases.models import (
    Case,
    CaseEvent,
    CaseEventKind,
    SlaPolicy,
)
from kesheng.core.errors import Conflict, FieldError, InvalidInput
from kesheng.core.events import emit

logger = logging.getLogger(__name__)

MAX_NOTE_LENGTH = 10_000
# The assignee is warned when this share of a deadline's working time has passed.
WARNING_SHARE = 0.75


class CaseExists(Conflict):
    """An open case for this customer and cause exists already; ``case_id`` names it."""

    def __init__(self, message: str, *, case_id: int):
        super().__init__(message, field="category")
        self.case_id = case_id


# --- SLA terms --------------------------------------------------------------------------------


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def match_policy(*, category: str, urgency: str) -> SlaPolicy | None:
    """The first active policy (by position) whose category and urgency match; blank matches
    any."""
    return (
        SlaPolicy.objects.filter(is_active=True)
        .filter(Q(category="") | Q(category=category))
        .filter(Q(urgency="") | Q(urgency=urgency))
        .order_by("position", "id")
        .first()
    )


def _terms(policy: SlaPolicy | None, urgency: str) -> dict:
    if policy is None:
        return {
            "policy": None,
            "name": "default",
            "first_response_minutes": sla.DEFAULT_FIRST_RESPONSE_MINUTES,
            "resolution_minutes": sla.DEFAULT_RESOLUTION_MINUTES[urgency],
            "business_hours": {},
            "holidays": [],
            "make_up_days": [],
        }
    return {
        "policy": policy.pk,
        "name": policy.name,
        "first_response_minutes": policy.first_response_minutes,
        "resolution_minutes": policy.resolution_minutes,
        "business_hours": policy.business_hours,
        "holidays": policy.holidays,
        "make_up_days": policy.make_up_days,
    }


def with_team_hours(terms: dict, team) -> dict:
    """The terms with the team's business hours instead of the policy's, when the team has
    some (business hours per team); the team's name is kept with them."""
    if team is None or not team.business_hours:
        return terms
    return {
        **terms,
        "business_hours": team.business_hours,
        "holidays": team.holidays,
        "make_up_days": team.make_up_days,
        "hours_of_team": team.name,
    }


def warning_minutes(minutes: int) -> int:
    """When the deadline's warning falls due: at this share of its working time."""
    return math.ceil(minutes * WARNING_SHARE)


def hours_of(terms: dict) -> sla.BusinessHours | None:
    """The business hours a case's stored terms name (None: around the clock). Terms were
    checked when their policy was saved; a broken one counts as around the clock."""
    try:
        return sla.parse_business_hours(
            terms.get("business_hours"),
            zone=_zone(),
            holidays=terms.get("holidays") or [],
            make_up_days=terms.get("make_up_days") or [],
        )
    except ValueError:
        logger.warning("SLA terms %r have bad business hours; the clock runs always", terms)
        return None


def check_policy_terms(
    *, business_hours: object, holidays: object, make_up_days: object
) -> list[FieldError]:
    """Problems with a policy's hours, for the admin form (empty when they are fine)."""
    try:
        sla.parse_business_hours(
            business_hours, zone=_zone(), holidays=holidays or [], make_up_days=make_up_days or []
        )
    except ValueError as error:
        where, _sep, reason = str(error).partition(": ")
        return [FieldError(where.split(".")[0].split("[")[0], f"{where}: {reason}")]
    return []


# --- helpers ----------------------------------------------------------------------------------


def _payload(case: Case, **extra) -> dict:
    return {
        "case_id": case.pk,
        "customer_pk": case.customer_id,
        "category": case.category,
        "urgency": case.urgency,
        "status": case.status,
        "store_id": case.store_id,
        **extra,
    }


def _record(case: Case, kind: str, *, actor=None, now: datetime, **fields) -> CaseEvent:
    return CaseEvent.objects.create(case=case, kind=kind, actor=actor, created_at=now, **fields)


def _locked(case: Case) -> Case:
    """The case re-read under its row lock, so two agents acting at once queue up."""
    return Case.objects.select_for_update().get(pk=case.pk)


def _clean_text(text: str | None, field: str, *, required: bool) -> str:
    text = (text or "").strip()
    if required and not text:
        raise InvalidInput([FieldError(field, _("is required"))])
    if len(text) > MAX_NOTE_LENGTH:
        raise InvalidInput(
            [
                FieldError(
                    field,
                    _("is longer than %(limit)d characters") % {"limit": MAX_NOTE_LENGTH},
                )
            ]
        )
    return text


def _mark_first_response(case: Case, now: datetime) -> list[str]:
    if case.first_responded_at is not None:
        return []
    case.first_responded_at = now
    fields = ["first_responded_at"]
    if now > case.first_response_due and case.first_response_breached_at is None:
        # Answered late before the periodic check noticed: still a breach, recorded once.
        case.first_response_breached_at = case.first_response_due
        fields.append("first_response_breached_at")
        _record_breach(case, "first_response", now)
    return fields


def _record_breach(case: Case, deadline: str, now: datetime) -> None:
    due = case.first_response_due if deadline == "first_response" else case.resolution_due
    _record(
        case,
        CaseEventKind.BREACHED,
        now=now,
        to_value=deadline,
        data={"due": due.isoformat()},
    )
    emit("case.breached", _payload(case, deadline=deadline, due=due.isoformat()))
    _escalate(case, deadline, due, now)


def _escalate(case: Case, deadline: str, due: datetime, now: datetime) -> None:
    """A breach goes to the lead of the case's team: the case is marked escalated (at its first
    breach), the history says to whom, and the lead is emailed. Without a team lead the case
    is still marked, so the queue shows it."""
    from kesheng.cases.actions.notifications import escalation_message, notify_staff

    lead = case.handling_team.lead if case.handling_team_id and case.handling_team else None
    if case.escalated_at is None:
        case.escalated_at, case.escalated_to = now, lead
        case.save(update_fields=["escalated_at", "escalated_to"])
    emailed = False
    if lead is not None:
        subject, body = escalation_message(case, deadline, due)
        emailed = notify_staff(user=lead, subject=subject, body=body)
    _record(
        case,
        CaseEventKind.ESCALATED,
        now=now,
        to_value=str(lead.pk) if lead else "",
        data={
            "deadline": deadline,
            "lead": lead.get_username() if lead else "",
            "emailed": emailed,
        },
    )
    emit("case.escalated", _payload(case, deadline=deadline, lead_id=lead.pk if lead else None))
