import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from kesheng.customers.models import Customer
from kesheng.loyalty.actions.members import member_link_token
from kesheng.loyalty.actions.programme import configure_programme
from kesheng.loyalty.actions.referrals import (
    CODE_ALPHABET,
    get_or_create_referral_code,
    record_referral_sign_up,
    reward_referral_for_order,
)
from kesheng.loyalty.member_queries import get_referral_funnel
from kesheng.loyalty.models import PointsTransaction, Referral, ReferralCode
from kesheng.loyalty.programme import ProgrammeFileError, check_programme
from tests.loyalty.conftest import programme_document
from tests.loyalty.member_helpers import sign_in_by_code
from tests.staff_fixtures import create_staff_user

REFERRALS = {
    "referrer_points": 500,
    "referee_points": 200,
    "max_rewarded_per_referrer": 2,
    "period_days": 30,
}


@pytest.fixture
def referrer(db, make_customer):
    configure_programme(
        programme_settings=check_programme(
            programme_document(
                referrals=REFERRALS, earn_rules=[{"code": "base", "points_per_cny": 1}]
            )
        )
    )
    customer = make_customer("C001", name="王芳", phone="13800138000", email="w@example.com")
    return customer, get_or_create_referral_code(customer_pk=customer.pk).code


def referral_points(customer_id: str) -> list[tuple[str, int]]:
    return list(
        PointsTransaction.objects.filter(
            customer__customer_id=customer_id, request_no__startswith="referral:"
        )
        .order_by("pk")
        .values_list("request_no", "points")
    )


def test_a_referral_code_is_short_unambiguous_and_kept(referrer):
    customer, code = referrer
    assert len(code) == 7 and set(code) <= set(CODE_ALPHABET)
    assert not set(code) & set("01OIL")
    assert get_or_create_referral_code(customer_pk=customer.pk).code == code


def test_signing_up_through_the_link_then_ordering_rewards_both_sides_once(
    referrer, sms, place_order
):
    customer, code = referrer
    client = Client()
    assert client.get(f"/m/r/{code.lower()}/").status_code == 200
    client.get(f"/m/r/{code}/")  # the same browser again: counted once
    sign_in_by_code(client, "13900139000")
    friend = Customer.objects.get(identities__kind="phone", identities__value="+8613900139000")
    referral = Referral.objects.get()
    assert (referral.referrer_id, referral.referee_id, referral.state, referral.source) == (
        customer.pk,
        friend.pk,
        "signed_up",
        "member-pages",
    )
    place_order(friend.customer_id, "100.00", order_id="F1")
    place_order(friend.customer_id, "100.00", order_id="F2")
    referral.refresh_from_db()
    assert (referral.state, referral.order_id, referral.is_rewarded) == ("ordered", "F1", True)
    assert referral_points(friend.customer_id) == [(f"referral:{referral.pk}:referee", 200)]
    assert referral_points("C001") == [(f"referral:{referral.pk}:referrer", 500)]
    assert reward_referral_for_order(order_id="F1") is None  # a second delivery: nothing
    assert PointsTransaction.objects.filter(request_no__startswith="referral:").count() == 2
    assert get_referral_funnel() == {
        "shared": 1,
        "signed_up": 1,
        "ordered": 1,
        "rewarded": 1,
        "refused": 0,
        "refused_by_reason": {},
    }


def test_the_referrer_signing_up_through_their_own_link_is_refused_as_same_phone(referrer, sms):
    customer, code = referrer
    client = Client()
    client.get(f"/m/r/{code}/")
    sign_in_by_code(client, "13800138000")
    referral = Referral.objects.get()
    assert (referral.state, referral.refusal_reason) == ("refused", "same_phone")
    assert referral.referee_id == customer.pk


def test_a_new_phone_on_the_referrers_device_is_refused_as_same_device(referrer, sms):
    _customer, code = referrer
    client = Client()
    client.get(f"/m/link/{member_link_token('C001')}/")  # the referrer signs in here first
    client.post("/m/sign-out/")
    client.get(f"/m/r/{code}/")
    sign_in_by_code(client, "13700137000")
    assert Referral.objects.get().refusal_reason == "same_device"


def test_an_existing_customer_is_refused_as_not_new(referrer, sms, make_customer):
    _customer, code = referrer
    make_customer("C002", phone="13600136000")
    client = Client()
    client.get(f"/m/r/{code}/")
    sign_in_by_code(client, "13600136000")
    assert Referral.objects.get().refusal_reason == "not_new"


def test_the_referrer_signing_up_through_the_api_is_refused_as_same_email(referrer):
    customer, code = referrer
    referral = record_referral_sign_up(
        code=code, referee_pk=customer.pk, source="api", by_phone=False
    )
    assert (referral.state, referral.refusal_reason) == ("refused", "same_email")
    assert record_referral_sign_up(code=code, referee_pk=customer.pk, source="api") == referral


def test_a_device_the_referrer_was_referred_from_is_the_same_device(referrer, make_customer):
    _customer, code = referrer
    friend = make_customer("F1")
    record_referral_sign_up(code=code, referee_pk=friend.pk, source="api", device_id="dev-1")
    friend_code = get_or_create_referral_code(customer_pk=friend.pk).code
    other = make_customer("F2")
    referral = record_referral_sign_up(
        code=friend_code, referee_pk=other.pk, source="api", device_id="dev-1"
    )
    assert referral.refusal_reason == "same_device"


def test_a_referrer_is_rewarded_at_most_the_cap_in_the_period(referrer, make_customer, place_order):
    _customer, code = referrer
    for index in range(3):
        friend = make_customer(f"F{index}")
        record_referral_sign_up(code=code, referee_pk=friend.pk, source="api", by_phone=False)
        place_order(f"F{index}", "50.00", order_id=f"O-F{index}")
    states = list(
        Referral.objects.order_by("pk").values_list("state", "is_rewarded", "refusal_reason")
    )
    assert states == [
        ("ordered", True, ""),
        ("ordered", True, ""),
        ("ordered", False, "cap_reached"),
    ]
    assert len(referral_points("C001")) == 2
    assert referral_points("F2") == []
    funnel = get_referral_funnel(referrer_pk=_customer.pk)
    assert (funnel["signed_up"], funnel["ordered"], funnel["rewarded"], funnel["refused"]) == (
        3,
        3,
        2,
        1,
    )
    assert funnel["refused_by_reason"] == {"cap_reached": 1}


def test_a_customer_is_referred_once(referrer, make_customer):
    _customer, code = referrer
    other = make_customer("C003", phone="13500135000")
    other_code = get_or_create_referral_code(customer_pk=other.pk).code
    friend = make_customer("F1")
    first = record_referral_sign_up(code=code, referee_pk=friend.pk, source="api")
    again = record_referral_sign_up(code=code, referee_pk=friend.pk, source="api")
    second = record_referral_sign_up(code=other_code, referee_pk=friend.pk, source="api")
    assert first.pk == again.pk and first.state == "signed_up"
    assert (second.state, second.refusal_reason) == ("refused", "not_new")


def test_the_api_records_a_sign_up_with_a_referral_code(referrer, api_client, make_customer):
    _customer, code = referrer
    make_customer("N1")
    client = api_client("loyalty:write")
    response = client.post(
        "/api/v1/loyalty/referrals",
        {"referral_code": code, "customer_id": "N1", "device_id": "dev-9"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["referrer_id"], body["customer_id"], body["state"]) == ("C001", "N1", "signed_up")
    assert Referral.objects.get().device_id == "dev-9"


def test_the_api_refuses_an_unknown_code_and_changes_nothing(referrer, api_client, make_customer):
    make_customer("N1")
    response = api_client("loyalty:write").post(
        "/api/v1/loyalty/referrals",
        {"referral_code": "ZZZZZZZ", "customer_id": "N1"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "referral_code"
    assert Referral.objects.count() == 0
    assert (
        api_client("loyalty:read")
        .post("/api/v1/loyalty/referrals", {}, content_type="application/json")
        .status_code
        == 403
    )


def test_the_cli_prints_the_funnel_in_total_and_per_referrer(referrer, make_customer):
    _customer, code = referrer
    friend = make_customer("F1")
    record_referral_sign_up(code=code, referee_pk=friend.pk, source="api")
    ReferralCode.objects.update(visits=4)
    out = StringIO()
    call_command("loyalty", "referrals", "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert (report["shared"], report["signed_up"], report["ordered"]) == (4, 1, 0)
    assert report["referrers"][0] | {"name": ""} == {
        "customer_id": "C001",
        "name": "",
        "code": code,
        "shared": 4,
        "signed_up": 1,
        "ordered": 0,
        "rewarded": 0,
        "refused": 0,
    }
    out = StringIO()
    call_command("loyalty", "referrals", "--customer", "C001", "--json", stdout=out)
    assert json.loads(out.getvalue())["customer_id"] == "C001"


def test_the_cli_prints_a_members_personal_link(referrer):
    out = StringIO()
    call_command("loyalty", "member-link", "C001", stdout=out)
    assert out.getvalue().startswith("http://127.0.0.1:8000/m/link/")


def test_the_staff_page_shows_the_funnel_to_analysts_only(referrer, make_customer):
    _customer, code = referrer
    record_referral_sign_up(code=code, referee_pk=make_customer("F1").pk, source="api")
    analyst = Client()
    analyst.force_login(create_staff_user("ana", role="analyst"))
    page = analyst.get("/loyalty/referrals/")
    assert page.status_code == 200
    assert page.context["total"]["signed_up"] == 1
    assert code in page.content.decode()
    agent = Client()
    agent.force_login(create_staff_user("agent", role="agent"))
    assert agent.get("/loyalty/referrals/").status_code == 403


def test_the_programme_file_checks_the_referral_settings(db):
    with pytest.raises(ProgrammeFileError) as error:
        check_programme(
            programme_document(referrals={"referrer_points": -1, "period_days": 0, "x": 1})
        )
    paths = {problem.path for problem in error.value.problems}
    assert paths == {"referrals.x", "referrals.referrer_points", "referrals.period_days"}


def test_the_customer_page_shows_the_referral_code_funnel_and_referrer(referrer, make_customer):
    _customer, code = referrer
    record_referral_sign_up(code=code, referee_pk=make_customer("F1", name="朋友").pk, source="api")
    staff = Client()
    staff.force_login(create_staff_user("cx", role="cx_manager"))
    page = staff.get("/customers/C001/").content.decode()
    assert f"<code>{code}</code>" in page
    page = staff.get("/customers/F1/").content.decode()
    assert "王芳" in page and code in page  # referred by C001 with that code


def test_a_new_customer_may_type_the_code_on_the_sign_in_form(referrer, sms):
    _customer, code = referrer
    client = Client()
    response = client.post("/m/sign-in/", {"phone": "13900139000", "referral_code": "ZZZZ"})
    assert response.status_code == 422 and sms == []
    client.post("/m/sign-in/", {"phone": "13900139000", "referral_code": code.lower()})
    from tests.loyalty.member_helpers import last_code

    client.post("/m/sign-in/code/", {"code": last_code()})
    referral = Referral.objects.get()
    assert (referral.code, referral.state) == (code, "signed_up")
    assert ReferralCode.objects.get().visits == 0  # typed, not a link opened
