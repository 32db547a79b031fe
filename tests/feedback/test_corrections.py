"""Staff corrections of categories and sentiment: the action, the inbox form (permission,
CSRF, bad input), what analysis keeps, and the retraining that learns from them."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from kesheng.accounts.models import AuditEntry
from kesheng.core.errors import InvalidInput
from kesheng.feedback.actions import analyse_feedback_items, edit_feedback_text, record_feedback
from kesheng.feedback.corrections import correct_feedback, train_category_model
from kesheng.feedback.models import CategoryModel, FeedbackCorrection, FeedbackItem
from kesheng.feedback.queries import (
    current_category_classifier,
    list_category_examples,
    list_sentiment_corrections,
)
from tests.staff_fixtures import STAFF_PASSWORD, create_staff_user

INBOX = "/feedback/"


def store_items(django_capture_on_commit_callbacks, items):
    with django_capture_on_commit_callbacks(execute=True):
        record_feedback(items=items)
    return {item.source_id: item for item in FeedbackItem.objects.all()}


@pytest.fixture
def feedback(stores, django_capture_on_commit_callbacks):
    return store_items(
        django_capture_on_commit_callbacks,
        [
            {
                "source": "review",
                "source_id": "r1",
                "text": "店员很热情，但是送货太慢了",
                "store": "sh01",
                "occurred_at": "2026-11-02 10:00:00",
            },
            {
                "source": "review",
                "source_id": "r2",
                "text": "冷柜坏了三天没人修",
                "store": "bj01",
                "occurred_at": "2026-11-03 10:00:00",
            },
        ],
    )


@pytest.fixture
def agent(db):
    return create_staff_user("agent.li", role="agent")


def test_analysis_stores_categories_and_aspects(feedback):
    item = feedback["r1"]
    assert item.categories == ["delivery", "staff"]
    assert [(aspect["category"], aspect["sentiment"]) for aspect in item.aspects] == [
        ("delivery", "negative"),
        ("staff", "positive"),
    ]
    assert (item.categories_corrected, item.sentiment_corrected) == (False, False)


def test_a_correction_stores_who_when_before_and_after_and_audits_it(feedback, agent):
    item = feedback["r2"]
    assert item.categories == ["product_quality"]
    correction = correct_feedback(
        item=item, corrected_by=agent, categories=["environment"], sentiment="negative"
    )
    item.refresh_from_db()
    assert item.categories == ["environment"]
    assert (item.sentiment, item.sentiment_score) == ("negative", -0.6)
    assert (item.categories_corrected, item.sentiment_corrected) == (True, True)
    assert [aspect["category"] for aspect in item.aspects] == ["environment"]
    assert correction.corrected_by == agent
    assert correction.text == "冷柜坏了三天没人修"
    assert correction.previous_categories == ["product_quality"]
    assert correction.categories == ["environment"]
    assert correction.sentiment == "negative"
    entry = AuditEntry.objects.get(action="feedback.corrected")
    assert entry.actor == agent
    assert entry.target == f"feedback item {item.pk}"
    assert entry.details["categories"] == [["product_quality"], ["environment"]]


def test_a_sentiment_only_correction_leaves_the_categories_to_the_analysis(feedback, agent):
    correction = correct_feedback(item=feedback["r1"], corrected_by=agent, sentiment="negative")
    assert correction.categories is None
    item = FeedbackItem.objects.get(pk=feedback["r1"].pk)
    assert (item.categories_corrected, item.sentiment_corrected) == (False, True)
    assert item.categories == ["delivery", "staff"]


def test_analysing_again_keeps_a_correction_and_editing_the_text_drops_it(
    feedback, agent, django_capture_on_commit_callbacks
):
    item = feedback["r2"]
    correct_feedback(item=item, corrected_by=agent, categories=["environment"], sentiment="neutral")
    analyse_feedback_items(item_ids=[item.pk])
    item.refresh_from_db()
    assert (item.categories, item.sentiment) == (["environment"], "neutral")
    with django_capture_on_commit_callbacks(execute=True):
        edit_feedback_text(item=item, text="冷柜坏了三天没人修，店员态度很差")
    item.refresh_from_db()
    assert (item.categories_corrected, item.sentiment_corrected) == (False, False)
    assert item.categories == ["product_quality", "staff"]
    assert item.sentiment == "negative"


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"categories": ["delivery", "teleport"]}, "categories"),
        ({"sentiment": "furious"}, "sentiment"),
        ({}, "categories"),
    ],
)
def test_a_bad_correction_is_refused_and_changes_nothing(feedback, agent, arguments, field):
    with pytest.raises(InvalidInput) as error:
        correct_feedback(item=feedback["r1"], corrected_by=agent, **arguments)
    assert [problem.field for problem in error.value.errors] == [field]
    assert FeedbackCorrection.objects.count() == 0
    item = FeedbackItem.objects.get(pk=feedback["r1"].pk)
    assert item.categories == ["delivery", "staff"]
    assert not AuditEntry.objects.filter(action="feedback.corrected").exists()


def test_a_correction_that_changes_nothing_stores_nothing(feedback, agent):
    correct_feedback(item=feedback["r1"], corrected_by=agent, categories=["staff"])
    assert correct_feedback(item=feedback["r1"], corrected_by=agent, categories=["staff"]) is None
    assert FeedbackCorrection.objects.count() == 1


def test_sentiment_corrections_are_listed_for_the_sentiment_trainer(feedback, agent):
    correct_feedback(item=feedback["r1"], corrected_by=agent, sentiment="positive")
    correct_feedback(item=feedback["r1"], corrected_by=agent, sentiment="negative")
    correct_feedback(item=feedback["r2"], corrected_by=agent, categories=["environment"])
    assert list_sentiment_corrections() == [("店员很热情，但是送货太慢了", "negative")]


# --- retraining from corrections ------------------------------------------------------------


def _teach(django_capture_on_commit_callbacks, agent, stores):
    """Six broken-freezer comments corrected to environment, six price rises to price (and
    not product quality), six rude cashiers to staff."""
    texts = {
        "environment": [f"冷柜第{n}次坏了没人修" for n in range(6)],
        "price": [f"价格第{n}次涨了" for n in range(6)],
        "staff": [f"收银小哥第{n}次翻白眼" for n in range(6)],
    }
    items = store_items(
        django_capture_on_commit_callbacks,
        [
            {"source": "review", "source_id": f"{key}-{n}", "text": text, "store": "sh01"}
            for key, group in texts.items()
            for n, text in enumerate(group)
        ],
    )
    for key, group in texts.items():
        for n in range(len(group)):
            correct_feedback(item=items[f"{key}-{n}"], corrected_by=agent, categories=[key])


def test_training_without_enough_corrections_keeps_the_rules_alone(feedback, agent):
    correct_feedback(item=feedback["r2"], corrected_by=agent, categories=["environment"])
    result = train_category_model()
    assert (result.examples, result.learned, result.version) == (1, [], "")
    assert CategoryModel.objects.count() == 0
    assert current_category_classifier() is None


def test_retraining_learns_from_corrections_and_new_items_use_it(
    stores, agent, django_capture_on_commit_callbacks
):
    _teach(django_capture_on_commit_callbacks, agent, stores)
    assert len(list_category_examples()) == 18
    result = train_category_model()
    assert result.learned == ["price", "staff", "environment"]
    assert result.examples == 18
    model = CategoryModel.objects.get()
    assert model.version == result.version
    assert model.categories == ["price", "staff", "environment"]
    new = store_items(
        django_capture_on_commit_callbacks,
        [{"source": "review", "source_id": "new", "text": "冷柜又坏了", "store": "sh01"}],
    )["new"]
    assert new.categories == ["product_quality", "environment"]
    assert [aspect["category"] for aspect in new.aspects] == ["product_quality", "environment"]


def test_the_latest_correction_of_an_item_is_the_training_example(feedback, agent):
    correct_feedback(item=feedback["r2"], corrected_by=agent, categories=["product_quality"])
    correct_feedback(item=feedback["r2"], corrected_by=agent, categories=["environment"])
    examples = list_category_examples()
    assert [(example.text, example.categories) for example in examples] == [
        ("冷柜坏了三天没人修", frozenset({"environment"}))
    ]


# --- the inbox form -------------------------------------------------------------------------


def signed_in(client, username="agent.li", role="agent"):
    if not User.objects.filter(username=username).exists():
        create_staff_user(username, role=role)
    client.login(username=username, password=STAFF_PASSWORD)
    return client


def test_an_agent_corrects_an_item_from_its_page(client, feedback, agent):
    item = feedback["r2"]
    page = signed_in(client).get(f"{INBOX}{item.pk}/")
    assert page.status_code == 200
    assert f'action="/feedback/{item.pk}/correct/"' in page.content.decode()
    response = client.post(
        f"{INBOX}{item.pk}/correct/",
        {"categories": ["environment", "product_quality"], "sentiment": "neutral"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{INBOX}{item.pk}/"
    correction = FeedbackCorrection.objects.get()
    assert correction.corrected_by == agent
    assert correction.categories == ["product_quality", "environment"]
    assert (correction.previous_sentiment, correction.sentiment) == ("negative", "neutral")
    page = client.get(f"{INBOX}{item.pk}/")
    content = page.content.decode()
    assert "门店环境" in content and "agent.li" in content


def test_only_the_changed_part_is_corrected(client, feedback, agent):
    item = feedback["r1"]
    # A sentiment other than the analysed one, whatever the shipped model says of the text.
    other = "neutral" if item.sentiment != "neutral" else "positive"
    signed_in(client).post(
        f"{INBOX}{item.pk}/correct/", {"categories": ["delivery", "staff"], "sentiment": other}
    )
    correction = FeedbackCorrection.objects.get()
    assert (correction.categories, correction.sentiment) == (None, other)


def test_a_blank_sentiment_keeps_the_analysis_sentiment(client, feedback, agent):
    item = feedback["r1"]
    signed_in(client).post(
        f"{INBOX}{item.pk}/correct/", {"categories": ["delivery"], "sentiment": ""}
    )
    correction = FeedbackCorrection.objects.get()
    assert (correction.categories, correction.sentiment) == (["delivery"], "")
    item.refresh_from_db()
    assert (item.categories, item.sentiment_corrected) == (["delivery"], False)


def test_posting_the_same_values_changes_nothing(client, feedback, agent):
    item = feedback["r1"]
    response = signed_in(client).post(
        f"{INBOX}{item.pk}/correct/",
        {"categories": ["delivery", "staff"], "sentiment": item.sentiment},
    )
    assert response.status_code == 302
    assert FeedbackCorrection.objects.count() == 0


@pytest.mark.parametrize(
    "data",
    [
        {"categories": ["teleport"], "sentiment": "negative"},
        {"categories": ["delivery"], "sentiment": "furious"},
    ],
)
def test_a_bad_correction_form_is_a_400_and_changes_nothing(client, feedback, agent, data):
    item = feedback["r1"]
    response = signed_in(client).post(f"{INBOX}{item.pk}/correct/", data)
    assert response.status_code == 400
    assert response.context["correction_form"].errors
    assert FeedbackCorrection.objects.count() == 0
    item.refresh_from_db()
    assert item.categories == ["delivery", "staff"]


def test_correcting_needs_the_permission_post_and_the_store(client, feedback):
    item = feedback["r1"]
    signed_in(client, "analyst.chen", "analyst")
    data = {"categories": ["price"], "sentiment": "negative"}
    assert client.post(f"{INBOX}{item.pk}/correct/", data).status_code == 403
    page = client.get(f"{INBOX}{item.pk}/")
    assert 'action="/feedback/' not in page.content.decode()
    signed_in(client, "agent.li", "agent")
    assert client.get(f"{INBOX}{item.pk}/correct/").status_code == 405
    assert client.post(f"{INBOX}999999/correct/", data).status_code == 404
    assert FeedbackCorrection.objects.count() == 0


def test_a_store_manager_may_not_correct(client, feedback):
    signed_in(client, "manager.wang", "store_manager")
    response = client.post(f"{INBOX}{feedback['r1'].pk}/correct/", {"sentiment": "negative"})
    assert response.status_code == 403


def test_the_correction_form_needs_a_csrf_token(feedback, agent):
    client = Client(enforce_csrf_checks=True)
    client.login(username="agent.li", password=STAFF_PASSWORD)
    response = client.post(
        f"{INBOX}{feedback['r1'].pk}/correct/", {"categories": ["price"], "sentiment": "negative"}
    )
    assert response.status_code == 403
    assert FeedbackCorrection.objects.count() == 0


# --- categories in the inbox ---------------------------------------------------------------


def test_the_inbox_filters_by_category_and_shows_each_items_categories(client, feedback, agent):
    signed_in(client)
    page = client.get(INBOX, {"category": "delivery"})
    assert [item.source_id for item in page.context["page"].object_list] == ["r1"]
    content = page.content.decode()
    assert "物流配送" in content and "员工服务态度" in content
    assert client.get(INBOX, {"category": "teleport"}).status_code == 400


def test_the_inbox_shows_the_category_by_store_heat_map(client, feedback, agent):
    page = signed_in(client).get(INBOX)
    heatmap = page.context["category_heatmap"]
    assert heatmap["category_keys"] == ["product_quality", "delivery", "staff"]
    assert heatmap["counts"] == [[0, 1], [1, 0], [1, 0]]
    assert heatmap["stores"] == ["上海一店", "北京一店"]
    content = page.content.decode()
    assert 'id="chart-category-heatmap"' in content
    assert "plotly/plotly.min.js" in content
    assert "feedback/category_heatmap.js" in content


def test_the_admin_lists_corrections_and_category_models_read_only(client, feedback, agent):
    correct_feedback(item=feedback["r2"], corrected_by=agent, categories=["environment"])
    User.objects.create_superuser("root", password=STAFF_PASSWORD)
    client.login(username="root", password=STAFF_PASSWORD)
    page = client.get("/admin/feedback/feedbackcorrection/")
    assert page.status_code == 200
    assert "agent.li" in page.content.decode()
    assert client.get("/admin/feedback/categorymodel/").status_code == 200
    assert client.get("/admin/feedback/feedbackcorrection/add/").status_code == 403


def test_a_store_manager_sees_the_heat_map_of_their_stores_only(client, feedback):
    from kesheng.commerce.actions import grant_store_access

    manager = create_staff_user("manager.wang", role="store_manager")
    grant_store_access(user=manager, store_codes=["bj01"])
    client.login(username="manager.wang", password=STAFF_PASSWORD)
    page = client.get(INBOX)
    heatmap = page.context["category_heatmap"]
    assert (heatmap["category_keys"], heatmap["stores"], heatmap["counts"]) == (
        ["product_quality"],
        ["北京一店"],
        [[1]],
    )
