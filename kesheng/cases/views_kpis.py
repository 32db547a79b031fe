"""Staff pages of case KPIs (/cases/kpis/) and scorecards (/cases/scorecards/): a period form
(the last 90 days by default), tables with n beside every figure; a store manager sees their
stores only."""

from datetime import datetime, time, timedelta

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kesheng.cases.queries.kpis import case_kpis, staff_scorecards
from kesheng.commerce.queries import visible_store_ids

DEFAULT_DAYS = 90


class PeriodForm(forms.Form):
    opened_from = forms.DateField(label=_("Opened from"), required=False)
    opened_to = forms.DateField(label=_("to (inclusive)"), required=False)

    def clean(self):
        data = super().clean()
        start, end = data.get("opened_from"), data.get("opened_to")
        if start and end and end < start:
            self.add_error("opened_to", _("is before the start"))
        return data


def period_bounds(start, end) -> tuple[datetime, datetime]:
    """Aware bounds [start of the first day, start of the day after the last) in the
    business's zone; by default the last 90 days up to today."""
    zone = timezone.get_default_timezone()
    today = timezone.localdate()
    end = end or today
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    return (
        datetime.combine(start, time.min, zone),
        datetime.combine(end + timedelta(days=1), time.min, zone),
    )


def _page(request: HttpRequest, template: str, compute) -> HttpResponse:
    form = PeriodForm(request.GET or None)
    if request.GET and not form.is_valid():
        return render(request, template, {"form": form, "data": None}, status=400)
    data = form.cleaned_data if form.is_bound else {}
    opened_from, opened_to = period_bounds(data.get("opened_from"), data.get("opened_to"))
    store_ids = visible_store_ids(request.user)
    result = compute(opened_from=opened_from, opened_to=opened_to, store_ids=store_ids)
    return render(
        request,
        template,
        {
            "form": form,
            "data": result,
            "opened_from": opened_from,
            "last_day": opened_to - timedelta(days=1),
            "store_limited": store_ids is not None,
        },
    )


@login_required
@permission_required("cases.view_case", raise_exception=True)
def kpis(request: HttpRequest) -> HttpResponse:
    return _page(request, "cases/kpis.html", case_kpis)


@login_required
@permission_required("cases.view_case", raise_exception=True)
def scorecards(request: HttpRequest) -> HttpResponse:
    return _page(request, "cases/scorecards.html", staff_scorecards)
