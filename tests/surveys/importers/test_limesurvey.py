"""LimeSurvey .lss -> Kesheng definition: real exports of LimeSurvey 4 and 6 (citric's examples)
and of the per-language layout LimeSurvey 3 and older write (LimeSurvey's own test survey),
plus a LimeSurvey 3 style file written for these tests that has every mapped type."""

from pathlib import Path

import pytest

from kesheng.surveys.definition import validate_definition
from kesheng.surveys.importers.common import SurveyFileError
from kesheng.surveys.importers.limesurvey import convert_limesurvey

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def convert(filename: str):
    return convert_limesurvey((FIXTURES / filename).read_bytes())


def questions_of(converted) -> dict[str, dict]:
    return {
        question["name"]: question
        for page in converted.definition["pages"]
        for question in page["questions"]
    }


def test_limesurvey_6_export_keeps_codes_groups_and_reports_the_file_upload():
    converted = convert("citric_survey_ls6.lss")

    assert validate_definition(converted.definition) == []
    assert converted.title == "Test Survey"
    pages = converted.definition["pages"]
    assert [(page["name"], page["title"]) for page in pages] == [
        ("G1", {"en": "First Group"}),
        ("G2", {"en": "Second Group"}),
    ]
    assert [(q["name"], q["type"], q["required"]) for q in pages[0]["questions"]] == [
        ("G01Q01", "long_text", False),
        ("G01Q02", "rating", True),
    ]
    assert pages[0]["questions"][0]["title"] == {"en": "Text for first question"}
    assert pages[0]["questions"][0]["description"] == {"en": "This is a question help text."}
    assert [(q["name"], q["type"]) for q in pages[1]["questions"]] == [("G02Q04", "yes_no")]
    assert converted.unmapped == [
        {"name": "G02Q03", "reason": "type |: file uploads are not supported"}
    ]


def test_limesurvey_6_answers_and_subquestions_become_choices_rows_and_columns():
    converted = convert("citric_answers_ls6.lss")

    assert validate_definition(converted.definition) == []
    questions = questions_of(converted)
    assert questions["Q01"]["type"] == "multiple_choice"
    assert [choice["value"] for choice in questions["Q01"]["choices"]] == [
        "SQ001",
        "SQ002",
        "SQ003",
    ]
    assert questions["Q01"]["choices"][0]["text"] == {"en": "First option"}
    assert questions["Q02"]["type"] == "matrix"
    assert len(questions["Q02"]["rows"]) == 5
    assert len(questions["Q02"]["columns"]) == 5
    assert converted.unmapped == []


def test_limesurvey_4_export_imports():
    converted = convert("citric_limesurvey_survey_432535_ls4.lss")

    assert validate_definition(converted.definition) == []
    assert converted.title == "Example Survey"
    assert [(name, q["type"]) for name, q in questions_of(converted).items()] == [
        ("G01Q01", "rating"),
        ("G01Q02", "long_text"),
    ]
    assert questions_of(converted)["G01Q01"]["title"] == {"en": "Text for question 1"}


def test_per_language_rows_of_older_limesurvey_are_read_and_relevance_translated():
    converted = convert("limesurvey_survey_OldCodes.lss")

    assert validate_definition(converted.definition) == []
    assert converted.title == "Test old code replacement"
    assert converted.definition["languages"] == ["en"]
    questions = questions_of(converted)
    assert list(questions) == ["OLD_CODE1", "OLD_CODE2", "OLD_CODE3"]
    assert questions["OLD_CODE2"]["visible_if"] == "{OLD_CODE1} > 2"
    assert converted.definition["pages"][1]["visible_if"] == "{OLD_CODE1} > 2"
    # The end text pipes the answer: {OLD_CODE3.shown} becomes Kesheng's {OLD_CODE3}.
    assert converted.definition["thank_you"] == {"en": "OLD_CODE3 = {OLD_CODE3}"}
    assert converted.unmapped == [
        {
            "name": "(languages)",
            "reason": "texts in es are not imported: Kesheng surveys are in zh-Hans and English",
        },
        {
            "name": "OLD_CODE2",
            "reason": "the expression {OLD_CODE1.shown + OLD_CODE1.shown} in its text is shown "
            "as written (only {QUESTION_CODE} piping is translated)",
        },
    ]


def test_limesurvey_3_types_languages_and_conditions_map_onto_ours():
    converted = convert("kesheng_ls3_store_zh_hans.lss")

    assert validate_definition(converted.definition) == []
    definition = converted.definition
    assert definition["languages"] == ["zh-hans", "en"]
    assert definition["default_language"] == "zh-hans"
    assert definition["title"] == {"zh-hans": "门店满意度", "en": "Store satisfaction"}
    assert definition["thank_you"] == {"zh-hans": "谢谢！", "en": "Thank you!"}
    questions = questions_of(converted)
    assert {name: q["type"] for name, q in questions.items()} == {
        "Q1": "single_choice",
        "Q2": "multiple_choice",
        "Q3": "matrix",
        "Q4": "numeric",
        "Q5": "yes_no",
        "Q6_SQ001": "numeric",
        "Q6_SQ002": "numeric",
        "Q7": "long_text",
        "Q8": "short_text",
    }
    assert questions["Q1"]["title"] == {
        "zh-hans": "您常去哪家店？",
        "en": "Which store do you visit most?",
    }
    assert questions["Q1"]["choices"] == [
        {"value": "A1", "text": {"zh-hans": "南京路店", "en": "Nanjing Road"}},
        {"value": "A2", "text": {"zh-hans": "淮海路店", "en": "Huaihai Road"}},
    ]
    assert questions["Q1"]["has_other"] is True
    assert questions["Q1"]["required"] is True
    assert questions["Q2"]["validation"] == {"max_choices": 2}
    assert [row["value"] for row in questions["Q3"]["rows"]] == ["SQ001", "SQ002"]
    assert [column["value"] for column in questions["Q3"]["columns"]] == ["A1", "A2", "A3"]
    assert questions["Q4"]["validation"] == {"min": 0, "max": 100000}
    assert questions["Q8"]["validation"] == {"regex": "^[0-9]{6}$"}

    # A matrix answer is the column's position: A3 is the third column.
    assert questions["Q4"]["visible_if"] == "{Q3.SQ001} = 3"
    assert questions["Q2"]["visible_if"] == "({Q1} = 'A1' or {Q1} = 'A2')"
    assert questions["Q5"]["visible_if"] == "{Q2} contains 'SQ001' and {Q4} > 100"
    assert questions["Q7"]["visible_if"] == "({Q5} = false or {Q4} empty)"
    assert definition["pages"][1]["visible_if"] == "{Q1} = 'A2'"
    assert converted.unmapped == [
        {"name": "Q4", "reason": "soft mandatory (a warning only) is imported as not required"},
        {
            "name": "Q6",
            "reason": "multiple numerical input is imported as one question per subquestion: "
            "Q6_SQ001, Q6_SQ002",
        },
        {"name": "INTRO", "reason": "type X: display-only text (boilerplate), not a question"},
        {
            "name": "Q8",
            "reason": "relevance equation 'sum(Q4, 1) > 3' cannot be translated (the function "
            "sum() has no equivalent); kept without the condition",
        },
    ]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"<document><oops>", "not well-formed XML"),
        (
            b"<document><LimeSurveyDocType>Question</LimeSurveyDocType></document>",
            "not a LimeSurvey survey structure file",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]>'
            b"<document>&b;</document>",
            "refused",
        ),
        (
            b"<document><LimeSurveyDocType>Survey</LimeSurveyDocType></document>",
            "no question",
        ),
    ],
)
def test_files_that_are_not_limesurvey_surveys_are_refused(content, reason):
    with pytest.raises(SurveyFileError, match=reason):
        convert_limesurvey(content)


def test_a_question_row_without_its_id_is_refused_by_row():
    content = (
        (FIXTURES / "citric_survey_ls6.lss")
        .read_bytes()
        .replace(b"<qid><![CDATA[1]]></qid>", b"<qid/>", 1)
    )

    with pytest.raises(SurveyFileError, match="row 1 of <questions> has no qid"):
        convert_limesurvey(content)
