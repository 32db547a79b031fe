"""Email through Django's email framework: whatever ``EMAIL_BACKEND`` names (SMTP in
production) with the ``EMAIL_*`` settings."""

import smtplib
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, make_msgid

from kesheng.messaging.backends import DeliveryResult, PermanentDeliveryError


def send_email(message) -> DeliveryResult:
    headers = dict(message.headers or {})
    # Our own Message-ID (not Django's default, which resolves the host name on every message)
    # so that bounces and replies can be matched to the outbox row.
    domain = urlsplit(settings.KESHENG_PUBLIC_URL).hostname or "localhost"
    headers.setdefault("Message-ID", make_msgid(idstring=f"kesheng{message.pk}", domain=domain))
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.recipient],
        headers=headers,
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    try:
        email.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as error:
        raise PermanentDeliveryError(f"recipient refused: {error.recipients}") from error
    # An SMTP server that accepted the message is the last thing we hear of it (bounces are not
    # processed yet), so acceptance counts as delivered.
    return DeliveryResult(provider_message_id=headers["Message-ID"], delivered=True)
