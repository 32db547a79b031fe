"""The respondent's pages: ``/s/<slug>/`` (anonymous link, ``?d=<distribution key>`` for QR
and channel attribution) and ``/r/<token>/`` (personal link). No login.

Plain HTML forms, one page at a time, each page saved when it is sent. A new visitor gets a
random resume key in the form (and, when the survey allows resuming or limits one response per
browser, in a cookie); the response is created with the first page sent, so a link preview or
a crawler leaves nothing behind. Public POSTs are rate-limited per IP address and carry a
honeypot field; CSRF protection stays on.
"""

import re
import secrets

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_http_methods

from kesheng.core.errors import NotFound
from kesheng.core.ratelimit import over_rate_limit
from kesheng.surveys import flow
from kesheng.surveys.actions.responses import (
    InvitationUnusable,
    ResponseFinished,
    SurveyUnavailable,
    check_invitation_usable,
    check_survey_not_capped,
    check_survey_open,
    go_back,
    mark_invitation_opened,
    save_page,
    submit_first_page,
)
from kesheng.surveys.models import Distribution, Invitation, Response, ResponseStatus, Survey
from kesheng.surveys.queries.responses import (
    find_distribution,
    get_invitation_by_token,
    get_response_by_link,
    get_response_for_invitation,
    get_response_for_resume,
    get_survey_by_slug,
)
from kesheng.surveys.respondent import PageRenderer, read_page_form

HONEYPOT_FIELD = "website"
RESUME_COOKIE_AGE = 60 * 24 * 3600
_RESUME_KEY = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
LANGUAGE_NAMES = {"zh-hans": "中文", "en": "English"}


def _cookie_name(survey: Survey) -> str:
    return f"ks_survey_{survey.pk}"


def _over_rate_limit(request: HttpRequest) -> bool:
    """Count this POST against the sender's address for the current minute (the cache key
    ``kesheng:survey-posts:...`` as before the helper moved to core)."""
    return over_rate_limit(
        request, scope="survey-posts", limit=settings.KESHENG_PUBLIC_POSTS_PER_MINUTE
    )


def _message(
    request: HttpRequest, *, title: str, message: str, status: int, survey_title: str = ""
) -> HttpResponse:
    return render(
        request,
        "surveys/public/message.html",
        {"title": title, "message": message, "survey_title": survey_title},
        status=status,
    )


def _not_found(request: HttpRequest) -> HttpResponse:
    return _message(
        request,
        title=_("Survey not found"),
        message=_("Please check the link. It may have been mistyped or removed."),
        status=404,
    )


def _unavailable(request: HttpRequest, survey_title: str, error: Exception) -> HttpResponse:
    reason = getattr(error, "reason", "")
    if reason == "not_open":
        return _not_found(request)
    titles = {
        "closed": (_("This survey is closed"), _("It no longer takes responses. Thank you.")),
        "capped": (
            _("This survey is full"),
            _("It has received all the responses it needs. Thank you."),
        ),
        "expired": (_("This link has expired"), _("The survey can no longer be answered.")),
        "used": (
            _("You have already answered"),
            _("This link has been used to answer the survey. Thank you!"),
        ),
    }
    title, message = titles.get(reason, (_("This survey is closed"), str(error)))
    return _message(request, title=title, message=message, status=410, survey_title=survey_title)


def _pick_language(request: HttpRequest, visit: "_Visit") -> str:
    """The language asked for in the link, else the response's, else the invitation's (the
    customer's), else the browser's, when the survey has it; else the survey's default."""
    definition = visit.definition
    languages = [str(code).lower() for code in definition.get("languages") or []] or ["zh-hans"]
    for candidate in (
        request.GET.get("lang", ""),
        visit.response.language if visit.response else "",
        visit.invitation.language if visit.invitation else "",
        getattr(request, "LANGUAGE_CODE", ""),
    ):
        if candidate and candidate.lower() in languages:
            return candidate.lower()
    return str(definition.get("default_language") or languages[0]).lower()


class _Visit:
    """What one request to a respondent page is about: the survey, how it was reached, the
    response if one exists, and the resume key the page carries."""

    def __init__(
        self,
        survey: Survey,
        *,
        distribution: Distribution | None = None,
        invitation: Invitation | None = None,
    ):
        self.survey = survey
        self.distribution = distribution
        self.invitation = invitation
        self.response: Response | None = None
        # The response a submitted page's key found with the survey in one query, if any.
        self.found: Response | None = None
        self.looked_up_key = ""
        self.key = ""
        self.set_cookie = False

    @property
    def definition(self) -> dict:
        if self.response is not None:
            return self.response.version.definition
        return self.survey.current_version.definition

    def context(self) -> dict[str, str]:
        customer = None
        if not self.survey.is_anonymous:
            if self.response is not None and self.response.customer_id:
                customer = self.response.customer
            elif self.invitation is not None:
                customer = self.invitation.customer
        # The distribution (already loaded with its store) is where a page response's store
        # comes from; the response's own store is read only when it has no distribution.
        store = None
        if self.distribution is not None and self.distribution.store_id:
            store = self.distribution.store
        elif self.response is not None and self.response.store_id:
            store = self.response.store
        return {
            "customer_name": customer.name if customer else "",
            "store_name": store.name if store else "",
        }


def _thanks(request: HttpRequest, visit: _Visit, language: str) -> HttpResponse:
    renderer = PageRenderer(
        visit.definition, language=language, answers={}, seed=visit.key, context=visit.context()
    )
    return render(
        request,
        "surveys/public/thanks.html",
        {
            "survey_title": renderer.text(visit.definition.get("title"), pipe=False)
            or visit.survey.title,
            "message": renderer.text(visit.definition.get("thank_you"), pipe=False)
            or _("Thank you for your feedback!"),
            "language": language,
        },
    )


def _render_page(
    request: HttpRequest,
    visit: _Visit,
    language: str,
    page_name: str,
    *,
    errors: dict | None = None,
    shown: dict | None = None,
    status: int = 200,
) -> HttpResponse:
    answers = visit.response.answers if visit.response is not None else {}
    renderer = PageRenderer(
        visit.definition,
        language=language,
        answers=answers,
        seed=visit.key,
        context=visit.context(),
    )
    is_first = visit.response is None or not visit.response.page_history
    page = renderer.page(page_name, errors=errors, shown_answers=shown, is_first=is_first)
    languages = [
        {"code": code, "name": LANGUAGE_NAMES.get(code, code), "current": code == language}
        for code in (str(c).lower() for c in visit.definition.get("languages") or [])
    ]
    query = {"d": visit.distribution.key} if visit.distribution and not visit.invitation else {}
    response = render(
        request,
        "surveys/public/page.html",
        {
            "survey_title": renderer.text(visit.definition.get("title"), pipe=False)
            or visit.survey.title,
            "survey_description": renderer.text(visit.definition.get("description"))
            if is_first
            else "",
            "page": page,
            "resume_key": visit.key,
            "honeypot_field": HONEYPOT_FIELD,
            "languages": languages if len(languages) > 1 else [],
            "query": query,
            "error_count": len(errors or {}),
            "language": language,
        },
        status=status,
    )
    if visit.set_cookie:
        response.set_cookie(
            _cookie_name(visit.survey),
            visit.key,
            max_age=RESUME_COOKIE_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return response


def _find_response(request: HttpRequest, visit: _Visit, *, form_key: str = "") -> None:
    """The response this browser is answering, if any; else a fresh key for a new one."""
    survey = visit.survey
    if visit.invitation is not None:
        visit.response = get_response_for_invitation(visit.invitation)
        if visit.response is not None:
            visit.response.invitation = visit.invitation
        visit.key = visit.response.resume_key if visit.response else secrets.token_urlsafe(32)
        return
    remember = survey.allow_resume or survey.one_response_per_browser
    cookie_key = request.COOKIES.get(_cookie_name(survey), "") if remember else ""
    candidates = [key for key in (form_key, cookie_key) if key and _RESUME_KEY.match(key)]
    for key in dict.fromkeys(candidates):
        if key == visit.looked_up_key:
            response = visit.found
        else:
            response = get_response_for_resume(survey=survey, resume_key=key)
        if response is None:
            continue
        if key == cookie_key and key != form_key:
            # Only the cookie knows it: resume when allowed, or refuse a second response.
            if response.status == ResponseStatus.COMPLETED and not survey.one_response_per_browser:
                continue
            if response.status == ResponseStatus.IN_PROGRESS and not survey.allow_resume:
                continue
        visit.response = response
        visit.key = key
        return
    visit.key = form_key if form_key and _RESUME_KEY.match(form_key) else secrets.token_urlsafe(32)
    visit.set_cookie = remember


def _respond(request: HttpRequest, visit: _Visit) -> HttpResponse:
    survey = visit.survey
    if request.method == "POST" and _over_rate_limit(request):
        return _message(
            request,
            title=_("Too many attempts"),
            message=_("Please wait a minute and try again."),
            status=429,
            survey_title=survey.title,
        )
    try:
        if visit.invitation is not None:
            check_invitation_usable(visit.invitation)
        check_survey_open(survey)
    except (SurveyUnavailable, InvitationUnusable) as error:
        return _unavailable(request, survey.title, error)
    form_key = request.POST.get("key", "") if request.method == "POST" else ""
    _find_response(request, visit, form_key=form_key)
    language = _pick_language(request, visit)
    with translation.override(language):
        return _respond_in_language(request, visit, language)


def _respond_in_language(request: HttpRequest, visit: _Visit, language: str) -> HttpResponse:
    survey = visit.survey
    response = visit.response
    if response is not None and response.status == ResponseStatus.COMPLETED:
        if request.method == "POST" and visit.invitation is None:
            return _thanks(request, visit, language)  # the last page sent twice
        return _message(
            request,
            title=_("You have already answered"),
            message=_("Thank you! Only one response per person is collected."),
            status=403,
            survey_title=survey.title,
        )
    if response is None:
        try:
            check_survey_not_capped(survey)
        except SurveyUnavailable as error:
            return _unavailable(request, survey.title, error)
    if request.method == "POST":
        return _post(request, visit, language)
    if visit.invitation is not None:
        mark_invitation_opened(invitation=visit.invitation)
    page_name = response.current_page if response else flow.first_page(visit.definition, {})
    if not page_name:
        return _thanks(request, visit, language)
    return _render_page(request, visit, language, page_name)


def _post(request: HttpRequest, visit: _Visit, language: str) -> HttpResponse:
    if request.POST.get(HONEYPOT_FIELD, "").strip():
        # Only a robot fills a field no person can see: thank it and keep nothing.
        return _thanks(request, visit, language)
    definition = visit.definition
    response = visit.response
    current = response.current_page if response else flow.first_page(definition, {})
    if not current:
        return _thanks(request, visit, language)
    if request.POST.get("action") == "back":
        if response is not None:
            response = go_back(response=response)
            current = response.current_page
        return _render_page(request, visit, language, current)
    page_name = request.POST.get("page", "")
    history = response.page_history if response else []
    if page_name != current and page_name not in history:
        return _render_page(request, visit, language, current)
    answers = response.answers if response else {}
    submitted, read_errors, shown = read_page_form(definition, page_name, answers, request.POST)
    if read_errors:
        return _render_page(request, visit, language, page_name, errors=read_errors, shown=shown)
    try:
        if response is None:
            # The response is created only with a good first page: nothing stored before.
            result = submit_first_page(
                survey=visit.survey,
                page_name=page_name,
                submitted=submitted,
                distribution=visit.distribution,
                invitation=visit.invitation,
                language=language,
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
                resume_key=visit.key,
            )
        else:
            result = save_page(
                response=response, page_name=page_name, submitted=submitted, language=language
            )
    except (SurveyUnavailable, InvitationUnusable) as error:
        return _unavailable(request, visit.survey.title, error)
    except ResponseFinished:
        return _thanks(request, visit, language)
    if result.completed:
        return _thanks(request, visit, language)
    if result.response is not None:
        visit.response = result.response
        visit.key = result.response.resume_key
    shown_page = result.response.current_page if result.response is not None else current
    if result.errors:
        return _render_page(
            request,
            visit,
            language,
            shown_page,
            errors=result.errors,
            shown=shown if shown_page == page_name else None,
        )
    return _render_page(request, visit, language, shown_page)


@never_cache
@ensure_csrf_cookie
@require_http_methods(["GET", "HEAD", "POST"])
def survey_link(request: HttpRequest, slug: str) -> HttpResponse:
    form_key = request.POST.get("key", "") if request.method == "POST" else ""
    # Only a key of the shape we hand out is looked up (a NUL in it would be a 500 on
    # PostgreSQL); any other is treated as no key, as ``_find_response`` does.
    response = (
        get_response_by_link(slug=slug, resume_key=form_key)
        if form_key and _RESUME_KEY.match(form_key)
        else None
    )
    if response is not None:
        survey = response.survey
    else:
        try:
            survey = get_survey_by_slug(slug)
        except NotFound:
            return _not_found(request)
    distribution = find_distribution(survey, request.GET.get("d", ""))
    visit = _Visit(survey, distribution=distribution)
    visit.found = response
    visit.looked_up_key = form_key
    return _respond(request, visit)


@never_cache
@ensure_csrf_cookie
@require_http_methods(["GET", "HEAD", "POST"])
def personal_link(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = get_invitation_by_token(token)
    except NotFound:
        return _not_found(request)
    survey = invitation.distribution.survey
    return _respond(
        request, _Visit(survey, distribution=invitation.distribution, invitation=invitation)
    )
