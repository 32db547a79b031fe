"""Every change to a case: open (by hand or by the rules), acknowledge, assign, change status,
note or reply, and the SLA check. Each runs in one transaction under the case's row lock,
writes a ``CaseEvent`` and emits its domain event (``case.opened``, ``case.acknowledged``,
``case.assigned``, ``case.status_changed``, ``case.resolved``, ``case.closed``,
``case.reopened``, ``case.note_added``, ``case.replied``, ``case.breached``) after commit.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kesheng.cases import sla
from kesheng.cases.models import (
    ALLOWED_TRANSITIONS,
    OPEN_STATUSES,
    Case,
    CaseCategory,
    CaseEvent,
    CaseEventKind,
    CaseStatus,
    SlaPolicy,
    Urgency,
)
from kesheng.commerce.models import Store
from kesheng.core.errors import Conflict, FieldError, InvalidInput
from kesheng.core.events import emit
from kesheng.customers.models import Customer
from kesheng.customers.queries import map_customer_ids
from kesheng.feedback.models import FeedbackItem, FeedbackSource
from kesheng.surveys.definition import iter_questions
from kesheng.surveys.models import Response

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


# --- opening ----------------------------------------------------------------------------------


def open_case(
    *,
    category: str,
    customer: Customer | None = None,
    urgency: str = Urgency.P3,
    summary: str = "",
    store_id: int | None = None,
    team: str = "",
    assignee=None,
    feedback_item: FeedbackItem | None = None,
    response: Response | None = None,
    opened_by=None,
    now: datetime | None = None,
) -> Case:
    """Open a case and start its SLA clocks from the first matching policy (or the defaults),
    storing the deadlines and the terms they came from. Emits ``case.opened``. Raises
    InvalidInput for an unknown category or urgency, and ``CaseExists`` (a Conflict naming the
    case) when this customer already has an open case for this cause."""
    errors = []
    if category not in CaseCategory.values:
        errors.append(
            FieldError("category", _("%(value)r is not a case category") % {"value": category})
        )
    if urgency not in Urgency.values:
        errors.append(
            FieldError("urgency", _("%(value)r is not one of P1, P2, P3, P4") % {"value": urgency})
        )
    if errors:
        raise InvalidInput(errors)
    summary = _clean_text(summary, "summary", required=False)
    now = now or timezone.now()
    policy = match_policy(category=category, urgency=urgency)
    terms = _terms(policy, urgency)
    due = sla.deadlines(
        now,
        first_response_minutes=terms["first_response_minutes"],
        resolution_minutes=terms["resolution_minutes"],
        hours=hours_of(terms),
    )
    case = Case(
        customer=customer,
        category=category,
        urgency=urgency,
        summary=summary,
        store_id=store_id,
        team=team,
        assignee=assignee,
        feedback_item=feedback_item,
        response=response,
        opened_at=now,
        opened_by=opened_by,
        sla_policy=policy,
        sla_terms=terms,
        first_response_due=due.first_response_due,
        resolution_due=due.resolution_due,
    )
    try:
        with transaction.atomic():
            if customer is not None:
                existing = (
                    Case.objects.select_for_update()
                    .filter(customer=customer, category=category, status__in=OPEN_STATUSES)
                    .values_list("pk", flat=True)
                    .first()
                )
                if existing is not None:
                    raise _exists(existing)
            case.save()
            _record(
                case,
                CaseEventKind.OPENED,
                actor=opened_by,
                now=now,
                to_value=CaseStatus.NEW,
                text=summary,
                data={"sla": terms["name"]},
            )
            if assignee is not None:
                _record(
                    case,
                    CaseEventKind.ASSIGNED,
                    actor=opened_by,
                    now=now,
                    to_value=str(assignee.pk),
                )
            emit("case.opened", _payload(case))
    except IntegrityError:
        # Another request opened the same case between our check and our insert.
        existing = (
            Case.objects.filter(customer=customer, category=category, status__in=OPEN_STATUSES)
            .values_list("pk", flat=True)
            .first()
        )
        if existing is not None:
            raise _exists(existing) from None
        source = Q(feedback_item=feedback_item) if feedback_item else Q(response=response)
        existing = Case.objects.filter(source).values_list("pk", flat=True).first()
        if (feedback_item or response) and existing is not None:
            raise CaseExists(
                _("this source already has a case: #%(id)d") % {"id": existing},
                case_id=existing,
            ) from None
        raise
    return case


def open_case_by_hand(
    *,
    category: str,
    summary: str,
    urgency: str = Urgency.P3,
    customer_id: str | None = None,
    store_code: str | None = None,
    feedback_item_id: int | None = None,
    opened_by=None,
    allowed_store_ids: frozenset[int] | None = None,
) -> Case:
    """Open a case from the case page or the API: resolves the customer's public id, the store
    code and the feedback item (InvalidInput naming each unknown one; a store outside
    ``allowed_store_ids`` counts as unknown), then ``open_case``. A case from a feedback item
    takes its customer and store unless given."""
    errors: list[FieldError] = []
    customer = store = item = None
    if feedback_item_id is not None:
        item = FeedbackItem.objects.filter(pk=feedback_item_id).first()
        if item is None:
            errors.append(
                FieldError("feedback_id", _("no feedback item %(id)s") % {"id": feedback_item_id})
            )
    if customer_id:
        customer_pk = map_customer_ids([customer_id]).get(customer_id.strip())
        customer = Customer.objects.filter(pk=customer_pk).first() if customer_pk else None
        if customer is None:
            errors.append(
                FieldError("customer_id", _("no customer has the id %(id)r") % {"id": customer_id})
            )
    elif item is not None:
        customer = item.customer
    if store_code:
        store = Store.objects.filter(code=store_code).first()
        if store is None or (allowed_store_ids is not None and store.pk not in allowed_store_ids):
            errors.append(
                FieldError("store", _("no store has the code %(code)r") % {"code": store_code})
            )
    elif item is not None:
        store = item.store
    if allowed_store_ids is not None and store is None and not errors:
        errors.append(FieldError("store", _("is required: you may open cases for your stores")))
    if errors:
        raise InvalidInput(errors)
    return open_case(
        category=category,
        urgency=urgency,
        summary=_clean_text(summary, "summary", required=True),
        customer=customer,
        store_id=store.pk if store else None,
        feedback_item=item,
        opened_by=opened_by,
    )


def _exists(case_id: int) -> CaseExists:
    return CaseExists(
        _("this customer already has an open case for this cause: #%(id)d") % {"id": case_id},
        case_id=case_id,
    )


def _open_or_link(*, source_note: str, **fields) -> Case | None:
    """Open a case for an automatic rule; if the customer's case for this cause is open, add
    the new source to its history instead (the same detractor answering twice)."""
    try:
        return open_case(**fields)
    except CaseExists as exists:
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=exists.case_id)
            _record(case, CaseEventKind.LINKED, now=timezone.now(), text=source_note)
        return None


def _scale_answers(response: Response) -> dict[str, list[float]]:
    by_type: dict[str, list[float]] = {"nps": [], "csat": []}
    answers = response.answers or {}
    for _page, question in iter_questions(response.version.definition):
        kind, name = question.get("type"), question.get("name")
        value = answers.get(name) if isinstance(name, str) else None
        if kind in by_type and isinstance(value, int | float) and not isinstance(value, bool):
            by_type[kind].append(float(value))
    return by_type


def open_cases_for_response(payload: dict) -> None:
    """Subscriber of ``response.completed``: a detractor (an NPS answer of 0–6) opens a
    ``detractor`` case, else a CSAT answer of 1–2 a ``low_satisfaction`` case (thresholds in
    settings), urgency P2 for the lowest scores (NPS 0–3, CSAT 1) and P3 otherwise. One case per
    response, so a retried event changes nothing."""
    response = (
        Response.objects.select_related("version", "customer")
        .filter(pk=payload.get("response_id"), completed_at__isnull=False)
        .first()
    )
    if response is None or Case.objects.filter(response=response).exists():
        return
    scores = _scale_answers(response)
    nps = [score for score in scores["nps"] if score <= settings.KESHENG_CASE_NPS_MAX]
    csat = [score for score in scores["csat"] if score <= settings.KESHENG_CASE_CSAT_MAX]
    if nps:
        category, urgency = CaseCategory.DETRACTOR, Urgency.P2 if min(nps) <= 3 else Urgency.P3
        summary = _("NPS answer %(score)s") % {"score": f"{min(nps):g}"}
    elif csat:
        category = CaseCategory.LOW_SATISFACTION
        urgency = Urgency.P2 if min(csat) <= 1 else Urgency.P3
        summary = _("CSAT answer %(score)s") % {"score": f"{min(csat):g}"}
    else:
        return
    # A concurrent retry of the same event may have opened this response's case already.
    with contextlib.suppress(IntegrityError):
        _open_or_link(
            source_note=_("another response (#%(id)d): %(summary)s")
            % {"id": response.pk, "summary": summary},
            category=category,
            urgency=urgency,
            customer=response.customer,
            summary=summary,
            store_id=response.store_id,
            response=response,
            # The clock starts when the customer answered, even if the event came late.
            now=response.completed_at,
        )


def open_cases_for_feedback(payload: dict) -> None:
    """Subscriber of ``feedback.created``: a complaint form opens a ``complaint`` case (P2), a
    review rated 1–2 a ``negative_review`` case (P3); only for items written in the last
    KESHENG_CASE_FEEDBACK_MAX_AGE_DAYS days, so importing old reviews opens nothing. One case
    per item."""
    since = timezone.now() - timedelta(days=settings.KESHENG_CASE_FEEDBACK_MAX_AGE_DAYS)
    items = FeedbackItem.objects.select_related("customer").filter(
        pk__in=payload.get("item_ids") or [], occurred_at__gte=since
    )
    items = items.filter(
        Q(source=FeedbackSource.COMPLAINT)
        | Q(source=FeedbackSource.REVIEW, rating__lte=settings.KESHENG_CASE_REVIEW_RATING_MAX)
    ).exclude(cases__isnull=False)
    for item in items:
        if item.source == FeedbackSource.COMPLAINT:
            category, urgency = CaseCategory.COMPLAINT, Urgency.P2
        else:
            category, urgency = CaseCategory.NEGATIVE_REVIEW, Urgency.P3
        try:
            _open_or_link(
                source_note=_("another feedback item (#%(id)d): %(text)s")
                % {"id": item.pk, "text": item.text[:200]},
                category=category,
                urgency=urgency,
                customer=item.customer,
                summary=item.text[:500],
                store_id=item.store_id,
                feedback_item=item,
            )
        except IntegrityError:
            continue


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
    *, case: Case, status: str, actor, note: str = "", now: datetime | None = None
) -> Case:
    """Move the case to ``status`` if ``ALLOWED_TRANSITIONS`` allows it (else InvalidInput on
    ``status`` naming the allowed ones). Leaving ``new`` counts as the first response; waiting
    on the customer pauses the resolution clock and leaving it moves the deadline on by the
    paused working time; resolving and closing stop it; reopening starts a fresh resolution
    clock of the case's terms. An optional note is recorded with the change. Emits
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
            case.resolved_at = None
            case.closed_at = None
            fields += ["resolution_due", "resolved_at", "closed_at"]
        case.status = status
        try:
            with transaction.atomic():
                case.save(update_fields=list(dict.fromkeys(fields)))
        except IntegrityError:
            # Reopening while another case for this customer and cause is open.
            raise Conflict(
                _("this customer already has another open case for this cause"), field="status"
            ) from None
        _record(
            case,
            CaseEventKind.STATUS,
            actor=actor,
            now=now,
            from_value=before,
            to_value=status,
            text=note,
        )
        emit(_STATUS_EVENTS.get(status, "case.status_changed"), _payload(case, previous=before))
    return case


def resolve_case(*, case: Case, actor, note: str = "", now: datetime | None = None) -> Case:
    """Resolve the case (see change_case_status). Emits ``case.resolved``."""
    return change_case_status(
        case=case, status=CaseStatus.RESOLVED, actor=actor, note=note, now=now
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
    """Add an internal note, or (``is_reply``) record a reply to the customer, which counts as
    the first response. Sending the reply by email or SMS is not built yet (docs/cases.md).
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


# --- customers merged ------------------------------------------------------------------------


def merge_cases(merged_pk: int, surviving_pk: int) -> None:
    """Merge handler: the merged profile's cases move to the surviving one; where both have an
    open case for the same cause, the merged one's is closed as a duplicate first (one open case
    per customer and cause)."""
    now = timezone.now()
    open_causes = set(
        Case.objects.filter(customer_id=surviving_pk, status__in=OPEN_STATUSES).values_list(
            "category", flat=True
        )
    )
    for case in Case.objects.select_for_update().filter(
        customer_id=merged_pk, status__in=OPEN_STATUSES, category__in=open_causes
    ):
        before = case.status
        case.status, case.closed_at = CaseStatus.CLOSED, now
        case.save(update_fields=["status", "closed_at", "updated_at"])
        _record(
            case,
            CaseEventKind.STATUS,
            now=now,
            from_value=before,
            to_value=CaseStatus.CLOSED,
            text=_("closed as a duplicate: the customer was merged into another profile"),
        )
        emit("case.closed", _payload(case, previous=before))
    Case.objects.filter(customer_id=merged_pk).update(customer_id=surviving_pk)
