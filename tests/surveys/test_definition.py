"""validate_definition: every problem with its path; the helpers that read definitions."""

import copy

import pytest

from kesheng.surveys.definition import (
    QUESTION_TYPES,
    DefinitionError,
    check_definition,
    choice_text,
    default_language_of,
    iter_pages,
    iter_questions,
    languages_of,
    localized,
    questions_by_name,
    regex_problem,
    scale_of,
    validate_definition,
)


def text(zh: str, en: str) -> dict:
    return {"zh-hans": zh, "en": en}


def choices(*values: str) -> list[dict]:
    return [{"value": value, "text": text(value + "中", value)} for value in values]


def every_type() -> dict:
    """A valid definition with one question of every type."""
    return {
        "format": "kesheng-survey/1",
        "languages": ["zh-hans", "en"],
        "default_language": "zh-hans",
        "title": text("调查", "Survey"),
        "description": text("说明", "About"),
        "thank_you": text("谢谢", "Thanks"),
        "show_progress": True,
        "pages": [
            {
                "name": "p1",
                "title": text("第一页", "Page 1"),
                "questions": [
                    {
                        "name": "nps",
                        "type": "nps",
                        "title": text("推荐", "Recommend"),
                        "required": True,
                    },
                    {"name": "csat", "type": "csat", "title": "满意度"},
                    {"name": "ces", "type": "ces", "title": "费力度"},
                    {
                        "name": "reason",
                        "type": "single_choice",
                        "title": "原因",
                        "choices": choices("price", "service"),
                        "has_other": True,
                        "randomize": True,
                        "visible_if": "{nps} <= 6",
                    },
                    {
                        "name": "channels",
                        "type": "multiple_choice",
                        "title": "渠道",
                        "choices": choices("app", "web", "store"),
                        "validation": {"min_choices": 1, "max_choices": 2},
                    },
                    {
                        "name": "city",
                        "type": "dropdown",
                        "title": "城市",
                        "choices": choices("sh", "bj"),
                    },
                ],
                "skip": [{"if": "{nps} >= 9", "to": "p3"}, {"if": "{csat} = 1", "to": "end"}],
            },
            {
                "name": "p2",
                "visible_if": "{channels} anyof ['app']",
                "questions": [
                    {"name": "member", "type": "yes_no", "title": "会员"},
                    {
                        "name": "stars",
                        "type": "rating",
                        "title": "星级",
                        "scale": {"min": 1, "max": 10, "style": "stars", "min_label": "差"},
                    },
                    {"name": "agree", "type": "likert", "title": "同意", "scale": {"points": 7}},
                    {
                        "name": "sat",
                        "type": "matrix",
                        "title": "各项满意度",
                        "rows": choices("delivery", "price"),
                        "scale": {"points": 5},
                    },
                    {
                        "name": "rank",
                        "type": "ranking",
                        "title": "排序",
                        "choices": choices("a", "b", "c"),
                        "visible_if": "{sat.delivery} <= 2",
                    },
                ],
            },
            {
                "name": "p3",
                "questions": [
                    {
                        "name": "age",
                        "type": "numeric",
                        "title": "年龄",
                        "validation": {"min": 0, "max": 120, "integer": True},
                    },
                    {
                        "name": "visited",
                        "type": "date",
                        "title": "日期",
                        "validation": {"min": "2024-01-01", "max": "2025-12-31"},
                    },
                    {
                        "name": "order_no",
                        "type": "short_text",
                        "title": "订单号",
                        "validation": {"regex": "[A-Z]{2}[0-9]{6}", "max_length": 8},
                    },
                    {
                        "name": "comment",
                        "type": "long_text",
                        "title": "意见",
                        "validation": {"max_length": 2000},
                    },
                    {"name": "email", "type": "email", "title": "邮箱"},
                    {"name": "phone", "type": "phone", "title": "电话"},
                ],
            },
        ],
    }


def problems_of(definition) -> list[tuple[str, str]]:
    return [(problem.path, problem.reason) for problem in validate_definition(definition)]


def changed(change) -> dict:
    definition = copy.deepcopy(every_type())
    change(definition)
    return definition


def question(definition, page: int, index: int) -> dict:
    return definition["pages"][page]["questions"][index]


def test_a_definition_with_every_type_is_valid():
    assert problems_of(every_type()) == []
    check_definition(every_type())


def test_every_type_of_the_contract_is_known():
    assert set(QUESTION_TYPES) == {
        "single_choice",
        "multiple_choice",
        "dropdown",
        "yes_no",
        "rating",
        "nps",
        "csat",
        "ces",
        "likert",
        "matrix",
        "ranking",
        "numeric",
        "date",
        "short_text",
        "long_text",
        "email",
        "phone",
    }
    assert QUESTION_TYPES["nps"].fixed_scale == (0, 10)
    assert QUESTION_TYPES["csat"].fixed_scale == (1, 5)
    assert QUESTION_TYPES["ces"].fixed_scale == (1, 7)
    assert QUESTION_TYPES["single_choice"].is_choice is True
    assert QUESTION_TYPES["matrix"].is_scale is True


def test_the_smallest_definition_needs_format_title_and_a_question():
    assert (
        problems_of(
            {
                "format": "kesheng-survey/1",
                "title": "Hi",
                "pages": [
                    {"name": "p", "questions": [{"name": "q", "type": "yes_no", "title": "Q"}]}
                ],
            }
        )
        == []
    )
    assert problems_of({"pages": []}) == [
        ("format", 'must be "kesheng-survey/1"'),
        ("title", "is required"),
        ("pages", "must be a list of at least one page"),
    ]


@pytest.mark.parametrize("definition", [None, [], "x", 3])
def test_a_definition_must_be_an_object(definition):
    assert problems_of(definition) == [("", "a definition is a JSON object")]


def test_every_problem_is_reported_at_once_with_its_path():
    def change(definition):
        question(definition, 0, 4)["choices"] = choices("app")
        question(definition, 0, 5)["name"] = "nps"
        question(definition, 1, 1)["type"] = "slider"
        definition["pages"][2]["name"] = "p1"

    assert problems_of(changed(change)) == [
        ("pages[0].questions[4].choices", "needs at least 2 choices"),
        ("pages[0].questions[4].validation.max_choices", "is more than the 1 choices offered"),
        ("pages[0].questions[5].name", "'nps' names another question too"),
        ("pages[0].skip[0].to", "'p3' is not a page of this survey (or \"end\")"),
        (
            "pages[1].questions[1].type",
            "must be one of single_choice, multiple_choice, dropdown, yes_no, rating, nps, csat, "
            "ces, likert, matrix, ranking, numeric, date, short_text, long_text, email, phone",
        ),
        ("pages[2].name", "'p1' names another page too"),
    ]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("1st", "must be letters, digits and _, starting with a letter (at most 64 characters)"),
        (
            "has space",
            "must be letters, digits and _, starting with a letter (at most 64 characters)",
        ),
        ("a" * 65, "must be letters, digits and _, starting with a letter (at most 64 characters)"),
        ("", "must be letters, digits and _, starting with a letter (at most 64 characters)"),
        (None, "must be letters, digits and _, starting with a letter (at most 64 characters)"),
        ("customer_name", "'customer_name' is reserved for piping"),
        ("store_name", "'store_name' is reserved for piping"),
    ],
)
def test_question_names_follow_the_pattern(name, reason):
    definition = changed(lambda d: question(d, 2, 5).update(name=name))
    assert problems_of(definition) == [("pages[2].questions[5].name", reason)]


def test_a_name_of_64_characters_is_accepted():
    assert problems_of(changed(lambda d: question(d, 2, 5).update(name="a" * 64))) == []


def test_page_names_are_unique_and_not_end():
    definition = changed(lambda d: d["pages"][1].update(name="end"))
    assert ("pages[1].name", "'end' is reserved for skipping to the end") in problems_of(definition)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d.update(languages=["zh-hans", "en", "fr"]),
            [("languages[2]", "'fr' is not one of zh-hans, en")],
        ),
        (
            lambda d: d.update(languages="en"),
            [("languages", 'must be a list of language codes, e.g. ["zh-hans", "en"]')],
        ),
        (
            lambda d: d.update(languages=["zh-hans", "en", "en"]),
            [("languages", "names a language twice")],
        ),
        (
            lambda d: d.update(default_language="en-gb"),
            [("default_language", "must be one of the survey's languages")],
        ),
        (lambda d: d.update(title={"zh-hans": "  "}), [("title", "is required")]),
        (
            lambda d: d.update(title={"de": "Umfrage", "zh-hans": "调查"}),
            [("title.de", "is not a language of this survey")],
        ),
        (
            lambda d: d.update(title={"zh-hans": 3}),
            [("title.zh-hans", "must be a text"), ("title", "is required")],
        ),
        (
            lambda d: d.update(thank_you=["x"]),
            [("thank_you", "must be a text or an object of language code to text")],
        ),
        (lambda d: d.update(show_progress="yes"), [("show_progress", "must be true or false")]),
        (lambda d: d.update(colour="red"), [("colour", "is not a known key here")]),
        (lambda d: d.update(x_editor={"zoom": 2}), []),
        (lambda d: d.update(format="kesheng-survey/2"), [("format", 'must be "kesheng-survey/1"')]),
    ],
)
def test_survey_level_keys(change, expected):
    assert problems_of(changed(change)) == expected


def test_a_plain_string_is_a_text_in_the_default_language():
    assert problems_of(changed(lambda d: d.update(title="调查", description="说明"))) == []


@pytest.mark.parametrize(
    ("page", "index", "change", "expected"),
    [
        (0, 0, {"required": "yes"}, [("pages[0].questions[0].required", "must be true or false")]),
        (0, 0, {"title": None}, [("pages[0].questions[0].title", "is required")]),
        (
            0,
            0,
            {"scale": {"min": 1, "max": 10}},
            [("pages[0].questions[0].scale", "the scale of nps is fixed at 0–10")],
        ),
        (
            0,
            0,
            {"choices": choices("a", "b")},
            [("pages[0].questions[0].choices", "is not a known key here")],
        ),
        (0, 3, {"choices": "a,b"}, [("pages[0].questions[3].choices", "must be a list")]),
        (
            0,
            3,
            {"choices": choices("a", "a")},
            [("pages[0].questions[3].choices[1].value", "'a' appears twice")],
        ),
        (
            0,
            3,
            {"choices": [{"value": 1, "text": "x"}, {"value": "b", "text": "y"}]},
            [("pages[0].questions[3].choices[0].value", "must be a non-empty text")],
        ),
        (
            0,
            3,
            {"choices": [{"value": "a" * 65, "text": "x"}, {"value": "b", "text": "y"}]},
            [("pages[0].questions[3].choices[0].value", "at most 64 characters")],
        ),
        (
            0,
            3,
            {"choices": [{"value": "a"}, {"value": "b", "text": "y", "score": 1}]},
            [
                ("pages[0].questions[3].choices[0].text", "is required"),
                ("pages[0].questions[3].choices[1].score", "is not a known key here"),
            ],
        ),
        (
            0,
            3,
            {"choices": choices("a", "other")},
            [
                (
                    "pages[0].questions[3].choices",
                    "the value 'other' is taken by has_other; give the choice another value",
                )
            ],
        ),
        (0, 3, {"has_other": 1}, [("pages[0].questions[3].has_other", "must be true or false")]),
        (
            0,
            4,
            {"validation": {"min_choices": 3, "max_choices": 2}},
            [("pages[0].questions[4].validation", "min_choices must not be more than max_choices")],
        ),
        (
            0,
            4,
            {"validation": {"min_choices": -1}},
            [("pages[0].questions[4].validation.min_choices", "must be a whole number, 0 or more")],
        ),
        (
            0,
            4,
            {"validation": {"max_choices": 4}},
            [
                (
                    "pages[0].questions[4].validation.max_choices",
                    "is more than the 3 choices offered",
                )
            ],
        ),
        (0, 4, {"validation": {"max_choices": 4}, "has_other": True}, []),
        (
            0,
            4,
            {"validation": {"max_choices": 0}},
            [("pages[0].questions[4].validation.max_choices", "must be at least 1")],
        ),
        (
            0,
            4,
            {"validation": {"min": 1}},
            [("pages[0].questions[4].validation.min", "is not a known key here")],
        ),
        (0, 4, {"validation": [1]}, [("pages[0].questions[4].validation", "must be an object")]),
        (
            1,
            1,
            {"scale": {"min": 5, "max": 5}},
            [("pages[1].questions[1].scale", "min must be below max")],
        ),
        (
            1,
            1,
            {"scale": {"min": 0, "max": 10, "style": "stars"}},
            [("pages[1].questions[1].scale.style", "stars go from 1 up to at most 10")],
        ),
        (
            1,
            1,
            {"scale": {"min": 1.5, "max": 5}},
            [("pages[1].questions[1].scale.min", "must be a whole number from 0 to 100")],
        ),
        (
            1,
            1,
            {"scale": {"max": 5, "style": "hearts"}},
            [("pages[1].questions[1].scale.style", 'must be "numbers" or "stars"')],
        ),
        (
            1,
            2,
            {"scale": {"points": 6}},
            [("pages[1].questions[2].scale.points", "must be 5 or 7")],
        ),
        (
            1,
            2,
            {"scale": {"points": 5}, "choices": choices("1", "2", "3")},
            [("pages[1].questions[2].choices", "needs one label per point (5)")],
        ),
        (1, 2, {"scale": None, "choices": choices("1", "2", "3", "4", "5")}, []),
        (
            1,
            3,
            {"rows": []},
            [
                ("pages[1].questions[3].rows", "needs at least one row"),
                (
                    "pages[1].questions[4].visible_if",
                    "{sat.delivery}: 'delivery' is not a row of sat",
                ),
            ],
        ),
        (1, 3, {"scale": None, "columns": choices("bad", "ok", "good")}, []),
        (
            1,
            3,
            {"columns": choices("bad", "good")},
            [("pages[1].questions[3].columns", "give either columns or scale, not both")],
        ),
        (
            1,
            3,
            {"scale": None, "columns": choices("only")},
            [("pages[1].questions[3].columns", "needs at least 2 columns")],
        ),
        (
            1,
            4,
            {"has_other": True},
            [("pages[1].questions[4].has_other", "is not a known key here")],
        ),
        (
            2,
            0,
            {"validation": {"min": 10, "max": 1}},
            [("pages[2].questions[0].validation", "min must not be more than max")],
        ),
        (
            2,
            0,
            {"validation": {"min": "ten"}},
            [("pages[2].questions[0].validation.min", "must be a number")],
        ),
        (
            2,
            0,
            {"validation": {"integer": "yes"}},
            [("pages[2].questions[0].validation.integer", "must be true or false")],
        ),
        (
            2,
            1,
            {"validation": {"min": "2025-02-30"}},
            [("pages[2].questions[1].validation.min", "must be a date, YYYY-MM-DD")],
        ),
        (
            2,
            1,
            {"validation": {"min": "2026-01-01", "max": "2025-01-01"}},
            [("pages[2].questions[1].validation", "min must not be more than max")],
        ),
        (
            2,
            2,
            {"validation": {"regex": "[a-"}},
            [
                (
                    "pages[2].questions[2].validation.regex",
                    "is not a valid regular expression: unterminated character set at position 0",
                )
            ],
        ),
        (
            2,
            2,
            {"validation": {"regex": "(a+)+$"}},
            [
                (
                    "pages[2].questions[2].validation.regex",
                    "repeats a group that itself repeats or has alternatives, which can take "
                    "too long to check; simplify the expression",
                )
            ],
        ),
        (
            2,
            2,
            {"validation": {"regex": "a" * 201}},
            [
                (
                    "pages[2].questions[2].validation.regex",
                    "a regular expression is at most 200 characters",
                )
            ],
        ),
        (
            2,
            2,
            {"validation": {"max_length": 501}},
            [
                (
                    "pages[2].questions[2].validation.max_length",
                    "must be a whole number from 0 to 500",
                )
            ],
        ),
        (2, 3, {"validation": {"max_length": 10_000, "min_length": 10}}, []),
        (
            2,
            3,
            {"validation": {"max_length": 10_001}},
            [
                (
                    "pages[2].questions[3].validation.max_length",
                    "must be a whole number from 0 to 10000",
                )
            ],
        ),
        (
            2,
            3,
            {"validation": {"regex": "x"}},
            [("pages[2].questions[3].validation.regex", "is not a known key here")],
        ),
        (
            2,
            4,
            {"validation": {"max_length": 5}},
            [("pages[2].questions[4].validation.max_length", "is not a known key here")],
        ),
    ],
)
def test_question_keys(page, index, change, expected):
    def apply(definition):
        target = question(definition, page, index)
        for key, value in change.items():
            if value is None:
                target.pop(key, None)
            else:
                target[key] = value

    assert problems_of(changed(apply)) == expected


@pytest.mark.parametrize(
    ("pattern", "allowed"),
    [
        ("[A-Z]{2}[0-9]{6}", True),
        (r"1[3-9]\d{9}", True),
        (r"(\d{3}-)?\d{4}", True),
        ("(a|b)c", True),
        ("(a+)+", False),
        ("(a*)*b", False),
        ("(a|aa)*", False),
        (r"([a-z]+\.)+com", False),
        ("(?=(a+)+)", False),
    ],
)
def test_regexes_that_can_backtrack_exponentially_are_refused(pattern, allowed):
    assert (regex_problem(pattern) is None) is allowed


@pytest.mark.parametrize(
    ("path", "condition", "reason"),
    [
        (
            "pages[0].questions[0].visible_if",
            "{nps} > 1",
            "{nps} is not a question asked before this point",
        ),
        ("pages[0].questions[3].visible_if", "{csat} < 3 and {ces} > 1", None),
        (
            "pages[0].questions[3].visible_if",
            "{channels} anyof ['app']",
            "{channels} is not a question asked before this point",
        ),
        ("pages[0].questions[3].visible_if", "{nps} <", "the condition ends too early (at 8)"),
        ("pages[0].questions[3].visible_if", 6, "must be a condition (a text)"),
        ("pages[1].visible_if", "{member}", "{member} is not a question asked before this point"),
        ("pages[1].visible_if", "{city} = 'sh'", None),
        (
            "pages[1].questions[4].visible_if",
            "{sat.service} <= 2",
            "{sat.service}: 'service' is not a row of sat",
        ),
        (
            "pages[1].questions[4].visible_if",
            "{nps.row} <= 2",
            "{nps.row}: 'row' is not a row of nps",
        ),
        (
            "pages[1].questions[4].visible_if",
            "{customer_name} notempty",
            "{customer_name} is not a question asked before this point",
        ),
        ("pages[0].skip[0].if", "{city} = 'sh'", None),
        ("pages[0].skip[0].if", "{member}", "{member} is not a question asked before this point"),
    ],
)
def test_conditions_read_only_earlier_questions(path, condition, reason):
    def apply(definition):
        *parents, key = path.replace("]", "").replace("[", ".").split(".")
        target = definition
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[key] = condition

    assert problems_of(changed(apply)) == ([(path, reason)] if reason else [])


@pytest.mark.parametrize(
    ("skip", "expected"),
    [
        ([{"if": "{nps} >= 9", "to": "p2"}], []),
        ([{"to": "end"}], []),
        ([{"if": None, "to": "p3"}], []),
        (
            [{"if": "{nps} >= 9", "to": "p1"}],
            [("pages[0].skip[0].to", 'can only skip forward, to a later page or "end"')],
        ),
        (
            [{"if": "{nps} >= 9", "to": "p9"}],
            [("pages[0].skip[0].to", "'p9' is not a page of this survey (or \"end\")")],
        ),
        (
            [{"if": "{nps} >= 9", "goto": "p2"}],
            [
                ("pages[0].skip[0].goto", "is not a known key here"),
                ("pages[0].skip[0].to", "'None' is not a page of this survey (or \"end\")"),
            ],
        ),
        ({"if": "x"}, [("pages[0].skip", "must be a list of rules")]),
        (["p2"], [("pages[0].skip[0]", 'must be {"if": ..., "to": ...}')]),
    ],
)
def test_skip_rules_jump_forward_only(skip, expected):
    assert problems_of(changed(lambda d: d["pages"][0].update(skip=skip))) == expected


def test_a_page_needs_questions():
    definition = changed(lambda d: d["pages"][1].update(questions=[]))
    assert ("pages[1].questions", "needs at least one question") in problems_of(definition)
    definition = changed(lambda d: d["pages"][1].pop("questions"))
    assert ("pages[1].questions", "must be a list of questions") in problems_of(definition)


def test_size_limits():
    many_pages = changed(
        lambda d: d.update(pages=[{"name": f"p{i}", "questions": []} for i in range(201)])
    )
    assert problems_of(many_pages) == [("pages", "at most 200 pages")]
    many_questions = changed(
        lambda d: d["pages"][2].update(
            questions=[{"name": f"q{i}", "type": "yes_no", "title": "Q"} for i in range(1001)]
        )
    )
    assert problems_of(many_questions) == [("pages", "at most 1000 questions")]


def test_check_definition_raises_with_every_problem():
    with pytest.raises(DefinitionError) as caught:
        check_definition({"format": "kesheng-survey/1", "title": "t", "pages": "none"})
    assert str(caught.value) == "pages: must be a list of at least one page"


def test_reasons_keep_their_template_for_translation():
    (problem,) = validate_definition(
        changed(lambda d: question(d, 0, 4).update(choices=choices("a"), validation={}))
    )
    assert problem.reason.template == "needs at least %(count)s choices"
    assert (
        problem.reason.translate(lambda template: template.replace("needs at least", "至少需要"))
        == "至少需要 2 choices"
    )


# --- helpers


def test_iterating_pages_and_questions():
    definition = every_type()
    assert [page["name"] for page in iter_pages(definition)] == ["p1", "p2", "p3"]
    assert [(page["name"], q["name"]) for page, q in iter_questions(definition)][:3] == [
        ("p1", "nps"),
        ("p1", "csat"),
        ("p1", "ces"),
    ]
    assert list(questions_by_name(definition))[-2:] == ["email", "phone"]
    assert iter_pages({"pages": "x"}) == []
    assert list(iter_questions({"pages": [{"questions": None}, 3]})) == []


@pytest.mark.parametrize(
    ("text_obj", "language", "expected"),
    [
        ({"zh-hans": "你好", "en": "Hello"}, "en", "Hello"),
        ({"zh-hans": "你好", "en": "Hello"}, "en-US", "Hello"),
        ({"zh-hans": "你好", "en": "Hello"}, "zh-Hans", "你好"),
        ({"zh-hans": "你好", "en": "Hello"}, "zh-cn", "你好"),
        ({"zh-hans": "你好"}, "en", "你好"),
        ({"en": "Hello"}, "zh-hans", "Hello"),
        ({"zh-hans": "", "en": "Hello"}, "zh-hans", "Hello"),
        ("纯文本", "en", "纯文本"),
        (None, "en", ""),
        ({}, "en", ""),
        (5, "en", ""),
    ],
)
def test_localized_falls_back_to_the_default_then_any_language(text_obj, language, expected):
    assert localized(text_obj, language) == expected


def test_localized_uses_the_given_default_language():
    assert localized({"zh-hans": "你好", "en": "Hello"}, "fr", default_language="en") == "Hello"


@pytest.mark.parametrize(
    ("question_obj", "expected"),
    [
        ({"type": "nps"}, (0, 10)),
        ({"type": "csat"}, (1, 5)),
        ({"type": "ces"}, (1, 7)),
        ({"type": "rating"}, (1, 5)),
        ({"type": "rating", "scale": {"min": 0, "max": 10}}, (0, 10)),
        ({"type": "likert"}, (1, 5)),
        ({"type": "likert", "scale": {"points": 7}}, (1, 7)),
        ({"type": "likert", "choices": choices("1", "2", "3", "4", "5", "6", "7")}, (1, 7)),
        ({"type": "matrix", "scale": {"points": 7}}, (1, 7)),
        ({"type": "matrix", "columns": choices("a", "b", "c")}, (1, 3)),
        ({"type": "numeric"}, None),
        ({"type": "single_choice"}, None),
        ({}, None),
    ],
)
def test_scale_of(question_obj, expected):
    assert scale_of(question_obj) == expected


def test_choice_text_in_a_language():
    reason = question(every_type(), 0, 3)
    assert choice_text(reason, "price", "en") == "price"
    assert choice_text(reason, "price", "zh-hans") == "price中"
    assert choice_text(reason, "unknown", "en") == "unknown"


def test_the_default_language_defaults_to_the_first_language():
    definition = {
        "format": "kesheng-survey/1",
        "languages": ["en"],
        "title": {"en": "Survey"},
        "pages": [{"name": "p", "questions": [{"name": "q", "type": "yes_no", "title": "Q"}]}],
    }
    assert problems_of(definition) == []
    assert default_language_of(definition) == "en"
    assert languages_of(definition) == ["en"]
    assert default_language_of({"title": "t"}) == "zh-hans"
    assert languages_of({"title": "t"}) == ["zh-hans"]
