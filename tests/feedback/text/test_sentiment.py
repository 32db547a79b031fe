"""Sentiment with the shipped model: negation and contrast, where the rules fire, English, the
model file, and the NumPy scoring equal to scikit-learn's (kesheng.feedback.text)."""

import itertools

import numpy as np
import pytest

from kesheng.feedback.text.features import normalize_text
from kesheng.feedback.text.sentiment import (
    NEGATED_NEGATIVE_MARK,
    NEGATED_POSITIVE_MARK,
    RULES_MAX_CHARS,
    load_models,
    mark_negations,
    model_version,
    rule_decision,
    score_text,
    shipped_models,
)
from kesheng.feedback.text.training import (
    BlockSettings,
    ModelSettings,
    fit_model,
    save_models,
)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("不是很满意", "negative"),
        ("东西不错但是物流太慢", "negative"),
        ("价格不贵，味道很好", "positive"),
        ("一点也不失望", "positive"),
        ("服务态度很差，再也不来了", "negative"),
        ("店员很热情，推荐大家来", "positive"),
        ("虽然贵，但是真的好用", "positive"),
        ("The staff were friendly and helpful, great service.", "positive"),
        ("Terrible service, the cashier was rude and the queue was slow.", "negative"),
        ("Nice shop, but the cashier was rude.", "negative"),
    ],
)
def test_scores_negation_and_contrast_examples(text, label):
    assert score_text(text).label == label


def test_not_as_bad_as_expected_is_not_negative():
    sentiment = score_text("没有想象中那么差")
    assert sentiment.label != "negative"
    assert sentiment.score > 0


def test_a_clause_after_but_outweighs_the_praise_before_it():
    assert score_text("东西不错").score > 0.2
    assert score_text("东西不错但是物流太慢").score < -0.2
    assert score_text("环境一般").score < 0
    assert score_text("环境一般，但菜很好吃").score > 0


def test_marks_a_negated_word_and_leaves_words_that_only_look_negated():
    assert mark_negations("不是很满意", "zh") == NEGATED_POSITIVE_MARK
    assert mark_negations("没有想象中那么差", "zh") == NEGATED_NEGATIVE_MARK
    assert mark_negations("东西不错，价格不贵", "zh") == "东西不错，价格" + NEGATED_NEGATIVE_MARK
    assert mark_negations("not very good", "en") == NEGATED_POSITIVE_MARK


def test_the_rules_decide_only_short_comments_that_turn_on_negation_or_contrast():
    model = shipped_models()["zh"]
    assert rule_decision(model, normalize_text("不是很满意"), "zh") < 0
    assert rule_decision(model, normalize_text("店员很热情，推荐大家来"), "zh") is None
    long_review = "房间很大，早餐品种很多，服务员也很热情，" * 3 + "但是隔音不太好"
    assert len(long_review) > RULES_MAX_CHARS
    assert rule_decision(model, normalize_text(long_review), "zh") is None


def test_text_without_words_is_neutral():
    sentiment = score_text("!!! 123")
    assert (sentiment.label, sentiment.score, sentiment.language) == ("neutral", 0.0, "")


def test_the_shipped_model_loads_both_languages_with_a_version():
    models = load_models()
    assert sorted(models) == ["en", "zh"]
    assert [block.analyzer for block in models["zh"].blocks] == ["char", "jieba"]
    assert [block.analyzer for block in models["en"].blocks] == ["word"]
    assert all(len(block.vocabulary) == len(block.weights) for block in models["zh"].blocks)
    assert model_version().startswith("sentiment-")


TEXTS = ["很好吃", "太难吃了", "服务很好", "服务很差", "环境干净", "环境脏乱", "好好好", "差差"]
LABELS = [1, 0, 1, 0, 1, 0, 1, 0]
PROBES = ["很好", "很差", "服务干净", "难吃 差", "没见过的字"]


def test_numpy_scoring_equals_scikit_learn_with_two_blocks_and_log_count_ratios(tmp_path):
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from kesheng.feedback.text.segment import segment

    settings = ModelSettings(
        (BlockSettings("char", 1, 3), BlockSettings("jieba", 1, 2)),
        regularization=1.0,
        min_document_frequency=1,
    )
    model = fit_model(TEXTS, LABELS, settings)

    def words(text):
        tokens = segment(text)
        return tokens + [" ".join(pair) for pair in itertools.pairwise(tokens)]

    characters = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
    jieba_words = TfidfVectorizer(analyzer=words, sublinear_tf=True)
    matrix = sparse.hstack(
        [characters.fit_transform(TEXTS), jieba_words.fit_transform(TEXTS)]
    ).tocsr()
    y = np.asarray(LABELS)
    positive = np.asarray(matrix[y == 1].sum(axis=0)).ravel() + settings.ratio_smoothing
    negative = np.asarray(matrix[y == 0].sum(axis=0)).ravel() + settings.ratio_smoothing
    ratio = np.log((positive / positive.sum()) / (negative / negative.sum()))
    regression = LogisticRegression(C=1.0, class_weight="balanced", solver="liblinear")
    regression.fit(matrix.multiply(ratio).tocsr(), y)
    probes = sparse.hstack([characters.transform(PROBES), jieba_words.transform(PROBES)]).tocsr()
    expected = regression.predict_proba(probes.multiply(ratio).tocsr())[:, 1]
    assert [model.probability(probe) for probe in PROBES] == pytest.approx(list(expected), abs=1e-9)
    # Stored as float32 and read back: the same to six places.
    save_models({"zh": model}, tmp_path / "model.npz", {})
    reloaded = load_models(tmp_path / "model.npz")["zh"]
    assert np.allclose([reloaded.probability(probe) for probe in PROBES], expected, atol=1e-6)
