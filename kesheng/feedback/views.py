"""Staff pages of the feedback hub: the inbox (every voice, filtered and searched) and one
item. A store manager sees only the items of their stores."""

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from kesheng.commerce.queries import visible_store_ids
from kesheng.core.errors import NotFound
from kesheng.feedback.forms import InboxFilterForm
from kesheng.feedback.queries import get_feedback_item, list_feedback

VIEW_FEEDBACK = "feedback.view_feedbackitem"
PAGE_SIZE = 50


@login_required
@permission_required(VIEW_FEEDBACK, raise_exception=True)
def inbox(request: HttpRequest) -> HttpResponse:
    store_ids = visible_store_ids(request.user)
    form = InboxFilterForm(request.GET or None, store_ids=store_ids)
    status = 400 if request.GET and not form.is_valid() else 200
    items = list_feedback(form.filters(), store_ids=store_ids)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page") or 1)
    return render(
        request,
        "feedback/inbox.html",
        {"form": form, "page": page, "store_limited": store_ids is not None},
        status=status,
    )


@login_required
@permission_required(VIEW_FEEDBACK, raise_exception=True)
def item_detail(request: HttpRequest, item_id: int) -> HttpResponse:
    try:
        item = get_feedback_item(item_id, store_ids=visible_store_ids(request.user))
    except NotFound:
        return render(
            request,
            "staff_error.html",
            {"message": _("No feedback item %(id)s, or not one of your stores.") % {"id": item_id}},
            status=404,
        )
    return render(request, "feedback/item_detail.html", {"item": item})


@login_required
@permission_required(VIEW_FEEDBACK, raise_exception=True)
def complaint_photo(request: HttpRequest, item_id: int) -> HttpResponse:
    """A complaint's photo, to staff who may see the item only: photos live under MEDIA_ROOT,
    which nothing serves publicly."""
    try:
        item = get_feedback_item(item_id, store_ids=visible_store_ids(request.user))
        details = getattr(item, "complaint", None)
        if details is None or not details.photo:
            raise NotFound(f"no photo for feedback item {item_id}")
        photo = details.photo.open("rb")
    except (NotFound, FileNotFoundError):
        return render(
            request,
            "staff_error.html",
            {"message": _("No photo for feedback item %(id)s.") % {"id": item_id}},
            status=404,
        )
    response = FileResponse(photo, content_type=details.photo_content_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
