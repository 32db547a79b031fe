"""Small builders for the built-in templates' definitions (docs/surveys.md, the format).

Every text is given in zh-Hans and English, Kesheng's two languages.
"""

from __future__ import annotations

from typing import Any

FORMAT = "kesheng-survey/1"
LANGUAGES = ["zh-hans", "en"]


def text(zh: str, en: str) -> dict[str, str]:
    return {"zh-hans": zh, "en": en}


def choice(value: str, zh: str, en: str) -> dict[str, Any]:
    return {"value": value, "text": text(zh, en)}


def question(
    name: str,
    kind: str,
    title: dict[str, str],
    *,
    required: bool = False,
    visible_if: str | None = None,
    description: dict[str, str] | None = None,
    **keys: Any,
) -> dict[str, Any]:
    return {
        "name": name,
        "type": kind,
        "title": title,
        "description": description,
        "required": required,
        "visible_if": visible_if,
        **keys,
    }


def page(
    name: str,
    title: dict[str, str] | None,
    questions: list[dict],
    *,
    skip: list[dict] | None = None,
    visible_if: str | None = None,
) -> dict[str, Any]:
    return {
        "name": name,
        "title": title,
        "visible_if": visible_if,
        "questions": questions,
        "skip": skip or [],
    }


def definition(
    title: dict[str, str],
    pages: list[dict],
    *,
    description: dict[str, str] | None = None,
    thank_you: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "languages": list(LANGUAGES),
        "default_language": "zh-hans",
        "title": title,
        "description": description,
        "thank_you": thank_you or text("感谢您的反馈！", "Thank you for your feedback!"),
        "show_progress": True,
        "pages": pages,
    }


def ten_point_columns(low: dict[str, str], high: dict[str, str]) -> list[dict[str, Any]]:
    """Columns 1..10 of a matrix; the ends carry their meaning (the X-VOC study's scale)."""
    columns = []
    for point in range(1, 11):
        label = str(point)
        if point == 1:
            value_text = {language: f"1 {low[language]}" for language in LANGUAGES}
        elif point == 10:
            value_text = {language: f"10 {high[language]}" for language in LANGUAGES}
        else:
            value_text = {language: label for language in LANGUAGES}
        columns.append({"value": label, "text": value_text})
    return columns
