"""``kesheng analytics``: the same numbers as the queries, as JSON or a table; exit 2 on bad
input."""

import json
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from kesheng.analytics.queries import (
    MetricFilters,
    compute_crosstab,
    compute_metric,
    compute_metric_by,
)


def run(*arguments: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("analytics", *arguments, stdout=out)
    return out.getvalue()


def test_json_of_one_score_is_what_the_queries_compute(survey):
    printed = json.loads(run("nps", "--survey", str(survey.pk), "--json"))
    assert printed == compute_metric("nps", MetricFilters(survey_ids=(survey.pk,))).to_json()
    assert printed == {
        "score": 12.5,
        "n": 8,
        "ci_low": printed["ci_low"],
        "ci_high": printed["ci_high"],
        "small_sample": True,
        "promoters": 0.5,
        "passives": 0.125,
        "detractors": 0.375,
    }


def test_json_by_store_lists_one_object_per_group(survey):
    printed = json.loads(run("nps", "--survey", str(survey.pk), "--by", "store", "--json"))
    expected = compute_metric_by("nps", MetricFilters(survey_ids=(survey.pk,)), "store")
    assert printed == [group.to_json() for group in expected]
    assert [(group["group"], group["n"]) for group in printed] == [("bj01", 3), ("sh01", 5)]


def test_csat_and_ces_with_a_date_range(survey):
    printed = json.loads(
        run(
            "csat",
            "--survey",
            str(survey.pk),
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
            "--json",
        )
    )
    assert (printed["score"], printed["n"], printed["mean"]) == (60.0, 5, 3.8)
    assert json.loads(run("ces", "--json"))["n"] == 0


def test_the_table_shows_score_interval_and_n(survey):
    table = run("nps", "--survey", str(survey.pk), "--by", "store")
    assert "上海一店" in table and "n=5" in table and "40.0" in table


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        (("--from", "2026-02-30"), "--from: expected a date as YYYY-MM-DD"),
        (("--by", "weather"), "--by: expected one of"),
        (("--question", "csat"), "--question: no nps question named 'csat'"),
        (("--survey", "999"), "no survey with id 999"),
    ],
)
def test_bad_input_exits_2_with_the_reason(survey, arguments, reason):
    with pytest.raises(CommandError) as refused:
        run("nps", *arguments)
    assert refused.value.returncode == 2
    assert reason in str(refused.value)


def crosstab_of(survey, *arguments: str) -> dict:
    return json.loads(
        run("nps", "--survey", str(survey.pk), "--by", "store", "--cross", "month", *arguments)
    )


def test_json_crosstab_is_what_the_query_computes(survey):
    printed = crosstab_of(survey, "--json")
    expected = compute_crosstab("nps", MetricFilters(survey_ids=(survey.pk,)), "store", "month")
    assert printed == expected.to_json()
    assert (printed["metric"], printed["by"], printed["cross"]) == ("nps", "store", "month")
    assert printed["rows"] == [
        {"key": "bj01", "label": "北京一店"},
        {"key": "sh01", "label": "上海一店"},
    ]
    assert printed["columns"] == [
        {"key": "2026-10-01", "label": "2026-10-01"},
        {"key": "2026-11-01", "label": "2026-11-01"},
    ]
    # Shanghai had no answers in October: that pair is absent.
    assert [
        (cell["row"], cell["column"], cell["score"], cell["n"]) for cell in printed["cells"]
    ] == [
        ("bj01", "2026-10-01", 100.0, 1),
        ("bj01", "2026-11-01", -100.0, 2),
        ("sh01", "2026-11-01", 40.0, 5),
    ]
    shanghai_november = compute_metric(
        "nps",
        MetricFilters(
            survey_ids=(survey.pk,),
            store_codes=("sh01",),
            date_from=date(2026, 11, 1),
            date_to=date(2026, 11, 30),
        ),
    )
    assert printed["cells"][2] == {
        "row": "sh01",
        "column": "2026-11-01",
        **shanghai_november.to_json(),
    }
    assert printed["cells"][2]["promoters"] == 0.6
    assert printed["cells"][2]["small_sample"] is True


def test_crosstab_with_filters_and_a_question(survey):
    printed = json.loads(
        run(
            "csat",
            "--survey",
            str(survey.pk),
            "--by",
            "question:visit",
            "--cross",
            "city",
            "--from",
            "2026-11-01",
            "--json",
        )
    )
    # November in Shanghai: the shop visits 5, 5, 2 and the complaints 5, 2 (Beijing's
    # November answers have no CSAT).
    assert [row["key"] for row in printed["rows"]] == ["complaint", "shop"]
    assert [
        (cell["row"], cell["column"], cell["n"], cell["mean"]) for cell in printed["cells"]
    ] == [
        ("complaint", "上海", 2, 3.5),
        ("shop", "上海", 3, 4.0),
    ]


def test_the_crosstab_table_shows_score_and_n_per_cell(survey):
    with translation.override("en"):
        table = run("nps", "--survey", str(survey.pk), "--by", "store", "--cross", "month")
    lines = table.splitlines()
    assert lines[0].split() == ["NPS", "2026-10-01", "2026-11-01"]
    assert lines[1] == f"{'Beijing 1':<24}{'100.0 n=1*':>16}{'-100.0 n=2*':>16}"
    assert lines[2] == f"{'Shanghai 1':<24}{'—':>16}{'40.0 n=5*':>16}"
    assert lines[3] == "* n < 30: read with care"


def test_a_crosstab_without_answers_says_so(survey):
    with translation.override("en"):
        table = run("ces", "--by", "store", "--cross", "month")
    assert table == "No answers match.\n"


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        (("--cross", "month"), "--cross: needs by as well"),
        (("--by", "month", "--cross", "month"), "--cross: must not be the same breakdown as by"),
        (("--by", "store", "--cross", "weather"), "--cross: expected one of store, city"),
        (
            ("--by", "store", "--cross", "question:nps"),
            "--cross: no single-choice, dropdown or yes/no question named 'nps'",
        ),
        (("--by", "store", "--cross", "month", "--to", "2026-13-01"), "--to: expected a date"),
    ],
)
def test_bad_crosstab_exits_2_naming_the_option(survey, arguments, reason):
    with pytest.raises(CommandError) as refused:
        run("nps", "--survey", str(survey.pk), *arguments)
    assert refused.value.returncode == 2
    assert reason in str(refused.value)


def test_the_crosstab_table_lines_up_chinese_labels(survey):
    table = run("nps", "--survey", str(survey.pk), "--by", "city", "--cross", "store")
    lines = table.splitlines()[:3]
    assert lines[1].startswith("上海" + " " * 20)
    widths = {sum(2 if ord(char) > 0x2E80 else 1 for char in line) for line in lines}
    assert widths == {24 + 2 * 16}
