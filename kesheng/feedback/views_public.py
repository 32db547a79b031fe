"""The public complaint form: ``/complaint/`` (no login) and its thank-you page.

A plain HTML form that works without JavaScript, in zh-Hans or English (``?lang=``, else the
browser's). POSTs are rate-limited per IP address, carry a honeypot field and keep CSRF
protection. After a complaint is stored the browser is sent to the thank-you page (so reloading
it sends nothing again) with the reference signed in the link.
"""

import secrets

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from kesheng.core.errors import InvalidInput
from kesheng.core.ratelimit import over_rate_limit
from kesheng.feedback.actions import submit_complaint
from kesheng.feedback.forms import ComplaintForm
from kesheng.feedback.photos import MAX_PHOTO_BYTES

HONEYPOT_FIELD = "website"
LANGUAGE_NAMES = {"zh-hans": "中文", "en": "English"}
REFERENCE_SALT = "kesheng.feedback.complaint-reference"
REFERENCE_LINK_AGE = 24 * 3600


def _pick_language(request: HttpRequest) -> str:
    """The language asked for in the link, else the browser's (LocaleMiddleware), else
    zh-Hans."""
    for candidate in (request.GET.get("lang", ""), getattr(request, "LANGUAGE_CODE", "")):
        if candidate.lower() in LANGUAGE_NAMES:
            return candidate.lower()
    return "zh-hans"


def _languages(language: str) -> list[dict]:
    return [
        {"code": code, "name": name, "current": code == language}
        for code, name in LANGUAGE_NAMES.items()
    ]


def _thanks_url(reference: str, language: str) -> str:
    token = signing.dumps(reference, salt=REFERENCE_SALT)
    return (
        reverse("feedback_public:complaint_thanks")
        + "?"
        + urlencode({"r": token, "lang": language})
    )


@never_cache
@require_http_methods(["GET", "POST"])
def complaint_form(request: HttpRequest) -> HttpResponse:
    language = _pick_language(request)
    with translation.override(language):
        if request.method == "POST" and over_rate_limit(
            request, scope="complaint-posts", limit=settings.KESHENG_PUBLIC_POSTS_PER_MINUTE
        ):
            return render(
                request,
                "surveys/public/message.html",
                {
                    "title": _("Too many attempts"),
                    "message": _("Please wait a minute and try again."),
                },
                status=429,
            )
        if request.method == "POST":
            return _submit(request, language)
        form = ComplaintForm(initial={"key": secrets.token_urlsafe(24)})
        return _render_form(request, form, language)


def _submit(request: HttpRequest, language: str) -> HttpResponse:
    if request.POST.get(HONEYPOT_FIELD, "").strip():
        # Only a robot fills a field no person can see: thank it and keep nothing.
        return redirect(reverse("feedback_public:complaint_thanks") + f"?lang={language}")
    form = ComplaintForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_form(request, form, language, status=400)
    try:
        result = submit_complaint(complaint=form.complaint(language=language))
    except InvalidInput as error:
        for field_error in error.errors:
            name = field_error.field if field_error.field in form.fields else None
            form.add_error(name, field_error.reason)
        return _render_form(request, form, language, status=400)
    return redirect(_thanks_url(result.reference, language))


def _render_form(
    request: HttpRequest, form: ComplaintForm, language: str, *, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "feedback/public/complaint.html",
        {
            "form": form,
            "honeypot_field": HONEYPOT_FIELD,
            "languages": _languages(language),
            "max_photo_mb": MAX_PHOTO_BYTES // 2**20,
            "error_count": len(form.errors),
            "language": language,
        },
        status=status,
    )


@never_cache
@require_http_methods(["GET"])
def complaint_thanks(request: HttpRequest) -> HttpResponse:
    language = _pick_language(request)
    try:
        reference = signing.loads(
            request.GET.get("r", ""), salt=REFERENCE_SALT, max_age=REFERENCE_LINK_AGE
        )
    except signing.BadSignature:
        reference = ""
    with translation.override(language):
        return render(
            request,
            "feedback/public/complaint_thanks.html",
            {"reference": reference if isinstance(reference, str) else ""},
        )
