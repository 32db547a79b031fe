"""State changes of accounts: API keys (create, revoke, mark as used) and the audit log."""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kesheng.accounts.models import ApiKey, AuditEntry, Scope
from kesheng.core.errors import FieldError, InvalidInput, NotFound
from kesheng.core.events import emit

KEY_PREFIX = "ks"
# How stale last_used_at may get: writing it on every request would turn each API call's
# single read into a read and a write.
LAST_USED_PRECISION = timedelta(minutes=1)


@dataclass(frozen=True)
class NewApiKey:
    """A freshly created key: the stored row and the full key, shown to its owner once."""

    api_key: ApiKey
    plaintext: str


def validate_scopes(scopes: list[str]) -> list[str]:
    """The scopes, de-duplicated in the order given; InvalidInput names every unknown one."""
    cleaned = list(dict.fromkeys(scope.strip() for scope in scopes if scope.strip()))
    unknown = [scope for scope in cleaned if scope not in Scope.values]
    if unknown:
        raise InvalidInput(
            [
                FieldError(
                    "scopes",
                    _("unknown scope %(scope)s (known: %(known)s)")
                    % {"scope": scope, "known": ", ".join(Scope.values)},
                )
                for scope in unknown
            ]
        )
    if not cleaned:
        raise InvalidInput(
            [
                FieldError(
                    "scopes",
                    _("give at least one scope (known: %(known)s)")
                    % {"known": ", ".join(Scope.values)},
                )
            ]
        )
    return cleaned


def create_api_key(*, name: str, scopes: list[str], created_by=None) -> NewApiKey:
    """Create an API key with the given scopes and record it in the audit log.

    Only the SHA-256 hash of the secret is stored; the returned ``plaintext``
    (``ks_<prefix>_<secret>``) is the one and only time the full key is available.
    Emits ``api_key.created``.
    """
    name = (name or "").strip()
    errors = []
    if not name:
        errors.append(FieldError("name", _("is required")))
    elif len(name) > 100:
        errors.append(FieldError("name", _("is longer than 100 characters")))
    try:
        cleaned_scopes = validate_scopes(scopes)
    except InvalidInput as invalid:
        errors.extend(invalid.errors)
    if errors:
        raise InvalidInput(errors)
    # The prefix is hex, so it never contains the "_" that separates it from the secret.
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        api_key = ApiKey.objects.create(
            name=name,
            prefix=prefix,
            secret_hash=ApiKey.hash_secret(secret),
            scopes=cleaned_scopes,
            created_by=created_by,
        )
        AuditEntry.objects.create(
            actor=created_by,
            api_key=api_key,
            action="api_key.created",
            target=f"{KEY_PREFIX}_{prefix}",
            details={"name": name, "scopes": cleaned_scopes},
        )
        emit("api_key.created", {"prefix": prefix, "name": name, "scopes": cleaned_scopes})
    return NewApiKey(api_key=api_key, plaintext=f"{KEY_PREFIX}_{prefix}_{secret}")


def normalize_prefix(value: str) -> str:
    """Accept a bare prefix, ``ks_<prefix>`` or a whole key, as people paste any of them."""
    text = (value or "").strip()
    if text.startswith(f"{KEY_PREFIX}_"):
        text = text[len(KEY_PREFIX) + 1 :]
    return text.partition("_")[0]


def revoke_api_key(*, prefix: str, revoked_by=None) -> ApiKey:
    """Revoke the key with this prefix so it stops authenticating at once.

    Revoking a revoked key changes nothing. Records an audit entry and emits
    ``api_key.revoked`` the first time. Raises NotFound for an unknown prefix.
    """
    prefix = normalize_prefix(prefix)
    with transaction.atomic():
        api_key = ApiKey.objects.select_for_update().filter(prefix=prefix).first()
        if api_key is None:
            raise NotFound(
                _("no API key with prefix %(prefix)s") % {"prefix": prefix}, field="prefix"
            )
        if api_key.revoked_at is not None:
            return api_key
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        AuditEntry.objects.create(
            actor=revoked_by,
            api_key=api_key,
            action="api_key.revoked",
            target=f"{KEY_PREFIX}_{prefix}",
            details={"name": api_key.name},
        )
        emit("api_key.revoked", {"prefix": prefix, "name": api_key.name})
    return api_key


def mark_api_key_used(*, api_key: ApiKey, now: datetime | None = None) -> bool:
    """Record that the key was used, at most once per LAST_USED_PRECISION; True if written.

    The check runs on the row already loaded for authentication, so within the minute this
    costs nothing; the conditional UPDATE keeps concurrent workers from writing it twice.
    """
    now = now or timezone.now()
    if api_key.last_used_at is not None and now - api_key.last_used_at < LAST_USED_PRECISION:
        return False
    stale_before = now - LAST_USED_PRECISION
    written = (
        ApiKey.objects.filter(pk=api_key.pk)
        .exclude(last_used_at__gte=stale_before)
        .update(last_used_at=now)
    )
    api_key.last_used_at = now
    return bool(written)


def record_audit_entry(
    *, actor, action: str, target: str, details: dict | None = None
) -> AuditEntry:
    """Write one entry of the audit log (who did what to which record) for another app's
    action, inside that action's transaction. Changes nothing else and emits nothing."""
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        target=target[:200],
        details=details or {},
    )
