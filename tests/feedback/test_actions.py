"""Editing an item's text analyses it again; a lost task is caught by the pending sweep."""

import pytest

from kesheng.core.errors import InvalidInput
from kesheng.feedback.actions import analyse_pending_feedback, edit_feedback_text, record_feedback
from kesheng.feedback.models import FeedbackItem


def test_an_edited_text_is_analysed_again(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        record_feedback(items=[{"source": "call", "source_id": "c1", "text": "服务很好，很满意"}])
    item = FeedbackItem.objects.get()
    assert (item.sentiment, item.text_edited_at) == ("positive", None)
    with django_capture_on_commit_callbacks(execute=True):
        edit_feedback_text(item=item, text="服务很差，很不满意")
    item.refresh_from_db()
    assert (item.text, item.analysis_status, item.sentiment) == (
        "服务很差，很不满意",
        "analysed",
        "negative",
    )
    assert item.text_edited_at is not None


def test_an_empty_text_is_refused_and_nothing_changes(db):
    record_feedback(items=[{"source": "call", "source_id": "c1", "text": "请回电"}])
    item = FeedbackItem.objects.get()
    with pytest.raises(InvalidInput) as refused:
        edit_feedback_text(item=item, text="  ")
    assert refused.value.errors[0].as_dict() == {"field": "text", "reason": "is required"}
    assert FeedbackItem.objects.get().text == "请回电"


def test_items_whose_task_was_lost_are_analysed_by_the_sweep(db):
    # No on-commit callbacks run here, as when the broker was down.
    record_feedback(items=[{"source": "email", "source_id": "m1", "text": "Great staff, thanks"}])
    assert FeedbackItem.objects.get().analysis_status == "pending"
    assert analyse_pending_feedback() == 1
    item = FeedbackItem.objects.get()
    assert (item.analysis_status, item.detected_language, item.sentiment) == (
        "analysed",
        "en",
        "positive",
    )
    assert item.analysis_version.startswith("sentiment-")
