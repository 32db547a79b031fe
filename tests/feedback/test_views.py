"""The feedback inbox and item page: filters, Chinese search, store scoping, permissions."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kesheng.commerce.actions import grant_store_access
from kesheng.feedback.actions import record_feedback
from kesheng.feedback.models import FeedbackItem
from tests.staff_fixtures import STAFF_PASSWORD, create_staff_user, create_user_with_permissions

INBOX = "/feedback/"


@pytest.fixture
def feedback(stores, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        record_feedback(
            items=[
                {
                    "source": "review",
                    "source_id": "r1",
                    "text": "店员很热情，推荐大家来",
                    "store": "sh01",
                    "occurred_at": "2026-11-02 10:00:00",
                },
                {
                    "source": "social",
                    "source_id": "s1",
                    "text": "排队太久，服务态度很差，再也不来了",
                    "store": "bj01",
                    "occurred_at": "2026-11-05 10:00:00",
                },
                {
                    "source": "email",
                    "source_id": "e1",
                    "text": "The delivery was late and nobody answered the phone.",
                    "occurred_at": "2026-11-09 10:00:00",
                },
            ]
        )
    return {item.source_id: item for item in FeedbackItem.objects.all()}


def signed_in(client, username: str = "cx.zhang", role: str = "cx_manager"):
    create_staff_user(username, role=role)
    client.login(username=username, password=STAFF_PASSWORD)
    return client


def listed(page) -> list[str]:
    return [item.source_id for item in page.context["page"].object_list]


def test_the_inbox_lists_every_item_newest_first(client, feedback):
    page = signed_in(client).get(INBOX)
    assert page.status_code == 200
    assert listed(page) == ["e1", "s1", "r1"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"source": "social"}, ["s1"]),
        ({"sentiment": "positive"}, ["r1"]),
        ({"sentiment": "negative"}, ["e1", "s1"]),
        ({"store": "sh01"}, ["r1"]),
        ({"date_from": "2026-11-03", "date_to": "2026-11-05"}, ["s1"]),
        ({"q": "排队"}, ["s1"]),
        ({"q": "DELIVERY"}, ["e1"]),
    ],
)
def test_the_inbox_filters_and_searches(client, feedback, query, expected):
    assert listed(signed_in(client).get(INBOX, query)) == expected


def test_bad_filters_are_a_400_with_the_form(client, feedback):
    page = signed_in(client).get(
        INBOX, {"date_from": "2026-12-01", "date_to": "2026-11-01", "source": "fax"}
    )
    assert page.status_code == 400
    assert set(page.context["form"].errors) == {"date_to", "source"}


def test_a_store_manager_sees_only_their_stores(client, feedback):
    manager = create_staff_user("manager.wang", role="store_manager")
    grant_store_access(user=manager, store_codes=["bj01"])
    client.login(username="manager.wang", password=STAFF_PASSWORD)
    assert listed(client.get(INBOX)) == ["s1"]
    assert client.get(f"{INBOX}{feedback['s1'].pk}/").status_code == 200
    assert client.get(f"{INBOX}{feedback['r1'].pk}/").status_code == 404
    assert client.get(f"{INBOX}{feedback['e1'].pk}/").status_code == 404


def test_the_item_page_shows_the_text_and_its_analysis(client, feedback):
    page = signed_in(client).get(f"{INBOX}{feedback['r1'].pk}/")
    assert page.status_code == 200
    content = page.content.decode()
    assert "店员很热情，推荐大家来" in content
    assert "sentiment-positive" in content


def test_the_inbox_needs_the_view_permission(client, feedback):
    create_user_with_permissions("someone")
    client.login(username="someone", password=STAFF_PASSWORD)
    assert client.get(INBOX).status_code == 403
    client.logout()
    assert client.get(INBOX).status_code == 302


def test_the_inbox_runs_a_fixed_number_of_queries(client, feedback):
    signed_in(client)
    with CaptureQueriesContext(connection) as few:
        client.get(INBOX)
    record_feedback(
        items=[
            {"source": "review", "source_id": f"more-{n}", "text": "不错", "store": "sh01"}
            for n in range(10)
        ]
    )
    with CaptureQueriesContext(connection) as many:
        client.get(INBOX)
    assert len(many.captured_queries) == len(few.captured_queries)
