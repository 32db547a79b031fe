"""Sending a loyalty message to a member through ``messaging``: the member's language and the
channel they can be reached on. ``messaging.queue_message`` checks consent (a message without
it is recorded as suppressed, never sent) and is idempotent on its key."""

from datetime import datetime

from kesheng.customers.models import Customer
from kesheng.messaging.actions import queue_message
from kesheng.messaging.consent import allowed_customers
from kesheng.messaging.models import Message, MessageChannel
from kesheng.messaging.queries import contact_addresses

LANGUAGES = ("zh-hans", "en")


def member_language(customer: Customer) -> str:
    """``en`` for a customer whose language attribute is English (``en``, ``en-US``…),
    otherwise ``zh-hans``, the programme's default."""
    language = str((customer.attributes or {}).get("language") or "").lower()
    return "en" if language.startswith("en") else "zh-hans"


def consenting_channels(
    customer_pks: list[int], channels: list[str], purpose: str
) -> dict[int, str]:
    """Each customer's first channel of ``channels`` on which they have an address and their
    consent allows ``purpose`` (a few queries per channel); customers with none are absent."""
    chosen: dict[int, str] = {}
    for channel in channels:
        waiting = [pk for pk in customer_pks if pk not in chosen]
        if not waiting:
            break
        with_address = list(contact_addresses(waiting, channel=channel))
        for pk in allowed_customers(with_address, channel=channel, purpose=purpose):
            chosen[pk] = channel
    return chosen


def reachable_channels(
    customer_pks: list[int], channels: list[str], purpose: str
) -> dict[int, str]:
    """Like ``consenting_channels``, but every customer gets a channel: those who cannot be
    reached get the first one, so their message is recorded (suppressed without consent,
    failed without an address) and the attempt is visible."""
    chosen = consenting_channels(customer_pks, channels, purpose)
    for pk in customer_pks:
        chosen.setdefault(pk, channels[0])
    return chosen


def send_member_message(
    *,
    customer: Customer,
    channel: str,
    purpose: str,
    subject: str,
    body_text: str,
    language: str,
    idempotency_key: str,
    reference: str = "",
    now: datetime | None = None,
) -> Message:
    """Queue one message (consent checked by messaging); SMS bodies are one line."""
    if channel == MessageChannel.SMS:
        body_text = " ".join(body_text.split())
    return queue_message(
        customer=customer,
        channel=channel,
        purpose=purpose,
        subject=" ".join(subject.split()),
        body_text=body_text,
        language=language,
        idempotency_key=idempotency_key,
        reference=reference,
        now=now,
    )
