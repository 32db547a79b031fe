"""The POS flow through the API: list rewards, redeem one, validate and burn its coupon."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kesheng.loyalty.actions.points import adjust_points
from kesheng.loyalty.models import Coupon, PointsAccount, PointsTransaction, Reward
from tests.loyalty.test_rewards import catalogue, english  # noqa: F401 - fixtures

MEMBERS = "/api/v1/loyalty/members"
COUPONS = "/api/v1/loyalty/coupons"


@pytest.fixture
def member(catalogue, customer):  # noqa: F811
    adjust_points(
        customer_id="C001",
        request_no="seed",
        points=10_000,
        reason="seed",
        created_by="test",
        now=timezone.now() - timedelta(minutes=1),
    )
    return customer


@pytest.fixture
def pos(api_client):
    return api_client("loyalty:read", "loyalty:write")


def state():
    return (
        PointsAccount.objects.get().balance,
        PointsTransaction.objects.count(),
        list(Coupon.objects.values_list("state", flat=True)),
        list(Reward.objects.order_by("pk").values_list("redeemed", flat=True)),
    )


def test_the_rewards_list_shows_the_active_catalogue_in_one_query(
    member, api_client, django_assert_max_num_queries
):
    client = api_client("loyalty:read")
    with django_assert_max_num_queries(3):  # the key, its use, the rewards
        body = client.get("/api/v1/loyalty/rewards").json()
    assert [reward["code"] for reward in body] == ["coupon-20", "ten-off", "thermos", "cash"]
    thermos = body[2]
    assert {key: thermos[key] for key in ("kind", "points", "cash", "stock", "remaining")} == {
        "kind": "gift",
        "points": 1500,
        "cash": "29.00",
        "stock": 2,
        "remaining": 2,
    }
    assert body[0]["name"] == "20 CNY off 100"
    everything = client.get("/api/v1/loyalty/rewards?all=true").json()
    assert [reward["code"] for reward in everything][-1] == "old"
    assert api_client("loyalty:write").get("/api/v1/loyalty/rewards").status_code == 403


def test_redeem_burn_once_through_the_api(member, pos):
    answer = pos.post(
        f"{MEMBERS}/C001/redeem",
        {"request_no": "POS-1", "reward_id": "coupon-20", "expected_balance": 10000},
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    code = body["coupon"]["code"]
    assert (body["kind"], body["points"], body["balance"], body["reward_id"]) == (
        "redeem",
        -2000,
        8000,
        Reward.objects.get(code="coupon-20").pk,
    )
    assert {key: body["coupon"][key] for key in ("state", "kind", "amount", "minimum_spend")} == {
        "state": "issued",
        "kind": "coupon_amount",
        "amount": "20.00",
        "minimum_spend": "100.00",
    }
    replay = pos.post(
        f"{MEMBERS}/C001/redeem",
        {"request_no": "POS-1", "reward_id": "coupon-20"},
        content_type="application/json",
    ).json()
    assert (replay["transaction_id"], replay["coupon"]["code"], replay["replayed"]) == (
        body["transaction_id"],
        code,
        True,
    )
    check = pos.get(f"{COUPONS}/{code}?order_amount=80").json()
    assert (check["state"], check["usable"], check["reason"]) == (
        "issued",
        False,
        "the order amount 80 is below the minimum spend of 100.00",
    )
    below = pos.post(
        f"{COUPONS}/{code}/burn",
        {"request_no": "B-1", "order_amount": "80.00"},
        content_type="application/json",
    )
    assert below.status_code == 422
    assert below.json()["errors"] == [
        {
            "field": "order_amount",
            "reason": "the order amount 80.00 is below the minimum spend of 100.00",
        }
    ]
    burn = {"request_no": "B-1", "order_id": "O77", "order_amount": "120.00"}
    first = pos.post(f"{COUPONS}/{code}/burn", burn, content_type="application/json")
    assert first.status_code == 200
    assert (first.json()["state"], first.json()["order_id"], first.json()["replayed"]) == (
        "burned",
        "O77",
        False,
    )
    again = pos.post(f"{COUPONS}/{code}/burn", burn, content_type="application/json")
    assert (again.status_code, again.json()["replayed"], again.json()["burned_at"]) == (
        200,
        True,
        first.json()["burned_at"],
    )
    other = pos.post(
        f"{COUPONS}/{code}/burn",
        {**burn, "request_no": "B-2"},
        content_type="application/json",
    )
    assert other.status_code == 409
    assert other.json()["detail"].startswith(f"coupon {code} was already used at ")
    assert pos.get(f"{COUPONS}/{code}").json()["state"] == "burned"
    assert state() == (8000, 2, ["burned"], [1, 0, 0, 0, 0])


@pytest.mark.parametrize(
    ("payload", "status", "field", "reason"),
    [
        ({"reward_id": "nothing"}, 422, "reward_id", "no reward nothing"),
        ({"reward_id": "old"}, 422, "reward_id", "reward old is not available now"),
        (
            {"reward_id": "coupon-20", "points": 5},
            422,
            "points",
            "give points or reward_id, not both",
        ),
        ({}, 422, "points", "give points or reward_id"),
        ({"reward_id": "cash"}, 422, "order_amount", "is required"),
    ],
)
def test_redeem_refusals_name_the_field_and_change_nothing(
    member, pos, payload, status, field, reason
):
    before = state()
    answer = pos.post(
        f"{MEMBERS}/C001/redeem", {"request_no": "R1", **payload}, content_type="application/json"
    )
    assert answer.status_code == status
    assert answer.json()["errors"] == [{"field": field, "reason": reason}]
    assert state() == before


def test_expected_balance_and_unknown_coupons(member, pos):
    before = state()
    conflict = pos.post(
        f"{MEMBERS}/C001/redeem",
        {"request_no": "R1", "reward_id": "thermos", "expected_balance": 9},
        content_type="application/json",
    )
    assert (conflict.status_code, conflict.json()["detail"]) == (
        409,
        "the balance is 10000, not the expected 9",
    )
    assert pos.get(f"{COUPONS}/NOPE").status_code == 404
    missing = pos.post(
        f"{COUPONS}/NOPE/burn", {"request_no": "B1"}, content_type="application/json"
    )
    assert (missing.status_code, missing.json()["detail"]) == (404, "no coupon NOPE")
    assert state() == before


def test_an_expired_coupon_is_refused_with_its_reason(member, pos):
    code = pos.post(
        f"{MEMBERS}/C001/redeem",
        {"request_no": "R1", "reward_id": "ten-off"},
        content_type="application/json",
    ).json()["coupon"]["code"]
    Coupon.objects.filter(code=code).update(valid_until=timezone.now() - timedelta(seconds=1))
    check = pos.get(f"{COUPONS}/{code}").json()
    assert (check["state"], check["usable"]) == ("expired", False)
    before = state()
    answer = pos.post(
        f"{COUPONS}/{code}/burn", {"request_no": "B1"}, content_type="application/json"
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["reason"].startswith(f"coupon {code} expired at ")
    assert state() == before


def test_points_as_cash_through_the_api(member, pos):
    offer = pos.get(f"{MEMBERS}/C001/points-as-cash?order_amount=300.00").json()
    assert {key: offer[key] for key in ("max_points", "points", "amount", "points_per_cny")} == {
        "max_points": 15000,
        "points": 10000,
        "amount": "100.00",
        "points_per_cny": 100,
    }
    bad = pos.get(f"{MEMBERS}/C001/points-as-cash?order_amount=-1")
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "order_amount")
    answer = pos.post(
        f"{MEMBERS}/C001/redeem",
        {
            "request_no": "P1",
            "reward_id": "cash",
            "order_amount": "300.00",
            "points": 2500,
            "order_id": "O5",
        },
        content_type="application/json",
    ).json()
    assert (
        answer["points"],
        answer["balance"],
        answer["cash_value"],
        answer["coupon"]["state"],
    ) == (
        -2500,
        7500,
        "25.00",
        "burned",
    )


# --- staff pages --------------------------------------------------------------------------------


def test_the_rewards_page_lists_stock_and_redemptions(member, pos, client):
    from tests.staff_fixtures import create_staff_user

    pos.post(
        f"{MEMBERS}/C001/redeem",
        {"request_no": "R1", "reward_id": "thermos"},
        content_type="application/json",
    )
    client.force_login(create_staff_user(role="store_manager"))
    response = client.get("/loyalty/rewards/", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    rows = {row.reward.code: row for row in response.context["rows"]}
    assert (
        rows["thermos"].reward.remaining,
        rows["thermos"].reward.redeemed,
        rows["thermos"].issued,
    ) == (1, 1, 1)
    html = response.content.decode()
    for text in [
        "Thermos flask",
        "1 / 2",
        "1500 points",
        "10% off",
        "up to 50% of an order",
        "unlimited",
        "inactive",
    ]:
        assert text in html, text


def test_the_rewards_page_needs_a_login_and_the_permission(db, client):
    from tests.staff_fixtures import create_user_with_permissions

    assert client.get("/loyalty/rewards/").status_code == 302
    client.force_login(create_user_with_permissions("nobody"))
    assert client.get("/loyalty/rewards/").status_code == 403


def test_the_customer_360_panel_lists_the_members_coupons(member, pos, client, place_order):
    from tests.staff_fixtures import create_staff_user

    place_order("C001", "100.00")  # gives the member a tier, so the panel shows the details
    code = pos.post(
        f"{MEMBERS}/C001/redeem",
        {"request_no": "R1", "reward_id": "coupon-20"},
        content_type="application/json",
    ).json()["coupon"]["code"]
    client.force_login(create_staff_user())
    html = client.get("/customers/C001/", headers={"Accept-Language": "en"}).content.decode()
    assert "Coupons" in html
    assert code in html
    assert "20 CNY off 100" in html


@pytest.mark.parametrize("amount", ["NaN", "1e400", "abc", "-5"])
def test_a_bad_order_amount_is_a_422_never_a_500(member, pos, amount):
    code = pos.post(
        f"{MEMBERS}/C001/redeem",
        {"request_no": "R1", "reward_id": "coupon-20"},
        content_type="application/json",
    ).json()["coupon"]["code"]
    before = state()
    assert pos.get(f"{COUPONS}/{code}?order_amount={amount}").status_code == 422
    burn = pos.post(
        f"{COUPONS}/{code}/burn",
        {"request_no": "B1", "order_amount": amount},
        content_type="application/json",
    )
    assert burn.status_code == 422
    assert pos.get(f"{MEMBERS}/C001/points-as-cash?order_amount={amount}").status_code == 422
    assert state() == before


def test_a_burn_request_no_used_for_another_coupon_is_a_409(member, pos):
    codes = [
        pos.post(
            f"{MEMBERS}/C001/redeem",
            {"request_no": f"R{n}", "reward_id": "ten-off"},
            content_type="application/json",
        ).json()["coupon"]["code"]
        for n in (1, 2)
    ]
    first = pos.post(
        f"{COUPONS}/{codes[0]}/burn", {"request_no": "B1"}, content_type="application/json"
    )
    assert first.status_code == 200
    other = pos.post(
        f"{COUPONS}/{codes[1]}/burn", {"request_no": "B1"}, content_type="application/json"
    )
    assert (other.status_code, other.json()["detail"]) == (
        409,
        "request_no B1 was already used for another request",
    )
    assert list(Coupon.objects.order_by("pk").values_list("state", flat=True)) == [
        "burned",
        "issued",
    ]
