"""Help (FAQ) articles: reads for the public pages and the complaint form's suggestions, and
the one write a visitor makes, a helpful / not helpful vote. Staff write the articles in the
admin (docs/feedback.md)."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import transaction
from django.db.models import F

from kesheng.core.errors import NotFound
from kesheng.core.events import emit
from kesheng.feedback.models import KnowledgeArticle, KnowledgeArticleVote
from kesheng.feedback.text.matching import Document, query_terms, rank_documents

MAX_QUERY_LENGTH = 500


def published_article(slug: str) -> KnowledgeArticle:
    article = KnowledgeArticle.objects.filter(slug=slug, is_published=True).first()
    if article is None:
        raise NotFound(f"no published help article {slug!r}")
    return article


def list_published_articles() -> list[KnowledgeArticle]:
    return list(KnowledgeArticle.objects.filter(is_published=True).order_by("slug"))


def search_articles(query: str, *, limit: int = 5) -> list[KnowledgeArticle]:
    """The published articles matching ``query`` best (both languages' titles and texts are
    searched, see kesheng.feedback.text.matching), best first."""
    terms = query_terms((query or "")[:MAX_QUERY_LENGTH])
    if not terms:
        return []
    articles = {article.pk: article for article in list_published_articles()}
    documents = [
        Document(
            key=article.pk,
            title=f"{article.title_zh}\n{article.title_en}",
            body=f"{article.body_zh}\n{article.body_en}",
        )
        for article in articles.values()
    ]
    return [articles[key] for key, _score in rank_documents(terms, documents, limit=limit)]


def visitor_key(session_key: str) -> str:
    """A visitor's key for votes: the session key hashed with the secret key, so the vote
    table never holds a session key (which would let its reader take over the session)."""
    return hashlib.sha256(f"{settings.SECRET_KEY}:vote:{session_key}".encode()).hexdigest()[:64]


def vote_on_article(*, article: KnowledgeArticle, voter: str, helpful: bool) -> KnowledgeArticle:
    """Count one visitor's vote: a first vote adds to the helpful or not-helpful count, a
    changed vote moves it, the same vote again changes nothing. Returns the article with its
    counts. Emits ``help_article.voted`` when a count changed."""
    with transaction.atomic():
        locked = KnowledgeArticle.objects.select_for_update().get(pk=article.pk)
        vote = KnowledgeArticleVote.objects.filter(article=locked, voter=voter).first()
        if vote is not None and vote.helpful == helpful:
            return locked
        counts = {}
        if vote is None:
            KnowledgeArticleVote.objects.create(article=locked, voter=voter, helpful=helpful)
        else:
            vote.helpful = helpful
            vote.save(update_fields=["helpful", "voted_at"])
            undone = "not_helpful_votes" if helpful else "helpful_votes"
            counts[undone] = F(undone) - 1
        done = "helpful_votes" if helpful else "not_helpful_votes"
        counts[done] = F(done) + 1
        KnowledgeArticle.objects.filter(pk=locked.pk).update(**counts)
        emit(
            "help_article.voted",
            {"article_id": locked.pk, "helpful": helpful, "changed": vote is not None},
        )
    locked.refresh_from_db()
    return locked


def save_help_article(
    *,
    slug: str,
    title_zh: str,
    body_zh: str,
    title_en: str = "",
    body_en: str = "",
    is_published: bool = True,
) -> tuple[KnowledgeArticle, bool]:
    """Create the article with this slug or update its texts and published flag (votes are
    kept); returns it and whether it was new. For scripts and the demo; staff use the admin."""
    article, created = KnowledgeArticle.objects.update_or_create(
        slug=slug,
        defaults={
            "title_zh": title_zh,
            "title_en": title_en,
            "body_zh": body_zh,
            "body_en": body_en,
            "is_published": is_published,
        },
    )
    return article, created
