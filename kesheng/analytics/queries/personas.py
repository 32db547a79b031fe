"""Reads of the stored personas (docs/analytics.md, "Personas"), each described in words in
the active language from the facts the run stored."""

from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from kesheng.analytics.models import CustomerScore, Persona
from kesheng.tracking.queries import get_step_labels

HIGH_VALUE = 1.5  # mean spend at least 1.5 × all customers' mean
LOW_VALUE = 0.67  # at most two thirds of it
DESCRIPTION_LANGUAGES = ("zh-hans", "en")


def _value_words(index: float) -> str:
    if index >= HIGH_VALUE:
        return _("high value")
    if index <= LOW_VALUE:
        return _("low value")
    return _("medium value")


def _shares(pairs: list, labels: dict[str, str]) -> str:
    return ", ".join(
        f"{labels.get(code, code) or _('no category')} {round(100 * share)} %"
        for code, share in pairs
    )


def persona_name(persona: Persona, labels: dict[str, str] | None = None) -> str:
    """A short name: value level and the most used channel ("High value, mostly stores")."""
    labels = get_step_labels() if labels is None else labels
    value = _value_words(persona.value_index)
    if persona.channels:
        code = persona.channels[0][0]
        return _("%(value)s, mostly %(channel)s") % {
            "value": value[:1].upper() + value[1:],
            "channel": labels.get(code, code),
        }
    return value[:1].upper() + value[1:]


def describe_persona(persona: Persona, labels: dict[str, str] | None = None) -> str:
    """The persona in words: size, value, typical channels and categories, satisfaction."""
    labels = get_step_labels() if labels is None else labels
    sentences = [
        _(
            "%(customers)d customers (%(share)s %% of those with orders), %(value)s: "
            "%(spend).0f %(currency)s spent on average over %(orders).1f orders, the last "
            "%(days).0f days ago on average."
        )
        % {
            "customers": persona.customers,
            "share": round(100 * persona.share, 1),
            "value": _value_words(persona.value_index),
            "spend": persona.mean_monetary,
            "currency": settings.KESHENG_DEFAULT_CURRENCY,
            "orders": persona.mean_frequency,
            "days": persona.mean_recency_days,
        }
    ]
    if persona.channels:
        sentences.append(
            _("Typical channels: %(channels)s.") % {"channels": _shares(persona.channels, labels)}
        )
    if persona.categories:
        sentences.append(
            _("Buys mostly: %(categories)s.") % {"categories": _shares(persona.categories, labels)}
        )
    if persona.mean_nps is None:
        sentences.append(_("No NPS answers yet."))
    else:
        sentences.append(
            _("Latest NPS %(nps).1f on average (n = %(n)d).")
            % {"nps": persona.mean_nps, "n": persona.nps_answers}
        )
    return " ".join(sentences)


def _persona_json(
    persona: Persona, labels: dict[str, str], labels_by_language: dict[str, dict[str, str]]
) -> dict[str, Any]:
    descriptions = {}
    for language in DESCRIPTION_LANGUAGES:
        with translation.override(language):
            descriptions[language] = describe_persona(persona, labels_by_language[language])
    return {
        "persona": persona.number,
        "name": persona_name(persona, labels),
        "description": describe_persona(persona, labels),
        "descriptions": descriptions,
        "customers": persona.customers,
        "share": persona.share,
        "mean_monetary": persona.mean_monetary,
        "mean_frequency": persona.mean_frequency,
        "mean_recency_days": persona.mean_recency_days,
        "value_index": persona.value_index,
        "mean_nps": persona.mean_nps,
        "nps_answers": persona.nps_answers,
        "channels": [{"channel": code, "share": share} for code, share in persona.channels],
        "categories": [{"category": code, "share": share} for code, share in persona.categories],
    }


def list_personas() -> dict[str, Any]:
    """Every stored persona with its description (in the active language and in zh-Hans and
    English), the k and silhouette of the run."""
    rows = list(Persona.objects.all())
    labels = get_step_labels()
    labels_by_language = {}
    for language in DESCRIPTION_LANGUAGES:
        with translation.override(language):
            labels_by_language[language] = get_step_labels()
    return {
        "k": len(rows),
        "silhouette": rows[0].silhouette if rows else None,
        "computed_at": rows[0].computed_at if rows else None,
        "currency": settings.KESHENG_DEFAULT_CURRENCY,
        "personas": [_persona_json(persona, labels, labels_by_language) for persona in rows],
    }


def get_persona_of_customer(customer_pk: int) -> Persona | None:
    number = (
        CustomerScore.objects.filter(customer_id=customer_pk)
        .values_list("persona", flat=True)
        .first()
    )
    return None if number is None else Persona.objects.filter(number=number).first()
