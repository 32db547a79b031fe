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
