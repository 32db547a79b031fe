"""Import a survey definition from another tool's file: SurveyJS JSON or a LimeSurvey ``.lss``.

``import_survey_file`` reads the file, recognises the format by its content (not its name),
converts it (``surveyjs.py``, ``limesurvey.py``, pure) and creates the survey with
``create_survey``, so the definition passes the same checks as one made in the editor.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kesheng.core.errors import DomainError, InvalidInput
from kesheng.surveys.importers.common import (
    MAX_FILE_BYTES,
    ConvertedSurvey,
    SurveyFileError,
)
from kesheng.surveys.importers.limesurvey import convert_limesurvey
from kesheng.surveys.importers.surveyjs import convert_surveyjs

if TYPE_CHECKING:  # the converters stay importable without Django set up
    from kesheng.surveys.models import Survey

__all__ = [
    "ImportedSurvey",
    "SurveyImportError",
    "convert_survey_content",
    "import_survey_file",
]


class SurveyImportError(DomainError):
    """The file cannot be imported; ``message`` says why (the command exits with code 2)."""


@dataclass
class ImportedSurvey:
    survey: Survey
    unmapped: list[dict]


def convert_survey_content(content: bytes, *, fallback_title: str = "") -> ConvertedSurvey:
    """Recognise the format of ``content`` and convert it. Raises SurveyImportError."""
    if len(content) > MAX_FILE_BYTES:
        raise SurveyImportError(
            f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; "
            "a survey structure file is far smaller"
        )
    stripped = content.lstrip(b"\xef\xbb\xbf \t\r\n")
    try:
        if stripped.startswith(b"<"):
            return convert_limesurvey(stripped, fallback_title=fallback_title)
        if stripped.startswith(b"{"):
            try:
                data = json.loads(stripped.decode("utf-8"))
            except UnicodeDecodeError:
                raise SurveyFileError("a SurveyJS file must be UTF-8 JSON") from None
            except json.JSONDecodeError as error:
                raise SurveyFileError(
                    f"not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
                ) from None
            return convert_surveyjs(data, fallback_title=fallback_title)
    except SurveyFileError as error:
        raise SurveyImportError(str(error)) from None
    except RecursionError:
        raise SurveyImportError("the file is nested too deeply to be a survey") from None
    raise SurveyImportError(
        "unknown format: expected SurveyJS JSON (starting with '{') or a LimeSurvey survey "
        "structure file (.lss, XML)"
    )


def import_survey_file(path: str | Path, *, created_by=None) -> ImportedSurvey:
    """Create a draft survey from a SurveyJS or LimeSurvey file.

    Returns the survey and the list of what could not be mapped (``{"name", "reason"}``).
    Raises SurveyImportError for a file that cannot be read or converted, or whose converted
    definition does not pass validation; nothing is written then. Emits ``survey.created``
    (through create_survey).
    """
    from kesheng.surveys.actions.surveys import create_survey

    path = Path(path)
    try:
        with path.open("rb") as handle:
            content = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise SurveyImportError(f"cannot read {path}: {error.strerror or error}") from None
    converted = convert_survey_content(content, fallback_title=path.stem)
    try:
        survey = create_survey(
            title=converted.title, definition=converted.definition, created_by=created_by
        )
    except InvalidInput as invalid:
        raise SurveyImportError(
            "the imported definition is not valid: " + invalid.message
        ) from None
    return ImportedSurvey(survey=survey, unmapped=converted.unmapped)
