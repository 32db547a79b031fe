from datetime import UTC, datetime, timedelta

import pytest

from kesheng.core.errors import InvalidInput
from kesheng.customers.actions import create_segment
from kesheng.customers.queries import count_segment_members
from tests.staff_fixtures import create_staff_user

MEMBERS = "/api/v1/loyalty/members"


@pytest.fixture
def silver_member(programme, customer, place_order):
    place_order("C001", "1200.00", ordered_at=datetime.now(UTC) - timedelta(days=5))
    return customer


def test_member_summary_shows_tier_privileges_and_what_remains(silver_member, api_client):
    response = api_client("loyalty:read").get(f"{MEMBERS}/C001")
    assert response.status_code == 200
    body = response.json()
    assert body["tier_since"] is not None
    del body["tier_since"]
    assert body == {
        "customer_id": "C001",
        "balance": 0,
        "pending": 0,
        "lots": [],
        "tier": "silver",
        "tier_name": "Silver",
        "grace_ends_at": None,
        "privileges": {
            "points_multiplier": "1.20",
            "birthday_gift": "生日券 20 元",
            "free_shipping": False,
            "priority_service": False,
        },
        "qualification": "spend",
        "qualifying_value": "1200.00",
        "next_tier": {
            "code": "gold",
            "name": "Gold",
            "threshold": "5000.00",
            "remaining": "3800.00",
        },
    }


def test_a_customer_without_a_tier_yet_has_none(programme, customer, api_client):
    body = api_client("loyalty:read").get(f"{MEMBERS}/C001").json()
    assert (body["tier"], body["privileges"], body["qualifying_value"]) == (None, None, "0.00")
    assert body["next_tier"] == {
        "code": "silver",
        "name": "Silver",
        "threshold": "1000.00",
        "remaining": "1000.00",
    }


def test_member_api_refuses_without_key_scope_or_customer(silver_member, api_client, client):
    assert client.get(f"{MEMBERS}/C001").status_code == 401
    refused = api_client("customers:read").get(f"{MEMBERS}/C001")
    assert (refused.status_code, refused.json()) == (
        403,
        {"detail": "this API key needs scope loyalty:read"},
    )
    missing = api_client("loyalty:read").get(f"{MEMBERS}/nobody")
    assert (missing.status_code, missing.json()) == (
        404,
        {"detail": "no customer with customer_id 'nobody'"},
    )


def test_the_customer_360_page_shows_the_tier_and_its_privileges(silver_member, client):
    client.force_login(create_staff_user())
    response = client.get("/customers/C001/", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    html = response.content.decode()
    for text in ["Silver", "Points × 1.2", "生日券 20 元", "Gold", "Tier history"]:
        assert text in html
    assert response.context["profile"].panels[0].name == "loyalty"


def test_the_profile_has_a_loyalty_section(silver_member):
    from kesheng.customers.queries import get_profile_sections

    section = get_profile_sections(silver_member)["loyalty"]
    assert (section["tier"], section["privileges"]["points_multiplier"]) == ("silver", "1.20")


def test_segments_select_by_tier_and_refuse_an_unknown_code(silver_member, make_customer):
    make_customer("C002")
    segment = create_segment(
        name="silver", rules={"all": [{"field": "loyalty.tier", "op": "eq", "value": "silver"}]}
    )
    assert count_segment_members(segment) == 1
    others = create_segment(
        name="not silver",
        rules={"all": [{"field": "loyalty.tier", "op": "ne", "value": "silver"}]},
    )
    assert count_segment_members(others) == 1
    with pytest.raises(InvalidInput) as refused:
        create_segment(
            name="typo", rules={"all": [{"field": "loyalty.tier", "op": "eq", "value": "glod"}]}
        )
    assert refused.value.errors[0].field == "rules.all[0].value"
