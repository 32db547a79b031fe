"""Staff pages of the feedback hub: the inbox (every voice, filtered and searched) and one
item. A store manager sees only the items of their stores."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kesheng.commerce.queries import visible_store_ids
from kesheng.core.errors import InvalidInput, NotFound
from kesheng.feedback.alerting import is_subscribed, set_alert_subscription
from kesheng.feedback.corrections import correct_feedback
from kesheng.feedback.forms import BulkTagForm, CorrectionForm, InboxFilterForm
from kesheng.feedback.insights import category_insights
from kesheng.feedback.models import SentimentLabel
from kesheng.feedback.queries import (
    alert_panel,
    get_feedback_item,
    keyword_counts,
    known_tags,
    list_feedback,
    list_item_corrections,
    sentiment_trend,
    tags_of,
)
from kesheng.feedback.tagging import tag_feedback_items

VIEW_FEEDBACK = "feedback.view_feedbackitem"
CORRECT_FEEDBACK = "feedback.add_feedbackcorrection"
CHANGE_FEEDBACK = "feedback.change_feedbackitem"
ADD_CASE = "cases.add_case"
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
            **inbox_extras(request, items, page, store_ids=store_ids),
        },
        status=status,
    )


def inbox_extras(request: HttpRequest, items, page, *, store_ids) -> dict:
    """What this step of the inbox adds to the page: alerts, tags, the keyword chart and the
    sentiment trend of the filtered items (kept apart so other inbox parts merge cleanly)."""
    keywords = keyword_counts(items)
    trend = sentiment_trend(items)
    item_tags = tags_of([item.pk for item in page.object_list])
    for item in page.object_list:
        item.staff_tags = item_tags.get(item.pk, [])
    return {
        "alert_rows": alert_panel(store_ids=store_ids),
        "alert_subscription": is_subscribed(request.user),
        "can_tag": request.user.has_perm(CHANGE_FEEDBACK),
        "can_open_case": request.user.has_perm(ADD_CASE),
        "bulk_tag_form": BulkTagForm(),
        "known_tags": known_tags(),
        "keywords": keywords,
        "trend": trend,
        "inbox_chart_data": {
            "keywords": {
                "labels": [word for word, _count in keywords],
                "counts": [count for _word, count in keywords],
            },
            "trend": {
                "weeks": [row["week"].isoformat() for row in trend],
                "n": [row["n"] for row in trend],
                "positive": [round(row["positive"], 1) for row in trend],
                "neutral": [round(row["neutral"], 1) for row in trend],
                "negative": [round(row["negative"], 1) for row in trend],
                "labels": {str(value): str(label) for value, label in SentimentLabel.choices},
            },
        },
    }


def _back_to_inbox(request: HttpRequest) -> HttpResponse:
    query = request.POST.get("return_query", "")
    url = reverse("feedback:inbox")
    if query and url_has_allowed_host_and_scheme(f"{url}?{query}", allowed_hosts=None):
        url = f"{url}?{query}"
    return redirect(url)


@login_required
@permission_required(CHANGE_FEEDBACK, raise_exception=True)
@require_POST
def bulk_tag(request: HttpRequest) -> HttpResponse:
    """Add a tag to (or take it off) the ticked items; 400 naming the problem on bad input,
    nothing changed."""
    form = BulkTagForm(request.POST)
    if not form.is_valid():
        problems = "; ".join(
            f"{form.fields[name].label if name in form.fields else name}: {' '.join(errors)}"
            for name, errors in form.errors.items()
        )
        return render(request, "staff_error.html", {"message": problems}, status=400)
    try:
        changed = tag_feedback_items(
            item_ids=form.cleaned_data["items"],
            tag=form.cleaned_data["tag"],
            remove=form.cleaned_data["action"] == "remove",
            store_ids=visible_store_ids(request.user),
        )
    except InvalidInput as error:
        return render(request, "staff_error.html", {"message": error.message}, status=400)
    messages.success(request, _("%(count)d items changed.") % {"count": changed})
    return _back_to_inbox(request)


@login_required
@permission_required(VIEW_FEEDBACK, raise_exception=True)
@require_POST
def alert_subscription(request: HttpRequest) -> HttpResponse:
    """Subscribe oneself to feedback alert emails, or stop them."""
    subscribed = set_alert_subscription(
        user=request.user, subscribed=request.POST.get("subscribed") == "1"
    )
    if subscribed and not request.user.email:
        messages.warning(
            request, _("Your account has no email address: alerts cannot reach you yet.")
        )
    return _back_to_inbox(request)


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
            "staff_tags": tags_of([item.pk]).get(item.pk, []),
            "can_open_case": request.user.has_perm(ADD_CASE),
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
