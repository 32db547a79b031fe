"""The editor's changes to a definition (pure functions) and its text formats."""

import pytest

from kesheng.surveys import editing
from kesheng.surveys.definition import validate_definition
from tests.surveys.results_fixtures import SAMPLE_DEFINITION


def names(definition):
    return [[q["name"] for q in page["questions"]] for page in definition["pages"]]


def test_blank_definition_is_valid_and_has_one_question():
    definition = editing.blank_definition("门店调查")
    assert validate_definition(definition) == []
    assert names(definition) == [["q1"]]
    assert definition["title"] == {"zh-hans": "门店调查", "en": "门店调查"}


def test_next_name_skips_names_in_use():
    assert editing.next_name(SAMPLE_DEFINITION, "q") == "q1"
    assert editing.next_name(SAMPLE_DEFINITION, "p") == "p3"
    definition = editing.add_question(SAMPLE_DEFINITION, "p1", {"name": "q7", "type": "email"})
    assert editing.next_name(definition, "q") == "q8"


def test_changes_leave_the_original_untouched():
    before = names(SAMPLE_DEFINITION)
    editing.delete_question(SAMPLE_DEFINITION, "nps")
    editing.move_question(SAMPLE_DEFINITION, "csat", -1)
    assert names(SAMPLE_DEFINITION) == before


def test_move_question_within_and_across_pages_and_not_past_the_ends():
    moved = editing.move_question(SAMPLE_DEFINITION, "csat", -1)
    assert names(moved)[0][:2] == ["csat", "nps"]
    moved = editing.move_question(SAMPLE_DEFINITION, "satisfaction", -1)
    assert names(moved)[0][-1] == "satisfaction"
    assert names(moved)[1][0] == "rank"
    assert editing.move_question(SAMPLE_DEFINITION, "nps", -1) == SAMPLE_DEFINITION
    assert editing.move_question(SAMPLE_DEFINITION, "comment", 1) == SAMPLE_DEFINITION


def test_replace_question_to_another_page_appends_it_there():
    question = {"name": "age", "type": "numeric", "title": {"zh-hans": "年龄"}}
    moved = editing.replace_question(SAMPLE_DEFINITION, "age", question, "p1")
    assert names(moved)[0][-1] == "age"
    assert "age" not in names(moved)[1]


def test_unknown_names_are_an_edit_error():
    with pytest.raises(editing.EditError):
        editing.delete_question(SAMPLE_DEFINITION, "nosuch")
    with pytest.raises(editing.EditError):
        editing.move_page(SAMPLE_DEFINITION, "p9", 1)


def test_pages_are_added_moved_deleted_and_renamed_in_skip_rules():
    definition, page_name = editing.add_page(SAMPLE_DEFINITION)
    assert page_name == "p3"
    assert names(definition)[2] == ["q1"]
    definition = editing.update_page(definition, "p1", {"skip": [{"if": "{nps} >= 9", "to": "p3"}]})
    definition = editing.update_page(definition, "p3", {"name": "closing", "title": None})
    assert definition["pages"][0]["skip"] == [{"if": "{nps} >= 9", "to": "closing"}]
    definition = editing.move_page(definition, "closing", -1)
    assert [page["name"] for page in definition["pages"]] == ["p1", "closing", "p2"]
    definition = editing.delete_page(definition, "closing")
    assert [page["name"] for page in definition["pages"]] == ["p1", "p2"]


def test_items_are_read_one_per_line_and_written_back():
    items, problems = editing.parse_items("app|应用|App\n\nstore|门店\nweb\n|无值")
    assert items == [
        {"value": "app", "text": {"zh-hans": "应用", "en": "App"}},
        {"value": "store", "text": {"zh-hans": "门店"}},
        {"value": "web", "text": {"zh-hans": "web"}},
    ]
    assert problems == ["line 5: the value before the first | is missing"]
    assert editing.format_items(items) == "app|应用|App\nstore|门店\nweb|web"


def test_skip_rules_split_at_the_last_bar_so_conditions_may_use_or():
    rules, problems = editing.parse_skip_rules("{a} = 1 || {b} = 2 | end\n{nps} >= 9 |\nno bar")
    assert rules == [{"if": "{a} = 1 || {b} = 2", "to": "end"}]
    assert problems == [
        "line 2: write the condition, then | and the page to go to",
        "line 3: write the condition, then | and the page to go to",
    ]
    assert editing.format_skip_rules(rules) == "{a} = 1 || {b} = 2 | end"


def test_renamed_questions_pairs_names_by_place_then_by_title():
    import copy

    changed = copy.deepcopy(SAMPLE_DEFINITION)
    changed["pages"][0]["questions"][0]["name"] = "recommend"  # same place
    age = changed["pages"][1]["questions"].pop(2)
    age["name"] = "years"
    changed["pages"][0]["questions"].insert(0, age)  # moved, same title
    assert editing.renamed_questions(SAMPLE_DEFINITION, changed) == [
        ("age", "years"),
        ("nps", "recommend"),
    ]
    assert editing.rename_token([("nps", "recommend"), ("age", "years")]) == (
        "age>years,nps>recommend"
    )


def test_renamed_questions_ignores_deletions_additions_and_malformed_definitions():
    deleted = editing.delete_question(SAMPLE_DEFINITION, "age")
    assert editing.renamed_questions(SAMPLE_DEFINITION, deleted) == []
    added = editing.add_question(SAMPLE_DEFINITION, "p2", {"name": "q9", "type": "email"})
    assert editing.renamed_questions(SAMPLE_DEFINITION, added) == []
    assert editing.renamed_questions(SAMPLE_DEFINITION, {"pages": "nope"}) == []
    assert editing.renamed_questions(SAMPLE_DEFINITION, {"pages": [{"questions": [1]}]}) == []
