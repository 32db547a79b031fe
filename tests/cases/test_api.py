"""GET/POST /api/v1/cases, GET /cases/{id}, POST /cases/{id}/reply and /resolve: scopes,
refusals with field and reason, exact bodies."""

import json

import pytest

from kesheng.cases.actions import open_case
from kesheng.cases.models import Case

URL = "/api/v1/cases"


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def complaint(customer, stores):
    return open_case(
        category="complaint", customer=customer, summary="退款没到", store_id=stores["sh01"].pk
    )


def test_refuses_without_a_key_and_without_the_scope(api_client, complaint):
    from django.test import Client

    assert Client().get(URL).status_code == 401
    refused = api_client("cases:read").post(URL, data="{}", content_type="application/json")
    assert refused.status_code == 403
    assert refused.json() == {"detail": "this API key needs scope cases:write"}
    assert api_client("feedback:read").get(f"{URL}/{complaint.pk}").status_code == 403


def test_lists_a_customers_open_cases(api_client, complaint, customer):
    closed = open_case(category="delivery", customer=customer, summary="s")
    closed.status = "closed"
    Case.objects.filter(pk=closed.pk).update(status="closed")
    response = api_client("cases:read").get(URL, {"customer_id": "C001", "status": "open"})
    assert response.status_code == 200
    body = response.json()
    assert body["next"] is None
    assert [
        {key: item[key] for key in ("id", "customer_id", "category", "urgency", "status", "store")}
        for item in body["items"]
    ] == [
        {
            "id": complaint.pk,
            "customer_id": "C001",
            "category": "complaint",
            "urgency": "P3",
            "status": "new",
            "store": "sh01",
        }
    ]
    item = body["items"][0]
    assert item["first_response_due"].startswith(complaint.first_response_due.isoformat()[:19])
    assert item["resolution_due"].startswith(complaint.resolution_due.isoformat()[:19])


def test_list_refusals_name_the_field(api_client, complaint):
    client = api_client("cases:read")
    bad = client.get(URL, {"status": "lost"})
    assert bad.status_code == 422
    assert bad.json()["errors"] == [
        {
            "field": "status",
            "reason": "'lost' is not one of open, new, acknowledged, in_progress, "
            "waiting_on_customer, resolved, closed, reopened",
        }
    ]
    unknown = client.get(URL, {"customer_id": "NOPE"})
    assert unknown.status_code == 404


def test_one_case_with_its_history_or_404(api_client, complaint):
    client = api_client("cases:read")
    response = client.get(f"{URL}/{complaint.pk}")
    assert response.status_code == 200
    assert [(event["kind"], event["to_value"]) for event in response.json()["history"]] == [
        ("opened", "new")
    ]
    missing = client.get(f"{URL}/999999")
    assert (missing.status_code, missing.json()) == (404, {"detail": "no case 999999"})


def test_opens_a_case_and_refuses_a_duplicate_with_409(api_client, customer, stores):
    client = api_client("cases:write")
    body = {
        "category": "complaint",
        "summary": "电话投诉：店员态度差",
        "customer_id": "C001",
        "store": "bj01",
        "urgency": "P2",
    }
    created = post(client, URL, body)
    assert created.status_code == 201
    case = Case.objects.get()
    assert created.json()["id"] == case.pk
    assert (case.category, case.urgency, case.store.code, case.customer_id, case.opened_by) == (
        "complaint",
        "P2",
        "bj01",
        customer.pk,
        None,
    )
    again = post(client, URL, body)
    assert again.status_code == 409
    assert (
        again.json()["detail"]
        == f"this customer already has an open case for this cause: #{case.pk}"
    )
    assert Case.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {"category": "rudeness", "summary": "x"},
            ["category"],
        ),
        ({"category": "complaint"}, ["summary"]),
        ({"category": "complaint", "summary": "x", "colour": "red"}, ["colour"]),
        ({"category": "complaint", "summary": "x", "urgency": "P9"}, ["urgency"]),
    ],
)
def test_bad_bodies_are_422_naming_each_field(api_client, db, body, errors):
    response = post(api_client("cases:write"), URL, body)
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == errors
    assert Case.objects.count() == 0


def test_unknown_references_are_422_with_reasons(api_client, db):
    response = post(
        api_client("cases:write"),
        URL,
        {"category": "complaint", "summary": "x", "customer_id": "NOPE", "store": "zz"},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "customer_id", "reason": "no customer has the id 'NOPE'"},
        {"field": "store", "reason": "no store has the code 'zz'"},
    ]
    assert Case.objects.count() == 0


def test_reply_then_resolve_and_a_second_resolve_is_refused(api_client, complaint):
    client = api_client("cases:write")
    replied = post(client, f"{URL}/{complaint.pk}/reply", {"text": "您好，已为您安排退款"})
    assert replied.status_code == 200
    assert replied.json()["first_responded_at"] is not None
    resolved = post(client, f"{URL}/{complaint.pk}/resolve", {"note": "退款完成"})
    assert (resolved.status_code, resolved.json()["status"]) == (200, "resolved")
    again = post(client, f"{URL}/{complaint.pk}/resolve", {})
    assert again.status_code == 422
    assert again.json()["errors"] == [
        {
            "field": "status",
            "reason": "a case that is resolved cannot become resolved; "
            "it can become: closed, reopened",
        }
    ]
    assert post(client, f"{URL}/999999/reply", {"text": "x"}).status_code == 404
    empty = post(client, f"{URL}/{complaint.pk}/reply", {"text": ""})
    assert (empty.status_code, empty.json()["errors"][0]["field"]) == (422, "text")
