"""The condition language: parsing, errors with positions, evaluation of unanswered questions."""

import contextlib
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kesheng.surveys.logic import (
    ConditionError,
    Message,
    evaluate_condition,
    localize_reason,
    parse_condition,
    tokenize,
)

ANSWERS = {
    "nps": 5,
    "csat": 2,
    "visit_reason": "complaint",
    "channels": ["app", "wechat"],
    "comment": "送货太慢了",
    "agree": True,
    "refuse": False,
    "satisfaction": {"delivery": 4, "price": 2},
    "visit_date": "2025-03-01",
    "code": "1",
}


def holds(text: str, answers=ANSWERS) -> bool:
    return parse_condition(text).evaluate(answers)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{nps} <= 6", True),
        ("{nps} < 5", False),
        ("{nps} >= 5", True),
        ("{nps} > 5", False),
        ("{nps} = 5", True),
        ("{nps} == 5", True),
        ("{nps} != 5", False),
        ("{nps} = 5.0", True),
        ("{nps} > -1", True),
        ("{visit_reason} = 'complaint' and {csat} < 3", True),
        ('{visit_reason} = "complaint" and {csat} >= 3', False),
        ("{channels} anyof ['app', 'web']", True),
        ("{channels} anyof ['web', 'store']", False),
        ("{channels} allof ['app', 'wechat']", True),
        ("{channels} allof ['app', 'web']", False),
        ("{visit_reason} anyof ['complaint', 'praise']", True),
        ("{visit_reason} allof ['complaint']", True),
        ("{channels} contains 'app'", True),
        ("{channels} notcontains 'app'", False),
        ("{comment} contains '太慢'", True),
        ("{comment} notcontains '太慢'", False),
        ("{comment} notempty", True),
        ("{comment} empty", False),
        ("{agree}", True),
        ("{refuse}", False),
        ("{agree} = true", True),
        ("{refuse} = false", True),
        ("not {agree}", False),
        ("!{refuse}", True),
        ("{satisfaction.delivery} >= 4", True),
        ("{satisfaction.price} >= 4", False),
        ("{visit_date} >= '2025-01-01' and {visit_date} < '2025-04-01'", True),
        ("{code} = 1", True),
        ("{nps} = '5'", True),
        ("{nps} <= 6 || {csat} > 4", True),
        ("{nps} > 6 && {csat} < 3", False),
        ("({nps} > 6 or {csat} < 3) and {agree}", True),
        ("{nps} > 6 or {csat} < 3 and {refuse}", False),
        ("not {nps} > 6 and not {refuse}", True),
        ("({nps} > 6) = false", True),
        ("true", True),
        ("false or true", True),
        ("{channels} = ['app', 'wechat']", True),
        ("{agree} = 1", False),
        ("{comment} > 3", False),
    ],
)
def test_evaluates(text, expected):
    assert holds(text) is expected


def test_keywords_are_case_insensitive():
    assert holds("{nps} <= 6 AND {channels} AnyOf ['app'] And Not {comment} EMPTY") is True
    assert holds("TRUE") is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{missing} = 1", False),
        ("{missing} != 1", True),
        ("{missing} < 1", False),
        ("{missing} > 1", False),
        ("{missing} <= 1", False),
        ("{missing} >= 1", False),
        ("{missing} contains 'a'", False),
        ("{missing} notcontains 'a'", False),
        ("{missing} anyof ['a']", False),
        ("{missing} allof ['a']", False),
        ("{missing} empty", True),
        ("{missing} notempty", False),
        ("{missing}", False),
        ("not {missing} = 1", True),
        ("{nps} = {missing}", False),
        ("{satisfaction.missing} empty", True),
        ("{nps.row} empty", True),
    ],
)
def test_an_unanswered_question_has_no_value(text, expected):
    assert holds(text) is expected


@pytest.mark.parametrize("blank", [None, "", "   ", [], {}])
def test_blank_answers_count_as_unanswered(blank):
    assert holds("{q} empty", {"q": blank}) is True
    assert holds("{q} != 'x'", {"q": blank}) is True
    assert holds("{q} = 'x'", {"q": blank}) is False


def test_names_lists_every_question_read():
    condition = parse_condition("{a} = 1 and ({b.row} > 2 or {c} anyof [{d}, 'x']) and not {a}")
    assert condition.names == frozenset({"a", "b", "c", "d"})
    assert condition.references == frozenset({("a", None), ("b", "row"), ("c", None), ("d", None)})


def test_parsed_conditions_are_cached_by_text():
    assert parse_condition("{nps} <= 6") is parse_condition("{nps} <= 6")


def test_evaluate_condition_without_a_condition_holds():
    assert evaluate_condition(None, {}) is True
    assert evaluate_condition("", {}) is True
    assert evaluate_condition("  ", {}) is True
    assert evaluate_condition("{nps} > 8", {"nps": 9}) is True
    assert evaluate_condition("{nps} > 8", {"nps": 3}) is False


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("{nps} <= 6)", "unexpected ')' at 11", 11),
        ("({nps} <= 6", "')' missing at the end (12)", 12),
        ("{nps} <=", "the condition ends too early (at 9)", 9),
        ("{nps} 6", "unexpected '6' at 7", 7),
        ("nps <= 6", "unknown word 'nps' at 1 (a question is written {name}, a text in quotes)", 1),
        ("{nps <= 6", "'{' at 1 is never closed", 1),
        (
            "{1st} = 1",
            "'{1st}' at 1 is not a question name (letters, digits and _, starting with a letter)",
            1,
        ),
        (
            "{a.} = 1",
            "'{a.}' at 1 is not a question name (letters, digits and _, starting with a letter)",
            1,
        ),
        ("{a} = 'open", "the text at 7 is never closed", 7),
        ("{a} # 1", "unexpected '#' at 5", 5),
        ("{a} = 1 = 2", "unexpected '=' at 9", 9),
        ("{a} anyof [1, ", "the condition ends too early (at 15)", 15),
        ("{a} anyof [1 2]", "expected ']' but found '2' at 14", 14),
        ("{a} anyof [[1]]", "unexpected '[' at 12", 12),
        ("", "the condition is empty", 1),
        ("and", "unexpected 'and' at 1", 1),
        ("not", "the condition ends too early (at 4)", 4),
        ("{a} = 1 and", "the condition ends too early (at 12)", 12),
    ],
)
def test_a_bad_condition_is_refused_with_its_position(text, message, position):
    with pytest.raises(ConditionError) as caught:
        parse_condition(text)
    assert str(caught.value) == message
    assert caught.value.position == position


def test_too_long_or_too_deep_conditions_are_refused():
    with pytest.raises(ConditionError, match="at most 2000 characters"):
        parse_condition("{a} = 1 or " * 200 + "{a} = 1")
    with pytest.raises(ConditionError, match="nests too deeply"):
        parse_condition("(" * 60 + "{a}" + ")" * 60)
    with pytest.raises(ConditionError, match="nests too deeply"):
        parse_condition("not " * 60 + "{a}")


def test_strings_take_escaped_quotes():
    assert holds("{q} = 'it\\'s'", {"q": "it's"}) is True
    assert holds('{q} = "say \\"hi\\""', {"q": 'say "hi"'}) is True


def test_a_message_translates_its_template():
    message = Message("must be from %(low)s to %(high)s", low=0, high=10)
    assert message == "must be from 0 to 10"
    assert message.translate(lambda text: text.replace("must be from", "应在")) == "应在 0 to 10"
    assert message.localize(lambda text: text.replace("must be from", "应在")) == "应在 0 to 10"
    assert pickle.loads(pickle.dumps(message)).template == "must be from %(low)s to %(high)s"


def test_a_message_still_translates_like_a_str_with_a_table():
    assert Message("abc").translate({ord("a"): "x"}) == "xbc"


def test_localize_reason_takes_messages_and_plain_text():
    def german(template: str) -> str:
        return template.replace("is ", "ist ")

    assert localize_reason(Message("is %(what)s", what="required"), german) == "ist required"
    assert localize_reason("this is plain", german) == "this is plain"


def test_tokens_record_their_positions():
    tokens = tokenize("{a} >= -2.5 && 'x'")
    assert [(token.kind, token.value, token.position) for token in tokens] == [
        ("var", ("a", None), 1),
        ("symbol", ">=", 5),
        ("number", -2.5, 8),
        ("keyword", "and", 13),
        ("string", "x", 16),
        ("end", None, 19),
    ]


# --- properties

names = st.sampled_from(["a", "b", "nps", "q_1", "m.row"])
literals = st.one_of(
    st.integers(-20, 20).map(str),
    st.floats(-100, 100, allow_nan=False).map(lambda number: f"{number:.2f}"),
    st.text(alphabet="abc '\"\\中", max_size=5).map(
        lambda text: "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
    ),
    st.sampled_from(["true", "false", "TRUE"]),
)
operands = st.one_of(
    names.map(lambda name: "{" + name + "}"),
    literals,
    st.lists(literals, min_size=1, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
)
operators = st.sampled_from(
    ["=", "!=", "<", "<=", ">", ">=", "contains", "notcontains", "anyof", "allof", "=="]
)
comparisons = st.one_of(
    st.tuples(operands, operators, operands).map(" ".join),
    st.tuples(operands, st.sampled_from(["empty", "notempty"])).map(" ".join),
    operands,
)
conditions = st.recursive(
    comparisons,
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["and", "or", "&&", "||", "AND"]), inner).map(" ".join),
        inner.map(lambda text: "not " + text),
        inner.map(lambda text: "(" + text + ")"),
    ),
    max_leaves=8,
)
answer_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 10),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
    st.lists(st.one_of(st.text(max_size=3), st.integers()), max_size=3),
    st.dictionaries(st.just("row"), st.integers(0, 10)),
)
answer_sets = st.dictionaries(st.sampled_from(["a", "b", "nps", "q_1", "m"]), answer_values)


@settings(max_examples=300, deadline=None)
@given(conditions, answer_sets)
def test_well_formed_conditions_parse_and_evaluate_to_a_boolean(text, answers):
    try:
        condition = parse_condition(text)
    except ConditionError:
        return  # e.g. "{a} = 1 = 2" built from a comparison inside a comparison
    assert condition.evaluate(answers) in (True, False)
    assert condition.names <= {"a", "b", "nps", "q_1", "m"}


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="{}[](),.'\"\\!=<>&|-0123456789 abcdefnotruqyl_中", max_size=40))
def test_garbage_only_ever_raises_condition_error(text):
    try:
        condition = parse_condition(text)
    except ConditionError as error:
        assert isinstance(error.message, str) and error.message
        return
    assert condition.evaluate({"a": 1, "b": ["x"], "e": "abc"}) in (True, False)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_any_text_only_ever_raises_condition_error(text):
    with contextlib.suppress(ConditionError):
        parse_condition(text)


@pytest.mark.parametrize("not_text", [5, ["{a}"], {"a": 1}, True])
def test_a_condition_that_is_not_text_is_a_condition_error(not_text):
    with pytest.raises(ConditionError, match="a condition is a text"):
        parse_condition(not_text)
    with pytest.raises(ConditionError, match="a condition is a text"):
        evaluate_condition(not_text, {})
