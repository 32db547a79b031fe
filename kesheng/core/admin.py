"""Back office for the core kernel, and the read-only base the other apps' admins share."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from kesheng.core.models import DomainEvent, ScheduledJob


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records that only actions may write (events, orders, the outbox, the audit log):
    staff can look, search and filter, but the admin neither adds, edits nor deletes them,
    because a direct write would skip the action's checks and domain events."""

    # Counting millions of rows on every page costs more than the exact total is worth.
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DomainEvent)
class DomainEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "name", "created_at", "is_dispatched"]
    list_filter = [("dispatched_at", admin.EmptyFieldListFilter)]
    search_fields = ["=name"]
    ordering = ["-created_at", "-id"]
    readonly_fields = ["name", "payload", "created_at", "dispatched_at"]
    fields = readonly_fields

    @admin.display(description=_("dispatched"), boolean=True)
    def is_dispatched(self, event: DomainEvent) -> bool:
        return event.dispatched_at is not None


@admin.register(ScheduledJob)
class ScheduledJobAdmin(ReadOnlyAdmin):
    """The periodic jobs the in-process scheduler of embedded mode runs: when each last ran,
    who runs it now and its last error (docs/deploy.md)."""

    list_display = ["name", "last_run_at", "last_finished_at", "run_count", "lease_owner"]
    ordering = ["name"]
    readonly_fields = [
        "name",
        "last_run_at",
        "last_finished_at",
        "run_count",
        "lease_owner",
        "lease_expires_at",
        "last_error",
    ]
    fields = readonly_fields
