import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kesheng.tracking.actions import record_events
from tests.staff_fixtures import (
    build_customer_with_history,
    create_staff_user,
    create_user_with_permissions,
)


@pytest.fixture
def staff_client(client, db):
    client.force_login(create_staff_user(role="analyst"))
    return client


def test_touchpoint_map_asks_an_anonymous_visitor_to_log_in(client, db):
    response = client.get("/touchpoints/")
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/touchpoints/"


def test_touchpoint_map_refuses_a_user_without_the_view_permission(client, db):
    client.force_login(create_user_with_permissions("intern"))
    assert client.get("/touchpoints/").status_code == 403


def test_touchpoint_map_places_touchpoints_by_channel_and_stage_with_event_counts(staff_client):
    build_customer_with_history("C001", events=5)
    response = staff_client.get("/touchpoints/")
    assert response.status_code == 200
    overview = response.context["overview"]
    assert [stage.stage for stage in overview.stages] == [
        "awareness",
        "consideration",
        "purchase",
        "delivery",
        "usage",
        "loyalty",
    ]
    assert overview.event_count == 5
    store = next(row for row in overview.rows if row.channel.code == "store")
    assert store.event_count == 2
    purchase_cell = store.cells[2]
    assert [(t.code, t.event_count) for t in purchase_cell] == [("store_checkout", 2)]
    assert {stage.stage: stage.event_count for stage in overview.stages} == {
        "awareness": 0,
        "consideration": 2,
        "purchase": 2,
        "delivery": 0,
        "usage": 1,
        "loyalty": 0,
    }
    html = response.content.decode()
    assert "收银结账" in html
    assert "门店" in html


def test_touchpoint_map_query_count_does_not_grow_with_events(staff_client):
    build_customer_with_history("C001", events=1)
    with CaptureQueriesContext(connection) as few:
        staff_client.get("/touchpoints/")
    record_events(
        items=[
            {
                "event_id": f"X{number}",
                "customer_id": "C001",
                "type": "visit",
                "touchpoint": "new_kiosk",
                "channel": "store",
                "occurred_at": "2025-03-01T10:00:00+08:00",
            }
            for number in range(20)
        ]
    )
    with CaptureQueriesContext(connection) as many:
        response = staff_client.get("/touchpoints/")
    assert len(many) == len(few)
    # A touchpoint created by an incoming event has no stage yet and shows under "unassigned".
    assert response.context["overview"].stages[-1].stage == "unassigned"
