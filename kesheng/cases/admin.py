from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from kesheng.cases.actions import check_policy_terms
from kesheng.cases.actions.replies import check_template_text
from kesheng.cases.models import (
    AgentAvailability,
    Case,
    CaseCategory,
    CaseEvent,
    ReplyTemplate,
    SlaPolicy,
    Team,
)


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


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = (
            "name",
            "lead",
            "members",
            "stores",
            "categories",
            "max_open_cases_per_agent",
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
        categories = cleaned.get("categories") or []
        if not isinstance(categories, list) or any(
            value not in CaseCategory.values for value in categories
        ):
            self.add_error(
                "categories",
                _("must be a list of case categories: %(allowed)s")
                % {"allowed": ", ".join(CaseCategory.values)},
            )
        return cleaned


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    form = TeamForm
    list_display = ("name", "lead", "max_open_cases_per_agent", "is_active")
    filter_horizontal = ("members", "stores")


@admin.register(AgentAvailability)
class AgentAvailabilityAdmin(admin.ModelAdmin):
    list_display = ("user", "is_away", "max_open_cases")
    list_editable = ("is_away", "max_open_cases")


class ReplyTemplateForm(forms.ModelForm):
    class Meta:
        model = ReplyTemplate
        fields = ("key", "name", "subject", "body", "is_active")

    def clean(self):
        cleaned = super().clean()
        for field in ("subject", "body"):
            for error in check_template_text(cleaned.get(field) or "", field):
                self.add_error(field, error.reason)
        return cleaned


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(admin.ModelAdmin):
    form = ReplyTemplateForm
    list_display = ("name", "key", "is_active")
