"""State changes of the outbox: queue a message (consent first), send it, record delivery,
and withdraw consent from an unsubscribe link."""

import html
import logging
from datetime import datetime

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kesheng.core.errors import DomainError, FieldError, InvalidInput, NotFound
from kesheng.core.events import emit
from kesheng.customers.models import Consent, Customer
from kesheng.messaging.consent import is_allowed
from kesheng.messaging.models import Message, MessageChannel, MessagePurpose, MessageStatus
from kesheng.messaging.queries import consent_decisions, contact_addresses
from kesheng.messaging.unsubscribe import read_token, unsubscribe_url

logger = logging.getLogger(__name__)

# Transient failures are retried (task retries, then the periodic sweep) until this many
# attempts; then the message is marked failed.
MAX_SEND_ATTEMPTS = 6
CHANNEL_VALUES = frozenset(MessageChannel.values)
PURPOSE_VALUES = frozenset(MessagePurpose.values)


def _with_unsubscribe(*, channel: str, body_text: str, body_html: str, url: str) -> tuple[str, str]:
    """Add the unsubscribe link to bodies that do not carry it yet (in the active language)."""
    if url not in body_text:
        if channel == MessageChannel.SMS:
            body_text = f"{body_text.rstrip()} {_('Unsubscribe')}: {url}"
        else:
            notice = _("To stop receiving these messages, open this link:")
            body_text = f"{body_text.rstrip()}\n\n--\n{notice}\n{url}\n"
    if body_html and html.escape(url) not in body_html and url not in body_html:
        link = (
            '<p style="font-size:12px;color:#666">'
            f'<a href="{html.escape(url)}">{html.escape(_("Unsubscribe"))}</a></p>'
        )
        closing = body_html.lower().rfind("</body>")
        body_html = (
            body_html[:closing] + link + body_html[closing:] if closing >= 0 else body_html + link
        )
    return body_text, body_html


def queue_message(
    *,
    customer: Customer,
    channel: str,
    purpose: str,
    body_text: str,
    idempotency_key: str,
    subject: str = "",
    body_html: str = "",
    language: str = "",
    reference: str = "",
    recipient: str | None = None,
    now: datetime | None = None,
) -> Message:
    """Write one message to the outbox and, once committed, enqueue its sending.

    Consent is checked first (``messaging.consent``): without it the row is written as
    ``suppressed`` and nothing is sent. Without an address on the channel it is ``failed``.
    Every email and SMS gets the customer's signed unsubscribe link (for this channel and
    purpose) in its body, and an email also ``List-Unsubscribe`` headers (RFC 2369, 8058).
    The same ``idempotency_key`` twice returns the first message and changes nothing.
    """
    errors = []
    if channel not in CHANNEL_VALUES:
        errors.append(FieldError("channel", f"must be one of {', '.join(CHANNEL_VALUES)}"))
    if purpose not in PURPOSE_VALUES:
        errors.append(FieldError("purpose", f"must be one of {', '.join(PURPOSE_VALUES)}"))
    if not idempotency_key:
        errors.append(FieldError("idempotency_key", "is required"))
    if errors:
        raise InvalidInput(errors)
    existing = Message.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    now = now or timezone.now()
    decision = consent_decisions([customer.pk], channel=channel, purpose=purpose).get(customer.pk)
    if recipient is None:
        recipient = contact_addresses([customer.pk], channel=channel).get(customer.pk, "")
    status, error = MessageStatus.QUEUED, ""
    if not is_allowed(decision, purpose):
        status = MessageStatus.SUPPRESSED
        error = f"no consent for {purpose} by {channel}"
    elif not recipient:
        status, error = MessageStatus.FAILED, f"the customer has no {channel} address"
    language = language or translation.get_language() or "zh-hans"
    url = unsubscribe_url(
        customer_id=customer.customer_id, channel=channel, purpose=purpose, language=language
    )
    with translation.override(language):
        body_text, body_html = _with_unsubscribe(
            channel=channel, body_text=body_text, body_html=body_html, url=url
        )
    headers = {}
    if channel == MessageChannel.EMAIL:
        headers = {
            "List-Unsubscribe": f"<{url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    try:
        with transaction.atomic():
            message = Message.objects.create(
                channel=channel,
                customer=customer,
                recipient=recipient,
                subject=subject[:300],
                body_text=body_text,
                body_html=body_html,
                headers=headers,
                language=language,
                purpose=purpose,
                status=status,
                error=error,
                reference=reference,
                idempotency_key=idempotency_key,
                created_at=now,
            )
    except IntegrityError:
        # The same key written by a concurrent caller: theirs is the message.
        return Message.objects.get(idempotency_key=idempotency_key)
    if status == MessageStatus.QUEUED:
        transaction.on_commit(lambda: _enqueue(message.pk))
    return message


def _enqueue(message_id: int) -> None:
    from kesheng.messaging.tasks import send_message_task

    try:
        send_message_task.delay(message_id)
    except Exception:  # broker down: the periodic sweep sends queued messages later
        logger.exception("could not enqueue message %s; the sweep will send it", message_id)


def _event_payload(message: Message) -> dict:
    return {
        "message_id": message.pk,
        "reference": message.reference,
        "customer_pk": message.customer_id,
        "channel": message.channel,
        "purpose": message.purpose,
        "status": message.status,
        "delivered": message.delivered_at is not None,
        "error": message.error,
    }


def send_message(*, message_id: int, now: datetime | None = None) -> Message:
    """Hand one queued message to its backend. Idempotent: a message that is not queued any
    more is returned unchanged. Consent is checked again, since it may have been withdrawn
    since queueing (then ``suppressed``). A transient failure leaves it queued with the error
    for a retry; a permanent one, or the last attempt, marks it ``failed``. Emits
    ``message.sent`` or ``message.failed``."""
    from kesheng.messaging.backends import PermanentDeliveryError, deliver

    with transaction.atomic():
        # The row lock keeps two workers from sending the same message at once.
        message = Message.objects.select_for_update().filter(pk=message_id).first()
        if message is None:
            raise NotFound(f"no message with id {message_id}", field="message_id")
        if message.status != MessageStatus.QUEUED:
            return message
        now = now or timezone.now()
        decision = consent_decisions(
            [message.customer_id], channel=message.channel, purpose=message.purpose
        ).get(message.customer_id)
        if not is_allowed(decision, message.purpose):
            message.status = MessageStatus.SUPPRESSED
            message.error = f"no consent for {message.purpose} by {message.channel}"
            message.save(update_fields=["status", "error"])
            emit("message.failed", _event_payload(message))
            return message
        message.attempts += 1
        try:
            result = deliver(message)
        except Exception as error:
            permanent = isinstance(error, PermanentDeliveryError)
            message.error = f"{type(error).__name__}: {error}"[:500]
            if permanent or message.attempts >= MAX_SEND_ATTEMPTS:
                message.status = MessageStatus.FAILED
                emit("message.failed", _event_payload(message))
            else:
                logger.warning(
                    "message %s not sent (attempt %s): %s", message.pk, message.attempts, error
                )
            message.save(update_fields=["status", "error", "attempts"])
            return message
        message.status = MessageStatus.SENT
        message.error = ""
        message.sent_at = now
        message.provider_message_id = result.provider_message_id[:200]
        if result.delivered:
            message.delivered_at = now
        message.save(
            update_fields=[
                "status",
                "error",
                "attempts",
                "sent_at",
                "delivered_at",
                "provider_message_id",
            ]
        )
        emit("message.sent", _event_payload(message))
    return message


def record_delivery_report(
    *, provider_message_id: str, delivered: bool, error: str = "", now: datetime | None = None
) -> Message:
    """A provider's delivery report for a sent message: delivered, or failed with the reason.
    A repeated report changes nothing. Emits ``message.delivered`` or ``message.failed``."""
    with transaction.atomic():
        message = (
            Message.objects.select_for_update()
            .filter(provider_message_id=provider_message_id)
            .first()
        )
        if message is None:
            raise NotFound(
                f"no message with provider id {provider_message_id!r}", field="provider_message_id"
            )
        if delivered and message.delivered_at is None:
            message.delivered_at = now or timezone.now()
            message.save(update_fields=["delivered_at"])
            emit("message.delivered", _event_payload(message))
        elif not delivered and message.status != MessageStatus.FAILED:
            message.status = MessageStatus.FAILED
            message.error = (error or "delivery failed")[:500]
            message.save(update_fields=["status", "error"])
            emit("message.failed", _event_payload(message))
    return message


class InvalidUnsubscribeLink(DomainError):
    """The link was altered, truncated or signed with another key."""


def withdraw_consent_from_link(*, token: str) -> Consent:
    """Record the refusal an unsubscribe link asks for (its customer, channel and purpose)
    through ``customers.actions.set_consent``, which emits ``consent.changed``. Following the
    same link twice changes nothing the second time."""
    from kesheng.customers.actions import set_consent
    from kesheng.customers.queries import get_customer

    try:
        request = read_token(token)
    except signing.BadSignature:
        raise InvalidUnsubscribeLink("this unsubscribe link is not valid", field="token") from None
    customer = get_customer(request.customer_id)
    current = Consent.objects.filter(
        customer=customer, channel=request.channel, purpose=request.purpose
    ).first()
    if current is not None and not current.is_granted:
        return current
    return set_consent(
        customer=customer,
        channel=request.channel,
        purpose=request.purpose,
        is_granted=False,
        source="unsubscribe link",
    )
