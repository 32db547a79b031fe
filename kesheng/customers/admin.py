"""Back office for customers. Profile fields and tags are edited here; identities, consent and
merges are shown read-only, because they change only through identity resolution and
``set_consent`` (which record where a decision came from and emit their domain events)."""

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from kesheng.core.admin import ReadOnlyAdmin
from kesheng.customers.models import Consent, Customer, CustomerMerge, Identity, Segment, Tag


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class IdentityInline(ReadOnlyInline):
    model = Identity
    fields = ["kind", "value", "source", "first_seen_at", "last_seen_at"]
    readonly_fields = fields


class ConsentInline(ReadOnlyInline):
    model = Consent
    fields = ["channel", "purpose", "is_granted", "source", "recorded_at"]
    readonly_fields = fields


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["customer_id", "name", "gender", "city", "signed_up_at", "created_at"]
    list_filter = ["gender", "income_band", "tags", "city"]
    search_fields = ["customer_id", "name", "=identities__value"]
    filter_horizontal = ["tags"]
    inlines = [IdentityInline, ConsentInline]
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["customer_id", "name", "tags"]}),
        (
            _("Demographics"),
            {"fields": ["gender", "birthday", "city", "occupation", "income_band"]},
        ),
        (_("History"), {"fields": ["signed_up_at", "created_at", "updated_at", "attributes"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        # The public id is what integrators send; changing it would orphan their references.
        fixed = ["created_at", "updated_at"]
        return [*fixed, "customer_id"] if obj is not None else fixed

    def has_add_permission(self, request) -> bool:
        # New customers arrive through identity resolution (API, import), never by hand,
        # so they cannot duplicate someone who already exists.
        return False


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "customer_count"]
    search_fields = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(customer_total=Count("customers"))

    @admin.display(description=_("customers"), ordering="customer_total")
    def customer_count(self, tag: Tag) -> int:
        return tag.customer_total


@admin.register(Identity)
class IdentityAdmin(ReadOnlyAdmin):
    list_display = ["kind", "value", "customer", "source", "last_seen_at"]
    list_filter = ["kind"]
    search_fields = ["=value", "=customer__customer_id"]
    list_select_related = ["customer"]


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    list_display = ["customer", "channel", "purpose", "is_granted", "source", "recorded_at"]
    list_filter = ["channel", "purpose", "is_granted"]
    search_fields = ["=customer__customer_id"]
    list_select_related = ["customer"]


@admin.register(CustomerMerge)
class CustomerMergeAdmin(ReadOnlyAdmin):
    list_display = ["merged_customer_id", "surviving_customer", "reason", "merged_at", "merged_by"]
    search_fields = ["=merged_customer_id", "=surviving_customer__customer_id"]
    list_select_related = ["surviving_customer", "merged_by"]


@admin.register(Segment)
class SegmentAdmin(ReadOnlyAdmin):
    """Segments are built on their own pages (/customers/segments/), which check the rules;
    the admin only shows them."""

    list_display = ["name", "member_count", "counted_at", "created_by", "updated_at"]
    search_fields = ["name", "description"]
    readonly_fields = ["name", "description", "rules", "member_count", "counted_at", "created_by"]
