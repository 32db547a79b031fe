"""Creating surveys and changing their definitions (every change of a survey with responses
makes a new version; responses keep the version they answered)."""

import secrets

from django.db import transaction
from django.utils.text import slugify

from kesheng.core.errors import FieldError, InvalidInput
from kesheng.core.events import emit
from kesheng.surveys.definition import validate_definition
from kesheng.surveys.models import Survey, SurveyStatus, SurveyVersion


def _check_definition(definition: dict) -> None:
    problems = validate_definition(definition)
    if problems:
        raise InvalidInput(
            [
                FieldError(f"definition.{p.path}" if p.path else "definition", p.reason)
                for p in problems
            ]
        )


def _unique_slug(title: str) -> str:
    base = slugify(title)[:40] or "survey"
    return f"{base}-{secrets.token_hex(3)}"


def create_survey(
    *,
    title: str,
    definition: dict,
    slug: str | None = None,
    template_key: str = "",
    is_anonymous: bool = False,
    status: str = SurveyStatus.DRAFT,
    created_by=None,
) -> Survey:
    """Create a survey with its first version. Raises InvalidInput naming each problem of the
    definition. Emits ``survey.created``."""
    title = (title or "").strip()
    if not title:
        raise InvalidInput([FieldError("title", "is required")])
    _check_definition(definition)
    with transaction.atomic():
        survey = Survey.objects.create(
            title=title[:200],
            slug=slug or _unique_slug(title),
            template_key=template_key,
            is_anonymous=is_anonymous,
            status=status,
            created_by=created_by,
        )
        version = SurveyVersion.objects.create(
            survey=survey, number=1, definition=definition, created_by=created_by
        )
        survey.current_version = version
        survey.save(update_fields=["current_version", "updated_at"])
        emit("survey.created", {"survey_id": survey.pk})
    return survey


def update_definition(*, survey: Survey, definition: dict, updated_by=None) -> SurveyVersion:
    """Replace the survey's definition. Without responses the current version is edited in
    place; with responses a new version is made, so every response keeps what it answered."""
    _check_definition(definition)
    with transaction.atomic():
        survey = Survey.objects.select_for_update().get(pk=survey.pk)
        current = survey.current_version
        if current is not None and not current.responses.exists():
            current.definition = definition
            current.save(update_fields=["definition"])
            return current
        number = (current.number if current else 0) + 1
        version = SurveyVersion.objects.create(
            survey=survey, number=number, definition=definition, created_by=updated_by
        )
        survey.current_version = version
        survey.save(update_fields=["current_version", "updated_at"])
        emit("survey.version_created", {"survey_id": survey.pk, "version": number})
    return version


def set_survey_status(*, survey: Survey, status: str) -> Survey:
    """Open, close or return a survey to draft. Emits ``survey.status_changed``."""
    if status not in SurveyStatus.values:
        raise InvalidInput(
            [FieldError("status", f"must be one of {', '.join(SurveyStatus.values)}")]
        )
    with transaction.atomic():
        survey.status = status
        survey.save(update_fields=["status", "updated_at"])
        emit("survey.status_changed", {"survey_id": survey.pk, "status": status})
    return survey
