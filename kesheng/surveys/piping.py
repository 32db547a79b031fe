"""Piping: ``{name}`` in a title or description becomes the answer to an earlier question, and
``{customer_name}`` / ``{store_name}`` the respondent's context (docs/surveys.md).

Nothing is escaped here: templates escape the piped text when they render it. A name that is
neither answered nor in the context becomes empty text; braces around anything that is not a
name are left as they are.

Pure module: no Django imports.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from kesheng.surveys.definition import (
    choice_text,
    default_language_of,
    localized,
    questions_by_name,
)

PLACEHOLDER = re.compile(r"\{([A-Za-z][A-Za-z0-9_]{0,63})\}")
CONTEXT_NAMES = ("customer_name", "store_name")
_YES_NO = {"zh-hans": ("是", "否"), "en": ("yes", "no")}


def list_separator(language: str) -> str:
    return "、" if language.lower().startswith("zh") else ", "


def pipe_text(
    text: str, answers: Mapping[str, Any], definition: Any, context: Mapping[str, Any]
) -> str:
    """``text`` with its placeholders filled. ``context`` may hold ``customer_name``,
    ``store_name`` and ``language`` (the respondent's; the survey's default otherwise)."""
    if not text or "{" not in text:
        return text or ""
    default_language = default_language_of(definition)
    language = str(context.get("language") or default_language).lower()
    questions = questions_by_name(definition)

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        question = questions.get(name)
        if question is not None:
            return answer_text(question, answers.get(name), language, default_language)
        if name in CONTEXT_NAMES:
            value = context.get(name)
            return str(value) if value not in (None, "") else ""
        return ""

    return PLACEHOLDER.sub(replace, text)


def answer_text(
    question: Mapping[str, Any], value: Any, language: str, default_language: str = "zh-hans"
) -> str:
    """An answer as a person reads it: a choice's text, list items joined, yes or no."""
    if value is None:
        return ""
    separator = list_separator(language)
    kind = question.get("type")
    if isinstance(value, bool):
        yes, no = _YES_NO["zh-hans" if language.startswith("zh") else "en"]
        return yes if value else no
    if isinstance(value, Mapping):
        if "other" in value and kind != "matrix":
            return str(value.get("other") or "")
        parts = []
        for row, point in value.items():
            row_text = choice_text(question, str(row), language, default_language)
            point_text = _point_text(question, "columns", point, language, default_language)
            parts.append(f"{row_text}: {point_text}")
        return separator.join(parts)
    if isinstance(value, list):
        return separator.join(
            answer_text(question, item, language, default_language)
            for item in value
            if item is not None
        )
    if isinstance(value, str):
        if kind in ("single_choice", "multiple_choice", "dropdown", "ranking"):
            return choice_text(question, value, language, default_language)
        return value
    if kind == "likert":
        return _point_text(question, "choices", value, language, default_language)
    return _number_text(value)


def _point_text(
    question: Mapping[str, Any], key: str, point: Any, language: str, default_language: str
) -> str:
    """A scale point as its label when the question labels its points (``columns`` of a
    matrix, ``choices`` of a Likert item), else the number."""
    labels = question.get(key)
    if (
        isinstance(labels, list)
        and isinstance(point, int)
        and not isinstance(point, bool)
        and 1 <= point <= len(labels)
        and isinstance(labels[point - 1], Mapping)
    ):
        label = localized(labels[point - 1].get("text"), language, default_language)
        if label:
            return label
    return _number_text(point)


def _number_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
