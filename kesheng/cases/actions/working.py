"""Working a case: acknowledge, assign, urgency, status changes (resolve, close, reopen) and
notes."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kesheng.cases import sla
from kesheng.cases.actions.common import (
    _clean_text,
    _locked,
    _mark_first_response,
    _payload,
    _record,
    hours_of,
    warning_minutes,
)
from kesheng.cases.actions.replies import tell_customer_resolved
from kesheng.cases.models import (
    ALLOWED_TRANSITIONS,
    Case,
    CaseEvent,
    CaseEventKind,
    CaseStatus,
    Urgency,
)
from kesheng.core.errors import Conflict, FieldError, InvalidInput
from kesheng.core.events import emit

# --- working a case ---------------------------------------------------------------------------


def acknowledge_case(*, case: Case, actor, now: datetime | None = None) -> Case:
    """Acknowledge a new (or reopened) case: status ``acknowledged``; counts as the first
    response. Emits ``case.acknowledged``."""
    return change_case_status(case=case, status=CaseStatus.ACKNOWLEDGED, actor=actor, now=now)


def assign_case(*, case: Case, assignee, actor, now: datetime | None = None) -> Case:
    """Give the case to a staff member (None: nobody). Emits ``case.assigned``."""
    now = now or timezone.now()
    with transaction.atomic():
        case = _locked(case)
        if case.assignee_id == (assignee.pk if assignee else None):
            return case
        before = case.assignee_id
        case.assignee = assignee
        case.save(update_fields=["assignee", "updated_at"])
        _record(
            case,
            CaseEventKind.ASSIGNED,
            actor=actor,
            now=now,
            from_value=str(before or ""),
            to_value=str(assignee.pk if assignee else ""),
            data={"assignee": assignee.get_username() if assignee else ""},
        )
        emit("case.assigned", _payload(case, assignee_id=case.assignee_id))
    return case


def change_case_urgency(*, case: Case, urgency: str, actor, now: datetime | None = None) -> Case:
    """Change the urgency (the deadlines already running stay as they are). Emits
    ``case.urgency_changed``."""
    if urgency not in Urgency.values:
        raise InvalidInput(
            [
                FieldError(
                    "urgency", _("%(value)r is not one of P1, P2, P3, P4") % {"value": urgency}
                )
            ]
        )
    now = now or timezone.now()
    with transaction.atomic():
        case = _locked(case)
        if case.urgency == urgency:
            return case
        before, case.urgency = case.urgency, urgency
        case.save(update_fields=["urgency", "updated_at"])
        _record(
            case, CaseEventKind.URGENCY, actor=actor, now=now, from_value=before, to_value=urgency
        )
        emit("case.urgency_changed", _payload(case, previous=before))
    return case


_STATUS_EVENTS = {
    CaseStatus.ACKNOWLEDGED: "case.acknowledged",
    CaseStatus.RESOLVED: "case.resolved",
    CaseStatus.CLOSED: "case.closed",
    CaseStatus.REOPENED: "case.reopened",
}


def change_case_status(
    *,
    case: Case,
    status: str,
    actor,
    note: str = "",
    tell_customer: bool = True,
    now: datetime | None = None,
) -> Case:
    """Move the case to ``status`` if ``ALLOWED_TRANSITIONS`` allows it (else InvalidInput on
        ``status`` naming the allowed ones). Leaving ``new`` counts as the first response; waiting
        on the customer pauses the resolution clock and leaving it moves the deadline on by the
        paused working time; resolving and closing stop it; reopening starts a fresh resolution
        clock of the case's terms (and a fresh 75 % warning). Resolving tells the customer
    (``replies.tell_customer_resolved``) unless ``tell_customer`` is false. An optional note is
    recorded with the change (the payload carries its history entry as ``event_id``). Emits
        ``case.resolved``, ``case.closed``, ``case.reopened``, ``case.acknowledged`` or
        ``case.status_changed``."""
    if status not in CaseStatus.values:
        raise InvalidInput(
            [FieldError("status", _("%(value)r is not a case status") % {"value": status})]
        )
    note = _clean_text(note, "note", required=False)
    now = now or timezone.now()
    with transaction.atomic():
        case = _locked(case)
        allowed = ALLOWED_TRANSITIONS[case.status]
        if status not in allowed:
            raise InvalidInput(
                [
                    FieldError(
                        "status",
                        _(
                            "a case that is %(current)s cannot become %(new)s; "
                            "it can become: %(allowed)s"
                        )
                        % {
                            "current": case.status,
                            "new": status,
                            "allowed": ", ".join(allowed),
                        },
                    )
                ]
            )
        before = case.status
        fields = ["status", "updated_at"]
        if before == CaseStatus.NEW:
            fields += _mark_first_response(case, now)
        hours = hours_of(case.sla_terms)
        if before == CaseStatus.WAITING_ON_CUSTOMER and case.paused_at is not None:
            case.resolution_due = sla.extend_after_pause(
                case.resolution_due, case.paused_at, now, hours
            )
            if case.resolution_warn_at is not None and case.resolution_warned_at is None:
                case.resolution_warn_at = sla.extend_after_pause(
                    case.resolution_warn_at, case.paused_at, now, hours
                )
                fields.append("resolution_warn_at")
            case.paused_at = None
            fields += ["resolution_due", "paused_at"]
        if status == CaseStatus.WAITING_ON_CUSTOMER:
            case.paused_at = now
            fields.append("paused_at")
        if status == CaseStatus.RESOLVED:
            case.resolved_at = now
            fields.append("resolved_at")
        if status == CaseStatus.CLOSED:
            case.closed_at = now
            fields.append("closed_at")
        if status == CaseStatus.REOPENED:
            minutes = (
                case.sla_terms.get("resolution_minutes")
                or sla.DEFAULT_RESOLUTION_MINUTES[case.urgency]
            )
            case.resolution_due = sla.add_working_time(now, timedelta(minutes=minutes), hours)
            # A fresh clock earns a fresh warning.
            case.resolution_warn_at = sla.add_working_time(
                now, timedelta(minutes=warning_minutes(minutes)), hours
            )
            case.resolution_warned_at = None
            case.resolved_at = None
            case.closed_at = None
            fields += [
                "resolution_due",
                "resolution_warn_at",
                "resolution_warned_at",
                "resolved_at",
                "closed_at",
            ]
        case.status = status
        try:
            with transaction.atomic():
                case.save(update_fields=list(dict.fromkeys(fields)))
        except IntegrityError:
            # Reopening while another case for this customer and cause is open.
            raise Conflict(
                _("this customer already has another open case for this cause"), field="status"
            ) from None
        event = _record(
            case,
            CaseEventKind.STATUS,
            actor=actor,
            now=now,
            from_value=before,
            to_value=status,
            text=note,
        )
        if status == CaseStatus.RESOLVED and tell_customer:
            tell_customer_resolved(case, now=now, status_event_id=event.pk)
        emit(
            _STATUS_EVENTS.get(status, "case.status_changed"),
            _payload(case, previous=before, event_id=event.pk),
        )
    return case


def resolve_case(
    *, case: Case, actor, note: str = "", tell_customer: bool = True, now: datetime | None = None
) -> Case:
    """Resolve the case and tell the customer (see change_case_status). Emits
    ``case.resolved``."""
    return change_case_status(
        case=case,
        status=CaseStatus.RESOLVED,
        actor=actor,
        note=note,
        tell_customer=tell_customer,
        now=now,
    )


def close_case(*, case: Case, actor, note: str = "", now: datetime | None = None) -> Case:
    """Close the case (see change_case_status). Emits ``case.closed``."""
    return change_case_status(case=case, status=CaseStatus.CLOSED, actor=actor, note=note, now=now)


def reopen_case(*, case: Case, actor, note: str = "", now: datetime | None = None) -> Case:
    """Reopen a resolved or closed case (see change_case_status). Emits ``case.reopened``."""
    return change_case_status(
        case=case, status=CaseStatus.REOPENED, actor=actor, note=note, now=now
    )


def add_case_note(
    *, case: Case, actor, text: str, is_reply: bool = False, now: datetime | None = None
) -> CaseEvent:
    """Add an internal note, or (``is_reply``) record a reply given outside Kesheng (by phone,
    in person), which counts as the first response. Sending one by email or SMS is
    ``replies.reply_to_customer``.
    Emits ``case.note_added`` or ``case.replied``."""
    text = _clean_text(text, "text", required=True)
    now = now or timezone.now()
    with transaction.atomic():
        case = _locked(case)
        if is_reply:
            fields = _mark_first_response(case, now)
            if fields:
                case.save(update_fields=[*fields, "updated_at"])
        event = _record(
            case,
            CaseEventKind.REPLY if is_reply else CaseEventKind.NOTE,
            actor=actor,
            now=now,
            text=text,
        )
        emit("case.replied" if is_reply else "case.note_added", _payload(case, event_id=event.pk))
    return event
