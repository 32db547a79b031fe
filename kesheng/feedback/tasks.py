"""Celery entry points of the feedback hub."""

from celery import shared_task

from kesheng.feedback.actions import analyse_feedback_items, analyse_pending_feedback
from kesheng.feedback.alerting import detect_feedback_alerts, email_new_alerts


@shared_task(name="kesheng.feedback.analyse_item", time_limit=60, soft_time_limit=50)
def analyse_item(item_id: int) -> int:
    """Analyse one new or edited item (language, sentiment, keywords)."""
    return analyse_feedback_items(item_ids=[item_id])


@shared_task(name="kesheng.feedback.analyse_items", time_limit=1800, soft_time_limit=1780)
def analyse_items(item_ids: list[int]) -> int:
    """Analyse a chunk of items from one import or batch."""
    return analyse_feedback_items(item_ids=item_ids)


@shared_task(name="kesheng.feedback.analyse_pending", time_limit=3600, soft_time_limit=3540)
def analyse_pending() -> int:
    """Hourly: analyse items whose task was lost (the broker was down when they arrived)."""
    return analyse_pending_feedback()


@shared_task(name="kesheng.feedback.check_alerts", time_limit=1800, soft_time_limit=1780)
def check_alerts() -> int:
    """Hourly: store this week's new spikes and email the alerts not yet emailed."""
    created = detect_feedback_alerts()
    email_new_alerts()
    return len(created)
