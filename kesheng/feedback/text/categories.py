"""Categories of feedback: a configurable taxonomy, keyword rules, and a classifier that
learns from staff corrections.

The **taxonomy** ships in ``data/categories.json`` (keys such as ``delivery`` or ``staff``,
labels in zh-Hans and English, keywords in Chinese and English). A business extends it with
a file of the same shape (:func:`load_taxonomy`): a new key adds a category, a known key adds
keywords to it and may relabel it.

**Rules**: a Chinese keyword matches anywhere in the text (Chinese has no spaces between
words); an English keyword matches a whole word or phrase, with an optional plural ``s``, and a
keyword ending in ``*`` matches any word that starts with it (``deliver*``: delivered,
delivery). Both lists apply to every text, so mixed comments (``app老是闪退``) work.

**Learning from corrections** (:class:`CategoryClassifier`): for each category with enough
corrected examples, a logistic regression on character 1–3-gram TF-IDF of the text, fitted
with the rule as a fixed offset (``+RULE_OFFSET`` when the rule matches, ``-RULE_OFFSET``
when it does not). The rules are the prior, the corrections move it: the model learns
phrasings the keywords miss and keywords that mislead, and a category without enough
corrections keeps its rules alone. Trained with SciPy's L-BFGS; stored as plain arrays
(:meth:`CategoryClassifier.to_bytes`, an ``.npz`` without pickle).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kesheng.feedback.text.features import char_ngrams, normalize_text

DEFAULT_TAXONOMY_PATH = Path(__file__).with_name("data") / "categories.json"
DEFAULT_CATEGORY_KEYS = (
    "product_quality",
    "price",
    "delivery",
    "staff",
    "waiting_time",
    "environment",
    "after_sales",
    "digital",
    "billing",
)
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class TaxonomyError(ValueError):
    """A taxonomy file that cannot be used; the message names the file and the place."""


@dataclass(frozen=True)
class Category:
    key: str
    label_zh: str
    label_en: str
    keywords_zh: tuple[str, ...] = ()
    keywords_en: tuple[str, ...] = ()

    def label(self, language: str) -> str:
        """The label in a Django language code (``zh-hans``, ``en`` ...); Chinese by default."""
        return self.label_en if language.lower().startswith("en") else self.label_zh


def _english_pattern(keyword: str) -> str:
    words = keyword.lower().split()
    stem = words[-1].endswith("*")
    if stem:
        words[-1] = words[-1].rstrip("*")
    body = r"\s+".join(re.escape(word) for word in words)
    tail = r"[a-z]*" if stem else r"(?:e?s)?"
    return rf"(?<![a-z0-9]){body}{tail}(?![a-z0-9])"


@dataclass(frozen=True)
class _CompiledRule:
    """One category's keywords as a single regular expression: Chinese keywords anywhere,
    English ones at word boundaries (one search per category is much faster than a loop
    over its keywords)."""

    key: str
    pattern: re.Pattern | None

    def matches(self, normalized: str) -> bool:
        return self.pattern is not None and self.pattern.search(normalized) is not None


@dataclass(frozen=True)
class Taxonomy:
    """The categories in display order, with their keyword rules compiled once."""

    categories: tuple[Category, ...]
    _rules: tuple[_CompiledRule, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        rules = []
        for category in self.categories:
            # Longest first, so a regular expression prefers 服务态度 to 态度 (same answer,
            # fewer backtracks).
            chinese = sorted(
                {normalize_text(keyword) for keyword in category.keywords_zh}, key=len, reverse=True
            )
            alternatives = [re.escape(keyword) for keyword in chinese if keyword]
            alternatives += [_english_pattern(keyword) for keyword in category.keywords_en]
            rules.append(
                _CompiledRule(
                    key=category.key,
                    pattern=re.compile("|".join(alternatives)) if alternatives else None,
                )
            )
        object.__setattr__(self, "_rules", tuple(rules))

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(category.key for category in self.categories)

    def get(self, key: str) -> Category | None:
        return next((category for category in self.categories if category.key == key), None)

    def label(self, key: str, language: str) -> str:
        category = self.get(key)
        return category.label(language) if category else key

    def match(self, text: str) -> list[str]:
        """The keys whose keyword rules match the text, in taxonomy order."""
        normalized = normalize_text(text)
        return [rule.key for rule in self._rules if rule.matches(normalized)]

    def order(self, keys: Iterable[str]) -> list[str]:
        """The known keys among ``keys``, once each, in taxonomy order."""
        wanted = set(keys)
        return [key for key in self.keys if key in wanted]


def _strings(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise TaxonomyError(f"{where}: must be a list of strings")
    cleaned = tuple(unicodedata.normalize("NFKC", item).strip() for item in value)
    if any(not item for item in cleaned):
        raise TaxonomyError(f"{where}: has an empty keyword")
    return cleaned


def _read_entries(data: object, source: str) -> list[dict]:
    if not isinstance(data, dict) or not isinstance(data.get("categories"), list):
        raise TaxonomyError(f"{source}: must be an object with a list 'categories'")
    entries = data["categories"]
    for index, entry in enumerate(entries):
        where = f"{source}: categories[{index}]"
        if not isinstance(entry, dict):
            raise TaxonomyError(f"{where}: must be an object")
        key = entry.get("key")
        if not isinstance(key, str) or not _KEY.match(key):
            raise TaxonomyError(
                f"{where}.key: must be lower-case letters, digits and _ (at most 40)"
            )
        label = entry.get("label", {})
        if not isinstance(label, dict) or not all(
            isinstance(value, str) for value in label.values()
        ):
            raise TaxonomyError(f"{where}.label: must map language codes to text")
        keywords = entry.get("keywords", {})
        if not isinstance(keywords, dict):
            raise TaxonomyError(f"{where}.keywords: must be an object with 'zh' and 'en' lists")
        _strings(keywords.get("zh"), f"{where}.keywords.zh")
        _strings(keywords.get("en"), f"{where}.keywords.en")
    return entries


def _merge(categories: dict[str, Category], entries: list[dict], source: str) -> None:
    for index, entry in enumerate(entries):
        where = f"{source}: categories[{index}]"
        key = entry["key"]
        label = entry.get("label", {})
        keywords = entry.get("keywords", {})
        zh = _strings(keywords.get("zh"), f"{where}.keywords.zh")
        en = _strings(keywords.get("en"), f"{where}.keywords.en")
        known = categories.get(key)
        if known is None:
            label_zh = label.get("zh-hans") or label.get("zh")
            label_en = label.get("en")
            if not label_zh or not label_en:
                raise TaxonomyError(f"{where}.label: a new category needs 'zh-hans' and 'en'")
            categories[key] = Category(key, label_zh, label_en, zh, en)
        else:
            categories[key] = Category(
                key,
                label.get("zh-hans") or label.get("zh") or known.label_zh,
                label.get("en") or known.label_en,
                known.keywords_zh + tuple(word for word in zh if word not in known.keywords_zh),
                known.keywords_en + tuple(word for word in en if word not in known.keywords_en),
            )


def load_taxonomy(extensions: Sequence[str | Path] = ()) -> Taxonomy:
    """The shipped taxonomy, extended by each file in ``extensions`` in turn (same JSON
    shape). Raises TaxonomyError naming the file and the entry for anything it cannot use."""
    categories: dict[str, Category] = {}
    for path in (DEFAULT_TAXONOMY_PATH, *extensions):
        source = str(path)
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise TaxonomyError(f"{source}: no such file") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise TaxonomyError(f"{source}: not JSON ({error})") from None
        _merge(categories, _read_entries(data, source), source)
    return Taxonomy(tuple(categories.values()))


_active: dict[str, Taxonomy] = {}


def configure_taxonomy(extensions: Sequence[str | Path] = ()) -> Taxonomy:
    """Load the taxonomy with the deployment's extension files and make it the one
    :func:`active_taxonomy` returns (called once when the app starts)."""
    taxonomy = load_taxonomy(extensions)
    _active["taxonomy"] = taxonomy
    return taxonomy


def active_taxonomy() -> Taxonomy:
    if "taxonomy" not in _active:
        _active["taxonomy"] = load_taxonomy()
    return _active["taxonomy"]


# --- the classifier that learns from corrections ---------------------------------------------

RULE_OFFSET = 2.0  # the rules' prior in logits: P = 0.88 when a keyword matches, 0.12 when not
MIN_EXAMPLES = 5  # corrected examples needed on each side (in and not in the category)
NGRAM_LOW, NGRAM_HIGH = 1, 3
MAX_TERMS = 20_000
REGULARISATION = 0.3  # L2 penalty on the n-gram weights (the intercept is not penalised)


@dataclass(frozen=True)
class CorrectedExample:
    """One staff correction: the text and the categories a person says it has."""

    text: str
    categories: frozenset[str]


@dataclass
class CategoryClassifier:
    """Per-category logistic regressions over shared TF-IDF features, each offset by its rule.

    ``weights`` has one row per entry of ``keys``; categories not in ``keys`` use their rules
    alone."""

    vocabulary: dict[str, int]
    idf: np.ndarray
    keys: tuple[str, ...]
    weights: np.ndarray
    intercepts: np.ndarray
    examples: int = 0

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The TF-IDF of one text as (term indexes, l2-normalised values)."""
        counts = Counter(
            index
            for term in char_ngrams(normalize_text(text), NGRAM_LOW, NGRAM_HIGH)
            if (index := self.vocabulary.get(term)) is not None
        )
        if not counts:
            return np.zeros(0, np.int64), np.zeros(0)
        indexes = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        values = (1.0 + np.log(tf)) * self.idf[indexes]
        return indexes, values / math.sqrt(float(values @ values))

    def probabilities(self, text: str, rule_keys: Iterable[str]) -> dict[str, float]:
        """P(in the category) for each learned category, given the rules' matches."""
        indexes, values = self.features(text)
        matched = set(rule_keys)
        result = {}
        for row, key in enumerate(self.keys):
            offset = RULE_OFFSET if key in matched else -RULE_OFFSET
            logit = float(values @ self.weights[row, indexes]) + self.intercepts[row] + offset
            result[key] = 1.0 / (1.0 + math.exp(-logit))
        return result

    @property
    def version(self) -> str:
        digest = hashlib.sha256()
        for array in (self.idf, self.weights, self.intercepts):
            digest.update(np.ascontiguousarray(array, dtype=np.float32).tobytes())
        digest.update("\n".join(self.keys).encode())
        return "categories-" + digest.hexdigest()[:12]

    def to_bytes(self) -> bytes:
        ordered = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            vocabulary=np.frombuffer("\n".join(ordered).encode("utf-8"), np.uint8),
            idf=self.idf.astype(np.float32),
            keys=np.frombuffer("\n".join(self.keys).encode("utf-8"), np.uint8),
            weights=self.weights.astype(np.float32),
            intercepts=self.intercepts.astype(np.float64),
            examples=np.array([self.examples], np.int64),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> CategoryClassifier:
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            terms = bytes(arrays["vocabulary"]).decode("utf-8")
            keys = bytes(arrays["keys"]).decode("utf-8")
            return cls(
                vocabulary={term: index for index, term in enumerate(terms.split("\n"))}
                if terms
                else {},
                idf=arrays["idf"].astype(np.float64),
                keys=tuple(keys.split("\n")) if keys else (),
                weights=arrays["weights"].astype(np.float64),
                intercepts=arrays["intercepts"].astype(np.float64),
                examples=int(arrays["examples"][0]),
            )


def _tfidf(texts: Sequence[str]):
    """Sparse l2-normalised sublinear TF-IDF of char 1–3-grams, vocabulary capped by
    document frequency (ties by term, so training is deterministic)."""
    from scipy import sparse

    documents = [
        Counter(char_ngrams(normalize_text(text), NGRAM_LOW, NGRAM_HIGH)) for text in texts
    ]
    frequency: Counter[str] = Counter()
    for counts in documents:
        frequency.update(counts.keys())
    kept = sorted(frequency, key=lambda term: (-frequency[term], term))[:MAX_TERMS]
    vocabulary = {term: index for index, term in enumerate(sorted(kept))}
    count = len(texts)
    idf = np.zeros(len(vocabulary))
    for term, index in vocabulary.items():
        idf[index] = math.log((1 + count) / (1 + frequency[term])) + 1.0
    rows, columns, values = [], [], []
    for row, counts in enumerate(documents):
        pairs = [(vocabulary[term], n) for term, n in counts.items() if term in vocabulary]
        if not pairs:
            continue
        indexes = np.array([index for index, _ in pairs])
        weights = (1.0 + np.log([n for _, n in pairs])) * idf[indexes]
        weights /= math.sqrt(float(weights @ weights))
        rows.extend([row] * len(pairs))
        columns.extend(indexes.tolist())
        values.extend(weights.tolist())
    matrix = sparse.csr_matrix((values, (rows, columns)), shape=(count, len(vocabulary)))
    return matrix, vocabulary, idf


def _fit_with_offset(matrix, labels: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, float]:
    """L2-penalised logistic regression with a fixed per-example offset, by L-BFGS."""
    from scipy.optimize import minimize

    columns = matrix.shape[1]

    def loss(parameters: np.ndarray) -> tuple[float, np.ndarray]:
        weights, intercept = parameters[:columns], parameters[columns]
        logits = matrix @ weights + intercept + offsets
        # log(1 + e^z) - y z, written to stay finite for large |z|
        value = float(np.sum(np.logaddexp(0.0, logits) - labels * logits))
        value += 0.5 * REGULARISATION * float(weights @ weights)
        residual = 1.0 / (1.0 + np.exp(-logits)) - labels
        gradient = np.empty_like(parameters)
        gradient[:columns] = matrix.T @ residual + REGULARISATION * weights
        gradient[columns] = residual.sum()
        return value, gradient

    result = minimize(loss, np.zeros(columns + 1), jac=True, method="L-BFGS-B")
    return result.x[:columns], float(result.x[columns])


def trainable_keys(examples: Sequence[CorrectedExample], taxonomy: Taxonomy) -> list[str]:
    """The categories with at least MIN_EXAMPLES corrected examples in and out of them."""
    counts = Counter(key for example in examples for key in example.categories)
    total = len(examples)
    return [
        key
        for key in taxonomy.keys
        if counts[key] >= MIN_EXAMPLES and total - counts[key] >= MIN_EXAMPLES
    ]


def train_classifier(
    examples: Sequence[CorrectedExample], taxonomy: Taxonomy
) -> CategoryClassifier | None:
    """Fit the learned part from staff corrections; None when no category has enough
    examples (then the rules work alone). Deterministic: the same corrections give the same
    arrays."""
    keys = trainable_keys(examples, taxonomy)
    if not keys:
        return None
    texts = [example.text for example in examples]
    matrix, vocabulary, idf = _tfidf(texts)
    rule_matches = [set(taxonomy.match(text)) for text in texts]
    weights = np.zeros((len(keys), len(vocabulary)))
    intercepts = np.zeros(len(keys))
    for row, key in enumerate(keys):
        labels = np.array([1.0 if key in example.categories else 0.0 for example in examples])
        offsets = np.array([RULE_OFFSET if key in hits else -RULE_OFFSET for hits in rule_matches])
        weights[row], intercepts[row] = _fit_with_offset(matrix, labels, offsets)
    return CategoryClassifier(
        vocabulary=vocabulary,
        idf=idf,
        keys=tuple(keys),
        weights=weights,
        intercepts=intercepts,
        examples=len(examples),
    )


def categorise(
    text: str,
    taxonomy: Taxonomy | None = None,
    classifier: CategoryClassifier | None = None,
) -> list[str]:
    """The text's categories in taxonomy order: the rules, and for each category the
    classifier learned from corrections, the classifier's decision (P ≥ 0.5) instead."""
    taxonomy = taxonomy or active_taxonomy()
    matched = taxonomy.match(text)
    if classifier is None or not classifier.keys:
        return matched
    decided = set(matched) - set(classifier.keys)
    decided |= {
        key
        for key, probability in classifier.probabilities(text, matched).items()
        if probability >= 0.5
    }
    return taxonomy.order(decided)


def labels_of(keys: Iterable[str], language: str, taxonomy: Taxonomy | None = None) -> list[str]:
    taxonomy = taxonomy or active_taxonomy()
    return [taxonomy.label(key, language) for key in keys]


def label_map(language: str, taxonomy: Taxonomy | None = None) -> Mapping[str, str]:
    taxonomy = taxonomy or active_taxonomy()
    return {category.key: category.label(language) for category in taxonomy.categories}
