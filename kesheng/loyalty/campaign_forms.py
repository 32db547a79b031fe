"""The campaign builder's form: who (a saved segment, or rules as JSON), the window, the
offer, the message in both languages and the control share (docs/loyalty.md)."""

import json
from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kesheng.loyalty.actions.grants import GIFTABLE_KINDS
from kesheng.loyalty.models import OfferKind, Reward
from kesheng.messaging.models import MessageChannel

PLACEHOLDER_HELP = _(
    "Placeholders: {name} (the member's name), {points}, {reward}, {coupon_code}, {ends_on}, "
    "{campaign}."
)


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    segment = forms.ModelChoiceField(
        label=_("Segment"),
        queryset=None,
        required=False,
        help_text=_(
            "The audience: a saved segment (rules on tier, RFM, spend, last order, tags…)."
        ),
    )
    rules_json = forms.CharField(
        label=_("…or rules as JSON"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "mono"}),
        help_text=_(
            "Used instead of the segment, e.g. "
            '{"all": [{"field": "loyalty.tier", "op": "in", "value": ["gold", "diamond"]}]}'
        ),
    )
    starts_on = forms.DateField(
        label=_("Window starts"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=_("Window ends"), widget=forms.DateInput(attrs={"type": "date"})
    )
    offer_kind = forms.ChoiceField(label=_("Offer"), choices=OfferKind.choices)
    bonus_points = forms.IntegerField(label=_("Bonus points"), required=False, min_value=1)
    reward = forms.ModelChoiceField(label=_("Coupon reward"), queryset=None, required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=MessageChannel.choices)
    subject_zh = forms.CharField(label=_("Subject (Chinese)"), max_length=200, required=False)
    body_zh = forms.CharField(
        label=_("Message (Chinese)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=PLACEHOLDER_HELP,
    )
    subject_en = forms.CharField(label=_("Subject (English)"), max_length=200, required=False)
    body_en = forms.CharField(
        label=_("Message (English)"), widget=forms.Textarea(attrs={"rows": 3})
    )
    control_percent = forms.DecimalField(
        label=_("Control group (%)"),
        min_value=0,
        max_value=90,
        decimal_places=1,
        initial=10,
        help_text=_("Held out at random (reproducibly) and given nothing, to measure the effect."),
    )

    def __init__(self, *args, **kwargs):
        from kesheng.customers.queries import list_segments

        super().__init__(*args, **kwargs)
        self.fields["segment"].queryset = list_segments()
        self.fields["reward"].queryset = Reward.objects.filter(
            is_active=True, kind__in=GIFTABLE_KINDS
        ).order_by("position", "pk")
        if not self.is_bound:
            today = timezone.localdate()
            self.initial.setdefault("starts_on", today)
            self.initial.setdefault("ends_on", today + timedelta(days=30))

    def clean_rules_json(self):
        text = self.cleaned_data["rules_json"].strip()
        if not text:
            return None
        try:
            return json.loads(text)
        except ValueError as error:
            raise forms.ValidationError(
                _("not valid JSON: %(reason)s") % {"reason": error}
            ) from None

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("segment") and not cleaned.get("rules_json"):
            self.add_error("segment", _("choose a segment or write rules"))
        return cleaned

    def rules(self):
        return self.cleaned_data.get("rules_json") or (
            self.cleaned_data["segment"].rules if self.cleaned_data.get("segment") else None
        )

    def values(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "description": data.get("description") or "",
            "rules": self.rules(),
            "starts_on": data["starts_on"],
            "ends_on": data["ends_on"],
            "offer_kind": data["offer_kind"],
            "bonus_points": data.get("bonus_points"),
            "reward": data.get("reward"),
            "channel": data["channel"],
            "subject_zh": data.get("subject_zh") or "",
            "body_zh": data["body_zh"],
            "subject_en": data.get("subject_en") or "",
            "body_en": data["body_en"],
            "control_share": data["control_percent"] / 100,
        }

    def show_errors(self, errors) -> None:
        """Put an action's field errors on the form's fields."""
        names = {"control_share": "control_percent", "rules": "rules_json"}
        for error in errors:
            name = names.get(error.field.split(".")[0].split("[")[0], error.field)
            self.add_error(
                name if name in self.fields else None,
                f"{error.field}: {error.reason}" if name == "rules_json" else error.reason,
            )
