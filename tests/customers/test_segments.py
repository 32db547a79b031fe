"""Segment rules: checking, every operator of every kind of customer field, nesting, actions."""

from datetime import UTC, datetime

import pytest
from django.utils import translation

from kesheng.core.errors import Conflict, InvalidInput
from kesheng.customers.actions import (
    create_segment,
    delete_segment,
    refresh_segment_count,
    set_consent,
    update_segment,
)
from kesheng.customers.models import Customer, Segment
from kesheng.customers.queries import (
    count_segment_members,
    get_segment,
    list_segments,
    preview_segment,
    segment_members,
)
from kesheng.customers.segments import (
    compile_rules,
    register_segment_usage_check,
    segment_usage_checks,
    validate_rules,
)


@pytest.fixture(autouse=True)
def english_reasons():
    """Rule problems are translated for the pages; these tests read the English text."""
    with translation.override("en"):
        yield


NOW = datetime(2026, 6, 15, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai


@pytest.fixture
def people(make_customer):
    """Four customers with different profiles; created_at set to known moments."""
    made = {
        "A": make_customer(
            "A",
            name="甲",
            city="上海",
            gender="female",
            birthday="1990-03-08",
            email="a@example.com",
            tags=["vip", "会员"],
            attributes={"language": "zh-Hans"},
            signed_up_at="2026-06-01T10:00:00+08:00",
        ),
        "B": make_customer(
            "B",
            name="乙",
            city="北京",
            gender="male",
            birthday="1985-12-24",
            phone="13900139000",
            tags=["会员"],
            attributes={"language": "en"},
            occupation="上海交通大学教师",
        ),
        "C": make_customer("C", name="丙", city="上海市", gender="male", tags=["vip"]),
        "D": make_customer("D", name="丁"),
    }
    moments = {
        "A": datetime(2026, 6, 10, tzinfo=UTC),
        "B": datetime(2026, 1, 1, tzinfo=UTC),
        "C": datetime(2025, 12, 31, 17, 0, tzinfo=UTC),  # 2026-01-01 01:00 in Shanghai
        "D": datetime(2024, 5, 1, tzinfo=UTC),
    }
    for key, moment in moments.items():
        Customer.objects.filter(pk=made[key].pk).update(created_at=moment)
    set_consent(
        customer=made["A"], channel="email", purpose="surveys", is_granted=True, source="test"
    )
    set_consent(
        customer=made["B"], channel="email", purpose="surveys", is_granted=False, source="test"
    )
    set_consent(
        customer=made["B"], channel="sms", purpose="marketing", is_granted=True, source="test"
    )
    return made


def members(rules) -> set[str]:
    condition = compile_rules(validate_rules(rules), now=NOW)
    return set(Customer.objects.filter(condition).values_list("customer_id", flat=True))


def one(field, op, value, **extra) -> dict:
    return {"all": [{"field": field, "op": op, "value": value, **extra}]}


# --- text --------------------------------------------------------------------------------------


def test_text_eq_ne_in_contains_select_exact_customers(people):
    assert members(one("city", "eq", "上海")) == {"A"}
    assert members(one("city", "ne", "上海")) == {"B", "C", "D"}
    assert members(one("city", "in", ["上海", "北京"])) == {"A", "B"}
    assert members(one("city", "contains", "上海")) == {"A", "C"}
    assert members(one("occupation", "contains", "教师")) == {"B"}


def test_text_field_with_choices_refuses_an_unknown_value(people):
    assert members(one("gender", "in", ["female", "male"])) == {"A", "B", "C"}
    assert members(one("gender", "ne", "male")) == {"A", "D"}
    with pytest.raises(InvalidInput) as refused:
        validate_rules(one("gender", "eq", "robot"))
    assert refused.value.errors[0].field == "rules.all[0].value"
    assert refused.value.errors[0].reason == "expected one of female, male, other"


def test_language_compares_without_case(people):
    assert members(one("language", "eq", "zh-hans")) == {"A"}
    assert members(one("language", "in", ["EN", "fr"])) == {"B"}
    assert members(one("language", "contains", "zh")) == {"A"}


# --- number ------------------------------------------------------------------------------------


def test_birthday_month_number_operators(people):
    assert members(one("birthday_month", "eq", 3)) == {"A"}
    assert members(one("birthday_month", "gt", 3)) == {"B"}
    assert members(one("birthday_month", "gte", 3)) == {"A", "B"}
    assert members(one("birthday_month", "lt", 12)) == {"A"}
    assert members(one("birthday_month", "lte", 12)) == {"A", "B"}
    assert members(one("birthday_month", "between", [1, 6])) == {"A"}
    # Without a birthday a customer is in no month, and "not March" includes them.
    assert members({"not": one("birthday_month", "eq", 3)}) == {"B", "C", "D"}


def test_birthday_month_out_of_range_is_refused(people):
    with pytest.raises(InvalidInput) as refused:
        validate_rules(one("birthday_month", "eq", 13))
    assert [error.as_dict() for error in refused.value.errors] == [
        {"field": "rules.all[0].value", "reason": "expected a number from 1 to 12"}
    ]


# --- dates -------------------------------------------------------------------------------------


def test_date_operators_count_days_in_shanghai(people):
    # C was created at 01:00 on 2026-01-01 in Shanghai (still 2025 in UTC).
    assert members(one("created_at", "before", "2026-01-01")) == {"D"}
    assert members(one("created_at", "after", "2025-12-31")) == {"A", "B", "C"}
    assert members(one("created_at", "after", "2026-01-01")) == {"A"}
    assert members(one("created_at", "within_last_days", 30)) == {"A"}
    assert members(one("created_at", "not_within_last_days", 30)) == {"B", "C", "D"}
    assert members(one("created_at", "not_within_last_days", 600)) == {"D"}


def test_a_missing_date_matches_no_date_operator(people):
    assert members(one("signed_up_at", "within_last_days", 30)) == {"A"}
    assert members(one("signed_up_at", "not_within_last_days", 1)) == {"A"}
    assert members(one("birthday", "before", "1986-01-01")) == {"B"}
    assert members(one("birthday", "after", "1986-01-01")) == {"A"}


# --- boolean and tags --------------------------------------------------------------------------


def test_boolean_fields_identity_and_consent(people):
    assert members(one("has_email", "is", True)) == {"A"}
    assert members(one("has_email", "is", False)) == {"B", "C", "D"}
    assert members(one("has_phone", "is", True)) == {"B"}
    assert members(one("consent.email.surveys", "is", True)) == {"A"}
    assert members(one("consent.email.surveys", "is", False)) == {"B", "C", "D"}
    assert members(one("consent.sms.marketing", "is", True)) == {"B"}


def test_tag_has_and_has_not(people):
    assert members(one("tag", "has", "vip")) == {"A", "C"}
    assert members(one("tag", "has_not", "vip")) == {"B", "D"}
    assert members(one("tag", "has", "会员")) == {"A", "B"}
    assert members(one("tag", "has", "nobody")) == set()


# --- groups ------------------------------------------------------------------------------------


def test_nested_all_any_not(people):
    rules = {
        "any": [
            {
                "all": [
                    {"field": "tag", "op": "has", "value": "vip"},
                    {"not": {"field": "city", "op": "eq", "value": "上海"}},
                ]
            },
            {"field": "city", "op": "eq", "value": "北京"},
        ]
    }
    assert members(rules) == {"B", "C"}
    assert members({"not": rules}) == {"A", "D"}
    assert members({"all": [{"any": [one("tag", "has", "vip")]}, one("gender", "eq", "male")]}) == {
        "C"
    }


def test_a_bare_condition_is_stored_as_a_group_of_one(people):
    assert validate_rules({"field": "city", "op": "eq", "value": " 上海 "}) == {
        "all": [{"field": "city", "op": "eq", "value": "上海"}]
    }


# --- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "field", "reason"),
    [
        (
            {
                "all": [
                    one("city", "eq", "上海")["all"][0],
                    {"field": "tag", "op": "has", "value": 3},
                ]
            },
            "rules.all[1].value",
            "expected a non-empty text",
        ),
        (
            {"all": [{"field": "birthday_month", "op": "gt", "value": "3"}]},
            "rules.all[0].value",
            "expected a number",
        ),
        (
            {"all": [{"field": "shoe_size", "op": "eq", "value": 1}]},
            "rules.all[0].field",
            "unknown field 'shoe_size'",
        ),
        (
            {"all": [{"field": "city", "op": "gt", "value": "x"}]},
            "rules.all[0].op",
            "expected one of eq, ne, in, contains for the field city",
        ),
        ({"all": [{"field": "city", "op": "eq"}]}, "rules.all[0].value", "is missing"),
        ({"all": []}, "rules.all", "expected a non-empty list"),
        ({"all": [], "any": []}, "rules", 'expected exactly one key: "all", "any" or "not"'),
        ([], "rules", "expected an object"),
        (
            {"any": [{"not": {"field": "created_at", "op": "before", "value": "2026-02-30"}}]},
            "rules.any[0].not.value",
            "expected a date as YYYY-MM-DD",
        ),
        (
            one("created_at", "within_last_days", 0),
            "rules.all[0].value",
            "expected a whole number of days from 1 to 36500",
        ),
        (
            one("birthday_month", "between", [6, 1]),
            "rules.all[0].value",
            "expected the low number first",
        ),
        (
            one("birthday_month", "between", [1]),
            "rules.all[0].value",
            "expected two numbers [low, high]",
        ),
        (one("has_email", "is", "yes"), "rules.all[0].value", "expected true or false"),
        (one("city", "in", []), "rules.all[0].value", "expected a list of 1 to 200 texts"),
        (
            one("city", "eq", "上海", days=3),
            "rules.all[0].days",
            "this field looks at no period; leave it out",
        ),
        (
            {"all": [{"field": "city", "op": "eq", "value": "x", "colour": "red"}]},
            "rules.all[0].colour",
            "unknown key; expected field, op, value",
        ),
    ],
)
def test_bad_rules_are_refused_naming_the_path(db, rules, field, reason):
    with pytest.raises(InvalidInput) as refused:
        validate_rules(rules)
    assert refused.value.errors[0].as_dict() == {"field": field, "reason": reason}


def test_every_bad_condition_is_reported(db):
    with pytest.raises(InvalidInput) as refused:
        validate_rules(
            {
                "all": [
                    {"field": "city", "op": "eq", "value": ""},
                    {"field": "city", "op": "eq", "value": "上海"},
                    {"field": "birthday_month", "op": "eq", "value": True},
                ]
            }
        )
    assert [error.field for error in refused.value.errors] == [
        "rules.all[0].value",
        "rules.all[2].value",
    ]


def test_rules_nested_too_deeply_or_too_many_are_refused(db):
    rules = {"field": "city", "op": "eq", "value": "x"}
    for _level in range(8):
        rules = {"not": rules}
    with pytest.raises(InvalidInput) as refused:
        validate_rules(rules)
    assert refused.value.errors[0].reason == "nested more than 6 levels deep"
    many = {"any": [{"field": "city", "op": "eq", "value": str(n)} for n in range(51)]}
    with pytest.raises(InvalidInput) as refused:
        validate_rules(many)
    assert refused.value.errors[0].as_dict() == {
        "field": "rules.any[50]",
        "reason": "a segment has at most 50 conditions",
    }


# --- actions and queries -----------------------------------------------------------------------


def test_create_segment_saves_checked_rules_and_counts_members(people):
    segment = create_segment(
        name=" 上海 VIP ", description="", rules=one("tag", "has", "vip"), created_by=None, now=NOW
    )
    assert (segment.name, segment.member_count, segment.counted_at) == ("上海 VIP", 2, NOW)
    assert get_segment(segment.pk) == segment
    assert set(segment_members(segment).values_list("customer_id", flat=True)) == {"A", "C"}
    assert count_segment_members(segment) == 2
    assert [item.name for item in list_segments()] == ["上海 VIP"]


def test_create_segment_with_bad_rules_saves_nothing(people):
    with pytest.raises(InvalidInput) as refused:
        create_segment(
            name="",
            description="",
            rules={"all": [{"field": "birthday_month", "op": "eq", "value": "x"}]},
            created_by=None,
        )
    assert [error.as_dict() for error in refused.value.errors] == [
        {"field": "name", "reason": "is required"},
        {"field": "rules.all[0].value", "reason": "expected a number"},
    ]
    assert Segment.objects.count() == 0


def test_segment_names_are_unique(people):
    create_segment(name="VIP", rules=one("tag", "has", "vip"))
    with pytest.raises(InvalidInput) as refused:
        create_segment(name="VIP", rules=one("tag", "has", "会员"))
    assert refused.value.errors[0].as_dict() == {
        "field": "name",
        "reason": "another segment already has this name",
    }
    assert Segment.objects.count() == 1


def test_update_segment_replaces_rules_and_recounts(people):
    segment = create_segment(name="VIP", rules=one("tag", "has", "vip"))
    update_segment(
        segment=segment, name="会员", description="members", rules=one("tag", "has", "会员")
    )
    segment.refresh_from_db()
    assert (segment.name, segment.description, segment.member_count) == ("会员", "members", 2)
    assert set(segment_members(segment).values_list("customer_id", flat=True)) == {"A", "B"}


def test_update_segment_with_bad_rules_changes_nothing(people):
    segment = create_segment(name="VIP", rules=one("tag", "has", "vip"))
    with pytest.raises(InvalidInput):
        update_segment(segment=segment, name="x", rules={"all": [{"field": "nope"}]})
    segment.refresh_from_db()
    assert (segment.name, segment.rules) == ("VIP", one("tag", "has", "vip"))


def test_refresh_segment_count_keeps_the_new_figure(people, make_customer):
    segment = create_segment(name="VIP", rules=one("tag", "has", "vip"))
    make_customer("E", tags=["vip"])
    refresh_segment_count(segment=segment, now=NOW)
    segment.refresh_from_db()
    assert (segment.member_count, segment.counted_at) == (3, NOW)


def test_delete_segment_refused_while_something_uses_it(people):
    segment = create_segment(name="VIP", rules=one("tag", "has", "vip"))
    register_segment_usage_check("test.uses", lambda segment_id: [f"test user of {segment_id}"])
    try:
        with pytest.raises(Conflict) as refused:
            delete_segment(segment=segment)
        assert f"test user of {segment.pk}" in refused.value.message
        assert Segment.objects.count() == 1
    finally:
        del segment_usage_checks["test.uses"]
    delete_segment(segment=segment)
    assert Segment.objects.count() == 0


def test_preview_counts_and_lists_unsaved_rules(people):
    count, first = preview_segment(one("tag", "has", "vip"), limit=1)
    assert count == 2
    assert [customer.customer_id for customer in first] == ["A"]


def test_get_segment_unknown_is_not_found(db):
    from kesheng.core.errors import NotFound

    for value in (99, "abc", 2**70):
        with pytest.raises(NotFound):
            get_segment(value)
