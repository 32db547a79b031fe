"""Win-back lists: the reproducible control split, making a list and its segment from the
at-risk list (page and action), the win-back rate against the control group (page, CLI, API)."""

import json
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from kesheng.analytics.models import CustomerScore, WinBackList, WinBackMember
from kesheng.analytics.winback import choose_control, control_size
from kesheng.analytics.winback_actions import create_win_back_list
from kesheng.commerce.models import Store
from kesheng.core.errors import InvalidInput
from kesheng.core.statistics import difference_of_proportions
from kesheng.customers.actions import merge_customers
from kesheng.customers.models import Customer, Segment
from kesheng.customers.segments import compile_rules, validate_rules
from tests.analytics.winback_fixtures import NOW, build_shop, write
from tests.staff_fixtures import STAFF_PASSWORD, create_staff_user

EN = {"Accept-Language": "en"}


@pytest.fixture
def shop(make_customer):
    return build_shop(make_customer)


def _signed_in(username: str, role: str) -> tuple[Client, object]:
    user = create_staff_user(username, role=role)
    client = Client(headers=EN)
    client.login(username=username, password=STAFF_PASSWORD)
    return client, user


def _riskiest(count: int) -> list[str]:
    return list(
        CustomerScore.objects.order_by("-churn_risk", "customer__customer_id").values_list(
            "customer__customer_id", flat=True
        )[:count]
    )


def _groups(win_back: WinBackList) -> tuple[set[str], set[str]]:
    members = WinBackMember.objects.filter(win_back_list=win_back).values_list(
        "customer__customer_id", "is_control"
    )
    treated = {customer_id for customer_id, control in members if not control}
    control = {customer_id for customer_id, control in members if control}
    return treated, control


# --- the control split (pure) ----------------------------------------------------------------


def test_control_size_rounds_half_up():
    assert [control_size(n, 0.1) for n in (0, 4, 5, 14, 15, 24, 25, 100)] == [
        0,
        0,
        1,
        1,
        2,
        2,
        3,
        10,
    ]
    assert control_size(10, 0.0) == 0
    assert control_size(3, 0.5) == 2


def test_the_control_split_is_reproducible_from_the_seed_whatever_the_order():
    ids = [f"C{i:03d}" for i in range(200)]
    control = choose_control(ids, 0.1, seed=42)
    assert len(control) == 20 and control <= set(ids)
    assert choose_control(list(reversed(ids)), 0.1, seed=42) == control
    assert choose_control(ids, 0.1, seed=43) != control
    # The ranking is the SHA-256 of "seed:id", so the split is known from outside Kesheng.
    import hashlib

    by_hash = sorted(ids, key=lambda i: hashlib.sha256(f"42:{i}".encode()).hexdigest())
    assert control == set(by_hash[:20])


# --- making a list ----------------------------------------------------------------------------


def test_the_page_action_freezes_the_riskiest_holds_out_a_control_and_makes_a_segment(shop):
    client, manager = _signed_in("cx.zhao", "cx_manager")
    response = client.post(
        "/analytics/winback/new/",
        {
            "name": "Win back December",
            "selection": "top",
            "top": "20",
            "min_risk": "",
            "control_percent": "10",
            "seed": "7",
        },
    )
    win_back = WinBackList.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/analytics/winback/{win_back.pk}/"
    riskiest = _riskiest(20)
    treated, control = _groups(win_back)
    assert treated | control == set(riskiest)
    assert control == choose_control(riskiest, 0.1, seed=7) and len(control) == 2
    assert (win_back.treated_count, win_back.control_count) == (18, 2)
    assert win_back.created_by == manager and win_back.seed == 7 and win_back.store_ids is None
    # The segment selects the treated members only, so a survey or an offer leaves the
    # control group alone.
    segment = win_back.segment
    assert segment.name == "Win back December" and segment.member_count == 18
    members = Customer.objects.filter(compile_rules(segment.rules))
    assert set(members.values_list("customer_id", flat=True)) == treated


def test_the_same_seed_and_selection_give_the_same_split(shop):
    first = create_win_back_list(name="A", selection="top", top=30, seed=99, now=NOW)
    second = create_win_back_list(name="B", selection="top", top=30, seed=99, now=NOW)
    other = create_win_back_list(name="C", selection="top", top=30, seed=100, now=NOW)
    assert _groups(first) == _groups(second)
    assert _groups(first)[1] != _groups(other)[1]


def test_a_list_by_churn_risk_threshold(shop):
    win_back = create_win_back_list(
        name="Risk 0.3", selection="min_risk", min_risk=0.3, control_share=0.2, seed=1, now=NOW
    )
    expected = set(
        CustomerScore.objects.filter(churn_risk__gte=0.3).values_list(
            "customer__customer_id", flat=True
        )
    )
    treated, control = _groups(win_back)
    assert treated | control == expected and len(control) == control_size(len(expected), 0.2)


def test_a_store_scoped_list_takes_only_the_customers_of_those_stores(shop):
    sh01 = Store.objects.get(code="sh01").pk
    win_back = create_win_back_list(
        name="Shanghai", selection="top", top=10, seed=1, store_ids=frozenset({sh01}), now=NOW
    )
    treated, control = _groups(win_back)
    assert len(treated | control) == 10
    assert all(int(customer_id[1:]) % 2 == 0 for customer_id in treated | control)
    assert win_back.store_ids == [sh01]


def test_making_a_list_needs_the_permission(shop):
    for username, role in (("manager.wang", "store_manager"), ("agent.li", "agent")):
        client, _user = _signed_in(username, role)
        response = client.post(
            "/analytics/winback/new/",
            {"name": "X", "selection": "top", "top": "5", "control_percent": "10"},
        )
        assert response.status_code == 403, role
    analyst, _user = _signed_in("analyst.wu", "analyst")
    assert analyst.get("/analytics/winback/new/").status_code == 200
    response = analyst.post(
        "/analytics/winback/new/",
        {"name": "X", "selection": "top", "top": "5", "control_percent": "10"},
    )
    assert response.status_code == 302
    assert WinBackList.objects.count() == 1


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"selection": "top", "top": "0", "control_percent": "10"}, "greater than or equal to 1"),
        ({"selection": "top", "top": "", "control_percent": "10"}, "Give how many customers."),
        ({"selection": "top", "top": "5", "control_percent": "60"}, "less than or equal to 50"),
        ({"selection": "top", "top": "5", "control_percent": "10", "name": ""}, "required"),
        (
            {"selection": "min_risk", "min_risk": "0.99", "control_percent": "10"},
            "no customer with a churn risk matches",
        ),
        ({"selection": "everyone", "control_percent": "10"}, "Select a valid choice"),
    ],
)
def test_bad_input_is_refused_with_400_and_nothing_is_saved(shop, form, message):
    client, _user = _signed_in("cx.zhao", "cx_manager")
    response = client.post("/analytics/winback/new/", {"name": "Bad", **form})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert WinBackList.objects.count() == 0 and Segment.objects.count() == 0


def test_a_taken_segment_name_is_refused_and_nothing_is_saved(shop):
    create_win_back_list(name="Taken", selection="top", top=5, seed=1, now=NOW)
    with pytest.raises(InvalidInput) as refused:
        create_win_back_list(name="Taken", selection="top", top=5, seed=1, now=NOW)
    assert refused.value.errors[0].field == "name"
    assert WinBackList.objects.count() == 1 and WinBackMember.objects.count() == 5


def test_the_action_refuses_bad_values_by_field(shop):
    with pytest.raises(InvalidInput) as refused:
        create_win_back_list(name=" ", selection="top", top=0, control_share=0.9, seed=-1, now=NOW)
    assert [error.field for error in refused.value.errors] == [
        "name",
        "top",
        "control_share",
        "seed",
    ]
    assert WinBackList.objects.count() == 0


def test_a_segment_rule_naming_no_win_back_list_is_refused(db):
    with pytest.raises(InvalidInput) as refused:
        validate_rules({"field": "analytics.winback_list", "op": "eq", "value": "999"})
    assert refused.value.errors[0].field == "rules.value"


def test_merging_a_member_moves_the_membership(shop, make_customer):
    win_back = create_win_back_list(name="M", selection="top", top=5, seed=1, now=NOW)
    member = WinBackMember.objects.filter(win_back_list=win_back).select_related("customer")[0]
    newcomer = make_customer("NEW1")
    merge_customers(surviving=newcomer, merged=member.customer, reason="same person")
    moved = WinBackMember.objects.get(pk=member.pk)
    assert moved.customer_id == newcomer.pk and moved.is_control == member.is_control


# --- the win-back rate ----------------------------------------------------------------------


@pytest.fixture
def measured(shop):
    """A list of the riskiest 40 (36 treated, 4 control, seed 7) made at NOW, then: 3 treated
    and 1 control member order 5 and 10 days later, 1 treated member 40 days later (outside
    30 days, inside 60), 1 treated member's order within the window is cancelled, and 1
    treated member's only new order is before the list."""
    win_back = create_win_back_list(name="Measured", selection="top", top=40, seed=7, now=NOW)
    treated, control = (sorted(group) for group in _groups(win_back))
    assert (len(treated), len(control)) == (36, 4)
    write(
        [
            ("w1", treated[0], -5, "80.00", "completed", "sh01"),
            ("w2", treated[1], -5, "80.00", "placed", "sh01"),
            ("w3", treated[2], -5, "80.00", "completed", "bj01"),
            ("w3b", treated[2], -6, "80.00", "completed", "bj01"),  # twice: one customer
            ("w4", control[0], -10, "80.00", "completed", "sh01"),
            ("w5", treated[3], -40, "80.00", "completed", "sh01"),
            ("w6", treated[4], -3, "80.00", "cancelled", "sh01"),
            ("w7", treated[5], 0.5, "80.00", "completed", "sh01"),
        ]
    )
    return win_back


def test_the_win_back_rate_against_the_control_group(measured):
    from kesheng.analytics.queries import get_win_back_result

    result = get_win_back_result(measured.pk, days=30, now=NOW + timedelta(days=100))
    assert result["treated"] == {"members": 36, "ordered": 3, "rate": round(3 / 36, 4)}
    assert result["control"] == {"members": 4, "ordered": 1, "rate": 0.25}
    expected = difference_of_proportions(3, 36, 1, 4)
    assert result["difference"]["value"] == round(3 / 36 - 0.25, 4) == -0.1667
    assert result["difference"]["low"] == round(expected.low, 4)
    assert result["difference"]["high"] == round(expected.high, 4)
    assert result["difference"]["p_value"] == round(expected.p_value, 4)
    # Newcombe's interval and the z-test, as docs/analytics.md shows them.
    assert (
        result["difference"]["low"],
        result["difference"]["high"],
        result["difference"]["p_value"],
    ) == (-0.6193, 0.0783, 0.2918)
    assert result["difference"]["significant"] is False
    assert result["window_complete"] is True
    longer = get_win_back_result(measured.pk, days=60, now=NOW + timedelta(days=100))
    assert longer["treated"]["ordered"] == 4 and longer["control"]["ordered"] == 1
    early = get_win_back_result(measured.pk, days=30, now=NOW + timedelta(days=7))
    assert early["window_complete"] is False


def test_cli_winback_json_gives_the_same_numbers(measured, capsys, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW + timedelta(days=100))
    call_command("analytics", "winback", str(measured.pk), "--days", "30", "--json")
    body = json.loads(capsys.readouterr().out)
    assert body["id"] == measured.pk and body["days"] == 30
    assert body["treated"]["ordered"] == 3 and body["control"]["ordered"] == 1
    assert body["difference"]["value"] == -0.1667
    assert body["created_at"] == NOW.isoformat()
    call_command("analytics", "winback", "--json")
    listed = json.loads(capsys.readouterr().out)
    assert [(item["id"], item["treated"], item["control"]) for item in listed] == [
        (measured.pk, 36, 4)
    ]
    call_command("analytics", "winback", str(measured.pk))
    text = capsys.readouterr().out
    assert "3/36" in text and "1/4" in text


def test_cli_winback_refuses_bad_input_with_exit_2(measured):
    for args in (
        ("winback", str(measured.pk), "--days", "0"),
        ("winback", "999"),
        ("rfm", "3"),
    ):
        with pytest.raises(CommandError) as refused:
            call_command("analytics", *args)
        assert refused.value.returncode == 2, args


def test_api_winback_result(measured, api_client, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW + timedelta(days=100))
    reader = api_client("customers:read")
    body = reader.get(f"/api/v1/analytics/winback/{measured.pk}?days=60").json()
    assert body["treated"]["ordered"] == 4 and body["control"] == {
        "members": 4,
        "ordered": 1,
        "rate": 0.25,
    }
    assert body["segment_id"] == measured.segment_id
    bad = reader.get(f"/api/v1/analytics/winback/{measured.pk}?days=0")
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "days"
    assert reader.get("/api/v1/analytics/winback/999").status_code == 404
    assert api_client("orders:write").get("/api/v1/analytics/winback/1").status_code == 403


def test_the_results_page(measured):
    client, _user = _signed_in("cx.zhao", "cx_manager")
    page = client.get(f"/analytics/winback/{measured.pk}/?days=30")
    assert page.status_code == 200
    html = page.content.decode()
    treated = re.findall(r'data-group="treated">.*?</tr>', html, re.S)[0]
    assert re.findall(r'class="number">([^<]+)<', treated) == ["36", "3", "8 %"]
    assert "Difference treated − control: -0.1667" in html
    assert client.get(f"/analytics/winback/{measured.pk}/?days=0").status_code == 400
    assert client.get("/analytics/winback/999/").status_code == 404
    lists = client.get("/analytics/winback/").content.decode()
    assert "Measured" in lists


def test_a_store_manager_sees_only_lists_drawn_from_their_stores(measured):
    client, manager = _signed_in("manager.wang", "store_manager")
    from kesheng.commerce.actions import grant_store_access

    grant_store_access(user=manager, store_codes=["sh01"])
    assert client.get(f"/analytics/winback/{measured.pk}/").status_code == 404
    sh01 = Store.objects.get(code="sh01").pk
    own = create_win_back_list(
        name="Shanghai", selection="top", top=10, seed=1, store_ids=frozenset({sh01}), now=NOW
    )
    assert client.get(f"/analytics/winback/{own.pk}/").status_code == 200
    lists = client.get("/analytics/winback/").content.decode()
    assert "Shanghai" in lists and "Measured" not in lists
