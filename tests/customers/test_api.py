import json

import pytest

from kesheng.commerce.actions import record_orders
from kesheng.customers.api import decode_cursor, encode_cursor
from kesheng.customers.models import Customer, CustomerMerge, Identity
from kesheng.tracking.actions import record_events

CUSTOMERS = "/api/v1/customers"


def post(client, body, url=CUSTOMERS):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(url, data=data, content_type="application/json")


@pytest.fixture
def writer(api_client):
    return api_client("customers:write")


@pytest.fixture
def reader(api_client):
    return api_client("customers:read")


def snapshot():
    return (
        sorted(Customer.objects.values_list("customer_id", "name", "city")),
        sorted(Identity.objects.values_list("kind", "value")),
    )


def test_post_creates_a_customer_with_201(writer):
    response = post(
        writer,
        {
            "customer_id": "C1",
            "name": "李雷",
            "email": "Li.Lei@Example.com",
            "phone": "138 0013 8000",
            "tags": ["vip"],
            "consents": {"email:surveys": True},
            "birthday": "1990-05-01",
        },
    )
    assert response.status_code == 201
    assert response.json() == {
        "customer_id": "C1",
        "created": True,
        "changed": True,
        "merged_customer_ids": [],
    }
    customer = Customer.objects.get()
    assert customer.name == "李雷"
    assert str(customer.birthday) == "1990-05-01"
    assert set(customer.identities.values_list("kind", "value")) == {
        ("customer_id", "C1"),
        ("email", "li.lei@example.com"),
        ("phone", "+8613800138000"),
    }
    assert list(customer.tags.values_list("name", flat=True)) == ["vip"]


def test_post_matching_an_identity_updates_with_200(writer, make_customer):
    make_customer("C1", email="li@example.com", city="北京")
    response = post(writer, {"email": "LI@example.com", "city": "上海"})
    assert response.status_code == 200
    assert response.json() == {
        "customer_id": "C1",
        "created": False,
        "changed": True,
        "merged_customer_ids": [],
    }
    assert Customer.objects.get().city == "上海"


def test_post_of_the_same_record_twice_changes_nothing(writer):
    body = {"customer_id": "C1", "name": "李雷", "email": "li@example.com"}
    assert post(writer, body).status_code == 201
    again = post(writer, body)
    assert again.status_code == 200
    assert again.json()["changed"] is False
    assert Customer.objects.count() == 1


def test_post_joining_two_profiles_merges_them(writer, make_customer):
    survivor = make_customer("C1", phone="13800138000")
    make_customer("C2", email="wang@example.com")
    record_orders(
        items=[
            {
                "order_id": "O1",
                "customer_id": "C2",
                "ordered_at": "2025-01-02T10:00:00+08:00",
                "amount": "99.50",
                "channel": "web",
            }
        ]
    )
    response = post(writer, {"phone": "+86 138-0013-8000", "email": "wang@example.com"})
    assert response.status_code == 200
    assert response.json()["customer_id"] == "C1"
    assert response.json()["merged_customer_ids"] == ["C2"]
    assert list(Customer.objects.values_list("pk", flat=True)) == [survivor.pk]
    assert CustomerMerge.objects.get().merged_customer_id == "C2"
    assert survivor.orders.get().order_id == "O1"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"customer_id": "C9", "email": "not-an-email"}, "email"),
        ({"customer_id": "C9", "name": 123}, "name"),
        ({"customer_id": "C9", "name": None, "birthday": "yesterday"}, "birthday"),
        ({"customer_id": "C9", "name": "x" * 201}, "name"),
        ({"customer_id": "C9", "gender": "robot"}, "gender"),
        ({"customer_id": "C9", "consents": {"fax:spam": True}}, "consents.fax:spam"),
        ({"customer_id": "C9", "consents": {"email:surveys": "maybe"}}, "consents.email:surveys"),
        ({"customer_id": "C9", "tags": ["ok", ""]}, "tags[1]"),
        ({"customer_id": "C9", "emial": "typo@example.com"}, "emial"),
        ({"customer_id": "x" * 65}, "customer_id"),
        ({"name": "nobody"}, "customer_id"),
        ({"customer_id": "C9", "attributes": {"blob": "x" * 20_000}}, "attributes"),
        ({"customer_id": "C9", "attributes": []}, "attributes"),
        ([{"customer_id": "C9"}], "body"),
    ],
)
def test_post_refuses_bad_fields_with_422_naming_them_and_writes_nothing(
    writer, make_customer, body, field
):
    make_customer("C1", name="王芳")
    before = snapshot()
    response = post(writer, body)
    assert response.status_code == 422
    assert field in [error["field"] for error in response.json()["errors"]]
    assert response.json()["detail"]
    assert snapshot() == before


def test_post_names_every_bad_field_in_one_answer(writer, db):
    response = post(
        writer,
        {
            "customer_id": "C9",
            "email": "not-an-email",
            "phone": "12",
            "birthday": "yesterday",
            "gender": "robot",
            "consents": {"email:surveys": True, "fax:spam": True},
        },
    )
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == [
        "email",
        "phone",
        "gender",
        "birthday",
        "consents.fax:spam",
    ]
    assert response.json()["detail"] == (
        "5 fields are invalid: email, phone, gender, birthday, consents.fax:spam"
    )
    assert Customer.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("{not json", "not valid JSON: Expecting property name enclosed in double quotes"),
        ('{"customer_id": "C9", "name": "a\\u0000b"}', "NUL character"),
        ('{"customer_id": "C9", "attributes": {"x": NaN}}', "NaN is not a JSON number"),
        ('{"customer_id": "C9", "attributes": {"x": -1e999}}', "-1e999 is too large a number"),
        ('{"customer_id": "C9", "name": "\\ud800"}', "unpaired UTF-16 surrogate"),
        ("[" * 100_000, "nested too deeply"),
        (b"\xff\xfe{}", "not UTF-8"),
    ],
)
def test_post_refuses_malformed_json_with_400_and_writes_nothing(
    writer, make_customer, body, reason
):
    make_customer("C1")
    before = snapshot()
    response = post(writer, body)
    assert response.status_code == 400
    assert response.json()["detail"].startswith("cannot parse the body: ")
    assert reason in response.json()["detail"]
    assert snapshot() == before


def test_post_with_an_empty_body_is_a_422(writer, db):
    response = post(writer, "")
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "body", "reason": "Field required"}]
    assert Customer.objects.count() == 0


def test_post_needs_the_customers_write_scope(api_client, reader):
    response = post(api_client("events:write"), {"customer_id": "C1"})
    assert response.status_code == 403
    assert response.json() == {"detail": "this API key needs scope customers:write"}
    assert Customer.objects.count() == 0


def test_post_without_a_key_is_401(client, db):
    response = client.post(CUSTOMERS, data='{"customer_id": "C1"}', content_type="application/json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="kesheng"'
    assert "detail" in response.json()
    assert Customer.objects.count() == 0


def test_profile_has_identities_consents_tags_and_order_totals(reader, make_customer):
    make_customer(
        "C1",
        name="王芳",
        email="wang@example.com",
        city="上海",
        tags=["vip", "app"],
        consents={"email:surveys": True},
    )
    record_orders(
        items=[
            {
                "order_id": "O1",
                "customer_id": "C1",
                "ordered_at": "2025-01-02T10:00:00+08:00",
                "amount": "99.50",
                "channel": "web",
            },
            {
                "order_id": "O2",
                "customer_id": "C1",
                "ordered_at": "2025-02-02T10:00:00+08:00",
                "amount": "20.25",
                "channel": "web",
            },
            {
                "order_id": "O3",
                "customer_id": "C1",
                "ordered_at": "2025-03-02T10:00:00+08:00",
                "amount": "5.00",
                "currency": "USD",
                "channel": "web",
            },
        ]
    )
    record_events(
        items=[
            {
                "event_id": "E1",
                "customer_id": "C1",
                "type": "page_view",
                "touchpoint": "web_browse",
                "occurred_at": "2025-01-01T09:00:00+08:00",
            }
        ]
    )
    response = reader.get(f"{CUSTOMERS}/C1")
    assert response.status_code == 200
    profile = response.json()
    assert profile["customer_id"] == "C1"
    assert profile["name"] == "王芳"
    assert profile["city"] == "上海"
    assert [(i["kind"], i["value"]) for i in profile["identities"]] == [
        ("customer_id", "C1"),
        ("email", "wang@example.com"),
    ]
    assert [(c["channel"], c["purpose"], c["is_granted"]) for c in profile["consents"]] == [
        ("email", "surveys", True)
    ]
    assert profile["tags"] == ["app", "vip"]
    assert profile["orders"]["count"] == 3
    assert profile["orders"]["totals"] == {"CNY": "119.75", "USD": "5.00"}
    assert profile["orders"]["first_at"].startswith("2025-01-02T02:00:00")
    assert profile["orders"]["last_at"].startswith("2025-03-02T02:00:00")
    assert profile["events"]["count"] == 1


def test_profile_of_an_unknown_customer_is_404(reader, db):
    response = reader.get(f"{CUSTOMERS}/nobody")
    assert response.status_code == 404
    assert "nobody" in response.json()["detail"]


def test_an_unknown_customer_is_named_in_the_language_of_the_request(reader, db):
    response = reader.get(f"{CUSTOMERS}/nobody", headers={"Accept-Language": "zh-hans"})
    assert response.status_code == 404
    assert response.json() == {"detail": "没有 customer_id 为 'nobody' 的客户"}
    english = reader.get(f"{CUSTOMERS}/nobody")
    assert english.json() == {"detail": "no customer with customer_id 'nobody'"}


def test_profile_needs_the_read_scope(writer, make_customer):
    make_customer("C1")
    assert writer.get(f"{CUSTOMERS}/C1").status_code == 403


def test_profile_with_a_wrong_key_is_401(client, make_customer):
    make_customer("C1")
    response = client.get(f"{CUSTOMERS}/C1", headers={"Authorization": "Bearer ks_abc_def"})
    assert response.status_code == 401
    response = client.get(f"{CUSTOMERS}/C1", headers={"Authorization": "Basic abc"})
    assert response.status_code == 401


def _timeline_data(customer_id: str, events: int, orders: int, *, same_time: bool) -> None:
    def moment(number: int) -> str:
        if same_time:
            return "2025-01-01T10:00:00+08:00"
        return f"2025-01-{1 + number % 28:02d}T{number % 24:02d}:00:00+08:00"

    record_events(
        items=[
            {
                "event_id": f"E{n}",
                "customer_id": customer_id,
                "type": "visit",
                "touchpoint": "web_browse",
                "occurred_at": moment(n),
            }
            for n in range(events)
        ]
    )
    record_orders(
        items=[
            {
                "order_id": f"O{n}",
                "customer_id": customer_id,
                "ordered_at": moment(n + 7),
                "amount": "1.00",
                "channel": "web",
            }
            for n in range(orders)
        ]
    )


def walk(client, customer_id: str, limit: int) -> tuple[list[str], int]:
    seen: list[str] = []
    pages = 0
    url = f"{CUSTOMERS}/{customer_id}/timeline?limit={limit}"
    while url:
        response = client.get(url)
        assert response.status_code == 200
        page = response.json()
        pages += 1
        seen += [item["data"].get("event_id") or item["data"]["order_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        url = f"{CUSTOMERS}/{customer_id}/timeline?limit={limit}&cursor={cursor}" if cursor else ""
    return seen, pages


@pytest.mark.parametrize("same_time", [False, True])
def test_cursor_walks_the_whole_timeline_once_newest_first(reader, make_customer, same_time):
    make_customer("C1")
    _timeline_data("C1", events=23, orders=9, same_time=same_time)
    seen, pages = walk(reader, "C1", limit=5)
    assert len(seen) == 32
    assert len(set(seen)) == 32
    assert pages == 7
    everything = reader.get(f"{CUSTOMERS}/C1/timeline?limit=200").json()
    assert [
        item["data"].get("event_id") or item["data"]["order_id"] for item in everything["items"]
    ] == seen
    times = [item["occurred_at"] for item in everything["items"]]
    assert times == sorted(times, reverse=True)
    assert everything["next_cursor"] is None


def test_timeline_items_carry_kind_time_channel_and_data(reader, make_customer):
    make_customer("C1")
    _timeline_data("C1", events=1, orders=1, same_time=False)
    items = reader.get(f"{CUSTOMERS}/C1/timeline").json()["items"]
    assert [(item["kind"], item["title"], item["channel"]) for item in items] == [
        ("order", "O0", "web"),
        ("event", "visit", "web"),
    ]
    assert items[1]["touchpoint"] == "web_browse"
    assert items[1]["occurred_at"] == "2024-12-31T16:00:00Z"


@pytest.mark.parametrize(
    "cursor", ["garbage", "W10", encode_cursor.__name__, "eyJhIjogMX0", "%00", "a" * 600]
)
def test_a_malformed_cursor_is_a_422_not_a_500(reader, make_customer, cursor):
    make_customer("C1")
    response = reader.get(f"{CUSTOMERS}/C1/timeline?cursor={cursor}")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "cursor"


@pytest.mark.parametrize("limit", ["0", "201", "ten", "-1"])
def test_a_bad_limit_is_a_422(reader, make_customer, limit):
    make_customer("C1")
    response = reader.get(f"{CUSTOMERS}/C1/timeline?limit={limit}")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "limit"


def test_a_customer_id_with_a_nul_character_is_404(reader, make_customer):
    make_customer("C1")
    assert reader.get(f"{CUSTOMERS}/C1%00").status_code == 404
    assert reader.get(f"{CUSTOMERS}/C1%00/timeline").status_code == 404


def test_timeline_of_an_unknown_customer_is_404(reader, db):
    assert reader.get(f"{CUSTOMERS}/nobody/timeline").status_code == 404


def test_cursor_round_trips(make_customer):
    make_customer("C1")
    _timeline_data("C1", events=3, orders=0, same_time=False)
    from kesheng.customers.queries import get_customer, list_timeline

    _, cursor = list_timeline(get_customer("C1"), limit=1)
    assert decode_cursor(encode_cursor(cursor)) == cursor


def test_timeline_takes_a_constant_number_of_queries(
    reader, make_customer, django_assert_max_num_queries
):
    make_customer("C1")
    _timeline_data("C1", events=120, orders=60, same_time=False)
    reader.get(f"{CUSTOMERS}/C1")  # the key's first use records last_used_at
    # the key, the customer, one query per timeline source (higher apps register more)
    from kesheng.customers.contributions import timeline_sources

    with django_assert_max_num_queries(2 + len(timeline_sources)):
        response = reader.get(f"{CUSTOMERS}/C1/timeline?limit=200")
    assert len(response.json()["items"]) == 180


def test_openapi_lists_every_path_and_describes_the_bodies(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert set(schema["paths"]) == {
        "/api/v1/cases",
        "/api/v1/cases/{case_id}",
        "/api/v1/cases/{case_id}/reply",
        "/api/v1/cases/{case_id}/resolve",
        "/api/v1/customers",
        "/api/v1/customers/{customer_id}",
        "/api/v1/customers/{customer_id}/timeline",
        "/api/v1/customers/{customer_id}/scores",
        "/api/v1/customers/{customer_id}/recommendations",
        "/api/v1/analytics/churn-risk",
        "/api/v1/analytics/funnel",
        "/api/v1/analytics/paths",
        "/api/v1/analytics/personas",
        "/api/v1/analytics/rfm",
        "/api/v1/analytics/winback/{list_id}",
        "/api/v1/events",
        "/api/v1/feedback",
        "/api/v1/loyalty/members/{customer_id}",
        "/api/v1/loyalty/members/{customer_id}/adjust",
        "/api/v1/loyalty/coupons/{code}",
        "/api/v1/loyalty/coupons/{code}/burn",
        "/api/v1/loyalty/members/{customer_id}/points-as-cash",
        "/api/v1/loyalty/members/{customer_id}/redeem",
        "/api/v1/loyalty/referrals",
        "/api/v1/loyalty/rewards",
        "/api/v1/loyalty/campaigns",
        "/api/v1/loyalty/campaigns/{campaign_id}/results",
        "/api/v1/loyalty/campaigns/{campaign_id}/launch",
        "/api/v1/metrics/{metric}",
        "/api/v1/orders",
        "/api/v1/orders/{order_id}/cancel",
        "/api/v1/orders/{order_id}/refunds",
        "/api/v1/segments",
        "/api/v1/segments/{segment_id}",
        "/api/v1/segments/{segment_id}/customers",
        "/api/v1/surveys/{survey_id}/responses",
    }
    events_body = schema["paths"]["/api/v1/events"]["post"]["requestBody"]
    array = events_body["content"]["application/json"]["schema"]["oneOf"][0]
    assert {"event_id", "customer_id", "type", "occurred_at"} <= set(array["items"]["required"])
    orders_body = schema["paths"]["/api/v1/orders"]["post"]["requestBody"]
    order = orders_body["content"]["application/json"]["schema"]["oneOf"][2]
    assert "sku" in order["properties"]["lines"]["items"]["properties"]
    assert "requestBody" in schema["paths"]["/api/v1/customers"]["post"]


def test_api_docs_page_serves_swagger_from_the_package_not_a_cdn(client, db):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert "/api/v1/openapi.json" in html


@pytest.mark.parametrize(
    "signed_up_at",
    ["0001-01-01T00:00:00+08:00", "0001-01-01T00:00:00", "9999-12-31T23:59:59-14:00"],
)
def test_a_time_out_of_range_is_a_422_not_a_500(writer, signed_up_at):
    response = post(writer, {"customer_id": "C9", "signed_up_at": signed_up_at})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "signed_up_at", "reason": "Value error, is out of range"}
    ]
    assert Customer.objects.count() == 0


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "2025-01-01T00:00:00"])
def test_a_forged_cursor_with_a_bad_time_is_a_422(reader, make_customer, moment):
    import base64

    make_customer("C1")
    token = base64.urlsafe_b64encode(json.dumps([moment, "event", 5]).encode()).decode()
    response = reader.get(f"{CUSTOMERS}/C1/timeline?cursor={token.rstrip('=')}")
    assert response.status_code == 422
