"""Forms of the analytics staff pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from kesheng.analytics.models import WinBackSelection
from kesheng.analytics.winback import DEFAULT_CONTROL_SHARE, DEFAULT_WINDOW_DAYS, MAX_WINDOW_DAYS
from kesheng.analytics.winback_actions import MAX_TOP


class WinBackListForm(forms.Form):
    """ "Create win-back segment": which at-risk customers, and how many to hold out."""

    name = forms.CharField(label=_("Segment name"), max_length=120)
    selection = forms.ChoiceField(
        label=_("Customers"), choices=WinBackSelection.choices, initial=WinBackSelection.TOP
    )
    top = forms.IntegerField(
        label=_("Riskiest N"), min_value=1, max_value=MAX_TOP, required=False, initial=100
    )
    min_risk = forms.FloatField(
        label=_("Churn risk at least"), min_value=0.01, max_value=1, required=False, initial=0.5
    )
    control_percent = forms.FloatField(
        label=_("Control group (%)"),
        min_value=0,
        max_value=50,
        initial=round(DEFAULT_CONTROL_SHARE * 100),
        help_text=_("Held out: they get nothing, so the win-back rate has a comparison."),
    )
    seed = forms.IntegerField(
        label=_("Seed of the control split"),
        min_value=0,
        required=False,
        help_text=_("Leave empty for a random one; the same seed gives the same split."),
    )

    def clean(self):
        data = super().clean()
        selection = data.get("selection")
        if selection == WinBackSelection.TOP and data.get("top") is None:
            self.add_error("top", _("Give how many customers."))
        if selection == WinBackSelection.MIN_RISK and data.get("min_risk") is None:
            self.add_error("min_risk", _("Give the lowest churn risk."))
        return data


class WinBackResultForm(forms.Form):
    days = forms.IntegerField(
        label=_("Ordered again within (days)"),
        min_value=1,
        max_value=MAX_WINDOW_DAYS,
        initial=DEFAULT_WINDOW_DAYS,
        required=False,
    )
