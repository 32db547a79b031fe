"""SurveyJS JSON -> Kesheng definition: a real file from a public repository, and the mapping
rules one by one on small surveys."""

import json
from pathlib import Path

import pytest

from kesheng.surveys.definition import validate_definition
from kesheng.surveys.importers.common import SurveyFileError
from kesheng.surveys.importers.surveyjs import convert_surveyjs

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def questions_of(converted) -> dict[str, dict]:
    return {
        question["name"]: question
        for page in converted.definition["pages"]
        for question in page["questions"]
    }


def reasons_by_name(converted) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for item in converted.unmapped:
        result.setdefault(item["name"], []).append(item["reason"])
    return result


def test_real_surveyjs_file_imports_with_names_kept_and_the_rest_reported():
    data = json.loads((FIXTURES / "python_surveyjs_test_survey_schema.json").read_text())
    converted = convert_surveyjs(data)

    assert validate_definition(converted.definition) == []
    assert converted.title == "Test Survey"
    assert [page["name"] for page in converted.definition["pages"]] == [
        "page_basic_input",
        "page_choice",
        "page_special",
        "page_matrix",
        "page_layout",
    ]
    types = {name: question["type"] for name, question in questions_of(converted).items()}
    assert types == {
        "firstName": "short_text",
        "lastName": "short_text",
        "birthDate": "date",
        "age": "numeric",
        "email": "email",
        "appointmentTime": "short_text",
        "bio": "long_text",
        "favoriteColor": "single_choice",
        "hobbies": "multiple_choice",
        "country": "dropdown",
        "skills": "multiple_choice",
        "favoritePet": "single_choice",
        "tShirtSize": "single_choice",
        "priorityItems": "ranking",
        "agreeTerms": "yes_no",
        "satisfaction": "rating",
        "qualityMatrix": "matrix",
        "phone": "short_text",
        "website": "short_text",
    }
    reasons = reasons_by_name(converted)
    assert sorted(reasons) == sorted(
        [
            "(languages)",
            "appointmentTime",
            "agreeTerms",
            "volume",
            "priceRange",
            "signature",
            "fullName",
            "resume",
            "budgetMatrix",
            "employeeList",
            "address",
            "education",
            "infoHtml",
            "thankYouImage",
        ]
    )
    assert reasons["resume"] == ["file: file uploads are not supported"]
    satisfaction = questions_of(converted)["satisfaction"]
    assert satisfaction["scale"] == {
        "min": 1,
        "max": 10,
        "min_label": {"en": "Very Bad"},
        "max_label": {"en": "Excellent"},
        "style": "stars",
    }
    assert questions_of(converted)["age"]["validation"] == {"min": 0, "max": 150}


LOCALISED = {
    "locale": "zh-cn",
    "title": {"default": "门店调查", "en": "Store survey", "de": "Filialumfrage"},
    "pages": [
        {
            "name": "page1",
            "elements": [
                {
                    "type": "radiogroup",
                    "name": "visit",
                    "title": {"default": "来店目的？", "en": "Why did you visit?"},
                    "isRequired": True,
                    "choices": [
                        {"value": "buy", "text": {"default": "购物", "en": "Shopping"}},
                        "browse|随便看看",
                        3,
                    ],
                    "showOtherItem": True,
                },
                {
                    "type": "panel",
                    "name": "buyer_panel",
                    "visibleIf": "{visit} = 'buy'",
                    "elements": [
                        {
                            "type": "rating",
                            "name": "recommend",
                            "title": "您向朋友推荐我们的可能性有多大？",
                            "rateMin": 0,
                            "rateMax": 10,
                        },
                        {
                            "type": "checkbox",
                            "name": "liked",
                            "title": "喜欢什么？",
                            "visibleIf": "{recommend} greaterorequal 9",
                            "choices": ["价格", "服务"],
                            "validators": [{"type": "answercount", "maxCount": 1}],
                        },
                    ],
                },
            ],
        },
        {
            "name": "page 2",
            "elements": [
                {
                    "type": "text",
                    "name": "spend amount",
                    "inputType": "number",
                    "validators": [{"type": "numeric", "minValue": 0, "maxValue": 5000}],
                    "enableIf": "{visit} notempty",
                },
                {"type": "text", "name": "mobile", "inputType": "tel"},
                {
                    "type": "comment",
                    "name": "why",
                    "visibleIf": "age({birthdate}) > 18",
                },
            ],
        },
    ],
    "triggers": [{"type": "complete", "expression": "{visit} = 'browse'"}],
}


def test_localised_texts_become_language_objects_with_the_locale_as_default():
    converted = convert_surveyjs(json.loads(json.dumps(LOCALISED)))

    assert validate_definition(converted.definition) == []
    assert converted.definition["languages"] == ["zh-hans", "en"]
    assert converted.definition["default_language"] == "zh-hans"
    assert converted.definition["title"] == {"zh-hans": "门店调查", "en": "Store survey"}
    assert converted.title == "门店调查"
    visit = questions_of(converted)["visit"]
    assert visit["choices"] == [
        {"value": "buy", "text": {"zh-hans": "购物", "en": "Shopping"}},
        {"value": "browse", "text": {"zh-hans": "随便看看"}},
        {"value": "3", "text": {"zh-hans": "3"}},
    ]
    assert visit["has_other"] is True
    assert visit["required"] is True
    assert {"name": "(languages)", "reason": reasons_by_name(converted)["(languages)"][0]} in (
        converted.unmapped
    )
    assert "de" in reasons_by_name(converted)["(languages)"][0]


def test_panels_are_flattened_and_their_condition_joined_with_the_question_own():
    converted = convert_surveyjs(json.loads(json.dumps(LOCALISED)))
    questions = questions_of(converted)

    assert questions["recommend"]["visible_if"] == "{visit} = 'buy'"
    assert questions["liked"]["visible_if"] == "({visit} = 'buy') and ({recommend} >= 9)"
    assert questions["liked"]["validation"] == {"max_choices": 1}


def test_a_zero_to_ten_rating_that_asks_to_recommend_is_nps():
    converted = convert_surveyjs(json.loads(json.dumps(LOCALISED)))

    assert questions_of(converted)["recommend"]["type"] == "nps"
    assert "scale" not in questions_of(converted)["recommend"]


def test_a_zero_to_ten_rating_about_something_else_stays_a_rating():
    survey = {
        "elements": [
            {"type": "rating", "name": "effort", "title": "Effort", "rateMin": 0, "rateMax": 10}
        ]
    }
    question = questions_of(convert_surveyjs(survey))["effort"]

    assert question["type"] == "rating"
    assert question["scale"] == {"min": 0, "max": 10, "style": "numbers"}


def test_invalid_names_are_renamed_and_reported_and_conditions_follow_the_new_name():
    survey = {
        "questions": [
            {"type": "text", "name": "spend amount", "inputType": "number"},
            {
                "type": "comment",
                "name": "why",
                "title": "Why {spend amount}?",
                "visibleIf": "{spend amount} > 100",
            },
        ]
    }
    converted = convert_surveyjs(survey)

    assert questions_of(converted)["why"]["title"] == {"en": "Why {spend_amount}?"}

    assert list(questions_of(converted)) == ["spend_amount", "why"]
    assert questions_of(converted)["why"]["visible_if"] == "{spend_amount} > 100"
    assert converted.unmapped == [
        {
            "name": "spend amount",
            "reason": "renamed to 'spend_amount': a name is letters, digits and _ starting "
            "with a letter, unique in the survey",
        }
    ]


def test_untranslatable_conditions_and_enable_if_keep_the_question_and_are_reported():
    converted = convert_surveyjs(json.loads(json.dumps(LOCALISED)))
    questions = questions_of(converted)
    reasons = reasons_by_name(converted)

    assert questions["why"]["visible_if"] is None
    assert reasons["why"] == [
        "visibleIf 'age({birthdate}) > 18' cannot be translated (the function age() has no "
        "equivalent); kept without the condition"
    ]
    assert questions["spend_amount"]["validation"] == {"min": 0, "max": 5000}
    assert reasons["spend_amount"][-1].startswith("enableIf '{visit} notempty' is not supported")
    assert questions["mobile"]["type"] == "phone"


def test_a_complete_trigger_becomes_a_skip_to_the_end_after_the_page_it_reads():
    converted = convert_surveyjs(json.loads(json.dumps(LOCALISED)))

    assert converted.definition["pages"][0]["skip"] == [{"if": "{visit} = 'browse'", "to": "end"}]
    assert converted.definition["pages"][1]["name"] == "page_2"


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("{a} == 'x' && {b} <> 2", "{a} = 'x' and {b} != 2"),
        ("{a} anyof ['x', 'y'] or !({b} empty)", "{a} anyof ['x', 'y'] or not ({b} empty)"),
        ('{a} notcontains "it\'s"', "{a} notcontains 'it\\'s'"),
        ("{m.row1} = 3", "{m.row1} = 3"),
        ("{g.row1} = 'good' or {g.row1} == 'poor'", "{g.row1} = 2 or {g.row1} = 1"),
    ],
)
def test_surveyjs_expressions_translate_to_the_condition_language(expression, expected):
    survey = {
        "elements": [
            {"type": "text", "name": "a"},
            {"type": "text", "name": "b"},
            {"type": "matrix", "name": "m", "rows": ["row1"], "columns": [1, 2, 3]},
            {"type": "matrix", "name": "g", "rows": ["row1"], "columns": ["poor", "good"]},
            {"type": "comment", "name": "c", "visibleIf": expression},
        ]
    }
    converted = convert_surveyjs(survey)

    assert questions_of(converted)["c"]["visible_if"] == expected
    assert converted.unmapped == []


def test_a_condition_on_an_unknown_variable_is_reported():
    survey = {"elements": [{"type": "comment", "name": "c", "visibleIf": "{panel.total} > 1"}]}
    converted = convert_surveyjs(survey)

    assert questions_of(converted)["c"]["visible_if"] is None
    assert "'{panel.total}' is not a question of the survey" in converted.unmapped[0]["reason"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ([1, 2], "a SurveyJS survey is a JSON object"),
        ({"title": "x"}, "not a SurveyJS survey"),
        ({"pages": [{"elements": [{"type": "html", "name": "x"}]}]}, "no question"),
        ({"pages": ["oops"]}, "'pages' must be a list of objects"),
    ],
)
def test_files_that_are_not_surveyjs_surveys_are_refused(data, reason):
    with pytest.raises(SurveyFileError, match=reason):
        convert_surveyjs(data)


def test_values_of_the_wrong_kind_are_ignored_not_a_crash():
    survey = {
        "pages": [
            {
                "elements": [
                    {"type": "checkbox", "name": "a", "choices": True, "validators": 3},
                    {"type": "matrix", "name": "m", "rows": "x", "columns": 2},
                    {"type": "rating", "name": "r", "kesheng_type": {"x": 1}, "rateValues": 5},
                    {"type": "comment", "name": "c"},
                ]
            }
        ],
        "triggers": "none",
    }
    converted = convert_surveyjs(survey)

    assert list(questions_of(converted)) == ["r", "c"]
    assert converted.unmapped == [
        {"name": "a", "reason": "not imported: it has no choices"},
        {"name": "m", "reason": "a matrix without rows"},
    ]


def test_a_matrix_row_compared_with_a_value_that_is_no_column_is_reported():
    survey = {
        "elements": [
            {"type": "matrix", "name": "g", "rows": ["r"], "columns": ["poor", "good"]},
            {"type": "comment", "name": "c", "visibleIf": "{g.r} = 'great'"},
        ]
    }
    converted = convert_surveyjs(survey)

    assert questions_of(converted)["c"]["visible_if"] is None
    assert "'great' is not a column of the matrix" in converted.unmapped[0]["reason"]
