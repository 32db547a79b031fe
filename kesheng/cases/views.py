"""Staff pages of case management: the queue (filters; a store manager sees only their stores'
cases), a case with its history and the forms that act on it, and opening a case by hand."""

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kesheng.cases import actions
from kesheng.cases.forms import (
    AssignForm,
    CaseFilterForm,
    NewCaseForm,
    NoteForm,
    ReplyForm,
    StatusForm,
    UrgencyForm,
)
from kesheng.cases.models import Case
from kesheng.cases.queries import explain_pauses, get_case, list_case_history, list_cases
from kesheng.commerce.queries import visible_store_ids
from kesheng.core.errors import Conflict, DomainError, InvalidInput, NotFound
from kesheng.customers.queries import list_timeline_items
from kesheng.feedback.queries import get_feedback_item

VIEW_CASE = "cases.view_case"
CHANGE_CASE = "cases.change_case"
ADD_CASE = "cases.add_case"
PAGE_SIZE = 50
CASE_TIMELINE_ENTRIES = 15


@login_required
@permission_required(VIEW_CASE, raise_exception=True)
def queue(request: HttpRequest) -> HttpResponse:
    store_ids = visible_store_ids(request.user)
    form = CaseFilterForm(request.GET or None, store_ids=store_ids, user=request.user)
    status = 400 if request.GET and not form.is_valid() else 200
    cases = list_cases(form.filters(), store_ids=store_ids)
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page") or 1)
    return render(
        request,
        "cases/queue.html",
        {
            "form": form,
            "page": page,
            "store_limited": store_ids is not None,
            "now": timezone.now(),
        },
        status=status,
    )


def _not_found(request: HttpRequest, case_id: int) -> HttpResponse:
    return render(
        request,
        "staff_error.html",
        {"message": _("No case %(id)s, or not one of your stores.") % {"id": case_id}},
        status=404,
    )


def _detail(request: HttpRequest, case: Case, *, error: str = "", status: int = 200, **forms):
    history = list_case_history(case)
    now = timezone.now()
    context = {
        "case": case,
        "history": history,
        "pauses": explain_pauses(case, history, now=now),
        # The customer's latest touchpoints, orders and answers beside the case.
        "timeline": list_timeline_items(case.customer, limit=CASE_TIMELINE_ENTRIES)[0]
        if case.customer
        else [],
        "assign_form": forms.get("assign_form") or AssignForm(initial={"assignee": case.assignee}),
        "status_form": forms.get("status_form") or StatusForm(),
        "urgency_form": forms.get("urgency_form") or UrgencyForm(initial={"urgency": case.urgency}),
        "note_form": forms.get("note_form") or NoteForm(),
        "reply_form": forms.get("reply_form") or ReplyForm(),
        "allowed_statuses": [
            (value, label)
            for value, label in StatusForm.base_fields["status"].choices  # type: ignore[attr-defined]
            if value in case.allowed_statuses()
        ],
        "error": error,
        "now": now,
    }
    return render(request, "cases/case_detail.html", context, status=status)


@login_required
@permission_required(VIEW_CASE, raise_exception=True)
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    try:
        case = get_case(case_id, store_ids=visible_store_ids(request.user))
    except NotFound:
        return _not_found(request, case_id)
    return _detail(request, case)


def _act(request: HttpRequest, case_id: int, form_class, form_name: str, perform):
    """The shared shape of the case page's POST forms: find the case in the caller's stores,
    check the form, run one action; a refused action shows the page again with the reason."""
    try:
        case = get_case(case_id, store_ids=visible_store_ids(request.user))
    except NotFound:
        return _not_found(request, case_id)
    form = form_class(request.POST)
    if not form.is_valid():
        return _detail(request, case, status=400, **{form_name: form})
    try:
        perform(case, form.cleaned_data)
    except InvalidInput as error:
        for problem in error.errors:
            form.add_error(problem.field if problem.field in form.fields else None, problem.reason)
        return _detail(request, case, status=400, **{form_name: form})
    except Conflict as error:
        return _detail(request, case, status=409, error=error.message, **{form_name: form})
    except DomainError as error:
        return _detail(request, case, status=400, error=error.message, **{form_name: form})
    return redirect("cases:detail", case_id=case.pk)


@require_POST
@login_required
@permission_required(CHANGE_CASE, raise_exception=True)
def assign(request: HttpRequest, case_id: int) -> HttpResponse:
    return _act(
        request,
        case_id,
        AssignForm,
        "assign_form",
        lambda case, data: actions.assign_case(
            case=case, assignee=data["assignee"], actor=request.user
        ),
    )


@require_POST
@login_required
@permission_required(CHANGE_CASE, raise_exception=True)
def change_status(request: HttpRequest, case_id: int) -> HttpResponse:
    return _act(
        request,
        case_id,
        StatusForm,
        "status_form",
        lambda case, data: actions.change_case_status(
            case=case, status=data["status"], note=data["note"], actor=request.user
        ),
    )


@require_POST
@login_required
@permission_required(CHANGE_CASE, raise_exception=True)
def change_urgency(request: HttpRequest, case_id: int) -> HttpResponse:
    return _act(
        request,
        case_id,
        UrgencyForm,
        "urgency_form",
        lambda case, data: actions.change_case_urgency(
            case=case, urgency=data["urgency"], actor=request.user
        ),
    )


@require_POST
@login_required
@permission_required(CHANGE_CASE, raise_exception=True)
def add_note(request: HttpRequest, case_id: int) -> HttpResponse:
    return _act(
        request,
        case_id,
        NoteForm,
        "note_form",
        lambda case, data: actions.add_case_note(
            case=case, text=data["text"], is_reply=data["is_reply"], actor=request.user
        ),
    )


@require_POST
@login_required
@permission_required(CHANGE_CASE, raise_exception=True)
def reply(request: HttpRequest, case_id: int) -> HttpResponse:
    return _act(
        request,
        case_id,
        ReplyForm,
        "reply_form",
        lambda case, data: actions.reply_to_customer(
            case=case,
            actor=request.user,
            text=data["text"],
            template_key=data["template"].key if data["template"] else "",
            channel=data["channel"],
            subject=data["subject"],
        ),
    )


@login_required
@permission_required(ADD_CASE, raise_exception=True)
def new_case(request: HttpRequest) -> HttpResponse:
    store_ids = visible_store_ids(request.user)
    feedback_id = request.GET.get("feedback") or request.POST.get("feedback")
    initial = {}
    if feedback_id:
        # A case opened from a feedback item: only an item the person may see, and the form
        # starts with its store and text.
        try:
            item = get_feedback_item(
                int(feedback_id) if str(feedback_id).isdigit() else 0, store_ids=store_ids
            )
        except NotFound:
            return render(
                request,
                "staff_error.html",
                {
                    "message": _("No feedback item %(id)s, or not one of your stores.")
                    % {"id": feedback_id}
                },
                status=404,
            )
        initial = {"summary": item.text[:1000], "store": item.store.code if item.store else None}
    form = NewCaseForm(request.POST or None, store_ids=store_ids, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = actions.open_case_by_hand(
                category=data["category"],
                urgency=data["urgency"],
                summary=data["summary"],
                customer_id=data["customer_id"] or None,
                store_code=data["store"].code if data["store"] else None,
                feedback_item_id=int(feedback_id) if str(feedback_id or "").isdigit() else None,
                opened_by=request.user,
                allowed_store_ids=store_ids,
            )
        except actions.CaseExists as exists:
            form.add_error(None, exists.message)
            return render(
                request,
                "cases/new_case.html",
                {"form": form, "feedback_id": feedback_id, "existing": exists.case_id},
                status=409,
            )
        except InvalidInput as error:
            for problem in error.errors:
                field = {"feedback_id": None}.get(problem.field, problem.field)
                form.add_error(field if field in form.fields else None, problem.reason)
        else:
            return redirect("cases:detail", case_id=case.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "cases/new_case.html", {"form": form, "feedback_id": feedback_id}, status=status
    )
