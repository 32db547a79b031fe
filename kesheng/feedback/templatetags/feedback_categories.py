"""Template helpers of the feedback hub: a category key's label in the page's language."""

from django import template
from django.utils.translation import get_language

from kesheng.feedback.text.categories import active_taxonomy

register = template.Library()


@register.filter
def category_label(key: str) -> str:
    """``key|category_label``: ``delivery`` -> 物流配送 (zh-Hans) or Delivery (English)."""
    return active_taxonomy().label(str(key), get_language() or "zh-hans")


@register.filter
def sentiment_label(value: str) -> str:
    """``positive|sentiment_label``: the translated name of a sentiment label."""
    from kesheng.feedback.models import SentimentLabel

    return str(SentimentLabel(value).label) if value in SentimentLabel.values else str(value)
