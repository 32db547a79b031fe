"""The report download form."""

from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kesheng.analytics.queries import MetricFilters
from kesheng.surveys.models import Survey


def last_month() -> tuple[date, date]:
    """The previous calendar month in the business time zone."""
    first_of_this_month = timezone.localdate().replace(day=1)
    last_day = first_of_this_month - timedelta(days=1)
    return last_day.replace(day=1), last_day


class CxReportForm(forms.Form):
    date_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    file_format = forms.ChoiceField(
        label=_("Format"), choices=[("pdf", "PDF"), ("xlsx", "Excel (XLSX)")], initial="pdf"
    )
    survey = forms.ModelChoiceField(
        label=_("Survey"),
        queryset=Survey.objects.order_by("title"),
        required=False,
        empty_label=_("All surveys"),
    )
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
