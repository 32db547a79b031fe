"""Scores by the staff member who served the respondent (``by=staff``) and filtered to some
staff members (``staff=CODES``): the queries, the CLI and the API give the same numbers, and a
person limited to stores sees only their stores' staff."""

import json
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils.translation import gettext

from kesheng.analytics.queries import (
    MetricFilters,
    compute_metric,
    compute_metric_by,
    parse_metric_filters,
)
from kesheng.commerce.actions import save_staff_member, save_store
from kesheng.surveys.actions.distribution import create_distribution
from tests.surveys.results_fixtures import add_completed_response, make_sample_survey

NOVEMBER = datetime(2026, 11, 10, 4, 0, tzinfo=UTC)


@pytest.fixture
def served(db):
    """陈静 (Shanghai): 10, 10, 9 -> NPS 100 of 3; 刘洋 (Shanghai): 7, 3 -> -50 of 2;
    赵磊 (Beijing): 0 -> -100 of 1; Beijing's store code without a staff member: 10."""
    survey = make_sample_survey()
    shanghai = save_store(code="sh01", name_zh="上海一店", city="上海")
    beijing = save_store(code="bj01", name_zh="北京一店", city="北京")
    staff = {
        "SH01-01": save_staff_member(code="SH01-01", name="陈静", store=shanghai),
        "SH01-02": save_staff_member(code="SH01-02", name="刘洋", store=shanghai),
        "BJ01-01": save_staff_member(code="BJ01-01", name="赵磊", store=beijing),
    }
    scores = {"SH01-01": [10, 10, 9], "SH01-02": [7, 3], "BJ01-01": [0], None: [10]}
    for code, numbers in scores.items():
        if code is None:
            distribution = create_distribution(survey=survey, kind="qr", store=beijing)
        else:
            distribution = create_distribution(survey=survey, kind="qr", staff=staff[code])
        for number in numbers:
            add_completed_response(
                survey, {"nps": number, "visit": "shop"}, distribution=distribution,
                completed_at=NOVEMBER,
            )  # fmt: skip
    survey.stores = {"sh01": shanghai.pk, "bj01": beijing.pk}
    return survey


def groups_of(groups):
    return [(g.key, g.label, g.result.n, round(g.result.score.value, 1)) for g in groups]


def test_nps_by_staff_member_labelled_by_name_in_one_grouped_query(
    served, django_assert_num_queries
):
    # The survey checked, its versions read, one GROUP BY of the month counts, the staff
    # members' names: whatever the number of staff members.
    with django_assert_num_queries(4):
        groups = compute_metric_by("nps", MetricFilters(survey_ids=(served.pk,)), "staff")
    assert groups_of(groups) == [
        ("", gettext("(none)"), 1, 100.0),
        ("BJ01-01", "赵磊", 1, -100.0),
        ("SH01-01", "陈静", 3, 100.0),
        ("SH01-02", "刘洋", 2, -50.0),
    ]


def test_filter_by_staff_codes(served):
    filters = parse_metric_filters(staff="SH01-01, SH01-02")
    assert filters.staff_codes == ("SH01-01", "SH01-02")
    result = compute_metric("nps", filters)
    assert (result.n, result.to_json()["score"]) == (5, 40.0)
    # Codes are case-sensitive, like store codes: a lower-case code matches nobody.
    assert compute_metric("nps", parse_metric_filters(staff="sh01-01")).n == 0


def test_a_store_manager_sees_only_their_stores_staff(served):
    groups = compute_metric_by("nps", MetricFilters(), "staff", store_ids={served.stores["sh01"]})
    assert groups_of(groups) == [("SH01-01", "陈静", 3, 100.0), ("SH01-02", "刘洋", 2, -50.0)]
    # Asking for another store's staff member by code does not get round the limit.
    limited = compute_metric(
        "nps", MetricFilters(staff_codes=("BJ01-01",)), store_ids={served.stores["sh01"]}
    )
    assert limited.n == 0


def run(*arguments: str) -> str:
    out = StringIO()
    call_command("analytics", *arguments, stdout=out)
    return out.getvalue()


def test_the_cli_by_staff_with_a_staff_filter(served):
    printed = json.loads(run("nps", "--by", "staff", "--staff", "SH01-02,BJ01-01", "--json"))
    assert [(group["group"], group["label"], group["n"], group["score"]) for group in printed] == [
        ("BJ01-01", "赵磊", 1, -100.0),
        ("SH01-02", "刘洋", 2, -50.0),
    ]
    table = run("nps", "--by", "staff", "--staff", "SH01-01")
    assert "陈静" in table and "n=3" in table and "100.0" in table


def test_the_cli_refuses_a_misspelt_breakdown_with_exit_2(served):
    with pytest.raises(CommandError) as refused:
        run("nps", "--by", "staf")
    assert refused.value.returncode == 2
    assert str(refused.value).startswith("--by: expected one of store, city, staff, channel")


def test_the_api_by_staff_with_a_staff_filter(api_client, served):
    answer = api_client("metrics:read").get("/api/v1/metrics/nps?by=staff&staff=SH01-01")
    assert answer.status_code == 200
    expected = compute_metric_by("nps", MetricFilters(staff_codes=("SH01-01",)), "staff")
    assert answer.json() == [group.to_json() for group in expected]
    assert [(g["group"], g["label"], g["n"], g["score"]) for g in answer.json()] == [
        ("SH01-01", "陈静", 3, 100.0)
    ]


def test_the_api_refuses_a_misspelt_breakdown_on_by(api_client, served):
    answer = api_client("metrics:read").get("/api/v1/metrics/nps?by=staf&staff=SH01-01")
    assert answer.status_code == 422
    assert [error["field"] for error in answer.json()["errors"]] == ["by"]
