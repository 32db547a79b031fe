import json

import pytest

from kesheng.tracking.models import Event, Touchpoint

EVENTS = "/api/v1/events"


def event(**overrides):
    item = {
        "event_id": "E1",
        "customer_id": "C001",
        "type": "store_visit",
        "channel": "store",
        "touchpoint": "store_entrance",
        "occurred_at": "2025-03-01T14:30:00+08:00",
        "properties": {"store": "SH01"},
    }
    item.update(overrides)
    return item


def post(client, body):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(EVENTS, data=data, content_type="application/json")


@pytest.fixture
def writer(api_client):
    return api_client("events:write")


def stored_ids() -> list[str]:
    return sorted(Event.objects.values_list("event_id", flat=True))


def test_accepts_a_batch_and_stores_every_event(writer, customer):
    response = post(writer, [event(), event(event_id="E2", type="checkout")])
    assert response.status_code == 200
    assert response.json() == {"accepted": 2, "duplicates": 0, "rejected": []}
    assert stored_ids() == ["E1", "E2"]
    assert Event.objects.get(event_id="E2").type == "checkout"


def test_accepts_the_events_envelope_and_a_single_event(writer, customer):
    assert post(writer, {"events": [event()]}).json()["accepted"] == 1
    assert post(writer, event(event_id="E2")).json()["accepted"] == 1
    assert stored_ids() == ["E1", "E2"]


def test_same_batch_twice_counts_duplicates_and_changes_nothing(writer, customer):
    batch = [event(), event(event_id="E2")]
    assert post(writer, batch).json() == {"accepted": 2, "duplicates": 0, "rejected": []}
    again = post(writer, batch)
    assert again.status_code == 200
    assert again.json() == {"accepted": 0, "duplicates": 2, "rejected": []}
    assert Event.objects.count() == 2


def test_keeps_valid_events_and_reports_each_bad_one(writer, customer):
    response = post(
        writer,
        [
            event(),
            event(event_id="E2", customer_id="NOPE"),
            event(event_id="E3", occurred_at="yesterday"),
            "not an object",
            event(event_id="E5", type=None),
            event(event_id="E6", type="x" * 61),
            event(event_id="E7", properties=[1, 2]),
            event(event_id="E8", colour="red"),
            event(event_id=None),
            event(event_id="E10", occurred_at=20250301),
            event(event_id="E11"),
        ],
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["accepted"], body["duplicates"]) == (2, 0)
    assert [(r["index"], r["id"], r["field"]) for r in body["rejected"]] == [
        (1, "E2", "customer_id"),
        (2, "E3", "occurred_at"),
        (3, None, "event"),
        (4, "E5", "type"),
        (5, "E6", "type"),
        (6, "E7", "properties"),
        (7, "E8", "colour"),
        (8, None, "event_id"),
        (9, "E10", "occurred_at"),
    ]
    assert body["rejected"][0]["reason"] == "unknown customer 'NOPE'"
    assert body["rejected"][4]["reason"] == "is longer than 60 characters"
    assert stored_ids() == ["E1", "E11"]


def test_a_batch_with_no_valid_event_is_a_422_listing_each(writer, customer):
    response = post(writer, [event(customer_id="NOPE"), event(event_id="E2", channel="fax")])
    assert response.status_code == 422
    assert response.json()["accepted"] == 0
    assert [r["field"] for r in response.json()["rejected"]] == ["customer_id", "channel"]
    assert response.json()["detail"] == "no event was accepted; see rejected"
    assert Event.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ("[{", 400, "not valid JSON"),
        ("", 400, "the body is empty"),
        ("[]", 422, "the batch is empty"),
        ("42", 422, 'the body must be a JSON array, {"events": [...]} or one object'),
        ('{"events": {"event_id": "E1"}}', 422, "events: must be a JSON array"),
        ('{"events": [], "extra": 1}', 422, "unexpected key extra beside events"),
        ('[{"event_id": "E1", "properties": {"x": Infinity}}]', 400, "Infinity"),
        ('[{"event_id": "E1\\u0000"}]', 400, "NUL character"),
        # Overflows a float to infinity, which neither database stores in JSON.
        ('[{"event_id": "E1", "properties": {"x": 1e999}}]', 400, "1e999 is too large a number"),
    ],
)
def test_refuses_a_body_that_is_not_a_batch_and_writes_nothing(
    writer, customer, body, status, detail
):
    response = post(writer, body)
    assert response.status_code == status
    assert detail in response.json()["detail"]
    assert Event.objects.count() == 0


def test_refuses_more_than_the_batch_limit_with_413(writer, customer, settings):
    response = post(writer, [event(event_id=f"E{n}") for n in range(1001)])
    assert response.status_code == 413
    assert response.json() == {"detail": "a batch holds at most 1000 events; this one has 1001"}
    assert Event.objects.count() == 0


def test_a_body_over_the_upload_limit_is_a_413(writer, customer, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = post(writer, [event(properties={"note": "x" * 12_000})])
    assert response.status_code == 413
    assert "10000 bytes" in response.json()["detail"]
    assert Event.objects.count() == 0


def test_new_touchpoint_on_a_known_channel_is_created(writer, customer):
    response = post(writer, [event(touchpoint="store_popup")])
    assert response.json()["accepted"] == 1
    assert Touchpoint.objects.get(code="store_popup").channel.code == "store"


def test_needs_a_key_with_the_events_scope(api_client, client, customer):
    response = post(api_client("customers:read", "orders:write"), [event()])
    assert response.status_code == 403
    assert response.json() == {"detail": "this API key needs scope events:write"}
    unauthenticated = client.post(EVENTS, data="[]", content_type="application/json")
    assert unauthenticated.status_code == 401
    wrong = client.post(
        EVENTS,
        data=json.dumps([event()]),
        content_type="application/json",
        headers={"Authorization": "Bearer ks_0000_nope", "Accept-Language": "en"},
    )
    assert wrong.status_code == 401
    assert wrong.json() == {"detail": "invalid or revoked API key"}
    assert Event.objects.count() == 0


def test_a_revoked_key_is_401(api_client, customer):
    from kesheng.accounts.actions import revoke_api_key
    from kesheng.accounts.models import ApiKey

    writer = api_client("events:write")
    revoke_api_key(prefix=ApiKey.objects.get().prefix)
    assert post(writer, [event()]).status_code == 401
    assert Event.objects.count() == 0


@pytest.mark.parametrize("size", [10, 1000])
def test_a_batch_takes_a_constant_number_of_queries(
    writer, make_customer, django_assert_max_num_queries, size
):
    for number in range(3):
        make_customer(f"C{number}")
    post(writer, [event(event_id="warm-up", customer_id="C0")])
    batch = [
        event(event_id=f"E{n}", customer_id=f"C{n % 3}", touchpoint=f"store_new_{n % 2}")
        for n in range(size)
    ]
    # key, customers, channels, touchpoints, savepoint, existing ids (a chunk per 900 on
    # SQLite), new touchpoints and their ids, the insert, the outbox row, release
    with django_assert_max_num_queries(12):
        response = post(writer, batch)
    assert response.json()["accepted"] == size


def test_a_time_out_of_range_rejects_that_event_only(writer, customer):
    response = post(writer, [event(occurred_at="0001-01-01T00:00:00+08:00"), event(event_id="E2")])
    assert response.status_code == 200
    assert response.json()["rejected"] == [
        {
            "index": 0,
            "id": "E1",
            "field": "occurred_at",
            "reason": "'0001-01-01T00:00:00+08:00' is out of the range of dates this system stores",
        }
    ]
    assert stored_ids() == ["E2"]
