"""Aspect sentiment: what a comment says about each category.

"店员很热情，但是送货太慢了" praises the staff and blames the delivery; one sentiment for the
whole text hides both. The text is cut into clauses at Chinese and English punctuation and
before a contrast word (但是 / 但 / 不过 / 可是 / 却 / 然而 / 可惜, "but", "however"); each
clause gets the categories its keywords name and its own sentiment from
:func:`kesheng.feedback.text.sentiment.score_text`. A clause that names no category and does
not open with a contrast word continues the one before ("服务员很好，很耐心" is all staff).
Each category's sentiment is the mean score of its clauses, labelled like a whole text's.

Categories the learned classifier adds without a clause naming them take the sentiment of the
whole text; categories it removes have no aspect, so aspects always match the categories.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kesheng.feedback.text.categories import Taxonomy, active_taxonomy
from kesheng.feedback.text.sentiment import label_of_score, score_text

_CLAUSE_BREAK = re.compile(r"[，,。.!！?？;；:：~～、…\n\r]+")
_CONTRAST_ZH = ("但是", "不过(?!分)", "可是", "然而", "可惜", "但", "却")  # 不过分: not too much
_CONTRAST_EN = ("but", "however", "though")
_CONTRAST = re.compile(
    "(?:" + "|".join(_CONTRAST_ZH) + r")|(?<![a-z])(?:" + "|".join(_CONTRAST_EN) + r")(?![a-z])",
    re.IGNORECASE,
)
# 不但 / 不过分 / 一点也不过: a contrast word right after 不 is no contrast.
_NOT_CONTRAST_BEFORE = "不"


@dataclass(frozen=True)
class Aspect:
    category: str
    sentiment: str
    score: float
    mentions: int  # how many clauses spoke of it (0: added by the learned classifier)

    def as_dict(self) -> dict:
        return {
            "category": self.category,
            "sentiment": self.sentiment,
            "score": self.score,
            "mentions": self.mentions,
        }


def split_clauses(text: str) -> list[str]:
    """The clauses of a text: cut at punctuation and before a contrast word."""
    clauses: list[str] = []
    for chunk in _CLAUSE_BREAK.split(text):
        starts = [
            found.start()
            for found in _CONTRAST.finditer(chunk)
            if found.start() > 0 and chunk[found.start() - 1] != _NOT_CONTRAST_BEFORE
        ]
        bounds = [0, *starts, len(chunk)]
        for start, end in itertools.pairwise(bounds):
            piece = chunk[start:end].strip()
            if piece:
                clauses.append(piece)
    return clauses


def opens_with_contrast(clause: str) -> bool:
    found = _CONTRAST.match(clause)
    return found is not None


def aspect_sentiments(
    text: str,
    categories: Sequence[str] | None = None,
    *,
    taxonomy: Taxonomy | None = None,
    whole_text_score: float | None = None,
    scorer: Callable[[str], float] | None = None,
) -> list[Aspect]:
    """One aspect per category of the text, in taxonomy order.

    ``categories`` are the text's final categories (rules plus the learned classifier); by
    default the rules' matches. ``whole_text_score`` (computed when not given) is used for a
    category no clause names. ``scorer`` maps a clause to a score in [-1, 1] (the shipped
    sentiment model by default)."""
    taxonomy = taxonomy or active_taxonomy()
    score_of = scorer or (lambda clause: score_text(clause).score)
    wanted = taxonomy.order(categories if categories is not None else taxonomy.match(text))
    if not wanted:
        return []
    scores: dict[str, list[float]] = {key: [] for key in wanted}
    previous: list[str] = []
    for clause in split_clauses(text):
        named = [key for key in taxonomy.match(clause) if key in scores]
        if not named and not opens_with_contrast(clause) and previous:
            named = previous
        if named:
            clause_score = score_of(clause)
            for key in named:
                scores[key].append(clause_score)
        previous = named
    aspects = []
    for key in wanted:
        values = scores[key]
        if values:
            score = sum(values) / len(values)
        else:
            if whole_text_score is None:
                whole_text_score = score_of(text)
            score = whole_text_score
        score = round(score, 4)
        aspects.append(Aspect(key, label_of_score(score), score, len(values)))
    return aspects
