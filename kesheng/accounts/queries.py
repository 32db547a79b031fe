"""Reads of accounts: authenticating API keys and listing them."""

import hmac

from django.db.models import QuerySet

from kesheng.accounts.actions import KEY_PREFIX
from kesheng.accounts.models import ApiKey

# Compared against when no key has the presented prefix, so an unknown prefix costs the same
# hash and comparison as a known one and timing does not tell which prefixes exist.
_UNKNOWN_KEY_HASH = ApiKey.hash_secret("no key has this prefix")


def parse_api_key(token: str) -> tuple[str, str] | None:
    """Split ``ks_<prefix>_<secret>`` into (prefix, secret); None when it has another shape."""
    head, separator, rest = (token or "").strip().partition("_")
    if head != KEY_PREFIX or not separator:
        return None
    prefix, separator, secret = rest.partition("_")
    if not prefix or not separator or not secret or len(prefix) > 16:
        return None
    return prefix, secret


def authenticate_api_key(token: str) -> ApiKey | None:
    """The active key this Bearer token proves, or None. One query; the secret is checked
    in constant time against its stored SHA-256 hash."""
    parsed = parse_api_key(token)
    if parsed is None:
        return None
    prefix, secret = parsed
    api_key = ApiKey.objects.filter(prefix=prefix).first()
    expected = api_key.secret_hash if api_key is not None else _UNKNOWN_KEY_HASH
    matches = hmac.compare_digest(ApiKey.hash_secret(secret), expected)
    if api_key is None or not matches or not api_key.is_active:
        return None
    return api_key


def list_api_keys(*, include_revoked: bool = True) -> QuerySet[ApiKey]:
    keys = ApiKey.objects.order_by("-created_at", "-pk")
    if not include_revoked:
        keys = keys.filter(revoked_at__isnull=True)
    return keys
