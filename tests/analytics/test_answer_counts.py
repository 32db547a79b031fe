"""The pre-counted answer tables: counted once, by the business day and month, equal to the
answers themselves for every breakdown and filter."""

from datetime import UTC, date, datetime

import pytest
from django.db.models import Sum

from kesheng.analytics.actions import count_new_responses, recount_answers
from kesheng.analytics.models import AnswerCountByDay, AnswerCountByMonth, CountedResponse
from kesheng.analytics.queries.answer_counts import split_period
from tests.surveys.results_fixtures import add_completed_response


def _day_rows():
    return sorted(
        AnswerCountByDay.objects.values_list("metric", "question", "day", "value", "count")
    )


def test_counts_every_completed_response_once(survey):
    # The fixture's responses were counted as they completed.
    assert count_new_responses() == 0
    CountedResponse.objects.all().delete()
    AnswerCountByDay.objects.all().delete()
    AnswerCountByMonth.objects.all().delete()
    assert count_new_responses() == 8
    assert count_new_responses() == 0
    assert CountedResponse.objects.count() == 8
    rows = _day_rows()
    nps_november = [row for row in rows if row[0] == "nps" and row[2] == date(2026, 11, 10)]
    # Shanghai 10, 10, 9, 7, 3 and Beijing 0, 0 on 10 November: one row per store and value.
    assert sorted((value, count) for *_ignored, value, count in nps_november) == [
        (0.0, 2),
        (3.0, 1),
        (7.0, 1),
        (9.0, 1),
        (10.0, 2),
    ]
    total = AnswerCountByDay.objects.filter(metric="nps").values_list("count", flat=True)
    assert sum(total) == 8
    months = dict(
        AnswerCountByMonth.objects.filter(metric="nps")
        .values_list("month")
        .annotate(total=Sum("count"))
    )
    assert months == {date(2026, 10, 1): 1, date(2026, 11, 1): 7}


def test_counts_the_business_day_not_the_utc_day(survey):
    count_new_responses()
    late = add_completed_response(
        survey, {"nps": 8, "visit": "shop"}, completed_at=datetime(2026, 10, 31, 17, 0, tzinfo=UTC)
    )
    assert CountedResponse.objects.filter(response_id=late.pk).exists()
    # 17:00 UTC on 31 October is 01:00 on 1 November in Shanghai.
    assert AnswerCountByDay.objects.filter(metric="nps", value=8).get().day == date(2026, 11, 1)
    assert AnswerCountByMonth.objects.filter(metric="nps", value=8).get().month == date(2026, 11, 1)


def test_csat_answers_count_under_csat(survey):
    count_new_responses()
    csat = dict(
        AnswerCountByMonth.objects.filter(metric="csat")
        .values_list("value")
        .annotate(total=Sum("count"))
    )
    assert csat == {5.0: 3, 2.0: 2}


def test_recount_rebuilds_the_same_counts(survey):
    count_new_responses()
    before = _day_rows()
    AnswerCountByDay.objects.update(count=99)
    assert recount_answers() == 8
    assert _day_rows() == before


def test_a_response_in_progress_is_not_counted(survey):
    from tests.surveys.results_fixtures import add_response_in_progress

    count_new_responses()
    add_response_in_progress(survey)
    assert count_new_responses() == 0


@pytest.mark.parametrize(
    ("date_from", "date_to", "months", "edges"),
    [
        (date(2026, 1, 1), date(2026, 12, 31), (date(2026, 1, 1), date(2026, 12, 1)), []),
        (
            date(2025, 11, 15),
            date(2026, 2, 10),
            (date(2025, 12, 1), date(2026, 1, 1)),
            [(date(2025, 11, 15), date(2025, 11, 30)), (date(2026, 2, 1), date(2026, 2, 10))],
        ),
        (date(2026, 3, 2), date(2026, 3, 30), None, [(date(2026, 3, 2), date(2026, 3, 30))]),
        (date(2026, 2, 1), date(2026, 2, 28), (date(2026, 2, 1), date(2026, 2, 1)), []),
        (
            date(2026, 1, 31),
            date(2026, 3, 1),
            (date(2026, 2, 1), date(2026, 2, 1)),
            [(date(2026, 1, 31), date(2026, 1, 31)), (date(2026, 3, 1), date(2026, 3, 1))],
        ),
    ],
)
def test_splits_a_period_into_whole_months_and_edge_days(date_from, date_to, months, edges):
    assert split_period(date_from, date_to) == (months, edges)


FILTERS = [
    {},
    {"date_from": date(2026, 10, 1), "date_to": date(2026, 11, 30)},
    {"date_from": date(2026, 10, 10), "date_to": date(2026, 11, 10)},
    {"date_from": date(2026, 11, 10), "date_to": date(2026, 11, 10)},
    {"date_from": date(2026, 11, 1)},
    {"date_to": date(2026, 10, 31)},
    {"store_codes": ("sh01",), "date_from": date(2026, 10, 10), "date_to": date(2026, 12, 31)},
    {"channel_codes": ("qr",), "date_from": date(2026, 10, 5), "date_to": date(2026, 11, 30)},
    {"touchpoint_codes": ("none",)},
]
BYS = [(), ("store",), ("city",), ("day",), ("week",), ("month",), ("language",)]
BYS += [("survey",), ("channel",), ("store", "month"), ("city", "week"), ("touchpoint", "store")]


@pytest.mark.parametrize("fields", FILTERS)
@pytest.mark.parametrize("bys", BYS)
def test_the_counts_equal_the_answers_for_every_filter_and_breakdown(survey, fields, bys):
    from kesheng.analytics.queries.metrics import MetricFilters, _answer_counts, grouped_counts

    add_completed_response(
        survey, {"nps": 6, "visit": "shop"}, completed_at=datetime(2026, 10, 31, 17, 0, tzinfo=UTC)
    )
    add_completed_response(
        survey, {"nps": 9, "visit": "shop"}, completed_at=datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
    )
    filters = MetricFilters(survey_ids=(survey.pk,), **fields)
    for metric in ("nps", "csat"):
        names = tuple("by" for _ in bys)
        expected = _answer_counts(metric, filters, bys, None, names)
        assert grouped_counts(metric, filters, bys) == expected
        only_shanghai = [survey.stores["sh01"]]
        expected = _answer_counts(metric, filters, bys, only_shanghai, names)
        assert grouped_counts(metric, filters, bys, store_ids=only_shanghai) == expected


def test_a_completed_response_is_counted_by_its_event(survey, django_capture_on_commit_callbacks):
    from kesheng.surveys.actions.responses import complete_response, start_response

    response = start_response(survey=survey, user_agent="test")
    response.answers = {"nps": 4, "visit": "shop"}
    with django_capture_on_commit_callbacks(execute=True):
        response = complete_response(response=response)
    assert CountedResponse.objects.filter(response_id=response.pk).exists()
    assert AnswerCountByMonth.objects.filter(metric="nps", value=4).get().count == 1


def test_imported_responses_are_counted_by_their_event(survey, django_capture_on_commit_callbacks):
    from kesheng.surveys.actions.history import PastResponse, load_response_history

    at = datetime(2026, 9, 1, 4, 0, tzinfo=UTC)
    past = [
        PastResponse(
            external_id=f"old-{number}",
            answers={"nps": 2, "visit": "shop"},
            started_at=at,
            completed_at=at,
            current_page="",
            language="zh-hans",
            device_type="mobile",
        )
        for number in range(3)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        assert load_response_history(survey=survey, responses=past) == 3
    september = AnswerCountByMonth.objects.filter(month=date(2026, 9, 1), metric="nps")
    assert list(september.values_list("value", "count")) == [(2.0, 3)]


def test_the_recount_command_rebuilds_the_counts(survey):
    import json
    from io import StringIO

    from django.core.management import call_command

    AnswerCountByMonth.objects.update(count=50)
    out = StringIO()
    call_command("analytics", "recount", "--json", stdout=out)
    assert json.loads(out.getvalue())["responses"] == 8
    assert sum(AnswerCountByMonth.objects.filter(metric="nps").values_list("count", flat=True)) == 8


@pytest.mark.parametrize(
    ("bys", "fields", "store_ids", "table"),
    [
        (("touchpoint",), {}, None, "AnswerCountByDayAndTouchpoint"),
        (("day",), {"channel_codes": ("qr",)}, None, "AnswerCountByDayAndTouchpoint"),
        (("store",), {}, None, "AnswerCountByDay"),
        (("day",), {}, [1], "AnswerCountByDay"),
        (("touchpoint",), {}, [1], None),  # a store manager's touchpoints: from the answers
        (("language",), {}, None, None),
    ],
)
def test_the_days_of_a_period_come_from_the_day_table_that_knows_the_dimensions(
    bys, fields, store_ids, table
):
    from kesheng.analytics.queries.answer_counts import _plan
    from kesheng.analytics.queries.metrics import MetricFilters

    filters = MetricFilters(date_from=date(2026, 10, 2), date_to=date(2026, 10, 31), **fields)
    months, day_table, day_ranges, left = _plan(filters, bys, store_ids)
    assert months is None
    assert (day_table.__name__ if day_table else None) == table
    whole = [(date(2026, 10, 2), date(2026, 10, 31))]
    assert (day_ranges, left) == ((whole, []) if table else ([], whole))
