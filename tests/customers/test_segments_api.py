"""The segments API: list, detail with a live count, members a page at a time; keys and
scopes; a constant number of queries."""

import pytest

from kesheng.customers.actions import create_segment
from kesheng.customers.api import decode_member_cursor, encode_member_cursor

SEGMENTS = "/api/v1/segments"
VIP = {"all": [{"field": "tag", "op": "has", "value": "vip"}]}


@pytest.fixture
def reader(api_client):
    return api_client("customers:read")


@pytest.fixture
def vip(make_customer):
    for number in range(5):
        make_customer(f"V{number}", name=f"贵宾{number}", city="上海", tags=["vip", "会员"])
    make_customer("N1", city="上海")
    return create_segment(name="VIP", description="our best", rules=VIP)


def test_list_segments_with_their_last_count(reader, vip):
    create_segment(name="上海", rules={"all": [{"field": "city", "op": "eq", "value": "上海"}]})
    response = reader.get(SEGMENTS)
    assert response.status_code == 200
    items = response.json()["items"]
    assert [(item["name"], item["member_count"]) for item in items] == [("VIP", 5), ("上海", 6)]
    assert items[0]["rules"] == VIP
    assert items[0]["description"] == "our best"


def test_segment_detail_counts_now(reader, vip, make_customer):
    make_customer("V9", tags=["vip"])  # joined after the segment was last counted
    response = reader.get(f"{SEGMENTS}/{vip.pk}")
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["name"], body["member_count"]) == (vip.pk, "VIP", 6)


def test_segment_customers_page_by_page_without_loss_or_repeat(reader, vip):
    seen = []
    url = f"{SEGMENTS}/{vip.pk}/customers?limit=2"
    pages = 0
    while url:
        body = reader.get(url).json()
        seen.extend(item["customer_id"] for item in body["items"])
        pages += 1
        cursor = body["next_cursor"]
        url = f"{SEGMENTS}/{vip.pk}/customers?limit=2&cursor={cursor}" if cursor else None
    assert sorted(seen) == ["V0", "V1", "V2", "V3", "V4"]
    assert len(seen) == 5
    assert pages == 3
    first = reader.get(f"{SEGMENTS}/{vip.pk}/customers?limit=1").json()["items"][0]
    assert first == {
        "customer_id": "V0",
        "name": "贵宾0",
        "gender": "",
        "birthday": None,
        "city": "上海",
        "signed_up_at": None,
        "created_at": first["created_at"],
        "tags": ["vip", "会员"],
    }


def test_unknown_segment_is_404_and_a_non_number_422(reader, db):
    for path in ("999", "999/customers", "99999999999999999999999", "-1"):
        assert reader.get(f"{SEGMENTS}/{path}").status_code == 404, path
    assert reader.get(f"{SEGMENTS}/999").json() == {"detail": "no segment with id 999"}
    response = reader.get(f"{SEGMENTS}/abc")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "segment_id"


@pytest.mark.parametrize("cursor", ["nonsense", "WyJtIiwgLTFd", encode_member_cursor(3)[:-2]])
def test_a_bad_cursor_is_a_422(reader, vip, cursor):
    response = reader.get(f"{SEGMENTS}/{vip.pk}/customers?cursor={cursor}")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "cursor"


def test_bad_limit_is_a_422(reader, vip):
    response = reader.get(f"{SEGMENTS}/{vip.pk}/customers?limit=0")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "limit"


def test_member_cursor_round_trip():
    assert decode_member_cursor(encode_member_cursor(42)) == 42


def test_segments_need_a_key_and_the_read_scope(client, api_client, vip):
    assert client.get(SEGMENTS).status_code == 401
    assert client.get(f"{SEGMENTS}/{vip.pk}/customers").status_code == 401
    writer = api_client("customers:write")
    for url in (SEGMENTS, f"{SEGMENTS}/{vip.pk}", f"{SEGMENTS}/{vip.pk}/customers"):
        assert writer.get(url).status_code == 403


def test_segment_lists_take_a_constant_number_of_queries(
    reader, vip, make_customer, django_assert_max_num_queries
):
    for number in range(20):
        make_customer(f"W{number}", tags=["vip"])
        create_segment(name=f"S{number}", rules=VIP)
    reader.get(SEGMENTS)  # the key's first use records last_used_at
    with django_assert_max_num_queries(2):  # the key, the segments
        assert len(reader.get(SEGMENTS).json()["items"]) == 21
    # the key, the segment, its members, their tags
    with django_assert_max_num_queries(4):
        body = reader.get(f"{SEGMENTS}/{vip.pk}/customers?limit=500").json()
    assert len(body["items"]) == 25
