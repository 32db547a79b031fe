"""Aspect sentiment: clauses, their categories and each category's sentiment."""

from kesheng.feedback.text.analysis import analyse_text
from kesheng.feedback.text.aspects import Aspect, aspect_sentiments, split_clauses

# A stand-in for the sentiment model, so these tests check the clause logic exactly.
LEXICON = {
    "热情": 0.8,
    "耐心": 0.6,
    "慢": -0.7,
    "贵": -0.5,
    "干净": 0.9,
    "great": 0.9,
    "overcharged": -0.8,
    "不错": 0.5,
    "不耐用": -0.6,
}


def fake_scorer(clause: str) -> float:
    return sum(value for word, value in LEXICON.items() if word in clause.lower())


def test_clauses_are_cut_at_punctuation_and_before_contrast_words():
    assert split_clauses("店员很热情，但是送货太慢了") == ["店员很热情", "但是送货太慢了"]
    assert split_clauses("东西不错但是物流太慢") == ["东西不错", "但是物流太慢"]
    assert split_clauses("衣服好看却不耐用。价格还行；不过排队久") == [
        "衣服好看",
        "却不耐用",
        "价格还行",
        "不过排队久",
    ]
    assert split_clauses("质量好可是贵") == ["质量好", "可是贵"]
    assert split_clauses("Great app, but I was overcharged") == [
        "Great app",
        "but I was overcharged",
    ]
    assert split_clauses("Nice store however the queue was long") == [
        "Nice store",
        "however the queue was long",
    ]


def test_a_contrast_word_after_bu_is_no_contrast():
    assert split_clauses("不但便宜而且好用") == ["不但便宜而且好用"]
    assert split_clauses("价格一点也不过分") == ["价格一点也不过分"]


def test_staff_praised_and_delivery_blamed_count_plus_staff_minus_delivery():
    aspects = aspect_sentiments("店员很热情，但是送货太慢了", scorer=fake_scorer)
    assert aspects == [
        Aspect("delivery", "negative", -0.7, 1),
        Aspect("staff", "positive", 0.8, 1),
    ]


def test_a_clause_without_a_category_continues_the_one_before_unless_it_opens_a_contrast():
    assert aspect_sentiments("服务员很热情，很耐心", scorer=fake_scorer) == [
        Aspect("staff", "positive", 0.7, 2)
    ]
    # 可是没用 opens a contrast: it does not continue the staff clause.
    assert aspect_sentiments("店员很热情，可是没用", scorer=fake_scorer) == [
        Aspect("staff", "positive", 0.8, 1)
    ]
    # A praise and a blame of the same category average out.
    assert aspect_sentiments("质量不错，却不耐用", scorer=fake_scorer) == [
        Aspect("product_quality", "neutral", -0.05, 2)
    ]


def test_a_category_the_classifier_added_takes_the_sentiment_of_the_whole_text():
    aspects = aspect_sentiments(
        "冷柜坏了好几天", ["environment"], whole_text_score=-0.5, scorer=fake_scorer
    )
    assert aspects == [Aspect("environment", "negative", -0.5, 0)]


def test_a_text_without_categories_has_no_aspects():
    assert aspect_sentiments("今天天气不错", scorer=fake_scorer) == []


def test_english_aspects():
    assert aspect_sentiments("Great app, but I was overcharged", scorer=fake_scorer) == [
        Aspect("digital", "positive", 0.9, 1),
        Aspect("billing", "negative", -0.8, 1),
    ]


def test_the_shipped_model_reads_plus_staff_minus_delivery():
    analysis = analyse_text("店员很热情，但是送货太慢了")
    assert analysis.categories == ["delivery", "staff"]
    assert [(aspect.category, aspect.sentiment) for aspect in analysis.aspects] == [
        ("delivery", "negative"),
        ("staff", "positive"),
    ]


def test_aspects_serialise_for_storage():
    assert Aspect("staff", "positive", 0.8, 1).as_dict() == {
        "category": "staff",
        "sentiment": "positive",
        "score": 0.8,
        "mentions": 1,
    }
