"""``kesheng analytics``: the same numbers as the queries, as JSON or a table; exit 2 on bad
input."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kesheng.analytics.queries import MetricFilters, compute_metric, compute_metric_by


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
