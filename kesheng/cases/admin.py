from django import forms
from django.contrib import admin

from kesheng.cases.actions import check_policy_terms
from kesheng.cases.models import Case, CaseEvent, SlaPolicy


class SlaPolicyForm(forms.ModelForm):
    class Meta:
        model = SlaPolicy
        fields = (
            "name",
            "position",
            "category",
            "urgency",
            "first_response_minutes",
            "resolution_minutes",
            "business_hours",
            "holidays",
            "make_up_days",
            "is_active",
        )

    def clean(self):
        cleaned = super().clean()
        for error in check_policy_terms(
            business_hours=cleaned.get("business_hours"),
            holidays=cleaned.get("holidays"),
            make_up_days=cleaned.get("make_up_days"),
        ):
            self.add_error(error.field if error.field in self.fields else None, error.reason)
        return cleaned


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    form = SlaPolicyForm
    list_display = (
        "name",
        "position",
        "category",
        "urgency",
        "first_response_minutes",
        "resolution_minutes",
        "is_active",
    )
    list_editable = ("position", "is_active")


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    readonly_fields = ("kind", "actor", "created_at", "from_value", "to_value", "text", "data")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Read-only here: changes go through the case page, so each is recorded and emitted."""

    list_display = ("id", "opened_at", "category", "urgency", "status", "store", "assignee")
    list_filter = ("status", "urgency", "category")
    raw_id_fields = ("customer", "feedback_item", "response", "store", "assignee")
    inlines = [CaseEventInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
