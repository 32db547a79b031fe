"""Reads for messaging: messages, contact addresses and consent decisions.

Addresses and consents live in ``customers``; they are read here in bulk (one query per batch)
because sending thousands of messages cannot afford a query per customer.
"""

from collections.abc import Iterable

from kesheng.core.ingest import chunked
from kesheng.customers.models import Consent, Identity, IdentityKind
from kesheng.messaging.models import MessageChannel

ADDRESS_KIND = {MessageChannel.EMAIL: IdentityKind.EMAIL, MessageChannel.SMS: IdentityKind.PHONE}


def consent_decisions(
    customer_pks: Iterable[int], *, channel: str, purpose: str
) -> dict[int, bool]:
    """Recorded decisions (customer pk -> granted) for one channel and purpose; customers
    without a record are absent."""
    decisions: dict[int, bool] = {}
    for chunk in chunked(sorted(set(customer_pks)), 900):
        decisions.update(
            Consent.objects.filter(
                customer_id__in=chunk, channel=channel, purpose=purpose
            ).values_list("customer_id", "is_granted")
        )
    return decisions


def contact_addresses(customer_pks: Iterable[int], *, channel: str) -> dict[int, str]:
    """Each customer's address on the channel (email address or phone number); when a customer
    has several, the one seen most recently."""
    kind = ADDRESS_KIND[MessageChannel(channel)]
    addresses: dict[int, str] = {}
    for chunk in chunked(sorted(set(customer_pks)), 900):
        rows = (
            Identity.objects.filter(customer_id__in=chunk, kind=kind)
            .order_by("customer_id", "last_seen_at", "pk")
            .values_list("customer_id", "value")
        )
        # Ordered oldest first, so the latest seen address of each customer wins.
        addresses.update(rows)
    return addresses
