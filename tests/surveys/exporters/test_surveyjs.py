"""Kesheng definition -> SurveyJS JSON, and back: the round trip gives the same questions."""

import json

import pytest

from kesheng.surveys.builtin import get_template, list_templates
from kesheng.surveys.exporters.surveyjs import export_surveyjs
from kesheng.surveys.importers.surveyjs import convert_surveyjs

EVERY_TYPE = {
    "format": "kesheng-survey/1",
    "languages": ["zh-hans", "en"],
    "default_language": "zh-hans",
    "title": {"zh-hans": "全部题型", "en": "Every type"},
    "description": None,
    "thank_you": {"zh-hans": "谢谢", "en": "Thanks"},
    "show_progress": True,
    "pages": [
        {
            "name": "p1",
            "title": {"zh-hans": "第一页", "en": "Page one"},
            "visible_if": None,
            "skip": [{"if": "{nps} >= 9", "to": "p3"}, {"if": "{agree} = false", "to": "end"}],
            "questions": [
                {
                    "name": "nps",
                    "type": "nps",
                    "title": {"zh-hans": "推荐？", "en": "Recommend?"},
                    "description": None,
                    "required": True,
                    "visible_if": None,
                },
                {
                    "name": "csat",
                    "type": "csat",
                    "title": {"zh-hans": "满意？"},
                    "description": None,
                    "required": False,
                    "visible_if": None,
                },
                {
                    "name": "ces",
                    "type": "ces",
                    "title": {"zh-hans": "容易？"},
                    "description": None,
                    "required": False,
                    "visible_if": None,
                },
                {
                    "name": "agree",
                    "type": "yes_no",
                    "title": {"zh-hans": "同意？"},
                    "description": {"zh-hans": "说明", "en": "Note"},
                    "required": False,
                    "visible_if": "{nps} <= 6",
                },
                {
                    "name": "likert",
                    "type": "likert",
                    "title": {"zh-hans": "同意程度"},
                    "description": None,
                    "required": False,
                    "visible_if": None,
                    "scale": {"points": 7},
                },
                {
                    "name": "stars",
                    "type": "rating",
                    "title": {"zh-hans": "星级"},
                    "description": None,
                    "required": False,
                    "visible_if": None,
                    "scale": {
                        "min": 1,
                        "max": 5,
                        "min_label": {"zh-hans": "差"},
                        "max_label": {"zh-hans": "好"},
                        "style": "stars",
                    },
                },
            ],
        },
        {
            "name": "p2",
            "title": None,
            "visible_if": "{nps} notempty",
            "skip": [],
            "questions": [
                {
                    "name": "channel",
                    "type": "single_choice",
                    "title": {"zh-hans": "渠道"},
                    "description": None,
                    "required": True,
                    "visible_if": None,
                    "choices": [
                        {"value": "app", "text": {"zh-hans": "App", "en": "App"}},
                        {"value": "store", "text": {"zh-hans": "门店", "en": "Store"}},
                    ],
                    "has_other": True,
                    "randomize": True,
                },
                {
                    "name": "pick",
                    "type": "multiple_choice",
                    "title": {"zh-hans": "多选"},
                    "description": None,
                    "required": False,
                    "visible_if": "{channel} anyof ['app']",
                    "choices": [
                        {"value": "a", "text": {"zh-hans": "甲"}},
                        {"value": "b", "text": {"zh-hans": "乙"}},
                    ],
                    "has_other": False,
                    "validation": {"min_choices": 1, "max_choices": 2},
                },
                {
                    "name": "city",
                    "type": "dropdown",
                    "title": {"zh-hans": "城市"},
                    "description": None,
                    "required": False,
                    "visible_if": None,
                    "choices": [{"value": "sh", "text": {"zh-hans": "上海"}}],
                    "has_other": False,
                },
                {
                    "name": "order",
                    "type": "ranking",
                    "title": {"zh-hans": "排序"},
                    "description": None,
                    "required": False,
                    "visible_if": None,
                    "choices": [
                        {"value": "x", "text": {"zh-hans": "X"}},
                        {"value": "y", "text": {"zh-hans": "Y"}},
                    ],
                },
                {
                    "name": "grid",
                    "type": "matrix",
                    "title": {"zh-hans": "矩阵"},
                    "description": None,
                    "required": True,
                    "visible_if": None,
                    "rows": [{"value": "r1", "text": {"zh-hans": "行一"}}],
                    "scale": {"points": 5},
                },
                {
                    "name": "grid10",
                    "type": "matrix",
                    "title": {"zh-hans": "十分"},
                    "description": None,
                    "required": False,
                    "visible_if": None,
                    "rows": [{"value": "S1", "text": {"zh-hans": "一"}}],
                    "columns": [
                        {"value": str(point), "text": {"zh-hans": str(point)}}
                        for point in range(1, 11)
                    ],
                },
            ],
        },
        {
            "name": "p3",
            "title": None,
            "visible_if": None,
            "skip": [],
            "questions": [
                {
                    "name": "amount",
                    "type": "numeric",
                    "title": {"zh-hans": "金额"},
                    "description": None,
                    "required": False,
                    "visible_if": None,
                    "validation": {"min": 0, "max": 999, "integer": True},
                },
                {
                    "name": "day",
                    "type": "date",
                    "title": {"zh-hans": "日期"},
                    "description": None,
                    "required": False,
                    "visible_if": None,
                    "validation": {"min": "2024-01-01"},
                },
                {
                    "name": "code",
                    "type": "short_text",
                    "title": {"zh-hans": "代码"},
                    "description": None,
                    "required": False,
                    "visible_if": None,
                    "validation": {"regex": "^[A-Z]{3}$", "max_length": 3},
                },
                {
                    "name": "story",
                    "type": "long_text",
                    "title": {"zh-hans": "故事"},
                    "description": None,
                    "required": False,
                    "visible_if": None,
                    "validation": {"max_length": 2000},
                },
                {
                    "name": "mail",
                    "type": "email",
                    "title": {"zh-hans": "邮箱"},
                    "description": None,
                    "required": False,
                    "visible_if": None,
                },
                {
                    "name": "tel",
                    "type": "phone",
                    "title": {"zh-hans": "电话"},
                    "description": None,
                    "required": False,
                    "visible_if": None,
                },
            ],
        },
    ],
}


def round_trip(definition: dict):
    exported = json.loads(json.dumps(export_surveyjs(definition)))
    return exported, convert_surveyjs(exported)


def test_export_writes_surveyjs_types_and_localised_strings():
    exported, _ = round_trip(EVERY_TYPE)

    assert exported["locale"] == "zh-cn"
    assert exported["title"] == {"default": "全部题型", "en": "Every type"}
    first = exported["pages"][0]["elements"]
    assert first[0] == {
        "name": "nps",
        "title": {"default": "推荐？", "en": "Recommend?"},
        "isRequired": True,
        "type": "rating",
        "rateMin": 0,
        "rateMax": 10,
        "kesheng_type": "nps",
    }
    assert exported["triggers"] == [
        {"type": "skip", "expression": "{nps} >= 9", "gotoName": "amount"},
        {"type": "complete", "expression": "{agree} = false"},
    ]


def test_export_then_import_gives_the_same_questions_pages_and_logic():
    _, converted = round_trip(EVERY_TYPE)

    assert converted.unmapped == []
    assert converted.definition == EVERY_TYPE


@pytest.mark.parametrize("key", [template.key for template in list_templates()])
def test_every_builtin_template_survives_the_round_trip(key):
    definition = get_template(key).definition
    _, converted = round_trip(definition)

    assert converted.unmapped == []
    assert converted.definition["pages"] == definition["pages"]


def test_a_matrix_condition_compares_the_column_value_in_surveyjs_and_its_position_in_kesheng():
    definition = {
        "format": "kesheng-survey/1",
        "languages": ["en"],
        "default_language": "en",
        "title": {"en": "Grid"},
        "pages": [
            {
                "name": "p1",
                "title": None,
                "visible_if": None,
                "skip": [],
                "questions": [
                    {
                        "name": "grid",
                        "type": "matrix",
                        "title": {"en": "Rate"},
                        "description": None,
                        "required": False,
                        "visible_if": None,
                        "rows": [{"value": "r1", "text": {"en": "One"}}],
                        "columns": [
                            {"value": "A1", "text": {"en": "Bad"}},
                            {"value": "A2", "text": {"en": "Good"}},
                        ],
                    },
                    {
                        "name": "why",
                        "type": "long_text",
                        "title": {"en": "Why?"},
                        "description": None,
                        "required": False,
                        "visible_if": "{grid.r1} = 1",
                    },
                ],
            }
        ],
    }
    exported, converted = round_trip(definition)

    assert exported["pages"][0]["elements"][1]["visibleIf"] == "{grid.r1} = 'A1'"
    assert converted.definition["pages"] == definition["pages"]
