"""Staff pages for surveys: the list, creating from a template or blank, the editor (settings,
pages, questions, JSON), the preview, results, responses, exports and distributions.

Anyone with ``surveys.view_survey`` sees surveys; results, responses and exports need
``surveys.view_response``; changing anything needs ``surveys.change_survey`` (creating,
``surveys.add_survey``, also to import a file). Distributions are seen with
``surveys.view_distribution`` (admin, cx_manager, analyst) and made and sent with
``surveys.add_distribution`` (admin, cx_manager). Every change of the definition goes through
``actions.surveys.update_definition``, which validates it and makes a new version once the
survey has responses.
"""

import csv
import json
import re
import tempfile
from collections.abc import Iterator
from functools import wraps
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, SuspiciousFileOperation
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import get_valid_filename
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from kesheng.core.errors import DomainError, FieldError, InvalidInput
from kesheng.surveys import editing
from kesheng.surveys.actions.distribution import (
    create_distribution,
    create_personal_links,
    create_qr_distributions,
    invite_segment,
    send_invitations,
    survey_title,
)
from kesheng.surveys.actions.settings import update_survey_settings
from kesheng.surveys.actions.surveys import create_survey, set_survey_status, update_definition
from kesheng.surveys.definition import validate_definition
from kesheng.surveys.exports import FORMATS, export_responses, localized_text
from kesheng.surveys.forms import (
    PAGE_PROBLEM_FIELDS,
    QUESTION_TYPE_LABELS,
    DefinitionJsonForm,
    InvitationForm,
    NewSurveyForm,
    PageForm,
    PersonalLinksForm,
    QrCodesForm,
    QuestionForm,
    ResultsFilterForm,
    SimpleDistributionForm,
    SurveyImportForm,
    SurveySettingsForm,
    question_problem_field,
    translate_reason,
)
from kesheng.surveys.importers import SurveyImportError, import_survey_file
from kesheng.surveys.models import Distribution, DistributionKind, Survey, SurveyStatus
from kesheng.surveys.queries.distribution import (
    PERSONAL_LINK_COLUMNS,
    count_audience,
    distribution_stats,
    distribution_url,
    iter_personal_links,
    list_qr_distributions,
    list_survey_distributions,
    qr_code,
    widget_snippet,
)
from kesheng.surveys.queries.results import (
    get_response_detail,
    get_survey_results,
    list_responses,
)
from kesheng.surveys.queries.surveys import count_responses_answering, list_surveys

VIEW = "surveys.view_survey"
VIEW_RESPONSES = "surveys.view_response"
CHANGE = "surveys.change_survey"
ADD = "surveys.add_survey"
VIEW_DISTRIBUTION = "surveys.view_distribution"
ADD_DISTRIBUTION = "surveys.add_distribution"
EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "sav": "application/x-spss-sav",
}


def staff_page(permission: str):
    """Login, then the permission (403 for a signed-in user without it)."""

    def decorate(view):
        return login_required(permission_required(permission, raise_exception=True)(view))

    return decorate


def with_survey(view):
    @wraps(view)
    def wrapped(request: HttpRequest, survey_id: int, *args, **kwargs):
        survey = get_object_or_404(Survey.objects.select_related("current_version"), pk=survey_id)
        return view(request, survey, *args, **kwargs)

    return wrapped


def _language() -> str:
    return "en" if (get_language() or "").startswith("en") else "zh-hans"


def _definition(survey: Survey) -> dict:
    return survey.current_version.definition if survey.current_version else {"pages": []}


def _editor_url(survey: Survey, anchor: str = "") -> str:
    url = reverse("surveys:editor", args=[survey.pk])
    return f"{url}#{anchor}" if anchor else url


def _templates() -> list[tuple[str, str]]:
    try:
        from kesheng.surveys.builtin import list_templates
    except ImportError:  # the built-in templates are optional for these pages
        return []
    language = _language()
    return [(template.key, template.title_in(language)) for template in list_templates()]


def _saved_message(request: HttpRequest, survey: Survey, version) -> None:
    # ``survey`` was read before the save: a different number means a new version was made.
    if version.number != getattr(survey.current_version, "number", None):
        messages.success(
            request,
            _("Saved as version %(number)s. Earlier responses keep the version they answered.")
            % {"number": version.number},
        )
    else:
        messages.success(request, _("Saved (version %(number)s).") % {"number": version.number})


def _save_definition(request: HttpRequest, survey: Survey, definition: dict) -> list[FieldError]:
    """Save through update_definition; returns the problems (nothing saved) or []."""
    try:
        version = update_definition(survey=survey, definition=definition, updated_by=request.user)
    except InvalidInput as refused:
        return refused.errors
    _saved_message(request, survey, version)
    return []


def _problem_text(error: FieldError) -> str:
    path = error.field.removeprefix("definition.").removeprefix("definition")
    reason = translate_reason(error.reason)
    return f"{path}: {reason}" if path else reason


def _rename_warning(
    request: HttpRequest, survey: Survey, changed: dict, renames: list[tuple[str, str]]
) -> dict | None:
    """What to show before saving a change that renames questions of a survey with responses
    (a question's name is its identity in results and exports, so the renamed one starts
    afresh there), or None when there is nothing to confirm: no rename, no responses, the
    change is refused anyway (its problems are shown first), or the request confirms exactly
    these renames."""
    if not renames or not survey.responses.exists() or validate_definition(changed):
        return None
    token = editing.rename_token(renames)
    if request.POST.get("confirm_rename") == token:
        return None
    counts = count_responses_answering(survey, [old for old, _new in renames])
    return {
        "token": token,
        "renames": [{"old": old, "new": new, "count": counts[old]} for old, new in renames],
    }


# --- list and new ------------------------------------------------------------------------------


@staff_page(VIEW)
def survey_list(request: HttpRequest) -> HttpResponse:
    return render(request, "surveys/staff/survey_list.html", {"surveys": list_surveys()})


@staff_page(ADD)
def survey_new(request: HttpRequest) -> HttpResponse:
    templates = _templates()
    form = NewSurveyForm(request.POST or None, templates=templates)
    if request.method == "POST" and form.is_valid():
        title, key = form.cleaned_data["title"], form.cleaned_data["template"]
        try:
            if key:
                from kesheng.surveys.actions.templates import create_survey_from_template

                survey = create_survey_from_template(
                    key=key, title=title, language=_language(), created_by=request.user
                )
            else:
                survey = create_survey(
                    title=title,
                    definition=editing.blank_definition(title),
                    created_by=request.user,
                )
        except DomainError as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Survey created. Edit its questions below."))
            return redirect(_editor_url(survey))
    return render(request, "surveys/staff/survey_new.html", {"form": form})


# --- the editor --------------------------------------------------------------------------------


def _outline(definition: dict, language: str) -> list[dict]:
    """The pages and questions as the editor lists them, texts in the user's language."""
    default = definition.get("default_language") or "zh-hans"
    return [
        {
            "name": page.get("name"),
            "title": localized_text(page.get("title"), language, default),
            "visible_if": page.get("visible_if") or "",
            "skip": page.get("skip") or [],
            "questions": [
                {
                    "name": question.get("name"),
                    "type": question.get("type"),
                    "type_label": QUESTION_TYPE_LABELS.get(
                        question.get("type"), question.get("type")
                    ),
                    "title": localized_text(question.get("title"), language, default),
                    "required": bool(question.get("required")),
                    "visible_if": question.get("visible_if") or "",
                }
                for question in page.get("questions") or []
            ],
        }
        for page in editing._pages(definition)
    ]


def _editor_context(request: HttpRequest, survey: Survey, **extra) -> dict:
    definition = _definition(survey)
    pages = _outline(definition, _language())
    return {
        "survey": survey,
        "tab": "editor",
        "pages": pages,
        "page_count": len(pages),
        "language": _language(),
        "can_edit": request.user.has_perm(CHANGE),
        "settings_form": extra.pop("settings_form", None) or SurveySettingsForm(instance=survey),
        "statuses": SurveyStatus.choices,
        "has_responses": survey.responses.exists(),
        **extra,
    }


@staff_page(VIEW)
@with_survey
def survey_editor(request: HttpRequest, survey: Survey) -> HttpResponse:
    return render(request, "surveys/staff/editor.html", _editor_context(request, survey))


@require_POST
@staff_page(CHANGE)
@with_survey
def survey_settings(request: HttpRequest, survey: Survey) -> HttpResponse:
    form = SurveySettingsForm(request.POST, instance=Survey.objects.get(pk=survey.pk))
    if form.is_valid():
        try:
            update_survey_settings(
                survey=survey, **{name: form.cleaned_data[name] for name in form.Meta.fields}
            )
        except InvalidInput as refused:
            for error in refused.errors:
                form.add_error(error.field if error.field in form.fields else None, error.reason)
        else:
            messages.success(request, _("Settings saved."))
            return redirect(_editor_url(survey))
    context = _editor_context(request, survey, settings_form=form)
    return render(request, "surveys/staff/editor.html", context, status=400)


@require_POST
@staff_page(CHANGE)
@with_survey
def survey_status(request: HttpRequest, survey: Survey) -> HttpResponse:
    status = request.POST.get("status", "")
    if status not in SurveyStatus.values:
        messages.error(request, _("Unknown status."))
    else:
        set_survey_status(survey=survey, status=status)
        messages.success(
            request, _("The survey is now %(status)s.") % {"status": survey.get_status_display()}
        )
    return redirect(_editor_url(survey))


def _question_form_errors(form: QuestionForm, errors: list[FieldError], definition: dict) -> None:
    """Put each problem on the field it concerns when it is about this question."""
    try:
        page_index, question_index = editing.find_question(definition, form.cleaned_data["name"])
    except editing.EditError:
        prefix = None
    else:
        prefix = f"definition.pages[{page_index}].questions[{question_index}]"
    for error in errors:
        field = None
        if prefix and (
            error.field == prefix or error.field.startswith((prefix + ".", prefix + "["))
        ):
            rest = error.field[len(prefix) :]
            field = question_problem_field(rest, form.cleaned_data["type"])
            if field:
                form.add_error(field, form.problem_text(rest, error.reason))
                continue
        form.add_error(None, _problem_text(error))


def _question_page(
    request, survey, form, *, page_name, question_name=None, status=200, rename_warning=None
):
    return render(
        request,
        "surveys/staff/question_form.html",
        {
            "survey": survey,
            "form": form,
            "page_name": page_name,
            "question_name": question_name,
            "language": _language(),
            "rename_warning": rename_warning,
        },
        status=status,
    )


def _page_names(definition: dict) -> list[str]:
    return [page.get("name") for page in editing._pages(definition)]


@staff_page(CHANGE)
@with_survey
def question_add(request: HttpRequest, survey: Survey, page_name: str) -> HttpResponse:
    definition = _definition(survey)
    if page_name not in _page_names(definition):
        raise Http404(page_name)
    form = QuestionForm(
        request.POST or None,
        page_names=_page_names(definition),
        initial={
            "name": editing.next_name(definition, "q"),
            "page": page_name,
            "type": "single_choice",
        },
    )
    if request.method == "POST" and form.is_valid():
        changed = editing.add_question(definition, form.cleaned_data["page"], form.question())
        errors = _save_definition(request, survey, changed)
        if not errors:
            return redirect(_editor_url(survey, f"question-{form.cleaned_data['name']}"))
        _question_form_errors(form, errors, changed)
    status = 400 if request.method == "POST" else 200
    return _question_page(request, survey, form, page_name=page_name, status=status)


@staff_page(CHANGE)
@with_survey
def question_edit(request: HttpRequest, survey: Survey, name: str) -> HttpResponse:
    definition = _definition(survey)
    try:
        page_index, question_index = editing.find_question(definition, name)
    except editing.EditError:
        raise Http404(name) from None
    page = definition["pages"][page_index]
    question = page["questions"][question_index]
    form = QuestionForm(
        request.POST or None,
        page_names=_page_names(definition),
        initial=QuestionForm.initial_from(question, page["name"]),
    )
    rename_warning = None
    if request.method == "POST" and form.is_valid():
        new_name = form.cleaned_data["name"]
        changed = editing.replace_question(
            definition,
            name,
            editing.keep_tool_notes(question, form.question()),
            form.cleaned_data["page"],
        )
        renames = [(name, new_name)] if new_name != name else []
        rename_warning = _rename_warning(request, survey, changed, renames)
        if rename_warning is None:
            errors = _save_definition(request, survey, changed)
            if not errors:
                return redirect(_editor_url(survey, f"question-{new_name}"))
            _question_form_errors(form, errors, changed)
    status = 200
    if request.method == "POST":
        status = 409 if rename_warning else 400
    return _question_page(
        request,
        survey,
        form,
        page_name=page["name"],
        question_name=name,
        status=status,
        rename_warning=rename_warning,
    )


def _apply(request: HttpRequest, survey: Survey, change, anchor: str = "") -> HttpResponse:
    """Save a change made by one of the editor's buttons and go back to the editor; a change
    the definition check refuses is reported there with its reasons, and nothing is saved."""
    try:
        changed = change(_definition(survey))
    except editing.EditError:
        raise Http404 from None
    errors = _save_definition(request, survey, changed)
    for error in errors:
        messages.error(request, _problem_text(error))
    return redirect(_editor_url(survey, anchor))


def _offset(request: HttpRequest) -> int:
    return -1 if request.POST.get("direction") == "up" else 1


@require_POST
@staff_page(CHANGE)
@with_survey
def question_move(request: HttpRequest, survey: Survey, name: str) -> HttpResponse:
    offset = _offset(request)
    return _apply(
        request, survey, lambda d: editing.move_question(d, name, offset), f"question-{name}"
    )


@require_POST
@staff_page(CHANGE)
@with_survey
def question_delete(request: HttpRequest, survey: Survey, name: str) -> HttpResponse:
    return _apply(request, survey, lambda d: editing.delete_question(d, name))


@require_POST
@staff_page(CHANGE)
@with_survey
def page_add(request: HttpRequest, survey: Survey) -> HttpResponse:
    changed, page_name = editing.add_page(_definition(survey))
    return _apply(request, survey, lambda d: changed, f"page-{page_name}")


@require_POST
@staff_page(CHANGE)
@with_survey
def page_move(request: HttpRequest, survey: Survey, page_name: str) -> HttpResponse:
    offset = _offset(request)
    return _apply(
        request, survey, lambda d: editing.move_page(d, page_name, offset), f"page-{page_name}"
    )


@require_POST
@staff_page(CHANGE)
@with_survey
def page_delete(request: HttpRequest, survey: Survey, page_name: str) -> HttpResponse:
    return _apply(request, survey, lambda d: editing.delete_page(d, page_name))


@staff_page(CHANGE)
@with_survey
def page_edit(request: HttpRequest, survey: Survey, page_name: str) -> HttpResponse:
    definition = _definition(survey)
    try:
        page_index = editing.find_page(definition, page_name)
    except editing.EditError:
        raise Http404(page_name) from None
    form = PageForm(
        request.POST or None, initial=PageForm.initial_from(definition["pages"][page_index])
    )
    if request.method == "POST" and form.is_valid():
        changed = editing.update_page(definition, page_name, form.page_fields())
        errors = _save_definition(request, survey, changed)
        if not errors:
            return redirect(_editor_url(survey, f"page-{form.cleaned_data['name']}"))
        prefix = f"definition.pages[{page_index}]"
        for error in errors:
            rest = (
                error.field[len(prefix) :].lstrip(".")
                if error.field.startswith(prefix + ".")
                else ""
            )
            key = rest.split(".")[0].split("[")[0]
            if key in PAGE_PROBLEM_FIELDS:
                form.add_error(PAGE_PROBLEM_FIELDS[key], translate_reason(error.reason))
            else:
                form.add_error(None, _problem_text(error))
    return render(
        request,
        "surveys/staff/page_form.html",
        {"survey": survey, "form": form, "page_name": page_name},
        status=400 if request.method == "POST" else 200,
    )


@staff_page(VIEW)
@with_survey
def definition_json(request: HttpRequest, survey: Survey) -> HttpResponse:
    """The whole definition as JSON; with change permission, editable."""
    can_edit = request.user.has_perm(CHANGE)
    rename_warning = None
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        form = DefinitionJsonForm(request.POST)
        status = 400
        if form.is_valid():
            submitted = form.cleaned_data["definition"]
            renames = editing.renamed_questions(_definition(survey), submitted)
            rename_warning = _rename_warning(request, survey, submitted, renames)
            if rename_warning is None:
                errors = _save_definition(request, survey, submitted)
                if not errors:
                    return redirect(reverse("surveys:json", args=[survey.pk]))
                for error in errors:
                    form.add_error("definition", _problem_text(error))
            else:
                status = 409
    else:
        text = json.dumps(_definition(survey), ensure_ascii=False, indent=2)
        form = DefinitionJsonForm(initial={"definition": text})
        status = 200
    return render(
        request,
        "surveys/staff/definition_json.html",
        {
            "survey": survey,
            "form": form,
            "can_edit": can_edit,
            "rename_warning": rename_warning,
        },
        status=status,
    )


@staff_page(VIEW)
@with_survey
def survey_preview(request: HttpRequest, survey: Survey) -> HttpResponse:
    """A page as a respondent sees it (nothing is saved); ?page= picks the page."""
    definition = _definition(survey)
    names = _page_names(definition)
    if not names:
        raise Http404
    page_name = request.GET.get("page") or names[0]
    if page_name not in names:
        raise Http404(page_name)
    language = request.GET.get("lang") or _language()
    if language not in (definition.get("languages") or ["zh-hans", "en"]):
        language = definition.get("default_language") or "zh-hans"
    index = names.index(page_name)
    context = {
        "survey": survey,
        "page_name": page_name,
        "previous_page": names[index - 1] if index > 0 else None,
        "next_page": names[index + 1] if index + 1 < len(names) else None,
        "page_number": index + 1,
        "page_count": len(names),
        "preview_language": language,
    }
    try:
        from kesheng.surveys.respondent import PageRenderer
    except ImportError:  # the respondent pages are optional here: show a read-only outline
        PageRenderer = None
    if PageRenderer is not None:
        renderer = PageRenderer(
            definition,
            language=language,
            answers={},
            seed="preview",
            context={"customer_name": "王芳", "store_name": ""},
        )
        context["survey_title"] = renderer.text(definition.get("title"), pipe=False) or survey.title
        context["page"] = renderer.page(page_name, is_first=index == 0)
        return render(request, "surveys/staff/preview.html", context)
    context["outline"] = definition["pages"][index]
    return render(request, "surveys/staff/preview_outline.html", context)


# --- results -----------------------------------------------------------------------------------


@staff_page(VIEW_RESPONSES)
@with_survey
def survey_results(request: HttpRequest, survey: Survey) -> HttpResponse:
    filter_form = ResultsFilterForm(request.GET or None, survey=survey)
    filters = filter_form.filters()
    results = get_survey_results(survey, filters, _language())
    return render(
        request,
        "surveys/staff/results.html",
        {
            "survey": survey,
            "results": results,
            "filter_form": filter_form,
            "tab": "summary",
            "max_day": max((count for _day, count in results.completed_by_day), default=0),
        },
    )


@staff_page(VIEW_RESPONSES)
@with_survey
def response_list(request: HttpRequest, survey: Survey) -> HttpResponse:
    filter_form = ResultsFilterForm(request.GET or None, survey=survey)
    page = list_responses(survey, filter_form.filters(), request.GET.get("page") or 1)
    return render(
        request,
        "surveys/staff/responses.html",
        {"survey": survey, "page": page, "filter_form": filter_form, "tab": "responses"},
    )


@staff_page(VIEW_RESPONSES)
@with_survey
def response_detail(request: HttpRequest, survey: Survey, response_id: int) -> HttpResponse:
    try:
        detail = get_response_detail(survey, response_id, _language())
    except DomainError:
        raise Http404 from None
    return render(
        request,
        "surveys/staff/response_detail.html",
        {"survey": survey, "detail": detail, "response": detail.response, "tab": "responses"},
    )


@staff_page(VIEW_RESPONSES)
@with_survey
def survey_export(request: HttpRequest, survey: Survey, format: str) -> HttpResponse:
    if format not in FORMATS:
        raise Http404(format)
    # A temporary file, since openpyxl and pyreadstat write to a path; FileResponse streams it
    # and the file is gone once closed.
    handle = tempfile.NamedTemporaryFile(suffix=f".{format}")  # noqa: SIM115 (closed by the response)
    export_responses(survey=survey, format=format, path=Path(handle.name))
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"{survey.slug}-responses.{format}",
        content_type=EXPORT_TYPES[format],
    )


# --- import --------------------------------------------------------------------------------------


@staff_page(ADD)
def survey_import(request: HttpRequest) -> HttpResponse:
    """Upload a SurveyJS or LimeSurvey file: a draft survey and the list of what could not be
    carried over, or the reason the file cannot be imported (nothing saved)."""
    form = SurveyImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        # import_survey_file reads a path and titles an untitled survey after the file's name.
        with tempfile.TemporaryDirectory() as folder:
            try:
                name = get_valid_filename(Path(upload.name).name)
            except SuspiciousFileOperation:  # a name of dots or symbols only
                name = "survey"
            path = Path(folder) / name
            with path.open("wb") as handle:
                for piece in upload.chunks():
                    handle.write(piece)
            try:
                imported = import_survey_file(path, created_by=request.user)
            except SurveyImportError as refused:
                form.add_error(
                    "file",
                    _("The file cannot be imported: %(reason)s") % {"reason": refused.message},
                )
            else:
                messages.success(request, _("Survey imported as a draft."))
                return render(
                    request,
                    "surveys/staff/import_result.html",
                    {"survey": imported.survey, "unmapped": imported.unmapped},
                )
    status = 400 if request.method == "POST" else 200
    return render(request, "surveys/staff/import.html", {"form": form}, status=status)


# --- distribution ----------------------------------------------------------------------------


def _distribute_page(
    request: HttpRequest, survey: Survey, status: int = 200, **parts
) -> HttpResponse:
    """The distribute page: every distribution with its figures and, for those who may
    distribute, the forms to make a link, QR codes, invitations or a widget."""
    audience = parts.pop("audience", None)
    rows = [
        {"distribution": distribution, "stats": stats, "url": distribution_url(distribution)}
        for distribution, stats in list_survey_distributions(survey.pk)
    ]
    context = {
        "survey": survey,
        "rows": rows,
        "tab": "distributions",
        "can_distribute": request.user.has_perm(ADD_DISTRIBUTION),
        "is_open": survey.status == SurveyStatus.OPEN,
        "sends_in_process": not settings.REDIS_URL,
        "link_form": parts.pop("link_form", None)
        or SimpleDistributionForm(initial={"kind": "link"}),
        "widget_form": SimpleDistributionForm(initial={"kind": "widget"}),
        "qr_form": parts.pop("qr_form", None) or QrCodesForm(),
        "invitation_form": parts.pop("invitation_form", None) or InvitationForm(),
        "personal_form": parts.pop("personal_form", None) or PersonalLinksForm(),
        "audience": audience,
    }
    return render(request, "surveys/staff/distributions.html", context, status=status)


# The refusals of the distribution actions a form can meet, in the user's language.
DISTRIBUTION_REASONS = {
    "open the survey before sending invitations": gettext_lazy(
        "Open the survey (in the editor) before sending invitations."
    ),
    "choose at least one store or a touchpoint": gettext_lazy(
        "Choose at least one store, staff member or a touchpoint."
    ),
    "give a segment or a filter (city, tag)": gettext_lazy(
        "Choose a segment, or give a city, a tag or both."
    ),
    "must be email or sms": gettext_lazy("Choose email or SMS."),
    "no customer matches": gettext_lazy("No customer matches: no links were made."),
    "give a segment, a filter or a list, not several": gettext_lazy(
        "Give a segment, a city or tag, or a list of customer ids: only one of them."
    ),
}


def _distribution_reason(reason) -> str:
    return str(DISTRIBUTION_REASONS.get(str(reason), translate_reason(reason)))


def _put_errors(form, refused: InvalidInput) -> None:
    for error in refused.errors:
        field = error.field if error.field in form.fields else None
        form.add_error(field, _distribution_reason(error.reason))


@staff_page(VIEW_DISTRIBUTION)
@with_survey
def survey_distributions(request: HttpRequest, survey: Survey) -> HttpResponse:
    return _distribute_page(request, survey)


@require_POST
@staff_page(ADD_DISTRIBUTION)
@with_survey
def distribution_add(request: HttpRequest, survey: Survey) -> HttpResponse:
    """An anonymous link or a website widget."""
    form = SimpleDistributionForm(request.POST)
    if not form.is_valid():
        return _distribute_page(request, survey, status=400, link_form=form)
    distribution = create_distribution(
        survey=survey,
        kind=form.cleaned_data["kind"],
        name=form.cleaned_data["name"],
        created_by=request.user,
    )
    messages.success(request, _("Created “%(name)s”.") % {"name": distribution.name})
    return redirect("surveys:distribution", survey.pk, distribution.pk)


@require_POST
@staff_page(ADD_DISTRIBUTION)
@with_survey
def qr_codes_add(request: HttpRequest, survey: Survey) -> HttpResponse:
    form = QrCodesForm(request.POST)
    if form.is_valid():
        try:
            distributions = create_qr_distributions(
                survey=survey,
                stores=list(form.cleaned_data["stores"]),
                staff=list(form.cleaned_data["staff"]),
                touchpoint=form.cleaned_data["touchpoint"],
                created_by=request.user,
            )
        except InvalidInput as refused:
            _put_errors(form, refused)
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)s QR code created.", "%(count)s QR codes created.", len(distributions)
                )
                % {"count": len(distributions)},
            )
            ids = ",".join(str(distribution.pk) for distribution in distributions)
            return redirect(f"{reverse('surveys:qr_print', args=[survey.pk])}?ids={ids}")
    return _distribute_page(request, survey, status=400, qr_form=form)


@require_POST
@staff_page(ADD_DISTRIBUTION)
@with_survey
def invitations_send(request: HttpRequest, survey: Survey) -> HttpResponse:
    """Invite a segment or the customers of a filter by email or SMS; the sending itself runs
    as a task."""
    form = InvitationForm(request.POST)
    if "count" in request.POST:
        # Counting changes nothing: only the audience fields need to be right.
        audience = None
        if all(name not in form.errors for name in ("kind", "segment", "city", "tag", "__all__")):
            audience = count_audience(
                city=form.cleaned_data["city"],
                tag=form.cleaned_data["tag"],
                segment_id=form.segment_id(),
                channel=form.cleaned_data["kind"],
            )
            form = InvitationForm(initial=request.POST.dict())
        return _distribute_page(request, survey, invitation_form=form, audience=audience)
    if form.is_valid():
        try:
            distribution, batch = invite_segment(
                survey=survey,
                kind=form.cleaned_data["kind"],
                city=form.cleaned_data["city"],
                tag=form.cleaned_data["tag"],
                segment_id=form.segment_id(),
                name=form.cleaned_data["name"],
                options=form.options(),
                created_by=request.user,
            )
        except InvalidInput as refused:
            _put_errors(form, refused)
        else:
            messages.success(
                request,
                _(
                    "%(created)s invitations are being sent; %(consent)s customers without "
                    "consent and %(fatigue)s invited recently were left out."
                )
                % {
                    "created": batch.created,
                    "consent": batch.skipped_consent,
                    "fatigue": batch.skipped_fatigue,
                },
            )
            return redirect("surveys:distribution", survey.pk, distribution.pk)
    return _distribute_page(request, survey, status=400, invitation_form=form)


def _survey_distribution(survey: Survey, distribution_id: int):
    return get_object_or_404(
        Distribution.objects.select_related("survey", "store", "touchpoint"),
        pk=distribution_id,
        survey=survey,
    )


@staff_page(VIEW_DISTRIBUTION)
@with_survey
def distribution_detail(request: HttpRequest, survey: Survey, distribution_id: int) -> HttpResponse:
    distribution = _survey_distribution(survey, distribution_id)
    sends = distribution.kind in (DistributionKind.EMAIL, DistributionKind.SMS)
    return render(
        request,
        "surveys/staff/distribution_detail.html",
        {
            "survey": survey,
            "distribution": distribution,
            "stats": distribution_stats([distribution.pk])[distribution.pk],
            "url": distribution_url(distribution),
            "snippet": widget_snippet(distribution)
            if distribution.kind == DistributionKind.WIDGET
            else "",
            "sends": sends,
            "personal": distribution.kind == DistributionKind.PERSONAL,
            "can_distribute": request.user.has_perm(ADD_DISTRIBUTION),
            "tab": "distributions",
        },
    )


@require_POST
@staff_page(ADD_DISTRIBUTION)
@with_survey
def distribution_send(request: HttpRequest, survey: Survey, distribution_id: int) -> HttpResponse:
    """Send the invitations still pending (after opening the survey, or a broker outage)."""
    distribution = _survey_distribution(survey, distribution_id)
    try:
        send_invitations(distribution=distribution)
    except InvalidInput as refused:
        for error in refused.errors:
            messages.error(request, _distribution_reason(error.reason))
    else:
        messages.success(request, _("The pending invitations are being sent."))
    return redirect("surveys:distribution", survey.pk, distribution.pk)


def _qr_place(distribution: Distribution) -> str:
    """What a printed QR card says it is for: the store, with the staff member's name on a
    staff member's own code."""
    place = distribution.store or distribution.touchpoint or distribution.name
    if distribution.staff is None:
        return str(place)
    if distribution.store is None:
        return distribution.staff.name
    return f"{place} · {distribution.staff.name}"


@staff_page(VIEW_DISTRIBUTION)
@with_survey
def qr_print(request: HttpRequest, survey: Survey) -> HttpResponse:
    """A printable sheet: each QR code with its store (or touchpoint), staff member and the
    survey title; ``?ids=1,2`` prints only those."""
    ids = None
    if request.GET.get("ids"):
        # Only what can be an id (at most 18 digits fits any database's integer).
        parts = (part.strip() for part in request.GET["ids"].split(","))
        ids = [int(part) for part in parts if re.fullmatch(r"[0-9]{1,18}", part)]
    language = _language()
    codes = [
        {
            "distribution": distribution,
            "place": _qr_place(distribution),
            "url": distribution_url(distribution),
        }
        for distribution in list_qr_distributions(survey.pk, ids)
    ]
    return render(
        request,
        "surveys/staff/qr_print.html",
        {"survey": survey, "codes": codes, "survey_title": survey_title(survey, language)},
    )


@staff_page(VIEW_DISTRIBUTION)
@with_survey
def distribution_qr(
    request: HttpRequest, survey: Survey, distribution_id: int, format: str
) -> HttpResponse:
    """The QR code as a PNG or SVG download (``?inline=1``: shown, for the print sheet)."""
    if format not in ("png", "svg"):
        raise Http404(format)
    distribution = _survey_distribution(survey, distribution_id)
    content_type = "image/png" if format == "png" else "image/svg+xml"
    response = HttpResponse(qr_code(distribution, format), content_type=content_type)
    if not request.GET.get("inline"):
        name = get_valid_filename(f"{survey.slug}-{distribution.key}.{format}")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# How many refused lines of a customer list the form names before counting the rest.
SHOWN_LINE_ERRORS = 20


def _put_list_errors(form: PersonalLinksForm, refused: InvalidInput) -> None:
    """The action names a listed id by its position; the person sees the line of their list."""
    listed = form.listed() or []
    lines = []
    for error in refused.errors:
        position = error.field.removeprefix("customer_ids.")
        if error.field.startswith("customer_ids.") and position.isdigit():
            line, value = listed[int(position) - 1]
            lines.append(
                _("Line %(line)s: no customer has the id “%(id)s”.") % {"line": line, "id": value}
            )
        else:
            field = error.field if error.field in form.fields else None
            form.add_error(field, _distribution_reason(error.reason))
    for text in lines[:SHOWN_LINE_ERRORS]:
        form.add_error(form.list_field(), text)
    if len(lines) > SHOWN_LINE_ERRORS:
        form.add_error(
            form.list_field(),
            _("… and %(count)s more lines.") % {"count": len(lines) - SHOWN_LINE_ERRORS},
        )


@require_POST
@staff_page(ADD_DISTRIBUTION)
@with_survey
def personal_links_create(request: HttpRequest, survey: Survey) -> HttpResponse:
    """Make personal links for a segment, a filter or a list of customer ids (pasted or a CSV
    file), to hand out through the business's own channels."""
    form = PersonalLinksForm(request.POST, request.FILES)
    if form.is_valid():
        listed = form.listed()
        try:
            distribution, batch = create_personal_links(
                survey=survey,
                segment_id=form.segment_id(),
                city=form.cleaned_data["city"],
                tag=form.cleaned_data["tag"],
                customer_ids=None if listed is None else [value for _line, value in listed],
                skip_unknown=form.cleaned_data["skip_unknown"],
                name=form.cleaned_data["name"],
                expires_days=form.cleaned_data["expires_days"],
                created_by=request.user,
            )
        except InvalidInput as refused:
            _put_list_errors(form, refused)
        else:
            messages.success(
                request,
                _(
                    "%(created)s personal links made. Left out: %(fatigue)s customers surveyed "
                    "recently (the fatigue rule) and %(unknown)s ids that are not customers."
                )
                % {
                    "created": batch.created,
                    "fatigue": batch.skipped_fatigue,
                    "unknown": len(batch.unknown_customer_ids),
                },
            )
            return redirect("surveys:distribution", survey.pk, distribution.pk)
    return _distribute_page(request, survey, status=400, personal_form=form)


class _Echo:
    """A file-like object whose write returns the text, for streaming CSV rows."""

    def write(self, value: str) -> str:
        return value


def _csv_text(value: str) -> str:
    """A cell Excel shows as text, never runs as a formula (a name can be anything)."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _links_csv(links) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # the byte-order mark: Excel then reads the file as UTF-8
    yield writer.writerow(PERSONAL_LINK_COLUMNS)
    for link in links:
        expires = link.expires_at.strftime("%Y-%m-%d %H:%M") if link.expires_at else ""
        yield writer.writerow(
            (
                link.customer_id,
                _csv_text(link.name),
                link.language,
                link.link,
                expires,
                link.status,
            )
        )


def _links_xlsx(links, handle) -> None:
    workbook = Workbook(write_only=True)  # rows go to disk as they come
    sheet = workbook.create_sheet("links")
    sheet.append(list(PERSONAL_LINK_COLUMNS))

    def text(value: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value)
        cell.data_type = "s"  # a name starting with "=" stays a name, not a formula
        return cell

    for link in links:
        expires = WriteOnlyCell(
            sheet, link.expires_at.replace(tzinfo=None) if link.expires_at else None
        )
        expires.number_format = "yyyy-mm-dd hh:mm"
        sheet.append(
            [
                text(link.customer_id),
                text(link.name),
                link.language,
                link.link,
                expires,
                link.status,
            ]
        )
    workbook.save(handle)


@staff_page(VIEW_DISTRIBUTION)
@with_survey
def personal_links_download(
    request: HttpRequest, survey: Survey, distribution_id: int, format: str
) -> HttpResponse:
    """The links of a personal-links distribution to hand out (docs/surveys.md), streamed: CSV
    (UTF-8 with a byte-order mark, so Excel reads Chinese names) or XLSX (written to a
    temporary file row by row, then sent from it)."""
    distribution = _survey_distribution(survey, distribution_id)
    if format not in ("csv", "xlsx") or distribution.kind != DistributionKind.PERSONAL:
        raise Http404
    links = iter_personal_links(distribution)
    filename = get_valid_filename(f"links-{survey.slug}-{distribution.pk}.{format}")
    if format == "csv":
        response = StreamingHttpResponse(_links_csv(links), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it when sent
    _links_xlsx(links, handle)
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
