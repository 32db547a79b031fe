"""The inbox's filters and the public complaint form."""

import re
import secrets

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kesheng.commerce.models import Store
from kesheng.commerce.queries import list_active_stores
from kesheng.customers.identity import normalize_phone
from kesheng.feedback.actions import ComplaintInput
from kesheng.feedback.models import FeedbackSource, SentimentLabel
from kesheng.feedback.photos import MAX_PHOTO_BYTES, CheckedPhoto, PhotoRefused, check_photo
from kesheng.feedback.queries import FeedbackFilters
from kesheng.feedback.text.categories import active_taxonomy


def category_choices() -> list[tuple[str, str]]:
    """The taxonomy's categories labelled in the page's language."""
    language = get_language() or "zh-hans"
    return [(category.key, category.label(language)) for category in active_taxonomy().categories]


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
    category = forms.ChoiceField(label=_("Category"), required=False)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    rating_min = forms.FloatField(label=_("Rating from"), required=False, min_value=0, max_value=10)
    rating_max = forms.FloatField(label=_("Rating to"), required=False, min_value=0, max_value=10)
    tag = forms.CharField(label=_("Tag"), required=False, max_length=40)

    def __init__(self, *args, store_ids=None, **kwargs):
        super().__init__(*args, **kwargs)
        stores = Store.objects.order_by("code")
        if store_ids is not None:
            stores = stores.filter(pk__in=sorted(store_ids))
        self.fields["store"].queryset = stores  # type: ignore[attr-defined]
        self.fields["category"].choices = [  # type: ignore[attr-defined]
            ("", _("All categories")),
            *category_choices(),
        ]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end must be on or after the start."))
        low, high = cleaned.get("rating_min"), cleaned.get("rating_max")
        if low is not None and high is not None and low > high:
            self.add_error("rating_max", _("The highest rating must be at least the lowest."))
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
            category=data["category"],
            rating_min=data.get("rating_min"),
            rating_max=data.get("rating_max"),
            tag=" ".join((data.get("tag") or "").split()),
        )


class CorrectionForm(forms.Form):
    """A person's reading of an item: its categories and its sentiment. Only what differs
    from the item's current values is sent to the correction."""

    categories = forms.MultipleChoiceField(
        label=_("Categories"), required=False, widget=forms.CheckboxSelectMultiple
    )
    # Blank keeps the analysis' sentiment (an item still waiting for analysis has none).
    sentiment = forms.ChoiceField(
        label=_("Sentiment"),
        required=False,
        choices=[("", _("as analysed")), *SentimentLabel.choices],
    )

    def __init__(self, *args, item, **kwargs):
        initial = {"categories": list(item.categories or []), "sentiment": item.sentiment}
        super().__init__(*args, initial=initial, **kwargs)
        self.item = item
        self.fields["categories"].choices = category_choices()  # type: ignore[attr-defined]

    def changes(self) -> tuple[list[str] | None, str | None]:
        """(categories, sentiment) that differ from the item's; None where unchanged."""
        data = self.cleaned_data
        categories = active_taxonomy().order(data["categories"])
        changed_categories = (
            categories
            if categories != active_taxonomy().order(self.item.categories or [])
            else None
        )
        changed_sentiment = (
            data["sentiment"]
            if data["sentiment"] and data["sentiment"] != self.item.sentiment
            else None
        )
        return changed_categories, changed_sentiment


class BulkTagForm(forms.Form):
    """Add a tag to, or take it off, the items ticked in the inbox."""

    items = forms.TypedMultipleChoiceField(coerce=int, label=_("Items"))
    tag = forms.CharField(label=_("Tag"), max_length=40)
    action = forms.ChoiceField(
        label=_("Action"),
        choices=[("add", _("Add the tag")), ("remove", _("Remove the tag"))],
        initial="add",
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any whole numbers: which items the person may tag is the action's check.
        values = self.data.getlist("items") if hasattr(self.data, "getlist") else []
        self.fields["items"].choices = [  # type: ignore[attr-defined]
            (value, value) for value in values if str(value).isdigit()
        ]


COMPLAINT_TEXT_MIN, COMPLAINT_TEXT_MAX = 5, 5000
_FORM_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class ComplaintForm(forms.Form):
    """The public complaint form. Only ``text`` is required; asking to be contacted needs a
    phone or an email, and leaving any contact detail needs the consent box ticked."""

    text = forms.CharField(
        label=_("What happened?"),
        min_length=COMPLAINT_TEXT_MIN,
        max_length=COMPLAINT_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("Please tell us what happened.")},
    )
    store = forms.ModelChoiceField(
        label=_("Store"),
        queryset=Store.objects.none(),
        required=False,
        empty_label=_("Not about a store, or I don't know"),
        to_field_name="code",
    )
    order_number = forms.CharField(label=_("Order number"), required=False, max_length=100)
    contact_name = forms.CharField(label=_("Your name"), required=False, max_length=100)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=40)
    email = forms.EmailField(label=_("Email"), required=False, max_length=254)
    contact_requested = forms.BooleanField(
        label=_("Please contact me about this complaint"), required=False
    )
    consent_to_contact = forms.BooleanField(
        label=_(
            "I agree that my name, phone and email are kept and used only to handle this complaint."
        ),
        required=False,
    )
    photo = forms.FileField(label=_("Photo (optional)"), required=False)
    key = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = list_active_stores()  # type: ignore[attr-defined]

    def clean_phone(self) -> str | None:
        phone = self.cleaned_data["phone"].strip()
        if not phone:
            return None
        try:
            return normalize_phone(phone)
        except ValueError:
            raise forms.ValidationError(_("Please enter a valid phone number.")) from None

    def clean_email(self) -> str | None:
        return self.cleaned_data["email"].strip().lower() or None

    def clean_photo(self) -> CheckedPhoto | None:
        upload = self.cleaned_data.get("photo")
        if not upload:
            return None
        if upload.size > MAX_PHOTO_BYTES:
            raise forms.ValidationError(
                _("The photo is larger than %(size)s MB.") % {"size": MAX_PHOTO_BYTES // 2**20}
            )
        try:
            return check_photo(upload.read())
        except PhotoRefused as refused:
            if refused.code == "too_many_pixels":
                raise forms.ValidationError(_("The photo has too many pixels.")) from None
            raise forms.ValidationError(_("Please choose a JPEG, PNG or WebP photo.")) from None

    def clean_key(self) -> str:
        key = self.cleaned_data["key"]
        # A form sent without its key (a script, a stale page) still gets a complaint of its own.
        return key if _FORM_KEY.match(key) else secrets.token_urlsafe(24)

    def clean(self):
        cleaned = super().clean()
        phone, email = cleaned.get("phone"), cleaned.get("email")
        reachable = phone or email
        typed_badly = self.has_error("phone") or self.has_error("email")
        if cleaned.get("contact_requested") and not reachable and not typed_badly:
            self.add_error(
                "phone", _("Please give a phone number or an email so we can contact you.")
            )
        has_details = reachable or cleaned.get("contact_name")
        if has_details and not cleaned.get("consent_to_contact"):
            self.add_error(
                "consent_to_contact",
                _("Please agree, or leave your name, phone and email empty."),
            )
        return cleaned

    def complaint(self, *, language: str) -> ComplaintInput:
        data = self.cleaned_data
        return ComplaintInput(
            form_key=data["key"],
            text=data["text"].strip(),
            language=language,
            store=data["store"].code if data["store"] else None,
            order_number=data["order_number"].strip(),
            contact_name=data["contact_name"].strip(),
            phone=data["phone"],
            email=data["email"],
            contact_requested=data["contact_requested"],
            consent_to_contact=data["consent_to_contact"],
            photo=data["photo"],
        )
