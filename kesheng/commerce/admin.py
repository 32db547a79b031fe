"""Back office for stores, staff members and products (edited here) and orders (read-only:
they arrive through the API and imports, idempotent on order_id, and emit ``order.placed``)."""

from django.contrib import admin

from kesheng.commerce.models import (
    Order,
    OrderLine,
    OrderRefund,
    Product,
    StaffMember,
    Store,
    StoreAccess,
)
from kesheng.core.admin import ReadOnlyAdmin


class StoreAccessInline(admin.TabularInline):
    """The staff members who see this store (store managers see only their stores)."""

    model = StoreAccess
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    inlines = [StoreAccessInline]
    list_display = ["code", "name_zh", "name_en", "city", "region", "is_active", "opened_on"]
    list_filter = ["is_active", "region", "city"]
    search_fields = ["code", "name_zh", "name_en", "city"]


@admin.register(StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):
    """The people who serve customers (not users of Kesheng); many at once with
    ``kesheng import staff FILE``."""

    list_display = ["code", "name", "store", "is_active", "created_at"]
    list_filter = ["is_active", "store"]
    search_fields = ["=code", "name", "store__code"]
    list_select_related = ["store"]
    autocomplete_fields = ["store"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name_zh", "name_en", "category", "price", "currency"]
    list_filter = ["category", "currency"]
    search_fields = ["sku", "name_zh", "name_en"]


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    fields = ["sku", "product", "quantity", "unit_price", "amount"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = [
        "order_id",
        "customer",
        "ordered_at",
        "amount",
        "currency",
        "status",
        "store",
        "channel",
    ]
    list_filter = ["status", "channel", "store", "currency"]
    search_fields = ["=order_id", "=customer__customer_id"]
    list_select_related = ["customer", "store", "channel"]
    ordering = ["-ordered_at", "-id"]
    inlines = [OrderLineInline]


@admin.register(OrderLine)
class OrderLineAdmin(ReadOnlyAdmin):
    list_display = ["order", "sku", "quantity", "unit_price", "amount"]
    search_fields = ["=order__order_id", "=sku"]
    list_select_related = ["order"]


@admin.register(OrderRefund)
class OrderRefundAdmin(ReadOnlyAdmin):
    """Refunds arrive through the API (idempotent on refund_id) and emit ``order.refunded``."""

    list_display = ["order", "refund_id", "amount", "refunded_at", "reason"]
    search_fields = ["=order__order_id", "=refund_id"]
    list_select_related = ["order"]


@admin.register(StoreAccess)
class StoreAccessAdmin(admin.ModelAdmin):
    list_display = ["user", "store"]
    list_filter = ["store"]
    search_fields = ["user__username", "store__code", "store__name_zh"]
    autocomplete_fields = ["user", "store"]
