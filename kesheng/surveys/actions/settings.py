"""Changing a survey's settings (title, link name, anonymity, resume, limits)."""

from django.db import transaction

from kesheng.core.errors import FieldError, InvalidInput
from kesheng.core.events import emit
from kesheng.surveys.models import Survey

SETTING_FIELDS = (
    "title",
    "slug",
    "is_anonymous",
    "allow_resume",
    "one_response_per_browser",
    "closes_at",
    "response_cap",
)


def update_survey_settings(*, survey: Survey, **settings) -> Survey:
    """Set any of the survey's settings (``SETTING_FIELDS``); the definition is untouched.
    Raises InvalidInput for an unknown setting, an empty title or a link name already taken.
    Emits ``survey.settings_changed`` with the names of the settings that changed."""
    unknown = sorted(set(settings) - set(SETTING_FIELDS))
    if unknown:
        raise InvalidInput([FieldError(name, "is not a survey setting") for name in unknown])
    if "title" in settings and not (settings["title"] or "").strip():
        raise InvalidInput([FieldError("title", "is required")])
    if "slug" in settings and (
        Survey.objects.filter(slug=settings["slug"]).exclude(pk=survey.pk).exists()
    ):
        raise InvalidInput([FieldError("slug", "is taken by another survey")])
    with transaction.atomic():
        survey = Survey.objects.select_for_update().get(pk=survey.pk)
        changed = [name for name, value in settings.items() if getattr(survey, name) != value]
        if not changed:
            return survey
        for name in changed:
            setattr(survey, name, settings[name])
        survey.save(update_fields=[*changed, "updated_at"])
        emit("survey.settings_changed", {"survey_id": survey.pk, "changed": changed})
    return survey
