"""The consent rule every message passes before it is written or sent.

A customer's decision for (channel, purpose) is a ``customers.Consent`` row. A refusal always
blocks. When there is no row at all, the purposes listed in the setting
``KESHENG_CONSENT_IMPLIED_PURPOSES`` (default: ``service`` only) are allowed, every other purpose
is not. Marketing is never implied, whatever the setting says: PIPL (and GDPR) require explicit,
separate consent for it. Surveys are not implied by default, the conservative reading: an
operator whose terms of service cover feedback requests can add ``surveys`` to the setting.
"""

from collections.abc import Iterable

from django.conf import settings

from kesheng.messaging.models import MessagePurpose

NEVER_IMPLIED = frozenset({MessagePurpose.MARKETING.value})


def implied_purposes() -> frozenset[str]:
    configured = getattr(settings, "KESHENG_CONSENT_IMPLIED_PURPOSES", ["service"])
    return frozenset(configured) - NEVER_IMPLIED


def is_allowed(decision: bool | None, purpose: str) -> bool:
    """Whether a message may go out given the recorded decision (None: no record)."""
    if decision is None:
        return purpose in implied_purposes()
    return decision


def allowed_customers(customer_pks: Iterable[int], *, channel: str, purpose: str) -> set[int]:
    """The customers among ``customer_pks`` that may receive a message (one query)."""
    from kesheng.messaging.queries import consent_decisions

    pks = list(customer_pks)
    decisions = consent_decisions(pks, channel=channel, purpose=purpose)
    return {pk for pk in pks if is_allowed(decisions.get(pk), purpose)}
