"""``kesheng survey ...``: import (summary and id, or JSON), export, export-definition, list,
templates, create-from-template; bad input exits with code 2 and writes nothing."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from kesheng.surveys.actions.templates import create_survey_from_template
from kesheng.surveys.importers.surveyjs import convert_surveyjs
from kesheng.surveys.models import Survey

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def run(*arguments: str) -> list[str]:
    output = StringIO()
    call_command("survey", *arguments, stdout=output)
    return output.getvalue().splitlines()


def test_import_prints_a_summary_and_the_new_id_alone_on_the_last_line(db):
    lines = run("import", str(FIXTURES / "citric_survey_ls6.lss"))

    survey = Survey.objects.get()
    assert lines == [
        "Imported 'Test Survey' with 3 questions: G01Q01, G01Q02, G02Q04",
        "Not imported as they were (1):",
        "  G02Q03: type |: file uploads are not supported",
        str(survey.pk),
    ]


def test_import_json_prints_exactly_id_title_questions_and_unmapped(db):
    lines = run("import", str(FIXTURES / "python_surveyjs_test_survey_schema.json"), "--json")

    result = json.loads("\n".join(lines))
    survey = Survey.objects.get()
    assert list(result) == ["id", "title", "questions", "unmapped"]
    assert result["id"] == survey.pk
    assert result["title"] == "Test Survey"
    assert result["questions"][:3] == ["firstName", "lastName", "birthDate"]
    assert len(result["questions"]) == 19
    assert {"name": "resume", "reason": "file: file uploads are not supported"} in (
        result["unmapped"]
    )


def test_import_of_a_bad_file_exits_2_with_the_reason_and_writes_nothing(db, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"pages": [')

    with pytest.raises(CommandError) as refused:
        run("import", str(path))

    assert refused.value.returncode == 2
    assert str(refused.value) == (f"{path}: not valid JSON: Expecting value (line 1, column 12)")
    assert Survey.objects.count() == 0


def test_export_definition_writes_surveyjs_json_that_imports_back(db, tmp_path):
    survey = create_survey_from_template(key="nps_relationship")
    path = tmp_path / "nps.json"

    lines = run("export-definition", str(survey.pk), "--output", str(path))

    exported = json.loads(path.read_text(encoding="utf-8"))
    assert exported["pages"][0]["elements"][0]["name"] == "nps"
    assert (
        convert_surveyjs(exported).definition["pages"]
        == (survey.current_version.definition["pages"])
    )
    assert lines == [f"Wrote the definition of '客户推荐度调查' as SurveyJS JSON to {path}"]


def test_export_writes_the_responses_file(db, tmp_path):
    survey = create_survey_from_template(key="post_purchase_csat")
    path = tmp_path / "responses.csv"

    lines = run("export", str(survey.pk), "--format", "csv", "--output", str(path))

    assert lines == [f"Wrote 0 responses to {path}"]
    assert path.exists()


def test_export_of_an_unknown_survey_exits_2(db, tmp_path):
    with pytest.raises(CommandError) as refused:
        run("export", "999", "--format", "csv", "--output", str(tmp_path / "x.csv"))

    assert refused.value.returncode == 2
    assert str(refused.value) == "no survey with id 999"


def test_list_shows_surveys_newest_first(db):
    first = create_survey_from_template(key="store_visit")
    second = create_survey_from_template(key="nps_relationship", title="Quarterly NPS")

    assert run("list") == [
        f"{second.pk}  Quarterly NPS  [draft]  v1  0 completed",
        f"{first.pk}  门店体验调查  [draft]  v1  0 completed",
    ]
    rows = json.loads("\n".join(run("list", "--json")))
    assert [(row["id"], row["template"], row["completed_responses"]) for row in rows] == [
        (second.pk, "nps_relationship", 0),
        (first.pk, "store_visit", 0),
    ]


def test_list_without_surveys_says_how_to_import_one(db):
    assert run("list") == ["No surveys yet. Import one with: kesheng survey import FILE"]


def test_templates_lists_every_key_with_its_english_title():
    lines = run("templates")

    assert len(lines) == 8
    assert lines[0].startswith("post_purchase_csat  Post-purchase satisfaction survey  - ")
    assert lines[-1].startswith("xvoc_b2b_it  X-VOC touchpoint survey: B2B IT purchase  - ")
    rows = json.loads("\n".join(run("templates", "--json")))
    assert rows[4]["key"] == "xvoc_online_shopping"
    assert rows[4]["questions"][0] == "importance"


def test_create_from_template_prints_the_id_last(db):
    lines = run("create-from-template", "ces_service_case")

    survey = Survey.objects.get()
    assert lines == ["Created '服务体验调查' from the template ces_service_case.", str(survey.pk)]


def test_create_from_an_unknown_template_exits_2(db):
    with pytest.raises(CommandError) as refused:
        run("create-from-template", "nope")

    assert refused.value.returncode == 2
    assert Survey.objects.count() == 0
