"""The built-in templates: valid definitions, the X-VOC lists complete, created as surveys."""

import pytest

from kesheng.core.errors import NotFound
from kesheng.surveys.actions.templates import create_survey_from_template
from kesheng.surveys.builtin import get_template, list_templates
from kesheng.surveys.definition import validate_definition
from kesheng.surveys.models import Survey

XVOC_COUNTS = {
    "xvoc_online_shopping": 22,
    "xvoc_call_centre": 18,
    "xvoc_supermarket": 25,
    "xvoc_b2b_it": 25,
}


def questions_of(definition: dict) -> dict[str, dict]:
    return {
        question["name"]: question for page in definition["pages"] for question in page["questions"]
    }


def test_the_registry_lists_every_template_in_order():
    assert [template.key for template in list_templates()] == [
        "post_purchase_csat",
        "nps_relationship",
        "ces_service_case",
        "store_visit",
        "xvoc_online_shopping",
        "xvoc_call_centre",
        "xvoc_supermarket",
        "xvoc_b2b_it",
    ]


@pytest.mark.parametrize("key", [template.key for template in list_templates()])
def test_every_template_is_a_valid_definition_in_both_languages(key):
    definition = get_template(key).definition

    assert validate_definition(definition) == []
    assert definition["languages"] == ["zh-hans", "en"]
    for question in questions_of(definition).values():
        assert set(question["title"]) == {"zh-hans", "en"}, question["name"]
        for item in question.get("choices", []) + question.get("rows", []):
            assert set(item["text"]) == {"zh-hans", "en"}, (question["name"], item["value"])


@pytest.mark.parametrize(("key", "count"), sorted(XVOC_COUNTS.items()))
def test_xvoc_templates_ask_importance_and_satisfaction_of_every_subprocess(key, count):
    title, definition = get_template(key)
    questions = questions_of(definition)

    assert list(questions) == [
        "importance",
        "satisfaction",
        "overall_satisfaction",
        "best_provider",
        "best_provider_why",
        "worst_provider",
        "worst_provider_why",
    ]
    expected_rows = [f"S{index}" for index in range(1, count + 1)]
    for name in ("importance", "satisfaction"):
        assert questions[name]["type"] == "matrix"
        assert questions[name]["required"] is True
        assert [row["value"] for row in questions[name]["rows"]] == expected_rows
        assert [column["value"] for column in questions[name]["columns"]] == [
            str(point) for point in range(1, 11)
        ]
    assert questions["overall_satisfaction"]["scale"]["max"] == 10
    assert title.startswith("X-VOC")


def test_xvoc_online_shopping_rows_are_the_study_sub_processes():
    rows = questions_of(get_template("xvoc_online_shopping").definition)["importance"]["rows"]

    assert rows[0] == {"value": "S1", "text": {"zh-hans": "浏览速度", "en": "Browsing speed"}}
    assert rows[21] == {
        "value": "S22",
        "text": {"zh-hans": "客户投诉和反馈", "en": "Complaints and feedback"},
    }


def test_get_template_gives_a_fresh_copy_each_time():
    first = get_template("nps_relationship").definition
    first["pages"].clear()

    assert len(get_template("nps_relationship").definition["pages"]) == 2


def test_get_template_title_follows_the_language():
    assert get_template("store_visit").title == "门店体验调查"
    assert get_template("store_visit", "en").title == "Store visit survey"


def test_create_survey_from_template_records_the_template(db):
    survey = create_survey_from_template(key="xvoc_call_centre")

    assert survey.template_key == "xvoc_call_centre"
    assert survey.title == "X-VOC 触点调查：呼叫中心"
    assert survey.current_version.definition == get_template("xvoc_call_centre").definition


def test_an_unknown_template_is_not_found_and_nothing_is_created(db):
    with pytest.raises(NotFound, match="no template 'nope'"):
        create_survey_from_template(key="nope")

    assert Survey.objects.count() == 0
