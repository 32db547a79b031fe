"""Creating a survey from a built-in template (kesheng.surveys.builtin)."""

from kesheng.core.errors import NotFound
from kesheng.surveys.actions.surveys import create_survey
from kesheng.surveys.builtin import get_template
from kesheng.surveys.models import Survey


def create_survey_from_template(
    *,
    key: str,
    title: str | None = None,
    language: str = "zh-hans",
    slug: str | None = None,
    is_anonymous: bool = False,
    created_by=None,
) -> Survey:
    """Create a draft survey holding a copy of the template ``key`` (its ``template_key``
    records which). Raises NotFound for an unknown key. Emits ``survey.created``."""
    try:
        template = get_template(key, language)
    except KeyError as missing:
        raise NotFound(str(missing.args[0]), field="template") from None
    return create_survey(
        title=title or template.title,
        definition=template.definition,
        template_key=key,
        slug=slug,
        is_anonymous=is_anonymous,
        created_by=created_by,
    )
