"""The segment pages: list, rules builder (rows without JavaScript, or JSON), live preview,
save, edit, delete, permissions."""

import json

import pytest
from django.urls import reverse

from kesheng.customers.actions import create_segment
from kesheng.customers.models import Segment
from tests.staff_fixtures import create_staff_user, create_user_with_permissions

VIP = {"all": [{"field": "tag", "op": "has", "value": "vip"}]}


def client_for(client, role):
    client.force_login(create_staff_user(f"{role}.user", role=role))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def manager(client, db):
    return client_for(client, "cx_manager")


@pytest.fixture
def shoppers(make_customer):
    make_customer("A", name="甲", city="上海", tags=["vip"])
    make_customer("B", name="乙", city="北京", tags=["vip"])
    make_customer("C", name="丙", city="上海")


def rows_form(*rows, name="上海 VIP", match="all", button="save", **extra):
    data = {"name": name, "description": "", "editor": "rows", "match": match, button: "1"}
    for index, (field, op, value, days) in enumerate(rows):
        data.update(
            {
                f"row-{index}-field": field,
                f"row-{index}-op": op,
                f"row-{index}-value": value,
                f"row-{index}-days": days,
            }
        )
    data.update(extra)
    return data


def test_the_customer_list_links_to_segments(manager):
    assert reverse("customers:segments") in manager.get("/customers/").content.decode()


def test_segment_list_shows_names_and_counts(manager, shoppers):
    create_segment(name="VIP", rules=VIP)
    response = manager.get(reverse("customers:segments"))
    assert response.status_code == 200
    assert [(s.name, s.member_count) for s in response.context["segments"]] == [("VIP", 2)]
    assert "New segment" in response.content.decode()


def test_create_a_segment_from_rows_without_javascript(manager, shoppers):
    response = manager.post(
        reverse("customers:segment_new"),
        rows_form(("tag", "has", "vip", ""), ("city", "in", "上海, 广州", ""), ("", "", "", "")),
    )
    segment = Segment.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("customers:segment", args=[segment.pk])
    assert segment.rules == {
        "all": [
            {"field": "tag", "op": "has", "value": "vip"},
            {"field": "city", "op": "in", "value": ["上海", "广州"]},
        ]
    }
    assert (segment.name, segment.member_count) == ("上海 VIP", 1)
    assert segment.created_by.username == "cx_manager.user"


def test_preview_counts_and_lists_members_without_saving(manager, shoppers):
    response = manager.post(
        reverse("customers:segment_new"),
        rows_form(("tag", "has", "vip", ""), button="preview"),
    )
    assert response.status_code == 200
    preview = response.context["preview"]
    assert preview["count"] == 2
    assert [customer.customer_id for customer in preview["members"]] == ["B", "A"]
    assert "2 customers match now" in response.content.decode()
    assert Segment.objects.count() == 0


def test_bad_rows_are_shown_on_their_row_and_nothing_is_saved(manager, shoppers):
    response = manager.post(
        reverse("customers:segment_new"),
        rows_form(
            ("city", "eq", "上海", ""),
            ("", "", "", ""),
            ("birthday_month", "eq", "March", ""),
            ("city", "gt", "x", ""),
        ),
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["row-2-value"] == ["expected a number"]
    assert form.errors["row-3-op"] == ["expected one of eq, ne, in, contains for the field city"]
    assert Segment.objects.count() == 0


def test_a_segment_without_conditions_is_refused(manager, shoppers):
    response = manager.post(reverse("customers:segment_new"), rows_form(("", "", "", "")))
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == ["Give at least one condition."]
    assert Segment.objects.count() == 0


def test_nested_rules_through_json(manager, shoppers):
    rules = {
        "any": [
            {"field": "city", "op": "eq", "value": "北京"},
            {"not": {"field": "tag", "op": "has", "value": "vip"}},
        ]
    }
    data = {
        "name": "Nested",
        "editor": "json",
        "match": "all",
        "rules_json": json.dumps(rules, ensure_ascii=False),
        "save": "1",
    }
    response = manager.post(reverse("customers:segment_new"), data)
    assert response.status_code == 302
    segment = Segment.objects.get()
    assert (segment.rules, segment.member_count) == (rules, 2)
    # Opening it shows the JSON editor, since rows cannot hold a nested group.
    page = manager.get(reverse("customers:segment", args=[segment.pk]))
    assert page.context["form"].initial["editor"] == "json"
    assert page.context["preview"]["count"] == 2


def test_bad_json_is_refused_with_the_path(manager, shoppers):
    data = {"name": "Bad", "editor": "json", "match": "all", "save": "1"}
    response = manager.post(reverse("customers:segment_new"), {**data, "rules_json": "{nope"})
    assert response.status_code == 400
    assert response.context["form"].errors["rules_json"] == ["This is not valid JSON."]
    bad_value = json.dumps({"all": [{"field": "birthday_month", "op": "eq", "value": "x"}]})
    response = manager.post(reverse("customers:segment_new"), {**data, "rules_json": bad_value})
    assert response.context["form"].errors["rules_json"] == [
        "rules.all[0].value: expected a number"
    ]
    assert Segment.objects.count() == 0


def test_more_rows_keeps_what_was_typed(manager, shoppers):
    response = manager.post(
        reverse("customers:segment_new"), rows_form(("tag", "has", "vip", ""), button="more")
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.row_count == 4
    assert form["row-0-value"].value() == "vip"
    assert Segment.objects.count() == 0


def test_edit_a_segment(manager, shoppers):
    segment = create_segment(name="VIP", rules=VIP)
    page = manager.get(reverse("customers:segment", args=[segment.pk]))
    assert page.status_code == 200
    assert page.context["form"]["row-0-value"].value() == "vip"
    response = manager.post(
        reverse("customers:segment", args=[segment.pk]),
        rows_form(
            ("city", "eq", "上海", ""), ("tag", "has", "vip", ""), name="VIP 上海", match="any"
        ),
    )
    assert response.status_code == 302
    segment.refresh_from_db()
    assert (segment.name, segment.member_count) == ("VIP 上海", 3)
    assert segment.rules["any"][0] == {"field": "city", "op": "eq", "value": "上海"}


def test_a_taken_name_is_refused_on_the_name(manager, shoppers):
    create_segment(name="VIP", rules=VIP)
    response = manager.post(
        reverse("customers:segment_new"), rows_form(("tag", "has", "vip", ""), name="VIP")
    )
    assert response.status_code == 400
    assert response.context["form"].errors["name"] == ["another segment already has this name"]


def test_delete_a_segment(manager, shoppers):
    segment = create_segment(name="VIP", rules=VIP)
    response = manager.post(reverse("customers:segment_delete", args=[segment.pk]))
    assert response.status_code == 302
    assert Segment.objects.count() == 0


def test_permissions(client, shoppers):
    segment = create_segment(name="VIP", rules=VIP)
    assert client.get(reverse("customers:segments")).status_code == 302  # log in first
    client_for(client, "agent")
    assert client.get(reverse("customers:segments")).status_code == 200
    assert client.get(reverse("customers:segment", args=[segment.pk])).status_code == 200
    assert client.get(reverse("customers:segment_new")).status_code == 403
    edit = rows_form(("city", "eq", "x", ""), name="Hacked")
    assert client.post(reverse("customers:segment", args=[segment.pk]), edit).status_code == 403
    delete = reverse("customers:segment_delete", args=[segment.pk])
    assert client.post(delete).status_code == 403
    segment.refresh_from_db()
    assert segment.name == "VIP"
    client.force_login(create_user_with_permissions("intern"))
    assert client.get(reverse("customers:segments")).status_code == 403
    client_for(client, "analyst")
    assert client.get(reverse("customers:segment_new")).status_code == 200


def test_unknown_segment_page_is_404(manager, db):
    assert manager.get(reverse("customers:segment", args=[999])).status_code == 404


def test_count_all_again_refreshes_the_stored_counts(manager, shoppers, make_customer):
    segment = create_segment(name="VIP", rules=VIP)
    make_customer("D", tags=["vip"])
    response = manager.post(reverse("customers:segment_recount"))
    assert response.status_code == 302
    segment.refresh_from_db()
    assert segment.member_count == 3


def test_count_all_again_needs_the_change_permission(client, shoppers):
    segment = create_segment(name="VIP", rules=VIP)
    client_for(client, "agent")
    assert client.post(reverse("customers:segment_recount")).status_code == 403
    assert client.get(reverse("customers:segment_recount")).status_code == 405
    segment.refresh_from_db()
    assert segment.member_count == 2
