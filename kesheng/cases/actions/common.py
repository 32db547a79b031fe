"""What every case action shares: the SLA terms a case keeps, the history record, the row lock,
the domain-event payload and text checks."""

from __future__ import annotations

import logging
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
