"""Staff pages for customers: the list with search and filters, the customer-360 page, and
segments (list, rules builder with a live preview, delete)."""

from datetime import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kesheng.core.errors import Conflict, InvalidInput, NotFound
from kesheng.customers.actions import (
    create_segment,
    delete_segment,
    refresh_segment_counts,
    update_segment,
)
from kesheng.customers.contributions import TimelineCursor
from kesheng.customers.forms import EXTRA_ROWS, MAX_ROWS, SegmentForm
from kesheng.customers.models import Gender
from kesheng.customers.queries import (
    count_segment_members,
    get_customer_360,
    get_customer_list_page,
    get_segment,
    list_segments,
    preview_segment,
    segment_members,
)
from kesheng.customers.segments import OP_LABELS, segment_fields

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


# --- segments ----------------------------------------------------------------------------------

VIEW_SEGMENTS = "customers.view_customer"
ADD_SEGMENT = "customers.add_segment"
CHANGE_SEGMENT = "customers.change_segment"
DELETE_SEGMENT = "customers.delete_segment"
PREVIEW_SIZE = 10


@login_required
@permission_required(VIEW_SEGMENTS, raise_exception=True)
def segment_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "customers/segment_list.html",
        {
            "segments": list_segments(),
            "can_add": request.user.has_perm(ADD_SEGMENT),
            "can_recount": request.user.has_perm(CHANGE_SEGMENT),
        },
    )


@require_POST
@login_required
@permission_required(CHANGE_SEGMENT, raise_exception=True)
def segment_recount(request: HttpRequest) -> HttpResponse:
    counted = refresh_segment_counts()
    messages.success(request, _("Counted the members of %(count)s segments.") % {"count": counted})
    return redirect("customers:segments")


def _posted_row_count(request: HttpRequest) -> int:
    count = 0
    while f"row-{count}-field" in request.POST and count < MAX_ROWS:
        count += 1
    return count


def _segment_page(request, form, *, segment=None, preview=None, status=200) -> HttpResponse:
    can_save = request.user.has_perm(CHANGE_SEGMENT if segment else ADD_SEGMENT)
    return render(
        request,
        "customers/segment_form.html",
        {
            "form": form,
            "segment": segment,
            "preview": preview,
            "can_save": can_save,
            "can_delete": segment is not None and request.user.has_perm(DELETE_SEGMENT),
            "fields": sorted(segment_fields.values(), key=lambda spec: str(spec.group)),
            "op_labels": OP_LABELS,
        },
        status=status,
    )


def _preview(rules) -> dict:
    count, members = preview_segment(rules, limit=PREVIEW_SIZE)
    return {"count": count, "members": members}


def _handle_segment_post(request: HttpRequest, segment=None) -> HttpResponse:
    """Preview, more rows, or save: the rules builder's three buttons."""
    row_count = _posted_row_count(request)
    if "more" in request.POST:
        row_count = min(row_count + EXTRA_ROWS, MAX_ROWS)
    form = SegmentForm(request.POST, row_count=max(row_count, 1))
    if "more" in request.POST:
        form.is_valid()  # show what was typed, with no errors on fields left empty
        form.errors.clear()
        return _segment_page(request, form, segment=segment)
    if not form.is_valid():
        return _segment_page(request, form, segment=segment, status=400)
    rules = form.rules()
    if rules is None:
        return _segment_page(request, form, segment=segment, status=400)
    try:
        if "save" not in request.POST:
            return _segment_page(request, form, segment=segment, preview=_preview(rules))
        fields = {
            "name": form.cleaned_data["name"],
            "description": form.cleaned_data["description"],
            "rules": rules,
        }
        if segment is None:
            saved = create_segment(**fields, created_by=request.user)
        else:
            saved = update_segment(segment=segment, **fields)
    except InvalidInput as refused:
        form.show_rule_errors(refused.errors)
        return _segment_page(request, form, segment=segment, status=400)
    messages.success(
        request,
        _("Saved “%(name)s”: %(count)s members.")
        % {"name": saved.name, "count": saved.member_count},
    )
    return redirect("customers:segment", saved.pk)


@login_required
@permission_required(ADD_SEGMENT, raise_exception=True)
def segment_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _handle_segment_post(request)
    return _segment_page(request, SegmentForm.for_segment())


@login_required
@permission_required(VIEW_SEGMENTS, raise_exception=True)
def segment_edit(request: HttpRequest, segment_id: int) -> HttpResponse:
    try:
        segment = get_segment(segment_id)
    except NotFound:
        return _error_page(request, _("No segment has this id."), status=404)
    if request.method == "POST":
        if not request.user.has_perm(CHANGE_SEGMENT):
            raise PermissionDenied
        return _handle_segment_post(request, segment)
    preview = {"count": count_segment_members(segment), "members": None}
    preview["members"] = list(
        segment_members(segment).order_by("-created_at", "-pk")[:PREVIEW_SIZE]
    )
    return _segment_page(
        request, SegmentForm.for_segment(segment), segment=segment, preview=preview
    )


@require_POST
@login_required
@permission_required(DELETE_SEGMENT, raise_exception=True)
def segment_delete(request: HttpRequest, segment_id: int) -> HttpResponse:
    try:
        segment = get_segment(segment_id)
    except NotFound:
        return _error_page(request, _("No segment has this id."), status=404)
    try:
        delete_segment(segment=segment)
    except Conflict as refused:
        return _error_page(request, refused.message, status=409)
    messages.success(request, _("Deleted “%(name)s”.") % {"name": segment.name})
    return redirect("customers:segments")
