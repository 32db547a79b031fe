"""Back office for API keys and the audit log. Keys are created with ``kesheng apikey create``
(the secret is shown once, there); the admin lists them and revokes them, never edits them."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kesheng.accounts.actions import revoke_api_key
from kesheng.accounts.models import ApiKey, AuditEntry
from kesheng.core.admin import ReadOnlyAdmin


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    list_display = ["name", "key_prefix", "scope_list", "created_at", "last_used_at", "is_active"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "=prefix"]
    # The secret hash is deliberately absent: it is useless to a person and should not travel.
    fields = [
        "name",
        "key_prefix",
        "scope_list",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    readonly_fields = fields
    actions = ["revoke_selected"]

    @admin.display(description=_("key starts with"))
    def key_prefix(self, api_key: ApiKey) -> str:
        return f"ks_{api_key.prefix}_…"

    @admin.display(description=_("scopes"))
    def scope_list(self, api_key: ApiKey) -> str:
        return ", ".join(api_key.scopes)

    @admin.display(description=_("active"), boolean=True)
    def is_active(self, api_key: ApiKey) -> bool:
        return api_key.is_active

    def has_revoke_permission(self, request) -> bool:
        return request.user.has_perm("accounts.change_apikey")

    @admin.action(description=_("Revoke the selected API keys"), permissions=["revoke"])
    def revoke_selected(self, request, queryset) -> None:
        revoked = 0
        for prefix in queryset.filter(revoked_at__isnull=True).values_list("prefix", flat=True):
            revoke_api_key(prefix=prefix, revoked_by=request.user)
            revoked += 1
        self.message_user(
            request,
            ngettext("Revoked %(count)d API key.", "Revoked %(count)d API keys.", revoked)
            % {"count": revoked},
            messages.SUCCESS,
        )


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "target", "actor", "api_key"]
    list_filter = ["action"]
    search_fields = ["action", "target", "actor__username"]
    list_select_related = ["actor", "api_key"]
    readonly_fields = ["created_at", "action", "target", "actor", "api_key", "details"]
    fields = readonly_fields
