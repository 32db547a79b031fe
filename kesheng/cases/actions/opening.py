"""Opening cases: by hand (page, API) and by the rules (``response.completed``,
``feedback.created``), one open case per customer and cause."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kesheng.cases import sla
from kesheng.cases.actions.common import (
    CaseExists,
    _clean_text,
    _payload,
    _record,
    _terms,
    hours_of,
    match_policy,
    warning_minutes,
    with_team_hours,
)
from kesheng.cases.actions.teams import choose_agent, team_for
from kesheng.cases.models import (
    OPEN_STATUSES,
    Case,
    CaseCategory,
    CaseEventKind,
    CaseStatus,
    Team,
    Urgency,
)
from kesheng.commerce.models import Store
from kesheng.core.errors import FieldError, InvalidInput
from kesheng.core.events import emit
from kesheng.customers.models import Customer
from kesheng.customers.queries import map_customer_ids
from kesheng.feedback.models import FeedbackItem, FeedbackSource, SentimentLabel
from kesheng.loyalty.queries import get_loyalty_section, list_tiers
from kesheng.surveys.definition import iter_questions
from kesheng.surveys.models import Response

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
    urgency_rules: bool = False,
) -> Case:
    """Open a case and start its SLA clocks from the first matching policy (or the defaults),
    storing the deadlines and the terms they came from. With ``urgency_rules`` (the automatic
    openings) the urgency is first raised one level when ``raised_urgency`` finds a reason,
    recorded in the history with the reasons. Emits ``case.opened``. Raises
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
    asked_urgency = urgency
    reasons: list[str] = []
    if urgency_rules:
        urgency, reasons = raised_urgency(urgency, customer=customer, feedback_item=feedback_item)
    policy = match_policy(category=category, urgency=urgency)
    handling_team = team_for(store_id=store_id, category=category)
    terms = with_team_hours(_terms(policy, urgency), handling_team)
    hours = hours_of(terms)
    due = sla.deadlines(
        now,
        first_response_minutes=terms["first_response_minutes"],
        resolution_minutes=terms["resolution_minutes"],
        hours=hours,
    )
    warn = sla.deadlines(
        now,
        first_response_minutes=warning_minutes(terms["first_response_minutes"]),
        resolution_minutes=warning_minutes(terms["resolution_minutes"]),
        hours=hours,
    )
    case = Case(
        customer=customer,
        category=category,
        urgency=urgency,
        summary=summary,
        store_id=store_id,
        team=team or (handling_team.name if handling_team else ""),
        handling_team=handling_team,
        assignee=assignee,
        feedback_item=feedback_item,
        response=response,
        opened_at=now,
        opened_by=opened_by,
        sla_policy=policy,
        sla_terms=terms,
        first_response_due=due.first_response_due,
        resolution_due=due.resolution_due,
        first_response_warn_at=warn.first_response_due,
        resolution_warn_at=warn.resolution_due,
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
            by_rule = False
            if assignee is None and handling_team is not None:
                # The team row lock makes concurrent openings take turns in the rotation.
                locked_team = Team.objects.select_for_update().get(pk=handling_team.pk)
                case.assignee = assignee = choose_agent(locked_team)
                by_rule = assignee is not None
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
            if urgency != asked_urgency:
                _record(
                    case,
                    CaseEventKind.URGENCY,
                    now=now,
                    from_value=asked_urgency,
                    to_value=urgency,
                    text=_("raised by rule: %(reasons)s") % {"reasons": "; ".join(reasons)},
                    data={"rule": "urgency_rules", "reasons": reasons},
                )
            if assignee is not None:
                _record(
                    case,
                    CaseEventKind.ASSIGNED,
                    actor=opened_by,
                    now=now,
                    to_value=str(assignee.pk),
                    data={"assignee": assignee.get_username()}
                    | ({"rule": "round_robin", "team": case.team} if by_rule else {}),
                )
            emit("case.opened", _payload(case))
            if by_rule:
                emit("case.assigned", _payload(case, assignee_id=case.assignee_id))
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


def raised_urgency(
    urgency: str, *, customer: Customer | None, feedback_item: FeedbackItem | None
) -> tuple[str, list[str]]:
    """The urgency after the opening rules (docs/cases.md), and why: one level up (never
    above P1, however many reasons; a P1 case gives no reasons) when the feedback item's
    sentiment is negative with a score at most KESHENG_CASE_RAISE_SENTIMENT_MAX, or the
    customer holds a tier of KESHENG_CASE_RAISE_TIERS ("top": the programme's highest).
    Reads only; no reason: unchanged.
    (Customer lifetime value is the analytics app's, above cases, so it is not a rule.)"""
    reasons: list[str] = []
    score_max = settings.KESHENG_CASE_RAISE_SENTIMENT_MAX
    if (
        score_max is not None
        and feedback_item is not None
        and feedback_item.sentiment == SentimentLabel.NEGATIVE
        and feedback_item.sentiment_score is not None
        and feedback_item.sentiment_score <= score_max
    ):
        reasons.append(
            _("negative sentiment (score %(score).2f, at most %(max).2f)")
            % {"score": feedback_item.sentiment_score, "max": score_max}
        )
    raise_tiers = set(settings.KESHENG_CASE_RAISE_TIERS)
    if customer is not None and raise_tiers:
        tier = get_loyalty_section(customer.pk)["tier"]
        if tier is not None:
            if "top" in raise_tiers:
                tiers = list_tiers()
                if tiers:
                    raise_tiers.add(tiers[-1].code)
            if tier in raise_tiers:
                reasons.append(_("customer in the %(tier)s tier") % {"tier": tier})
    levels = list(Urgency.values)  # P1 first
    if not reasons or urgency == levels[0]:
        return urgency, []  # nothing to raise
    return levels[levels.index(urgency) - 1], reasons


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
    response, so a retried event changes nothing. An answer to the handling survey goes to its
    case instead (``handling.record_handling_answer``)."""
    from kesheng.cases.actions.handling import record_handling_answer

    response = (
        Response.objects.select_related("version", "customer", "invitation", "survey")
        .filter(pk=payload.get("response_id"), completed_at__isnull=False)
        .first()
    )
    if response is None or Case.objects.filter(response=response).exists():
        return
    if record_handling_answer(response):
        return  # an answer about a case's handling reopens that case, not a new one
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
            urgency_rules=True,
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
                urgency_rules=True,
            )
        except IntegrityError:
            continue


def open_cases_for_social_mentions(payload: dict) -> None:
    """Subscriber of ``feedback.analysed``: a social mention the analysis found negative, with
    a reach of at least KESHENG_CASE_SOCIAL_REACH_MIN (0: never), written in the last
    KESHENG_CASE_FEEDBACK_MAX_AGE_DAYS days, opens a ``negative_mention`` case (P2: it is
    public and widely seen). One case per item, so analysing it again opens nothing."""
    reach_min = settings.KESHENG_CASE_SOCIAL_REACH_MIN
    if reach_min <= 0:
        return
    since = timezone.now() - timedelta(days=settings.KESHENG_CASE_FEEDBACK_MAX_AGE_DAYS)
    items = (
        FeedbackItem.objects.select_related("customer")
        .filter(
            pk__in=payload.get("item_ids") or [],
            source=FeedbackSource.SOCIAL,
            sentiment=SentimentLabel.NEGATIVE,
            reach__gte=reach_min,
            occurred_at__gte=since,
        )
        .exclude(cases__isnull=False)
    )
    for item in items:
        try:
            _open_or_link(
                source_note=_("another social mention (#%(id)d): %(text)s")
                % {"id": item.pk, "text": item.text[:200]},
                category=CaseCategory.NEGATIVE_MENTION,
                urgency=Urgency.P2,
                customer=item.customer,
                summary=item.text[:500],
                store_id=item.store_id,
                feedback_item=item,
                urgency_rules=True,
            )
        except IntegrityError:
            continue
