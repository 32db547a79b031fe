"""Staff pages of customer analytics (docs/analytics.md, "The analytics page"): the overview
of the stored scores (RFM grid and segments, CLV distribution and top customers, the churn-risk
list), the win-back lists, making one from the at-risk list, and a list's win-back rate. A
store manager sees only the customers who ordered at their stores."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from kesheng.analytics.forms import WinBackListForm, WinBackResultForm
from kesheng.analytics.queries import (
    get_customer_analytics,
    get_win_back_result,
    list_win_back_lists,
)
from kesheng.analytics.winback_actions import create_win_back_list
from kesheng.commerce.queries import visible_store_ids
from kesheng.core.errors import InvalidInput, NotFound

VIEW_SCORES = "analytics.view_customerscore"
VIEW_WINBACK = "analytics.view_winbacklist"
ADD_WINBACK = "analytics.add_winbacklist"
RECENT_LISTS = 5
# The form's percent and the action's share.
FORM_FIELDS = {"control_share": "control_percent"}


def _chart_data(data) -> dict:
    """The CLV histogram for Plotly: bar centres, width, heights and ranges in words."""
    step = data.histogram["step"] or 1
    bars = data.histogram["bars"]
    return {
        "histogram": {
            "x": [bar["low"] + step / 2 for bar in bars],
            "width": step,
            "y": [bar["customers"] for bar in bars],
            "labels": [
                f"{bar['low']:g} – {bar['high']:g}"
                if bar["high"] is not None
                else f"≥ {bar['low']:g}"
                for bar in bars
            ],
            "titles": {
                "x": _("CLV (%(currency)s)") % {"currency": data.currency},
                "y": _("customers"),
            },
        }
    }


def _new_list_form() -> WinBackListForm:
    """The empty form, its name suggested from today's date (segment names are unique: a
    second list on the same day needs another name)."""
    today = timezone.localdate()
    return WinBackListForm(initial={"name": _("Win-back %(date)s") % {"date": today.isoformat()}})


@login_required
@permission_required(VIEW_SCORES, raise_exception=True)
def overview(request: HttpRequest) -> HttpResponse:
    store_ids = visible_store_ids(request.user)
    data = get_customer_analytics(store_ids=store_ids)
    context = {
        "section": "analytics",
        "data": data,
        "chart_data": _chart_data(data),
        "lists": list_win_back_lists(store_ids, limit=RECENT_LISTS)
        if request.user.has_perm(VIEW_WINBACK)
        else [],
        "form": _new_list_form() if request.user.has_perm(ADD_WINBACK) else None,
    }
    return render(request, "analytics/overview.html", context)


@login_required
@permission_required(VIEW_WINBACK, raise_exception=True)
def winback_lists(request: HttpRequest) -> HttpResponse:
    lists = list_win_back_lists(visible_store_ids(request.user))
    return render(request, "analytics/winback_lists.html", {"section": "analytics", "lists": lists})


@login_required
@permission_required(ADD_WINBACK, raise_exception=True)
def winback_new(request: HttpRequest) -> HttpResponse:
    """ "Create win-back segment": the form (GET), the list and its segment (POST)."""
    if request.method != "POST":
        form = _new_list_form()
        return render(request, "analytics/winback_new.html", {"section": "analytics", "form": form})
    form = WinBackListForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            win_back = create_win_back_list(
                name=data["name"],
                selection=data["selection"],
                top=data["top"],
                min_risk=data["min_risk"],
                control_share=data["control_percent"] / 100,
                seed=data["seed"],
                store_ids=visible_store_ids(request.user),
                created_by=request.user,
            )
        except InvalidInput as invalid:
            for error in invalid.errors:
                field = FORM_FIELDS.get(error.field, error.field)
                form.add_error(field if field in form.fields else None, error.reason)
        else:
            return redirect("analytics:winback", list_id=win_back.pk)
    return render(
        request,
        "analytics/winback_new.html",
        {"section": "analytics", "form": form},
        status=400,
    )


@login_required
@permission_required(VIEW_WINBACK, raise_exception=True)
def winback_detail(request: HttpRequest, list_id: int) -> HttpResponse:
    form = WinBackResultForm(request.GET or None)
    status = 200
    days = None
    if request.GET:
        if form.is_valid():
            days = form.cleaned_data["days"]
        else:
            status = 400
    try:
        result = get_win_back_result(list_id, days=days, store_ids=visible_store_ids(request.user))
    except NotFound:
        return render(
            request,
            "staff_error.html",
            {"message": _("No win-back list %(id)s, or not one of your stores.") % {"id": list_id}},
            status=404,
        )
    except InvalidInput:  # pragma: no cover - the form checked the days
        return render(request, "staff_error.html", {"message": _("Bad days.")}, status=400)
    return render(
        request,
        "analytics/winback_detail.html",
        {"section": "analytics", "result": result, "form": form},
        status=status,
    )
