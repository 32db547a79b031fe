import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from kesheng.loyalty.models import Membership, Programme, Tier
from tests.loyalty.conftest import programme_document


@pytest.fixture(autouse=True)
def english(default_language):
    translation.activate("en")


EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "loyalty-programme.yaml"


def _configure(path, capsys, *extra):
    call_command("loyalty", "configure", str(path), *extra)
    return capsys.readouterr().out


def _refused(path, capsys) -> tuple[int, list[str]]:
    with pytest.raises(CommandError) as refused:
        call_command("loyalty", "configure", str(path))
    return refused.value.returncode, capsys.readouterr().err.strip().splitlines()


def _state():
    return (
        list(Programme.objects.values_list("qualification", "review_period", "grace_days")),
        list(Tier.objects.order_by("position").values_list("code", "threshold", "is_active")),
    )


def test_the_example_file_loads_four_tiers_with_names_and_privileges(db, capsys):
    out = _configure(EXAMPLE, capsys, "--json")
    assert json.loads(out) == {
        "created": True,
        "tiers": ["member", "silver", "gold", "diamond"],
        "tiers_added": 4,
        "tiers_changed": 0,
        "tiers_retired": 0,
        "rewards": ["coupon-20", "coupon-10pct", "thermos", "points-as-cash"],
        "rewards_added": 4,
        "rewards_changed": 0,
        "rewards_retired": 0,
    }
    gold = Tier.objects.get(code="gold")
    assert (gold.name_zh, gold.name_en, gold.threshold, gold.position) == (
        "金卡",
        "Gold",
        Decimal("5000.00"),
        2,
    )
    assert (gold.points_multiplier, gold.birthday_gift, gold.free_shipping) == (
        Decimal("1.50"),
        "生日券 50 元",
        True,
    )
    assert not gold.priority_service
    programme = Programme.objects.get()
    assert (programme.qualification, programme.review_period, programme.grace_days) == (
        "spend",
        "quarterly",
        30,
    )
    assert programme.settings["expiry"] == {"mode": "rolling", "months": 24}
    assert programme.settings["return_window_days"] == 7
    assert [rule["code"] for rule in programme.settings["earn_rules"]] == [
        "base",
        "member-day",
        "birthday",
    ]
    assert programme.settings["earn_rules"][2]["birthday_month"] is True
    assert [rule["event"] for rule in programme.settings["bonus_rules"]] == [
        "survey_completed",
        "review_written",
        "profile_completed",
        "first_order",
    ]
    assert programme.settings["referrals"] == {
        "referrer_points": 500,
        "referee_points": 200,
        "period_days": 365,
        "max_rewarded_per_referrer": 10,
    }
    assert programme.settings["rewards"][0]["points"] == 2000


def test_loading_again_changes_nothing_and_a_json_file_works_too(db, capsys, tmp_path):
    _configure(EXAMPLE, capsys)
    before = _state()
    path = tmp_path / "programme.json"
    document = programme_document(review={"period": "quarterly", "grace_days": 30})
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    out = json.loads(_configure(path, capsys, "--json"))
    assert (out["created"], out["tiers_added"], out["tiers_retired"]) == (False, 0, 0)
    assert _state()[1] == before[1]


def test_a_bad_threshold_exits_2_naming_its_path_and_changes_nothing(db, capsys, tmp_path):
    _configure(EXAMPLE, capsys)
    before = _state()
    document = programme_document()
    document["tiers"][2]["threshold"] = "lots"
    document["tiers"][1]["name"] = {"zh-Hans": "银卡"}
    document["review"] = {"period": "weekly", "grace_days": -1}
    path = tmp_path / "bad.yaml"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    code, lines = _refused(path, capsys)
    assert code == 2
    assert lines == [
        f"{path}: review.period: must be one of monthly, quarterly, yearly",
        f"{path}: review.grace_days: must be from 0 to 3660",
        f"{path}: tiers[1].name.en: must be a non-empty text",
        f"{path}: tiers[2].threshold: must be a number",
    ]
    assert _state() == before


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"qualification": "tier_points"},
            "qualification: qualifying by tier_points is not built yet; use spend or orders",
        ),
        (
            {"colour": "red"},
            "colour: unknown key (expected: qualification, review, tiers, expiry, "
            "return_window_days, earn_rules, rewards, value_per_point, bonus_rules, referrals, "
            "care)",
        ),
        ({"tiers": []}, "tiers: must be a non-empty list"),
        ({"return_window_days": 7.5}, "return_window_days: must be a whole number"),
        (
            {"expiry": {"mode": "yearly", "date": "02-30"}},
            "expiry.date: must be a day of the year as MM-DD, e.g. 12-31",
        ),
        ({"earn_rules": [{"code": "a"}, {"code": "a"}]}, "earn_rules[1].code: a is used twice"),
        (
            {"earn_rules": [{"code": "a", "points_per_cny": 1, "multiplier": 2}]},
            "earn_rules[0]: needs either points_per_cny or multiplier (not both)",
        ),
        (
            {"earn_rules": [{"code": "a", "multiplier": 2, "weekday": 8}]},
            "earn_rules[0].weekday: must be a day of the week from 1 (Monday) to 7 (Sunday), "
            "or a list of them",
        ),
        (
            {"earn_rules": [{"code": "a", "points_per_cny": 1, "starts": "2026-13-01"}]},
            "earn_rules[0].starts: must be a date as YYYY-MM-DD",
        ),
        ({"value_per_point": -1}, "value_per_point: must be from 0 to 1000"),
    ],
)
def test_each_bad_key_is_named(db, capsys, tmp_path, change, expected):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(programme_document(**change), ensure_ascii=False))
    code, lines = _refused(path, capsys)
    assert (code, lines) == (2, [f"{path}: {expected}"])
    assert not Programme.objects.exists() and not Tier.objects.exists()


def test_tier_rules_thresholds_rise_from_zero_and_codes_are_unique(db, capsys, tmp_path):
    document = programme_document(qualification="orders")
    document["tiers"][0]["threshold"] = 1
    document["tiers"][1]["threshold"] = 2.5
    document["tiers"][3]["code"] = "gold"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document, ensure_ascii=False))
    code, lines = _refused(path, capsys)
    assert code == 2
    assert lines == [
        f"{path}: tiers[0].threshold: the first tier is where every customer starts: its "
        "threshold must be 0",
        f"{path}: tiers[1].threshold: must be a whole number",
        f"{path}: tiers[3].code: gold is used by an earlier tier",
    ]


def test_a_file_that_does_not_parse_exits_2(db, capsys, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("tiers: [\n  - code: a\n", encoding="utf-8")
    code, lines = _refused(path, capsys)
    assert code == 2 and lines[0].startswith(f"{path}: file: not valid YAML: ")
    code, lines = _refused(tmp_path / "missing.yaml", capsys)
    assert (code, lines) == (2, [f"{tmp_path / 'missing.yaml'}: file: no such file"])


def test_a_tier_with_members_cannot_be_left_out(db, capsys, tmp_path, make_customer):
    _configure(EXAMPLE, capsys)
    Membership.objects.create(
        customer=make_customer("C1"),
        tier=Tier.objects.get(code="diamond"),
        since="2025-01-01T00:00:00Z",
        qualified_value=Decimal("30000"),
    )
    document = programme_document()
    del document["tiers"][3]
    path = tmp_path / "three.json"
    path.write_text(json.dumps(document, ensure_ascii=False))
    before = _state()
    code, lines = _refused(path, capsys)
    assert (code, lines) == (
        2,
        [f"{path}: tiers: tier diamond still has 1 members; keep it in the file"],
    )
    assert _state() == before
    Membership.objects.all().delete()
    out = json.loads(_configure(path, capsys, "--json"))
    assert out["tiers_retired"] == 1
    assert list(Tier.objects.filter(is_active=False).values_list("code", flat=True)) == ["diamond"]
