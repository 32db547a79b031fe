"""Piping earlier answers and the respondent's context into question texts."""

import pytest

from kesheng.surveys.piping import answer_text, pipe_text


def text(zh: str, en: str) -> dict:
    return {"zh-hans": zh, "en": en}


SURVEY = {
    "format": "kesheng-survey/1",
    "languages": ["zh-hans", "en"],
    "title": "调查",
    "pages": [
        {
            "name": "p1",
            "questions": [
                {"name": "nps", "type": "nps", "title": "推荐"},
                {
                    "name": "store",
                    "type": "single_choice",
                    "title": "门店",
                    "choices": [
                        {"value": "jingan", "text": text("静安店", "Jing'an")},
                        {"value": "pudong", "text": text("浦东店", "Pudong")},
                    ],
                    "has_other": True,
                },
                {
                    "name": "likes",
                    "type": "multiple_choice",
                    "title": "喜欢",
                    "choices": [
                        {"value": "price", "text": text("价格", "price")},
                        {"value": "staff", "text": text("店员", "staff")},
                    ],
                    "has_other": True,
                },
                {"name": "member", "type": "yes_no", "title": "会员"},
                {
                    "name": "sat",
                    "type": "matrix",
                    "title": "满意度",
                    "rows": [{"value": "delivery", "text": text("配送", "delivery")}],
                    "scale": {"points": 5},
                },
                {"name": "weight", "type": "numeric", "title": "体重"},
                {"name": "comment", "type": "long_text", "title": "意见"},
            ],
        }
    ],
}
ANSWERS = {
    "nps": 9,
    "store": "jingan",
    "likes": ["price", "staff", {"other": "音乐"}],
    "member": True,
    "sat": {"delivery": 4},
    "weight": 62.0,
    "comment": "<b>好</b>",
}


@pytest.mark.parametrize(
    ("template", "language", "expected"),
    [
        ("您给了{nps}分", "zh-hans", "您给了9分"),
        ("您在{store}购物", "zh-hans", "您在静安店购物"),
        ("You shopped at {store}", "en", "You shopped at Jing'an"),
        ("您喜欢{likes}", "zh-hans", "您喜欢价格、店员、音乐"),
        ("You liked {likes}", "en", "You liked price, staff, 音乐"),
        ("会员：{member}", "zh-hans", "会员：是"),
        ("Member: {member}", "en", "Member: yes"),
        ("{sat}", "zh-hans", "配送: 4"),
        ("{weight} kg", "en", "62 kg"),
        ("{comment}", "en", "<b>好</b>"),
        ("{customer_name}，您好", "zh-hans", "王芳，您好"),
        ("Welcome to {store_name}", "en", "Welcome to 静安店"),
        ("{unknown}|{why}|{ nps }|{1x}", "en", "||{ nps }|{1x}"),
        ("no placeholders", "en", "no placeholders"),
    ],
)
def test_pipe_text(template, language, expected):
    context = {"customer_name": "王芳", "store_name": "静安店", "language": language}
    assert pipe_text(template, ANSWERS, SURVEY, context) == expected


def test_unanswered_and_unknown_context_are_empty():
    assert pipe_text("[{nps}] [{customer_name}] [{store_name}]", {}, SURVEY, {}) == "[] [] []"


def test_the_default_language_is_the_survey_default():
    assert pipe_text("{store}", ANSWERS, SURVEY, {}) == "静安店"


def test_an_other_answer_pipes_its_text():
    assert pipe_text("{store}", {"store": {"other": "徐汇店"}}, SURVEY, {}) == "徐汇店"


def test_a_value_not_among_the_choices_pipes_the_value():
    assert answer_text(SURVEY["pages"][0]["questions"][1], "gone", "en") == "gone"


def test_empty_text_stays_empty():
    assert pipe_text("", ANSWERS, SURVEY, {}) == ""


def test_labelled_scale_points_pipe_their_label():
    likert = {
        "name": "agree",
        "type": "likert",
        "choices": [{"value": str(n), "text": text(f"第{n}级", f"level {n}")} for n in range(1, 6)],
    }
    grid = {
        "name": "grid",
        "type": "matrix",
        "rows": [{"value": "speed", "text": text("速度", "speed")}],
        "columns": [{"value": "bad", "text": text("差", "bad")}, {"value": "ok", "text": "好"}],
    }
    assert answer_text(likert, 2, "en") == "level 2"
    assert answer_text(likert, 9, "en") == "9"
    assert answer_text(grid, {"speed": 1}, "zh-hans") == "速度: 差"
    assert answer_text(grid, {"speed": 2}, "en") == "speed: 好"
