"""Back office: the programme's tiers and members, read-only (they come from the programme
file, ``kesheng loyalty configure``, and from orders and reviews)."""

from django.contrib import admin

from kesheng.core.admin import ReadOnlyAdmin
from kesheng.loyalty.models import (
    Coupon,
    Membership,
    PointsAccount,
    PointsLot,
    PointsTransaction,
    Reward,
    Tier,
    TierChange,
)


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


# The ledger is written only by its actions (docs/loyalty.md): read-only here too.
@admin.register(PointsAccount)
class PointsAccountAdmin(ReadOnlyAdmin):
    list_display = ["customer", "balance", "pending", "updated_at"]
    list_select_related = ["customer"]
    search_fields = ["customer__customer_id"]


@admin.register(PointsTransaction)
class PointsTransactionAdmin(ReadOnlyAdmin):
    list_display = [
        "customer",
        "kind",
        "points",
        "balance_after",
        "order_id",
        "created_by",
        "created_at",
    ]
    list_filter = ["kind"]
    list_select_related = ["customer"]
    search_fields = ["customer__customer_id", "request_no", "order_id"]


@admin.register(PointsLot)
class PointsLotAdmin(ReadOnlyAdmin):
    list_display = ["customer", "points", "remaining", "is_pending", "available_at", "expires_at"]
    list_filter = ["is_pending"]
    list_select_related = ["customer"]
    search_fields = ["customer__customer_id", "order_id"]


# Rewards come from the programme file and coupons from redemptions and burns (their actions
# keep stock and the ledger exact): read-only here.
@admin.register(Reward)
class RewardAdmin(ReadOnlyAdmin):
    list_display = [
        "code",
        "name_zh",
        "name_en",
        "kind",
        "points",
        "cash",
        "stock",
        "redeemed",
        "per_member_limit",
        "is_active",
        "starts_at",
        "ends_at",
    ]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name_zh", "name_en"]


@admin.register(Coupon)
class CouponAdmin(ReadOnlyAdmin):
    list_display = [
        "code",
        "reward",
        "customer",
        "state",
        "issued_at",
        "valid_until",
        "burned_at",
        "burned_order_id",
    ]
    list_filter = ["state", "reward"]
    list_select_related = ["reward", "customer"]
    search_fields = ["code", "customer__customer_id", "burned_order_id"]
