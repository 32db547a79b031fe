"""Staff pages for customers: the list with search and filters, and the customer-360 page."""

from datetime import datetime
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from kesheng.core.errors import NotFound
from kesheng.customers.contributions import TimelineCursor
from kesheng.customers.models import Gender
from kesheng.customers.queries import get_customer_360, get_customer_list_page

CURSOR_SEPARATOR = "|"


def encode_cursor(cursor: TimelineCursor) -> str:
    return CURSOR_SEPARATOR.join([cursor.occurred_at.isoformat(), cursor.kind, str(cursor.id)])


def decode_cursor(text: str) -> TimelineCursor:
    """Reads ``encode_cursor``'s output; raises ValueError for anything else."""
    parts = text.split(CURSOR_SEPARATOR)
    if len(parts) != 3:
        raise ValueError(text)
    occurred_at = datetime.fromisoformat(parts[0])
    if occurred_at.tzinfo is None or not parts[1]:
        raise ValueError(text)
    return TimelineCursor(occurred_at=occurred_at, kind=parts[1], id=int(parts[2]))


def _error_page(request: HttpRequest, message: str, *, status: int) -> HttpResponse:
    return render(request, "staff_error.html", {"message": message}, status=status)


@login_required
@permission_required("customers.view_customer", raise_exception=True)
def customer_list(request: HttpRequest) -> HttpResponse:
    filters = {
        "search": request.GET.get("q", "").strip()[:200],
        "city": request.GET.get("city", "").strip(),
        "tag": request.GET.get("tag", "").strip(),
        "gender": request.GET.get("gender", "").strip(),
    }
    if filters["gender"] not in Gender.values:
        filters["gender"] = ""
    listing = get_customer_list_page(**filters, page_number=request.GET.get("page") or 1)
    genders = [(value, label) for value, label in Gender.choices if value]
    return render(
        request,
        "customers/customer_list.html",
        {"listing": listing, "filters": filters, "genders": genders},
    )


@login_required
@permission_required("customers.view_customer", raise_exception=True)
def customer_detail(request: HttpRequest, customer_id: str) -> HttpResponse:
    cursor = None
    if before := request.GET.get("before"):
        try:
            cursor = decode_cursor(before)
        except ValueError:
            return _error_page(
                request, _("The link to older timeline entries is not valid."), status=400
            )
    try:
        profile = get_customer_360(customer_id, cursor=cursor)
    except NotFound:
        return _error_page(
            request,
            _("No customer has the id %(customer_id)s.") % {"customer_id": customer_id},
            status=404,
        )
    if profile.customer.customer_id != customer_id:
        # An old id of a merged profile: send the browser to the surviving customer's page.
        target = reverse("customers:detail", args=[profile.customer.customer_id])
        return redirect(f"{target}?{urlencode({'before': before})}" if cursor else target)
    older_url = None
    if profile.older_cursor is not None:
        older_url = "?" + urlencode({"before": encode_cursor(profile.older_cursor)})
    return render(
        request,
        "customers/customer_detail.html",
        {"profile": profile, "customer": profile.customer, "older_url": older_url},
    )
