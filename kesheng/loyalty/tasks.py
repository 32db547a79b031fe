"""Celery entry points of loyalty."""

from celery import shared_task

from kesheng.loyalty.actions.tiers import review_tiers


@shared_task(name="kesheng.loyalty.review_tiers", time_limit=3600, soft_time_limit=3540)
def review_tiers_task() -> dict:
    """Daily: the periodic review when its period has turned, else only ended grace periods."""
    return review_tiers().as_dict()
