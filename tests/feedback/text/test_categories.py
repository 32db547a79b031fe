"""The category taxonomy, its keyword rules, extension files and the classifier learned from
corrections (pure: no database)."""

import json

import pytest

from kesheng.feedback.text.categories import (
    DEFAULT_CATEGORY_KEYS,
    MIN_EXAMPLES,
    CategoryClassifier,
    CorrectedExample,
    TaxonomyError,
    categorise,
    load_taxonomy,
    train_classifier,
    trainable_keys,
)


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy()


def test_the_default_taxonomy_has_the_nine_documented_keys_first(taxonomy):
    assert taxonomy.keys[:9] == DEFAULT_CATEGORY_KEYS
    assert taxonomy.keys[9:] == ("availability", "membership")


def test_every_category_has_a_chinese_and_an_english_label_and_keywords_in_both(taxonomy):
    for category in taxonomy.categories:
        assert category.label_zh and category.label_en, category.key
        assert category.keywords_zh and category.keywords_en, category.key
    assert taxonomy.label("delivery", "zh-hans") == "物流配送"
    assert taxonomy.label("delivery", "en") == "Delivery"
    assert taxonomy.label("unknown_key", "en") == "unknown_key"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("店员很热情，但是送货太慢了", ["delivery", "staff"]),
        ("衣服起球了，质量太差", ["product_quality"]),
        ("价格不贵，性价比高", ["price"]),
        ("排队排了半个小时", ["waiting_time"]),
        ("店里很干净，环境不错", ["environment"]),
        ("退货退款拖了两周", ["after_sales"]),
        ("小程序老是闪退", ["digital"]),
        ("发票开错了，还多收了钱", ["billing"]),
        ("想要的尺码缺货", ["product_quality", "availability"]),
        ("会员积分一直没到账", ["membership"]),
        ("东西不错但是物流太慢", ["product_quality", "delivery"]),
        ("The delivery was late and the cashier was rude", ["delivery", "staff"]),
        ("Great app, but I was overcharged", ["digital", "billing"]),
        ("staff很nice但是queue太long了", ["staff", "waiting_time"]),
        ("今天天气不错", []),
    ],
)
def test_keyword_rules_find_the_categories_in_chinese_english_and_mixed_text(
    taxonomy, text, expected
):
    assert taxonomy.match(text) == expected


def test_english_keywords_match_whole_words_so_apple_is_not_an_app(taxonomy):
    assert taxonomy.match("Apple juice, happy to be back") == []
    assert taxonomy.match("the apps crashed") == ["digital"]
    assert taxonomy.match("It was delivered broken") == ["product_quality", "delivery"]


def test_full_width_letters_and_upper_case_match_like_plain_ones(taxonomy):
    assert taxonomy.match("ＡＰＰ闪退") == ["digital"]
    assert taxonomy.match("DELIVERY was slow") == ["delivery"]


def test_an_extension_file_adds_a_category_and_keywords_to_a_known_one(tmp_path):
    extension = tmp_path / "mine.json"
    extension.write_text(
        json.dumps(
            {
                "categories": [
                    {
                        "key": "parking",
                        "label": {"zh-hans": "停车", "en": "Parking"},
                        "keywords": {"zh": ["停车位", "车位"], "en": ["parking lot"]},
                    },
                    {"key": "delivery", "keywords": {"zh": ["闪送"]}},
                ]
            }
        ),
        encoding="utf-8",
    )
    taxonomy = load_taxonomy([extension])
    assert taxonomy.keys[-1] == "parking"
    assert taxonomy.label("parking", "en") == "Parking"
    assert taxonomy.match("没有车位") == ["parking"]
    assert taxonomy.match("闪送两小时才到") == ["delivery"]
    assert taxonomy.label("delivery", "zh-hans") == "物流配送"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not JSON"),
        ('{"items": []}', "must be an object with a list 'categories'"),
        ('{"categories": [{"key": "Bad Key"}]}', "categories[0].key"),
        (
            '{"categories": [{"key": "new_one", "label": {"en": "New"}}]}',
            "a new category needs 'zh-hans' and 'en'",
        ),
        ('{"categories": [{"key": "price", "keywords": {"zh": "贵"}}]}', "keywords.zh"),
    ],
)
def test_a_bad_extension_file_is_refused_naming_the_file_and_the_place(tmp_path, content, message):
    extension = tmp_path / "bad.json"
    extension.write_text(content, encoding="utf-8")
    with pytest.raises(TaxonomyError) as error:
        load_taxonomy([extension])
    assert str(extension) in str(error.value)
    assert message in str(error.value)


def test_a_missing_extension_file_is_refused(tmp_path):
    with pytest.raises(TaxonomyError, match="no such file"):
        load_taxonomy([tmp_path / "missing.json"])


def _examples():
    # Staff taught that a broken freezer is about the store environment (no keyword says so),
    # and that "收银小哥" complaints are about staff, not billing.
    examples = [
        CorrectedExample(f"冷柜坏了{number}天没人修", frozenset({"environment"}))
        for number in range(6)
    ]
    examples += [
        CorrectedExample(f"收银小哥第{number}次翻白眼", frozenset({"staff"})) for number in range(6)
    ]
    examples += [
        CorrectedExample(f"价格第{number}次涨了", frozenset({"price"})) for number in range(6)
    ]
    examples += [
        CorrectedExample(f"发票第{number}次开错", frozenset({"billing"})) for number in range(6)
    ]
    return examples


def test_without_corrections_the_rules_work_alone(taxonomy):
    assert train_classifier([], taxonomy) is None
    assert categorise("冷柜坏了", taxonomy, None) == ["product_quality"]


def test_a_category_needs_enough_examples_in_and_out_of_it_to_be_learned(taxonomy):
    examples = _examples()
    assert trainable_keys(examples, taxonomy) == ["price", "staff", "environment", "billing"]
    few = examples[: MIN_EXAMPLES - 1] + examples[6:]
    assert trainable_keys(few, taxonomy) == ["price", "staff", "billing"]


def test_the_classifier_learns_what_staff_corrected(taxonomy):
    classifier = train_classifier(_examples(), taxonomy)
    assert classifier is not None
    assert classifier.keys == ("price", "staff", "environment", "billing")
    # Taught: a broken freezer is the environment; the product_quality rule (坏了) is not
    # learned, so it stays.
    assert categorise("冷柜又坏了", taxonomy, classifier) == ["product_quality", "environment"]
    assert categorise("收银小哥又翻白眼", taxonomy, classifier) == ["staff"]
    assert categorise("发票又开错了", taxonomy, classifier) == ["billing"]
    # What was not taught still follows the rules.
    assert categorise("送货太慢", taxonomy, classifier) == ["delivery"]
    assert categorise("店员很热情，价格太贵", taxonomy, classifier) == ["price", "staff"]


def test_training_is_deterministic_and_the_model_survives_its_bytes(taxonomy):
    first = train_classifier(_examples(), taxonomy)
    second = train_classifier(_examples(), taxonomy)
    assert first.version == second.version
    assert first.version.startswith("categories-")
    restored = CategoryClassifier.from_bytes(first.to_bytes())
    assert restored.keys == first.keys
    assert restored.examples == 24
    text = "冷柜又坏了"
    assert restored.probabilities(text, taxonomy.match(text)) == pytest.approx(
        first.probabilities(text, taxonomy.match(text)), abs=1e-5
    )
