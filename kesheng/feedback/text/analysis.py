"""Everything the feedback hub learns from one comment's text, in one call."""

from __future__ import annotations

from dataclasses import dataclass, field

from kesheng.feedback.text.aspects import Aspect, aspect_sentiments
from kesheng.feedback.text.categories import CategoryClassifier, Taxonomy, categorise
from kesheng.feedback.text.keywords import extract_keywords
from kesheng.feedback.text.language import detect_language
from kesheng.feedback.text.sentiment import score_text


@dataclass(frozen=True)
class TextAnalysis:
    language: str
    sentiment: str
    score: float
    keywords: list[str] = field(default_factory=list)
    # Category keys of the taxonomy (rules, plus the classifier learned from corrections).
    categories: list[str] = field(default_factory=list)
    # What the text says about each of its categories, in the same order.
    aspects: list[Aspect] = field(default_factory=list)


def analyse_text(
    text: str,
    *,
    taxonomy: Taxonomy | None = None,
    classifier: CategoryClassifier | None = None,
) -> TextAnalysis:
    language = detect_language(text)
    sentiment = score_text(text)
    keywords = extract_keywords(text, language) if language else []
    categories = categorise(text, taxonomy, classifier)
    aspects = aspect_sentiments(
        text, categories, taxonomy=taxonomy, whole_text_score=sentiment.score
    )
    return TextAnalysis(
        language=language,
        sentiment=sentiment.label,
        score=sentiment.score,
        keywords=keywords,
        categories=categories,
        aspects=aspects,
    )
