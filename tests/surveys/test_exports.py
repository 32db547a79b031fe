"""Exports read back as an analyst's tools read them: pyreadstat for SPSS, openpyxl, csv."""

import csv
from datetime import UTC, datetime

import pyreadstat
import pytest
from django.utils.translation import gettext, override
from openpyxl import load_workbook

from kesheng.surveys.actions.surveys import update_definition
from kesheng.surveys.exports import ExportError, _spss_name, export_responses
from tests.surveys.results_fixtures import (
    SAMPLE_DEFINITION,
    add_completed_response,
    add_response_in_progress,
    make_sample_survey,
)

# Fixed wording is translated into the survey's default language (here zh-hans).
with override("zh-hans"):
    YES, NO, OTHER = gettext("Yes"), gettext("No"), gettext("Other")
    OTHER_SPECIFY = gettext("other, please specify")
    AGREEMENT = [
        gettext(word)
        for word in (
            "Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree",
            "Strongly agree",
        )
    ]  # fmt: skip
    NPS_ENDS = gettext("Not at all likely"), gettext("Extremely likely")
    CSAT_ENDS = gettext("Very dissatisfied"), gettext("Very satisfied")

VARIABLES = [
    "response_id", "completed_at", "customer_id", "channel", "touchpoint", "store", "staff",
    "language", "device", "version", "nps", "csat", "ces", "stars", "visit", "visit_other",
    "channels_app", "channels_web", "channels_store", "channels_other", "satisfaction_delivery",
    "satisfaction_price", "rank_speed", "rank_cost", "rank_care", "age", "again", "comment",
]  # fmt: skip

FIRST_ANSWERS = {
    "nps": 9,
    "csat": 4,
    "ces": 2,
    "stars": 5,
    "visit": "shop",
    "channels": ["app", "store"],
    "satisfaction": {"delivery": 4, "price": 2},
    "rank": ["cost", "speed", "care"],
    "age": 35,
    "again": True,
    "comment": "很好，谢谢",
}
SECOND_ANSWERS = {
    "nps": 3,
    "csat": 2,
    "ces": 6,
    "stars": 1,
    "visit": {"other": "退货"},
    "channels": ["web", {"other": "电话"}],
    "satisfaction": {"delivery": 5},
    "rank": ["care", "cost", "speed"],
    "age": 28.5,
    "again": False,
}


@pytest.fixture
def survey_with_responses(customer):
    survey = make_sample_survey()
    first = add_completed_response(
        survey,
        FIRST_ANSWERS,
        customer=customer,
        completed_at=datetime(2025, 3, 1, 2, 0, tzinfo=UTC),
    )
    second = add_completed_response(
        survey, SECOND_ANSWERS, completed_at=datetime(2025, 3, 2, 16, 30, 5, tzinfo=UTC)
    )
    add_response_in_progress(survey)
    return survey, first, second


def test_sav_export_has_variable_and_value_labels_and_one_row_per_completed_response(
    survey_with_responses, tmp_path
):
    survey, first, second = survey_with_responses
    path = tmp_path / "responses.sav"
    assert export_responses(survey=survey, format="sav", path=path) == 2

    data, meta = pyreadstat.read_sav(str(path), output_format="dict")
    assert meta.column_names == VARIABLES
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    assert labels["nps"] == "推荐可能性"
    assert labels["channels_web"] == "使用渠道: 网站"
    assert labels["satisfaction_price"] == "各方面满意度: 价格"
    assert labels["rank_care"] == "重要性排序: 服务"
    assert labels["visit_other"] == f"到访原因: {OTHER_SPECIFY}"
    value_labels = {
        name: meta.value_labels[label_set] for name, label_set in meta.variable_to_label.items()
    }
    assert value_labels["stars"] == {1.0: "很差", 5.0: "很好"}
    assert value_labels["nps"] == {0.0: NPS_ENDS[0], 10.0: NPS_ENDS[1]}
    assert value_labels["visit"] == {"shop": "购物", "complaint": "投诉", "other": OTHER}
    assert value_labels["channels_app"] == {1.0: "应用"}
    assert value_labels["satisfaction_delivery"] == dict(enumerate(AGREEMENT, start=1))
    assert value_labels["again"] == {1.0: YES, 0.0: NO}
    assert "age" not in value_labels

    rows = [{name: data[name][index] for name in VARIABLES} for index in range(len(data["nps"]))]
    assert rows[0]["response_id"] == first.pk
    assert rows[0]["completed_at"] == "2025-03-01 10:00:00"
    assert rows[0]["customer_id"] == "C001"
    assert rows[0]["language"] == "zh-hans"
    assert rows[0]["device"] == "mobile"
    assert rows[0]["version"] == 1
    assert [rows[0][name] for name in ("nps", "csat", "ces", "stars", "visit", "visit_other")] == [
        9, 4, 2, 5, "shop", "",
    ]  # fmt: skip
    assert [rows[0][f"channels_{v}"] for v in ("app", "web", "store", "other")] == [1, 0, 1, ""]
    assert [rows[0]["satisfaction_delivery"], rows[0]["satisfaction_price"]] == [4, 2]
    assert [rows[0][f"rank_{v}"] for v in ("speed", "cost", "care")] == [2, 1, 3]
    assert [rows[0]["age"], rows[0]["again"], rows[0]["comment"]] == [35, 1, "很好，谢谢"]

    assert rows[1]["response_id"] == second.pk
    assert rows[1]["completed_at"] == "2025-03-03 00:30:05"
    assert rows[1]["customer_id"] == ""
    assert [rows[1]["visit"], rows[1]["visit_other"]] == ["other", "退货"]
    assert [rows[1][f"channels_{v}"] for v in ("app", "web", "store", "other")] == [0, 1, 0, "电话"]
    assert rows[1]["satisfaction_delivery"] == 5
    assert rows[1]["satisfaction_price"] is None
    assert [rows[1]["age"], rows[1]["again"], rows[1]["comment"]] == [28.5, 0, ""]


def test_xlsx_export_has_a_responses_sheet_and_a_codebook(survey_with_responses, tmp_path):
    survey, first, _second = survey_with_responses
    path = tmp_path / "responses.xlsx"
    assert export_responses(survey=survey, format="xlsx", path=path) == 2

    workbook = load_workbook(path, read_only=True)
    assert workbook.sheetnames == ["Responses", "Codebook"]
    # A read-only sheet leaves out empty cells at the end of a row.
    responses = [
        row + (None,) * (len(VARIABLES) - len(row))
        for row in workbook["Responses"].iter_rows(values_only=True)
    ]
    assert list(responses[0]) == VARIABLES
    first_row = dict(zip(VARIABLES, responses[1], strict=True))
    assert first_row["response_id"] == first.pk
    assert first_row["completed_at"] == "2025-03-01 10:00:00"
    assert first_row["channels_store"] == 1
    assert first_row["comment"] == "很好，谢谢"
    second_row = dict(zip(VARIABLES, responses[2], strict=True))
    assert second_row["customer_id"] is None
    assert second_row["satisfaction_price"] is None
    assert second_row["age"] == 28.5

    codebook = list(workbook["Codebook"].iter_rows(values_only=True))
    assert codebook[0] == ("variable", "label", "type", "values", "question")
    entries = {row[0]: row[1:] for row in codebook[1:]}
    assert list(entries) == VARIABLES
    csat_values = f"1 = {CSAT_ENDS[0]}; 5 = {CSAT_ENDS[1]}"
    assert entries["csat"] == ("满意度", "numeric", csat_values, "csat")
    assert entries["visit"] == (
        "到访原因",
        "string",
        f"shop = 购物; complaint = 投诉; other = {OTHER}",
        "visit",
    )
    assert entries["channels_web"] == ("使用渠道: 网站", "numeric", "1 = 网站", "channels = web")
    assert entries["rank_cost"] == ("重要性排序: 价格", "numeric", None, "rank rank of cost")


def test_csv_export_is_utf8_with_a_byte_order_mark(survey_with_responses, tmp_path):
    survey, first, second = survey_with_responses
    path = tmp_path / "responses.csv"
    assert export_responses(survey=survey, format="csv", path=path) == 2

    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == VARIABLES
    assert rows[1] == [
        str(first.pk), "2025-03-01 10:00:00", "C001", "", "", "", "", "zh-hans", "mobile", "1",
        "9", "4", "2", "5", "shop", "", "1", "0", "1", "", "4", "2", "2", "1", "3", "35", "1",
        "很好，谢谢",
    ]  # fmt: skip
    assert rows[2] == [
        str(second.pk), "2025-03-03 00:30:05", "", "", "", "", "", "zh-hans", "mobile", "1",
        "3", "2", "6", "1", "other", "退货", "0", "1", "0", "电话", "5", "", "3", "2", "1", "28.5",
        "0", "",
    ]  # fmt: skip


def test_anonymous_survey_exports_no_customer_id(customer, tmp_path):
    survey = make_sample_survey(is_anonymous=True)
    add_completed_response(survey, {"nps": 10}, customer=customer)
    path = tmp_path / "anonymous.csv"
    export_responses(survey=survey, format="csv", path=path)
    with path.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["customer_id"] == ""
    assert rows[0]["nps"] == "10"


def test_export_keeps_answers_to_questions_dropped_in_a_later_version(
    survey_with_responses, tmp_path
):
    survey = survey_with_responses[0]
    definition = {**SAMPLE_DEFINITION, "pages": [SAMPLE_DEFINITION["pages"][0]]}
    update_definition(survey=survey, definition=definition)
    survey.refresh_from_db()
    add_completed_response(survey, {"nps": 7})
    path = tmp_path / "versions.csv"
    assert export_responses(survey=survey, format="csv", path=path) == 3
    with path.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["version"] for row in rows] == ["1", "1", "2"]
    assert [row["age"] for row in rows] == ["35", "28.5", ""]


def test_export_reads_responses_in_a_fixed_number_of_queries(
    survey_with_responses, tmp_path, django_assert_max_num_queries
):
    survey = survey_with_responses[0]
    for _ in range(20):
        add_completed_response(survey, FIRST_ANSWERS)
    with django_assert_max_num_queries(2):
        export_responses(survey=survey, format="csv", path=tmp_path / "many.csv")


def test_unknown_export_format_is_refused(survey_with_responses, tmp_path):
    survey = survey_with_responses[0]
    with pytest.raises(ExportError, match="format must be one of csv, xlsx, sav"):
        export_responses(survey=survey, format="pdf", path=tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.parametrize(
    ("wanted", "taken", "expected"),
    [
        ("nps", set(), "nps"),
        ("q1_中文", set(), "q1___"),
        ("rank_1st", set(), "rank_1st"),
        ("1st", set(), "v1st"),
        ("AND", set(), "v_AND"),
        ("NPS", {"NPS"}, "NPS_2"),
        ("x" * 70, set(), "x" * 64),
        ("x" * 70, {"X" * 64}, "x" * 62 + "_2"),
    ],
)
def test_variable_names_are_valid_and_unique_spss_names(wanted, taken, expected):
    assert _spss_name(wanted, set(taken)) == expected
