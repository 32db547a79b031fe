"""Public help (FAQ) pages: ``/help/`` (search), ``/help/<slug>/`` (one article with its
helpful vote) and ``/complaint/suggest/``, the fragment of matching articles the complaint form
shows while the customer types. No login; votes and suggestions are rate-limited per address
like the complaint form."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from kesheng.core.errors import NotFound
from kesheng.core.ratelimit import over_rate_limit
from kesheng.feedback.articles import (
    MAX_QUERY_LENGTH,
    list_published_articles,
    published_article,
    search_articles,
    visitor_key,
    vote_on_article,
)
from kesheng.feedback.models import KnowledgeArticleVote
from kesheng.feedback.views_public import _languages, _pick_language

VOTE_VALUES = {"yes": True, "no": False}


def _localised(articles, language: str) -> list[dict]:
    return [
        {
            "slug": article.slug,
            "title": article.title_in(language),
            "summary": article.body_in(language)[:140],
        }
        for article in articles
    ]


def _too_many(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "surveys/public/message.html",
        {"title": _("Too many attempts"), "message": _("Please wait a minute and try again.")},
        status=429,
    )


@require_GET
def help_index(request: HttpRequest) -> HttpResponse:
    language = _pick_language(request)
    query = request.GET.get("q", "")[:MAX_QUERY_LENGTH].strip()
    with translation.override(language):
        articles = search_articles(query, limit=20) if query else list_published_articles()
        return render(
            request,
            "feedback/public/help_index.html",
            {
                "articles": _localised(articles, language),
                "query": query,
                "language": language,
                "languages": _languages(language),
            },
        )


def _session_voter(request: HttpRequest, *, create: bool) -> str | None:
    if not request.session.session_key:
        if not create:
            return None
        request.session.save()
    return visitor_key(request.session.session_key or "")


@never_cache
@require_GET
def help_article(request: HttpRequest, slug: str) -> HttpResponse:
    language = _pick_language(request)
    with translation.override(language):
        try:
            article = published_article(slug)
        except NotFound:
            return render(
                request,
                "surveys/public/message.html",
                {
                    "title": _("Not found"),
                    "message": _("There is no such help article."),
                },
                status=404,
            )
        voter = _session_voter(request, create=False)
        vote = (
            KnowledgeArticleVote.objects.filter(article=article, voter=voter).first()
            if voter
            else None
        )
        return render(
            request,
            "feedback/public/help_article.html",
            {
                "article": article,
                "title": article.title_in(language),
                "body": article.body_in(language),
                "vote": vote,
                "language": language,
                "languages": _languages(language),
            },
        )


@require_POST
def help_vote(request: HttpRequest, slug: str) -> HttpResponse:
    """A helpful / not helpful vote: one per visitor session (a second one replaces it)."""
    language = _pick_language(request)
    with translation.override(language):
        if over_rate_limit(
            request, scope="help-votes", limit=settings.KESHENG_PUBLIC_POSTS_PER_MINUTE
        ):
            return _too_many(request)
        value = request.POST.get("helpful", "")
        try:
            article = published_article(slug)
        except NotFound:
            return render(
                request,
                "surveys/public/message.html",
                {"title": _("Not found"), "message": _("There is no such help article.")},
                status=404,
            )
        if value not in VOTE_VALUES:
            return render(
                request,
                "surveys/public/message.html",
                {"title": _("Not counted"), "message": _("Choose yes or no.")},
                status=400,
            )
        vote_on_article(
            article=article,
            voter=_session_voter(request, create=True) or "",
            helpful=VOTE_VALUES[value],
        )
    url = reverse("feedback_public:help_article", args=[slug])
    return redirect(f"{url}?{urlencode({'lang': language})}#vote")


@never_cache
@require_GET
def complaint_suggestions(request: HttpRequest) -> HttpResponse:
    """The articles matching the complaint typed so far, as an HTML fragment (the form's
    script puts it under the text box)."""
    language = _pick_language(request)
    with translation.override(language):
        if over_rate_limit(
            request,
            scope="complaint-suggest",
            limit=settings.KESHENG_PUBLIC_SUGGESTIONS_PER_MINUTE,
        ):
            return HttpResponse("", status=429)
        text = request.GET.get("text", "")[:MAX_QUERY_LENGTH]
        articles = search_articles(text, limit=3) if len(text.strip()) >= 2 else []
        return render(
            request,
            "feedback/public/_suggestions.html",
            {"articles": _localised(articles, language), "language": language},
        )
