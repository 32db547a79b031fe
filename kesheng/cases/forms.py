"""The case queue's filters and the case page's action forms."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from kesheng.cases.models import CaseCategory, CaseStatus, ReplyTemplate, Urgency
from kesheng.cases.queries import OPEN, CaseFilters
from kesheng.commerce.models import Store


def _staff():
    return get_user_model().objects.filter(is_active=True, is_staff=True).order_by("username")


def _stores(store_ids):
    stores = Store.objects.order_by("code")
    if store_ids is not None:
        stores = stores.filter(pk__in=sorted(store_ids))
    return stores


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.get_username()


MINE, MY_TEAM, BREACHING = "mine", "team", "breaching"
DEFAULT_BREACHING_HOURS = 4


class CaseFilterForm(forms.Form):
    """Filters of the case queue; the store choices are the stores the person may see. The
    views are relative to the person looking (``user``): their cases, their teams' cases, or
    the cases about to miss a deadline."""

    view = forms.ChoiceField(
        label=_("View"),
        required=False,
        choices=[
            ("", _("All cases")),
            (MINE, _("Mine")),
            (MY_TEAM, _("My team")),
            (BREACHING, _("Breaching soon")),
        ],
    )
    hours = forms.IntegerField(
        label=_("Breaching within (hours)"),
        required=False,
        min_value=1,
        max_value=24 * 7,
        help_text=_(
            "A deadline due within this many hours (default 4), or with three quarters of its "
            "time gone."
        ),
    )

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), (OPEN, _("Open")), *CaseStatus.choices],
    )
    urgency = forms.ChoiceField(
        label=_("Urgency"), required=False, choices=[("", _("Any urgency")), *Urgency.choices]
    )
    store = forms.ModelChoiceField(
        label=_("Store"),
        queryset=Store.objects.none(),
        required=False,
        empty_label=_("All stores"),
        to_field_name="code",
    )
    assignee = StaffChoiceField(
        label=_("Assignee"), queryset=_staff(), required=False, empty_label=_("Anyone")
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args, store_ids=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["store"].queryset = _stores(store_ids)  # type: ignore[attr-defined]
        self.fields["assignee"].queryset = _staff()  # type: ignore[attr-defined]

    def filters(self) -> CaseFilters:
        """The valid filters; unbound, the open cases."""
        if not self.is_bound:
            return CaseFilters(status=OPEN)
        if not self.is_valid():
            return CaseFilters()
        data = self.cleaned_data
        view = data["view"]
        user_id = self.user.pk if self.user is not None else None
        assignee_id = data["assignee"].pk if data["assignee"] else None
        if view == MINE:
            assignee_id = user_id if user_id is not None else -1
        return CaseFilters(
            status=data["status"],
            urgency=data["urgency"],
            store_id=data["store"].pk if data["store"] else None,
            assignee_id=assignee_id,
            is_overdue=data["overdue"],
            team_of_user_id=(user_id if user_id is not None else -1) if view == MY_TEAM else None,
            breaching_within_hours=(data["hours"] or DEFAULT_BREACHING_HOURS)
            if view == BREACHING
            else None,
        )


class NewCaseForm(forms.Form):
    customer_id = forms.CharField(label=_("Customer id"), required=False, max_length=64)
    category = forms.ChoiceField(label=_("Category"), choices=CaseCategory.choices)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.P3)
    store = forms.ModelChoiceField(
        label=_("Store"),
        queryset=Store.objects.none(),
        required=False,
        empty_label=_("No store"),
        to_field_name="code",
    )
    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, store_ids=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = _stores(store_ids)  # type: ignore[attr-defined]
        if store_ids is not None:
            # A store manager opens cases for their own stores only.
            self.fields["store"].required = True


class AssignForm(forms.Form):
    assignee = StaffChoiceField(
        label=_("Assignee"), queryset=_staff(), required=False, empty_label=_("Nobody")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = _staff()  # type: ignore[attr-defined]


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=CaseStatus.choices)
    note = forms.CharField(
        label=_("Note (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class UrgencyForm(forms.Form):
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices)


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 4}))
    is_reply = forms.BooleanField(
        label=_("This is a reply to the customer (not an internal note)"), required=False
    )


class ReplyForm(forms.Form):
    """A reply to the customer, sent by email or SMS (or recorded only)."""

    template = forms.ModelChoiceField(
        label=_("Reply template"),
        queryset=ReplyTemplate.objects.none(),
        required=False,
        empty_label=_("No template"),
        to_field_name="key",
    )
    channel = forms.ChoiceField(
        label=_("Send by"),
        choices=[
            ("auto", _("email, else SMS")),
            ("email", _("email")),
            ("sms", _("SMS")),
            ("none", _("do not send (told by phone or in person)")),
        ],
        initial="auto",
    )
    subject = forms.CharField(label=_("Subject (email)"), required=False, max_length=200)
    text = forms.CharField(
        label=_("Reply"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Placeholders: {customer_name}, {case_number}, {store}, {agent_name}, {category}. "
            "Empty with a template: the template's text."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = ReplyTemplate.objects.filter(  # type: ignore[attr-defined]
            is_active=True
        )
