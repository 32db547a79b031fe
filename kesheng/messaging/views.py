"""The public unsubscribe page: GET asks to confirm, POST withdraws the consent."""

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from kesheng.core.errors import NotFound
from kesheng.messaging.actions import InvalidUnsubscribeLink, withdraw_consent_from_link
from kesheng.messaging.models import MessageChannel, MessagePurpose
from kesheng.messaging.unsubscribe import read_token

LANGUAGES = ("zh-hans", "en")


def _language(request: HttpRequest, link_language: str) -> str:
    """The page speaks the message's language unless the reader picks the other one."""
    chosen = request.GET.get("lang", "")
    if chosen in LANGUAGES:
        return chosen
    return link_language if link_language in LANGUAGES else "zh-hans"


# No CSRF token: the signed link is the credential, and mail clients' one-click unsubscribe
# (RFC 8058) posts to this URL without one. A forged post can only do what the link's owner
# asked for.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = read_token(token)
    except signing.BadSignature:
        with translation.override(_language(request, "")):
            return render(request, "messaging/unsubscribe_invalid.html", status=400)
    language = _language(request, link.language)
    with translation.override(language):
        context = {
            "link": link,
            "channel_label": dict(MessageChannel.choices).get(link.channel, link.channel),
            "purpose_label": dict(MessagePurpose.choices).get(link.purpose, link.purpose),
            "language": language,
            "other_language": "en" if language == "zh-hans" else "zh-hans",
        }
        if request.method == "GET":
            return render(request, "messaging/unsubscribe.html", context)
        try:
            withdraw_consent_from_link(token=token)
        except (InvalidUnsubscribeLink, NotFound):
            return render(request, "messaging/unsubscribe_invalid.html", status=404)
        return render(request, "messaging/unsubscribe_done.html", context)
