"""Delivery backends. ``deliver(message)`` hands one outbox message to the backend of its
channel: email through Django's email framework (``EMAIL_*`` settings), SMS through the class
named by ``KESHENG_SMS_BACKEND`` (see ``sms.py`` for the interface a real provider implements).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class DeliveryResult:
    """What a backend knows once it has handed a message on.

    ``delivered`` is True when the backend already knows the message arrived (an SMTP server
    accepted it; a development backend wrote it). A provider that reports delivery later returns
    False and its callback calls ``messaging.actions.record_delivery_report``.
    """

    provider_message_id: str = ""
    delivered: bool = False


class PermanentDeliveryError(Exception):
    """The message can never be delivered as it is (address refused, number invalid): the
    outbox marks it failed at once instead of retrying."""


def deliver(message) -> DeliveryResult:
    from kesheng.messaging.models import MessageChannel

    if message.channel == MessageChannel.EMAIL:
        from kesheng.messaging.backends.email import send_email

        return send_email(message)
    from kesheng.messaging.backends.sms import get_sms_backend

    return get_sms_backend().send(
        to=message.recipient, text=message.body_text, message_id=message.pk
    )
