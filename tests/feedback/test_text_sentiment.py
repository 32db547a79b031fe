"""Sentiment with the shipped model: negation, contrast, English, and the NumPy scoring equal to
scikit-learn's (kesheng.feedback.text)."""

import numpy as np
import pytest

from kesheng.feedback.text.features import normalize_text
from kesheng.feedback.text.sentiment import (
    NEGATED_NEGATIVE_MARK,
    NEGATED_POSITIVE_MARK,
    mark_negations,
    model_version,
    score_text,
    stressed_part,
)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("不是很满意", "negative"),
        ("没有想象中那么差", "positive"),
        ("价格不贵，味道很好", "positive"),
        ("一点也不失望", "positive"),
        ("服务态度很差，再也不来了", "negative"),
        ("店员很热情，推荐大家来", "positive"),
        ("环境一般，但菜很好吃", "positive"),
        ("The staff were friendly and helpful, great service.", "positive"),
        ("Terrible service, the cashier was rude and the queue was slow.", "negative"),
    ],
)
def test_scores_negation_and_contrast_examples(text, label):
    assert score_text(text).label == label


def test_a_clause_after_but_outweighs_the_praise_before_it():
    sentiment = score_text("东西不错但是物流太慢")
    assert sentiment.label in {"negative", "neutral"}
    assert sentiment.score < 0
    assert score_text("东西不错").score > 0


def test_marks_a_negated_word_and_leaves_words_that_only_look_negated():
    assert mark_negations("不是很满意", "zh") == NEGATED_POSITIVE_MARK
    assert mark_negations("没有想象中那么差", "zh") == NEGATED_NEGATIVE_MARK
    assert mark_negations("东西不错，价格不贵", "zh") == "东西不错，价格" + NEGATED_NEGATIVE_MARK
    assert mark_negations("not very good", "en") == NEGATED_POSITIVE_MARK


def test_the_stressed_part_is_what_follows_the_contrast_word():
    assert stressed_part(normalize_text("东西不错但是物流太慢"), "zh") == "物流太慢"
    assert stressed_part(normalize_text("虽然贵，味道很好"), "zh") == "味道很好"
    assert stressed_part(normalize_text("不但好吃而且便宜"), "zh") is None
    assert stressed_part(normalize_text("nice room, but the staff were rude"), "en") == (
        "the staff were rude"
    )


def test_text_without_words_is_neutral():
    sentiment = score_text("!!! 123")
    assert (sentiment.label, sentiment.score, sentiment.language) == ("neutral", 0.0, "")


def test_the_shipped_model_has_a_version():
    assert model_version().startswith("sentiment-")


def test_numpy_scoring_equals_scikit_learn(tmp_path):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from kesheng.feedback.text.sentiment import load_models
    from kesheng.feedback.text.training import ModelSettings, fit_model, save_models

    texts = ["很好吃", "太难吃了", "服务很好", "服务很差", "环境干净", "环境脏乱", "好好好", "差差"]
    labels = [1, 0, 1, 0, 1, 0, 1, 0]
    settings = ModelSettings(
        "char", 1, 3, regularization=1.0, max_features=1000, min_document_frequency=1
    )
    model = fit_model(texts, labels, settings, "zh", prepare=lambda text, _: normalize_text(text))
    vectorizer = TfidfVectorizer(
        analyzer="char", ngram_range=(1, 3), sublinear_tf=True, max_features=1000
    )
    matrix = vectorizer.fit_transform(texts)
    regression = LogisticRegression(C=1.0, class_weight="balanced", solver="liblinear").fit(
        matrix, labels
    )
    probes = ["很好", "很差", "服务干净", "难吃 差", "没见过的字"]
    expected = regression.predict_proba(vectorizer.transform(probes))[:, 1]
    assert [model.probability(probe) for probe in probes] == pytest.approx(list(expected), abs=1e-9)
    # Stored as float32 and read back: the same to six places.
    save_models({"zh": model}, tmp_path / "model.npz", {})
    reloaded = load_models(tmp_path / "model.npz")["zh"]
    assert np.allclose([reloaded.probability(probe) for probe in probes], expected, atol=1e-6)
