"""Back office for channels, touchpoints (placing them on the journey) and events (read-only)."""

from django.contrib import admin

from kesheng.core.admin import ReadOnlyAdmin
from kesheng.tracking.models import Channel, Event, Touchpoint


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "kind", "sort_order"]
    list_editable = ["sort_order"]
    list_filter = ["kind"]
    search_fields = ["code", "name_zh", "name_en"]


@admin.register(Touchpoint)
class TouchpointAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "channel", "journey_stage", "sort_order"]
    # A touchpoint first seen in an event arrives "unassigned"; staff place it here.
    list_editable = ["journey_stage", "sort_order"]
    list_filter = ["journey_stage", "channel"]
    list_select_related = ["channel"]
    search_fields = ["code", "name_zh", "name_en"]


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "type", "customer", "channel", "touchpoint", "occurred_at"]
    list_filter = ["channel", "touchpoint__journey_stage", "touchpoint"]
    search_fields = ["=event_id", "=customer__customer_id", "=type"]
    list_select_related = ["customer", "channel", "touchpoint"]
    ordering = ["-occurred_at", "-id"]
