"""Signed unsubscribe links: one per customer, channel and purpose.

The token is the customer's public id, the channel, the purpose and the message language, signed
with the SECRET_KEY (django.core.signing) under its own salt. It does not expire: an unsubscribe
link must keep working for as long as the message can be read. Changing SECRET_KEY invalidates
the links already sent, so rotate it with SECRET_KEY_FALLBACKS.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "kesheng.messaging.unsubscribe"


@dataclass(frozen=True)
class UnsubscribeRequest:
    customer_id: str
    channel: str
    purpose: str
    language: str


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT, algorithm="sha256")


def make_token(*, customer_id: str, channel: str, purpose: str, language: str) -> str:
    return _signer().sign_object([customer_id, channel, purpose, language])


def read_token(token: str) -> UnsubscribeRequest:
    """The request a token carries; raises ``signing.BadSignature`` for anything forged,
    truncated or malformed."""
    try:
        customer_id, channel, purpose, language = _signer().unsign_object(token)
    except (ValueError, TypeError, UnicodeDecodeError) as error:
        raise signing.BadSignature(str(error)) from None
    return UnsubscribeRequest(str(customer_id), str(channel), str(purpose), str(language))


def public_url(path: str) -> str:
    """An absolute URL on the site customers reach (setting KESHENG_PUBLIC_URL)."""
    return settings.KESHENG_PUBLIC_URL.rstrip("/") + path


def unsubscribe_url(*, customer_id: str, channel: str, purpose: str, language: str) -> str:
    token = make_token(customer_id=customer_id, channel=channel, purpose=purpose, language=language)
    return public_url(reverse("messaging:unsubscribe", args=[token]))
