"""POST and GET /api/v1/feedback: scopes, per-item errors, idempotency on source + source_id,
analysis after commit."""

import json

import pytest

from kesheng.feedback.models import FeedbackItem

URL = "/api/v1/feedback"


def post(client, body):
    return client.post(URL, data=json.dumps(body), content_type="application/json")


REVIEW = {
    "source": "review",
    "source_id": "dp-1001",
    "text": "店员很热情，推荐大家来",
    "rating": 5,
    "store": "sh01",
    "occurred_at": "2026-11-20T14:30:00",
    "platform": "dianping",
    "author": "小王",
}


def test_refuses_a_request_without_a_key(db):
    from django.test import Client

    response = Client().post(
        URL, data=json.dumps({"items": [REVIEW]}), content_type="application/json"
    )
    assert response.status_code == 401
    assert FeedbackItem.objects.count() == 0


def test_refuses_a_key_without_the_write_scope(api_client, stores):
    response = post(api_client("feedback:read"), {"items": [REVIEW]})
    assert response.status_code == 403
    assert response.json() == {"detail": "this API key needs scope feedback:write"}
    assert FeedbackItem.objects.count() == 0


def test_stores_an_item_once_and_analyses_it(
    api_client, stores, customer, django_capture_on_commit_callbacks
):
    client = api_client("feedback:write")
    item = {**REVIEW, "customer_id": "C001"}
    with django_capture_on_commit_callbacks(execute=True):
        first = post(client, {"items": [item]})
    assert first.status_code == 200
    assert first.json() == {"created": 1, "duplicates": 0, "errors": []}
    with django_capture_on_commit_callbacks(execute=True):
        again = post(client, {"items": [item]})
    assert again.json() == {"created": 0, "duplicates": 1, "errors": []}
    stored = FeedbackItem.objects.get()
    assert (stored.source, stored.source_id, stored.store.code, stored.customer_id) == (
        "review",
        "dp-1001",
        "sh01",
        customer.pk,
    )
    assert (stored.rating, stored.platform, stored.author) == (5.0, "dianping", "小王")
    assert stored.occurred_at.isoformat() == "2026-11-20T06:30:00+00:00"
    assert (stored.analysis_status, stored.detected_language, stored.sentiment) == (
        "analysed",
        "zh",
        "positive",
    )
    assert stored.sentiment_score > 0.2
    assert "店员" in stored.keywords


def test_the_same_source_id_from_another_source_is_another_item(api_client, stores):
    body = {"items": [REVIEW, {**REVIEW, "source": "social"}, {**REVIEW}]}
    assert post(api_client("feedback:write"), body).json() == {
        "created": 2,
        "duplicates": 1,
        "errors": [],
    }


def test_links_an_item_to_the_customer_with_that_phone(api_client, customer):
    item = {
        "source": "call",
        "source_id": "call-7",
        "text": "来电询问退货",
        "phone": "138 0013 8000",
    }
    assert post(api_client("feedback:write"), [item]).status_code == 200
    assert FeedbackItem.objects.get().customer_id == customer.pk


def test_keeps_good_items_and_names_each_bad_one(api_client, stores):
    body = {
        "items": [
            REVIEW,
            {**REVIEW, "source_id": "x1", "source": "fax"},
            {**REVIEW, "source_id": "x2", "store": "nowhere"},
            {**REVIEW, "source_id": "x3", "text": "  "},
            {**REVIEW, "source_id": "x4", "rating": 11},
            {**REVIEW, "source_id": "x5", "customer_id": "NOBODY"},
            {**REVIEW, "source_id": "x6", "colour": "red"},
        ]
    }
    response = post(api_client("feedback:write"), body)
    assert response.status_code == 200
    assert response.json() == {
        "created": 1,
        "duplicates": 0,
        "errors": [
            {
                "index": 1,
                "id": "x1",
                "field": "source",
                "reason": "'fax' is not one of review, social, call, email, complaint",
            },
            {"index": 2, "id": "x2", "field": "store", "reason": "no store has the code 'nowhere'"},
            {"index": 3, "id": "x3", "field": "text", "reason": "is required"},
            {"index": 4, "id": "x4", "field": "rating", "reason": "must be between 0 and 10"},
            {
                "index": 5,
                "id": "x5",
                "field": "customer_id",
                "reason": "no customer has the id 'NOBODY'",
            },
            {"index": 6, "id": "x6", "field": "colour", "reason": "is not a feedback field"},
        ],
    }
    assert list(FeedbackItem.objects.values_list("source_id", flat=True)) == ["dp-1001"]


def test_answers_422_when_no_item_is_accepted(api_client, stores):
    response = post(api_client("feedback:write"), {"items": [{**REVIEW, "source": "survey"}]})
    assert response.status_code == 422
    assert response.json()["detail"] == "no item was accepted; see errors"
    assert response.json()["errors"][0]["field"] == "source"
    assert FeedbackItem.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "status"),
    [(b"{not json", 400), (b'{"items": []}', 422), (b'{"items": {}}', 422), (b"42", 422)],
)
def test_refuses_a_body_of_the_wrong_shape(api_client, body, status):
    response = api_client("feedback:write").post(URL, data=body, content_type="application/json")
    assert response.status_code == status
    assert FeedbackItem.objects.count() == 0


def test_lists_items_with_their_analysis(api_client, stores, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post(api_client("feedback:write"), [REVIEW, {**REVIEW, "source_id": "dp-1002"}])
    assert api_client("feedback:write").get(URL).status_code == 403
    page = api_client("feedback:read").get(URL, {"limit": 1}).json()
    assert [item["source_id"] for item in page["items"]] == ["dp-1001"]
    assert page["items"][0]["sentiment"] == "positive"
    assert page["items"][0]["store"] == "sh01"
    assert page["items"][0]["categories"] == ["staff"]
    assert [
        (aspect["category"], aspect["sentiment"], aspect["mentions"])
        for aspect in page["items"][0]["aspects"]
    ] == [("staff", "positive", 2)]
    rest = api_client("feedback:read").get(URL, {"after": page["next"]}).json()
    assert ([item["source_id"] for item in rest["items"]], rest["next"]) == (["dp-1002"], None)
