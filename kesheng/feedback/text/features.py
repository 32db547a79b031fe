"""The linear text model as plain arrays: n-gram TF-IDF features and logistic-regression weights.

Training uses scikit-learn's ``TfidfVectorizer`` and ``LogisticRegression``
(:mod:`.training`); the product only needs the vocabulary, the idf of each term and the
weights, which this module applies with NumPy. So the shipped model is a small ``.npz`` of
arrays (no pickle: nothing in it can run code), the web process does not import scikit-learn,
and a comment is scored in microseconds. ``tests/feedback/test_text_features.py`` checks that the
probabilities equal scikit-learn's.

Features reproduce ``TfidfVectorizer(lowercase=True, sublinear_tf=True, norm="l2")`` with
``analyzer="char"`` (characters, runs of blanks folded to one) or ``analyzer="word"`` (the
default token pattern, words of two or more letters or digits).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

import numpy as np

CHAR = "char"
WORD = "word"
_WHITE_SPACES = re.compile(r"\s\s+")
_WORD_TOKEN = re.compile(r"(?u)\b\w\w+\b")
# One space for any run of blanks and line breaks, so no term holds a line break (the stored
# vocabulary is one term a line).
_ANY_SPACE = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """NFKC (full-width letters, digits and punctuation to their usual forms), lower case,
    blanks trimmed: applied before training and before scoring, so both see the same text."""
    return _ANY_SPACE.sub(" ", unicodedata.normalize("NFKC", text)).lower().strip()


def char_ngrams(text: str, low: int, high: int) -> list[str]:
    text = _WHITE_SPACES.sub(" ", text)
    length = len(text)
    grams: list[str] = []
    for size in range(low, min(high, length) + 1):
        grams.extend(text[start : start + size] for start in range(length - size + 1))
    return grams


def word_ngrams(text: str, low: int, high: int) -> list[str]:
    tokens = _WORD_TOKEN.findall(text)
    grams: list[str] = []
    for size in range(low, min(high, len(tokens)) + 1):
        grams.extend(
            " ".join(tokens[start : start + size]) for start in range(len(tokens) - size + 1)
        )
    return grams


@dataclass
class LinearTextModel:
    """A binary logistic regression over TF-IDF n-grams; class 1 is positive."""

    analyzer: str
    ngram_low: int
    ngram_high: int
    vocabulary: dict[str, int]
    idf: np.ndarray
    weights: np.ndarray
    intercept: float

    def terms(self, text: str) -> list[str]:
        if self.analyzer == CHAR:
            return char_ngrams(text, self.ngram_low, self.ngram_high)
        return word_ngrams(text, self.ngram_low, self.ngram_high)

    def decision(self, text: str) -> float:
        """The logit of "positive" for one (already normalized) text."""
        counts = Counter(
            index for term in self.terms(text) if (index := self.vocabulary.get(term)) is not None
        )
        if not counts:
            return self.intercept
        indexes = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        values = (1.0 + np.log(tf)) * self.idf[indexes]
        norm = math.sqrt(float(values @ values))
        return float(values @ self.weights[indexes]) / norm + self.intercept

    def probability(self, text: str) -> float:
        """P(positive) for one (already normalized) text."""
        return 1.0 / (1.0 + math.exp(-self.decision(text)))

    # --- storage as arrays --------------------------------------------------------------------

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        ordered = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        return {
            f"{prefix}_vocabulary": np.frombuffer("\n".join(ordered).encode("utf-8"), np.uint8),
            f"{prefix}_idf": self.idf.astype(np.float32),
            f"{prefix}_weights": self.weights.astype(np.float32),
            f"{prefix}_config": np.array(
                [self.ngram_low, self.ngram_high, 1 if self.analyzer == CHAR else 0], np.int64
            ),
            f"{prefix}_intercept": np.array([self.intercept], np.float64),
        }

    @classmethod
    def from_arrays(cls, arrays, prefix: str) -> LinearTextModel:
        terms = bytes(arrays[f"{prefix}_vocabulary"]).decode("utf-8").split("\n")
        low, high, is_char = (int(value) for value in arrays[f"{prefix}_config"])
        return cls(
            analyzer=CHAR if is_char else WORD,
            ngram_low=low,
            ngram_high=high,
            vocabulary={term: index for index, term in enumerate(terms)},
            idf=arrays[f"{prefix}_idf"].astype(np.float64),
            weights=arrays[f"{prefix}_weights"].astype(np.float64),
            intercept=float(arrays[f"{prefix}_intercept"][0]),
        )
