"""Staff roles, API keys with scopes, and the audit log."""

import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """Staff roles; each is a Django group of the same name (created by a migration)."""

    ADMIN = "admin", _("administrator")
    ANALYST = "analyst", _("analyst")
    CX_MANAGER = "cx_manager", _("CX manager")
    AGENT = "agent", _("support agent")
    STORE_MANAGER = "store_manager", _("store manager")


class Scope(models.TextChoices):
    """What an API key may do. A key carries a list of these."""

    EVENTS_WRITE = "events:write", _("write events")
    CUSTOMERS_READ = "customers:read", _("read customers")
    CUSTOMERS_WRITE = "customers:write", _("write customers")
    ORDERS_WRITE = "orders:write", _("write orders")
    ORDERS_READ = "orders:read", _("read orders")
    RESPONSES_WRITE = "responses:write", _("write survey responses")
    METRICS_READ = "metrics:read", _("read metrics")
    LOYALTY_READ = "loyalty:read", _("read loyalty members")
    LOYALTY_WRITE = "loyalty:write", _("write loyalty points and redemptions")
    FEEDBACK_READ = "feedback:read", _("read feedback")
    FEEDBACK_WRITE = "feedback:write", _("write feedback (reviews, mentions, calls, emails)")
    CASES_READ = "cases:read", _("read cases")
    CASES_WRITE = "cases:write", _("open, reply to and resolve cases")


class ApiKey(models.Model):
    """A Bearer key for integrators. Only a SHA-256 hash of the secret is stored.

    The full key is ``ks_<prefix>_<secret>``; the prefix finds the row, the hash proves the
    secret. A plain hash (not a slow password hash) is right here because the secret is 32 random
    bytes, so there is nothing to brute-force, and it keeps every API call fast.
    """

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    secret_hash = models.CharField(_("secret hash"), max_length=64)
    scopes = models.JSONField(_("scopes"), default=list)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} (ks_{self.prefix}_…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    @staticmethod
    def hash_secret(secret: str) -> str:
        return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class AuditEntry(models.Model):
    """Who did what to which record, for administrators and data-protection requests."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("actor"),
    )
    api_key = models.ForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("API key")
    )
    action = models.CharField(_("action"), max_length=100)
    target = models.CharField(_("target"), max_length=200, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.action} {self.target}"
