"""Staff pages of the feedback hub: the inbox (every voice, filtered and searched) and one
item. A store manager sees only the items of their stores."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kesheng.commerce.queries import visible_store_ids
from kesheng.core.errors import InvalidInput, NotFound
from kesheng.feedback.corrections import correct_feedback
from kesheng.feedback.forms import CorrectionForm, InboxFilterForm
from kesheng.feedback.insights import category_insights
from kesheng.feedback.queries import get_feedback_item, list_feedback, list_item_corrections

VIEW_FEEDBACK = "feedback.view_feedbackitem"
CORRECT_FEEDBACK = "feedback.add_feedbackcorrection"
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
        {
            "form": form,
            "page": page,
            "store_limited": store_ids is not None,
            **category_insights(form.filters(), store_ids=store_ids),
        },
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
    return _item_page(request, item)


def _item_page(request: HttpRequest, item, *, form=None, status: int = 200) -> HttpResponse:
    may_correct = request.user.has_perm(CORRECT_FEEDBACK)
    return render(
        request,
        "feedback/item_detail.html",
        {
            "item": item,
            "may_correct": may_correct,
            "correction_form": form or (CorrectionForm(item=item) if may_correct else None),
            "corrections": list_item_corrections(item),
        },
        status=status,
    )


@require_POST
@login_required
@permission_required((VIEW_FEEDBACK, CORRECT_FEEDBACK), raise_exception=True)
def correct_item(request: HttpRequest, item_id: int) -> HttpResponse:
    """Correct an item's categories and/or sentiment (only what the person changed)."""
    try:
        item = get_feedback_item(item_id, store_ids=visible_store_ids(request.user))
    except NotFound:
        return render(
            request,
            "staff_error.html",
            {"message": _("No feedback item %(id)s, or not one of your stores.") % {"id": item_id}},
            status=404,
        )
    form = CorrectionForm(request.POST, item=item)
    if not form.is_valid():
        return _item_page(request, item, form=form, status=400)
    categories, sentiment = form.changes()
    if categories is None and sentiment is None:
        messages.info(request, _("Nothing changed: the categories and sentiment are as shown."))
        return redirect("feedback:detail", item.pk)
    try:
        correct_feedback(
            item=item, corrected_by=request.user, categories=categories, sentiment=sentiment
        )
    except InvalidInput as error:
        for problem in error.errors:
            form.add_error(problem.field if problem.field in form.fields else None, problem.reason)
        return _item_page(request, item, form=form, status=400)
    messages.success(
        request,
        _("Correction saved; the category classifier learns from it at its next training."),
    )
    return redirect("feedback:detail", item.pk)


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
