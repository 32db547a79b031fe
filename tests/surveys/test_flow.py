"""Navigation and server-side validation of answers (kesheng.surveys.flow)."""

import pytest
from django.http import QueryDict
from hypothesis import given, settings
from hypothesis import strategies as st

from kesheng.surveys import flow
from kesheng.surveys.definition import validate_definition


def text(zh: str, en: str) -> dict:
    return {"zh-hans": zh, "en": en}


def choices(*values: str) -> list[dict]:
    return [{"value": value, "text": text(value + "中", value)} for value in values]


def q(name: str, kind: str, **keys) -> dict:
    return {"name": name, "type": kind, "title": name, **keys}


SURVEY = {
    "format": "kesheng-survey/1",
    "languages": ["zh-hans", "en"],
    "title": text("购物调查", "Shopping survey"),
    "pages": [
        {
            "name": "p1",
            "questions": [
                q("nps", "nps", required=True),
                q("why", "long_text", visible_if="{nps} <= 6", required=True),
                q("reason", "single_choice", choices=choices("price", "service"), has_other=True),
            ],
            "skip": [{"if": "{nps} >= 9", "to": "p4"}, {"if": "{nps} = 0", "to": "end"}],
        },
        {
            "name": "p2",
            "visible_if": "{reason} = 'price'",
            "questions": [q("expected_price", "numeric", validation={"min": 0, "max": 10000})],
        },
        {
            "name": "p3",
            "questions": [
                q(
                    "channels",
                    "multiple_choice",
                    choices=choices("app", "web", "store"),
                    has_other=True,
                    validation={"min_choices": 1, "max_choices": 2},
                ),
                q(
                    "app_rating",
                    "rating",
                    scale={"min": 1, "max": 10},
                    visible_if="{channels} contains 'app'",
                ),
            ],
        },
        {
            "name": "p4",
            "questions": [
                q("sat", "matrix", rows=choices("delivery", "price"), scale={"points": 5}),
                q("rank", "ranking", choices=choices("a", "b", "c")),
                q("member", "yes_no"),
                q("visited", "date", validation={"min": "2024-01-01", "max": "2025-12-31"}),
                q("order_no", "short_text", validation={"regex": "[A-Z]{2}[0-9]{4}"}),
                q("email", "email"),
                q("phone", "phone"),
                q("agree", "likert", scale={"points": 7}),
                q("csat", "csat"),
                q("ces", "ces"),
                q("age", "numeric", validation={"integer": True, "min": 0, "max": 120}),
                q("city", "dropdown", choices=choices("sh", "bj")),
                q("bio", "long_text", validation={"max_length": 20, "min_length": 2}),
            ],
        },
    ],
}


def test_the_sample_survey_is_valid():
    assert validate_definition(SURVEY) == []


# --- navigation


def test_first_page_is_the_first_visible_page():
    assert flow.first_page(SURVEY, {}) == "p1"
    hidden_first = {
        **SURVEY,
        "pages": [{**SURVEY["pages"][0], "visible_if": "false"}, *SURVEY["pages"][1:]],
    }
    assert flow.first_page(hidden_first, {}) == "p3"  # p2 depends on an unanswered question
    nothing = {**SURVEY, "pages": [{**SURVEY["pages"][0], "visible_if": "false"}]}
    assert flow.first_page(nothing, {}) is None


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"nps": 9}, "p4"),
        ({"nps": 10, "reason": "price"}, "p4"),
        ({"nps": 0}, "end"),
        ({"nps": 5, "reason": "price"}, "p2"),
        ({"nps": 5, "reason": "service"}, "p3"),
        ({"nps": 5}, "p3"),
    ],
)
def test_next_page_follows_skip_rules_then_page_visibility(answers, expected):
    assert flow.next_page(SURVEY, "p1", answers) == expected


def test_next_page_after_the_last_page_is_end():
    assert flow.next_page(SURVEY, "p4", {"nps": 9}) == "end"
    assert flow.next_page(SURVEY, "p2", {"nps": 5, "reason": "price"}) == "p3"


def test_next_page_of_an_unknown_page_is_an_error():
    with pytest.raises(ValueError, match="'p9' is not a page of this survey"):
        flow.next_page(SURVEY, "p9", {})


def test_answers_to_hidden_questions_do_not_steer_the_path():
    # "why" is hidden for a promoter; the stale answer to reason on p1 counts (it is visible),
    # but a stale nps from a skipped page would not.
    stale = {"nps": 5, "reason": "price", "expected_price": 10}
    assert flow.next_page(SURVEY, "p2", stale) == "p3"
    assert flow.effective_answers(SURVEY, {"nps": 9, "why": "x", "expected_price": 10}) == {
        "nps": 9
    }


def test_previous_page_walks_back_along_the_path():
    answers = {"nps": 5, "reason": "price", "expected_price": 10}
    assert flow.previous_page(SURVEY, "p3", answers) == "p2"
    assert flow.previous_page(SURVEY, "p3", {"nps": 5, "reason": "service"}) == "p1"
    assert flow.previous_page(SURVEY, "p4", {"nps": 10}) == "p1"
    assert flow.previous_page(SURVEY, "p1", {}) is None


def test_visible_questions_read_earlier_answers_on_the_same_page():
    assert [x["name"] for x in flow.visible_questions(SURVEY, "p1", {})] == ["nps", "reason"]
    assert [x["name"] for x in flow.visible_questions(SURVEY, "p1", {"nps": 3})] == [
        "nps",
        "why",
        "reason",
    ]
    assert flow.visible_questions(SURVEY, "p2", {"nps": 5, "reason": "service"}) == []
    assert [x["name"] for x in flow.visible_questions(SURVEY, "p3", {"channels": ["app"]})] == [
        "channels",
        "app_rating",
    ]


def test_progress_counts_the_visible_pages_before_this_one():
    assert flow.progress(SURVEY, "p1", {}) == 0.0
    assert flow.progress(SURVEY, "p3", {"nps": 5}) == pytest.approx(1 / 3)  # p2 is hidden
    assert flow.progress(SURVEY, "p2", {"nps": 5, "reason": "price"}) == 0.25
    assert flow.progress(SURVEY, "p4", {"nps": 5, "reason": "price"}) == 0.75
    assert flow.progress(SURVEY, "end", {}) == 1.0
    assert flow.progress(SURVEY, "nowhere", {}) == 0.0


def test_choice_order_is_shuffled_per_seed_and_stable():
    question = q("pick", "single_choice", choices=choices(*"abcdefgh"), randomize=True)
    first = flow.choice_order(question, "resume-key-1")
    assert sorted(first) == list("abcdefgh")
    assert flow.choice_order(question, "resume-key-1") == first
    orders = {tuple(flow.choice_order(question, f"key-{n}")) for n in range(20)}
    assert len(orders) > 10
    assert flow.choice_order({**question, "randomize": False}, "x") == list("abcdefgh")


# --- one page


def test_validate_page_keeps_visible_answers_and_drops_hidden_ones():
    clean, errors = flow.validate_page(
        SURVEY, "p1", {"nps": 9, "why": "ignored", "reason": "price"}, {}
    )
    assert (clean, errors) == ({"nps": 9, "reason": "price"}, {})


def test_validate_page_demands_required_visible_questions():
    clean, errors = flow.validate_page(SURVEY, "p1", {"nps": 3}, {})
    assert (clean, errors) == ({"nps": 3}, {"why": "is required"})
    clean, errors = flow.validate_page(SURVEY, "p1", {"nps": "", "why": "  "}, {})
    assert (clean, errors) == ({}, {"nps": "is required"})


def test_validate_page_ignores_fields_of_other_pages():
    clean, errors = flow.validate_page(
        SURVEY, "p1", {"nps": 7, "csrfmiddlewaretoken": "x", "age": 3}, {}
    )
    assert (clean, errors) == ({"nps": 7}, {})


def test_validate_page_of_a_hidden_page_keeps_nothing():
    clean, errors = flow.validate_page(
        SURVEY, "p2", {"expected_price": 5}, {"nps": 5, "reason": "service"}
    )
    assert (clean, errors) == ({}, {})


def test_merge_page_answers_replaces_the_page_answers():
    answers = {"nps": 3, "why": "slow", "reason": "price", "channels": ["app"]}
    merged = flow.merge_page_answers(SURVEY, "p1", answers, {"nps": 9})
    assert merged == {"channels": ["app"], "nps": 9}


# --- answer shapes


def check(name: str, value):
    """The clean value, or the reason it was refused, for a question of p4 (always visible)."""
    clean, errors = flow.validate_page(SURVEY, "p4", {name: value}, {"nps": 10})
    return errors[name] if name in errors else clean[name]


def check_p3(name: str, value, **others):
    clean, errors = flow.validate_page(SURVEY, "p3", {name: value, **others}, {"nps": 5})
    return errors[name] if name in errors else clean[name]


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("nps", 0, 0),
        ("nps", 10, 10),
        ("nps", 7.0, 7),
        ("nps", 10.5, "must be a whole number from 0 to 10"),
        ("nps", 11, "must be from 0 to 10"),
        ("nps", -1, "must be from 0 to 10"),
        ("nps", "abc", "must be a whole number from 0 to 10"),
        ("nps", "7", "must be a whole number from 0 to 10"),
        ("nps", True, "must be a whole number from 0 to 10"),
        ("nps", float("nan"), "must be a whole number from 0 to 10"),
        ("nps", [7], "must be a whole number from 0 to 10"),
    ],
)
def test_nps_takes_whole_numbers_from_0_to_10(name, value, expected):
    clean, errors = flow.validate_page(SURVEY, "p1", {name: value}, {})
    assert errors.get(name, clean.get(name)) == expected


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("csat", 5, 5),
        ("csat", 0, "must be from 1 to 5"),
        ("ces", 7, 7),
        ("ces", 8, "must be from 1 to 7"),
        ("agree", 7, 7),
        ("agree", 0, "must be from 1 to 7"),
        ("sat", {"delivery": 4}, {"delivery": 4}),
        ("sat", {"price": 1, "delivery": 5}, {"delivery": 5, "price": 1}),
        ("sat", {"delivery": 6}, "row 'delivery' must be a whole number from 1 to 5"),
        ("sat", {"delivery": "4"}, "row 'delivery' must be a whole number from 1 to 5"),
        ("sat", {"speed": 4}, "'speed' is not a row of this question"),
        ("sat", [4, 5], "must be an object of row to point"),
        ("rank", ["c", "a", "b"], ["c", "a", "b"]),
        ("rank", ["c", "a"], "must list every choice once, most preferred first"),
        ("rank", ["c", "a", "a"], "must list every choice once, most preferred first"),
        ("rank", ["c", "a", "b", "d"], "must list every choice once, most preferred first"),
        ("rank", "abc", "must list every choice once, most preferred first"),
        ("member", True, True),
        ("member", False, False),
        ("member", "yes", "must be true or false"),
        ("member", 1, "must be true or false"),
        ("visited", "2025-03-01", "2025-03-01"),
        ("visited", "2023-12-31", "must be on or after 2024-01-01"),
        ("visited", "2026-01-01", "must be on or before 2025-12-31"),
        ("visited", "2025-02-30", "must be a date, YYYY-MM-DD"),
        ("visited", "2025/03/01", "must be a date, YYYY-MM-DD"),
        ("visited", 20250301, "must be a date, YYYY-MM-DD"),
        ("order_no", "AB1234", "AB1234"),
        ("order_no", " AB1234 ", "AB1234"),
        ("order_no", "AB12345", "is not in the expected format"),
        ("order_no", "x" * 501, "must be at most 500 characters"),
        ("order_no", 1234, "must be a text"),
        ("email", "wang.fang@example.com", "wang.fang@example.com"),
        ("email", "wang.fang@example", "is not an email address"),
        ("email", "wang fang@example.com", "is not an email address"),
        ("phone", "13800138000", "13800138000"),
        ("phone", "+86 138-0013-8000", "+86 138-0013-8000"),
        ("phone", "call me", "is not a phone number"),
        ("phone", "123", "is not a phone number"),
        ("phone", "+86 1380013800012345", "is not a phone number"),
        ("age", 30, 30),
        ("age", 30.0, 30),
        ("age", 30.5, "must be a whole number"),
        ("age", 121, "must be at most 120"),
        ("age", -1, "must be at least 0"),
        ("age", "30", "must be a number"),
        ("age", True, "must be a number"),
        ("age", float("inf"), "must be a number"),
        ("age", 1e16, "must be a number"),
        ("city", "sh", "sh"),
        ("city", "gz", "is not one of the choices offered"),
        ("city", {"other": "广州"}, "is not one of the choices offered"),
        ("bio", "短", "must be at least 2 characters"),
        ("bio", "很长" * 11, "must be at most 20 characters"),
        ("bio", "line one\nline two", "line one\nline two"),
    ],
)
def test_answer_shapes_of_every_type(name, value, expected):
    assert check(name, value) == expected


def test_long_text_is_at_most_10000_characters():
    question = q("comment", "long_text")
    assert flow.validate_answer(question, "好" * 10_000) == "好" * 10_000
    with pytest.raises(ValueError, match="must be at most 10000 characters"):
        flow.validate_answer(question, "好" * 10_001)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("price", "price"),
        ({"other": " 质量 "}, {"other": "质量"}),
        ({"other": ""}, 'please say what "other" is'),
        ("other", 'please say what "other" is'),
        ({"other": "x", "extra": 1}, "is not one of the choices offered"),
        ({"other": 5}, 'please say what "other" is'),
        ({"other": "x" * 501}, 'the "other" text is at most 500 characters'),
        ("cheap", "is not one of the choices offered"),
        (["price"], "is not one of the choices offered"),
        (1, "is not one of the choices offered"),
    ],
)
def test_single_choice_refuses_a_choice_not_offered(value, expected):
    clean, errors = flow.validate_page(SURVEY, "p1", {"nps": 7, "reason": value}, {})
    assert errors.get("reason", clean.get("reason")) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (["app"], ["app"]),
        (["web", {"other": "小程序"}], ["web", {"other": "小程序"}]),
        (["app", "web", "store"], "choose at most 2"),
        (["app", "app"], "names a choice twice"),
        ([{"other": "a"}, {"other": "b"}], "names a choice twice"),
        (["fax"], "is not one of the choices offered"),
        ("app", "must be a list of choices"),
    ],
)
def test_multiple_choice_counts_and_choices(value, expected):
    assert check_p3("channels", value) == expected


def test_multiple_choice_minimum_count():
    question = q(
        "pick", "multiple_choice", choices=choices("a", "b", "c"), validation={"min_choices": 2}
    )
    with pytest.raises(ValueError, match="choose at least 2"):
        flow.validate_answer(question, ["a"])


def test_a_rating_stays_in_its_scale():
    assert check_p3("app_rating", 10, channels=["app"]) == 10
    assert check_p3("app_rating", 11, channels=["app"]) == "must be from 1 to 10"
    # hidden without "app": the answer is dropped, not an error
    clean, errors = flow.validate_page(SURVEY, "p3", {"channels": ["web"], "app_rating": 99}, {})
    assert (clean, errors) == ({"channels": ["web"]}, {})


def test_a_required_matrix_needs_every_row():
    question = q("grid", "matrix", rows=choices("a", "b"), scale={"points": 5}, required=True)
    with pytest.raises(ValueError, match=r"needs an answer in every row \(missing: b\)"):
        flow.validate_answer(question, {"a": 3})
    assert flow.validate_answer(question, {"b": 1, "a": 3}) == {"a": 3, "b": 1}


def test_a_matrix_with_columns_takes_column_positions():
    question = q("grid", "matrix", rows=choices("a"), columns=choices("bad", "ok", "good"))
    assert flow.validate_answer(question, {"a": 3}) == {"a": 3}
    with pytest.raises(ValueError, match="row 'a' must be a whole number from 1 to 3"):
        flow.validate_answer(question, {"a": 4})


def test_a_regex_on_a_definition_that_skipped_validation_is_not_run_when_too_long():
    question = q("code", "short_text", validation={"regex": "a" * 201})
    assert flow.validate_answer(question, "b") == "b"


# --- the whole response


def test_validate_response_walks_the_path_and_keeps_what_was_shown():
    answers = {
        "nps": 5,
        "why": "太贵",
        "reason": "price",
        "expected_price": 99.5,
        "channels": ["app"],
        "app_rating": 8,
    }
    assert flow.validate_response(SURVEY, answers) == (answers, {})


def test_validate_response_drops_answers_of_skipped_pages_and_hidden_questions():
    answers = {"nps": 10, "why": "x", "expected_price": 1, "channels": ["app"], "member": True}
    assert flow.validate_response(SURVEY, answers) == ({"nps": 10, "member": True}, {})


def test_validate_response_names_every_bad_answer():
    answers = {"nps": 5, "reason": "cheap", "channels": [], "nonsense": 1, "age": 200}
    clean, errors = flow.validate_response(SURVEY, answers)
    assert clean == {"nps": 5}
    assert errors == {
        "nonsense": "is not a question of this survey",
        "why": "is required",
        "reason": "is not one of the choices offered",
        "age": "must be at most 120",
    }


def test_validate_response_refuses_what_is_not_an_object():
    assert flow.validate_response(SURVEY, ["nps", 5]) == (
        {},
        {"answers": "must be an object of question name to answer"},
    )


def test_validate_response_for_a_detractor_who_ends_early():
    assert flow.validate_response(SURVEY, {"nps": 0, "why": "差", "member": True}) == (
        {"nps": 0, "why": "差"},
        {},
    )


def test_reasons_can_be_translated():
    _, errors = flow.validate_response(SURVEY, {"nps": 11})
    assert errors["nps"].template == "must be from %(low)s to %(high)s"
    assert (
        errors["nps"].translate(lambda template: "应在 %(low)s 到 %(high)s 之间")
        == "应在 0 到 10 之间"
    )


# --- forms


def form(**fields) -> QueryDict:
    data = QueryDict(mutable=True)
    for key, value in fields.items():
        data.setlist(key.replace("__", "."), value if isinstance(value, list) else [value])
    return data


@pytest.mark.parametrize(
    ("question", "raw", "other", "expected"),
    [
        (q("n", "nps"), ["7"], "", 7),
        (q("n", "nps"), [" 7 "], "", 7),
        (q("n", "nps"), [""], "", None),
        (q("n", "nps"), [], "", None),
        (q("c", "single_choice"), ["a"], "", "a"),
        (q("c", "single_choice"), ["__other__"], " 别的 ", {"other": "别的"}),
        (q("c", "multiple_choice"), ["a", "__other__"], "x", ["a", {"other": "x"}]),
        (q("y", "yes_no"), ["yes"], "", True),
        (q("y", "yes_no"), ["false"], "", False),
        (q("m", "matrix"), ["delivery=4", "price=2"], "", {"delivery": 4, "price": 2}),
        (q("r", "ranking"), ["b", "a"], "", ["b", "a"]),
        (q("x", "numeric"), ["3.5"], "", 3.5),
        (q("x", "numeric"), ["-12"], "", -12),
        (q("x", "numeric"), ["1,234.5"], "", 1234.5),
        (q("x", "numeric"), ["1e3"], "", 1000.0),
        (q("d", "date"), ["2025-03-01"], "", "2025-03-01"),
        (q("t", "long_text"), ["  第一行\n第二行  "], "", "第一行\n第二行"),
    ],
)
def test_coerce_form_value(question, raw, other, expected):
    assert flow.coerce_form_value(question, raw, other) == expected


@pytest.mark.parametrize(
    ("question", "raw", "reason"),
    [
        (q("n", "nps"), ["abc"], "must be a whole number"),
        (q("n", "nps"), ["10.5"], "must be a whole number"),
        (q("y", "yes_no"), ["maybe"], "must be yes or no"),
        (q("m", "matrix"), ["delivery"], "each row needs one point of the scale"),
        (q("m", "matrix"), ["delivery=x"], "must be a whole number"),
        (q("x", "numeric"), ["twelve"], "must be a number"),
        (q("x", "numeric"), ["nan"], "must be a number"),
    ],
)
def test_coerce_form_value_refuses_what_is_not_the_shape(question, raw, reason):
    with pytest.raises(ValueError) as caught:
        flow.coerce_form_value(question, raw)
    assert str(caught.value) == reason


def test_read_page_form_then_validate_page():
    submitted, errors = flow.read_page_form(
        SURVEY, "p1", form(nps="4", why="太贵了", reason="__other__", reason__other="质量")
    )
    assert (submitted, errors) == ({"nps": 4, "why": "太贵了", "reason": {"other": "质量"}}, {})
    assert flow.validate_page(SURVEY, "p1", submitted, {}) == (submitted, {})


def test_read_page_form_reads_matrix_rows_and_ranks():
    submitted, errors = flow.read_page_form(
        SURVEY, "p4", form(sat__delivery="4", sat__price="", rank__a="2", rank__b="3", rank__c="1")
    )
    assert errors == {}
    assert submitted["sat"] == {"delivery": 4}
    assert submitted["rank"] == ["c", "a", "b"]
    assert submitted["member"] is None


def test_read_page_form_reports_a_bad_shape_by_question():
    _, errors = flow.read_page_form(SURVEY, "p4", form(age="old", rank__a="first"))
    assert errors == {"age": "must be a number", "rank": "each rank must be a whole number"}


def test_read_page_form_accepts_a_plain_mapping():
    submitted, _ = flow.read_page_form(
        SURVEY, "p3", {"channels": ["app", "web"], "app_rating": "9"}
    )
    assert submitted == {"channels": ["app", "web"], "app_rating": 9}


# --- flattening


def test_flatten_answers_gives_the_response_value_rows():
    answers = {
        "nps": 5,
        "why": "太贵",
        "reason": {"other": "质量"},
        "expected_price": 99.5,
        "channels": ["app", {"other": "小程序"}],
        "sat": {"delivery": 4, "price": 2},
        "rank": ["c", "a", "b"],
        "member": False,
        "visited": "2025-03-01",
        "city": "sh",
        "unknown": 1,
    }
    assert flow.flatten_answers(SURVEY, answers) == [
        ("nps", "", 5.0, ""),
        ("why", "", None, "太贵"),
        ("reason", "other", None, "质量"),
        ("expected_price", "", 99.5, ""),
        ("channels", "", None, "app"),
        ("channels", "other", None, "小程序"),
        ("sat", "delivery", 4.0, ""),
        ("sat", "price", 2.0, ""),
        ("rank", "c", 1.0, ""),
        ("rank", "a", 2.0, ""),
        ("rank", "b", 3.0, ""),
        ("member", "", 0.0, ""),
        ("visited", "", None, "2025-03-01"),
        ("city", "", None, "sh"),
    ]


# --- properties -----------------------------------------------------------------------------------

json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-20, 20),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from(
            ["price", "service", "app", "web", "a", "b", "c", "delivery", "2025-03-01"]
        ),
        st.text(max_size=8),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(["other", "delivery", "price", "x"]), inner, max_size=3),
    ),
    max_leaves=6,
)
question_names = [question["name"] for page in SURVEY["pages"] for question in page["questions"]]
answer_dicts = st.dictionaries(st.sampled_from([*question_names, "stray"]), json_values)


@settings(max_examples=300, deadline=None)
@given(answer_dicts)
def test_validate_response_never_raises_and_its_clean_answers_pass_again(answers):
    clean, errors = flow.validate_response(SURVEY, answers)
    assert set(clean) <= set(answers)
    assert not set(clean) & set(errors)
    assert set(errors) <= set(answers) | {"nps", "why"}  # the required ones
    if not errors:
        assert flow.validate_response(SURVEY, clean) == (clean, {})
    flow.flatten_answers(SURVEY, clean)


@settings(max_examples=200, deadline=None)
@given(answer_dicts, st.sampled_from(["p1", "p2", "p3", "p4"]))
def test_navigation_never_raises_and_moves_forward(answers, page_name):
    following = flow.next_page(SURVEY, page_name, answers)
    order = ["p1", "p2", "p3", "p4", "end"]
    assert order.index(following) > order.index(page_name)
    assert 0.0 <= flow.progress(SURVEY, page_name, answers) < 1.0
    flow.validate_page(SURVEY, page_name, answers, answers)
    flow.visible_questions(SURVEY, page_name, answers)


def test_a_matrix_with_every_row_null_is_unanswered():
    optional = q("grid", "matrix", rows=choices("a", "b"), scale={"points": 5})
    definition = {**SURVEY, "pages": [{"name": "only", "questions": [optional]}]}
    assert flow.validate_page(definition, "only", {"grid": {"a": None}}, {}) == ({}, {})
    required = {**optional, "required": True}
    definition = {**SURVEY, "pages": [{"name": "only", "questions": [required]}]}
    assert flow.validate_page(definition, "only", {"grid": {"a": None}}, {}) == (
        {},
        {"grid": "is required"},
    )


def test_a_phone_number_may_start_with_an_area_code_in_brackets():
    assert flow.validate_answer(q("tel", "phone"), "(021) 6234-5678") == "(021) 6234-5678"
