"""The case queue and case page: filters, store scoping, the action forms, refusals, and the
cases panel on the customer-360 page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kesheng.cases.actions import open_case
from kesheng.cases.models import Case
from kesheng.commerce.actions import grant_store_access
from tests.staff_fixtures import STAFF_PASSWORD, create_staff_user

QUEUE = "/cases/"


@pytest.fixture
def cases(stores, make_customer):
    long_ago = timezone.now() - timedelta(days=10)
    return {
        "sh": open_case(
            category="complaint",
            customer=make_customer("C1"),
            summary="sh",
            store_id=stores["sh01"].pk,
            urgency="P1",
        ),
        "bj": open_case(
            category="complaint",
            customer=make_customer("C2"),
            summary="bj",
            store_id=stores["bj01"].pk,
            now=long_ago,
        ),
        "none": open_case(
            category="delivery", customer=make_customer("C3"), summary="none", urgency="P4"
        ),
    }


def signed_in(client, username="agent.li", role="agent"):
    user = create_staff_user(username, role=role)
    client.login(username=username, password=STAFF_PASSWORD)
    return user


def listed(page) -> list[str]:
    return [case.summary for case in page.context["page"].object_list]


def test_the_queue_lists_open_cases_most_urgent_first(client, cases):
    signed_in(client)
    page = client.get(QUEUE)
    assert page.status_code == 200
    assert listed(page) == ["sh", "bj", "none"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"urgency": "P4"}, ["none"]),
        ({"store": "bj01"}, ["bj"]),
        ({"overdue": "on"}, ["bj"]),
        ({"status": "closed"}, []),
    ],
)
def test_the_queue_filters(client, cases, query, expected):
    signed_in(client)
    assert listed(client.get(QUEUE, query)) == expected


def test_a_bad_filter_is_a_400(client, cases):
    signed_in(client)
    assert client.get(QUEUE, {"status": "lost"}).status_code == 400


def test_a_store_manager_sees_and_opens_only_their_stores_cases(client, cases):
    manager = signed_in(client, "manager.wang", role="store_manager")
    grant_store_access(user=manager, store_codes=["bj01"])
    assert listed(client.get(QUEUE)) == ["bj"]
    assert client.get(f"{QUEUE}{cases['bj'].pk}/").status_code == 200
    assert client.get(f"{QUEUE}{cases['sh'].pk}/").status_code == 404
    refused = client.post(f"{QUEUE}{cases['sh'].pk}/status/", {"status": "acknowledged"})
    assert refused.status_code == 404
    assert Case.objects.get(pk=cases["sh"].pk).status == "new"


def test_an_analyst_may_read_but_not_act(client, cases):
    signed_in(client, "analyst.zhao", role="analyst")
    assert client.get(f"{QUEUE}{cases['sh'].pk}/").status_code == 200
    response = client.post(f"{QUEUE}{cases['sh'].pk}/note/", {"text": "x"})
    assert response.status_code == 403
    assert Case.objects.get(pk=cases["sh"].pk).events.count() == 1


def test_the_case_page_acts_and_records_who(client, cases):
    agent = signed_in(client)
    case = cases["sh"]
    assert client.post(f"{QUEUE}{case.pk}/status/", {"status": "acknowledged"}).status_code == 302
    assert client.post(f"{QUEUE}{case.pk}/assign/", {"assignee": agent.pk}).status_code == 302
    assert (
        client.post(f"{QUEUE}{case.pk}/note/", {"text": "已致电顾客", "is_reply": "on"}).status_code
        == 302
    )
    assert client.post(f"{QUEUE}{case.pk}/urgency/", {"urgency": "P2"}).status_code == 302
    case.refresh_from_db()
    assert (case.status, case.assignee_id, case.urgency) == ("acknowledged", agent.pk, "P2")
    assert list(case.events.values_list("kind", "actor_id")) == [
        ("opened", None),
        ("status", agent.pk),
        ("assigned", agent.pk),
        ("reply", agent.pk),
        ("urgency", agent.pk),
    ]
    page = client.get(f"{QUEUE}{case.pk}/")
    assert "已致电顾客" in page.content.decode()


def test_a_bad_transition_shows_the_reason_and_changes_nothing(client, cases):
    signed_in(client)
    case = cases["sh"]
    response = client.post(f"{QUEUE}{case.pk}/status/", {"status": "reopened"})
    assert response.status_code == 400
    # The staff pages speak zh-Hans by default: 状态为新建的工单不能变为已重开 …
    assert "不能变为" in response.content.decode()
    case.refresh_from_db()
    assert (case.status, case.events.count()) == ("new", 1)


def test_opening_a_case_by_hand_and_the_duplicate_refused(client, cases, stores):
    signed_in(client)
    body = {
        "customer_id": "C1",
        "category": "staff",
        "urgency": "P3",
        "store": "sh01",
        "summary": "店员态度",
    }
    created = client.post(f"{QUEUE}new/", body)
    assert created.status_code == 302
    case = Case.objects.get(category="staff")
    assert created["Location"] == f"/cases/{case.pk}/"
    again = client.post(f"{QUEUE}new/", body)
    assert again.status_code == 409
    assert Case.objects.filter(category="staff").count() == 1
    unknown = client.post(f"{QUEUE}new/", {**body, "customer_id": "NOPE"})
    assert unknown.status_code == 400
    assert "没有编号为 &#x27;NOPE&#x27; 的客户" in unknown.content.decode()


def test_the_customer_page_shows_open_cases(client, cases):
    signed_in(client, "cx.zhang", role="cx_manager")
    page = client.get("/customers/C1/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f"/cases/{cases['sh'].pk}/" in html


def test_the_case_page_shows_the_customers_timeline_beside_it(client, cases):
    from kesheng.commerce.actions import record_orders

    record_orders(
        items=[
            {
                "order_id": "SO-1",
                "customer_id": "C1",
                "ordered_at": "2026-03-01T14:30:00+08:00",
                "amount": "88.00",
                "channel": "web",
            },
            {
                "order_id": "SO-2",
                "customer_id": "C2",
                "ordered_at": "2026-03-02T14:30:00+08:00",
                "amount": "99.00",
                "channel": "web",
            },
        ]
    )
    signed_in(client, role="cx_manager")
    page = client.get(f"/cases/{cases['sh'].pk}/")
    assert page.status_code == 200
    timeline = page.context["timeline"]
    # Only this customer's entries: their order, not another customer's.
    assert [item.entry.kind for item in timeline] == ["order"]
    assert timeline[0].entry.occurred_at.isoformat().startswith("2026-03-01T06:30")
    assert "客户的时间线" in page.content.decode()
