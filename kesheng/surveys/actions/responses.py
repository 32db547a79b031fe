"""Answering a survey: starting a response, saving it page by page, completing it, and taking a
complete response through the API in one call.

The server is the judge: every answer is checked against the version the response answers
(``flow.validate_page`` per page, ``flow.validate_response`` on the whole before completion),
so a hidden question's answer is discarded, a required visible one is demanded and a choice not
offered is refused, whatever the browser or the client sent.
"""

import secrets
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kesheng.commerce.models import StaffMember, Store
from kesheng.core.errors import Conflict, DomainError, FieldError, InvalidInput
from kesheng.core.events import emit
from kesheng.customers.models import Customer
from kesheng.surveys import definition as definitions
from kesheng.surveys import flow
from kesheng.surveys.models import (
    DeviceType,
    Distribution,
    Invitation,
    InvitationStatus,
    Response,
    ResponseStatus,
    ResponseValue,
    Survey,
    SurveyStatus,
)
from kesheng.tracking.models import Channel, Touchpoint

# A clock a little ahead of ours is not a lie; a submission hours in the future is.
SUBMITTED_AT_TOLERANCE = timedelta(minutes=5)
END = definitions.END


class SurveyUnavailable(Conflict):
    """The survey takes no (more) responses. ``reason``: "not_open", "closed" or "capped"."""

    def __init__(self, message: str, *, reason: str):
        super().__init__(message)
        self.reason = reason


class InvitationUnusable(DomainError):
    """A personal link that cannot be answered any more. ``reason``: "expired" or "used"."""

    def __init__(self, message: str, *, reason: str):
        super().__init__(message, field="token")
        self.reason = reason


class ResponseFinished(Conflict):
    """The response was completed already; it cannot be changed."""


@dataclass
class PageResult:
    """What became of a submitted page: errors to show (nothing saved), or the page to show
    next (``None`` once the response is complete)."""

    response: Response | None
    errors: dict[str, str] = field(default_factory=dict)
    completed: bool = False

    @property
    def next_page(self) -> str | None:
        if self.completed or self.response is None:
            return None
        return self.response.current_page


def _reason(reason) -> str:
    """A reason from ``flow`` (a ``logic.Message``) in the active language."""
    translate = getattr(reason, "translate", None)
    return translate(_) if translate is not None else str(reason)


def device_type_of(user_agent: str) -> str:
    """Mobile, tablet or desktop from a User-Agent header (coarse on purpose: enough to break
    results down by device, without a user-agent database)."""
    agent = (user_agent or "").lower()
    if not agent:
        return DeviceType.UNKNOWN
    if "ipad" in agent or "tablet" in agent or ("android" in agent and "mobile" not in agent):
        return DeviceType.TABLET
    if any(word in agent for word in ("mobi", "iphone", "ipod", "android", "harmonyos")):
        return DeviceType.MOBILE
    return DeviceType.DESKTOP


def check_survey_open(survey: Survey, *, now: datetime | None = None) -> None:
    """Raise SurveyUnavailable unless the survey is open and before its close date. The cap is
    checked where a response completes (under a lock), not here."""
    now = now or timezone.now()
    if survey.status != SurveyStatus.OPEN:
        if survey.status == SurveyStatus.CLOSED:
            raise SurveyUnavailable(_("this survey is closed"), reason="closed")
        raise SurveyUnavailable(_("this survey is not open yet"), reason="not_open")
    if survey.closes_at is not None and survey.closes_at <= now:
        raise SurveyUnavailable(_("this survey is closed"), reason="closed")


def _completed_count(survey: Survey) -> int:
    return Response.objects.filter(survey=survey, status=ResponseStatus.COMPLETED).count()


def check_survey_not_capped(survey: Survey) -> None:
    """A cheap early look for the pages (a capped survey's first page says so). The binding
    check is the locked one in ``_finish``."""
    if survey.response_cap is not None and _completed_count(survey) >= survey.response_cap:
        raise SurveyUnavailable(
            _("this survey has received all the responses it needs"), reason="capped"
        )


# Invitations whose link was never handed out: the fatigue or consent rule held them back.
NEVER_SENT = (InvitationStatus.SKIPPED_CONSENT, InvitationStatus.SKIPPED_FATIGUE)


def check_invitation_usable(invitation: Invitation, *, now: datetime | None = None) -> None:
    now = now or timezone.now()
    if invitation.status in NEVER_SENT:
        # Its token was never given to anyone: should it leak, it opens nothing.
        raise InvitationUnusable(_("this link was never sent"), reason="not_open")
    if invitation.completed_at is not None or invitation.status == InvitationStatus.COMPLETED:
        raise InvitationUnusable(_("this link has already been used"), reason="used")
    if invitation.status == InvitationStatus.EXPIRED or (
        invitation.expires_at is not None and invitation.expires_at <= now
    ):
        raise InvitationUnusable(_("this link has expired"), reason="expired")


def _definition_of(response: Response) -> dict:
    return response.version.definition


def _language_for(definition: dict, language: str) -> str:
    languages = [str(code).lower() for code in definition.get("languages") or []]
    language = (language or "").lower()
    if language in languages:
        return language
    return str(definition.get("default_language") or (languages[0] if languages else "zh-hans"))


def start_response(
    *,
    survey: Survey,
    distribution: Distribution | None = None,
    invitation: Invitation | None = None,
    language: str = "",
    user_agent: str = "",
    resume_key: str | None = None,
    now: datetime | None = None,
) -> Response:
    """Start answering ``survey`` through an anonymous link (optionally one distribution, which
    gives the channel, touchpoint and store) or a personal invitation (whose customer it links,
    unless the survey is anonymous). Returns the invitation's response if it has one already.

    Records language, device type and start time, and gives the response a random resume key
    for the respondent's cookie. Marks the invitation started. No IP address is stored, and an
    anonymous survey never links a customer. Raises SurveyUnavailable or InvitationUnusable.
    """
    now = now or timezone.now()
    check_survey_open(survey, now=now)
    if invitation is not None:
        check_invitation_usable(invitation, now=now)
        existing = Response.objects.filter(invitation=invitation).first()
        if existing is not None:
            return existing
    first = flow.first_page(survey.current_version.definition, {})
    return _create_response(
        survey=survey,
        distribution=distribution,
        invitation=invitation,
        language=language,
        user_agent=user_agent,
        resume_key=resume_key,
        now=now,
        current_page=first or "",
    )


def submit_first_page(
    *,
    survey: Survey,
    page_name: str,
    submitted: dict,
    distribution: Distribution | None = None,
    invitation: Invitation | None = None,
    language: str = "",
    user_agent: str = "",
    resume_key: str | None = None,
) -> PageResult:
    """The first page sent by someone who has no response yet: check it as ``save_page`` does
    and, only if it is good, start the response with its answers (one INSERT; see
    ``start_response`` for what is recorded) and move on, completing it if that was the last
    page. With errors nothing is stored and ``PageResult.response`` is None; a page other than
    the first (a stale form) stores nothing either.
    """
    now = timezone.now()
    check_survey_open(survey, now=now)
    if invitation is not None:
        check_invitation_usable(invitation, now=now)
        existing = Response.objects.filter(invitation=invitation).first()
        if existing is not None:
            return save_page(
                response=existing, page_name=page_name, submitted=submitted, language=language
            )
    definition = survey.current_version.definition
    if page_name != flow.first_page(definition, {}):
        return PageResult(response=None)
    clean, errors = flow.validate_page(definition, page_name, submitted, {})
    if errors:
        return PageResult(response=None, errors=errors)
    following = flow.next_page(definition, page_name, clean)
    response = _create_response(
        survey=survey,
        distribution=distribution,
        invitation=invitation,
        language=language,
        user_agent=user_agent,
        resume_key=resume_key,
        now=now,
        current_page=page_name if following == END else following,
        page_history=[] if following == END else [page_name],
        answers=clean,
    )
    if response.answers != clean:
        # Another tab of the same personal link started it first: continue that response.
        return save_page(response=response, page_name=page_name, submitted=submitted)
    if following == END:
        return _complete_from_pages(response, definition, [page_name])
    return PageResult(response=response)


def _create_response(
    *,
    survey: Survey,
    distribution: Distribution | None,
    invitation: Invitation | None,
    language: str,
    user_agent: str,
    resume_key: str | None,
    now: datetime,
    current_page: str,
    page_history: list[str] | None = None,
    answers: dict | None = None,
) -> Response:
    if invitation is not None:
        distribution = invitation.distribution
    version = survey.current_version
    customer = None
    if invitation is not None and not survey.is_anonymous:
        customer = invitation.customer
    fields = {
        "survey": survey,
        "version": version,
        "customer": customer,
        "distribution": distribution,
        "invitation": invitation,
        "answers": answers or {},
        "current_page": current_page,
        "page_history": page_history or [],
        "channel_id": distribution.channel_id if distribution else None,
        "touchpoint_id": distribution.touchpoint_id if distribution else None,
        "store_id": distribution.store_id if distribution else None,
        "staff_id": distribution.staff_id if distribution else None,
        "language": _language_for(version.definition, language or _invitation_language(invitation)),
        "device_type": device_type_of(user_agent),
        "started_at": now,
    }
    # Inside a transaction the INSERT needs a savepoint, so that a clash leaves the transaction
    # usable; on its own (a respondent page, autocommit) it is one statement that changes
    # nothing when it fails, and BEGIN/COMMIT around it would be two more round trips.
    connection = transaction.get_connection()
    try:
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            response = Response.objects.create(
                **fields, resume_key=resume_key or secrets.token_urlsafe(32)
            )
    except IntegrityError:
        if invitation is not None:
            # Two tabs opened the same personal link at once: the other one won.
            return Response.objects.get(invitation=invitation)
        # The key the browser offered is taken: give this response a fresh one.
        response = Response.objects.create(**fields, resume_key=secrets.token_urlsafe(32))
    if invitation is not None:
        # Conditional, so a second start changes nothing; no transaction needed around both.
        Invitation.objects.filter(pk=invitation.pk, started_at__isnull=True).update(
            started_at=now, status=InvitationStatus.STARTED
        )
    return response


def mark_invitation_opened(*, invitation: Invitation, now: datetime | None = None) -> None:
    """Record that a personal link was opened (the first time only; one conditional UPDATE,
    so reloading the page costs nothing more)."""
    if invitation.opened_at is not None:
        return
    now = now or timezone.now()
    Invitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(opened_at=now)
    Invitation.objects.filter(
        pk=invitation.pk,
        status__in=[InvitationStatus.PENDING, InvitationStatus.SENT, InvitationStatus.DELIVERED],
    ).update(status=InvitationStatus.OPENED)
    invitation.opened_at = now


def _invitation_language(invitation: Invitation | None) -> str:
    return invitation.language if invitation is not None else ""


def _page_of_question(definition: dict) -> dict[str, str]:
    return {
        question["name"]: page.get("name")
        for page, question in definitions.iter_questions(definition)
    }


def go_back(*, response: Response) -> Response:
    """Return to the page answered before the current one (answers kept). Changes nothing on
    the first page or a completed response."""
    if response.status != ResponseStatus.IN_PROGRESS or not response.page_history:
        return response
    response.current_page = response.page_history[-1]
    response.page_history = response.page_history[:-1]
    response.save(update_fields=["current_page", "page_history", "updated_at"])
    return response


def save_page(
    *, response: Response, page_name: str, submitted: dict, language: str = ""
) -> PageResult:
    """Check one page's answers (``submitted``: question name -> answer in the JSON shape) and,
    if they are good, keep them and move to the next page by the skip rules; after the last
    page, complete the response (see ``complete_response``).

    Answers to the page's questions that are hidden now, or not given, are dropped. With
    errors nothing is saved and ``PageResult.errors`` names each question. A page submitted
    again from the browser history (after "back") rewinds the response to it. Raises
    ResponseFinished if the response is complete, SurveyUnavailable if the survey closed.
    """
    if response.status != ResponseStatus.IN_PROGRESS:
        raise ResponseFinished(_("this response has already been submitted"))
    check_survey_open(response.survey)
    definition = _definition_of(response)
    history = list(response.page_history)
    if page_name != response.current_page:
        if page_name not in history:
            # A stale form for a page this response never reached: show the current page.
            return PageResult(response=response)
        history = history[: history.index(page_name)]
    clean, errors = flow.validate_page(definition, page_name, submitted, response.answers)
    if errors:
        return PageResult(response=response, errors=errors)
    answers = flow.merge_page_answers(definition, page_name, response.answers, clean)
    response.answers = answers
    if language:
        response.language = _language_for(definition, language)
    following = flow.next_page(definition, page_name, answers)
    if following == END:
        return _complete_from_pages(response, definition, [*history, page_name])
    response.page_history = [*history, page_name]
    response.current_page = following
    response.save(
        update_fields=["answers", "language", "page_history", "current_page", "updated_at"]
    )
    return PageResult(response=response)


def _complete_from_pages(response: Response, definition: dict, history: list[str]) -> PageResult:
    clean, errors = flow.validate_response(definition, response.answers)
    if errors:
        # Only possible when an earlier page's answers no longer fit (an answer changed after
        # going back): send the respondent to the first page with a problem.
        pages = _page_of_question(definition)
        first_bad = next((pages[name] for name in errors if name in pages), history[0])
        if first_bad in history:
            history = history[: history.index(first_bad)]
        response.page_history = history
        response.current_page = first_bad
        response.save(
            update_fields=["answers", "language", "page_history", "current_page", "updated_at"]
        )
        return PageResult(response=response, errors=errors)
    response.page_history = history
    complete_response(response=response, clean_answers=clean)
    return PageResult(response=response, completed=True)


def complete_response(
    *, response: Response, clean_answers: dict | None = None, now: datetime | None = None
) -> Response:
    """Complete a response: check its answers as a whole (``flow.validate_response``; raises
    InvalidInput naming ``answers.<question>`` for each bad one), store the clean answers and
    their ResponseValue rows, set ``completed_at``, mark its invitation completed (a personal
    link is single use), and emit ``response.completed``.

    The survey's response cap is checked under a row lock on the survey, so two respondents
    cannot both take the last place. Completing a completed response changes nothing.
    """
    definition = _definition_of(response)
    if clean_answers is None:
        clean_answers, errors = flow.validate_response(definition, response.answers)
        if errors:
            raise InvalidInput(
                [FieldError(f"answers.{name}", _reason(reason)) for name, reason in errors.items()]
            )
    now = now or timezone.now()
    with transaction.atomic():
        _check_cap_locked(response.survey)
        updated = Response.objects.filter(pk=response.pk, status=ResponseStatus.IN_PROGRESS).update(
            status=ResponseStatus.COMPLETED,
            answers=clean_answers,
            completed_at=now,
            current_page="",
            page_history=response.page_history,
            language=response.language,
            updated_at=now,
        )
        if not updated:
            response.refresh_from_db()
            return response
        if response.invitation_id is not None:
            used = Invitation.objects.filter(
                pk=response.invitation_id, completed_at__isnull=True
            ).update(status=InvitationStatus.COMPLETED, completed_at=now)
            if not used:
                raise InvitationUnusable(_("this link has already been used"), reason="used")
        _write_values(response, definition, clean_answers)
        customer = response.customer if response.customer_id else None
        emit(
            "response.completed",
            {
                "response_id": response.pk,
                "survey_id": response.survey_id,
                # The public id, as in the customer events; the key for joins beside it.
                "customer_id": customer.customer_id if customer else None,
                "customer_pk": customer.pk if customer else None,
            },
        )
    response.status = ResponseStatus.COMPLETED
    response.answers = clean_answers
    response.completed_at = now
    response.current_page = ""
    return response


def _check_cap_locked(survey: Survey) -> None:
    if survey.response_cap is None:
        return
    # The lock serialises completions of this survey only, and only when it has a cap.
    Survey.objects.select_for_update().filter(pk=survey.pk).values_list("pk").first()
    if _completed_count(survey) >= survey.response_cap:
        raise SurveyUnavailable(
            _("this survey has received all the responses it needs"), reason="capped"
        )


def _write_values(response: Response, definition: dict, answers: dict) -> None:
    ResponseValue.objects.bulk_create(
        [
            ResponseValue(
                response_id=response.pk,
                survey_id=response.survey_id,
                question=question,
                item=item or "",
                number=number,
                text=text or "",
            )
            for question, item, number, text in flow.flatten_answers(definition, answers)
        ]
    )


def _resolve_code(model, code: str | None, field_name: str, errors: list[FieldError]):
    if code is None or code == "":
        return None
    found = model.objects.filter(code=code).first()
    if found is None:
        errors.append(FieldError(field_name, _("unknown code %(code)s") % {"code": code}))
    return found


def submit_complete_response(
    *,
    survey: Survey,
    answers: dict,
    customer_id: str | None = None,
    channel: str | None = None,
    touchpoint: str | None = None,
    store: str | None = None,
    staff: str | None = None,
    language: str = "",
    submitted_at: datetime | None = None,
    external_id: str | None = None,
) -> tuple[Response, bool]:
    """Store a whole response sent at once (the API, kiosks and apps). Returns the response and
    whether it was created now: a repeated ``external_id`` returns the stored response and
    changes nothing.

    Checks every answer as the pages do, the channel, touchpoint, store and staff codes and the
    customer id (a staff member without a store given puts the response in their store);
    raises InvalidInput naming each bad field (``answers.<question>``,
    ``customer_id``, ...), SurveyUnavailable for a survey that is not open, closed or full,
    Conflict for an external id used in another survey. A ``customer_id`` is ignored for an
    anonymous survey. Emits ``response.completed``.
    """
    if external_id:
        existing = Response.objects.filter(external_id=external_id).first()
        if existing is not None:
            return _replayed(existing, survey, external_id), False
    now = timezone.now()
    check_survey_open(survey, now=now)
    version = survey.current_version
    definition = version.definition
    errors: list[FieldError] = []
    if not isinstance(answers, dict):
        errors.append(FieldError("answers", _("must be an object of question name to answer")))
        clean = {}
    else:
        clean, answer_errors = flow.validate_response(definition, answers)
        errors += [
            FieldError("answers" if name == "answers" else f"answers.{name}", _reason(reason))
            for name, reason in answer_errors.items()
        ]
    customer = None
    if customer_id and not survey.is_anonymous:
        customer = _find_customer(customer_id, errors)
    channel_row = _resolve_code(Channel, channel, "channel", errors)
    touchpoint_row = _resolve_code(Touchpoint, touchpoint, "touchpoint", errors)
    store_row = _resolve_code(Store, store, "store", errors)
    staff_row = _resolve_code(StaffMember, staff, "staff", errors)
    if store_row is None and not store and staff_row is not None:
        # Who served the respondent says where, unless the caller said otherwise.
        store_row = staff_row.store
    if language and language.lower() not in _known_languages(definition):
        errors.append(
            FieldError(
                "language",
                _("must be one of %(languages)s")
                % {"languages": ", ".join(_known_languages(definition))},
            )
        )
    if submitted_at is not None and submitted_at > now + SUBMITTED_AT_TOLERANCE:
        errors.append(FieldError("submitted_at", _("is in the future")))
    if errors:
        raise InvalidInput(errors)
    completed_at = submitted_at or now
    try:
        with transaction.atomic():
            response = Response.objects.create(
                survey=survey,
                version=version,
                customer=customer,
                channel=channel_row,
                touchpoint=touchpoint_row,
                store=store_row,
                staff=staff_row,
                language=_language_for(definition, language),
                device_type=DeviceType.UNKNOWN,
                resume_key=secrets.token_urlsafe(32),
                external_id=external_id or None,
                answers=clean,
                started_at=completed_at,
            )
            complete_response(response=response, clean_answers=clean, now=completed_at)
    except IntegrityError:
        if not external_id:
            raise
        # The same external id arrived twice at once; the other request stored it.
        existing = Response.objects.get(external_id=external_id)
        return _replayed(existing, survey, external_id), False
    return response, True


def _known_languages(definition: dict) -> list[str]:
    return [str(code).lower() for code in definition.get("languages") or []] or ["zh-hans"]


def _find_customer(customer_id: str, errors: list[FieldError]) -> Customer | None:
    from kesheng.core.errors import NotFound
    from kesheng.customers.queries import get_customer

    try:
        return get_customer(customer_id)
    except NotFound:
        errors.append(FieldError("customer_id", _("no customer has this customer_id")))
        return None


def _replayed(existing: Response, survey: Survey, external_id: str) -> Response:
    if existing.survey_id != survey.pk:
        raise Conflict(
            _("response_id %(id)s was already used for another survey") % {"id": external_id}
        )
    return existing
