"""Talking to the customer from a case: a reply by email or SMS (typed, or from a reply template
with placeholders), and the message telling them their case is resolved. Both go through the
messaging outbox as **service** messages, so messaging's consent rule applies (service is
implied unless the customer refused it on that channel) and every message carries the
unsubscribe link."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kesheng.cases import placeholders
from kesheng.cases.actions.common import (
    _clean_text,
    _locked,
    _mark_first_response,
    _payload,
    _record,
)
from kesheng.cases.models import (
    Case,
    CaseCategory,
    CaseEvent,
    CaseEventKind,
    CaseStatus,
    ReplyTemplate,
)
from kesheng.core.errors import FieldError, InvalidInput
from kesheng.core.events import emit
from kesheng.messaging.actions import queue_message
from kesheng.messaging.consent import allowed_customers
from kesheng.messaging.models import MessageChannel, MessagePurpose
from kesheng.messaging.queries import contact_addresses

AUTO = "auto"  # the first channel the customer can be reached on: email, then SMS
RECORD_ONLY = "none"  # recorded as told (by phone, in person), nothing sent
REPLY_CHANNELS = (AUTO, MessageChannel.EMAIL.value, MessageChannel.SMS.value, RECORD_ONLY)
RESOLVED_TEMPLATE_KEY = "case_resolved"
MAX_SUBJECT_LENGTH = 200


def customer_language(customer) -> str:
    language = str((customer.attributes or {}).get("language", "")).lower()
    return "en" if language.startswith("en") else "zh-hans"


def reachable_channels(customer_pk: int) -> list[str]:
    """The channels (email first) on which the customer has an address."""
    return [
        channel
        for channel in (MessageChannel.EMAIL, MessageChannel.SMS)
        if contact_addresses([customer_pk], channel=channel).get(customer_pk)
    ]


def placeholder_values(case: Case, agent) -> dict[str, str]:
    return {
        "customer_name": case.customer.name if case.customer else "",
        "case_number": str(case.pk),
        "store": case.store.name if case.store else "",
        "agent_name": (agent.get_full_name() or agent.get_username()) if agent else "",
        "category": str(CaseCategory(case.category).label),
    }


def check_template_text(text: str, field: str) -> list[FieldError]:
    """Problems with a reply template's text (unknown placeholder, broken brace)."""
    try:
        unknown = placeholders.unknown_placeholders(text)
    except ValueError as error:
        return [FieldError(field, _("has a broken placeholder: %(error)s") % {"error": error})]
    if unknown:
        return [
            FieldError(
                field,
                _("unknown placeholder %(names)s; known: %(known)s")
                % {
                    "names": ", ".join("{" + name + "}" for name in unknown),
                    "known": ", ".join("{" + name + "}" for name in placeholders.PLACEHOLDERS),
                },
            )
        ]
    return []


def _fill(text: str, values: dict, field: str) -> str:
    problems = check_template_text(text, field)
    if problems:
        raise InvalidInput(problems)
    return placeholders.fill(text, values)


def _pick_channel(case: Case, channel: str) -> str:
    """The channel to send on, checked: the customer must exist, have an address there and not
    have refused service messages there (InvalidInput on ``channel`` otherwise)."""
    if channel not in REPLY_CHANNELS:
        raise InvalidInput(
            [
                FieldError(
                    "channel",
                    _("%(value)r is not one of %(allowed)s")
                    % {"value": channel, "allowed": ", ".join(REPLY_CHANNELS)},
                )
            ]
        )
    if channel == RECORD_ONLY:
        return channel
    if case.customer_id is None:
        if channel == AUTO:
            return RECORD_ONLY
        raise InvalidInput([FieldError("channel", _("this case has no customer to write to"))])
    reachable = reachable_channels(case.customer_id)
    if channel == AUTO:
        if not reachable:
            return RECORD_ONLY
        channel = reachable[0]
    elif channel not in reachable:
        raise InvalidInput(
            [
                FieldError(
                    "channel",
                    _("the customer has no %(channel)s address")
                    % {"channel": MessageChannel(channel).label},
                )
            ]
        )
    allowed = allowed_customers([case.customer_id], channel=channel, purpose=MessagePurpose.SERVICE)
    if case.customer_id not in allowed:
        raise InvalidInput(
            [
                FieldError(
                    "channel",
                    _("the customer refused service messages by %(channel)s")
                    % {"channel": MessageChannel(channel).label},
                )
            ]
        )
    return channel


def _queue(case: Case, *, channel: str, subject: str, body: str, key: str, language: str):
    return queue_message(
        customer=case.customer,
        channel=channel,
        purpose=MessagePurpose.SERVICE,
        subject=subject if channel == MessageChannel.EMAIL else "",
        body_text=body,
        language=language,
        idempotency_key=key,
        reference=f"cases.case:{case.pk}",
    )


def reply_to_customer(
    *,
    case: Case,
    actor,
    text: str = "",
    template_key: str = "",
    channel: str = AUTO,
    subject: str = "",
    now: datetime | None = None,
) -> CaseEvent:
    """Reply to the customer: the text typed, or the reply template ``template_key`` with its
    placeholders filled. Sent by email or SMS through the outbox as a service message
    (``channel`` "auto": email if the customer has an address, else SMS, else recorded only;
    "none": recorded only, e.g. answered by phone). Refused (InvalidInput, nothing changed) for
    a closed case (field ``status``), an unknown template (``template``), no text
    (``text``), or a channel the customer cannot be reached on or refused (``channel``).
    Records a ``reply`` in the history (counting as the first response) with the message, and
    emits ``case.replied``."""
    errors: list[FieldError] = []
    template = None
    if template_key:
        template = ReplyTemplate.objects.filter(key=template_key, is_active=True).first()
        if template is None:
            errors.append(
                FieldError("template", _("no reply template %(key)r") % {"key": template_key})
            )
    elif not (text or "").strip():
        errors.append(FieldError("text", _("is required (or choose a template)")))
    if len(subject) > MAX_SUBJECT_LENGTH:
        errors.append(
            FieldError(
                "subject",
                _("is longer than %(limit)d characters") % {"limit": MAX_SUBJECT_LENGTH},
            )
        )
    if errors:
        raise InvalidInput(errors)
    now = now or timezone.now()
    with transaction.atomic():
        case = _locked(case)
        if case.status == CaseStatus.CLOSED:
            raise InvalidInput([FieldError("status", _("the case is closed; reopen it to reply"))])
        case = Case.objects.select_related("customer", "store").get(pk=case.pk)
        values = placeholder_values(case, actor)
        if template is not None:
            body = _fill((text or "").strip() or template.body, values, "template")
            subject = subject or _fill(template.subject, values, "template")
        else:
            body = _fill(_clean_text(text, "text", required=True), values, "text")
        subject = subject or _("About your case #%(id)s") % {"id": case.pk}
        chosen = _pick_channel(case, channel)
        fields = _mark_first_response(case, now)
        if fields:
            case.save(update_fields=[*fields, "updated_at"])
        event = _record(
            case,
            CaseEventKind.REPLY,
            actor=actor,
            now=now,
            to_value=chosen,
            text=body,
            data={"channel": chosen, "template": template_key, "subject": subject},
        )
        if chosen != RECORD_ONLY:
            message = _queue(
                case,
                channel=chosen,
                subject=subject,
                body=body,
                key=f"cases.reply:{event.pk}",
                language=customer_language(case.customer),
            )
            event.data |= {"message_id": message.pk, "message_status": message.status}
            event.save(update_fields=["data"])
        emit("case.replied", _payload(case, event_id=event.pk, channel=chosen))
    return event


def tell_customer_resolved(case: Case, *, now: datetime, status_event_id: int) -> CaseEvent | None:
    """Inside the resolving transaction: tell the customer their case is resolved, by the first
    channel they can be reached on, from the reply template ``case_resolved`` if there is one
    (else the built-in text, in the customer's language). Recorded as ``customer_told`` with the
    message and its status (``suppressed`` when they refused service messages there). Nothing
    for a case without a customer or an address."""
    if case.customer_id is None:
        return None
    case = Case.objects.select_related("customer", "store").get(pk=case.pk)
    channels = reachable_channels(case.customer_id)
    if not channels:
        return _record(
            case,
            CaseEventKind.CUSTOMER_TOLD,
            now=now,
            to_value=RECORD_ONLY,
            data={"reason": "no address"},
        )
    channel = channels[0]
    language = customer_language(case.customer)
    values = placeholder_values(case, None)
    template = ReplyTemplate.objects.filter(key=RESOLVED_TEMPLATE_KEY, is_active=True).first()
    with translation.override(language):
        values["category"] = str(CaseCategory(case.category).label)
        if template is not None:
            subject = placeholders.fill(template.subject, values) if template.subject else ""
            body = placeholders.fill(template.body, values)
        else:
            subject = ""
            body = _(
                "Dear %(name)s, your case #%(id)s has been resolved. Thank you for telling us; "
                "if anything is still not right, simply reply to this message."
            ) % {"name": values["customer_name"] or _("customer"), "id": case.pk}
        subject = subject or _("Your case #%(id)s is resolved") % {"id": case.pk}
    message = _queue(
        case,
        channel=channel,
        subject=subject,
        body=body,
        key=f"cases.resolved:{status_event_id}",
        language=language,
    )
    return _record(
        case,
        CaseEventKind.CUSTOMER_TOLD,
        now=now,
        to_value=channel,
        text=body,
        data={"message_id": message.pk, "message_status": message.status},
    )
