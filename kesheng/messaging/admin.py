"""Back office for the outbox: read-only (messages are written by actions, never by hand)."""

from django.contrib import admin

from kesheng.core.admin import ReadOnlyAdmin
from kesheng.messaging.models import Message


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "channel",
        "purpose",
        "recipient",
        "subject",
        "status",
        "attempts",
    ]
    list_filter = ["status", "channel", "purpose", "language"]
    search_fields = [
        "recipient",
        "subject",
        "idempotency_key",
        "reference",
        "customer__customer_id",
    ]
    list_select_related = ["customer"]
    date_hierarchy = "created_at"
