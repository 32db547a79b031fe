"""The forms of the reports: dashboard and report filters, the cross-tab, the sample-size
planner."""

from datetime import date, timedelta
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kesheng.analytics.metrics import METRICS
from kesheng.analytics.queries import CROSS_CHOICES, MetricFilters
from kesheng.commerce.models import Store
from kesheng.customers.models import Segment
from kesheng.reports.documents import metric_names
from kesheng.surveys.models import Survey
from kesheng.tracking.models import Channel


def last_month() -> tuple[date, date]:
    """The previous calendar month in the business time zone."""
    first_of_this_month = timezone.localdate().replace(day=1)
    last_day = first_of_this_month - timedelta(days=1)
    return last_day.replace(day=1), last_day


def store_field() -> forms.ModelChoiceField:
    """A store choice by code; its choices are set per person by ``limit_stores``."""
    return forms.ModelChoiceField(
        label=_("Store"),
        queryset=Store.objects.none(),
        required=False,
        empty_label=_("All stores"),
        to_field_name="code",
    )


def survey_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=_("Survey"),
        queryset=Survey.objects.order_by("title"),
        required=False,
        empty_label=_("All surveys"),
    )


def limit_stores(form: forms.Form, store_ids, *names: str) -> None:
    """Offer only the stores the person may see (``store_ids`` None: every store)."""
    stores = Store.objects.order_by("code")
    if store_ids is not None:
        stores = stores.filter(pk__in=store_ids)
    for name in names:
        form.fields[name].queryset = stores  # type: ignore[attr-defined]


class CxReportForm(forms.Form):
    date_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    file_format = forms.ChoiceField(
        label=_("Format"), choices=[("pdf", "PDF"), ("xlsx", "Excel (XLSX)")], initial="pdf"
    )
    survey = survey_field()
    language = forms.ChoiceField(
        label=_("Language"), choices=[("zh-hans", "简体中文"), ("en", "English")]
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end must be on or after the start."))
        return cleaned

    def filters(self) -> MetricFilters:
        survey = self.cleaned_data.get("survey")
        return MetricFilters(
            survey_ids=(survey.pk,) if survey else (),
            date_from=self.cleaned_data["date_from"],
            date_to=self.cleaned_data["date_to"],
        )


class LoyaltyReportForm(forms.Form):
    """The loyalty report's period (the previous month by default)."""

    date_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end must be on or after the start."))
        return cleaned


def default_dashboard_period() -> tuple[date, date]:
    """The last 30 days up to today, in the business time zone."""
    today = timezone.localdate()
    return today - timedelta(days=29), today


class DashboardFilterForm(forms.Form):
    """The dashboard's filters; the store choices are the stores the person may see."""

    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    survey = survey_field()
    store = store_field()
    channel = forms.ModelChoiceField(
        label=_("Channel"),
        queryset=Channel.objects.order_by("code"),
        required=False,
        empty_label=_("All channels"),
        to_field_name="code",
    )
    segment = forms.ModelChoiceField(
        label=_("Segment"),
        queryset=Segment.objects.order_by("name"),
        required=False,
        empty_label=_("All customers"),
    )

    def __init__(self, *args, store_ids=None, **kwargs):
        super().__init__(*args, **kwargs)
        limit_stores(self, store_ids, "store")

    def clean(self):
        cleaned = super().clean()
        start, end = default_dashboard_period()
        cleaned["date_from"] = cleaned.get("date_from") or start
        cleaned["date_to"] = cleaned.get("date_to") or end
        if cleaned["date_from"] > cleaned["date_to"]:
            self.add_error("date_to", _("The end must be on or after the start."))
        return cleaned

    def filters(self) -> MetricFilters:
        data = self.cleaned_data if self.is_valid() else {}
        start, end = default_dashboard_period()
        survey, store = data.get("survey"), data.get("store")
        channel, segment = data.get("channel"), data.get("segment")
        return MetricFilters(
            survey_ids=(survey.pk,) if survey else (),
            date_from=data.get("date_from") or start,
            date_to=data.get("date_to") or end,
            store_codes=(store.code,) if store else (),
            channel_codes=(channel.code,) if channel else (),
            segment_id=segment.pk if segment else None,
        )


# The names people read for the breakdowns of a cross-tab (question:NAME is for the CLI and the
# API, which take free text); a breakdown without a name here shows its code.
BREAKDOWN_NAMES = {
    "store": _("Store"),
    "city": _("City"),
    "staff": _("Staff member"),
    "tier": _("Loyalty tier"),
    "segment": _("Customer segment"),
    "channel": _("Channel"),
    "touchpoint": _("Touchpoint"),
    "survey": _("Survey"),
    "language": _("Language"),
    "day": _("Day"),
    "week": _("Week"),
    "month": _("Month"),
}


def breakdown_choices() -> list[tuple[str, str]]:
    return [
        (name, BREAKDOWN_NAMES.get(name, name))
        for name in CROSS_CHOICES
        if not name.startswith("question:")
    ]


class CrossTabForm(DashboardFilterForm):
    """The dashboard's filters, the metric, and the two breakdowns: ``by`` for the rows and
    ``cross`` for the columns, as in the CLI and the API. Every field may be left out (the
    metric is then NPS, the rows stores and the columns months)."""

    DEFAULTS = {"metric": "nps", "by": "store", "cross": "month"}

    metric = forms.ChoiceField(label=_("Metric"), choices=[], required=False)
    by = forms.ChoiceField(label=_("Rows"), choices=breakdown_choices, required=False)
    cross = forms.ChoiceField(label=_("Columns"), choices=breakdown_choices, required=False)

    field_order = ["metric", "by", "cross"]

    def __init__(self, *args, store_ids=None, **kwargs):
        super().__init__(*args, store_ids=store_ids, **kwargs)
        names = metric_names()
        self.fields["metric"].choices = [(metric, names[metric]) for metric in METRICS]  # type: ignore[attr-defined]
        for name, value in self.DEFAULTS.items():
            self.fields[name].initial = value

    def clean(self):
        cleaned = super().clean()
        for name, value in self.DEFAULTS.items():
            if name not in self.errors:
                cleaned[name] = cleaned.get(name) or value
        both_chosen = "by" not in self.errors and "cross" not in self.errors
        if both_chosen and cleaned["by"] == cleaned["cross"]:
            self.add_error("cross", _("Rows and columns must be different breakdowns."))
        return cleaned


class ComparisonForm(forms.Form):
    """Two groups side by side: each a period, optionally narrowed to a store or channel."""

    first_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    first_to = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    first_store = store_field()
    second_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    second_to = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    second_store = store_field()
    survey = survey_field()

    def __init__(self, *args, store_ids=None, **kwargs):
        super().__init__(*args, **kwargs)
        limit_stores(self, store_ids, "first_store", "second_store")

    def clean(self):
        cleaned = super().clean()
        for side in ("first", "second"):
            start, end = cleaned.get(f"{side}_from"), cleaned.get(f"{side}_to")
            if start and end and start > end:
                self.add_error(f"{side}_to", _("The end must be on or after the start."))
        return cleaned

    def side(self, name: str) -> MetricFilters:
        data = self.cleaned_data
        survey, store = data.get("survey"), data.get(f"{name}_store")
        return MetricFilters(
            survey_ids=(survey.pk,) if survey else (),
            date_from=data[f"{name}_from"],
            date_to=data[f"{name}_to"],
            store_codes=(store.code,) if store else (),
        )


CONFIDENCE_CHOICES = [("0.90", "90 %"), ("0.95", "95 %"), ("0.99", "99 %")]


class SampleSizeForm(forms.Form):
    """The sample-size planner's inputs, in percent as people say them ("±3 %")."""

    confidence = forms.TypedChoiceField(
        label=_("Confidence"), choices=CONFIDENCE_CHOICES, coerce=float, initial="0.95"
    )
    margin = forms.DecimalField(
        label=_("Margin of error (± %)"),
        min_value=Decimal("0.1"),
        max_value=Decimal("50"),
        decimal_places=2,
        initial=Decimal("3"),
    )
    proportion = forms.DecimalField(
        label=_("Expected share (%)"),
        help_text=_("50 % when unknown: it needs the most responses."),
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        decimal_places=2,
        initial=Decimal("50"),
    )
    population = forms.IntegerField(
        label=_("Population (optional)"),
        help_text=_("How many people could answer, e.g. a store's customers."),
        min_value=1,
        required=False,
    )
    responses = forms.IntegerField(
        label=_("Responses you have (optional)"), min_value=1, required=False
    )

    def clean(self):
        data = super().clean()
        population, responses = data.get("population"), data.get("responses")
        if population and responses and responses > population:
            self.add_error("responses", _("Cannot be more than the population."))
        return data
