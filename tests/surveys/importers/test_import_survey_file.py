"""import_survey_file: the format is recognised from the content, the survey created, bad files
refused with nothing written."""

import json
import shutil
from pathlib import Path

import pytest

from kesheng.surveys.importers import SurveyImportError, import_survey_file
from kesheng.surveys.models import Survey, SurveyVersion

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def test_a_limesurvey_file_with_any_name_creates_a_draft_survey(db, tmp_path):
    path = tmp_path / "export.dat"
    shutil.copy(FIXTURES / "kesheng_ls3_store_zh_hans.lss", path)

    imported = import_survey_file(path)

    survey = Survey.objects.get()
    assert imported.survey == survey
    assert survey.title == "门店满意度"
    assert survey.status == "draft"
    assert survey.current_version.number == 1
    assert [item["name"] for item in imported.unmapped] == ["Q4", "Q6", "INTRO", "Q8"]


def test_a_surveyjs_file_without_a_title_is_named_after_the_file(db, tmp_path):
    path = tmp_path / "feedback.json"
    path.write_text(json.dumps({"elements": [{"type": "comment", "name": "comment"}]}))

    imported = import_survey_file(path)

    assert imported.survey.title == "feedback"
    assert imported.survey.current_version.definition["pages"][0]["questions"][0]["name"] == (
        "comment"
    )


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "unknown format"),
        (b"name,email\nx,y\n", "unknown format"),
        (b"{not json", "not valid JSON: Expecting property name enclosed in double quotes"),
        (b"\xff\xfe{}", "unknown format"),
        (b'{"pages": []}', "the survey has no question that can be imported"),
        (b"<html><body>hi</body></html>", "not a LimeSurvey survey structure file"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_written(db, tmp_path, content, reason):
    path = tmp_path / "survey.json"
    path.write_bytes(content)

    with pytest.raises(SurveyImportError, match=reason):
        import_survey_file(path)

    assert Survey.objects.count() == 0
    assert SurveyVersion.objects.count() == 0


def test_a_missing_file_is_refused(db, tmp_path):
    with pytest.raises(SurveyImportError, match="cannot read"):
        import_survey_file(tmp_path / "missing.lss")
