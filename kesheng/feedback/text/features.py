"""The linear text model as plain arrays: n-gram TF-IDF features and logistic-regression weights.

Training uses scikit-learn's ``TfidfVectorizer`` and ``LogisticRegression``
(:mod:`.training`); the product only needs, for each block of features, the vocabulary, the idf
of each term and the weights, which this module applies with NumPy. So the shipped model is a
small ``.npz`` of arrays (no pickle: nothing in it can run code), the web process does not
import scikit-learn, and a comment is scored in microseconds. ``tests/feedback/text/`` checks
that the probabilities equal scikit-learn's.

A model is one or more **blocks** of features side by side (scikit-learn's ``hstack`` of one
vectorizer per block): each block reproduces ``TfidfVectorizer(sublinear_tf=True, norm="l2")``
with ``analyzer="char"`` (characters, runs of blanks folded to one), ``analyzer="word"`` (the
default token pattern, words of two or more letters or digits) or ``"jieba"`` (the words jieba
cuts, n-grams joined by a space). The naive-Bayes log-count ratios the training scales each
feature by (NB-SVM, Wang & Manning 2012) are folded into the stored weights, since
``w · (r ∘ x) = (w ∘ r) · x``: scoring does not need them.
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
JIEBA = "jieba"
ANALYZERS = (CHAR, WORD, JIEBA)
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


def jieba_ngrams(tokens: list[str], low: int, high: int) -> list[str]:
    grams: list[str] = []
    for size in range(low, min(high, len(tokens)) + 1):
        grams.extend(
            " ".join(tokens[start : start + size]) for start in range(len(tokens) - size + 1)
        )
    return grams


def jieba_tokens(text: str) -> list[str]:
    """The words of an (already normalized) text as the "jieba" analyzer reads them."""
    from kesheng.feedback.text.segment import segment

    return segment(text)


@dataclass
class FeatureBlock:
    """One vectorizer's features: its terms, their idf and their weights in the regression."""

    analyzer: str
    ngram_low: int
    ngram_high: int
    vocabulary: dict[str, int]
    idf: np.ndarray
    weights: np.ndarray

    def terms(self, text: str, tokens: list[str] | None = None) -> list[str]:
        if self.analyzer == CHAR:
            return char_ngrams(text, self.ngram_low, self.ngram_high)
        if self.analyzer == JIEBA:
            words = jieba_tokens(text) if tokens is None else tokens
            return jieba_ngrams(words, self.ngram_low, self.ngram_high)
        return word_ngrams(text, self.ngram_low, self.ngram_high)

    def decision(self, text: str, tokens: list[str] | None = None) -> float:
        """This block's share of the logit: its l2-normalized TF-IDF vector times its weights."""
        vocabulary = self.vocabulary
        counts = Counter(
            index
            for term in self.terms(text, tokens)
            if (index := vocabulary.get(term)) is not None
        )
        if not counts:
            return 0.0
        indexes = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        values = (1.0 + np.log(tf)) * self.idf[indexes]
        norm = math.sqrt(float(values @ values))
        return float(values @ self.weights[indexes]) / norm


@dataclass
class LinearTextModel:
    """A binary logistic regression over blocks of TF-IDF n-grams; class 1 is positive."""

    blocks: list[FeatureBlock]
    intercept: float

    def decision(self, text: str) -> float:
        """The logit of "positive" for one (already normalized) text."""
        tokens = jieba_tokens(text) if any(b.analyzer == JIEBA for b in self.blocks) else None
        return self.intercept + sum(block.decision(text, tokens) for block in self.blocks)

    def probability(self, text: str) -> float:
        """P(positive) for one (already normalized) text."""
        return 1.0 / (1.0 + math.exp(-self.decision(text)))

    # --- storage as arrays --------------------------------------------------------------------

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        arrays: dict[str, np.ndarray] = {
            f"{prefix}_blocks": np.array(
                [
                    [ANALYZERS.index(block.analyzer), block.ngram_low, block.ngram_high]
                    for block in self.blocks
                ],
                np.int64,
            ),
            f"{prefix}_intercept": np.array([self.intercept], np.float64),
        }
        for number, block in enumerate(self.blocks):
            ordered = sorted(block.vocabulary, key=block.vocabulary.__getitem__)
            name = f"{prefix}_{number}"
            arrays[f"{name}_vocabulary"] = np.frombuffer(
                "\n".join(ordered).encode("utf-8"), np.uint8
            )
            arrays[f"{name}_idf"] = block.idf.astype(np.float32)
            arrays[f"{name}_weights"] = block.weights.astype(np.float32)
        return arrays

    @classmethod
    def from_arrays(cls, arrays, prefix: str) -> LinearTextModel:
        blocks = []
        for number, (analyzer, low, high) in enumerate(arrays[f"{prefix}_blocks"].tolist()):
            name = f"{prefix}_{number}"
            terms = bytes(arrays[f"{name}_vocabulary"]).decode("utf-8").split("\n")
            blocks.append(
                FeatureBlock(
                    analyzer=ANALYZERS[analyzer],
                    ngram_low=low,
                    ngram_high=high,
                    vocabulary={term: index for index, term in enumerate(terms)},
                    idf=arrays[f"{name}_idf"].astype(np.float64),
                    weights=arrays[f"{name}_weights"].astype(np.float64),
                )
            )
        return cls(blocks=blocks, intercept=float(arrays[f"{prefix}_intercept"][0]))
