"""Celery entry points of the analytics."""

from celery import shared_task

from kesheng.analytics.actions import count_new_responses, score_customers


@shared_task(name="kesheng.analytics.count_new_responses", time_limit=1800)
def count_new_responses_task() -> int:
    """The safety net under the event subscribers: counts any completed response an event
    did not (a response written by a script, an event lost with its broker)."""
    return count_new_responses()


@shared_task(name="kesheng.analytics.score_customers", time_limit=3600)
def score_customers_task() -> dict:
    """Nightly (and on demand): every customer's RFM and CLV scores recomputed in bulk."""
    return score_customers().to_json()
