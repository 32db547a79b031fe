"""Results: per-question summaries by GROUP BY, scores with n and interval, counts, the list
of responses with filters and a single response."""

from datetime import UTC, date, datetime

import pytest
from django.utils.translation import gettext, override

from kesheng.core.errors import NotFound
from kesheng.surveys.models import Distribution
from kesheng.surveys.queries.results import (
    ResponseFilters,
    get_response_detail,
    get_survey_results,
    list_responses,
    summarize_questions,
)
from tests.surveys.results_fixtures import (
    add_completed_response,
    add_response_in_progress,
    make_sample_survey,
)

with override("zh-hans"):
    OTHER, YES, NO = gettext("Other"), gettext("Yes"), gettext("No")
    NEUTRAL = gettext("Neither agree nor disagree")
    CSAT_ENDS = gettext("Very dissatisfied"), gettext("Very satisfied")


def at(day: int, hour: int) -> datetime:
    """2025-03-<day> at <hour>:00 in Shanghai."""
    return datetime(2025, 3, day, hour - 8, 0, tzinfo=UTC)


@pytest.fixture
def answered_survey(db):
    survey = make_sample_survey()
    store_qr = Distribution.objects.create(survey=survey, kind="qr", name="门店二维码", key="qr-1")
    responses = [
        add_completed_response(
            survey,
            {
                "nps": 10,
                "csat": 5,
                "ces": 2,
                "stars": 5,
                "visit": "shop",
                "channels": ["app", "store"],
                "satisfaction": {"delivery": 4, "price": 2},
                "rank": ["cost", "speed", "care"],
                "age": 30,
                "again": True,
                "comment": "很好",
            },
            completed_at=at(1, 10),
        ),
        add_completed_response(
            survey,
            {
                "nps": 9,
                "csat": 4,
                "ces": 3,
                "visit": "complaint",
                "channels": ["web"],
                "satisfaction": {"delivery": 5, "price": 3},
                "rank": ["speed", "cost", "care"],
                "age": 40,
                "again": False,
                "comment": "送货慢",
            },
            completed_at=at(1, 12),
        ),
        add_completed_response(
            survey,
            {
                "nps": 7,
                "csat": 2,
                "ces": 6,
                "visit": {"other": "退货"},
                "channels": ["app", {"other": "电话"}],
                "satisfaction": {"delivery": 3},
                "rank": ["care", "cost", "speed"],
                "age": 20,
            },
            completed_at=at(2, 9),
        ),
        add_completed_response(
            survey,
            {
                "nps": 3,
                "csat": 1,
                "ces": 1,
                "visit": "shop",
                "channels": ["store"],
                "age": 50,
                "comment": "价格高",
            },
            completed_at=at(3, 23),
            distribution=store_qr,
        ),
    ]
    add_response_in_progress(survey, started_at=at(3, 20))
    return survey, responses, store_qr


def summaries(survey, filters=None):
    with override("zh-hans"):
        found = summarize_questions(survey, filters or ResponseFilters(), "zh-hans")
    return {summary.name: summary for summary in found}


def bars(summary):
    return [(bar.label, bar.count, bar.percent) for bar in summary.bars]


def test_nps_is_promoters_minus_detractors_with_n_and_margin(answered_survey):
    survey, _, _ = answered_survey
    nps = summaries(survey)["nps"]
    assert nps.n == 4
    assert nps.nps_groups == (2, 1, 1)
    assert nps.score_kind == "nps"
    assert nps.score.value == pytest.approx(25.0)
    # variance (0.5 + 0.25 - 0.25²) / 4 = 0.171875; margin 100 · 1.959964 · 0.414578
    assert nps.score.margin == pytest.approx(81.2558, abs=1e-4)
    assert nps.score.is_small_sample is True
    assert [bar.count for bar in nps.bars] == [0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 1]


def test_csat_is_the_share_of_4_and_5_with_a_wilson_interval(answered_survey):
    survey, _, _ = answered_survey
    csat = summaries(survey)["csat"]
    assert csat.score_kind == "csat"
    assert (csat.n, csat.score.value) == (4, 50.0)
    # Wilson: centre 0.5, half width 1.959964 · sqrt(0.0625 + 0.060023) / 1.960365 = 0.349961
    assert csat.score.low == pytest.approx(15.0039, abs=1e-4)
    assert csat.score.high == pytest.approx(84.9961, abs=1e-4)
    assert bars(csat) == [
        (f"1 · {CSAT_ENDS[0]}", 1, 25.0), ("2", 1, 25.0), ("3", 0, 0.0), ("4", 1, 25.0),
        (f"5 · {CSAT_ENDS[1]}", 1, 25.0),
    ]  # fmt: skip


def test_ces_is_a_mean_with_a_t_interval(answered_survey):
    survey, _, _ = answered_survey
    ces = summaries(survey)["ces"]
    assert ces.score_kind == "ces"
    assert ces.score.value == 3.0
    # variance (50 - 36) / 3, standard error sqrt(14/3 / 4) = 1.080123, t(3) = 3.182446
    assert ces.score.margin == pytest.approx(3.437435, abs=1e-5)


def test_rating_shows_its_end_labels_and_a_mean(answered_survey):
    survey, _, _ = answered_survey
    stars = summaries(survey)["stars"]
    assert stars.n == 1
    assert bars(stars) == [("1 · 很差", 0, 0.0), ("2", 0, 0.0), ("3", 0, 0.0), ("4", 0, 0.0),
                           ("5 · 很好", 1, 100.0)]  # fmt: skip
    assert (stars.score_kind, stars.score.value, stars.score.margin) == ("mean", 5.0, None)


def test_choice_counts_follow_the_choices_and_gather_other_answers(answered_survey):
    survey, _, _ = answered_survey
    found = summaries(survey)
    assert bars(found["visit"]) == [("购物", 2, 50.0), ("投诉", 1, 25.0), (OTHER, 1, 25.0)]
    assert found["channels"].n == 4
    assert bars(found["channels"]) == [
        ("应用", 2, 50.0), ("网站", 1, 25.0), ("门店", 2, 50.0), (OTHER, 1, 25.0),
    ]  # fmt: skip
    assert bars(found["again"]) == [(YES, 1, 50.0), (NO, 1, 50.0)]


def test_matrix_rows_and_ranking_choices_have_their_means(answered_survey):
    survey, _, _ = answered_survey
    found = summaries(survey)
    delivery, price = found["satisfaction"].items
    assert (delivery.label, delivery.n, delivery.mean.value) == ("配送", 3, 4.0)
    assert [bar.count for bar in delivery.bars] == [0, 0, 1, 1, 1]
    assert delivery.bars[2].label == f"3 · {NEUTRAL}"
    assert (price.label, price.n, price.mean.value) == ("价格", 2, 2.5)
    ranks = {item.label: (item.n, item.mean.value) for item in found["rank"].items}
    assert ranks == {
        "速度": (3, 2.0),
        "价格": (3, pytest.approx(5 / 3)),
        "服务": (3, pytest.approx(7 / 3)),
    }


def test_numeric_mean_and_latest_texts(answered_survey):
    survey, _, _ = answered_survey
    found = summaries(survey)
    assert (found["age"].n, found["age"].score.value) == (4, 35.0)
    assert found["comment"].n == 3
    assert found["comment"].texts == ["价格高", "送货慢", "很好"]


def test_summaries_use_a_fixed_number_of_queries(answered_survey, django_assert_num_queries):
    survey, _, _ = answered_survey
    with django_assert_num_queries(4):
        summarize_questions(survey, ResponseFilters(), "zh-hans")


def test_date_and_distribution_filters_narrow_the_summaries(answered_survey):
    survey, _, store_qr = answered_survey
    later = summaries(survey, ResponseFilters(date_from=date(2025, 3, 2)))
    assert later["nps"].n == 2
    assert later["nps"].nps_groups == (0, 1, 1)
    first_day = summaries(survey, ResponseFilters(date_to=date(2025, 3, 1)))
    assert first_day["nps"].nps_groups == (2, 0, 0)
    from_store = summaries(survey, ResponseFilters(distribution_id=store_qr.pk))
    assert from_store["nps"].n == 1
    assert from_store["comment"].texts == ["价格高"]


def test_results_count_responses_by_status_and_completions_by_day(answered_survey):
    survey, _, _ = answered_survey
    results = get_survey_results(survey, ResponseFilters(), "zh-hans")
    assert (results.completed, results.in_progress) == (4, 1)
    # 23:00 on 3 March in Shanghai is 15:00 UTC: it counts on the 3rd, the business's day.
    assert results.completed_by_day == [
        (date(2025, 3, 1), 2), (date(2025, 3, 2), 1), (date(2025, 3, 3), 1),
    ]  # fmt: skip


def test_response_list_filters_by_status_and_pages(answered_survey, django_assert_num_queries):
    survey, responses, _ = answered_survey
    page = list_responses(survey, ResponseFilters(status="completed"))
    assert [response.pk for response in page.object_list] == [r.pk for r in reversed(responses)]
    in_progress = list_responses(survey, ResponseFilters(status="in_progress"))
    assert [response.status for response in in_progress.object_list] == ["in_progress"]
    everything = list_responses(survey, ResponseFilters(), page_number=1)
    assert everything.paginator.count == 5
    with django_assert_num_queries(2):  # the count and the page, with everything joined
        page = list_responses(survey, ResponseFilters())
        for response in page.object_list:
            _ = (response.customer, response.distribution, response.store, response.version)


def test_response_detail_describes_answers_with_choice_texts(answered_survey):
    survey, responses, _ = answered_survey
    with override("zh-hans"):
        detail = get_response_detail(survey, responses[2].pk, "zh-hans")
    lines = {line.name: line.text for line in detail.answers}
    assert lines["visit"] == f"{OTHER}: 退货"
    assert lines["channels"] == f"应用; {OTHER}: 电话"
    assert lines["rank"] == "1. 服务; 2. 价格; 3. 速度"
    assert lines["satisfaction"] == f"配送: 3 ({NEUTRAL})"
    assert lines["nps"] == "7"
    assert "comment" not in lines


def test_response_detail_of_another_survey_is_not_found(answered_survey):
    responses = answered_survey[1]
    other = make_sample_survey(title="另一个")
    with pytest.raises(NotFound):
        get_response_detail(other, responses[0].pk, "zh-hans")
