"""The inbox's filters."""

from django import forms
from django.utils.translation import gettext_lazy as _

from kesheng.commerce.models import Store
from kesheng.feedback.models import FeedbackSource, SentimentLabel
from kesheng.feedback.queries import FeedbackFilters


class InboxFilterForm(forms.Form):
    """Filters of the feedback inbox; the store choices are the stores the person may see."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    source = forms.ChoiceField(
        label=_("Source"),
        required=False,
        choices=[("", _("All sources")), *FeedbackSource.choices],
    )
    sentiment = forms.ChoiceField(
        label=_("Sentiment"),
        required=False,
        choices=[("", _("Any sentiment")), *SentimentLabel.choices],
    )
    store = forms.ModelChoiceField(
        label=_("Store"),
        queryset=Store.objects.none(),
        required=False,
        empty_label=_("All stores"),
        to_field_name="code",
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, store_ids=None, **kwargs):
        super().__init__(*args, **kwargs)
        stores = Store.objects.order_by("code")
        if store_ids is not None:
            stores = stores.filter(pk__in=sorted(store_ids))
        self.fields["store"].queryset = stores  # type: ignore[attr-defined]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end must be on or after the start."))
        return cleaned

    def filters(self) -> FeedbackFilters:
        """The valid filters (none when the form is not valid)."""
        if not self.is_bound or not self.is_valid():
            return FeedbackFilters()
        data = self.cleaned_data
        return FeedbackFilters(
            source=data["source"],
            sentiment=data["sentiment"],
            store_id=data["store"].pk if data["store"] else None,
            date_from=data["date_from"],
            date_to=data["date_to"],
            search=data["q"].strip(),
        )
