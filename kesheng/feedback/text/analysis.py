"""Everything the feedback hub learns from one comment's text, in one call."""

from __future__ import annotations

from dataclasses import dataclass, field

from kesheng.feedback.text.keywords import extract_keywords
from kesheng.feedback.text.language import detect_language
from kesheng.feedback.text.sentiment import score_text


@dataclass(frozen=True)
class TextAnalysis:
    language: str
    sentiment: str
    score: float
    keywords: list[str] = field(default_factory=list)
    # Filled by the category taxonomy (a later step of the feedback hub); empty until then.
    categories: list[str] = field(default_factory=list)


def analyse_text(text: str) -> TextAnalysis:
    language = detect_language(text)
    sentiment = score_text(text)
    keywords = extract_keywords(text, language) if language else []
    return TextAnalysis(
        language=language, sentiment=sentiment.label, score=sentiment.score, keywords=keywords
    )
