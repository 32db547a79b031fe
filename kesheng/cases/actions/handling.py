"""After a case closes: the handling survey (one CSAT question) goes to the customer as a
personal invitation, and their answer is kept on the case; a low answer reopens it."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kesheng.cases.actions.common import _record
from kesheng.cases.actions.replies import reachable_channels
from kesheng.cases.handling_survey import (
    COMMENT_QUESTION,
    CSAT_QUESTION,
    TEMPLATE_KEY,
    TITLE,
    handling_survey_definition,
)
from kesheng.cases.models import Case, CaseEventKind, CaseStatus
from kesheng.core.errors import Conflict
from kesheng.surveys.actions.distribution import (
    create_distribution,
    create_invitations,
    send_invitation,
)
from kesheng.surveys.actions.surveys import create_survey
from kesheng.surveys.models import (
    Distribution,
    DistributionKind,
    Invitation,
    Response,
    Survey,
    SurveyStatus,
)

logger = logging.getLogger(__name__)

TRIGGER_PREFIX = "case:"
# A closing older than this when its event is handled is history being replayed (the demo data,
# an import): the customer is not asked today about a case closed long ago.
HANDLING_SURVEY_MAX_DELAY = timedelta(hours=24)
CHANNEL_KINDS = {"email": DistributionKind.EMAIL, "sms": DistributionKind.SMS}


def handling_survey() -> Survey:
    """The survey sent after a case closes: the oldest survey made from the built-in
    ``case_handling`` definition, created (open) the first time it is needed. A CX manager may
    edit its wording like any survey's; it stays the handling survey by its template key."""
    survey = Survey.objects.filter(template_key=TEMPLATE_KEY).order_by("pk").first()
    if survey is None:
        survey = create_survey(
            title=TITLE["zh-hans"],
            definition=handling_survey_definition(),
            template_key=TEMPLATE_KEY,
            status=SurveyStatus.OPEN,
        )
    return survey


def _distribution(survey: Survey, channel: str) -> Distribution:
    kind = CHANNEL_KINDS[channel]
    existing = Distribution.objects.filter(survey=survey, kind=kind).order_by("pk").first()
    if existing is not None:
        return existing
    return create_distribution(
        survey=survey, kind=kind, name=f"{TEMPLATE_KEY} ({channel})", options={"expires_days": 14}
    )


def send_handling_survey(payload: dict) -> None:
    """Subscriber of ``case.closed``: invite the case's customer to the handling survey by the
    first channel they can be reached on (one invitation per closing: the trigger key is
    ``case:<case>:<closing history entry>``, so a redelivered event sends nothing). The
    fatigue rule is not applied (the customer asked us for help); the survey consent is, by
    the surveys' own rules. Recorded as ``survey_sent`` with the invitation's status. Nothing
    for a case without a customer, or closed as a duplicate of a merged profile's case."""
    case = (
        Case.objects.select_related("customer")
        .filter(pk=payload.get("case_id"), status=CaseStatus.CLOSED)
        .first()
    )
    if case is None or case.customer_id is None or not payload.get("event_id"):
        return
    closing = case.events.filter(pk=payload["event_id"]).values_list("created_at", flat=True)
    closed_at = closing.first()
    if closed_at is not None and closed_at < timezone.now() - HANDLING_SURVEY_MAX_DELAY:
        return
    channels = reachable_channels(case.customer_id)
    if not channels:
        return
    survey = handling_survey()
    if survey.status != SurveyStatus.OPEN:
        return  # a CX manager closed the handling survey: no more invitations
    now = timezone.now()
    with transaction.atomic():
        batch = create_invitations(
            distribution=_distribution(survey, channels[0]),
            customer_pks=[case.customer_id],
            trigger_key=f"{TRIGGER_PREFIX}{case.pk}:{payload['event_id']}",
            respect_fatigue=False,
            now=now,
        )
        if batch.created == 0 and batch.skipped_consent == 0:
            return  # this closing was handled already
    sent = bool(batch.invitation_ids) and send_invitation(
        invitation_id=batch.invitation_ids[0], now=now
    )
    invitation = (
        Invitation.objects.filter(trigger_key=f"{TRIGGER_PREFIX}{case.pk}:{payload['event_id']}")
        .order_by("pk")
        .first()
    )
    with transaction.atomic():
        _record(
            case,
            CaseEventKind.SURVEY_SENT,
            now=now,
            to_value=invitation.status if invitation else "",
            data={
                "invitation_id": invitation.pk if invitation else None,
                "channel": channels[0],
                "sent": sent,
            },
        )


def case_of_handling_response(response: Response) -> Case | None:
    """The case a handling-survey response answers (through its invitation's trigger key), or
    None when the response is not one."""
    invitation = response.invitation
    if invitation is None or not invitation.trigger_key.startswith(TRIGGER_PREFIX):
        return None
    if response.survey.template_key != TEMPLATE_KEY:
        return None
    case_part = invitation.trigger_key[len(TRIGGER_PREFIX) :].split(":")[0]
    if not case_part.isdigit():
        return None
    return Case.objects.filter(pk=int(case_part)).first()


def record_handling_answer(response: Response) -> bool:
    """Called for every completed response before the case rules: if it answers a handling
    survey, keep the CSAT on the case (``handling_csat``), write ``survey_answered`` in its
    history and, for a CSAT of 1 to KESHENG_CASE_CSAT_MAX (2), reopen the case with the
    reason, instead of opening a new low-satisfaction case. True when it was a handling
    answer (the caller then stops)."""
    case = case_of_handling_response(response)
    if case is None:
        return False
    from kesheng.cases.actions.working import change_case_status

    answers = response.answers or {}
    csat = answers.get(CSAT_QUESTION)
    comment = str(answers.get(COMMENT_QUESTION) or "")[:2000]
    score = int(csat) if isinstance(csat, int | float) and not isinstance(csat, bool) else None
    now = response.completed_at or timezone.now()
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.handling_response_id == response.pk:
            return True  # a redelivered event
        locked.handling_csat, locked.handling_response = score, response
        locked.save(update_fields=["handling_csat", "handling_response", "updated_at"])
        _record(
            locked,
            CaseEventKind.SURVEY_ANSWERED,
            now=now,
            to_value=str(score if score is not None else ""),
            text=comment,
            data={"response_id": response.pk},
        )
    is_negative = score is not None and score <= settings.KESHENG_CASE_CSAT_MAX
    if is_negative and locked.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        reason = _("the customer rated the handling %(score)s of 5") % {"score": score}
        if comment:
            reason = f"{reason}: {comment}"
        try:
            change_case_status(
                case=locked, status=CaseStatus.REOPENED, actor=None, note=reason, now=now
            )
        except Conflict:
            # The customer has another open case for this cause: the answer stays recorded.
            logger.info("case %s not reopened: another open case for its cause", case.pk)
    return True
