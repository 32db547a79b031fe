"""Signing in to the member pages (docs/loyalty.md, "Member pages"): a one-time code sent by
SMS, or a personal signed link. The views keep the member in the session; this module decides
who the member is and writes what a sign-in leaves behind.

A code is 6 random digits; only its HMAC (keyed with the secret key and the phone) is stored.
It lives ``KESHENG_MEMBER_CODE_MINUTES``, dies after ``KESHENG_MEMBER_CODE_MAX_ATTEMPTS`` wrong
tries, and a phone gets at most one a minute and ``KESHENG_MEMBER_CODES_PER_PHONE_PER_HOUR`` an
hour (the views limit each IP address too).
"""

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kesheng.core.errors import DomainError, FieldError, InvalidInput
from kesheng.customers.actions import CustomerRecord, upsert_customer
from kesheng.customers.identity import normalize_phone
from kesheng.customers.models import Customer, Identity, IdentityKind
from kesheng.loyalty.models import MemberSignIn, MemberSignInCode, SignInMethod
from kesheng.messaging.backends.sms import get_sms_backend

logger = logging.getLogger(__name__)

LINK_SALT = "kesheng.loyalty.member-link"
CODE_DIGITS = 6


class SignInRefused(DomainError):
    """A code that cannot be sent or accepted now; ``reason`` is one of ``too_soon``,
    ``too_many`` (rate limit), ``not_sent`` (the SMS backend failed), ``wrong``, ``expired``,
    ``attempts`` (too many wrong tries)."""

    def __init__(self, message: str, *, reason: str):
        super().__init__(message, field="code")
        self.reason = reason


def check_phone(phone: str) -> str:
    """The phone in E.164 form; InvalidInput on ``phone`` when it is not a phone number."""
    try:
        return normalize_phone(phone or "")
    except ValueError:
        raise InvalidInput([FieldError("phone", _("enter a mobile phone number"))]) from None


def _code_hash(phone: str, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"member-code:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def send_sign_in_code(
    *, phone: str, address_hash: str = "", now: datetime | None = None
) -> MemberSignInCode:
    """Make a new code for ``phone`` and send it through the SMS backend
    (``KESHENG_SMS_BACKEND``). Works for a phone no customer has yet (a new member signs up
    by signing in). Refused (SignInRefused ``too_soon`` / ``too_many``) within a minute of the
    last code or past the hourly limit, nothing sent. Earlier unused codes of the phone die."""
    phone = check_phone(phone)
    now = now or timezone.now()
    recent = MemberSignInCode.objects.filter(phone=phone, created_at__gt=now - timedelta(hours=1))
    if recent.filter(created_at__gt=now - timedelta(minutes=1)).exists():
        raise SignInRefused(
            _("a code was sent less than a minute ago; wait a moment"), reason="too_soon"
        )
    if recent.count() >= settings.KESHENG_MEMBER_CODES_PER_PHONE_PER_HOUR:
        raise SignInRefused(
            _("too many codes for this phone; try again in an hour"), reason="too_many"
        )
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    minutes = settings.KESHENG_MEMBER_CODE_MINUTES
    with transaction.atomic():
        MemberSignInCode.objects.filter(phone=phone, used_at__isnull=True).update(used_at=now)
        challenge = MemberSignInCode.objects.create(
            phone=phone,
            code_hash=_code_hash(phone, code),
            created_at=now,
            expires_at=now + timedelta(minutes=minutes),
            address_hash=address_hash[:24],
        )
    text = _(
        "Your sign-in code is %(code)s (valid for %(minutes)s minutes). "
        "Do not share it with anyone."
    ) % {"code": code, "minutes": minutes}
    try:
        get_sms_backend().send(to=phone, text=text, message_id=challenge.pk)
    except Exception:
        # The provider refused or is down: the code never reached the phone, so it must not
        # count against the phone's limits either.
        logger.exception("sign-in code %s not sent", challenge.pk)
        MemberSignInCode.objects.filter(pk=challenge.pk).delete()
        raise SignInRefused(
            _("the SMS could not be sent; try again in a moment"), reason="not_sent"
        ) from None
    return challenge


@dataclass(frozen=True)
class SignedInMember:
    customer: Customer
    created: bool  # a new customer made by this sign-in


def verify_sign_in_code(
    *, phone: str, code: str, device_id: str = "", now: datetime | None = None
) -> SignedInMember:
    """The member whose phone received ``code``: the customer with this phone, or a new one
    made now (signed up through the member pages). The code is used once. Refused
    (SignInRefused) for a wrong code (one try counted), an expired one, or after too many
    wrong tries. Records the sign-in (with the device id)."""
    phone = check_phone(phone)
    now = now or timezone.now()
    code = "".join((code or "").split())
    refusal: SignInRefused | None = None
    with transaction.atomic():
        challenge = (
            MemberSignInCode.objects.select_for_update()
            .filter(phone=phone, used_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        if challenge is None or challenge.expires_at <= now:
            refusal = SignInRefused(_("this code has expired; ask for a new one"), reason="expired")
        elif challenge.attempts >= settings.KESHENG_MEMBER_CODE_MAX_ATTEMPTS:
            refusal = SignInRefused(_("too many wrong codes; ask for a new one"), reason="attempts")
        elif not hmac.compare_digest(challenge.code_hash, _code_hash(phone, code)):
            # Counted (and committed) before the refusal is raised below.
            MemberSignInCode.objects.filter(pk=challenge.pk).update(attempts=F("attempts") + 1)
            refusal = SignInRefused(_("this code is not right"), reason="wrong")
        else:
            MemberSignInCode.objects.filter(pk=challenge.pk).update(used_at=now)
    if refusal is not None:
        raise refusal
    customer = Customer.objects.filter(
        identities__kind=IdentityKind.PHONE, identities__value=phone
    ).first()
    created = False
    if customer is None:
        result = upsert_customer(
            record=CustomerRecord(phone=phone, signed_up_at=now, source="member-pages")
        )
        customer, created = result.customer, result.created
    record_sign_in(customer_pk=customer.pk, method=SignInMethod.CODE, device_id=device_id, now=now)
    return SignedInMember(customer=customer, created=created)


def record_sign_in(
    *, customer_pk: int, method: str, device_id: str = "", now: datetime | None = None
) -> MemberSignIn:
    return MemberSignIn.objects.create(
        customer_id=customer_pk,
        method=method,
        device_id=(device_id or "")[:64],
        signed_in_at=now or timezone.now(),
    )


def member_link_token(customer_id: str) -> str:
    """A personal link's token for the member: signed, valid ``KESHENG_MEMBER_LINK_DAYS``."""
    return signing.dumps({"c": customer_id}, salt=LINK_SALT, compress=True)


def read_member_link(token: str, *, device_id: str = "") -> Customer | None:
    """The member a personal link signs in (None: forged, expired, or the customer is
    gone); records the sign-in. A merged-away customer id finds the surviving profile."""
    try:
        data = signing.loads(
            token, salt=LINK_SALT, max_age=timedelta(days=settings.KESHENG_MEMBER_LINK_DAYS)
        )
    except signing.BadSignature:
        return None
    identity = (
        Identity.objects.filter(kind=IdentityKind.CUSTOMER_ID, value=str(data.get("c", "")))
        .select_related("customer")
        .first()
    )
    if identity is None:
        return None
    record_sign_in(customer_pk=identity.customer_id, method=SignInMethod.LINK, device_id=device_id)
    return identity.customer
