"""Survey comments become feedback items on response.completed, once."""

from kesheng.feedback.actions import collect_survey_comments
from kesheng.feedback.models import FeedbackItem
from tests.surveys.results_fixtures import add_completed_response, make_sample_survey


def test_a_completed_response_comment_becomes_an_analysed_item(
    db, customer, django_capture_on_commit_callbacks
):
    survey = make_sample_survey()
    with django_capture_on_commit_callbacks(execute=True):
        response = add_completed_response(
            survey,
            {"nps": 3, "visit": "shop", "comment": "排队太久了，收银员态度也不好"},
            customer=customer,
        )
    item = FeedbackItem.objects.get()
    assert (item.source, item.source_id, item.question, item.response_id) == (
        "survey",
        f"{response.pk}:comment",
        "comment",
        response.pk,
    )
    assert (item.customer_id, item.language, item.occurred_at) == (
        customer.pk,
        "zh-hans",
        response.completed_at,
    )
    assert (item.analysis_status, item.sentiment) == ("analysed", "negative")
    # The event delivered again (a retry) adds nothing.
    collect_survey_comments({"response_id": response.pk})
    assert FeedbackItem.objects.count() == 1


def test_a_response_without_a_comment_adds_nothing(db, django_capture_on_commit_callbacks):
    survey = make_sample_survey()
    with django_capture_on_commit_callbacks(execute=True):
        add_completed_response(survey, {"nps": 9, "visit": "shop", "comment": "   "})
    assert FeedbackItem.objects.count() == 0


def test_imported_history_brings_its_comments_in_once_without_cases(
    db, django_capture_on_commit_callbacks
):
    from datetime import UTC, datetime

    from kesheng.cases.models import Case
    from kesheng.feedback.actions import collect_imported_survey_comments
    from kesheng.surveys.actions.history import PastResponse, load_response_history

    survey = make_sample_survey()
    at = datetime(2026, 9, 1, 4, 0, tzinfo=UTC)
    past = [
        PastResponse(
            external_id=f"old-{number}",
            answers={"nps": 2, "visit": "shop", "comment": comment},
            started_at=at,
            completed_at=at,
            current_page="",
            language="zh-hans",
            device_type="mobile",
        )
        for number, comment in enumerate(["东西不错但是物流太慢", "店员很热情"])
    ]
    past.append(
        PastResponse(
            external_id="old-silent",
            answers={"nps": 9, "visit": "shop"},
            started_at=at,
            completed_at=at,
            current_page="",
            language="zh-hans",
            device_type="mobile",
        )
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert load_response_history(survey=survey, responses=past) == 3
    items = FeedbackItem.objects.order_by("text")
    assert sorted(item.text for item in items) == sorted(["东西不错但是物流太慢", "店员很热情"])
    assert {item.occurred_at for item in items} == {at}
    assert all(item.analysis_status == "analysed" for item in items)
    assert Case.objects.count() == 0  # the past opens no case
    with django_capture_on_commit_callbacks(execute=True):
        collect_imported_survey_comments({"survey_id": survey.pk})
    assert FeedbackItem.objects.count() == 2
