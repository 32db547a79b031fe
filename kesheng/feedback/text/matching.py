"""Matching help articles to what a customer types, in Chinese or English.

A query is cut into terms: the Chinese words of two characters or more from the segmenter
(function words left out, as for keywords) and the English words of three letters or more;
a short query (a few words) is also kept whole. Each term is matched as a substring of the
article's title and text, so a word the segmenter cuts differently inside the article is still
found. An article's score is three points per term in its title and one per term in its text;
the best-scoring articles come first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from kesheng.feedback.text.keywords import STOPWORDS_ZH
from kesheng.feedback.text.segment import segment

MAX_TERMS = 12
TITLE_WEIGHT = 3
BODY_WEIGHT = 1
_HAN = re.compile(r"[\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'-]{2,}")
_ENGLISH_STOPWORDS = frozenset(
    (
        "the",
        "and",
        "for",
        "was",
        "were",
        "with",
        "this",
        "that",
        "have",
        "has",
        "had",
        "not",
        "but",
        "are",
        "you",
        "your",
        "our",
        "can",
        "did",
        "does",
        "from",
        "they",
        "them",
        "when",
        "what",
        "which",
        "how",
        "why",
        "who",
        "been",
        "very",
        "just",
    )
)


def query_terms(text: str) -> list[str]:
    """The terms of a query, first seen first, lower-cased, at most ``MAX_TERMS``."""
    text = (text or "").replace("\x00", "").strip()
    if not text:
        return []
    terms: list[str] = []

    def add(term: str) -> None:
        term = term.lower()
        if term and term not in terms:
            terms.append(term)

    compact = " ".join(text.split())
    if len(compact) <= 8:
        add(compact)
    for word in segment(text):
        word = word.strip()
        if len(word) >= 2 and _HAN.search(word) and word not in STOPWORDS_ZH:
            add(word)
    for word in _LATIN_WORD.findall(text):
        if word.lower() not in _ENGLISH_STOPWORDS:
            add(word)
    return terms[:MAX_TERMS]


@dataclass(frozen=True)
class Document:
    key: int
    title: str
    body: str


def rank_documents(
    terms: list[str], documents: Iterable[Document], limit: int = 5
) -> list[tuple[int, int]]:
    """``(key, score)`` of the documents matching at least one term, best first (ties by
    key)."""
    if not terms:
        return []
    scored = []
    for document in documents:
        title, body = document.title.lower(), document.body.lower()
        score = sum(
            (TITLE_WEIGHT if term in title else 0) + (BODY_WEIGHT if term in body else 0)
            for term in terms
        )
        if score:
            scored.append((document.key, score))
    scored.sort(key=lambda pair: (-pair[1], pair[0]))
    return scored[:limit]
