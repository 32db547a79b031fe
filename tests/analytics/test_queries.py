"""Scores over the database: whole, by store, month, a choice question, a cross-tab, filters,
store limits; one query whatever the number of groups. The CLI and the API give the same
numbers (tests/analytics/test_command.py, test_api.py)."""

from datetime import date

import pytest

from kesheng.analytics.queries import (
    MetricFilters,
    compare_filters,
    compute_crosstab,
    compute_metric,
    compute_metric_by,
    compute_response_rate,
    compute_trend,
    parse_metric_filters,
)
from kesheng.core.errors import InvalidInput, NotFound
from kesheng.customers.actions import create_segment


def test_nps_of_every_answer(survey):
    # 4 promoters, 1 passive, 3 detractors of 8: 12.5.
    result = compute_metric("nps", MetricFilters(survey_ids=(survey.pk,)))
    assert result.to_json()["score"] == 12.5
    assert result.n == 8
    assert result.extra == {"promoters": 0.5, "passives": 0.125, "detractors": 0.375}


def test_nps_by_store_in_one_grouped_query(survey, django_assert_num_queries):
    # The survey checked, its versions read, one GROUP BY of the month counts, the stores'
    # names: whatever the number of stores.
    with django_assert_num_queries(4):
        groups = compute_metric_by("nps", MetricFilters(survey_ids=(survey.pk,)), "store")
    assert [(group.key, group.label, group.result.n) for group in groups] == [
        ("bj01", "北京一店", 3),
        ("sh01", "上海一店", 5),
    ]
    assert groups[0].result.score.value == pytest.approx(-100 / 3)
    assert groups[1].result.score.value == pytest.approx(40.0)


def test_trend_by_month_in_the_business_time_zone(survey):
    months = compute_trend("nps", MetricFilters(survey_ids=(survey.pk,)), "month")
    assert [(month.key, month.result.n, month.result.score.value) for month in months] == [
        ("2026-10-01", 1, 100.0),
        ("2026-11-01", 7, pytest.approx(100 * (3 - 3) / 7)),
    ]


def test_breakdown_by_a_choice_question(survey):
    groups = compute_metric_by("nps", MetricFilters(survey_ids=(survey.pk,)), "question:visit")
    # complaint: 9, 3, 0, 0 -> 1 promoter, 3 detractors of 4: -50; shop: 10, 10, 7, 10: 75.
    assert [(group.key, group.result.score.value) for group in groups] == [
        ("complaint", -50.0),
        ("shop", 75.0),
    ]


def test_crosstab_of_store_and_month(survey):
    table = compute_crosstab("nps", MetricFilters(survey_ids=(survey.pk,)), "store", "month")
    assert table.rows == [("bj01", "北京一店"), ("sh01", "上海一店")]
    assert table.columns == [("2026-10-01", "2026-10-01"), ("2026-11-01", "2026-11-01")]
    assert table.cells[("bj01", "2026-10-01")].score.value == 100.0
    assert table.cells[("bj01", "2026-11-01")].score.value == -100.0
    assert ("sh01", "2026-10-01") not in table.cells


def test_filters_by_date_store_and_segment(survey):
    november = MetricFilters(survey_ids=(survey.pk,), date_from=date(2026, 11, 1))
    assert compute_metric("nps", november).n == 7
    beijing = MetricFilters(survey_ids=(survey.pk,), store_codes=("bj01",))
    assert compute_metric("nps", beijing).n == 3
    segment = create_segment(
        name="上海客户", rules={"all": [{"field": "city", "op": "eq", "value": "上海"}]}
    )
    in_segment = MetricFilters(survey_ids=(survey.pk,), segment_id=segment.pk)
    assert compute_metric("nps", in_segment).to_json()["score"] == -100.0


def test_a_person_limited_to_stores_sees_only_their_answers(survey):
    result = compute_metric(
        "nps", MetricFilters(survey_ids=(survey.pk,)), store_ids={survey.stores["sh01"]}
    )
    assert result.n == 5
    assert compute_metric("nps", MetricFilters(), store_ids=set()).n == 0


def test_csat_counts_only_answered_questions(survey):
    result = compute_metric("csat", MetricFilters(survey_ids=(survey.pk,)))
    # 3 answers of 5 and 2 of 2 in Shanghai: 60 % satisfied.
    assert (result.n, result.score.value) == (5, 60.0)


def test_change_between_two_months(survey):
    change = compare_filters(
        "nps",
        MetricFilters(survey_ids=(survey.pk,), date_to=date(2026, 10, 31)),
        MetricFilters(survey_ids=(survey.pk,), date_from=date(2026, 11, 1)),
    )
    assert change.difference == pytest.approx(-100.0)
    # The interval excludes 0 only because one answer has no variance: not claimed.
    assert change.ci_high < 0
    assert change.significant is False


def test_a_question_of_another_type_is_refused(survey):
    with pytest.raises(InvalidInput) as refused:
        compute_metric("nps", MetricFilters(survey_ids=(survey.pk,), question="csat"))
    assert refused.value.errors[0].as_dict() == {
        "field": "question",
        "reason": "no nps question named 'csat'",
    }


def test_an_unknown_survey_is_not_found(db):
    with pytest.raises(NotFound):
        compute_metric("nps", MetricFilters(survey_ids=(999,)))


def test_a_breakdown_by_a_text_question_is_refused(survey):
    with pytest.raises(InvalidInput):
        compute_metric_by("nps", MetricFilters(survey_ids=(survey.pk,)), "question:comment")


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"survey": "one"}, "survey"),
        ({"date_from": "2026-13-01"}, "from"),
        ({"date_from": "2026-11-02", "date_to": "2026-11-01"}, "to"),
        ({"segment": "1,2"}, "segment"),
    ],
)
def test_bad_filters_name_their_field(arguments, field):
    with pytest.raises(InvalidInput) as refused:
        parse_metric_filters(**arguments)
    assert refused.value.errors[0].field == field


def test_response_rate_counts_personal_invitations_only(survey):
    # The fixture's answers came through QR codes: no invitation, so no rate to claim.
    rate = compute_response_rate(MetricFilters(survey_ids=(survey.pk,)))
    assert (rate.sent, rate.completed, rate.rate) == (0, 0, None)


def test_breakdown_by_segment_counts_each_segments_members(survey, django_assert_num_queries):
    shanghai = create_segment(
        name="上海客户", rules={"all": [{"field": "city", "op": "eq", "value": "上海"}]}
    )
    create_segment(name="北京客户", rules={"all": [{"field": "city", "op": "eq", "value": "北京"}]})
    with django_assert_num_queries(4):  # segments, survey, versions, one UNION ALL
        groups = compute_metric_by("nps", MetricFilters(survey_ids=(survey.pk,)), "segment")
    # Only 李 (上海) answered as a known customer: one detractor. Beijing has no answers.
    assert [(group.key, group.label, group.result.n) for group in groups] == [
        (str(shanghai.pk), "上海客户", 1)
    ]


def test_cross_tab_of_segments_and_stores_on_either_side(survey):
    shanghai = create_segment(
        name="上海客户", rules={"all": [{"field": "city", "op": "eq", "value": "上海"}]}
    )
    everyone = create_segment(
        name="上海或北京", rules={"any": [{"field": "city", "op": "in", "value": ["上海", "北京"]}]}
    )
    filters = MetricFilters(survey_ids=(survey.pk,))
    table = compute_crosstab("nps", filters, "segment", "store")
    # Only 李 (上海, a detractor in Shanghai) answered as a known customer: in both segments.
    assert table.rows == sorted([(str(shanghai.pk), "上海客户"), (str(everyone.pk), "上海或北京")])
    assert table.columns == [("sh01", "上海一店")]
    assert {pair: cell.n for pair, cell in table.cells.items()} == {
        (str(shanghai.pk), "sh01"): 1,
        (str(everyone.pk), "sh01"): 1,
    }
    turned = compute_crosstab("nps", filters, "store", "segment")
    assert {pair: cell.n for pair, cell in turned.cells.items()} == {
        ("sh01", str(shanghai.pk)): 1,
        ("sh01", str(everyone.pk)): 1,
    }
    assert turned.cells[("sh01", str(shanghai.pk))].score.value == pytest.approx(-100.0)
