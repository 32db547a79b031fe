"""Back office: the programme's tiers and members, read-only (they come from the programme
file, ``kesheng loyalty configure``, and from orders and reviews)."""

from django.contrib import admin

from kesheng.core.admin import ReadOnlyAdmin
from kesheng.loyalty.models import Membership, Tier, TierChange


@admin.register(Tier)
class TierAdmin(ReadOnlyAdmin):
    list_display = ["code", "name_zh", "name_en", "threshold", "points_multiplier", "is_active"]
    list_filter = ["is_active"]


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ["customer", "tier", "since", "qualified_value", "grace_ends_at"]
    list_filter = ["tier"]
    list_select_related = ["customer", "tier"]
    search_fields = ["customer__customer_id", "customer__name"]


@admin.register(TierChange)
class TierChangeAdmin(ReadOnlyAdmin):
    list_display = ["customer", "from_tier", "to_tier", "reason", "qualifying_value", "changed_at"]
    list_filter = ["reason", "to_tier"]
    list_select_related = ["customer", "from_tier", "to_tier"]
    search_fields = ["customer__customer_id"]
