"""Help (FAQ) articles: Chinese and English search, the complaint form's suggestions (rate
limited), one helpful vote per visitor session, unpublished articles hidden, staff admin."""

import pytest
from django.core.cache import cache
from django.test import Client

from kesheng.demo.help_articles import load_demo_help_articles
from kesheng.feedback.articles import save_help_article, search_articles
from kesheng.feedback.models import KnowledgeArticle, KnowledgeArticleVote
from kesheng.feedback.text.matching import Document, query_terms, rank_documents
from tests.staff_fixtures import STAFF_PASSWORD, create_staff_user


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Rate limits count in the cache: every test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def articles(db):
    load_demo_help_articles()
    save_help_article(
        slug="draft", title_zh="退货草稿", body_zh="还没写完的退货说明", is_published=False
    )
    return {article.slug: article for article in KnowledgeArticle.objects.all()}


def test_query_terms_cut_chinese_and_keep_english_words():
    assert query_terms("快递一直没有到，怎么办") == ["快递", "怎么办"]
    assert query_terms("退款") == ["退款"]
    assert query_terms("When will my refund arrive?") == ["will", "refund", "arrive"]


def test_rank_documents_weighs_title_matches_above_text_matches():
    documents = [
        Document(key=1, title="退款多久到账", body="银行卡"),
        Document(key=2, title="退货", body="退款会在验收后发起"),
        Document(key=3, title="积分", body="每消费1元得1积分"),
    ]
    assert rank_documents(["退款"], documents) == [(1, 3), (2, 1)]
    assert rank_documents([], documents) == []


def test_search_finds_articles_from_a_chinese_complaint(articles):
    found = search_articles("我的快递三天了物流还不更新")
    assert [article.slug for article in found][:1] == ["delivery-delays"]


def test_search_works_in_english_and_never_returns_drafts(articles):
    assert [a.slug for a in search_articles("refund")][:1] == ["refund-time"]
    assert "draft" not in [a.slug for a in search_articles("退货")]


def test_the_help_page_lists_and_searches_published_articles(client, articles):
    page = client.get("/help/")
    assert page.status_code == 200
    assert "如何退货或换货？" in page.content.decode()
    assert "退货草稿" not in page.content.decode()
    page = client.get("/help/", {"q": "发票", "lang": "en"})
    assert "How do I get an invoice (fapiao)?" in page.content.decode()
    assert "When will I get my refund?" not in page.content.decode()


def test_an_article_shows_in_the_chosen_language_and_drafts_are_not_found(client, articles):
    page = client.get("/help/refund-time/", {"lang": "en"})
    assert page.status_code == 200
    assert "When will I get my refund?" in page.content.decode()
    assert client.get("/help/refund-time/").content.decode().count("退款多久到账？") >= 1
    assert client.get("/help/draft/").status_code == 404
    assert client.get("/help/no-such/").status_code == 404


def test_one_vote_per_session_and_a_changed_vote_moves(articles):
    visitor = Client()
    url = "/help/returns/vote/"
    assert visitor.post(url, {"helpful": "yes"}).status_code == 302
    visitor.post(url, {"helpful": "yes"})
    article = KnowledgeArticle.objects.get(slug="returns")
    assert (article.helpful_votes, article.not_helpful_votes) == (1, 0)
    visitor.post(url, {"helpful": "no"})
    article.refresh_from_db()
    assert (article.helpful_votes, article.not_helpful_votes) == (0, 1)
    Client().post(url, {"helpful": "yes"})
    article.refresh_from_db()
    assert (article.helpful_votes, article.not_helpful_votes) == (1, 1)
    assert KnowledgeArticleVote.objects.count() == 2
    # No session key is stored, only its keyed hash.
    session_key = visitor.session.session_key
    assert not KnowledgeArticleVote.objects.filter(voter=session_key).exists()
    page = visitor.get("/help/returns/", {"lang": "en"})
    assert "You found it not helpful" in page.content.decode()


def test_a_bad_vote_is_refused_and_counts_nothing(client, articles):
    assert client.post("/help/returns/vote/", {"helpful": "maybe"}).status_code == 400
    assert client.post("/help/draft/vote/", {"helpful": "yes"}).status_code == 404
    assert client.get("/help/returns/vote/").status_code == 405
    assert KnowledgeArticleVote.objects.count() == 0


def test_votes_are_rate_limited(client, articles, settings):
    settings.KESHENG_PUBLIC_POSTS_PER_MINUTE = 2
    codes = [client.post("/help/returns/vote/", {"helpful": "yes"}).status_code for _ in range(3)]
    assert codes == [302, 302, 429]


def test_the_complaint_form_suggests_matching_articles_while_typing(client, articles):
    form = client.get("/complaint/")
    assert 'id="article-suggestions"' in form.content.decode()
    fragment = client.get("/complaint/suggest/", {"text": "退款到现在还没到账"})
    assert fragment.status_code == 200
    assert "退款多久到账？" in fragment.content.decode()
    assert "/help/refund-time/" in fragment.content.decode()
    english = client.get(
        "/complaint/suggest/", {"text": "my parcel delivery is late", "lang": "en"}
    )
    assert "My delivery has not arrived" in english.content.decode()
    assert client.get("/complaint/suggest/", {"text": "嗯"}).content.decode().strip() == ""


def test_suggestions_are_rate_limited(client, articles, settings):
    settings.KESHENG_PUBLIC_SUGGESTIONS_PER_MINUTE = 2
    codes = [client.get("/complaint/suggest/", {"text": "退款"}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_a_cx_manager_writes_articles_in_the_admin_and_an_agent_only_reads(client, articles):
    create_staff_user("cx.zhang", role="cx_manager")
    client.login(username="cx.zhang", password=STAFF_PASSWORD)
    response = client.post(
        "/admin/feedback/knowledgearticle/add/",
        {
            "slug": "gift-cards",
            "title_zh": "礼品卡怎么用？",
            "title_en": "Gift cards",
            "body_zh": "结账时出示礼品卡即可。",
            "body_en": "Show the card at checkout.",
            "is_published": "on",
        },
    )
    assert response.status_code == 302
    assert [a.slug for a in search_articles("礼品卡")][:1] == ["gift-cards"]
    agent = Client()
    create_staff_user("agent.li", role="agent")
    agent.login(username="agent.li", password=STAFF_PASSWORD)
    assert agent.get("/admin/feedback/knowledgearticle/").status_code == 200
    assert agent.get("/admin/feedback/knowledgearticle/add/").status_code == 403
