"""The inbox's tools: Chinese search by several terms, rating and tag filters, bulk tagging
(permission and bad input), the keyword chart, the sentiment trend and opening a case from an
item."""

import pytest
from django.contrib.auth.models import Permission

from kesheng.cases.models import Case
from kesheng.commerce.actions import grant_store_access
from kesheng.feedback.actions import record_feedback
from kesheng.feedback.models import FeedbackItem, FeedbackItemTag
from kesheng.feedback.queries import FeedbackFilters, list_feedback, sentiment_trend
from tests.staff_fixtures import STAFF_PASSWORD, create_staff_user

INBOX = "/feedback/"


@pytest.fixture
def items(stores):
    record_feedback(
        items=[
            {
                "source": "review",
                "source_id": "r1",
                "text": "排队太久了，店员态度还算可以",
                "store": "sh01",
                "rating": 2,
                "occurred_at": "2026-11-02 10:00:00",
            },
            {
                "source": "review",
                "source_id": "r2",
                "text": "店员态度很差，排队也久",
                "store": "bj01",
                "rating": 1,
                "occurred_at": "2026-11-03 10:00:00",
            },
            {
                "source": "review",
                "source_id": "r3",
                "text": "商品质量很好，物流很快",
                "store": "sh01",
                "rating": 5,
                "occurred_at": "2026-11-10 10:00:00",
            },
        ]
    )
    by_id = {item.source_id: item for item in FeedbackItem.objects.all()}
    FeedbackItem.objects.filter(source_id__in=["r1", "r2"]).update(
        sentiment="negative", keywords=["排队", "态度"]
    )
    FeedbackItem.objects.filter(source_id="r3").update(
        sentiment="positive", keywords=["质量", "物流"]
    )
    return by_id


def signed_in(client, username="cx.zhang", role="cx_manager"):
    user = create_staff_user(username, role=role)
    client.login(username=username, password=STAFF_PASSWORD)
    return user


def listed(page) -> list[str]:
    return [item.source_id for item in page.context["page"].object_list]


def test_search_finds_chinese_texts_holding_every_term_in_any_order(client, items):
    signed_in(client)
    assert listed(client.get(INBOX, {"q": "态度 排队"})) == ["r2", "r1"]
    assert listed(client.get(INBOX, {"q": "态度很差"})) == ["r2"]
    assert listed(client.get(INBOX, {"q": "质量 排队"})) == []


def test_rating_filters_keep_the_items_within_the_bounds(client, items):
    signed_in(client)
    assert listed(client.get(INBOX, {"rating_max": "2"})) == ["r2", "r1"]
    assert listed(client.get(INBOX, {"rating_min": "4"})) == ["r3"]


def test_reversed_rating_bounds_are_refused_with_400(client, items):
    signed_in(client)
    page = client.get(INBOX, {"rating_min": "4", "rating_max": "2"})
    assert page.status_code == 400


def test_bulk_tag_adds_a_tag_then_the_tag_filters_and_is_searchable(client, items):
    signed_in(client)
    response = client.post(
        "/feedback/tags/",
        {"items": [items["r1"].pk, items["r2"].pk], "tag": " 排队 问题 ", "action": "add"},
    )
    assert response.status_code == 302
    assert sorted(FeedbackItemTag.objects.values_list("item__source_id", "tag")) == [
        ("r1", "排队 问题"),
        ("r2", "排队 问题"),
    ]
    assert listed(client.get(INBOX, {"tag": "排队 问题"})) == ["r2", "r1"]
    page = client.get(INBOX)
    assert "排队 问题" in page.content.decode()
    # Tagging again changes nothing; removing takes it off the one item.
    again = client.post("/feedback/tags/", {"items": [items["r1"].pk], "tag": "排队 问题"})
    assert again.status_code == 302
    assert FeedbackItemTag.objects.count() == 2
    client.post(
        "/feedback/tags/", {"items": [items["r1"].pk], "tag": "排队 问题", "action": "remove"}
    )
    assert list(FeedbackItemTag.objects.values_list("item__source_id", flat=True)) == ["r2"]


def test_bulk_tag_needs_the_change_permission(client, items):
    signed_in(client, "analyst.chen", role="analyst")
    response = client.post("/feedback/tags/", {"items": [items["r1"].pk], "tag": "x"})
    assert response.status_code == 403
    assert FeedbackItemTag.objects.count() == 0


@pytest.mark.parametrize(
    "data",
    [
        {"items": [], "tag": "x"},
        {"items": ["abc"], "tag": "x"},
        {"items": ["1"], "tag": ""},
        {"items": ["1"], "tag": "x" * 41},
        {"items": ["1"], "tag": "a,b"},
        {"items": ["1"], "tag": "x", "action": "rename"},
    ],
)
def test_bulk_tag_refuses_bad_input_with_400_and_changes_nothing(client, items, data):
    signed_in(client)
    response = client.post("/feedback/tags/", data)
    assert response.status_code == 400
    assert FeedbackItemTag.objects.count() == 0


def test_bulk_tag_refuses_an_item_of_another_store_and_tags_none(client, items):
    # A store manager given the right to tag, still limited to their stores.
    user = signed_in(client, "sm.sh", role="store_manager")
    user.user_permissions.add(Permission.objects.get(codename="change_feedbackitem"))
    grant_store_access(user=user, store_codes=["sh01"])
    response = client.post(
        "/feedback/tags/",
        {"items": [items["r1"].pk, items["r2"].pk], "tag": "x"},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 400
    assert response.context["message"] == (
        f"items: no feedback item {items['r2'].pk}, or not one of your stores"
    )
    assert FeedbackItemTag.objects.count() == 0


def test_the_keyword_chart_counts_the_filtered_items(client, items):
    signed_in(client)
    page = client.get(INBOX, {"sentiment": "negative"})
    assert page.context["keywords"] == [("态度", 2), ("排队", 2)]
    data = page.context["inbox_chart_data"]["keywords"]
    assert data == {"labels": ["态度", "排队"], "counts": [2, 2]}


def test_the_sentiment_trend_gives_weekly_shares_with_n(items):
    trend = sentiment_trend(list_feedback(FeedbackFilters(), store_ids=None))
    assert [(str(row["week"]), row["n"], row["negative"], row["positive"]) for row in trend] == [
        ("2026-11-02", 2, 100.0, 0.0),
        ("2026-11-09", 1, 0.0, 100.0),
    ]
    assert trend[0]["negative_low"] == pytest.approx(34.2, abs=0.1)


def test_a_case_opens_from_an_item_with_its_text_and_store(client, items):
    signed_in(client, "agent.li", role="agent")
    inbox = client.get(INBOX).content.decode()
    assert f"/cases/new/?feedback={items['r2'].pk}" in inbox
    form = client.get(f"/cases/new/?feedback={items['r2'].pk}")
    assert form.status_code == 200
    assert form.context["form"].initial == {"summary": "店员态度很差，排队也久", "store": "bj01"}
    response = client.post(
        f"/cases/new/?feedback={items['r2'].pk}",
        {"category": "staff", "urgency": "P2", "summary": "店员态度很差", "store": "bj01"},
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert (case.feedback_item_id, case.store.code, case.category) == (
        items["r2"].pk,
        "bj01",
        "staff",
    )


def test_a_store_manager_cannot_open_a_case_from_another_stores_item(client, items):
    user = signed_in(client, "sm.sh", role="store_manager")
    grant_store_access(user=user, store_codes=["sh01"])
    assert client.get(f"/cases/new/?feedback={items['r2'].pk}").status_code == 404
    response = client.post(
        f"/cases/new/?feedback={items['r2'].pk}",
        {"category": "staff", "urgency": "P2", "summary": "x", "store": "sh01"},
    )
    assert response.status_code == 404
    assert Case.objects.count() == 0
