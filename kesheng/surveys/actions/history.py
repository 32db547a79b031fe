"""Loading survey history in bulk: invitations and responses that happened in the past (the demo
data set, or a migration from another survey tool).

A history load is not today's activity, so it writes rows directly in bulk and emits one event
per call (``invitations.imported``, ``responses.imported``) instead of one per row: no
``response.completed`` means no thank-you incentive is queued, and no invitation is sent, for
something that happened long ago. Every response is still judged like a live one
(``flow.validate_response``), and completed ones get their ``ResponseValue`` rows
(``flow.flatten_answers``) so results pages and exports show them.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext

from kesheng.core.errors import FieldError, InvalidInput
from kesheng.core.events import emit
from kesheng.messaging.consent import allowed_customers
from kesheng.messaging.models import MessagePurpose
from kesheng.surveys import flow
from kesheng.surveys.actions.distribution import DEFAULT_EXPIRY_DAYS, SENDING_KINDS
from kesheng.surveys.models import (
    DeviceType,
    Distribution,
    Invitation,
    InvitationStatus,
    Response,
    ResponseStatus,
    ResponseValue,
    Survey,
)

BATCH_SIZE = 1000


@dataclass(frozen=True)
class PastInvitation:
    """One invitation sent in the past and how far the customer got with it. The latest moment
    given decides the status (sent, opened, started or completed)."""

    customer_pk: int
    sent_at: datetime
    language: str = "zh-hans"
    opened_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None


def _status_of(past: PastInvitation) -> str:
    if past.completed_at is not None:
        return InvitationStatus.COMPLETED
    if past.started_at is not None:
        return InvitationStatus.STARTED
    if past.opened_at is not None:
        return InvitationStatus.OPENED
    return InvitationStatus.SENT


def load_invitation_history(
    *, distribution: Distribution, invitations: list[PastInvitation]
) -> dict[int, Invitation]:
    """Record invitations of ``distribution`` that were sent in the past, with their status and
    times; nothing is sent now. For an email or SMS distribution a customer without consent for
    surveys on that channel gets a ``skipped_consent`` row (never sent), as a live send would.
    Returns the invitations created, by customer pk (one per customer and call). Emits one
    ``invitations.imported``."""
    pks = sorted({past.customer_pk for past in invitations})
    channel = SENDING_KINDS.get(distribution.kind)
    allowed = (
        allowed_customers(pks, channel=channel, purpose=MessagePurpose.SURVEYS)
        if channel
        else set(pks)
    )
    expiry = timedelta(days=distribution.options.get("expires_days") or DEFAULT_EXPIRY_DAYS)
    rows: dict[int, Invitation] = {}
    for past in invitations:
        if past.customer_pk in rows:
            continue
        consented = past.customer_pk in allowed
        rows[past.customer_pk] = Invitation(
            distribution=distribution,
            customer_id=past.customer_pk,
            token=secrets.token_urlsafe(32),
            status=_status_of(past) if consented else InvitationStatus.SKIPPED_CONSENT,
            language=past.language,
            expires_at=past.sent_at + expiry,
            sent_at=past.sent_at if consented else None,
            delivered_at=past.sent_at if consented else None,
            opened_at=past.opened_at if consented else None,
            started_at=past.started_at if consented else None,
            completed_at=past.completed_at if consented else None,
        )
    with transaction.atomic():
        created = Invitation.objects.bulk_create(list(rows.values()), batch_size=BATCH_SIZE)
        if created and created[0].pk is None:  # a database that returns no ids
            by_token = dict(
                Invitation.objects.filter(
                    distribution=distribution, token__in=[row.token for row in created]
                ).values_list("token", "pk")
            )
            for row in created:
                row.pk = by_token[row.token]
        # created_at is auto_now_add: put it back to when the invitation was made, with one
        # UPDATE per distinct moment (a wave shares one) rather than a CASE per row.
        by_moment: dict[datetime, list[int]] = {}
        for row in created:
            row.created_at = row.expires_at - expiry
            by_moment.setdefault(row.created_at, []).append(row.pk)
        for moment, row_pks in by_moment.items():
            for start in range(0, len(row_pks), BATCH_SIZE):
                Invitation.objects.filter(pk__in=row_pks[start : start + BATCH_SIZE]).update(
                    created_at=moment
                )
        emit(
            "invitations.imported",
            {
                "distribution_id": distribution.pk,
                "sent": sum(1 for row in created if row.sent_at is not None),
                "skipped_consent": sum(1 for row in created if row.sent_at is None),
            },
        )
    return {row.customer_id: row for row in created}


@dataclass(frozen=True)
class PastResponse:
    """One response given in the past. ``completed_at`` None means still in progress (then
    ``current_page`` is the page the respondent stopped on). ``external_id`` makes the load
    idempotent: a response whose id is stored already is skipped."""

    external_id: str
    answers: dict
    started_at: datetime
    completed_at: datetime | None = None
    current_page: str = ""
    customer_pk: int | None = None
    distribution_id: int | None = None
    invitation_id: int | None = None
    channel_id: int | None = None
    touchpoint_id: int | None = None
    store_id: int | None = None
    staff_id: int | None = None
    language: str = "zh-hans"
    device_type: str = DeviceType.MOBILE


def load_response_history(*, survey: Survey, responses: list[PastResponse]) -> int:
    """Store past responses of ``survey`` (its current version) in bulk: completed ones with
    their ``ResponseValue`` rows, in-progress ones as they were left. Each completed response
    is checked as a whole and each in-progress one by its answers' names and values; raises
    InvalidInput naming the external id and the question of the first bad answer, with nothing
    stored. An anonymous survey keeps no customer. Returns how many responses were created.
    Emits one ``responses.imported`` (not ``response.completed``: nothing is sent for history).
    """
    version = survey.current_version
    definition = version.definition
    existing = set(
        Response.objects.filter(
            external_id__in=[past.external_id for past in responses]
        ).values_list("external_id", flat=True)
    )
    rows: list[Response] = []
    values: list[list[tuple]] = []
    for past in responses:
        if past.external_id in existing:
            continue
        clean = _checked_answers(definition, past)
        completed = past.completed_at is not None
        rows.append(
            Response(
                survey=survey,
                version=version,
                customer_id=None if survey.is_anonymous else past.customer_pk,
                distribution_id=past.distribution_id,
                invitation_id=past.invitation_id,
                status=ResponseStatus.COMPLETED if completed else ResponseStatus.IN_PROGRESS,
                answers=clean,
                current_page="" if completed else past.current_page,
                channel_id=past.channel_id,
                touchpoint_id=past.touchpoint_id,
                store_id=past.store_id,
                staff_id=past.staff_id,
                language=past.language,
                device_type=past.device_type,
                resume_key=secrets.token_urlsafe(32),
                external_id=past.external_id,
                started_at=past.started_at,
                completed_at=past.completed_at,
            )
        )
        values.append(flow.flatten_answers(definition, clean) if completed else [])
        existing.add(past.external_id)
    if not rows:
        return 0
    with transaction.atomic():
        created = Response.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        if created[0].pk is None:  # a database that returns no ids
            by_id = dict(
                Response.objects.filter(
                    external_id__in=[row.external_id for row in created]
                ).values_list("external_id", "pk")
            )
            for row in created:
                row.pk = by_id[row.external_id]
        ResponseValue.objects.bulk_create(
            [
                ResponseValue(
                    response_id=row.pk,
                    survey_id=survey.pk,
                    question=question,
                    item=item or "",
                    number=number,
                    text=text or "",
                )
                for row, flattened in zip(created, values, strict=True)
                for question, item, number, text in flattened
            ],
            batch_size=BATCH_SIZE * 5,
        )
        emit(
            "responses.imported",
            {
                "survey_id": survey.pk,
                "created": len(created),
                "completed": sum(1 for row in created if row.completed_at is not None),
            },
        )
    return len(created)


def _checked_answers(definition: dict, past: PastResponse) -> dict:
    if past.completed_at is not None:
        clean, errors = flow.validate_response(definition, past.answers)
    else:
        clean, errors = {}, {}
        for page in definition.get("pages") or []:
            if page.get("name") == past.current_page:
                break
            page_clean, page_errors = flow.validate_page(
                definition, page.get("name"), past.answers, clean
            )
            clean.update(page_clean)
            errors.update(page_errors)
    if errors:
        name, reason = next(iter(errors.items()))
        translate = getattr(reason, "translate", None)
        reason_text = translate(gettext) if translate else str(reason)
        raise InvalidInput([FieldError(f"{past.external_id}.answers.{name}", reason_text)])
    return clean
